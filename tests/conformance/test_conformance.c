/*
 * test_conformance.c -- every case against every registered collector.
 *
 * The test array is built at run time: one entry per (case, collector),
 * named "case/collector", with the collector's name as the test's state.
 * A collector added to gc/registry.c gets every case without a change here.
 *
 * Every collection, explicit or automatic, is judged from a collect hook:
 *   - safety: what was reachable before is live afterwards, slots intact
 *     (gc_oracle_before / gc_oracle_after);
 *   - exact counts (GC_ORACLE_COUNTS), always;
 *   - completeness (GC_ORACLE_COMPLETE) after a collection that covered the
 *     whole heap (its record says GC_FULL), except under `none`, which must
 *     free nothing at all;
 *   - untracked objects hold untracked objects only (the oracle), and, in
 *     the cases about untracked objects, are never examined: a
 *     collection's record counts no more objects than were tracked when it
 *     began (trial deletion's count may exceed the live objects elsewhere:
 *     its path trials read some twice).
 * On top of that each case checks survivors against its own model: which
 * objects live, with which counts; under `none` the leak must be exactly
 * the garbage that reference counting cannot free (the cycles and what
 * they reach).
 *
 * All external references live in the root table, because the oracle
 * computes reachability and counts from it alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gc.h"
#include "oracle.h"
#include "rng.h"

#define BIG_RING 1000000u

/* ======================================================================
 * Heaps, with every collection judged by the oracle
 * ==================================================================== */

typedef struct judge {
  gc_oracle_snapshot *snap;
  int none;               /* the collector frees nothing */
  uint64_t collections;   /* collections seen by the hook */
  uint64_t full;          /* of those, whole-heap ones */
  uint64_t live_before;   /* live objects when the last one began */
  uint64_t tracked_before; /* of those, tracked */
  int check_examined;     /* examined <= tracked_before, each collection */
  void (*after)(gc_heap *h, void *arg); /* extra check after each one */
  void *after_arg;
} judge;

static int last_was_full(gc_heap *h) {
  size_t n;
  const gc_collection_record *r = gc_heap_records(h, &n);
  assert_true(n > 0);
  return r[n - 1].generation == GC_FULL;
}

static void judge_hook(gc_heap *h, int phase, int gen, void *arg) {
  judge *j = arg;
  (void)gen;
  if (phase == 0) {
    j->live_before = gc_heap_get_stats(h)->live_objects;
    j->tracked_before = j->live_before - gc_heap_get_stats(h)->live_untracked;
    j->snap = gc_oracle_before(h);
    assert_non_null(j->snap);
    return;
  }
  char err[512];
  gc_oracle_snapshot *snap = j->snap;
  j->snap = NULL;
  if (gc_oracle_after(h, snap, err, sizeof err) != 0)
    fail_msg("safety: %s", err);
  int full = last_was_full(h);
  size_t nrec;
  const gc_collection_record *rec = gc_heap_records(h, &nrec);
  if (j->check_examined && rec[nrec - 1].examined > j->tracked_before)
    fail_msg("a collection examined %llu objects, %llu were tracked",
             (unsigned long long)rec[nrec - 1].examined,
             (unsigned long long)j->tracked_before);
  int flags = GC_ORACLE_COUNTS;
  if (full && !j->none) flags |= GC_ORACLE_COMPLETE;
  gc_oracle_report rep;
  if (gc_oracle_check(h, flags, &rep) != 0)
    fail_msg("oracle after a collection of generation %d: %s", gen,
             rep.error);
  if (j->none)
    assert_int_equal(gc_heap_get_stats(h)->live_objects, j->live_before);
  j->collections++;
  j->full += full;
  if (j->after) j->after(h, j->after_arg);
}

static judge judges[1]; /* one heap at a time per test */

static gc_heap *judged_heap(const char *collector, const char *tunables) {
  char err[256];
  gc_heap *h = gc_heap_new(collector, tunables, err, sizeof err);
  if (!h)
    fail_msg("gc_heap_new(%s, %s): %s", collector, tunables ? tunables : "",
             err);
  judge *j = &judges[0];
  memset(j, 0, sizeof *j);
  j->none = strcmp(collector, "none") == 0;
  gc_set_collect_hook(h, judge_hook, j);
  return h;
}

/* A heap whose automatic collection runs often: the first of these
 * tunable sets the collector accepts (generational's, the threshold most
 * collectors have, then none). */
static gc_heap *auto_heap(const char *collector, unsigned threshold) {
  static const char *const forms[] = {
      "auto=1,threshold0=%u,threshold1=2,threshold2=2",
      "auto=1,threshold=%u,local=1", /* heapwalk: the count unbuffered */
      "auto=1,threshold=%u",
      "auto=1",
  };
  char tun[128];
  for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
    snprintf(tun, sizeof tun, forms[i], threshold);
    gc_heap *h = gc_heap_new(collector, tun, NULL, 0);
    if (h) {
      gc_heap_free(h);
      return judged_heap(collector, tun);
    }
  }
  fail_msg("no tunables accepted by %s", collector);
  return NULL;
}

static const gc_heap_stats *stats(gc_heap *h) { return gc_heap_get_stats(h); }
static int is_none(void **state) {
  return strcmp((const char *)*state, "none") == 0;
}

/* ======================================================================
 * Graphs given as edge lists, and what must survive them
 * ==================================================================== */

typedef struct edge {
  uint32_t from, slot, to;
} edge;

typedef struct graph {
  uint32_t n, nslots;
  const edge *e;
  size_t ne;
  const uint32_t *held; /* vertices kept in the root table (repeats count) */
  size_t nheld;
} graph;

/* The expected outcome: live[v] after reference counting alone (`rc`) and
 * after a full collection (`full`); reachable marks what the held
 * vertices reach. */
typedef struct expect {
  uint8_t *reach, *rc_live;
  uint64_t nreach, nrc_live;
} expect;

/* Reachability from the held vertices, then reference counting's peeling
 * of the garbage (Kahn's order: free a garbage vertex once no live vertex
 * holds it).  What is left of the garbage is what cycles keep. */
static void model_graph(const graph *g, int hold, expect *x) {
  uint32_t n = g->n;
  x->reach = test_calloc(n ? n : 1, 1);
  x->rc_live = test_calloc(n ? n : 1, 1);
  uint32_t *stack = test_malloc(sizeof(uint32_t) * (n + g->ne + g->nheld + 1));
  uint32_t *indeg = test_calloc(n ? n : 1, sizeof(uint32_t));
  /* adjacency by scanning the edge list: O(V*E) is fine at these sizes,
   * but the random graphs are large, so build offsets once. */
  uint32_t *off = test_calloc(n + 1, sizeof(uint32_t));
  uint32_t *adj = test_malloc(sizeof(uint32_t) * (g->ne + 1));
  for (size_t k = 0; k < g->ne; k++) off[g->e[k].from + 1]++;
  for (uint32_t v = 0; v < n; v++) off[v + 1] += off[v];
  uint32_t *fill = test_malloc(sizeof(uint32_t) * (n + 1));
  memcpy(fill, off, sizeof(uint32_t) * (n + 1));
  for (size_t k = 0; k < g->ne; k++) adj[fill[g->e[k].from]++] = g->e[k].to;
  test_free(fill);

  size_t sp = 0;
  x->nreach = 0;
  if (hold)
    for (size_t k = 0; k < g->nheld; k++)
      if (!x->reach[g->held[k]]) {
        x->reach[g->held[k]] = 1;
        stack[sp++] = g->held[k];
      }
  while (sp) {
    uint32_t v = stack[--sp];
    x->nreach++;
    for (uint32_t k = off[v]; k < off[v + 1]; k++)
      if (!x->reach[adj[k]]) {
        x->reach[adj[k]] = 1;
        stack[sp++] = adj[k];
      }
  }
  /* Garbage in-degrees from garbage vertices (reachable ones never hold
   * garbage). */
  for (size_t k = 0; k < g->ne; k++)
    if (!x->reach[g->e[k].from]) indeg[g->e[k].to]++;
  x->nrc_live = n;
  for (uint32_t v = 0; v < n; v++) {
    x->rc_live[v] = 1;
    if (!x->reach[v] && indeg[v] == 0) stack[sp++] = v;
  }
  while (sp) {
    uint32_t v = stack[--sp];
    x->rc_live[v] = 0;
    x->nrc_live--;
    for (uint32_t k = off[v]; k < off[v + 1]; k++)
      if (--indeg[adj[k]] == 0 && !x->reach[adj[k]]) stack[sp++] = adj[k];
  }
  test_free(stack);
  test_free(indeg);
  test_free(off);
  test_free(adj);
}

