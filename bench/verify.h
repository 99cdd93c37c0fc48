/*
 * verify.h -- when gcrun's --verify asks the oracle (gc/oracle.h) to check
 * safety across a collection.
 *
 * The oracle's safety check walks the whole heap before and after a
 * collection, so checking every one of a young-generation collector's
 * thousands of small collections costs thousands of whole-heap walks.
 * Three modes:
 *
 *   all      safety across every collection (the slow, exhaustive mode);
 *   sampled  (the default of --verify) safety across the collections a
 *            budget allows: a collection is checked when the objects the
 *            oracle would walk (the live objects), added to those walked by
 *            the checks made so far, stay within GCV_BUDGET times the run's
 *            own work so far (objects allocated and objects the collector
 *            examined, weighted by their cost beside the oracle's).  The
 *            first and the final collection are always checked;
 *   final    no check during the run.
 *
 * Every mode then checks, after the final full collection, completeness and
 * every reference count, and compares the counts with the workload's answer
 * (gcrun does that part).
 *
 * The oracle's memory is not the run's: every oracle call runs on a thread
 * of its own (gcv_apart) while the run's thread waits, so the run's
 * thread's allocation counters, from which gcrun takes its peak, hold the
 * workload's and the collector's memory only, the same with and without
 * --verify.  (The process's resident size holds both.)
 *
 * What sampled guarantees: the checks cost at most GCV_BUDGET x the run's
 * weighted work plus two heap walks (the first and the final collection);
 * the first and the final collection are checked; and a fault that
 * persists from some collection on is caught as soon as the run has done
 * (live objects / GCV_BUDGET) units of work since the last check, before
 * the final collection if the run is long enough.  In a steady state (a
 * young generation of Y allocations, a heap of L objects) that is about
 * one collection in L / (Y / GCV_ALLOC_WEIGHT + examined /
 * GCV_EXAMINE_WEIGHT).  What it does not: a one-off wrong free in an
 * unchecked collection escapes the safety check; the final counts still
 * catch it unless the object freed too early was going to be freed by the
 * collector later anyway (then only its use after the free shows it, which
 * the sanitizer build reports).  The decision is made before a collection
 * runs, since safety needs the reachable set from before it: what a
 * collection frees is known only afterwards, too late to choose it.
 */
#ifndef GC_VERIFY_H
#define GC_VERIFY_H

#include <stdint.h>

#include "gc.h"
#include "oracle.h"

/* Sampled mode: the oracle may visit GCV_BUDGET live objects per unit of
 * the run's work, a unit being GCV_ALLOC_WEIGHT allocations or
 * GCV_EXAMINE_WEIGHT objects examined by the collector. */
#define GCV_BUDGET 1.0
#define GCV_ALLOC_WEIGHT 8.0
#define GCV_EXAMINE_WEIGHT 64.0

typedef enum { GCV_OFF, GCV_FINAL, GCV_SAMPLED, GCV_ALL } gcv_mode;

typedef struct gcv {
  gcv_mode mode;
  double budget;        /* GCV_BUDGET unless a test sets another */
  int final;            /* set before the last collection: always checked */
  uint64_t spent;       /* objects the checks made so far were charged */
  uint64_t checked;     /* collections whose safety was checked */
  uint64_t collections; /* collections seen */
  int pending;           /* the collection running now is checked */
  gc_oracle_snapshot *snap; /* taken before it */
  char error[512];      /* the first failure, with its collection */
  int apart;            /* the oracle runs on its own thread (gcv_apart) */
} gcv;

/* "all", "sampled", "final" (NULL: sampled).  0, or -1 if unknown. */
int gcv_parse(const char *s, gcv_mode *mode);
const char *gcv_mode_name(gcv_mode mode);

/* Start the oracle's thread (once per process; gcv_init does it when mode
 * is not GCV_OFF).  A program whose figures must not depend on --verify
 * calls it first, verifying or not: starting a thread allocates on the
 * caller's thread, and jemalloc samples a thread's peak every 64 KiB of
 * its activity, so even what was allocated before a run can move that
 * run's peak by a sample. */
void gcv_start(void);
void gcv_init(gcv *v, gcv_mode mode);

/* Run job(arg) on the oracle's thread and wait for it: what it allocates
 * and frees is not counted in the caller's thread figures.  Returns 1, or
 * 0 when that thread could not start (then job ran on the caller's thread
 * and its memory is counted with the run's). */
int gcv_apart(void (*job)(void *), void *arg);

/* One count at the end of a run against the workload's answer, into buf:
 * the figures, what a difference in that direction means (objects freed
 * that the workload holds, one freed twice, a leak), and under `sampled`
 * that --verify=all checks after every collection and names the one at
 * fault.  `what` is a gcrun JSON key (freed_by_rc, live_at_end, ...). */
void gcv_count_mismatch(char *buf, size_t n, const char *what, uint64_t got,
                        uint64_t want, gcv_mode mode);

/* Call from the heap's collect hook with its phase (0 before, 1 after).
 * Returns 0, or -1 when safety failed (v->error says where and what). */
int gcv_collect_hook(gcv *v, gc_heap *h, int phase);

#endif
