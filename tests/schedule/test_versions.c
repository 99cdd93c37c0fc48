/*
 * test_versions.c -- each runtime version's rules for untracked objects,
 * pinned on small programs with atoms, tuples and dicts (gc_new_ex): which
 * objects a version untracks and when, which objects its collections
 * examine, what counts toward its trigger, and which decrements buffer a
 * root.  Beside each pin, the version whose rule differs, so that a rule
 * applied to the wrong version fails one of the two.
 *
 *   cpython-3.13     tuples untracked by every collection, dicts born
 *                    untracked (MAINTAIN_TRACKING) and untracked by full
 *                    collections; the count is every GC allocation
 *   cpython-3.14.0   the count is every GC allocation: untracked tuples
 *                    keep the increments coming (gh-139951)
 *   cpython-3.14     gh-140262: the count is tracked objects, tuples born
 *                    untracked
 *   cpython-3.14t    long_lived_total counts tracked survivors only: a
 *                    heap of untracked tuples keeps collections 2048
 *                    allocations apart (gh-142531)
 *   cpython-3.14.3t  gh-142562: untracked tuples in long_lived_total
 *   php-8            acyclic objects buffered like any other (#17127)
 *   nim-orc          acyclic objects never buffered
 *
 * Every heap here is checked by the oracle at the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gc.h"
#include "oracle.h"

/* ======================================================================
 * Helpers
 * ==================================================================== */

static gc_heap *heap(const char *name, const char *tunables) {
  char err[256];
  gc_heap *h = gc_heap_new(name, tunables, err, sizeof err);
  if (!h)
    fail_msg("gc_heap_new(%s, %s): %s", name, tunables ? tunables : "", err);
  return h;
}

static const gc_heap_stats *stats(gc_heap *h) { return gc_heap_get_stats(h); }

static const gc_collection_record *last_record(gc_heap *h) {
  size_t n;
  const gc_collection_record *r = gc_heap_records(h, &n);
  assert_true(n > 0);
  return &r[n - 1];
}

/* A new object held by the root table (its entry's index). */
static gc_object *held(gc_heap *h, uint32_t nslots, unsigned flags) {
  gc_object *o = gc_new_ex(h, nslots, 8, flags);
  assert_non_null(o);
  assert_true(gc_root_push_steal(h, o) >= 0);
  return o;
}

/* CPython's (x, y) of two ints: a tuple holding two atoms, owned by the
 * caller. */
static gc_object *pair_of_atoms(gc_heap *h) {
  gc_object *t = gc_new_ex(h, 2, 8, GC_NEW_TUPLE);
  assert_non_null(t);
  for (uint32_t i = 0; i < 2; i++) {
    gc_object *a = gc_new_ex(h, 0, 8, GC_NEW_UNTRACKED);
    assert_non_null(a);
    gc_slot_steal(h, t, i, a);
  }
  return t;
}

static void end_heap(gc_heap *h) {
  gc_root_truncate(h, 0);
  gc_collect(h, GC_FULL);
  gc_oracle_report rep;
  if (gc_oracle_check(h, GC_ORACLE_COMPLETE | GC_ORACLE_COUNTS, &rep) != 0)
    fail_msg("oracle: %s", rep.error);
  assert_int_equal(stats(h)->live_objects, 0);
  gc_heap_free(h);
}

/* ======================================================================
 * CPython 3.13: untrack_tuples, MAINTAIN_TRACKING, untrack_dicts
 * ==================================================================== */

/* A list holding 50 pairs of ints: the generation-0 collection examines
 * the list and the 50 tuples (51), then untracks the tuples; the next one
 * examines nothing of them (the list alone, promoted meanwhile, is not in
 * generation 0 either: 0 objects). */