static void expect_free(expect *x) {
  test_free(x->reach);
  test_free(x->rc_live);
}

/* Each live vertex's count must be its slots from live vertices plus its
 * held entries. */
static void check_counts(const graph *g, gc_object **obj, const uint8_t *live,
                         int hold) {
  uint32_t *want = test_calloc(g->n ? g->n : 1, sizeof(uint32_t));
  for (size_t k = 0; k < g->ne; k++)
    if (live[g->e[k].from]) want[g->e[k].to]++;
  if (hold)
    for (size_t k = 0; k < g->nheld; k++) want[g->held[k]]++;
  for (uint32_t v = 0; v < g->n; v++)
    if (live[v] && obj[v]->refcnt != want[v])
      fail_msg("vertex %u: refcnt %u, expected %u", v, obj[v]->refcnt,
               want[v]);
  test_free(want);
}

/* Build g (every vertex first held by the root table), drop all but the
 * held vertices, collect partially then fully; then drop the rest.  Checks
 * survivors and counts at each step. */
static void run_graph(void **state, const graph *g, gc_heap *h) {
  const int none = is_none(state);
  gc_object **obj = test_malloc(sizeof(gc_object *) * (g->n ? g->n : 1));
  uint64_t base = stats(h)->live_objects;
  for (uint32_t v = 0; v < g->n; v++) {
    obj[v] = gc_new(h, g->nslots, v % 5 * 8);
    assert_non_null(obj[v]);
    assert_int_equal(gc_root_push_steal(h, obj[v]), v);
  }
  for (size_t k = 0; k < g->ne; k++)
    assert_int_equal(gc_slot_set(h, obj[g->e[k].from], g->e[k].slot,
                                 obj[g->e[k].to]),
                     GC_OK);
  for (size_t k = 0; k < g->nheld; k++)
    assert_true(gc_root_push(h, obj[g->held[k]]) >= 0);

  /* Everything is held: nothing may go. */
  gc_collect(h, GC_FULL);
  assert_int_equal(stats(h)->live_objects, base + g->n);

  expect x;
  model_graph(g, 1, &x);
  for (uint32_t v = 0; v < g->n; v++) gc_root_set(h, v, NULL);
  /* Reference counting has freed the acyclic garbage, and only that (an
   * automatic collection may have run meanwhile only if auto is on, and
   * allocation is what triggers it: there was none). */
  assert_int_equal(stats(h)->live_objects, base + x.nrc_live);
  check_counts(g, obj, x.rc_live, 1);

  /* Partial collections: safe (the hook), never below what is reachable,
   * never above what reference counting left. */
  for (int gen = 0; gen < GC_NGENS - 1; gen++) {
    gc_collect(h, gen);
    uint64_t live = stats(h)->live_objects - base;
    assert_true(live >= x.nreach);
    assert_true(live <= x.nrc_live);
    if (none) assert_int_equal(live, x.nrc_live);
  }
  gc_collect(h, GC_FULL);
  if (none) {
    assert_int_equal(stats(h)->live_objects, base + x.nrc_live);
    check_counts(g, obj, x.rc_live, 1);
    gc_oracle_report rep;
    assert_int_equal(gc_oracle_check(h, GC_ORACLE_COUNTS, &rep), 0);
    /* Exactly the cycles and what they hold are leaked. */
    assert_int_equal(rep.unreachable, x.nrc_live - x.nreach);
  } else {
    assert_int_equal(stats(h)->live_objects, base + x.nreach);
    check_counts(g, obj, x.reach, 1);
  }
  expect_free(&x);

  /* Drop the held entries too: everything goes (or leaks exactly). */
  expect y;
  model_graph(g, 0, &y);
  gc_root_truncate(h, g->n);
  gc_collect(h, GC_FULL);
  if (none) {
    /* What the first drop leaked stays leaked; the rest follows the model
     * of the whole graph without holds. */
    assert_int_equal(stats(h)->live_objects - base, y.nrc_live);
  } else {
    assert_int_equal(stats(h)->live_objects, base);
  }
  expect_free(&y);
  gc_root_truncate(h, 0);
  test_free(obj);
}

#define ARRAY(a) (a), (sizeof(a) / sizeof((a)[0]))

static void run_named(void **state, const graph *g) {
  gc_heap *h = judged_heap(*state, "auto=0");
  run_graph(state, g, h);
  gc_heap_free(h);
  /* And again with the automatic collector running often. */
  h = auto_heap(*state, 3);
  run_graph(state, g, h);
  gc_heap_free(h);
}

/* ======================================================================
 * Hand-made cases
 * ==================================================================== */

/* The seed: my_var -> A, A.b -> B, B.a -> A. */
static void test_pair(void **state) {
  gc_heap *h = judged_heap(*state, "auto=0");
  gc_object *a = gc_new(h, 1, 0), *b = gc_new(h, 1, 0);
  assert_int_equal(gc_root_push_steal(h, a), 0); /* my_var */
  gc_slot_steal(h, a, 0, b);
  gc_slot_set(h, b, 0, a);
  assert_int_equal(a->refcnt, 2);
  assert_int_equal(b->refcnt, 1);
  assert_int_equal(gc_collect(h, GC_FULL), 0);
  assert_int_equal(a->refcnt, 2);
  assert_int_equal(b->refcnt, 1);
  assert_int_equal(stats(h)->live_objects, 2);

  gc_root_set(h, 0, NULL); /* del my_var */
  assert_int_equal(a->refcnt, 1);
  assert_int_equal(b->refcnt, 1);
  assert_int_equal(stats(h)->live_objects, 2);
  assert_int_equal(stats(h)->freed_by_rc, 0);

  uint64_t freed = gc_collect(h, GC_FULL);
  if (is_none(state)) {
    assert_int_equal(freed, 0);
    assert_int_equal(stats(h)->live_objects, 2);
    assert_int_equal(a->refcnt, 1);
    assert_int_equal(b->refcnt, 1);
    gc_oracle_report rep;
    assert_int_equal(gc_oracle_check(h, GC_ORACLE_COUNTS, &rep), 0);
    assert_int_equal(rep.unreachable, 2);
    /* The oracle notices the leak when asked for completeness. */
    assert_int_equal(
        gc_oracle_check(h, GC_ORACLE_COUNTS | GC_ORACLE_COMPLETE, &rep), -1);
  } else {
    assert_int_equal(freed, 2);
    assert_int_equal(stats(h)->live_objects, 0);
    assert_int_equal(stats(h)->live_bytes, 0);
    assert_int_equal(stats(h)->freed_by_collector, 2);
  }
  assert_int_equal(judges[0].collections, 2);
  gc_heap_free(h);
}

