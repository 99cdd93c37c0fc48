/*
 * workload.h -- a workload is a deterministic mutator program over the object
 * model that knows its answer.
 *
 * run() builds and mutates a heap; when it returns, every external reference
 * it still holds is in the root table (gc_root_*) and nothing else, so the
 * oracle can judge the heap.  It may hold raw references in between (an
 * automatic collection then treats them as external, as it must).
 *
 * The answer is what must be true after the caller's final
 * gc_collect(h, GC_FULL), whatever the collector and whenever automatic
 * collections ran:
 *
 *   allocated     objects the workload allocated
 *   freed_by_rc   objects reference counting frees by itself
 *   cyclic        objects only a cycle collector frees (`none` leaks them)
 *   live          objects still reachable from the root table
 *
 * allocated == freed_by_rc + cyclic + live.  A workload must be built so the
 * split does not depend on when collections run: an acyclic object that
 * garbage cycles hold is "cyclic" (the collector frees it with them), and no
 * object is shared between garbage cycles and data the mutator drops later.
 */
#ifndef GC_WORKLOAD_H
#define GC_WORKLOAD_H

#include <stdint.h>

#include "gc.h"
#include "params.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wl_answer {
  uint64_t allocated;
  uint64_t freed_by_rc;
  uint64_t cyclic;
  uint64_t live;
  /* Finalizers (workloads that set them; 0 otherwise), after the final full
   * collection under a cycle collector (under `none` no cycle is ever
   * finalized):  finalized = finalizers run, resurrected = objects a
   * finalizer made reachable again, uncollectable = objects kept in
   * gc.garbage and reachable from it with legacy_finalizers=1 (these count
   * in `live`, not in `cyclic`). */
  uint64_t finalized;
  uint64_t resurrected;
  uint64_t uncollectable;
} wl_answer;

/* run() results */
enum {
  WL_OK = 0,
  WL_EINPUT = -1, /* bad input (a snapshot file, a parameter combination) */
  WL_ENOMEM = -2  /* an allocation failed: the heap is left consistent */
};

/* What a run will take, from its parameters alone (workload.estimate):
 * the objects it allocates in all, the objects live at once at the end
 * (their shape: slots and payload), for the memory check before a run
 * and the progress line's total. */
typedef struct wl_estimate {
  uint64_t allocations;
  uint64_t live; /* at least about this many live at the end */
  uint32_t nslots, payload;
} wl_estimate;

typedef struct workload {
  const char *name;
  const char *summary; /* one line, for --list */
  const gc_param_def *params;
  size_t nparams;
  /* Build and mutate the heap; fill *ans.  WL_OK, or an error with err set
   * to one line naming the problem and how to fix it. */
  int (*run)(gc_heap *h, const gc_param_set *p, uint64_t seed, wl_answer *ans,
             char *err, size_t errlen);
  /* 1 if the workload reports its garbage (gc_note_garbage, gc.h), which
   * makes the heap's unreclaimed-garbage count exact.  Such a workload
   *  - calls gc_note_garbage(h, objects, bytes) the moment it makes objects
   *    unreachable that reference counting does not free (a dropped cycle
   *    and everything only it holds), once per object, and never for
   *    objects reference counting frees;
   *  - keeps every external reference in the root table whenever it calls
   *    gc_new (the hooks that sample the count run there), so the oracle's
   *    unreachable count equals the noted count at every sample: that is
   *    what tests/workloads checks;
   *  - sets no finalizers (a finalizer may resurrect what was noted).
   * 0: the figure is unknown for this workload (gcrun reports null). */
  int notes_garbage;
  /* Optional (NULL: unknown).  Fill *e from the parameters; `leaks` is 1
   * when no cycle collector runs (`none`: cyclic garbage stays live). */
  void (*estimate)(const gc_param_set *p, int leaks, wl_estimate *e);
} workload;

const workload *wl_find(const char *name);
const workload *const *wl_list(size_t *n);

/* The heap holds the workload's external references in its root table;
 * helpers for the common moves.  Each returns WL_OK or WL_ENOMEM. */

/* Allocate an object and push it onto the root table (refcnt 1, held by the
 * root).  *out gets the object (borrowed). */
int wl_new_root(gc_heap *h, uint32_t nslots, uint32_t payload,
                gc_object **out);