static void test_313_tuples_untracked_by_collections(void **state) {
  (void)state;
  gc_heap *h = heap("cpython-3.13", "auto=0");
  gc_object *list = held(h, 50, 0);
  for (uint32_t i = 0; i < 50; i++) gc_slot_steal(h, list, i, pair_of_atoms(h));
  assert_int_equal(stats(h)->live_untracked, 100); /* the ints */
  gc_collect(h, 0);
  assert_int_equal(last_record(h)->examined, 51);
  assert_int_equal(stats(h)->untracked_by_collector, 50);
  assert_int_equal(stats(h)->live_untracked, 150);
  assert_false(gc_is_tracked(gc_slot_get(list, 7)));
  gc_collect(h, 0);
  assert_int_equal(last_record(h)->examined, 0);
  gc_collect(h, GC_FULL);
  assert_int_equal(last_record(h)->examined, 1);
  end_heap(h);
}

/* A tuple holding a list (a plain container, which may be tracked) or a
 * NULL slot stays tracked; one holding an untracked tuple of ints is
 * untracked, when that one was untracked first (list order). */
static void test_313_tuple_test(void **state) {
  (void)state;
  gc_heap *h = heap("cpython-3.13", "auto=0");
  gc_object *root = held(h, 4, 0);
  gc_object *inner = pair_of_atoms(h);
  gc_object *outer = gc_new_ex(h, 1, 8, GC_NEW_TUPLE);
  gc_slot_steal(h, root, 0, inner);
  gc_slot_set(h, outer, 0, inner);
  gc_slot_steal(h, root, 1, outer);
  gc_object *with_list = gc_new_ex(h, 1, 8, GC_NEW_TUPLE);
  gc_slot_steal(h, with_list, 0, gc_new(h, 0, 0));
  gc_slot_steal(h, root, 2, with_list);
  gc_slot_steal(h, root, 3, gc_new_ex(h, 1, 8, GC_NEW_TUPLE)); /* (NULL,) */
  gc_collect(h, 0);
  assert_false(gc_is_tracked(inner));
  assert_false(gc_is_tracked(outer));
  assert_true(gc_is_tracked(with_list));
  assert_true(gc_is_tracked(gc_slot_get(root, 3)));
  assert_int_equal(stats(h)->untracked_by_collector, 2);
  end_heap(h);
}

/* Dicts: born untracked; storing ints keeps them so, storing a list
 * tracks them (MAINTAIN_TRACKING), and once the list is gone only a full
 * collection untracks them again (untrack_dicts), never a generation-0
 * or generation-1 one.  3.14 tracks dicts from creation and never
 * untracks them. */
static void test_313_dicts(void **state) {
  (void)state;
  gc_heap *h = heap("cpython-3.13", "auto=0");
  gc_object *d = held(h, 2, GC_NEW_DICT);
  assert_false(gc_is_tracked(d));
  gc_slot_steal(h, d, 0, gc_new_ex(h, 0, 8, GC_NEW_UNTRACKED));
  assert_false(gc_is_tracked(d));
  gc_slot_steal(h, d, 1, gc_new(h, 0, 0));
  assert_true(gc_is_tracked(d));
  assert_int_equal(stats(h)->tracked_by_store, 1);
  gc_slot_set(h, d, 1, NULL);
  gc_collect(h, 0);
  gc_collect(h, 1);
  assert_true(gc_is_tracked(d));
  gc_collect(h, GC_FULL);
  assert_false(gc_is_tracked(d));
  assert_int_equal(stats(h)->untracked_by_collector, 1);
  end_heap(h);

  h = heap("cpython-3.14", "auto=0");
  d = held(h, 1, GC_NEW_DICT);
  assert_true(gc_is_tracked(d));
  gc_collect(h, GC_FULL);
  assert_true(gc_is_tracked(d));
  end_heap(h);
}

/* What 3.13 counts: every GC allocation, tracked or not, less the frees;
 * ints are no GC objects.  threshold0=10: 200 ints start no collection;
 * the list and 10 tuples born untracked make the count 11, and the next
 * allocation runs a collection. */
