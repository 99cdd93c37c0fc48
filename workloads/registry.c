/* registry.c -- every workload, by name.  Add a workload here. */
#include <stdlib.h>
#include <string.h>

#include "workload.h"

extern const workload wl_pair, wl_chains, wl_rings, wl_graphs, wl_trees,
    wl_levels, wl_churn, wl_cycles, wl_growth, wl_snapshot, wl_finalizers,
    wl_timeline;
extern const workload wl_tuplekeys, wl_tuplelist, wl_scalars, wl_parents;
extern const workload wl_shapes;

static const workload *const workloads[] = {
    &wl_pair,   &wl_chains, &wl_rings,  &wl_graphs,   &wl_trees,
    &wl_levels, &wl_churn,  &wl_cycles, &wl_growth,   &wl_snapshot,
    &wl_finalizers, &wl_timeline,
    &wl_tuplekeys, &wl_tuplelist, &wl_scalars, &wl_parents, /* the gallery */
    &wl_shapes,
};

const workload *const *wl_list(size_t *n) {
  *n = sizeof workloads / sizeof workloads[0];
  return workloads;
}

const workload *wl_find(const char *name) {
  for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; i++)
    if (strcmp(workloads[i]->name, name) == 0) return workloads[i];
  return NULL;
}

int wl_new_root(gc_heap *h, uint32_t nslots, uint32_t payload,
                gc_object **out) {
  gc_object *o = gc_new(h, nslots, payload);
  if (!o) return WL_ENOMEM;
  if (gc_root_push_steal(h, o) < 0) {
    gc_decref(h, o);
    return WL_ENOMEM;
  }
  *out = o;
  return WL_OK;
}

/* ======================================================================
 * The window of recent temporaries (workload.h)
 * ==================================================================== */

int wl_window_init(wl_window *w, gc_heap *h, uint64_t n) {
  *w = (wl_window){.h = h, .n = n, .first = gc_root_count(h)};
  w->objects = calloc(n, sizeof *w->objects);
  w->bytes = calloc(n, sizeof *w->bytes);
  if (!w->objects || !w->bytes || gc_root_reserve(h, n + 1) != 0) {
    free(w->objects);
    free(w->bytes);
    w->objects = w->bytes = NULL;
    w->n = 0;
    return WL_ENOMEM;
  }
  for (uint64_t i = 0; i <= n; i++) gc_root_push(h, NULL); /* reserved */
  return WL_OK;
}

void wl_window_push(wl_window *w, uint64_t garbage_objects,
                    uint64_t garbage_bytes) {
  uint64_t e = w->next++ % w->n;
  gc_root_move(w->h, wl_window_build(w), w->first + e);
  if (w->objects[e]) gc_note_garbage(w->h, w->objects[e], w->bytes[e]);
  w->objects[e] = garbage_objects;
  w->bytes[e] = garbage_bytes;
}

void wl_window_drain(wl_window *w) {
  if (!w->objects) return;
  for (uint64_t i = 0; i < w->n; i++) {
    uint64_t e = (w->next + i) % w->n; /* oldest first */
    gc_root_set(w->h, w->first + e, NULL);
    if (w->objects[e]) gc_note_garbage(w->h, w->objects[e], w->bytes[e]);
  }
  gc_root_truncate(w->h, w->first);
  free(w->objects);
  free(w->bytes);
  w->objects = w->bytes = NULL;
}
