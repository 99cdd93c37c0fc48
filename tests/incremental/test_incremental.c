/*
 * test_incremental.c -- the incremental collector (gc/incremental.c)
 * against CPython 3.14.0's rules and the oracle.
 *
 * Each test builds a heap by hand with automatic collection off, so that
 * every collection is an explicit gc_collect(h, 1) (one increment), 0 (the
 * young generation) or GC_FULL, and checks which objects each collection
 * examined (its record), where they went (generation bits: 0 young, the
 * visited space's index, the pending space's index) and what was freed.
 * The work_to_do figures in the comments are worked out by hand from
 * 3.14.0's assess_work_to_do and gc_collect_increment:
 *
 *   before: work += new + min(heap / 10 / 10, new * 3 / 2)
 *   after:  work += heap / 10 / 10; work -= increment size
 *
 * Objects the tests keep are held by C references (counted in refcnt, not
 * in the root table), so that pre-marking does not see them, unless a test
 * is about the root table.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "collector.h"
#include "oracle.h"
#include "workload.h"

/* ======================================================================
 * Helpers
 * ==================================================================== */

static gc_heap *inc_heap(const char *tunables) {
  char err[256];
  gc_heap *h = gc_heap_new("incremental", tunables, err, sizeof err);
  if (!h)
    fail_msg("gc_heap_new(incremental, %s): %s", tunables ? tunables : "",
             err);
  return h;
}

static const gc_heap_stats *stats(gc_heap *h) { return gc_heap_get_stats(h); }

static const gc_collection_record *last_record(gc_heap *h) {
  size_t n;
  const gc_collection_record *r = gc_heap_records(h, &n);
  assert_true(n > 0);
  return &r[n - 1];
}

/* One collection of `gen`; returns the objects its record says it
 * examined. */
static uint64_t collect(gc_heap *h, int gen) {
  gc_collect(h, gen);
  return last_record(h)->examined;
}

static size_t list_size(gc_heap *h, int g) {
  return gc_list_size(gc_heap_gen_list(h, g));
}

/* The oracle's structural checks (counts are not exact while the test
 * holds C references: those are not in the root table). */
static void assert_safe(gc_heap *h) {
  gc_oracle_report rep;
  if (gc_oracle_check(h, 0, &rep) != 0) fail_msg("oracle: %s", rep.error);
}

static void assert_complete(gc_heap *h) {
  gc_oracle_report rep;
  if (gc_oracle_check(h, GC_ORACLE_COUNTS | GC_ORACLE_COMPLETE, &rep) != 0)
    fail_msg("oracle: %s", rep.error);
}

/* The test has dropped its C references: a full collection must leave
 * exactly what the root table reaches, with exact counts. */
static void end_heap(gc_heap *h) {
  gc_collect(h, GC_FULL);
  assert_complete(h);
  gc_heap_free(h);
}

/* n objects with `nslots` slots each, held by the caller (o[i]). */
static void make_held(gc_heap *h, gc_object **o, size_t n, uint32_t nslots) {
  for (size_t i = 0; i < n; i++) {
    o[i] = gc_new(h, nslots, 0);
    assert_non_null(o[i]);
  }
}

static void drop_all(gc_heap *h, gc_object **o, size_t n) {
  for (size_t i = 0; i < n; i++) gc_decref(h, o[i]);
}

/* The pending space's index right after a full collection: every old
 * object is pending then. */
static unsigned pending_after_full(gc_object *any) {
  unsigned p = gc_get_gen(any);
  assert_true(p == 1 || p == 2);
  return p;
}

/* ======================================================================
 * Which objects an increment takes
 * ==================================================================== */

/* Pending: A -> B -> C, then 97 lone objects, in that order (a full
 * collection keeps the order of objects it finds reachable in order).  One
 * young object.  new = 1, heap = 101: work = 1 + min(1, 1) = 2.  The
 * increment holds the young object (1 < 2), takes A from the head of the
 * pending space (2) and with it B and C, which A reaches: 4 objects. */