static void test_313_count_is_allocations(void **state) {
  (void)state;
  gc_heap *h = heap("cpython-3.13", "threshold0=10");
  gc_object *list = held(h, 11, 0);
  for (int i = 0; i < 100; i++)
    gc_decref(h, gc_new_ex(h, 0, 8, GC_NEW_UNTRACKED));
  for (int i = 0; i < 100; i++) { /* held atoms: no free lowers the count */
    gc_object *a = gc_new_ex(h, 0, 8, GC_NEW_UNTRACKED);
    assert_true(gc_root_push_steal(h, a) >= 0);
  }
  assert_int_equal(stats(h)->collections, 0);
  for (uint32_t i = 0; i < 10; i++)
    gc_slot_steal(h, list, i,
                  gc_new_ex(h, 0, 8, GC_NEW_TUPLE | GC_NEW_UNTRACKED));
  assert_int_equal(stats(h)->collections, 0); /* 11 counted: list + 10 */
  gc_decref(h, gc_new_ex(h, 0, 8, GC_NEW_UNTRACKED));
  assert_int_equal(stats(h)->collections, 1);
  end_heap(h);
}

/* ======================================================================
 * CPython 3.14.0 against 3.14 (gh-139951, gh-140262)
 * ==================================================================== */

/* gh-139951's program, scaled: a dict filled with 6,000 pairs of ints.
 * 3.14.0 counts each tuple's allocation (the ints are no GC objects) and
 * runs an increment once the count passes 2,000 (the dict and 2,000
 * tuples), which untracks the young tuples before it looks at anything:
 * 2 increments, 4,000 tuples untracked, none examined.  3.14 never tracks
 * those tuples, so nothing counts and nothing runs. */
static void test_314_tuples_count_until_fixed(void **state) {
  (void)state;
  static const char *const names[] = {"cpython-3.14.0", "cpython-3.14"};
  static const uint64_t want[] = {2, 0};
  for (int v = 0; v < 2; v++) {
    gc_heap *h = heap(names[v], NULL);
    gc_object *d = held(h, 6000, GC_NEW_DICT);
    for (uint32_t i = 0; i < 6000; i++) gc_slot_steal(h, d, i, pair_of_atoms(h));
    if (stats(h)->collections != want[v])
      fail_msg("%s: %llu automatic collections, want %llu", names[v],
               (unsigned long long)stats(h)->collections,
               (unsigned long long)want[v]);
    size_t n;
    const gc_collection_record *r = gc_heap_records(h, &n);
    for (size_t i = 0; i < n; i++)
      if (r[i].examined > 2) /* the dict and the root marking */
        fail_msg("%s: increment %zu examined %llu objects", names[v], i,
                 (unsigned long long)r[i].examined);
    assert_int_equal(stats(h)->live_untracked, v == 0 ? 16000 : 18000);
    assert_int_equal(stats(h)->untracked_by_collector, v == 0 ? 4000 : 0);
    end_heap(h);
  }
}

/* What each counts: under 3.14 tracking counts (an untracked tuple that
 * receives a list is tracked, and counts then) and untracking uncounts;
 * under 3.14.0 neither does, the allocation counted already.
 * threshold=10.  20 untracked tuples: 3.14.0 collects, 3.14 does not;
 * then 11 of them tracked by a store (11 lists allocated too: 22 counted
 * under 3.14) start a collection under 3.14. */
static void test_314_tracking_counts(void **state) {
  (void)state;
  gc_heap *h = heap("cpython-3.14", "threshold=10");
  gc_object *list = held(h, 20, 0);
  for (uint32_t i = 0; i < 20; i++)
    gc_slot_steal(h, list, i, gc_new_ex(h, 1, 8, GC_NEW_TUPLE));
  assert_int_equal(stats(h)->collections, 0);
  assert_int_equal(stats(h)->live_untracked, 20);
  /* 5 lists stored: 10 counted (5 lists, 5 tuples tracked), with the
   * root list 11 > 10: due, at the next allocation */
  for (uint32_t i = 0; i < 5; i++)
    gc_slot_steal(h, gc_slot_get(list, i), 0, gc_new(h, 0, 0));
  assert_int_equal(stats(h)->collections, 0);
  gc_decref(h, gc_new(h, 0, 0));
  assert_int_equal(stats(h)->collections, 1);
  end_heap(h);

  h = heap("cpython-3.14.0", "threshold=10");
  list = held(h, 20, 0);
  for (uint32_t i = 0; i < 10; i++)
    gc_slot_steal(h, list, i,
                  gc_new_ex(h, 1, 8, GC_NEW_TUPLE | GC_NEW_UNTRACKED));
  assert_int_equal(stats(h)->collections, 0); /* 11 counted */
  gc_slot_steal(h, list, 10,
                gc_new_ex(h, 1, 8, GC_NEW_TUPLE | GC_NEW_UNTRACKED));
  assert_int_equal(stats(h)->collections, 1);
  end_heap(h);
}

