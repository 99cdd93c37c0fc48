/*
 * model.h -- a random mutator over the public API of gc/gc.h that keeps
 * its own shadow model of the heap and checks the heap against it.
 *
 * Shared by tests/model/test_model.c (seeded runs, a CTest program) and
 * tests/fuzz/fuzz_model.c (the same mutator driven by libFuzzer's bytes).
 * The model is independent of gc/oracle.c: it knows every object the
 * mutator made, their slots, the root entries with their counts k, the
 * references the mutator owns (temporaries), the objects a finalizer is
 * running on, gc.garbage, and which objects carry a finalizer; it derives
 * reachability and every expected count from that alone.  What it checks,
 * after every step and before and after every collection:
 *
 *   - no model-reachable object was freed (objects are told apart by the
 *     serial the heap's cookie=1 writes into each payload, and found by
 *     gc_heap_foreach);
 *   - every live object's refcnt equals the slots of live objects holding
 *     it + the k of root entries holding it + temporaries + gc.garbage;
 *   - every live object's slots, the root table and gc.garbage are what
 *     the model says; no object is freed with its finalizer pending;
 *   - every live object is tracked or untracked as the model says
 *     (gc_new_ex's flags and the heap's tuple_untracked and dict_untracked,
 *     gc_untrack refused exactly when a slot holds a tracked object,
 *     gc_track, a store into an untracked object tracking it by
 *     MAINTAIN_TRACKING's rule), live_untracked and tracked_by_store
 *     agree, and what a collection untracks is a tuple or dict that
 *     CPython's test allows (the mutator keeps its promises: no untracked
 *     cycle, no object tracked while an untracked one holds it);
 *   - after a full collection that ran no finalizer, nothing the model
 *     finds unreachable survives (not under `none`);
 *   - without finalizers, gc_heap_unreclaimed() equals the model's count
 *     of unreachable live objects and their bytes (the run notes each one
 *     with gc_note_garbage() when it becomes unreachable).
 */
#ifndef GCBENCH_MODEL_H
#define GCBENCH_MODEL_H

#include <stddef.h>
#include <stdint.h>

/* Patterns the mutator can be kept away from (--avoid): each reaches a
 * defect of the API that a fix elsewhere addresses. */
enum {
  MODEL_AVOID_MOVE = 1,          /* gc_root_move / gc_root_set_steal on an
                                    entry with k > 1 */
  MODEL_AVOID_STEAL_CYCLE = 2,   /* gc_slot_steal (done as set + decref) */
  MODEL_AVOID_TRUNCATE_PUSH = 4  /* a finalizer pushing a root while
                                    gc_root_truncate runs */
};

/* Where the mutator's choices come from: a seeded PRNG, or bytes. */
typedef struct model_src {
  uint64_t state;
  const uint8_t *p, *end; /* bytes when p != NULL */
  int exhausted;          /* the bytes ran out */
} model_src;

void model_src_seed(model_src *s, uint64_t seed);
void model_src_bytes(model_src *s, const uint8_t *data, size_t n);
/* A number in [0, bound) (bound >= 1); 0 once the bytes ran out. */
uint32_t model_draw(model_src *s, uint32_t bound);

/* Configurations: every collector (gc_collector_name), then every profile
 * (gc_profile_list). */
size_t model_config_count(void);
const char *model_config_name(size_t i);
/* Index of a collector or profile name, or -1. */
long model_config_find(const char *name);

/* "move,steal-cycle,truncate-push" (any subset; "" or "none": nothing)
 * into MODEL_AVOID_* bits.  0, or -1 on an unknown word. */
int model_parse_avoid(const char *list, unsigned *avoid);

typedef struct model_opts {
  size_t config;  /* model_config_name(config) */
  uint64_t steps; /* steps to run (fewer if the bytes run out) */
  unsigned avoid; /* MODEL_AVOID_* */
  uint64_t seed;  /* named in failure messages */
  int plant;      /* self-test: an unexplained gc_incref at step `plant` */
  /* Called with one line on the first violation; must not return. */
  void (*fail)(const char *msg);
} model_opts;

typedef struct model_result {
  uint64_t steps, collections, finalizers, objects;
  double mean_live, mean_roots; /* objects and root entries after a step */
  char tunables[512]; /* what the heap was created with */
} model_result;

/* One heap, one run.  Returns normally only when every check held. */
void model_run(const model_opts *opts, model_src *src, model_result *res);
/* Free what a run left when its fail() jumped out of it. */
void model_abandon(void);

#endif