static void test_increment_is_young_plus_pending_closure(void **state) {
  (void)state;
  gc_heap *h = inc_heap("auto=0,premark=0");
  gc_object *o[100], *y;
  make_held(h, o, 100, 1);
  gc_slot_set(h, o[0], 0, o[1]);
  gc_slot_set(h, o[1], 0, o[2]);
  gc_collect(h, GC_FULL);
  unsigned p = pending_after_full(o[0]), v = 3 - p;
  for (int i = 0; i < 100; i++) assert_int_equal(gc_get_gen(o[i]), p);
  assert_int_equal(list_size(h, p), 100);
  assert_int_equal(list_size(h, v), 0);

  make_held(h, &y, 1, 0);
  assert_int_equal(gc_get_gen(y), 0);
  assert_int_equal(collect(h, 1), 4);
  assert_int_equal(last_record(h)->generation, 1);
  /* Survivors land in the visited space. */
  assert_int_equal(gc_get_gen(y), v);
  for (int i = 0; i < 3; i++) assert_int_equal(gc_get_gen(o[i]), v);
  for (int i = 3; i < 100; i++) assert_int_equal(gc_get_gen(o[i]), p);
  assert_int_equal(list_size(h, 0), 0);
  assert_int_equal(list_size(h, v), 4);
  assert_int_equal(list_size(h, p), 97);
  assert_safe(h);
  drop_all(h, o, 100);
  gc_decref(h, y);
  end_heap(h);
}

/* A young object that refers to a pending one does not pull it in: only
 * objects taken from the pending space are expanded (3.14.0 expands from
 * each taken object to the increment's tail, past the young ones). */
static void test_young_objects_are_not_expanded(void **state) {
  (void)state;
  gc_heap *h = inc_heap("auto=0,premark=0");
  gc_object *o[200], *y;
  make_held(h, o, 200, 0);
  gc_collect(h, GC_FULL);
  unsigned p = pending_after_full(o[0]);
  /* new = 1, heap = 201: work = 1 + min(2, 1) = 2: y and o[0]. */
  make_held(h, &y, 1, 1);
  gc_slot_set(h, y, 0, o[150]);
  assert_int_equal(collect(h, 1), 2);
  assert_int_equal(gc_get_gen(o[150]), p);
  assert_int_equal(gc_get_gen(o[0]), 3 - p);
  drop_all(h, o, 200);
  gc_decref(h, y);
  end_heap(h);
}

/* The same shape as a garbage cycle A -> B -> C -> A of pending objects,
 * dropped after the full collection: taking A takes the whole cycle, which
 * is freed by that increment.  Then a cycle of 1000 taken by a budget of 2. */
static void test_pending_cycle_collected_whole(void **state) {
  (void)state;
  gc_heap *h = inc_heap("auto=0,premark=0");
  gc_object *o[100], *y;
  make_held(h, o, 100, 1);
  gc_slot_set(h, o[0], 0, o[1]);
  gc_slot_set(h, o[1], 0, o[2]);
  gc_slot_set(h, o[2], 0, o[0]);
  gc_collect(h, GC_FULL);
  for (int i = 0; i < 3; i++) gc_decref(h, o[i]); /* garbage, pending */
  assert_int_equal(stats(h)->live_objects, 100);
  make_held(h, &y, 1, 0);
  assert_int_equal(collect(h, 1), 4);
  assert_int_equal(last_record(h)->freed, 3);
  assert_int_equal(stats(h)->live_objects, 98);
  assert_safe(h);
  drop_all(h, o + 3, 97);
  gc_decref(h, y);
  end_heap(h);

  /* A ring of 1000 at the head of 1000 held objects; new = 1 and heap =
   * 2001: work = 1 + min(20, 1) = 2. */
  h = inc_heap("auto=0,premark=0");
  enum { K = 1000 };
  static gc_object *r[2 * K];
  make_held(h, r, 2 * K, 1);
  for (int i = 0; i < K; i++) gc_slot_set(h, r[i], 0, r[(i + 1) % K]);
  gc_collect(h, GC_FULL);
  drop_all(h, r, K);
  make_held(h, &y, 1, 0);
  assert_int_equal(collect(h, 1), K + 1);
  assert_int_equal(last_record(h)->freed, K);
  assert_int_equal(stats(h)->live_objects, K + 1);
  assert_safe(h);
  drop_all(h, r + K, K);
  gc_decref(h, y);
  end_heap(h);
}

