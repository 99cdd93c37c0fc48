/*
 * finalizers.c -- rings of k in which a `fin` fraction of the members carry
 * a finalizer (Python's __del__), and a `resurrect` fraction of those
 * resurrect their ring: the finalizer stores the object in a root, so the
 * whole ring is reachable again after the finalizers ran.  A `held` fraction
 * of the rings stays held; the rest are dropped.
 *
 * A resurrecting member is told apart by a second, empty slot (the object
 * model has no per-object type); the heap's finalizer needs no state, so it
 * still works when the caller's final collection runs it after run()
 * returned.
 *
 * Answer, for a cycle collector (PEP 442): every finalizer of a dropped ring
 * runs exactly once; a dropped ring with a resurrector is live again
 * (resurrected = its size), the other dropped rings are cyclic.  With
 * legacy_finalizers=1 (before Python 3.4): no finalizer runs; a dropped ring
 * with a finalizer is uncollectable (kept, reachable from gc.garbage: live),
 * a dropped ring without one is cyclic.
 */
#include "rng.h"
#include "workload.h"

static const gc_param_def fin_params[] = {
    {"n", GC_P_INT, "100000", 1, 4e9, "objects in all"},
    {"k", GC_P_INT, "10", 1, 4e9, "objects per ring"},
    {"fin", GC_P_REAL, "0.2", 0, 1, "fraction of members with a finalizer"},
    {"resurrect", GC_P_REAL, "0.1", 0, 1,
     "fraction of finalizers that resurrect their ring"},
    {"held", GC_P_REAL, "0", 0, 1, "fraction of rings held at the end"},
    {"payload", GC_P_INT, "0", 0, GC_MAX_PAYLOAD, "payload bytes per object"},
};

static void fin_finalize(gc_heap *h, gc_object *o, void *arg) {
  (void)arg;
  if (o->nslots == 2) gc_root_push(h, o); /* room reserved by fin_run */
}

static int fin_run(gc_heap *h, const gc_param_set *p, uint64_t seed,
                   wl_answer *ans, char *err, size_t errlen) {
  uint64_t n = (uint64_t)gc_params_int(p, "n");
  uint64_t k = (uint64_t)gc_params_int(p, "k");
  double fin = gc_params_num(p, "fin");
  double resurrect = gc_params_num(p, "resurrect");
  double held = gc_params_num(p, "held");
  uint32_t payload = (uint32_t)gc_params_int(p, "payload");
  /* the held rings (95% of their expected number; every ring when no
   * collection runs) and the one being built */
  double dn = (double)n;
  double rings = (wl_keeps_garbage(h) || held >= 1 ? dn : held * 0.95 * dn) +
                 (double)(k < n ? k : n);
  int rc0 = wl_memory_check_n(h, "finalizers",
                              rings * (double)gc_heap_object_cost(h, 1, payload),
                              0, dn, "n", err, errlen);
  if (rc0 != WL_OK) return rc0;
  int legacy = gc_heap_legacy_finalizers(h);
  wl_rng r;
  wl_rng_seed(&r, seed);
  gc_set_finalizer(h, fin_finalize, NULL);
  *ans = (wl_answer){0};
  uint64_t res_dropped = 0; /* resurrecting members of dropped rings */
  for (uint64_t done = 0; done < n;) {
    uint64_t len = n - done < k ? n - done : k, nfin = 0, nres = 0;
    gc_object *first = NULL, *tail = NULL;
    for (uint64_t i = 0; i < len; i++) {
      int f = wl_rng_unit(&r) < fin;
      int res = f && wl_rng_unit(&r) < resurrect;
      gc_object *o = gc_new(h, res ? 2 : 1, payload);
      if (!o) {
        gc_decref(h, first); /* an open chain: its finalizers run now */
        return WL_ENOMEM;
      }
      if (f) gc_object_add_finalizer(h, o);
      ans->allocated++;
      nfin += (uint64_t)f;
      nres += (uint64_t)res;
      if (!first)
        first = o;
      else
        gc_slot_steal(h, tail, 0, o);
      tail = o;
    }
    gc_slot_set(h, tail, 0, first);
    int keep = wl_rng_unit(&r) < held;
    /* Every resurrector dropped so far may still push its root (in this
     * run's collections or the caller's last one): keep room for all of
     * them beside this ring's own root, so a finalizer's push never fails
     * and the answer holds. */
    if (!keep) res_dropped += nres;
    if (res_dropped && gc_root_reserve(h, res_dropped + 1) != 0) {
      gc_decref(h, first);
      return WL_ENOMEM;
    }
    if (keep && gc_root_push(h, first) < 0) {
      gc_decref(h, first);
      return WL_ENOMEM;
    }
    if (keep)
      ans->live += len;
    else if (legacy && nfin)
      ans->live += len, ans->uncollectable += len;
    else if (!legacy && nres)
      ans->live += len, ans->resurrected += len, ans->finalized += nfin;
    else
      ans->cyclic += len, ans->finalized += legacy ? 0 : nfin;
    gc_decref(h, first);
    done += len;
  }
  return WL_OK;
}

const workload wl_finalizers = {
    .name = "finalizers",
    .summary = "rings with finalizers, some resurrecting (PEP 442; "
               "legacy_finalizers=1: gc.garbage)",
    .params = fin_params,
    .nparams = sizeof fin_params / sizeof fin_params[0],
    .run = fin_run,
};
