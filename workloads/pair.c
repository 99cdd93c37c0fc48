/*
 * pair.c -- the seed's example: my_var refers to A; A holds B; B holds a
 * back-reference to A.  Dropping my_var leaves A <-> B, counts 1 and 1,
 * unreachable: reference counting never frees it, a cycle collector must.
 *
 * Parameters: `n` pairs (default 1).  Answer: 2n allocated, 2n cyclic.
 */
#include "workload.h"

static const gc_param_def pair_params[] = {
    {"n", GC_P_INT, "1", 1, 1e9, "number of A <-> B pairs"},
    {"payload", GC_P_INT, "0", 0, 1 << 20, "payload bytes per object"},
};

static int pair_run(gc_heap *h, const gc_param_set *p, uint64_t seed,
                    wl_answer *ans, char *err, size_t errlen) {
  (void)seed;
  uint64_t n = (uint64_t)gc_params_int(p, "n");
  uint32_t payload = (uint32_t)gc_params_int(p, "payload");
  *ans = (wl_answer){0};
  /* one pair at a time, or every pair when no collection runs */
  double need = (wl_keeps_garbage(h) ? 2.0 * (double)n : 2.0) *
                (double)gc_heap_object_cost(h, 1, payload);
  int rc = wl_memory_check_n(h, "pair", need, 0, (double)n, "n", err, errlen);
  if (rc != WL_OK) return rc;
  for (uint64_t i = 0; i < n; i++) {
    gc_object *a = gc_new(h, 1, payload); /* my_var = A() */
    if (!a) return WL_ENOMEM;
    ans->allocated++;
    gc_object *b = gc_new(h, 1, payload);
    if (!b) {
      gc_decref(h, a);
      ans->freed_by_rc++;
      return WL_ENOMEM;
    }
    ans->allocated++;
    gc_slot_steal(h, a, 0, b); /* A.b = B() */
    gc_slot_set(h, b, 0, a);   /* B.a = A   */
    gc_decref(h, a);           /* del my_var */
    ans->cyclic += 2;
  }
  return WL_OK;
}

const workload wl_pair = {
    .name = "pair",
    .summary = "the seed's A <-> B: one reference cycle per pair, all garbage",
    .params = pair_params,
    .nparams = sizeof pair_params / sizeof pair_params[0],
    .run = pair_run,
};