static const edge self_edges[] = {{0, 0, 0}};
static const uint32_t hold0[] = {0};
static void test_self_loop(void **state) {
  graph g = {1, 2, ARRAY(self_edges), NULL, 0};
  run_named(state, &g);
  graph held = {1, 2, ARRAY(self_edges), ARRAY(hold0)};
  run_named(state, &held);
}

/* 0 -> 1 -> ... -> 9 -> 0 on slot 0. */
static const edge ring10[] = {{0, 0, 1}, {1, 0, 2}, {2, 0, 3}, {3, 0, 4},
                              {4, 0, 5}, {5, 0, 6}, {6, 0, 7}, {7, 0, 8},
                              {8, 0, 9}, {9, 0, 0}};
static const uint32_t hold5[] = {5};
static void test_ring_held_inside(void **state) {
  graph g = {10, 2, ARRAY(ring10), ARRAY(hold5)};
  run_named(state, &g);
  graph garbage = {10, 1, ARRAY(ring10), NULL, 0};
  run_named(state, &garbage);
}

/* A garbage ring 0..4 whose members all hold live 5 (5 -> 6). */
static const edge ring_into_live[] = {
    {0, 0, 1}, {1, 0, 2}, {2, 0, 3}, {3, 0, 4}, {4, 0, 0}, {0, 1, 5},
    {1, 1, 5}, {2, 1, 5}, {3, 1, 5}, {4, 1, 5}, {5, 0, 6}, {4, 2, 6}};
static void test_garbage_ring_into_live(void **state) {
  graph g = {7, 3, ARRAY(ring_into_live), ARRAY(hold5)};
  run_named(state, &g);
}

/* Live 10 holds ring member 3. */
static const edge live_into_ring[] = {
    {0, 0, 1}, {1, 0, 2}, {2, 0, 3}, {3, 0, 4}, {4, 0, 5}, {5, 0, 6},
    {6, 0, 7}, {7, 0, 8}, {8, 0, 9}, {9, 0, 0}, {10, 0, 3}};
static const uint32_t hold10[] = {10};
static void test_live_into_ring(void **state) {
  graph g = {11, 1, ARRAY(live_into_ring), ARRAY(hold10)};
  run_named(state, &g);
}

/* A ring 0..9 with a subring 0 -> 2 -> 4 -> 0 on slot 1 (nested), and a
 * figure eight: ring 10..13 and ring 13..16 sharing 13 (overlapping), and
 * a duplicate edge 14 -> 15 on both slots. */
static const edge nested[] = {
    {0, 0, 1},   {1, 0, 2},   {2, 0, 3},   {3, 0, 4},   {4, 0, 5},
    {5, 0, 6},   {6, 0, 7},   {7, 0, 8},   {8, 0, 9},   {9, 0, 0},
    {0, 1, 2},   {2, 1, 4},   {4, 1, 0},   {10, 0, 11}, {11, 0, 12},
    {12, 0, 13}, {13, 0, 10}, {13, 1, 14}, {14, 0, 15}, {14, 1, 15},
    {15, 0, 16}, {16, 0, 13}};
static const uint32_t hold_nested[] = {4, 15, 15};
static void test_nested_overlapping(void **state) {
  graph g = {17, 2, ARRAY(nested), NULL, 0};
  run_named(state, &g);
  graph held = {17, 2, ARRAY(nested), ARRAY(hold_nested)};
  run_named(state, &held);
  graph one = {17, 2, ARRAY(nested), ARRAY(hold10)};
  run_named(state, &one);
}

/* Ring 0..4; a tail 4 -> 5 -> 6 -> 7 hanging off it; a tail 8 -> 9 -> 10
 * -> 0 hanging into it. */
static const edge tails[] = {{0, 0, 1}, {1, 0, 2}, {2, 0, 3}, {3, 0, 4},
                             {4, 0, 0}, {4, 1, 5}, {5, 0, 6}, {6, 0, 7},
                             {8, 0, 9}, {9, 0, 10}, {10, 0, 0}};
static const uint32_t hold6[] = {6};
static const uint32_t hold9[] = {9};
static void test_tails(void **state) {
  graph g = {11, 2, ARRAY(tails), NULL, 0};
  run_named(state, &g);
  graph a = {11, 2, ARRAY(tails), ARRAY(hold6)};
  run_named(state, &a);
  graph b = {11, 2, ARRAY(tails), ARRAY(hold9)};
  run_named(state, &b);
}

/* Two rings, the first holding the second one-way; then a chain of rings
 * each holding the next. */
static const edge linked[] = {{0, 0, 1}, {1, 0, 2}, {2, 0, 0}, {2, 1, 3},
                              {3, 0, 4}, {4, 0, 5}, {5, 0, 3}, {5, 1, 6},
                              {6, 0, 6}, {6, 1, 7}, {7, 0, 8}};
static const uint32_t hold4[] = {4};
static void test_linked_rings(void **state) {
  graph g = {9, 2, ARRAY(linked), ARRAY(hold4)};
  run_named(state, &g);
  graph all = {9, 2, ARRAY(linked), NULL, 0};
  run_named(state, &all);
}

/* No cycle at all: reference counting frees it, a collection finds
 * nothing. */
static const edge dag[] = {{0, 0, 1}, {0, 1, 2}, {1, 0, 3}, {2, 0, 3},
                           {3, 0, 4}, {3, 1, 4}};
static void test_acyclic(void **state) {
  graph g = {5, 2, ARRAY(dag), NULL, 0};
  gc_heap *h = judged_heap(*state, "auto=0");
  run_graph(state, &g, h);
  assert_int_equal(stats(h)->freed_by_collector, 0);
  assert_int_equal(stats(h)->freed_by_rc, 5);
  gc_heap_free(h);
}

/* ======================================================================
 * Generations, automatic collection, size
 * ==================================================================== */

/* A cycle made of objects that survived several collections (promoted to
 * the oldest generation under generational), then dropped: partial
 * collections may keep it, a full one must not. */
static void test_cycle_of_old_objects(void **state) {
  gc_heap *h = judged_heap(*state, "auto=0");
  enum { N = 6 };
  gc_object *o[N];
  for (int i = 0; i < N; i++) {
    o[i] = gc_new(h, 1, 0);
    assert_int_equal(gc_root_push_steal(h, o[i]), i);
  }
  for (int r = 0; r < 3; r++) {
    gc_collect(h, 0);
    gc_collect(h, 1);
  }
  if (strcmp(*state, "generational") == 0)
    for (int i = 0; i < N; i++) assert_int_equal(gc_get_gen(o[i]), 2);
  /* Fresh young objects hang off the old ring, so a young collection has
   * old-to-young references to respect. */
  for (int i = 0; i < N; i++) gc_slot_set(h, o[i], 0, o[(i + 1) % N]);
  gc_object *young = gc_new(h, 1, 0);
  assert_int_equal(gc_root_push_steal(h, young), N);
  gc_slot_set(h, young, 0, o[0]);
  for (int i = 0; i < N; i++) gc_root_set(h, i, NULL);
  assert_int_equal(stats(h)->live_objects, N + 1);
  gc_collect(h, 0); /* the young object still holds the ring */
  gc_collect(h, 1);
  assert_int_equal(stats(h)->live_objects, N + 1);
  assert_int_equal(o[0]->refcnt, 2);
  gc_root_set(h, N, NULL); /* young freed by rc; the ring is garbage */
  assert_int_equal(stats(h)->live_objects, N);
  gc_collect(h, 0);
  gc_collect(h, 1);
  uint64_t live = stats(h)->live_objects;
  assert_true(live == 0 || live == N);
  gc_collect(h, GC_FULL);
  assert_int_equal(stats(h)->live_objects, is_none(state) ? N : 0);
  gc_heap_free(h);
}

