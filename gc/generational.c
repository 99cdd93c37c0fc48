/*
 * generational.c -- CPython-style generational collection.
 *
 * Three generations (h->gens[0..2]); new objects enter generation 0.  A
 * collection of generation g examines generations 0..g with the
 * subtract-refs method (refscan.c); references from older generations count
 * as external, so an old object is never freed by a young collection, and a
 * young cycle held only by old garbage waits for the old generation's turn.
 * Survivors of generation g move to g+1 (the oldest stays put).
 *
 * When (CPython 3.13's gc_select_generation): generation 0 when its count
 * exceeds threshold0, the count being allocations minus deallocations (a
 * free lowers it while it is above zero, as PyObject_GC_Del does; tunable
 * net_count=0 counts allocations only, which collects far more often when
 * objects die young: churn, 10^6 allocations, 550 collections against
 * 105); generation 1 when it has seen more than threshold1 generation-0
 * collections; generation 2 after more than threshold2 generation-1
 * collections, and then, with the long-lived rule, only when the survivors
 * promoted into generation 2 since the last full collection reach a
 * quarter of the objects a full collection last left there (this keeps
 * full collections linear overall as the heap grows).
 * tests/schedule pins this sequence.
 *
 * Untracking (3.13's gc_collect_main): right after the garbage is found,
 * every collection untracks the surviving tuples that hold nothing that
 * may be tracked (untrack_tuples, _PyTuple_MaybeUntrack), and a full
 * collection the dicts too (untrack_dicts, _PyDict_MaybeUntrack: only
 * there, "to avoid quadratic dict build-up", bpo-14775).  What they
 * untrack leaves the lists before the long-lived counts are taken, so it
 * counts toward neither.
 */
#include "refscan.h"

static const gc_param_def gen_tunables[] = {
    {"threshold0", GC_P_INT, "2000", 1, 1e12,
     "allocations (less deallocations) between generation-0 collections"},
    {"threshold1", GC_P_INT, "10", 1, 1e9,
     "generation-0 collections between generation-1 collections"},
    {"threshold2", GC_P_INT, "10", 1, 1e9,
     "generation-1 collections between full collections"},
    {"longlived", GC_P_INT, "1", 0, 1,
     "1: full collection only when pending survivors > long-lived total / 4"},
    {"net_count", GC_P_INT, "1", 0, 1,
     "1: as CPython, threshold0 counts allocations minus deallocations; "
     "0: allocations only (collects more often when objects die young)"},
    {"untrack_tuples", GC_P_INT, "1", 0, 1,
     "1: each collection untracks the surviving tuples that hold nothing "
     "that may be tracked (CPython's untrack_tuples); 0: never"},
    {"untrack_dicts", GC_P_INT, "1", 0, 1,
     "1: a full collection untracks the surviving dicts that hold nothing "
     "that may be tracked (3.13's untrack_dicts); 0: never (3.14 on)"},
};

typedef struct gen_state {
  uint64_t threshold[GC_NGENS];
  uint64_t count[GC_NGENS]; /* count[0] unused: h->alloc_since is it */
  int longlived, untrack_tuples, untrack_dicts;
  uint64_t long_lived_total;   /* objects in gen 2 after the last full one */
  uint64_t long_lived_pending; /* promoted into gen 2 since then */
} gen_state;

/* CPython's _PyObject_GC_Link schedules a collection when generation 0's
 * count exceeds threshold0 (count > threshold), so it runs once
 * threshold0 + 1 objects have been allocated. */
static void arm(gc_heap *h) {
  const gen_state *st = h->state;
  gc_arm_trigger_(h, st->threshold[0] + 1);
}

static int gen_init(gc_heap *h, const gc_param_set *t, char *err,
                    size_t errlen) {
  (void)err, (void)errlen;
  gen_state *st = h->state;
  st->threshold[0] = (uint64_t)gc_params_int(t, "threshold0");
  st->threshold[1] = (uint64_t)gc_params_int(t, "threshold1");
  st->threshold[2] = (uint64_t)gc_params_int(t, "threshold2");
  st->longlived = (int)gc_params_int(t, "longlived");
  st->untrack_tuples = (int)gc_params_int(t, "untrack_tuples");
  st->untrack_dicts = (int)gc_params_int(t, "untrack_dicts");
  h->net_count = (int)gc_params_int(t, "net_count");
  arm(h);
  return GC_OK;
}

