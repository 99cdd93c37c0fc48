/*
 * levels.c -- pyperformance's gc_traversal: level 0 is an empty container;
 * level i holds i references to level i-1.  Few objects, many edges, all
 * live: a traversal-bound heap (the cost is per edge, not per object).
 *
 * `n` is the edge budget: levels are added while the references stay within
 * n (the same bound scripts/peer-cpython uses), so n = 500000 gives 999
 * levels and 1000 objects.  `levels` > 0 sets the number of levels instead
 * (pyperformance runs 1000).  Answer: every object live.
 */
#include "workload.h"

static const gc_param_def levels_params[] = {
    {"n", GC_P_INT, "500000", 0, 4e9, "references in all (the edge budget)"},
    {"levels", GC_P_INT, "0", 0, 90000,
     "number of levels (0: as many as n allows)"},
    {"payload", GC_P_INT, "0", 0, GC_MAX_PAYLOAD, "payload bytes per object"},
};

static int levels_run(gc_heap *h, const gc_param_set *p, uint64_t seed,
                      wl_answer *ans, char *err, size_t errlen) {
  (void)seed;
  uint64_t n = (uint64_t)gc_params_int(p, "n");
  uint64_t levels = (uint64_t)gc_params_int(p, "levels");
  uint32_t payload = (uint32_t)gc_params_int(p, "payload");
  if (levels == 0)
    for (uint64_t refs = 0; refs + levels + 1 <= n; refs += ++levels) {
    }
  *ans = (wl_answer){0};
  /* every level stays live: the need is every level's size class */
  double need = 0;
  for (uint64_t i = 0; i <= levels; i++)
    need += (double)gc_heap_object_cost(h, (uint32_t)i, payload);
  int rc = wl_memory_check_n(h, "levels", need, 0, (double)n, "n", err, errlen);
  if (rc != WL_OK) return rc;
  gc_object *cur = gc_new(h, 0, payload); /* level 0 */
  if (!cur) return WL_ENOMEM;
  ans->allocated++;
  for (uint64_t i = 1; i <= levels; i++) {
    gc_object *o = gc_new(h, (uint32_t)i, payload);
    if (!o) {
      gc_decref(h, cur);
      ans->freed_by_rc = ans->allocated;
      return WL_ENOMEM;
    }
    ans->allocated++;
    for (uint32_t j = 0; j < i; j++) gc_slot_set(h, o, j, cur);
    gc_decref(h, cur);
    cur = o;
  }
  if (gc_root_push_steal(h, cur) < 0) {
    gc_decref(h, cur);
    ans->freed_by_rc = ans->allocated;
    return WL_ENOMEM;
  }
  ans->live = ans->allocated;
  return WL_OK;
}

const workload wl_levels = {
    .name = "levels",
    .summary = "pyperformance's gc_traversal: level i holds i references to "
               "level i-1, all live",
    .params = levels_params,
    .nparams = sizeof levels_params / sizeof levels_params[0],
    .run = levels_run,
};
