/* verify.c -- the schedule of gcrun's safety checks (see verify.h). */
#include "verify.h"

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

void gcv_init(gcv *v, gcv_mode mode) {
  memset(v, 0, sizeof *v);
  v->mode = mode;
  v->budget = GCV_BUDGET;
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
    if (v->pending) v->snap = gc_oracle_before(h);
    return 0;
  }
  if (!v->pending) return 0;
  char err[480];
  gc_oracle_snapshot *s = v->snap; /* NULL: out of memory, said by after */
  v->snap = NULL;
  v->pending = 0;
  v->checked++;
  if (gc_oracle_after(h, s, err, sizeof err) == 0) return 0;
  snprintf(v->error, sizeof v->error, "collection %llu: %s",
           (unsigned long long)v->collections, err);
  return -1;
}
