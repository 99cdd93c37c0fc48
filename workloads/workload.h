/*
 * workload.h -- a workload is a deterministic mutator program over the object
 * model that knows its answer.
 *
 * run() builds and mutates a heap; when it returns, every external reference
 * it still holds is in the root table (gc_root_*) and nothing else, so the
 * oracle can judge the heap.  It may hold raw references in between (an
 * automatic collection then treats them as external, as it must).
 *
 * The answer is what must be true after the caller's final
 * gc_collect(h, GC_FULL), whatever the collector and whenever automatic
 * collections ran:
 *
 *   allocated     objects the workload allocated
 *   freed_by_rc   objects reference counting frees by itself
 *   cyclic        objects only a cycle collector frees (`none` leaks them)
 *   live          objects still reachable from the root table
 *
 * allocated == freed_by_rc + cyclic + live.  A workload must be built so the
 * split does not depend on when collections run: an acyclic object that
 * garbage cycles hold is "cyclic" (the collector frees it with them), and no
 * object is shared between garbage cycles and data the mutator drops later.
 */
#ifndef GC_WORKLOAD_H
#define GC_WORKLOAD_H

#include <stdint.h>

#include "gc.h"
#include "params.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wl_answer {
  uint64_t allocated;
  uint64_t freed_by_rc;
  uint64_t cyclic;
  uint64_t live;
  /* Finalizers (workloads that set them; 0 otherwise), after the final full
   * collection under a cycle collector (under `none` no cycle is ever
   * finalized):  finalized = finalizers run, resurrected = objects a
   * finalizer made reachable again, uncollectable = objects kept in
   * gc.garbage and reachable from it with legacy_finalizers=1 (these count
   * in `live`, not in `cyclic`). */
  uint64_t finalized;
  uint64_t resurrected;
  uint64_t uncollectable;
} wl_answer;

/* run() results */
enum {
  WL_OK = 0,
  WL_EINPUT = -1, /* bad input (a snapshot file, a parameter combination) */
  WL_ENOMEM = -2  /* an allocation failed: the heap is left consistent */
};

typedef struct workload {
  const char *name;
  const char *summary; /* one line, for --list */
  const gc_param_def *params;
  size_t nparams;
  /* Build and mutate the heap; fill *ans.  WL_OK, or an error with err set
   * to one line naming the problem and how to fix it. */
  int (*run)(gc_heap *h, const gc_param_set *p, uint64_t seed, wl_answer *ans,
             char *err, size_t errlen);
} workload;

const workload *wl_find(const char *name);
const workload *const *wl_list(size_t *n);

/* The heap holds the workload's external references in its root table;
 * helpers for the common moves.  Each returns WL_OK or WL_ENOMEM. */

/* Allocate an object and push it onto the root table (refcnt 1, held by the
 * root).  *out gets the object (borrowed). */
int wl_new_root(gc_heap *h, uint32_t nslots, uint32_t payload,
                gc_object **out);

#ifdef __cplusplus
}
#endif
#endif