/* The mutator's "stack" of recent temporaries: the last `n` groups it made
 * are held in n root entries, oldest replaced first, and the group being
 * built is held in one more (wl_window_build), so every reference the
 * mutator holds is in the root table whenever it allocates.  A group
 * leaving the window is noted as garbage (gc_note_garbage) with the
 * objects and bytes given for it when it came in: 0 for a group reference
 * counting frees. */
typedef struct wl_window {
  gc_heap *h;
  size_t first;   /* root index of entry 0; entry n is the build entry */
  uint64_t n, next;
  uint64_t *objects, *bytes; /* per entry: garbage when it leaves */
} wl_window;

/* Push n + 1 empty root entries.  WL_OK or WL_ENOMEM. */
int wl_window_init(wl_window *w, gc_heap *h, uint64_t n);
/* The root entry to build the next group in (store its first object there
 * with gc_root_set_steal). */
static inline size_t wl_window_build(const wl_window *w) {
  return w->first + w->n;
}
/* The group in the build entry joins the window; the oldest group leaves
 * and, if it is cyclic garbage, is noted. */
void wl_window_push(wl_window *w, uint64_t garbage_objects,
                    uint64_t garbage_bytes);
/* Every group leaves (noted as it goes); the entries are popped.  Also
 * frees the window's own arrays: call it on every path. */
void wl_window_drain(wl_window *w);

/* Bytes of one object of h with nslots slots and payload bytes
 * (gc_object_bytes before it exists), for gc_note_garbage. */
static inline uint64_t wl_object_bytes(const gc_heap *h, uint32_t nslots,
                                       uint32_t payload) {
  return gc_heap_object_bytes(h, nslots, payload);
}

/* ---- Memory: a run refused before it is spent (workloads/memory.c) ----
 *
 * Every workload, before it allocates, works out the bytes it will hold
 * at once at the least (objects at their size class, gc_heap_object_cost,
 * plus its own arrays) and calls wl_memory_check; the loaders do the same
 * with the sizes their file declares.  The budget is the smaller of the
 * heap's max_bytes less its live bytes and the room the process has left
 * (wl_memory_room). */

/* The room this process has left for new memory: the smallest of
 * MemAvailable, RLIMIT_AS and RLIMIT_DATA less what is mapped, and each
 * enclosing cgroup's limit less its usage; GCBENCH_MEMORY=SIZE replaces
 * the reading.  `why` names the bound.  0, or -1 when GCBENCH_MEMORY is
 * not a size. */
typedef struct wl_room {
  uint64_t bytes; /* UINT64_MAX: no limit found */
  char why[80];
} wl_room;
int wl_memory_room(wl_room *r);

/* WL_OK when `objects` bytes of objects (at their size class) fit the
 * heap's budget and they and `other` bytes of the workload's own arrays
 * fit the room; else WL_ENOMEM with err set to "refused before
 * allocating: WHAT needs about X GiB, more than the Y GiB this process can
 * have (WHICH LIMIT); HINT", or WL_EINPUT for a bad GCBENCH_MEMORY.
 * wl_memory_check_n adds "lower PARAM (at most about PARAM=N)", for a need
 * that grows about as n does. */
int wl_memory_check(gc_heap *h, const char *what, double objects,
                    double other, const char *hint, char *err, size_t errlen);
int wl_memory_check_n(gc_heap *h, const char *what, double objects,
                      double other, double n, const char *param, char *err,
                      size_t errlen);

/* 1: from now on compare the need with the process's room alone, not
 * with the heap's max_bytes (a heap sweep, where running out of max_bytes
 * is the result measured); 0: both again. */
void wl_memory_room_only(int on);

/* 1 when no collection runs before the caller's final one (collector
 * `none`, or automatic collection off): every garbage cycle is then held
 * to the end, and counts in the need. */
int wl_keeps_garbage(const gc_heap *h);

/* "1.5 GiB", "12.0 MiB", "3 KiB"; a size "512M", "4G", "1.5GiB", bytes:
 * 0 or -1. */
void wl_human_bytes(double bytes, char *out, size_t len);
int wl_parse_size(const char *s, uint64_t *out);

#ifdef __cplusplus
}
#endif
#endif