/* A cycle that straddles the spaces waits for the swap, then is freed
 * whole.  Pending: q, then 9 lone objects; x survives a young collection
 * into the visited space; then x <-> q, dropped.  scale=2,
 * scan_rate_divisor=1, no cap: the heap fraction is half the heap.
 *   1st: new 1, heap 12: work = 1 + 6 = 7: y1, q (x is visited: not
 *        pulled in), 5 more.  q survives: x refers to it.  After:
 *        7 + 6 - 7 = 6.
 *   2nd: new 1, heap 13: work = 6 + 1 + 6 = 13: y2 + the 4 left; the
 *        pending space is empty: swap.  x and q are both pending now, x at
 *        the head (the young collection put it first in the visited list).
 *   3rd: new 1, heap 14: work = 1 + 7 = 8: y3, x and with it q: freed. */
static void test_straddling_cycle_waits_for_the_swap(void **state) {
  (void)state;
  gc_heap *h = inc_heap(
      "auto=0,premark=0,scale=2,scan_rate_divisor=1,max_heap_fraction=1e6");
  gc_object *o[10], *x, *y[3];
  make_held(h, o, 10, 1);
  gc_object *q = o[0];
  gc_collect(h, GC_FULL);
  unsigned p = pending_after_full(q), v = 3 - p;
  make_held(h, &x, 1, 1);
  gc_collect(h, 0);
  assert_int_equal(gc_get_gen(x), v);
  gc_slot_set(h, x, 0, q);
  gc_slot_set(h, q, 0, x);
  gc_decref(h, x);
  gc_decref(h, q); /* garbage: x visited, q pending */
  make_held(h, &y[0], 1, 0);
  assert_int_equal(collect(h, 1), 7);
  assert_int_equal(last_record(h)->freed, 0);
  assert_int_equal(gc_get_gen(q), v);
  make_held(h, &y[1], 1, 0);
  assert_int_equal(collect(h, 1), 5);
  assert_int_equal(last_record(h)->freed, 0);
  assert_int_equal(list_size(h, p), 0); /* swapped */
  assert_int_equal(stats(h)->live_objects, 13);
  make_held(h, &y[2], 1, 0);
  assert_int_equal(collect(h, 1), 8);
  assert_int_equal(last_record(h)->freed, 2);
  assert_int_equal(stats(h)->live_objects, 12);
  assert_safe(h);
  drop_all(h, o + 1, 9);
  drop_all(h, y, 3);
  end_heap(h);
}

/* ======================================================================
 * The two spaces
 * ==================================================================== */

/* 50 pending objects; scale=2, scan_rate_divisor=1 and no cap make the
 * heap fraction half the heap.
 *   1st: new 1, heap 51: work = 1 + 25 = 26: y1 + 25 pending.  After:
 *        work = 26 + 25 - 26 = 25.
 *   2nd: new 1, heap 52: work = 25 + 1 + 26 = 52: y2 + the 25 left, and
 *        the pending space is empty: swap, work = 0.  Every old object now
 *        sits in the list that was the visited space, whose bits name the
 *        pending space now; the old pending list is the visited space.
 *   3rd: new 1, heap 53: work = 1 + 26 = 27: y3 + 26 objects taken from
 *        the former visited list into the former pending one. */
static void test_spaces_swap_when_pending_empties(void **state) {
  (void)state;
  gc_heap *h = inc_heap(
      "auto=0,premark=0,scale=2,scan_rate_divisor=1,max_heap_fraction=1e6");
  gc_object *o[50], *y[3];
  make_held(h, o, 50, 0);
  gc_collect(h, GC_FULL);
  unsigned p = pending_after_full(o[0]), v = 3 - p;
  make_held(h, &y[0], 1, 0);
  assert_int_equal(collect(h, 1), 26);
  assert_int_equal(list_size(h, v), 26);
  assert_int_equal(list_size(h, p), 25);
  make_held(h, &y[1], 1, 0);
  assert_int_equal(collect(h, 1), 26);
  /* Swapped: nothing moved, the roles did. */
  assert_int_equal(list_size(h, p), 0);
  assert_int_equal(list_size(h, v), 52);
  for (int i = 0; i < 50; i++) assert_int_equal(gc_get_gen(o[i]), v);
  make_held(h, &y[2], 1, 0);
  assert_int_equal(collect(h, 1), 27);
  assert_int_equal(list_size(h, p), 27); /* the new visited space */
  assert_int_equal(list_size(h, v), 26); /* still pending */
  assert_int_equal(gc_get_gen(y[2]), p);
  assert_safe(h);
  drop_all(h, o, 50);
  drop_all(h, y, 3);
  end_heap(h);
}

