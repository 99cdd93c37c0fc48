/*
 * rings.c -- cycles of k objects, singly linked (slot 0 = next) or doubly
 * linked (slot 1 = prev) as in pyperformance's gc_collect benchmark.  A
 * dropped ring keeps every member's count at 1 (2 when doubly linked):
 * reference counting never frees it, a cycle collector must.
 *
 * Parameters: `n` objects in rings of `k` (the last ring takes the
 * remainder: a ring of 1 is a self-loop); `links` 1 or 2; `held` fraction of
 * rings still held by a root at the end (chosen at random from the seed);
 * `scatter` > 0 first allocates n fillers of the same shape and frees that
 * fraction of them in random order, holding the rest: the rings then fill
 * the holes in the allocator's free-list order, so the order of allocation
 * (a list collector's list order) no longer follows addresses, as in a heap
 * a long run has shuffled.  mimalloc and glibc hand freed blocks back last
 * freed first, so their order is random; jemalloc refills the lowest free
 * address first, so its order stays close to address order.
 * Answer: held rings and the held fillers live, the other rings cyclic,
 * the freed fillers freed by reference counting.
 */
#include <stdlib.h>

#include "rng.h"
#include "workload.h"

static const gc_param_def rings_params[] = {
    {"n", GC_P_INT, "1000000", 1, 4e9, "objects in all"},
    {"k", GC_P_INT, "10", 1, 4e9, "objects per ring"},
    {"links", GC_P_INT, "1", 1, 2, "1: singly linked, 2: doubly linked"},
    {"held", GC_P_REAL, "0", 0, 1, "fraction of rings held at the end"},
    {"payload", GC_P_INT, "0", 0, GC_MAX_PAYLOAD, "payload bytes per object"},
    {"scatter", GC_P_REAL, "0", 0, 0.99,
     "fraction of n fillers freed in random order before the rings are "
     "built (the rest held): allocation order then no longer follows "
     "addresses (mimalloc, libc)"},
};

/* n fillers, the fraction `scatter` of them freed in random order, the
 * rest held by the root table. */
static int scatter_heap(gc_heap *h, uint64_t n, double scatter,
                        uint32_t links, uint32_t payload, wl_rng *r,
                        wl_answer *ans) {
  gc_object **f = malloc(n * sizeof *f);
  if (!f) return WL_ENOMEM;
  uint64_t m = 0;
  int rc = WL_OK;
  for (; m < n; m++)
    if (!(f[m] = gc_new(h, links, payload))) {
      rc = WL_ENOMEM;
      break;
    }
  ans->allocated += m;
  for (uint64_t i = m; i > 1; i--) { /* Fisher-Yates */
    uint64_t j = wl_rng_below(r, i);
    gc_object *t = f[i - 1];
    f[i - 1] = f[j];
    f[j] = t;
  }
  uint64_t drop = rc == WL_OK ? (uint64_t)(scatter * (double)m) : m;
  for (uint64_t i = 0; i < m; i++) {
    if (i >= drop && gc_root_push(h, f[i]) < 0) {
      rc = WL_ENOMEM;
      drop = m; /* the rest go too */
    }
    if (i >= drop) ans->live++;
    else ans->freed_by_rc++;
    gc_decref(h, f[i]);
  }
  free(f);
  return rc;
}

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
  uint64_t n = (uint64_t)gc_params_int(p, "n");
  uint64_t k = (uint64_t)gc_params_int(p, "k");
  uint32_t links = (uint32_t)gc_params_int(p, "links");
  double held = gc_params_num(p, "held");
  uint32_t payload = (uint32_t)gc_params_int(p, "payload");
  double scatter = gc_params_num(p, "scatter");
  wl_rng r;
  wl_rng_seed(&r, seed);
  *ans = (wl_answer){0};
  /* the held rings (95% of their expected number; every ring when no
   * collection runs) and the one being built; scatter's n fillers and
   * their array first, of which 1 - scatter stay */
  double each = (double)gc_heap_object_cost(h, links, payload), dn = (double)n;
  double rings = wl_keeps_garbage(h) || held >= 1 ? dn : held * 0.95 * dn;
  rings += (double)(k < n ? k : n);
  double need = rings * each, other = 0;
  if (scatter > 0) {
    double fillers = dn * each, kept = dn * (1 - scatter) * each;
    need = fillers > kept + need ? fillers : kept + need;
    other = dn * sizeof(gc_object *);
  }
  int rc0 = wl_memory_check_n(h, "rings", need, other, dn, "n", err, errlen);
  if (rc0 != WL_OK) return rc0;
  if (scatter > 0) {
    int rc = scatter_heap(h, n, scatter, links, payload, &r, ans);
    if (rc != WL_OK) return rc;
  }
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
  double scatter = gc_params_num(p, "scatter");
  e->allocations = (uint64_t)(scatter > 0 ? 2 * n : n);
  e->live = (uint64_t)(n * (leaks || held >= 1 ? 1 : held * 0.95) +
                       (scatter > 0 ? n * (1 - scatter) : 0));
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