/* ======================================================================
 * Free-threaded: cpython-3.14t against cpython-3.14.3t (gh-142531)
 * ==================================================================== */

/* gh-142531's program, scaled: a list of 30,000 one-int tuples.  Every
 * tuple allocation counts (record_allocation counts GC objects); the ints
 * are no GC objects.  3.14t: long_lived_total stays at the list alone, so
 * a collection runs every 2,048 counted allocations (the count seen in
 * steps of 512 passing 2,000), each walking every block: 14.  3.14.3t:
 * the untracked tuples count in long_lived_total, and once it passes
 * 8,000 the collections thin out as the heap grows: 9.  The process-size
 * deferral is off (mem_defer=0): at this size, with no interpreter around
 * the objects, it defers half of either's collections and hides the rule
 * pinned here.  Each collection examines the tracked objects only: the
 * list and the tuple being built (born tracked under 3.14t, with a NULL
 * slot: not untrackable yet). */
static uint64_t ft_tuple_list(const char *name, uint64_t *max_examined) {
  gc_heap *h = heap(name, "mem_defer=0");
  gc_object *list = held(h, 30000, 0);
  for (uint32_t i = 0; i < 30000; i++) {
    gc_object *t = gc_new_ex(h, 1, 8, GC_NEW_TUPLE);
    assert_non_null(t);
    gc_slot_steal(h, t, 0, gc_new_ex(h, 0, 8, GC_NEW_UNTRACKED));
    gc_slot_steal(h, list, i, t);
  }
  size_t n;
  const gc_collection_record *r = gc_heap_records(h, &n);
  *max_examined = 0;
  for (size_t i = 0; i < n; i++)
    if (r[i].examined > *max_examined) *max_examined = r[i].examined;
  uint64_t c = stats(h)->collections;
  end_heap(h);
  return c;
}

static void test_ft_long_lived_total(void **state) {
  (void)state;
  uint64_t ex_before, ex_after;
  uint64_t before = ft_tuple_list("cpython-3.14t", &ex_before);
  uint64_t after = ft_tuple_list("cpython-3.14.3t", &ex_after);
  print_message("collections: cpython-3.14t %llu, cpython-3.14.3t %llu\n",
                (unsigned long long)before, (unsigned long long)after);
  if (before != 14 || after != 9)
    fail_msg("collections %llu (cpython-3.14t) and %llu (cpython-3.14.3t), "
             "want 14 and 9",
             (unsigned long long)before, (unsigned long long)after);
  assert_int_equal(ex_before, 2);
  assert_int_equal(ex_after, 1);
}

/* ======================================================================
 * Root buffers: php-8 against nim-orc (#17127)
 * ==================================================================== */

/* #17127's program, scaled: a cache of 12,000 acyclic objects (a class of
 * floats), each taken out and put back, so that its count drops to
 * non-zero.  php-8 buffers each one: at 10,000 roots a collection runs,
 * looks at all 10,000 and frees nothing, and the threshold rises.
 * nim-orc never buffers them; neither does php-8 with
 * buffer_untracked=0, the fix the report asks for. */
static uint64_t cache_collections(const char *name, const char *tunables,
                                  uint64_t *examined) {
  gc_heap *h = heap(name, tunables);
  gc_object *cache = held(h, 12000, 0);
  for (uint32_t i = 0; i < 12000; i++)
    gc_slot_steal(h, cache, i, gc_new_ex(h, 0, 16, GC_NEW_UNTRACKED));
  for (uint32_t i = 0; i < 12000; i++) {
    gc_object *v = gc_slot_get(cache, i);
    gc_incref(v);   /* $v = $cache[$i] */
    gc_decref(h, v); /* unset($v): the count stays at 1 */
    gc_decref(h, gc_new_ex(h, 0, 16, GC_NEW_UNTRACKED)); /* a temporary */
  }
  *examined = stats(h)->objects_examined;
  uint64_t c = stats(h)->collections;
  end_heap(h);
  return c;
}