/* ======================================================================
 * work_to_do
 * ==================================================================== */

/* 1000 pending objects, defaults (scale 10, divisor 10, cap 3/2).
 *   200 new, heap 1200: work = 200 + min(12, 300) = 212: 200 young + 12
 *     pending.  After: 212 + 12 - 212 = 12.
 *   0 new: work = 12 + 0 + min(12, 0) = 12: 12 pending (carried over).
 *     After: 12 + 12 - 12 = 12.  And again.
 *   4 new, heap 1204: work = 12 + 4 + min(12, 6) = 22 (capped at 6):
 *     4 young + 18 pending.  After: 22 + 12 - 22 = 12. */
static void work_to_do_case(const char *name) {
  char err[256];
  gc_heap *h = gc_heap_new(name, "auto=0,premark=0", err, sizeof err);
  if (!h) fail_msg("%s: %s", name, err);
  assert_string_equal(gc_heap_collector(h)->name, "incremental");
  static gc_object *o[1204];
  make_held(h, o, 1000, 0);
  gc_collect(h, GC_FULL);
  make_held(h, o + 1000, 200, 0);
  assert_int_equal(collect(h, 1), 212);
  assert_int_equal(collect(h, 1), 12);
  assert_int_equal(collect(h, 1), 12);
  make_held(h, o + 1200, 4, 0);
  assert_int_equal(collect(h, 1), 22);
  assert_safe(h);
  drop_all(h, o, 1204);
  end_heap(h);
}

static void test_work_to_do_arithmetic(void **state) {
  (void)state;
  work_to_do_case("incremental");
}

/* The profile is the collector at 3.14.0's constants. */
static void test_profile_cpython_3140(void **state) {
  (void)state;
  work_to_do_case("cpython-3.14.0");
}

/* gh-140262's work_to_do (profile cpython-3.14: cap new * 2, no heap
 * fraction after an increment, an increment owed work returns at once),
 * beside 3.14.0's.  Pending: L, holding the next 30, then 969 lone objects
 * (1000 in all).  The heap fraction is 1001 / 100 = 10.
 *   1 new: work = 0 + 1 + min(10, cap), the cap 1 * 3 / 2 = 1 under
 *     3.14.0, 1 * 2 = 2 under 3.14:
 *     3.14.0: 1 + 1 = 2: the young one, then L and the 30: 32.  After:
 *       2 + 10 - 32 = -20.
 *     3.14:   1 + 2 = 3: the same 32.  After: 3 - 32 = -29.
 *   1 new: 3.14.0: work = -20 + 1 + 1 = -18: the young one alone (1).
 *          3.14:   work = -29 + 1 + 2 = -26 < 0: nothing at all (0), and
 *                  the young object stays young. */
static void owed_work_case(const char *name, int fixed) {
  char err[256];
  gc_heap *h = gc_heap_new(name, "auto=0,premark=0", err, sizeof err);
  if (!h) fail_msg("%s: %s", name, err);
  gc_object *l = gc_new(h, 30, 0), *o[999], *y[2];
  assert_non_null(l);
  make_held(h, o, 999, 0);
  for (uint32_t i = 0; i < 30; i++) gc_slot_set(h, l, i, o[i]);
  gc_collect(h, GC_FULL);
  make_held(h, &y[0], 1, 0);
  assert_int_equal(collect(h, 1), 32);
  make_held(h, &y[1], 1, 0);
  assert_int_equal(collect(h, 1), fixed ? 0 : 1);
  assert_int_equal(gc_get_gen(y[1]), fixed ? 0 : gc_get_gen(y[0]));
  assert_safe(h);
  gc_decref(h, l);
  drop_all(h, o, 999);
  drop_all(h, y, 2);
  end_heap(h);
}

static void test_profile_cpython_314_owed_work(void **state) {
  (void)state;
  owed_work_case("cpython-3.14.0", 0);
  owed_work_case("cpython-3.14", 1);
}

/* gh-140262's cap and no fraction after: the work_to_do_case heap under
 * cpython-3.14.
 *   200 new, heap 1200: work = 0 + 200 + min(12, 400) = 212: 200 young +
 *     12 pending.  After: 212 - 212 = 0.
 *   0 new: work = 0: the increment takes nothing.
 *   4 new, heap 1204: work = 4 + min(12, 8) = 12: 4 young + 8 pending
 *     (3.14.0's cap would give 4 + 6). */
