/* registry.c -- every workload, by name.  Add a workload here. */
#include <string.h>

#include "workload.h"

extern const workload wl_pair, wl_chains, wl_rings, wl_graphs, wl_trees,
    wl_levels, wl_churn, wl_snapshot, wl_finalizers;

static const workload *const workloads[] = {
    &wl_pair,  &wl_chains, &wl_rings,    &wl_graphs,    &wl_trees,
    &wl_levels, &wl_churn, &wl_snapshot, &wl_finalizers,
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