static void set_gen(gc_link *l, unsigned g) {
  for (gc_link *p = l->next; p != l; p = p->next) gc_set_gen(gc_obj(p), g);
}

/* Read this to see a whole collection of generation `gen`. */
static void gen_collect(gc_heap *h, int gen, gc_collection_record *rec) {
  gen_state *st = h->state;
  if (gen == GC_FULL || gen >= GC_NGENS - 1) gen = GC_NGENS - 1;
  rec->generation = gen == GC_NGENS - 1 ? GC_FULL : gen;

  /* The examined set: generations 0..gen, merged into gen. */
  gc_link *young = &h->gens[gen];
  for (int g = 0; g < gen; g++) gc_list_merge(young, &h->gens[g]);

  /* Survivors go to the next generation (the oldest stays): the scan sets
   * their generation bits as it passes them. */
  unsigned to = gen < GC_NGENS - 1 ? (unsigned)gen + 1 : GC_NGENS - 1;
  gc_link unreachable;
  gc_list_init(&unreachable);
  int closed;
  rec->examined = gc_deduce_unreachable_(young, &unreachable, to,
                                         gen == GC_NGENS - 1, &closed);
  uint64_t untracked = gc_untrack_list_(
      h, young, st->untrack_tuples,
      gen == GC_NGENS - 1 && st->untrack_dicts);
  /* The long-lived counts take the survivors as deduce_unreachable left
   * them, before finalizers resurrect or allocate and before the garbage
   * is freed (3.13's gc_collect_main reads gc_list_size(young) there).
   * Without finalizers the unreachable set is exactly what is freed, so
   * only a heap with finalizable objects pays a pass to count it. */
  uint64_t unreachable_n =
      h->hot.has_finalizable ? gc_list_size(&unreachable) : 0;
  uint64_t ran = h->stats.finalizers_run;
  uint64_t revived = gc_finalize_garbage_(h, &unreachable, young);
  uint64_t freed = gc_free_garbage_(h, &unreachable, closed);
  if (!h->hot.has_finalizable) unreachable_n = freed;
  uint64_t survivors = rec->examined - unreachable_n - untracked;
  if (revived || h->stats.finalizers_run != ran)
    /* Resurrected or kept objects still have their old generation bits,
     * and a finalizer may have allocated into this very list. */
    set_gen(young, to);

  /* Promote the survivors. */
  if (gen < GC_NGENS - 1) {
    gc_list_merge(&h->gens[gen + 1], young);
    if (gen + 1 == GC_NGENS - 1) st->long_lived_pending += survivors;
    st->count[gen + 1]++;
  } else {
    st->long_lived_total = survivors;
    st->long_lived_pending = 0;
  }
  for (int g = 1; g <= gen; g++) st->count[g] = 0;
  arm(h);
}

/* CPython's collect_generations: the oldest generation whose count exceeds
 * its threshold, gen 0 being due because the trigger fired. */
static void gen_auto(gc_heap *h) {
  gen_state *st = h->state;
  if (h->alloc_since <= st->threshold[0]) {
    arm(h);
    return;
  }
  for (int g = GC_NGENS - 1; g > 0; g--) {
    if (st->count[g] <= st->threshold[g]) continue; /* CPython: count > threshold */
    if (g == GC_NGENS - 1 && st->longlived &&
        st->long_lived_pending < st->long_lived_total / 4)
      continue;
    gc_run_collection_(h, g, 1);
    return;
  }
  gc_run_collection_(h, 0, 1);
}

static void gen_validate(gc_heap *h, const char *where) {
  gc_validate_lists_(h, where, 1);
}

const gc_collector gc_collector_generational = {
    .name = "generational",
    .summary = "CPython-style: 3 generations, thresholds 2000/10/10, "
               "survivors promoted, long-lived rule",
    .tunables = gen_tunables,
    .ntunables = sizeof gen_tunables / sizeof gen_tunables[0],
    .state_size = sizeof(gen_state),
    .init = gen_init,
    .collect = gen_collect,
    .auto_collect = gen_auto,
    .validate = gen_validate,
};