static void test_profile_cpython_314_fixed(void **state) {
  (void)state;
  char err[256];
  gc_heap *h = gc_heap_new("cpython-3.14", "auto=0,premark=0", err,
                           sizeof err);
  if (!h) fail_msg("cpython-3.14: %s", err);
  static gc_object *o[1204];
  make_held(h, o, 1000, 0);
  gc_collect(h, GC_FULL);
  make_held(h, o + 1000, 200, 0);
  assert_int_equal(collect(h, 1), 212);
  assert_int_equal(collect(h, 1), 0);
  make_held(h, o + 1200, 4, 0);
  assert_int_equal(collect(h, 1), 12);
  assert_safe(h);
  drop_all(h, o, 1204);
  end_heap(h);
}

/* A closure that overshoots the budget is work done in advance.  Pending:
 * l, a list of 20 of the 399 lone objects that follow it.
 *   10 new, heap 410: work = 10 + min(4, 15) = 14: 10 young, then l and
 *     the 20 it reaches: 31.  After: 14 + 4 - 31 = -13.
 *   10 new, heap 420: work = -13 + 10 + 4 = 1: the young only.  After:
 *     1 + 4 - 10 = -5.
 *   0 new: work -5: nothing.  After: -5 + 4 = -1.
 *   0 new: work -1: nothing.  After: -1 + 4 = 3.
 *   0 new: work 3: 3 pending objects. */
static void test_overshoot_is_carried(void **state) {
  (void)state;
  gc_heap *h = inc_heap("auto=0,premark=0");
  static gc_object *o[419];
  gc_object *l = gc_new(h, 20, 0);
  make_held(h, o, 399, 0);
  for (int i = 0; i < 20; i++) gc_slot_set(h, l, (uint32_t)i, o[i]);
  gc_collect(h, GC_FULL); /* pending: l, o[0..398] */
  make_held(h, o + 399, 10, 0);
  assert_int_equal(collect(h, 1), 31);
  make_held(h, o + 409, 10, 0);
  assert_int_equal(collect(h, 1), 10);
  assert_int_equal(collect(h, 1), 0);
  assert_int_equal(collect(h, 1), 0);
  assert_int_equal(collect(h, 1), 3);
  assert_safe(h);
  gc_decref(h, l);
  drop_all(h, o, 419);
  end_heap(h);
}

/* ======================================================================
 * Pre-marking from the roots
 * ==================================================================== */

/* 10 objects in the root table, 1390 held by C references, all pending;
 * and a young pair z1 -> z2 with z1 in the root table.
 * premark=1:
 *   1st increment of the scavenge marks only: the 10 rooted objects and
 *     z1, z2 move to the visited space, unexamined by any increment; the
 *     young generation is not collected.  new 2, heap 1402: work = 2 +
 *     min(14, 3) = 5, less 12 twice (3.14.0): -19.
 *   100 new, heap 1502: work = -19 + 100 + min(15, 150) = 96 < 100: the
 *     young only.  After: 96 + 15 - 100 = 11.
 *   0 new: work 11: 11 pending (no rooted one: they are visited).
 *   Over the whole scavenge the increments examine the 1390 + 100, never
 *   the rooted 10 or z1, z2.
 * premark=0: no marking step; the rooted objects are taken like any. */
static uint64_t scavenge_examined(gc_heap *h, unsigned pending) {
  uint64_t sum = 0;
  int n = 0;
  while (list_size(h, (int)pending) > 0) {
    sum += collect(h, 1);
    assert_true(++n < 100000);
  }
  return sum;
}