/* A list whose slots all hold one object lets a collection read only its
 * first slot in the passes after the first (gc_object.one_target).  The
 * note must be taken afresh by every collection: here the list is uniform
 * for one collection, then a slot in the middle becomes the only way to a
 * cycle, which each later collection (young, middle, full) must keep. */
static void collect_each_way(gc_heap *h, gc_object *list) {
  gc_incref(list); /* a decrement to a count above zero: trial's candidate */
  gc_decref(h, list);
  gc_collect(h, 0);
  gc_collect(h, 1);
  gc_incref(list);
  gc_decref(h, list);
  gc_collect(h, GC_FULL);
}

static void test_one_target(void **state) {
  gc_heap *h = judged_heap(*state, "auto=0");
  enum { W = 16 };
  gc_object *list = gc_new(h, W, 0), *a = gc_new(h, 1, 0);
  assert_int_equal(gc_root_push_steal(h, list), 0);
  gc_slot_set(h, a, 0, list); /* list <-> a */
  for (uint32_t i = 0; i < W; i++) gc_slot_set(h, list, i, a);
  gc_decref(h, a);
  collect_each_way(h, list);
  assert_int_equal(stats(h)->live_objects, 2);
  assert_int_equal(a->refcnt, W);
  /* c <-> d, held only by slot 7 of the list. */
  gc_object *c = gc_new(h, 1, 0), *d = gc_new(h, 1, 0);
  gc_slot_set(h, c, 0, d);
  gc_slot_set(h, d, 0, c);
  gc_slot_set(h, list, 7, c);
  gc_decref(h, c);
  gc_decref(h, d);
  collect_each_way(h, list);
  assert_int_equal(stats(h)->live_objects, 4);
  assert_int_equal(c->refcnt, 2);
  assert_int_equal(d->refcnt, 1);
  /* The last slot instead: a run that ends one slot early. */
  gc_slot_set(h, list, W - 1, c);
  gc_slot_set(h, list, 7, a);
  collect_each_way(h, list);
  assert_int_equal(stats(h)->live_objects, 4);
  assert_int_equal(c->refcnt, 2);
  /* Uniform again: c <-> d is garbage. */
  gc_slot_set(h, list, W - 1, a);
  collect_each_way(h, list);
  assert_int_equal(stats(h)->live_objects, is_none(state) ? 4 : 2);
  assert_int_equal(a->refcnt, W);
  gc_root_set(h, 0, NULL); /* list <-> a is garbage */
  gc_collect(h, GC_FULL);
  assert_int_equal(stats(h)->live_objects, is_none(state) ? 4 : 0);
  gc_heap_free(h);
}

/* The last external reference of a cycle goes while an automatic
 * collection is due: the next allocation runs it, with the cycle already
 * garbage; the new object must come out alive with count 1. */
static void test_drop_while_collection_due(void **state) {
  for (unsigned threshold = 1; threshold <= 4; threshold++) {
    gc_heap *h = auto_heap(*state, threshold);
    uint64_t held = 0;
    for (int round = 0; round < 50; round++) {
      gc_object *a = gc_new(h, 2, 0);
      assert_non_null(a);
      long ia = gc_root_push_steal(h, a);
      gc_object *b = gc_new(h, 2, 0); /* may collect: a is held */
      gc_slot_steal(h, a, 0, b);
      gc_slot_set(h, b, 0, a);
      gc_slot_set(h, b, 1, b);
      if (round % 3 == 0) {
        held++; /* keep some: they must survive everything */
        continue;
      }
      gc_root_set(h, (size_t)ia, NULL); /* now garbage, collection due */
      gc_object *c = gc_new(h, 0, 0);
      assert_non_null(c);
      assert_int_equal(c->refcnt, 1);
      assert_int_equal(gc_root_push_steal(h, c), ia + 1);
    }
    gc_collect(h, GC_FULL);
    uint64_t live = stats(h)->live_objects;
    /* held pairs, plus one c per dropped round; under none every dropped
     * pair leaks as well. */
    uint64_t dropped = 50 - held;
    assert_int_equal(live, 2 * held + dropped +
                               (is_none(state) ? 2 * dropped : 0));
    if (!is_none(state)) assert_true(judges[0].collections > 1);
    gc_heap_free(h);
  }
}

static void test_big_ring(void **state) {
  gc_heap *h = judged_heap(*state, "auto=0");
  gc_object *first = gc_new(h, 1, 0), *prev = first;
  assert_int_equal(gc_root_push_steal(h, first), 0);
  for (uint32_t i = 1; i < BIG_RING; i++) {
    gc_object *o = gc_new(h, 1, 0);
    assert_non_null(o);
    gc_slot_steal(h, prev, 0, o);
    prev = o;
  }
  gc_slot_set(h, prev, 0, first);
  assert_int_equal(gc_collect(h, GC_FULL), 0);
  assert_int_equal(stats(h)->live_objects, BIG_RING);
  assert_int_equal(first->refcnt, 2);
  gc_root_set(h, 0, NULL);
  uint64_t freed = gc_collect(h, GC_FULL);
  if (is_none(state)) {
    assert_int_equal(freed, 0);
    assert_int_equal(stats(h)->live_objects, BIG_RING);
  } else {
    assert_int_equal(freed, BIG_RING);
    assert_int_equal(stats(h)->live_objects, 0);
  }
  gc_heap_free(h);
}

/* ======================================================================
 * Random graphs
 * ==================================================================== */

static void random_graph(void **state, uint64_t seed, uint32_t n,
                         uint32_t degree, double null_p, double held_p,
                         int automatic) {
  wl_rng r;
  wl_rng_seed(&r, seed);
  edge *e = test_malloc(sizeof(edge) * n * degree);
  size_t ne = 0;
  for (uint32_t v = 0; v < n; v++)
    for (uint32_t s = 0; s < degree; s++)
      if (wl_rng_unit(&r) >= null_p)
        e[ne++] = (edge){v, s, (uint32_t)wl_rng_below(&r, n)};
  uint32_t *held = test_malloc(sizeof(uint32_t) * (n + 1));
  size_t nheld = 0;
  for (uint32_t v = 0; v < n; v++)
    if (wl_rng_unit(&r) < held_p) held[nheld++] = v;
  graph g = {n, degree, e, ne, held, nheld};
  gc_heap *h = automatic ? auto_heap(*state, 7) : judged_heap(*state, "auto=0");
  run_graph(state, &g, h);
  gc_heap_free(h);
  test_free(e);
  test_free(held);
}

static void test_random_graphs(void **state) {
  static const uint32_t degrees[] = {1, 2, 3, 6};
  for (uint64_t seed = 1; seed <= 6; seed++)
    for (size_t d = 0; d < 4; d++) {
      random_graph(state, seed * 31 + d, 400, degrees[d], 0.25, 0.03,
                   (int)(seed & 1));
      /* sparse holds, many cycles */
      random_graph(state, seed * 97 + d, 1000, degrees[d], 0.1, 0.005,
                   (int)!(seed & 1));
    }
}