static void test_php_buffers_acyclic_nim_does_not(void **state) {
  (void)state;
  uint64_t ex;
  assert_int_equal(cache_collections("php-8", NULL, &ex), 1);
  assert_int_equal(ex, 10000);
  assert_int_equal(cache_collections("php-8", "buffer_untracked=0", &ex), 0);
  assert_int_equal(cache_collections("nim-orc", NULL, &ex), 0);
  assert_int_equal(ex, 0);
}

/* ======================================================================
 * The invariant under every sequence of stores
 * ==================================================================== */

/* An untracked holder that receives what a later store can track is
 * tracked at once, so that the later store leaves no tracked object in an
 * untracked one: a tuple still being built (a NULL slot) stored into
 * another, under 3.14's born-untracked tuples; an untracked dict stored
 * into an acyclic holder (an atom with slots), under 3.13's born-untracked
 * dicts.  A built tuple of atoms and an atom without slots leave the
 * holder untracked.  The oracle (end_heap) checks the invariant too. */
static void test_stores_keep_invariant(void **state) {
  (void)state;
  gc_heap *h = heap("cpython-3.14", "auto=0");
  gc_object *outer = held(h, 2, GC_NEW_TUPLE);
  gc_object *inner = gc_new_ex(h, 1, 8, GC_NEW_TUPLE);
  assert_non_null(inner);
  assert_false(gc_is_tracked(outer));
  gc_slot_steal(h, outer, 0, inner);
  gc_slot_steal(h, inner, 0, gc_new(h, 0, 0)); /* tracks inner */
  assert_true(gc_is_tracked(inner));
  assert_true(gc_is_tracked(outer));
  end_heap(h);

  h = heap("cpython-3.14", "auto=0");
  outer = held(h, 2, GC_NEW_TUPLE);
  gc_slot_steal(h, outer, 0, pair_of_atoms(h)); /* built: stays untracked */
  gc_slot_steal(h, outer, 1, gc_new_ex(h, 0, 8, GC_NEW_UNTRACKED));
  assert_false(gc_is_tracked(outer));
  end_heap(h);

  h = heap("cpython-3.13", "auto=0");
  gc_object *holder = held(h, 2, GC_NEW_UNTRACKED);
  gc_object *d = gc_new_ex(h, 1, 8, GC_NEW_DICT);
  assert_non_null(d);
  assert_false(gc_is_tracked(d));
  gc_slot_steal(h, holder, 0, d);
  gc_slot_steal(h, d, 0, gc_new(h, 0, 0)); /* tracks d */
  assert_true(gc_is_tracked(d));
  assert_true(gc_is_tracked(holder));
  end_heap(h);

  h = heap("cpython-3.13", "auto=0");
  holder = held(h, 2, GC_NEW_UNTRACKED);
  gc_slot_steal(h, holder, 0, gc_new_ex(h, 0, 8, GC_NEW_UNTRACKED));
  assert_false(gc_is_tracked(holder));
  end_heap(h);
}

/* Untracking uncounts under count=tracked (3.14): a list and 9 objects
 * count 10 (threshold=10: the 11th counted allocation collects); 5 of the
 * objects untracked count out, so 5 more allocations start nothing and the
 * seventh runs a collection.  Under 3.14.0 (count=trackable) untracking
 * changes nothing: the 11th allocation collects. */
static void test_untrack_uncounts(void **state) {
  (void)state;
  static const char *const names[] = {"cpython-3.14", "cpython-3.14.0"};
  for (int v = 0; v < 2; v++) {
    gc_heap *h = heap(names[v], "threshold=10");
    gc_object *list = held(h, 20, 0);
    for (uint32_t i = 0; i < 9; i++) gc_slot_steal(h, list, i, gc_new(h, 0, 0));
    for (uint32_t i = 0; i < 5; i++)
      assert_int_equal(gc_untrack(h, gc_slot_get(list, i)), GC_OK);
    uint32_t i = 9;
    while (stats(h)->collections == 0 && i < 20)
      gc_slot_steal(h, list, i++, gc_new(h, 0, 0));
    if (i - 9 != (v == 0 ? 7u : 2u))
      fail_msg("%s: the %u-th allocation after untracking collected, want "
               "the %u-th",
               names[v], i - 9, v == 0 ? 7u : 2u);
    end_heap(h);
  }
}