static void premark_case(int premark) {
  char tun[64];
  snprintf(tun, sizeof tun, "auto=0,premark=%d", premark);
  gc_heap *h = inc_heap(tun);
  static gc_object *o[1400], *y[100];
  make_held(h, o, 1400, 0);
  for (int i = 0; i < 10; i++) {
    assert_true(gc_root_push(h, o[i]) >= 0);
    gc_decref(h, o[i]);
  }
  gc_collect(h, GC_FULL);
  unsigned p = pending_after_full(o[0]), v = 3 - p;
  gc_object *z1 = gc_new(h, 1, 0), *z2 = gc_new(h, 0, 0);
  gc_slot_steal(h, z1, 0, z2);
  assert_true(gc_root_push_steal(h, z1) >= 0);

  uint64_t first = collect(h, 1);
  if (premark) {
    assert_int_equal(first, 12);
    for (int i = 0; i < 10; i++) assert_int_equal(gc_get_gen(o[i]), v);
    assert_int_equal(gc_get_gen(z1), v);
    assert_int_equal(gc_get_gen(z2), v);
    for (int i = 10; i < 1400; i++) assert_int_equal(gc_get_gen(o[i]), p);
    make_held(h, y, 100, 0);
    assert_int_equal(collect(h, 1), 100);
    assert_int_equal(collect(h, 1), 11);
    for (int i = 10; i < 21; i++) assert_int_equal(gc_get_gen(o[i]), v);
    assert_int_equal(gc_get_gen(o[21]), p);
    /* 1400 - 10 - 11 pending left: the rest of the scavenge examines them
     * only (the new young objects: none). */
    assert_int_equal(scavenge_examined(h, p), 1379);
  } else {
    /* new 2, heap 1402: work = 2 + 3 = 5: z1, z2 + 3 pending (rooted). */
    assert_int_equal(first, 5);
    assert_int_equal(gc_get_gen(o[0]), v);
    assert_int_equal(gc_get_gen(o[3]), p);
    make_held(h, y, 100, 0);
    /* work = 5 + 14 - 5 = 14 carried; + 100 + 15 = 129: 100 + 29. */
    assert_int_equal(collect(h, 1), 129);
    assert_int_equal(scavenge_examined(h, p), 1400 - 3 - 29);
  }
  assert_safe(h);
  drop_all(h, o + 10, 1390);
  drop_all(h, y, 100);
  end_heap(h);
}

static void test_premark_on(void **state) {
  (void)state;
  premark_case(1);
}
static void test_premark_off(void **state) {
  (void)state;
  premark_case(0);
}

/* Later increments mark from the entries pushed since the last marking,
 * and take their count off work_to_do once.  After the marking step of
 * the scenario above (work -19), push into the root table w, a young
 * object holding 30 young ones and the pending o[500]: the next increment
 * marks those 32 (o[500] leaves the pending space unexamined), and its
 * young generation holds only the 69 others of 100 new objects.
 * work = -19 + 100 + 15 - 32 = 64 < 69: the young only; examined = 32
 * marked + 69 collected.  After: 64 + 15 - 69 = 10: the next increment
 * takes o[10..19] (o[500] is not pending any more). */
static void test_new_roots_marked_once(void **state) {
  (void)state;
  gc_heap *h = inc_heap("auto=0");
  static gc_object *o[1400], *y[69];
  make_held(h, o, 1400, 0);
  for (int i = 0; i < 10; i++) {
    assert_true(gc_root_push(h, o[i]) >= 0);
    gc_decref(h, o[i]);
  }
  gc_collect(h, GC_FULL);
  unsigned p = pending_after_full(o[0]), v = 3 - p;
  gc_object *z1 = gc_new(h, 1, 0), *z2 = gc_new(h, 0, 0);
  gc_slot_steal(h, z1, 0, z2);
  assert_true(gc_root_push_steal(h, z1) >= 0);
  assert_int_equal(collect(h, 1), 12);

  gc_object *w = gc_new(h, 31, 0);
  for (uint32_t i = 0; i < 30; i++) {
    gc_object *t = gc_new(h, 0, 0);
    gc_slot_steal(h, w, i, t);
  }
  gc_slot_set(h, w, 30, o[500]);
  assert_true(gc_root_push_steal(h, w) >= 0);
  make_held(h, y, 69, 0);
  assert_int_equal(collect(h, 1), 101);
  assert_int_equal(gc_get_gen(w), v);
  assert_int_equal(gc_get_gen(gc_slot_get(w, 29)), v);
  assert_int_equal(gc_get_gen(o[500]), v);
  assert_int_equal(collect(h, 1), 10);
  assert_int_equal(gc_get_gen(o[19]), v);
  assert_int_equal(gc_get_gen(o[20]), p);
  assert_safe(h);
  drop_all(h, o + 10, 1390);
  drop_all(h, y, 69);
  end_heap(h);
}