/* ======================================================================
 * Random mutation sequences against a model of the heap
 * ==================================================================== */

#define MSLOTS 4

typedef struct mobj {
  gc_object *p;
  int32_t slot[MSLOTS];
  uint32_t nslots;
  uint32_t rc;
  int alive;
} mobj;

typedef struct model {
  gc_heap *h;
  int none;
  mobj *o;
  size_t n, cap;
  int32_t *roots; /* mirrors the root table: object ids, -1 for NULL */
  size_t nroots, roots_cap;
  uint64_t live;
  int32_t *stack;
  size_t stack_cap;
} model;

static void m_push_stack(model *m, size_t *sp, int32_t id) {
  if (*sp == m->stack_cap) {
    m->stack_cap = m->stack_cap ? m->stack_cap * 2 : 256;
    m->stack = realloc(m->stack, m->stack_cap * sizeof *m->stack);
    assert_non_null(m->stack);
  }
  m->stack[(*sp)++] = id;
}

/* The model's reference counting: an iterative release. */
static void m_dec(model *m, int32_t id) {
  if (id < 0) return;
  size_t sp = 0;
  assert_true(m->o[id].alive && m->o[id].rc > 0);
  if (--m->o[id].rc) return;
  m_push_stack(m, &sp, id);
  while (sp) {
    mobj *x = &m->o[m->stack[--sp]];
    x->alive = 0;
    m->live--;
    for (uint32_t i = 0; i < x->nslots; i++) {
      int32_t t = x->slot[i];
      if (t >= 0 && --m->o[t].rc == 0) m_push_stack(m, &sp, t);
    }
  }
}

static int cmp_ptr(const void *a, const void *b) {
  uintptr_t x = (uintptr_t)*(gc_object *const *)a;
  uintptr_t y = (uintptr_t)*(gc_object *const *)b;
  return x < y ? -1 : x > y;
}

typedef struct ptrs {
  gc_object **p;
  size_t n, cap;
} ptrs;

static void collect_ptr(gc_object *o, void *arg) {
  ptrs *v = arg;
  if (v->n == v->cap) {
    v->cap = v->cap ? v->cap * 2 : 256;
    v->p = realloc(v->p, v->cap * sizeof *v->p);
    assert_non_null(v->p);
  }
  v->p[v->n++] = o;
}

/* After every collection: learn from the heap which objects it freed, then
 * check the model's counts against the heap's for every survivor, and
 * that a whole-heap collection left exactly the reachable objects. */
static void m_sync(gc_heap *h, void *arg) {
  model *m = arg;
  ptrs v = {0};
  gc_heap_foreach(h, collect_ptr, &v);
  if (v.n) qsort(v.p, v.n, sizeof *v.p, cmp_ptr);
  assert_int_equal(v.n, stats(h)->live_objects);
  uint64_t died = 0;
  for (size_t i = 0; i < m->n; i++) {
    if (!m->o[i].alive) continue;
    if (!v.n || !bsearch(&m->o[i].p, v.p, v.n, sizeof *v.p, cmp_ptr)) {
      m->o[i].alive = 0;
      m->live--;
      died++;
    }
  }
  free(v.p);
  if (m->none) assert_int_equal(died, 0);
  assert_int_equal(m->live, stats(h)->live_objects);
  /* Recount from scratch: root entries and slots of survivors. */
  for (size_t i = 0; i < m->n; i++) m->o[i].rc = 0;
  for (size_t r = 0; r < m->nroots; r++)
    if (m->roots[r] >= 0) {
      assert_true(m->o[m->roots[r]].alive);
      m->o[m->roots[r]].rc++;
    }
  for (size_t i = 0; i < m->n; i++) {
    mobj *x = &m->o[i];
    if (!x->alive) continue;
    for (uint32_t s = 0; s < x->nslots; s++)
      if (x->slot[s] >= 0) {
        if (!m->o[x->slot[s]].alive)
          fail_msg("a survivor's slot points to a freed object");
        m->o[x->slot[s]].rc++;
      }
  }
  for (size_t i = 0; i < m->n; i++)
    if (m->o[i].alive && m->o[i].p->refcnt != m->o[i].rc)
      fail_msg("object %zu: refcnt %u, model %u", i, m->o[i].p->refcnt,
               m->o[i].rc);
  if (!m->none && last_was_full(h)) {
    /* Reachable from the model's roots: must be all that is alive. */
    uint8_t *seen = calloc(m->n + 1, 1);
    size_t sp = 0;
    uint64_t nreach = 0;
    for (size_t r = 0; r < m->nroots; r++)
      if (m->roots[r] >= 0 && !seen[m->roots[r]]) {
        seen[m->roots[r]] = 1;
        m_push_stack(m, &sp, m->roots[r]);
      }
    while (sp) {
      mobj *x = &m->o[m->stack[--sp]];
      nreach++;
      for (uint32_t s = 0; s < x->nslots; s++)
        if (x->slot[s] >= 0 && !seen[x->slot[s]]) {
          seen[x->slot[s]] = 1;
          m_push_stack(m, &sp, x->slot[s]);
        }
    }
    free(seen);
    assert_int_equal(nreach, m->live);
  }
}

static int32_t m_alloc(model *m, uint32_t nslots, uint32_t payload) {
  gc_object *p = gc_new(m->h, nslots, payload); /* may collect: m_sync */
  assert_non_null(p);
  if (m->n == m->cap) {
    m->cap = m->cap ? m->cap * 2 : 1024;
    m->o = realloc(m->o, m->cap * sizeof *m->o);
    assert_non_null(m->o);
  }
  int32_t id = (int32_t)m->n++;
  mobj *x = &m->o[id];
  x->p = p;
  x->nslots = nslots;
  x->rc = 1;
  x->alive = 1;
  for (int i = 0; i < MSLOTS; i++) x->slot[i] = -1;
  m->live++;
  if (m->nroots == m->roots_cap) {
    m->roots_cap = m->roots_cap ? m->roots_cap * 2 : 64;
    m->roots = realloc(m->roots, m->roots_cap * sizeof *m->roots);
    assert_non_null(m->roots);
  }
  assert_int_equal(gc_root_push_steal(m->h, p), (long)m->nroots);
  m->roots[m->nroots++] = id;
  return id;
}

static void m_store(model *m, int32_t src, uint32_t i, int32_t dst) {
  mobj *x = &m->o[src];
  assert_int_equal(gc_slot_set(m->h, x->p, i, dst >= 0 ? m->o[dst].p : NULL),
                   GC_OK);
  if (dst >= 0) m->o[dst].rc++;
  int32_t old = x->slot[i];
  x->slot[i] = dst;
  m_dec(m, old);
}

static void m_root_set(model *m, size_t r, int32_t dst) {
  assert_int_equal(gc_root_set(m->h, r, dst >= 0 ? m->o[dst].p : NULL),
                   GC_OK);
  if (dst >= 0) m->o[dst].rc++;
  int32_t old = m->roots[r];
  m->roots[r] = dst;
  m_dec(m, old);
}

static void m_root_pop(model *m) {
  gc_root_truncate(m->h, m->nroots - 1);
  m_dec(m, m->roots[--m->nroots]);
}

