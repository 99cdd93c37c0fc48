/*
 * scalars.c -- php-src #17127's pattern: many small objects whose fields
 * are all scalars (PocketMine-MP's Vector3: a final class of three
 * floats) are cached in an array and used over and over; each use takes a
 * reference and drops it, so the count falls back to a non-zero value and
 * PHP puts the object in its root buffer, though it cannot be part of a
 * cycle.  The buffer fills with such objects, the collector runs more
 * often at first, and each run takes time in proportion to the buffer,
 * not to the cycles.  A few real cycles are made and dropped beside them.
 *
 * The model: `n` objects of no slots and a 24-byte payload (three
 * doubles); an `acyclic` fraction of them is created untracked
 * (GC_NEW_UNTRACKED: what the runtime knows is acyclic, PHP's proposed
 * fix, php-src PR #17130), the rest tracked (a runtime that does not know
 * it).  They sit in one cache array (a plain object of n slots, held by a
 * root).  Then `touches` uses: each takes a random cached object into a
 * local (gc_incref) and drops it (gc_decref: a decrement to non-zero,
 * reported to a collector that buffers roots).  Every `every` uses a ring
 * of `k` tracked objects is made and dropped: cyclic garbage.
 *
 * Whether an untracked object's decrement buffers it is the collector's
 * (trial's tunable buffer_untracked: 1 in the php-8 profile, as PHP does;
 * 0 is the fix the report asks for).
 *
 * Answer: the cache and its n objects stay live; every ring is garbage
 * only a cycle collector frees; reference counting frees nothing.
 */
#include <stdio.h>

#include "rng.h"
#include "workload.h"

static const gc_param_def scalars_params[] = {
    {"n", GC_P_INT, "100000", 1, 6e7, "cached objects (all scalar fields)"},
    {"touches", GC_P_INT, "0", 0, 1e12,
     "uses of a cached object (incref then decref; 0: 10 x n)"},
    {"acyclic", GC_P_REAL, "1", 0, 1,
     "fraction of the cached objects created untracked (acyclic)"},
    {"every", GC_P_INT, "1000", 1, 1e12,
     "uses between two real cycles made and dropped"},
    {"k", GC_P_INT, "2", 1, 1e6, "objects per real cycle"},
    {"payload", GC_P_INT, "24", 0, GC_MAX_PAYLOAD,
     "payload bytes per cached object (three floats)"},
};

/* A ring of k tracked objects, built in root entry e and dropped. */
static int make_ring(gc_heap *h, size_t e, uint64_t k) {
  gc_object *first = NULL, *tail = NULL;
  for (uint64_t i = 0; i < k; i++) {
    gc_object *o = gc_new(h, 1, 16);
    if (!o) return WL_ENOMEM;
    if (!first) {
      first = o;
      gc_root_set_steal(h, e, o);
    } else {
      gc_slot_steal(h, tail, 0, o); /* o's slot NULL yet: no report */
    }
    tail = o;
  }
  gc_slot_set(h, tail, 0, first);
  gc_root_set(h, e, NULL);
  return WL_OK;
}

static int scalars_run(gc_heap *h, const gc_param_set *p, uint64_t seed,
                       wl_answer *ans, char *err, size_t errlen) {
  uint64_t n = (uint64_t)gc_params_int(p, "n");
  uint64_t touches = (uint64_t)gc_params_int(p, "touches");
  double acyclic = gc_params_num(p, "acyclic");
  uint64_t every = (uint64_t)gc_params_int(p, "every");
  uint64_t k = (uint64_t)gc_params_int(p, "k");
  uint32_t payload = (uint32_t)gc_params_int(p, "payload");
  if (!touches) touches = 10 * n;
  *ans = (wl_answer){0};
  uint64_t rings = touches / every;
  double need = (double)n * (double)gc_heap_object_cost(h, 0, payload) +
                (double)gc_heap_object_cost(h, (uint32_t)n, 0) +
                (wl_keeps_garbage(h) ? (double)rings : 1.0) * (double)k *
                    (double)gc_heap_object_cost(h, 1, 16);
  int rc = wl_memory_check_n(h, "scalars", need, 0, (double)n, "n", err,
                             errlen);
  if (rc != WL_OK) return rc;
  wl_rng r;
  wl_rng_seed(&r, seed);
  gc_object *cache = gc_new(h, (uint32_t)n, 0);
  if (!cache || gc_root_push_steal(h, cache) < 0) {
    gc_decref(h, cache);
    return WL_ENOMEM;
  }
  long ring = gc_root_push(h, NULL);
  if (ring < 0) return WL_ENOMEM;
  /* the acyclic ones spread evenly: object i is untracked when
   * floor((i + 1) x acyclic) > floor(i x acyclic) */
  for (uint64_t i = 0; i < n; i++) {
    unsigned untracked =
        (uint64_t)((double)(i + 1) * acyclic) > (uint64_t)((double)i * acyclic);
    gc_object *o = gc_new_ex(h, 0, payload, untracked ? GC_NEW_UNTRACKED : 0);
    if (!o) return WL_ENOMEM;
    gc_slot_steal(h, cache, (uint32_t)i, o);
  }
  for (uint64_t t = 1; t <= touches; t++) {
    gc_object *o = gc_slot_get(cache, (uint32_t)wl_rng_below(&r, n));
    gc_incref(o); /* $v = $cache[$i]; ... */
    gc_decref(h, o); /* ... $v goes out of scope */
    if (t % every == 0 && (rc = make_ring(h, (size_t)ring, k)) != WL_OK)
      return rc;
  }
  gc_root_truncate(h, (size_t)ring);
  ans->allocated = 1 + n + rings * k;
  ans->live = 1 + n;
  ans->cyclic = rings * k;
  return WL_OK;
}

static void scalars_estimate(const gc_param_set *p, int leaks,
                             wl_estimate *e) {
  (void)leaks;
  uint64_t n = (uint64_t)gc_params_int(p, "n");
  uint64_t touches = (uint64_t)gc_params_int(p, "touches");
  if (!touches) touches = 10 * n;
  uint64_t every = (uint64_t)gc_params_int(p, "every");
  uint64_t k = (uint64_t)gc_params_int(p, "k");
  *e = (wl_estimate){.allocations = 1 + n + touches / every * k,
                     .live = 1 + n,
                     .nslots = 0,
                     .payload = (uint32_t)gc_params_int(p, "payload")};
}

const workload wl_scalars = {
    .name = "scalars",
    .summary = "cached objects of scalar fields used in a loop beside a few "
               "cycles (php-src #17127: acyclic objects in the root buffer)",
    .params = scalars_params,
    .nparams = sizeof scalars_params / sizeof scalars_params[0],
    .run = scalars_run,
    .estimate = scalars_estimate,
};