/* ======================================================================
 * Full collections, young collections, the trigger
 * ==================================================================== */

/* Garbage in every place at once -- young, visited, pending, and cycles
 * across them -- is freed by one GC_FULL, which leaves every survivor
 * pending and starts a scavenge with a marking step. */
static void test_full_collects_everything(void **state) {
  (void)state;
  gc_heap *h = inc_heap("auto=0");
  gc_object *a = gc_new(h, 2, 0), *b = gc_new(h, 1, 0); /* pending pair */
  gc_object *keep = gc_new(h, 1, 0);
  assert_true(gc_root_push_steal(h, keep) >= 0);
  gc_slot_set(h, a, 0, b);
  gc_slot_set(h, b, 0, a);
  gc_collect(h, GC_FULL);
  unsigned p = pending_after_full(a), v = 3 - p;
  gc_object *c = gc_new(h, 1, 0), *d = gc_new(h, 1, 0);
  gc_collect(h, 0); /* c, d: visited */
  assert_int_equal(gc_get_gen(c), v);
  gc_object *e = gc_new(h, 1, 0), *f = gc_new(h, 1, 0); /* young */
  gc_slot_set(h, c, 0, a); /* visited -> pending -> ... */
  gc_slot_set(h, a, 1, e); /* pending -> young */
  gc_slot_set(h, e, 0, c); /* young -> visited: a cycle over three places */
  gc_slot_set(h, d, 0, f);
  gc_slot_set(h, f, 0, d);
  gc_slot_set(h, keep, 0, f); /* d, f survive */
  gc_object *drop[] = {a, b, c, e};
  drop_all(h, drop, 4);
  gc_decref(h, d);
  gc_decref(h, f);
  assert_int_equal(stats(h)->live_objects, 7);
  assert_int_equal(collect(h, GC_FULL), 7);
  assert_int_equal(last_record(h)->generation, GC_FULL);
  assert_int_equal(last_record(h)->freed, 4);
  assert_int_equal(stats(h)->live_objects, 3);
  assert_complete(h);
  /* Survivors pending (their list was the visited space), nothing young or
   * visited. */
  assert_int_equal(gc_get_gen(keep), v);
  assert_int_equal(list_size(h, 0), 0);
  assert_int_equal(list_size(h, v), 3);
  assert_int_equal(list_size(h, p), 0);
  /* A new scavenge: its first increment marks keep, f, d. */
  assert_int_equal(collect(h, 1), 3);
  assert_int_equal(gc_get_gen(keep), p);
  end_heap(h);
}

/* gc_collect(h, 0) examines the young generation only, survivors to the
 * visited space; pending objects stay. */
static void test_young_collection(void **state) {
  (void)state;
  gc_heap *h = inc_heap("auto=0");
  gc_object *o[5], *y[3];
  make_held(h, o, 5, 0);
  gc_collect(h, GC_FULL);
  unsigned p = pending_after_full(o[0]);
  make_held(h, y, 3, 1);
  gc_slot_set(h, y[0], 0, y[1]);
  gc_slot_set(h, y[1], 0, y[0]);
  gc_decref(h, y[0]);
  gc_decref(h, y[1]);
  assert_int_equal(collect(h, 0), 3);
  assert_int_equal(last_record(h)->generation, 0);
  assert_int_equal(last_record(h)->freed, 2);
  assert_int_equal(gc_get_gen(y[2]), 3 - p);
  for (int i = 0; i < 5; i++) assert_int_equal(gc_get_gen(o[i]), p);
  drop_all(h, o, 5);
  gc_decref(h, y[2]);
  end_heap(h);
}

/* CPython collects when young.count > threshold: with threshold=100 the
 * 101st new object does not trigger, the 102nd allocation finds 101. */
static void test_trigger(void **state) {
  (void)state;
  gc_heap *h = inc_heap("threshold=100,premark=0");
  static gc_object *o[102];
  make_held(h, o, 101, 0);
  assert_int_equal(stats(h)->collections, 0);
  make_held(h, o + 101, 1, 0);
  assert_int_equal(stats(h)->collections, 1);
  assert_int_equal(last_record(h)->automatic, 1);
  assert_int_equal(last_record(h)->generation, 1);
  assert_int_equal(last_record(h)->examined, 101);
  drop_all(h, o, 102);
  end_heap(h);
}