/* A live object: a random root entry, then a short random walk. */
static int32_t m_pick(model *m, wl_rng *r) {
  if (m->nroots == 0) return -1;
  int32_t id = m->roots[wl_rng_below(r, m->nroots)];
  if (id < 0) return -1;
  int steps = (int)wl_rng_below(r, 4);
  for (int k = 0; k < steps; k++) {
    mobj *x = &m->o[id];
    if (!x->nslots) break;
    int32_t t = x->slot[wl_rng_below(r, x->nslots)];
    if (t < 0) break;
    id = t;
  }
  return id;
}

static void mutate(void **state, uint64_t seed, int automatic, int steps) {
  model m = {0};
  m.h = automatic ? auto_heap(*state, 5 + (unsigned)(seed % 7))
                  : judged_heap(*state, "auto=0");
  m.none = is_none(state);
  judges[0].after = m_sync;
  judges[0].after_arg = &m;
  wl_rng r;
  wl_rng_seed(&r, seed);
  for (int step = 0; step < steps; step++) {
    uint64_t op = wl_rng_below(&r, 100);
    if (op < 25 || m.nroots < 4) {
      m_alloc(&m, (uint32_t)wl_rng_below(&r, MSLOTS + 1),
              (uint32_t)wl_rng_below(&r, 3) * 8);
    } else if (op < 60) { /* store an edge, often back into the graph */
      int32_t src = m_pick(&m, &r);
      if (src < 0 || m.o[src].nslots == 0) continue;
      int32_t dst = wl_rng_below(&r, 10) == 0 ? -1 : m_pick(&m, &r);
      m_store(&m, src, (uint32_t)wl_rng_below(&r, m.o[src].nslots), dst);
    } else if (op < 70) { /* clear a slot */
      int32_t src = m_pick(&m, &r);
      if (src < 0 || m.o[src].nslots == 0) continue;
      m_store(&m, src, (uint32_t)wl_rng_below(&r, m.o[src].nslots), -1);
    } else if (op < 82) { /* drop a handle */
      if (wl_rng_below(&r, 2))
        m_root_pop(&m);
      else
        m_root_set(&m, wl_rng_below(&r, m.nroots), -1);
    } else if (op < 90) { /* move a handle elsewhere */
      m_root_set(&m, wl_rng_below(&r, m.nroots), m_pick(&m, &r));
    } else if (op < 94) { /* a second handle to something */
      int32_t id = m_pick(&m, &r);
      if (id < 0) continue;
      if (m.nroots == m.roots_cap) {
        m.roots_cap *= 2;
        m.roots = realloc(m.roots, m.roots_cap * sizeof *m.roots);
      }
      assert_true(gc_root_push(m.h, m.o[id].p) >= 0);
      m.roots[m.nroots++] = id;
      m.o[id].rc++;
    } else { /* collect */
      static const int gens[] = {0, 1, 2, GC_FULL};
      uint64_t before = judges[0].collections;
      gc_collect(m.h, gens[wl_rng_below(&r, 4)]);
      assert_int_equal(judges[0].collections, before + 1);
    }
    /* Reference counting frees exactly what the model says. */
    if (m.live != stats(m.h)->live_objects)
      fail_msg("seed %llu step %d: live %llu, model %llu",
               (unsigned long long)seed, step,
               (unsigned long long)stats(m.h)->live_objects,
               (unsigned long long)m.live);
    /* Keep the root table from growing without bound. */
    while (m.nroots > 48) m_root_pop(&m);
  }
  gc_collect(m.h, GC_FULL);
  while (m.nroots) m_root_pop(&m);
  assert_int_equal(m.live, stats(m.h)->live_objects);
  gc_collect(m.h, GC_FULL);
  if (!m.none) assert_int_equal(stats(m.h)->live_objects, 0);
  judges[0].after = NULL;
  gc_heap_free(m.h);
  free(m.o);
  free(m.roots);
  free(m.stack);
}

static void test_random_mutations(void **state) {
  for (uint64_t seed = 1; seed <= 8; seed++) {
    mutate(state, seed, 0, 3000);
    mutate(state, seed + 1000, 1, 3000);
  }
}


/* ======================================================================
 * Untracked objects
 * ==================================================================== */

static gc_object *new_atom(gc_heap *h, uint32_t nslots) {
  gc_object *o = gc_new_ex(h, nslots, 8, GC_NEW_UNTRACKED);
  assert_non_null(o);
  assert_false(gc_is_tracked(o));
  return o;
}

/* A garbage ring A <-> B holds an untracked leaf X, which holds another,
 * Y: the collection frees the ring and, through the references it drops,
 * the leaves, without ever examining them. */
static void untracked_leaf(void **state, gc_heap *h) {
  gc_object *a = gc_new(h, 2, 0), *b = gc_new(h, 1, 0);
  gc_object *x = new_atom(h, 1), *y = new_atom(h, 0);
  assert_int_equal(gc_root_push_steal(h, a), 0);
  gc_slot_steal(h, a, 0, b);
  gc_slot_set(h, b, 0, a);
  gc_slot_steal(h, x, 0, y);
  gc_slot_steal(h, a, 1, x);
  assert_false(gc_is_tracked(x)); /* an atom holding an atom stays so */
  assert_int_equal(stats(h)->live_untracked, 2);
  gc_collect(h, GC_FULL);
  assert_int_equal(stats(h)->live_objects, 4);
  gc_root_set(h, 0, NULL);
  gc_collect(h, GC_FULL);
  if (is_none(state)) {
    assert_int_equal(stats(h)->live_objects, 4);
  } else {
    assert_int_equal(stats(h)->live_objects, 0);
    assert_int_equal(stats(h)->live_untracked, 0);
  }
}

static void test_untracked_leaf(void **state) {
  gc_heap *h = judged_heap(*state, "auto=0");
  judges[0].check_examined = 1;
  untracked_leaf(state, h);
  gc_heap_free(h);
}

/* A live ring T0 <-> T1, T0 holding 50 untracked atoms (each holding one
 * more): a collection examines at most the 2 tracked objects, whatever it
 * is.  The judge checks every collection so; this case makes the
 * untracked objects outnumber the tracked ones 50 to 1. */
static void test_untracked_not_examined(void **state) {
  gc_heap *h = judged_heap(*state, "auto=0");
  judges[0].check_examined = 1;
  gc_object *t0 = gc_new(h, 51, 0), *t1 = gc_new(h, 1, 0);
  assert_int_equal(gc_root_push_steal(h, t0), 0);
  for (uint32_t i = 0; i < 50; i++) {
    gc_object *x = new_atom(h, 1);
    gc_slot_steal(h, x, 0, new_atom(h, 0));
    gc_slot_steal(h, t0, i, x);
  }
  gc_slot_steal(h, t0, 50, t1);
  gc_slot_set(h, t1, 0, t0);
  /* T0 becomes a possible root (a decrement to 1), and so do atoms. */
  assert_true(gc_root_push(h, t0) >= 0);
  gc_root_truncate(h, 1);
  for (uint32_t i = 0; i < 50; i++) {
    gc_object *x = gc_slot_get(t0, i);
    gc_incref(x);
    gc_decref(h, x);
  }
  /* Generation 1 first: an increment that marks from the roots. */
  static const int gens[] = {1, 0, 1, 2, GC_FULL};
  for (size_t i = 0; i < sizeof gens / sizeof gens[0]; i++)
    gc_collect(h, gens[i]);
  size_t n;
  const gc_collection_record *r = gc_heap_records(h, &n);
  for (size_t i = 0; i < n; i++) assert_true(r[i].examined <= 2);
  assert_int_equal(stats(h)->objects_examined <= 2 * n, 1);
  assert_int_equal(stats(h)->live_objects, 102);
  assert_int_equal(stats(h)->live_untracked, 100);
  gc_heap_free(h);
}