/* gc_heap_buffer_all buffers every live tracked object once, in list
 * order, and forgets what the workload buffered, untracked objects too
 * (php-8 buffers them): the full collection then examines the list
 * alone. */
static void test_buffer_all_forgets_untracked(void **state) {
  (void)state;
  gc_heap *h = heap("php-8", NULL);
  gc_object *list = held(h, 3, 0);
  for (uint32_t i = 0; i < 3; i++)
    gc_slot_steal(h, list, i, gc_new_ex(h, 0, 8, GC_NEW_UNTRACKED));
  for (uint32_t i = 0; i < 2; i++) {
    gc_incref(gc_slot_get(list, i));
    gc_decref(h, gc_slot_get(list, i)); /* buffered */
  }
  assert_int_equal(gc_heap_buffer_all(h), 1);
  gc_collect(h, GC_FULL);
  assert_int_equal(last_record(h)->examined, 1);
  end_heap(h);
}

/* What sizes a collector's schedule by the live heap means the tracked
 * live objects, which it examines; atoms change nothing.  naive with
 * growth=1 waits max(threshold, live tracked objects): 1,000 held atoms
 * beside one list leave it at threshold=10 (net_count=0: the allocations
 * dropped at once count).  trial's whole_heap=0.5 scans the whole
 * heap once the buffered roots pass half the tracked objects: 3 of a list
 * and 4 leaves do, with or without 100 atoms. */
static uint64_t trial_examined(uint32_t atoms) {
  gc_heap *h = heap("trial", "auto=0,whole_heap=0.5");
  gc_object *list = held(h, 4, 0);
  for (uint32_t i = 0; i < 4; i++) gc_slot_steal(h, list, i, gc_new(h, 0, 0));
  for (uint32_t i = 0; i < atoms; i++) held(h, 0, GC_NEW_UNTRACKED);
  for (uint32_t i = 0; i < 3; i++) {
    gc_incref(gc_slot_get(list, i));
    gc_decref(h, gc_slot_get(list, i)); /* buffered */
  }
  gc_collect(h, GC_FULL);
  uint64_t ex = last_record(h)->examined;
  end_heap(h);
  return ex;
}

static void test_sizes_count_tracked(void **state) {
  (void)state;
  gc_heap *h = heap("naive", "threshold=10,growth=1,net_count=0");
  held(h, 20, 0);
  for (int i = 0; i < 1000; i++) held(h, 0, GC_NEW_UNTRACKED);
  gc_collect(h, GC_FULL);
  for (int i = 0; i < 11; i++) gc_decref(h, gc_new(h, 0, 0));
  assert_int_equal(stats(h)->collections, 1);
  gc_decref(h, gc_new(h, 0, 0));
  assert_int_equal(stats(h)->collections, 2);
  end_heap(h);

  uint64_t without = trial_examined(0), with = trial_examined(100);
  if (without != with)
    fail_msg("trial whole_heap=0.5 examined %llu objects, %llu with 100 "
             "atoms besides",
             (unsigned long long)without, (unsigned long long)with);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_313_tuples_untracked_by_collections),
      cmocka_unit_test(test_313_tuple_test),
      cmocka_unit_test(test_313_dicts),
      cmocka_unit_test(test_313_count_is_allocations),
      cmocka_unit_test(test_314_tuples_count_until_fixed),
      cmocka_unit_test(test_314_tracking_counts),
      cmocka_unit_test(test_ft_long_lived_total),
      cmocka_unit_test(test_php_buffers_acyclic_nim_does_not),
      cmocka_unit_test(test_stores_keep_invariant),
      cmocka_unit_test(test_untrack_uncounts),
      cmocka_unit_test(test_buffer_all_forgets_untracked),
      cmocka_unit_test(test_sizes_count_tracked),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