/* ======================================================================
 * Validator, tunables, failures
 * ==================================================================== */

/* A pending object whose bits say visited is caught (the validator
 * aborts: run it in a child). */
static void test_validator_catches_wrong_space(void **state) {
  (void)state;
  gc_heap *h = inc_heap("auto=0");
  gc_object *o[3];
  make_held(h, o, 3, 0);
  gc_collect(h, GC_FULL);
  unsigned p = pending_after_full(o[0]);
  gc_heap_collector(h)->validate(h, "test"); /* sound: returns */
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    signal(SIGABRT, SIG_DFL);
    fclose(stderr);
    gc_set_gen(o[1], 3 - p);
    gc_heap_collector(h)->validate(h, "test");
    _exit(0); /* not caught */
  }
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFSIGNALED(status));
  assert_int_equal(WTERMSIG(status), SIGABRT);
  drop_all(h, o, 3);
  end_heap(h);
}

static void test_bad_tunables(void **state) {
  (void)state;
  static const char *const bad[] = {"premark=2", "scale=-1",
                                    "scan_rate_divisor=0", "threshold=0",
                                    "max_heap_fraction=x", "initial_work=1"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char err[256] = "";
    gc_heap *h = gc_heap_new("incremental", bad[i], err, sizeof err);
    assert_null(h);
    char name[32];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(bad[i], "="), bad[i]);
    if (!strstr(err, name)) fail_msg("%s: error '%s' names no '%s'", bad[i],
                                     err, name);
    assert_null(strchr(err, '\n'));
  }
}

/* A collection allocates nothing, so fail_collector=1 changes nothing: the
 * same frees, the same records, no failure injected. */
static void run_rings(const char *tunables, gc_heap_stats *out,
                      size_t *nrec) {
  const workload *w = wl_find("rings");
  assert_non_null(w);
  gc_param_set ps;
  char err[256];
  assert_int_equal(gc_params_init(&ps, w->params, w->nparams), 0);
  assert_int_equal(
      gc_params_assign_list(&ps, "n=30000,k=7,links=2,held=0.3", err,
                            sizeof err),
      0);
  gc_heap *h = inc_heap(tunables);
  wl_answer a;
  assert_int_equal(w->run(h, &ps, 1, &a, err, sizeof err), WL_OK);
  gc_collect(h, GC_FULL);
  assert_complete(h);
  assert_int_equal(stats(h)->freed_by_collector, a.cyclic);
  *out = *stats(h);
  gc_heap_records(h, nrec);
  gc_heap_free(h);
  gc_params_free(&ps);
}

static void test_fail_collector_has_nothing_to_fail(void **state) {
  (void)state;
  gc_heap_stats s0, s1;
  size_t n0, n1;
  run_rings("threshold=97", &s0, &n0);
  run_rings("threshold=97,fail_collector=1", &s1, &n1);
  assert_true(n0 > 10);
  assert_int_equal(n0, n1);
  assert_int_equal(s1.injected_failures, 0);
  assert_int_equal(s0.freed_by_collector, s1.freed_by_collector);
  assert_int_equal(s0.objects_examined, s1.objects_examined);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_increment_is_young_plus_pending_closure),
      cmocka_unit_test(test_young_objects_are_not_expanded),
      cmocka_unit_test(test_pending_cycle_collected_whole),
      cmocka_unit_test(test_straddling_cycle_waits_for_the_swap),
      cmocka_unit_test(test_spaces_swap_when_pending_empties),
      cmocka_unit_test(test_work_to_do_arithmetic),
      cmocka_unit_test(test_profile_cpython_3140),
      cmocka_unit_test(test_profile_cpython_314_owed_work),
      cmocka_unit_test(test_profile_cpython_314_fixed),
      cmocka_unit_test(test_overshoot_is_carried),
      cmocka_unit_test(test_premark_on),
      cmocka_unit_test(test_premark_off),
      cmocka_unit_test(test_new_roots_marked_once),
      cmocka_unit_test(test_full_collects_everything),
      cmocka_unit_test(test_young_collection),
      cmocka_unit_test(test_trigger),
      cmocka_unit_test(test_validator_catches_wrong_space),
      cmocka_unit_test(test_bad_tunables),
      cmocka_unit_test(test_fail_collector_has_nothing_to_fail),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