/* Untracked objects are never buffered.  "Every vertex buffered once"
 * offers the tracked objects only (none at all without a root buffer).
 * Under a root-buffering collector whose buffer triggers a collection at
 * its first root, 100 decrements of untracked objects start no
 * collection, and one decrement of a tracked object does (so the test sees
 * buffering when it happens). */
static void test_untracked_never_buffered(void **state) {
  int buffers = gc_collector_has_root_buffer(*state);
  gc_heap *h = judged_heap(*state, buffers ? "threshold=1,adaptive=0"
                                           : "auto=0");
  judges[0].check_examined = 1;
  gc_object *x = new_atom(h, 0);
  assert_int_equal(gc_root_push_steal(h, x), 0);
  gc_object *t = gc_new(h, 1, 0);
  gc_slot_set(h, t, 0, x);
  assert_int_equal(gc_root_push_steal(h, t), 1);
  assert_int_equal(gc_heap_buffer_all(h), buffers ? 1 : 0);
  gc_collect(h, GC_FULL);
  gc_root_set(h, 1, NULL);
  if (!buffers) {
    gc_heap_free(h);
    return;
  }
  uint64_t collections = judges[0].collections;
  for (int i = 0; i < 100; i++) {
    gc_incref(x);
    gc_decref(h, x);
    gc_decref(h, gc_new(h, 0, 0)); /* the safe point */
  }
  gc_object *a = gc_new(h, 1, 0);
  assert_int_equal(gc_root_push_steal(h, a), 2);
  gc_slot_set(h, a, 0, x); /* a tracked holder may hold it */
  gc_slot_set(h, a, 0, NULL); /* x's decrement to 1: still nothing */
  gc_decref(h, gc_new(h, 0, 0));
  assert_int_equal(judges[0].collections, collections);
  assert_true(gc_root_push(h, a) >= 0);
  gc_root_truncate(h, 3); /* a tracked object's decrement to 1 */
  gc_decref(h, gc_new(h, 0, 0));
  assert_int_equal(judges[0].collections, collections + 1);
  gc_heap_free(h);
}

/* Storing a tracked object into an untracked one tracks the holder first;
 * a cycle through the holder is then an ordinary cycle, collected. */
static void test_retrack_by_store(void **state) {
  gc_heap *h = judged_heap(*state, "auto=0");
  judges[0].check_examined = 1;
  gc_object *x = new_atom(h, 2);
  assert_int_equal(gc_root_push_steal(h, x), 0);
  gc_slot_steal(h, x, 0, new_atom(h, 0)); /* an atom: x stays untracked */
  assert_false(gc_is_tracked(x));
  gc_object *t = gc_new(h, 1, 0);
  gc_slot_steal(h, x, 1, t);
  assert_true(gc_is_tracked(x));
  assert_int_equal(stats(h)->tracked_by_store, 1);
  assert_int_equal(stats(h)->live_untracked, 1);
  gc_slot_set(h, t, 0, x); /* the cycle x <-> t */
  gc_collect(h, GC_FULL);
  assert_int_equal(stats(h)->live_objects, 3);
  gc_root_set(h, 0, NULL);
  gc_collect(h, GC_FULL);
  assert_int_equal(stats(h)->live_objects, is_none(state) ? 3 : 0);
  /* gc_slot_steal tracks its holder as gc_slot_set does. */
  gc_object *u = new_atom(h, 1);
  assert_int_equal(gc_root_push_steal(h, u), 1);
  gc_slot_steal(h, u, 0, gc_new(h, 0, 0));
  assert_true(gc_is_tracked(u));
  /* gc_slot_set too, and a cycle through that holder is collected. */
  gc_object *w = new_atom(h, 1);
  assert_int_equal(gc_root_push_steal(h, w), 2);
  gc_object *z = gc_new(h, 1, 0);
  gc_slot_set(h, w, 0, z);
  assert_true(gc_is_tracked(w));
  gc_slot_set(h, z, 0, w);
  gc_decref(h, z);
  gc_root_set(h, 2, NULL); /* z holds w, w holds z: garbage */
  gc_collect(h, GC_FULL);
  assert_int_equal(stats(h)->live_objects, is_none(state) ? 7 : 2);
  gc_heap_free(h);
}

/* gc_untrack refuses an object one of whose slots holds a tracked object,
 * and untracks it once they hold untracked ones; gc_track brings it back
 * as a new object; both are idempotent. */
static void test_untrack_refused(void **state) {
  gc_heap *h = judged_heap(*state, "auto=0");
  judges[0].check_examined = 1;
  gc_object *x = gc_new(h, 2, 0), *y = gc_new(h, 0, 0);
  assert_int_equal(gc_root_push_steal(h, x), 0);
  gc_slot_steal(h, x, 0, y);
  assert_int_equal(gc_untrack(h, x), GC_EINVAL);
  assert_true(gc_is_tracked(x));
  assert_int_equal(gc_untrack(h, y), GC_OK);
  assert_int_equal(gc_untrack(h, y), GC_OK);
  assert_false(gc_is_tracked(y));
  assert_int_equal(gc_untrack(h, x), GC_OK);
  assert_false(gc_is_tracked(x));
  assert_int_equal(stats(h)->live_untracked, 2);
  gc_collect(h, GC_FULL);
  assert_int_equal(stats(h)->live_objects, 2);
  assert_int_equal(gc_track(h, x), GC_OK);
  assert_int_equal(gc_track(h, x), GC_OK);
  assert_true(gc_is_tracked(x));
  assert_int_equal(stats(h)->live_untracked, 1);
  assert_int_equal(gc_untrack(h, NULL), GC_EINVAL);
  assert_int_equal(gc_track(h, NULL), GC_EINVAL);
  assert_false(gc_is_tracked(NULL));
  assert_null(gc_new_ex(h, 1, 0, GC_NEW_TUPLE | GC_NEW_DICT));
  assert_null(gc_new_ex(h, 1, 0, 0x8));
  gc_collect(h, GC_FULL);
  gc_root_set(h, 0, NULL);
  assert_int_equal(stats(h)->live_objects, 0);
  gc_heap_free(h);
}

/* A broken acyclic promise: a cycle of untracked objects, with a leaf,
 * dropped.  Stores alone cannot make one (the holder of anything a store
 * could track is tracked): a store into a built tuple that an untracked
 * tuple holds can, the mutator's to avoid.  No collector frees it, and the
 * oracle says whose fault that is; gc_heap_free frees it all the same, and
 * the untracked objects a dropped tracked cycle still holds (the sanitizer
 * build's leak check). */
