/* verify.c -- the schedule of gcrun's safety checks (see verify.h). */
#include "verify.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static const char *const names[] = {"off", "final", "sampled", "all"};

int gcv_parse(const char *s, gcv_mode *mode) {
  if (!s) {
    *mode = GCV_SAMPLED;
    return 0;
  }
  for (int m = GCV_FINAL; m <= GCV_ALL; m++)
    if (strcmp(s, names[m]) == 0) {
      *mode = (gcv_mode)m;
      return 0;
    }
  return -1;
}

const char *gcv_mode_name(gcv_mode mode) { return names[mode]; }

/* ======================================================================
 * The oracle's thread: its memory is not the run's
 * ==================================================================== */

/* One thread, started by the first gcv_init that verifies and idle between
 * jobs, runs every oracle call of a run; the run's thread waits.  Memory
 * figures read the run's thread (jemalloc's thread.allocated/peak): the
 * oracle's snapshots, held across a collection, and its tables are
 * allocated and freed on the oracle's thread, so they are never in them. */
static struct {
  pthread_once_t once;
  int up; /* 0: the thread could not start; jobs run on the caller's */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  void (*job)(void *);
  void *arg;
} apart = {PTHREAD_ONCE_INIT, 0, PTHREAD_MUTEX_INITIALIZER,
           PTHREAD_COND_INITIALIZER, NULL, NULL};

static void *apart_main(void *unused) {
  (void)unused;
  pthread_mutex_lock(&apart.mu);
  for (;;) {
    while (!apart.job) pthread_cond_wait(&apart.cv, &apart.mu);
    void (*job)(void *) = apart.job;
    void *arg = apart.arg;
    pthread_mutex_unlock(&apart.mu);
    job(arg);
    pthread_mutex_lock(&apart.mu);
    apart.job = NULL;
    pthread_cond_broadcast(&apart.cv);
  }
  return NULL;
}

static void apart_start(void) {
  pthread_t t;
  if (pthread_create(&t, NULL, apart_main, NULL) != 0) return;
  pthread_detach(t);
  apart.up = 1;
}

int gcv_apart(void (*job)(void *), void *arg) {
  if (!apart.up) {
    job(arg);
    return 0;
  }
  pthread_mutex_lock(&apart.mu);
  apart.job = job;
  apart.arg = arg;
  pthread_cond_broadcast(&apart.cv);
  while (apart.job) pthread_cond_wait(&apart.cv, &apart.mu);
  pthread_mutex_unlock(&apart.mu);
  return 1;
}

void gcv_start(void) { pthread_once(&apart.once, apart_start); }

void gcv_init(gcv *v, gcv_mode mode) {
  memset(v, 0, sizeof *v);
  v->mode = mode;
  v->budget = GCV_BUDGET;
  if (mode != GCV_OFF) gcv_start();
  v->apart = apart.up;
}

/* The oracle's calls, as jobs for its thread. */
typedef struct oracle_job {
  gc_heap *h;
  gc_oracle_snapshot *snap;
  int rc;
  char err[480];
} oracle_job;

static void job_before(void *arg) {
  oracle_job *j = arg;
  j->snap = gc_oracle_before(j->h);
}

static void job_after(void *arg) {
  oracle_job *j = arg;
  j->rc = gc_oracle_after(j->h, j->snap, j->err, sizeof j->err);
}

/* Whether the collection about to run is checked; charges it if so. */
static int choose(gcv *v, gc_heap *h) {
  if (v->mode == GCV_ALL) return 1;
  if (v->mode != GCV_SAMPLED) return 0;
  /* the first and the final collection, outside the budget */
  if (v->final || v->collections == 1) return 1;
  const gc_heap_stats *st = gc_heap_get_stats(h);
  /* Units: one oracle visit of a live object costs about as much as
   * GCV_ALLOC_WEIGHT allocations or GCV_EXAMINE_WEIGHT objects examined by
   * a collector (measured: about 1 us, 40 ns, 5 ns in the release build). */
  double work = (double)st->objects_allocated / GCV_ALLOC_WEIGHT +
                (double)st->objects_examined / GCV_EXAMINE_WEIGHT;
  uint64_t cost = st->live_objects;
  if ((double)(v->spent + cost) > v->budget * work) return 0;
  v->spent += cost;
  return 1;
}

int gcv_collect_hook(gcv *v, gc_heap *h, int phase) {
  if (phase == 0) {
    v->collections++;
    v->pending = choose(v, h);
    if (v->pending) {
      oracle_job j = {h, NULL, 0, ""};
      gcv_apart(job_before, &j);
      v->snap = j.snap;
    }
    return 0;
  }
  if (!v->pending) return 0;
  /* snap NULL: out of memory, said by gc_oracle_after */
  oracle_job j = {h, v->snap, 0, ""};
  v->snap = NULL;
  v->pending = 0;
  v->checked++;
  gcv_apart(job_after, &j);
  if (j.rc == 0) return 0;
  snprintf(v->error, sizeof v->error, "collection %llu: %s",
           (unsigned long long)v->collections, j.err);
  return -1;
}

void gcv_count_mismatch(char *buf, size_t n, const char *what, uint64_t got,
                        uint64_t want, gcv_mode mode) {
  const char *more, *fewer;
  if (!strcmp(what, "freed_by_rc") || !strcmp(what, "freed_by_collector")) {
    more = "objects were freed that the workload still holds, or an object "
           "was freed twice";
    fewer = "garbage was left unfreed (a leak)";
  } else if (!strcmp(what, "live_at_end")) {
    more = "garbage survived the final full collection (a leak)";
    fewer = "objects the workload still holds were freed";
  } else if (!strcmp(what, "objects_allocated")) {
    more = fewer = "the workload did not allocate what its answer says";
  } else {
    more = fewer = "finalizers did not run as the workload's answer says";
  }
  uint64_t d = got > want ? got - want : want - got;
  snprintf(buf, n,
           "%s = %llu, the workload's answer is %llu: %llu %s, so %s%s", what,
           (unsigned long long)got, (unsigned long long)want,
           (unsigned long long)d, got > want ? "more" : "fewer",
           got > want ? more : fewer,
           mode == GCV_SAMPLED
               ? "; the sampled checks missed the collection at fault: "
                 "--verify=all checks after every one and names it"
               : "");
}
