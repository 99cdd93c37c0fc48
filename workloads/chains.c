/*
 * chains.c -- acyclic singly linked lists: reference counting frees every
 * dropped chain by itself (the release cascade, iterative), so a cycle
 * collector only pays for looking.
 *
 * Parameters: `n` objects in chains of `length` (the last chain takes the
 * remainder); `held` is the fraction of chains still held by a root at the
 * end (each chain held or not at random, from the seed).  Answer: the held
 * chains are live, the others freed by reference counting.
 */
#include "rng.h"
#include "workload.h"

static const gc_param_def chains_params[] = {
    {"n", GC_P_INT, "1000000", 1, 4e9, "objects in all"},
    {"length", GC_P_INT, "100", 1, 4e9, "objects per chain"},
    {"held", GC_P_REAL, "0", 0, 1, "fraction of chains held at the end"},
    {"payload", GC_P_INT, "0", 0, GC_MAX_PAYLOAD, "payload bytes per object"},
};

static int chains_run(gc_heap *h, const gc_param_set *p, uint64_t seed,
                      wl_answer *ans, char *err, size_t errlen) {
  uint64_t n = (uint64_t)gc_params_int(p, "n");
  uint64_t length = (uint64_t)gc_params_int(p, "length");
  double held = gc_params_num(p, "held");
  uint32_t payload = (uint32_t)gc_params_int(p, "payload");
  wl_rng r;
  wl_rng_seed(&r, seed);
  *ans = (wl_answer){0};
  /* the held chains (95% of their expected number) and the one growing */
  double keep = held >= 1 ? (double)n : held * 0.95 * (double)n;
  double need = (keep + (double)(length < n ? length : n)) *
                (double)gc_heap_object_cost(h, 1, payload);
  int rc0 = wl_memory_check_n(h, "chains", need, 0, (double)n, "n", err, errlen);
  if (rc0 != WL_OK) return rc0;
  for (uint64_t done = 0; done < n;) {
    uint64_t len = n - done < length ? n - done : length;
    int keep = wl_rng_unit(&r) < held;
    /* The head is ours (an external reference) while the chain grows, so an
     * automatic collection in between sees it as live. */
    gc_object *head = gc_new(h, 1, payload), *tail = head;
    if (!head) return WL_ENOMEM;
    ans->allocated++;
    int rc = WL_OK;
    for (uint64_t i = 1; i < len; i++) {
      gc_object *o = gc_new(h, 1, payload);
      if (!o) {
        rc = WL_ENOMEM;
        break;
      }
      ans->allocated++;
      gc_slot_steal(h, tail, 0, o);
      tail = o;
    }
    uint64_t built = ans->allocated - (ans->freed_by_rc + ans->live);
    if (rc == WL_OK && keep && gc_root_push(h, head) < 0) rc = WL_ENOMEM;
    if (rc == WL_OK && keep)
      ans->live += built;
    else
      ans->freed_by_rc += built;
    gc_decref(h, head); /* the cascade frees a dropped chain at once */
    if (rc != WL_OK) return rc;
    done += len;
  }
  return WL_OK;
}

/* Every object of a held chain stays; `held` of the chains are held, up
 * to chance (the count is not promised: 95% of the expected number). */
static void chains_estimate(const gc_param_set *p, int leaks, wl_estimate *e) {
  (void)leaks;
  double n = (double)gc_params_int(p, "n"), held = gc_params_num(p, "held");
  e->allocations = (uint64_t)n;
  e->live = (uint64_t)(n * (held >= 1 ? 1 : held * 0.95));
  e->nslots = 1;
  e->payload = (uint32_t)gc_params_int(p, "payload");
}

const workload wl_chains = {
    .name = "chains",
    .summary = "acyclic lists of `length`: reference counting frees them all",
    .params = chains_params,
    .nparams = sizeof chains_params / sizeof chains_params[0],
    .run = chains_run,
    .estimate = chains_estimate,
};
