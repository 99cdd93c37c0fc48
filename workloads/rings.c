/*
 * rings.c -- cycles of k objects, singly linked (slot 0 = next) or doubly
 * linked (slot 1 = prev) as in pyperformance's gc_collect benchmark.  A
 * dropped ring keeps every member's count at 1 (2 when doubly linked):
 * reference counting never frees it, a cycle collector must.
 *
 * Parameters: `n` objects in rings of `k` (the last ring takes the
 * remainder: a ring of 1 is a self-loop); `links` 1 or 2; `held` fraction of
 * rings still held by a root at the end (chosen at random from the seed).
 * Answer: held rings live, the others cyclic.
 */
#include "rng.h"
#include "workload.h"

static const gc_param_def rings_params[] = {
    {"n", GC_P_INT, "1000000", 1, 4e9, "objects in all"},
    {"k", GC_P_INT, "10", 1, 4e9, "objects per ring"},
    {"links", GC_P_INT, "1", 1, 2, "1: singly linked, 2: doubly linked"},
    {"held", GC_P_REAL, "0", 0, 1, "fraction of rings held at the end"},
    {"payload", GC_P_INT, "0", 0, GC_MAX_PAYLOAD, "payload bytes per object"},
};

/* One ring of len objects; *first gets its first member with the caller's
 * reference (NULL if the first allocation failed).  *made counts what was
 * allocated. */
static int make_ring(gc_heap *h, uint64_t len, uint32_t links,
                     uint32_t payload, gc_object **first, uint64_t *made) {
  gc_object *head = gc_new(h, links, payload), *tail = head;
  *first = head;
  if (!head) return WL_ENOMEM;
  (*made)++;
  for (uint64_t i = 1; i < len; i++) {
    gc_object *o = gc_new(h, links, payload);
    if (!o) return WL_ENOMEM; /* an open chain: reference counting frees it */
    (*made)++;
    gc_slot_steal(h, tail, 0, o); /* o's slots still NULL: no report */
    if (links == 2) gc_slot_set(h, o, 1, tail);
    tail = o;
  }
  gc_slot_set(h, tail, 0, head);
  if (links == 2) gc_slot_set(h, head, 1, tail);
  return WL_OK;
}

static int rings_run(gc_heap *h, const gc_param_set *p, uint64_t seed,
                     wl_answer *ans, char *err, size_t errlen) {
  (void)err, (void)errlen;
  uint64_t n = (uint64_t)gc_params_int(p, "n");
  uint64_t k = (uint64_t)gc_params_int(p, "k");
  uint32_t links = (uint32_t)gc_params_int(p, "links");
  double held = gc_params_num(p, "held");
  uint32_t payload = (uint32_t)gc_params_int(p, "payload");
  wl_rng r;
  wl_rng_seed(&r, seed);
  *ans = (wl_answer){0};
  for (uint64_t done = 0; done < n;) {
    uint64_t len = n - done < k ? n - done : k, made = 0;
    int keep = wl_rng_unit(&r) < held;
    gc_object *first;
    int rc = make_ring(h, len, links, payload, &first, &made);
    ans->allocated += made;
    if (rc == WL_OK && keep && gc_root_push(h, first) < 0) rc = WL_ENOMEM;
    if (rc != WL_OK) {
      gc_decref(h, first); /* an unfinished ring is an open chain */
      ans->freed_by_rc += made;
      return rc;
    }
    if (keep)
      ans->live += made;
    else
      ans->cyclic += made;
    gc_decref(h, first);
    done += len;
  }
  return WL_OK;
}

/* Held rings stay; under `none` the dropped ones stay too. */
static void rings_estimate(const gc_param_set *p, int leaks, wl_estimate *e) {
  double n = (double)gc_params_int(p, "n"), held = gc_params_num(p, "held");
  e->allocations = (uint64_t)n;
  e->live = (uint64_t)(n * (leaks || held >= 1 ? 1 : held * 0.95));
  e->nslots = (uint32_t)gc_params_int(p, "links");
  e->payload = (uint32_t)gc_params_int(p, "payload");
}

const workload wl_rings = {
    .name = "rings",
    .summary = "cycles of k (singly or doubly linked): garbage only a cycle "
               "collector frees",
    .params = rings_params,
    .nparams = sizeof rings_params / sizeof rings_params[0],
    .run = rings_run,
    .estimate = rings_estimate,
};