static void test_untracked_cycle(void **state) {
  char err[256];
  gc_heap *h = gc_heap_new(*state, "auto=0", err, sizeof err);
  assert_non_null(h);
  const unsigned ut = GC_NEW_TUPLE | GC_NEW_UNTRACKED;
  gc_object *u = gc_new_ex(h, 2, 0, ut), *v = gc_new_ex(h, 1, 0, ut);
  assert_non_null(u);
  assert_non_null(v);
  assert_int_equal(gc_root_push_steal(h, u), 0);
  gc_slot_steal(h, v, 0, new_atom(h, 0)); /* v built */
  gc_slot_steal(h, u, 0, v);
  gc_slot_steal(h, u, 1, new_atom(h, 0)); /* u built */
  gc_slot_set(h, v, 0, u); /* the broken promise */
  assert_false(gc_is_tracked(u));
  assert_false(gc_is_tracked(v));
  gc_root_set(h, 0, NULL);
  gc_collect(h, GC_FULL);
  assert_int_equal(stats(h)->live_objects, 3);
  gc_oracle_report rep;
  assert_int_equal(gc_oracle_check(h, GC_ORACLE_COUNTS | GC_ORACLE_COMPLETE,
                                   &rep), -1);
  assert_int_equal(rep.broken_promise, 3);
  assert_non_null(strstr(rep.error, "broken acyclic promise"));
  /* A tracked garbage ring holding untracked leaves, never collected. */
  gc_object *a = gc_new(h, 2, 0), *b = gc_new(h, 1, 0);
  assert_int_equal(gc_root_push_steal(h, a), 1);
  gc_slot_steal(h, a, 0, b);
  gc_slot_set(h, b, 0, a);
  gc_slot_steal(h, a, 1, new_atom(h, 0));
  gc_root_set(h, 1, NULL);
  if (is_none(state)) { /* its fault is the collector's, and named so */
    assert_int_equal(gc_oracle_check(h, GC_ORACLE_COMPLETE, &rep), -1);
    assert_non_null(strstr(rep.error, "survived a full collection"));
  }
  gc_heap_free(h);
}

/* gc_untrack from a finalizer, while the collection runs: refused for an
 * object in the set the collection examines (the garbage's leaf, its
 * colour and flags the collection's), allowed for a survivor outside it
 * (an old one, after a collection that promoted it, or a young one). */
typedef struct {
  gc_object *leaf, *survivor;
  int leaf_rc, survivor_rc, ran;
} untrack_fin;

static void untrack_finalizer(gc_heap *h, gc_object *o, void *arg) {
  (void)o;
  untrack_fin *u = arg;
  if (u->ran++) return;
  u->leaf_rc = gc_untrack(h, u->leaf);
  u->survivor_rc = gc_untrack(h, u->survivor);
}

static void test_untrack_in_finalizer(void **state) {
  if (is_none(state)) return; /* no collection runs a finalizer */
  char err[256];
  gc_heap *h = gc_heap_new(*state, "auto=0", err, sizeof err);
  assert_non_null(h);
  untrack_fin u = {0};
  gc_set_finalizer(h, untrack_finalizer, &u);
  u.survivor = gc_new(h, 0, 0);
  assert_int_equal(gc_root_push_steal(h, u.survivor), 0);
  gc_object *a = gc_new(h, 2, 0), *b = gc_new(h, 1, 0);
  assert_int_equal(gc_root_push_steal(h, a), 1);
  gc_slot_steal(h, a, 0, b);
  gc_slot_set(h, b, 0, a);
  u.leaf = gc_new(h, 0, 0);
  gc_slot_steal(h, a, 1, u.leaf);
  gc_object_add_finalizer(h, a);
  gc_root_set(h, 1, NULL);
  gc_collect(h, GC_FULL);
  assert_int_equal(u.ran, 1);
  assert_int_equal(u.leaf_rc, GC_EINVAL);
  assert_int_equal(u.survivor_rc, GC_OK);
  assert_false(gc_is_tracked(u.survivor));
  assert_int_equal(stats(h)->live_objects, 1);
  gc_oracle_report rep;
  if (gc_oracle_check(h, GC_ORACLE_COUNTS | GC_ORACLE_COMPLETE, &rep) != 0)
    fail_msg("oracle: %s", rep.error);
  gc_root_set(h, 0, NULL);
  gc_heap_free(h);
}

/* Trial deletion told to buffer untracked objects (PHP's behaviour): their
 * decrements buffer them and start collections, which look at them, and
 * everything stays correct. */
static void test_buffer_untracked(void **state) {
  char err[256];
  gc_heap *probe = gc_heap_new(*state, "buffer_untracked=1", err, sizeof err);
  if (!probe) { /* only trial deletion has the tunable: refused by name */
    assert_non_null(strstr(err, "no tunable 'buffer_untracked'"));
    return;
  }
  gc_heap_free(probe);
  gc_heap *h = judged_heap(*state, "auto=0,buffer_untracked=1");
  untracked_leaf(state, h);
  gc_heap_free(h);
  h = judged_heap(*state, "threshold=1,adaptive=0,buffer_untracked=1");
  gc_object *x = new_atom(h, 0);
  assert_int_equal(gc_root_push_steal(h, x), 0);
  for (int i = 0; i < 10; i++) {
    gc_incref(x);
    gc_decref(h, x);
    gc_decref(h, gc_new(h, 0, 0));
  }
  assert_int_equal(judges[0].collections, 10);
  assert_int_equal(stats(h)->objects_examined, 10);
  gc_root_set(h, 0, NULL);
  assert_int_equal(stats(h)->live_objects, 0);
  /* A buffered untracked object freed by reference counting leaves the
   * buffer (the validator checks it at the next collection). */
  x = new_atom(h, 0);
  gc_incref(x);
  gc_decref(h, x); /* buffered */
  gc_decref(h, x); /* freed */
  gc_collect(h, GC_FULL);
  gc_heap_free(h);
}

/* ======================================================================
 * The test table: every case for every collector
 * ==================================================================== */

typedef struct conf_case {
  const char *name;
  CMUnitTestFunction fn;
} conf_case;

static const conf_case cases[] = {
    {"pair", test_pair},
    {"self_loop", test_self_loop},
    {"ring_held_inside", test_ring_held_inside},
    {"garbage_ring_into_live", test_garbage_ring_into_live},
    {"live_into_ring", test_live_into_ring},
    {"nested_overlapping", test_nested_overlapping},
    {"tails", test_tails},
    {"linked_rings", test_linked_rings},
    {"acyclic", test_acyclic},
    {"cycle_of_old_objects", test_cycle_of_old_objects},
    {"drop_while_collection_due", test_drop_while_collection_due},
    {"big_ring", test_big_ring},
    {"one_target", test_one_target},
    {"random_graphs", test_random_graphs},
    {"random_mutations", test_random_mutations},
    {"untracked_leaf", test_untracked_leaf},
    {"untracked_not_examined", test_untracked_not_examined},
    {"untracked_never_buffered", test_untracked_never_buffered},
    {"retrack_by_store", test_retrack_by_store},
    {"untrack_refused", test_untrack_refused},
    {"untracked_cycle", test_untracked_cycle},
    {"buffer_untracked", test_buffer_untracked},
    {"untrack_in_finalizer", test_untrack_in_finalizer},
};

int main(void) {
  const size_t ncases = sizeof cases / sizeof cases[0];
  const size_t ncol = gc_collector_count();
  const size_t n = ncases * ncol;
  struct CMUnitTest *tests = calloc(n, sizeof *tests);
  char **names = calloc(n, sizeof *names);
  if (!tests || !names) return 1;
  for (size_t c = 0; c < ncol; c++)
    for (size_t k = 0; k < ncases; k++) {
      size_t i = c * ncases + k;
      size_t len = strlen(cases[k].name) + strlen(gc_collector_name(c)) + 2;
      names[i] = malloc(len);
      if (!names[i]) return 1;
      snprintf(names[i], len, "%s/%s", cases[k].name, gc_collector_name(c));
      tests[i].name = names[i];
      tests[i].test_func = cases[k].fn;
      tests[i].initial_state = (void *)gc_collector_name(c);
    }
  int rc = _cmocka_run_group_tests("conformance", tests, n, NULL, NULL);
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
  free(tests);
  return rc;
}
