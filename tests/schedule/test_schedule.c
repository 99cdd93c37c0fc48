/*
 * test_schedule.c -- when the collectors collect, and what.
 *
 * The conformance suite ends every case with a full collection, so a
 * collector that never ran its older generations automatically would pass
 * it.  These tests pin the automatic schedule instead: which generation
 * each automatic collection examined and how many objects it looked at,
 * CPython's generation-0 count (allocations minus deallocations), the
 * threshold1 / threshold2 counting, the long-lived rule, the peak live
 * bytes such a schedule keeps on a churn heap, and when trial deletion's
 * adaptive threshold moves (tests/trial has the rest of its rule).
 *
 * The expected sequences are worked out by hand from CPython 3.13's rules
 * (Python/gc.c: the generation-0 count rises in _PyObject_GC_Link's
 * allocation path and falls in PyObject_GC_Del while above zero; a
 * collection of generation g adds one to g+1's count and clears 0..g; the
 * oldest generation g whose count exceeds its threshold is collected, the
 * full one only when long_lived_pending >= long_lived_total / 4).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "collector.h"
#include "oracle.h"
#include "workload.h"

/* ======================================================================
 * Helpers
 * ==================================================================== */

static gc_heap *heap(const char *collector, const char *tunables) {
  char err[256];
  gc_heap *h = gc_heap_new(collector, tunables, err, sizeof err);
  if (!h)
    fail_msg("gc_heap_new(%s, %s): %s", collector, tunables ? tunables : "",
             err);
  return h;
}

static uint64_t collections(gc_heap *h) {
  return gc_heap_get_stats(h)->collections;
}

/* Allocate one object with no slots and hold it in the root table. */
static long hold_new(gc_heap *h) {
  gc_object *o = gc_new(h, 0, 0);
  assert_non_null(o);
  long i = gc_root_push_steal(h, o);
  assert_true(i >= 0);
  return i;
}

/* Drop the root-table entry i: reference counting frees its object. */
static void drop(gc_heap *h, long i) {
  assert_int_equal(gc_root_set(h, (size_t)i, NULL), GC_OK);
}

static void assert_oracle(gc_heap *h) {
  gc_oracle_report rep;
  if (gc_oracle_check(h, GC_ORACLE_COMPLETE | GC_ORACLE_COUNTS, &rep) != 0)
    fail_msg("oracle: %s", rep.error);
}

/* ======================================================================
 * Generation 0's count: allocations minus deallocations
 * ==================================================================== */

/* Ten allocations, five freed by reference counting, five more: the count
 * is 10, not 15.  CPython schedules a collection when an allocation makes
 * the count exceed threshold0 (count > threshold in _PyObject_GC_Link),
 * so the eleventh net allocation does, and the collection runs before the
 * allocation after it. */
static void test_gen0_counts_net(void **state) {
  (void)state;
  const char *cs[] = {"generational", "naive"};
  const char *tun[] = {"threshold0=10,threshold1=1000,threshold2=1000",
                       "threshold=10"};
  for (int c = 0; c < 2; c++) {
    gc_heap *h = heap(cs[c], tun[c]);
    long idx[10];
    for (int i = 0; i < 10; i++) idx[i] = hold_new(h);
    for (int i = 0; i < 5; i++) drop(h, idx[i]);
    for (int i = 0; i < 5; i++) hold_new(h);
    hold_new(h); /* count 11 */
    assert_int_equal(collections(h), 0);
    hold_new(h);
    assert_int_equal(collections(h), 1);
    assert_int_equal(gc_heap_records(h, &(size_t){0})[0].examined, 11);
    assert_oracle(h);
    gc_heap_free(h);
  }
}

/* net_count=0 keeps the allocations-only rule: once the eleventh
 * allocation makes the count 11, the next one collects, whatever was freed
 * in between. */
static void test_gen0_counts_allocations_only(void **state) {
  (void)state;
  gc_heap *h = heap("generational",
                    "threshold0=10,threshold1=1000,threshold2=1000,"
                    "net_count=0");
  long idx[10];
  for (int i = 0; i < 10; i++) idx[i] = hold_new(h);
  for (int i = 0; i < 5; i++) drop(h, idx[i]);
  hold_new(h);
  assert_int_equal(collections(h), 0);
  hold_new(h);
  assert_int_equal(collections(h), 1);
  gc_heap_free(h);
}

/* The count never goes below zero: frees right after a collection leave it
 * at zero, so the next threshold0 allocations do not collect (a count that
 * wrapped below zero would collect at once). */
static void test_gen0_count_floor(void **state) {
  (void)state;
  gc_heap *h = heap("generational",
                    "threshold0=10,threshold1=1000,threshold2=1000");
  long idx[11];
  for (int i = 0; i < 11; i++) idx[i] = hold_new(h);
  hold_new(h); /* collects first: count 11 */
  assert_int_equal(collections(h), 1);
  for (int i = 0; i < 11; i++) drop(h, idx[i]); /* count 1 -> 0, stays */
  for (int i = 0; i < 11; i++) hold_new(h);
  assert_int_equal(collections(h), 1);
  hold_new(h);
  assert_int_equal(collections(h), 2);
  gc_heap_free(h);
}

/* ======================================================================
 * Which generation, and how much of the heap
 * ==================================================================== */

/* Every object stays live; threshold0=4, threshold1=2, threshold2=2.
 * Collection k runs before allocation 5k+1 (the count exceeds 4 at the
 * fifth) and finds 5 new objects.  Generation 1's count exceeds 2 after
 * three generation-0 collections, so every fourth collection is of
 * generation 1 (examining the 5 new objects and the 15 in generation 1);
 * generation 2's count exceeds 2 after three of those, so the thirteenth
 * is full (5 new + 60 in generation 2). */
static void test_generation_sequence(void **state) {
  (void)state;
  gc_heap *h = heap("generational",
                    "threshold0=4,threshold1=2,threshold2=2,longlived=0");
  for (int i = 0; i < 5 * 26; i++) hold_new(h);
  size_t n;
  const gc_collection_record *r = gc_heap_records(h, &n);
  assert_int_equal(n, 25);
  static const int want_gen[13] = {0, 0, 0, 1, 0, 0, 0, 1,
                                   0, 0, 0, 1, GC_FULL};
  static const uint64_t want_examined[13] = {5, 5, 5, 20, 5,  5, 5,
                                             20, 5, 5, 5, 20, 65};
  for (size_t k = 0; k < n; k++) {
    int g = want_gen[k % 13];
    uint64_t e = want_examined[k % 13];
    if (r[k].generation != g || r[k].examined != e || !r[k].automatic)
      fail_msg("collection %zu: generation %d examined %llu (automatic %d); "
               "want generation %d examined %llu",
               k + 1, r[k].generation, (unsigned long long)r[k].examined,
               r[k].automatic, g, (unsigned long long)e);
  }
  assert_oracle(h);
  gc_heap_free(h);
}

/* The long-lived rule: after a full collection left 1000 objects in the
 * oldest generation, a full collection waits until generation-1
 * collections have promoted at least 1000 / 4 objects into it.  Each
 * promotes 20 here (every fourth collection, as above), so the first
 * automatic full collection comes after the 13th generation-1 collection
 * (260 >= 250), at automatic collection 53, instead of 13. */
static void test_long_lived_rule(void **state) {
  (void)state;
  for (int longlived = 0; longlived <= 1; longlived++) {
    char tun[128];
    snprintf(tun, sizeof tun,
             "threshold0=4,threshold1=2,threshold2=2,longlived=%d,auto=0",
             longlived);
    gc_heap *h = heap("generational", tun);
    for (int i = 0; i < 1000; i++) hold_new(h);
    gc_collect(h, GC_FULL);
    gc_set_auto(h, 1);
    for (int i = 0; i < 5 * 70 + 1; i++) hold_new(h);
    size_t n;
    const gc_collection_record *r = gc_heap_records(h, &n);
    /* r[0] is the manual full collection, r[k] automatic collection k. */
    assert_int_equal(n, 71);
    size_t first_full = 0;
    uint64_t pending = 0;
    for (size_t k = 1; k < n; k++) {
      assert_true(r[k].automatic);
      if (r[k].generation == 1) pending += r[k].examined;
      if (r[k].generation == GC_FULL) {
        first_full = k;
        break;
      }
    }
    if (longlived) {
      assert_int_equal(first_full, 53);
      assert_true(pending >= 250);
    } else {
      assert_int_equal(first_full, 13);
    }
    assert_oracle(h);
    gc_heap_free(h);
  }
}

/* CPython's test is count > threshold for both of its collectors (3.13's
 * _PyObject_GC_Link, 3.14.0's too): with threshold 10 the first automatic
 * collection runs after the eleventh allocation, before the twelfth, and
 * finds 11 young objects, under generational, naive and incremental
 * alike. */
static void test_first_collection_after_threshold_plus_one(void **state) {
  (void)state;
  const char *cs[] = {"generational", "naive", "incremental"};
  const char *tun[] = {"threshold0=10", "threshold=10", "threshold=10"};
  for (int c = 0; c < 3; c++) {
    gc_heap *h = heap(cs[c], tun[c]);
    int at = 0;
    for (int i = 1; i <= 20 && !at; i++) {
      hold_new(h);
      if (collections(h)) at = i; /* ran inside the i-th gc_new */
    }
    if (at != 12)
      fail_msg("%s: first automatic collection inside allocation %d, "
               "want 12", cs[c], at);
    size_t n;
    const gc_collection_record *r = gc_heap_records(h, &n);
    if (c != 2) assert_int_equal(r[0].examined, 11); /* young: all 11 */
    gc_heap_free(h);
  }
}

/* ======================================================================
 * When the counts are taken: before finalizers, at the collection's start
 * ==================================================================== */

/* Finalizer for the tests below: arg says what to do. */
typedef struct fin_plan {
  int resurrect; /* push the object into the root table */
  int allocate;  /* objects to allocate and hold in the root table */
} fin_plan;

static void plan_finalizer(gc_heap *h, gc_object *o, void *arg) {
  const fin_plan *p = arg;
  if (p->resurrect) assert_true(gc_root_push(h, o) >= 0);
  for (int i = 0; i < p->allocate; i++) {
    gc_object *x = gc_new(h, 0, 0);
    assert_non_null(x);
    assert_true(gc_root_push_steal(h, x) >= 0);
  }
}

/* n self-loops with a finalizer, unreachable. */
static void finalizable_garbage(gc_heap *h, int n) {
  for (int i = 0; i < n; i++) {
    gc_object *o = gc_new(h, 1, 0);
    assert_non_null(o);
    assert_int_equal(gc_slot_set(h, o, 0, o), GC_OK);
    gc_object_add_finalizer(h, o);
    gc_decref(h, o);
  }
}

/* CPython 3.13's gc_collect_main adds gc_list_size(young) to
 * long_lived_pending right after deduce_unreachable, before finalizers
 * run: objects they resurrect reach the oldest generation without
 * counting as pending.  A full collection leaves 100 objects (so a full
 * one waits for 25 pending); a generation-1 collection then finds 30
 * unreachable objects whose finalizers resurrect them all.  Pending stays
 * 0, so once generation 2's count is due the automatic collection is of
 * generation 0, not full.  The control case holds 30 young objects
 * reachable instead: pending 30, and the same collection is full. */
static void test_long_lived_pending_before_finalizers(void **state) {
  (void)state;
  for (int control = 0; control <= 1; control++) {
    gc_heap *h = heap("generational",
                      "threshold0=4,threshold1=1000,threshold2=1,auto=0");
    fin_plan plan = {.resurrect = 1};
    gc_set_finalizer(h, plan_finalizer, &plan);
    for (int i = 0; i < 100; i++) hold_new(h);
    gc_collect(h, GC_FULL); /* long_lived_total 100 */
    if (control)
      for (int i = 0; i < 30; i++) hold_new(h);
    else
      finalizable_garbage(h, 30);
    gc_collect(h, 1); /* generation 2's count 1 */
    assert_int_equal(gc_heap_get_stats(h)->resurrected, control ? 0 : 30);
    gc_collect(h, 1); /* 2 > threshold2: a full collection is due */
    gc_set_auto(h, 1);
    uint64_t before = collections(h);
    for (int i = 0; i < 10 && collections(h) == before; i++) hold_new(h);
    assert_int_equal(collections(h), before + 1);
    size_t n;
    const gc_collection_record *r = gc_heap_records(h, &n);
    if (r[n - 1].generation != (control ? GC_FULL : 0))
      fail_msg("%s: the automatic collection was of generation %d, want %d",
               control ? "30 reachable survivors" : "30 resurrected",
               r[n - 1].generation, control ? GC_FULL : 0);
    assert_oracle(h);
    gc_heap_free(h);
  }
}

/* The young count is zeroed as a collection starts (3.13's gc_collect_main,
 * 3.14.0's assess_work_to_do), so objects that finalizers allocate during
 * it count towards the next collection: 8 allocated during an explicit
 * collection, less the finalized object it frees (a free lowers the
 * count), leave the count at 7, and with threshold 10 the next automatic
 * collection comes after 4 more allocations (count 11), not 11. */
static void test_young_count_zeroed_at_start(void **state) {
  (void)state;
  const char *cs[] = {"generational", "incremental", "cpython-3.14.0"};
  const char *tun[] = {"threshold0=10,auto=0", "threshold=10,auto=0",
                       "threshold=10,auto=0"};
  const int gen[] = {0, 1, 1};
  for (int c = 0; c < 3; c++) {
    gc_heap *h = heap(cs[c], tun[c]);
    fin_plan plan = {.allocate = 8};
    gc_set_finalizer(h, plan_finalizer, &plan);
    finalizable_garbage(h, 1);
    /* incremental's first increment may only mark from the roots */
    for (int k = 0; k < 4 && !gc_heap_get_stats(h)->finalizers_run; k++)
      gc_collect(h, gen[c]);
    assert_int_equal(gc_heap_get_stats(h)->finalizers_run, 1);
    assert_int_equal(gc_heap_get_stats(h)->freed_by_collector, 1);
    gc_set_auto(h, 1);
    uint64_t before = collections(h);
    int made = 0;
    while (made < 20) {
      hold_new(h);
      if (collections(h) != before) break;
      made++;
    }
    if (made != 4)
      fail_msg("%s: %d allocations completed before the next automatic "
               "collection, want 4 (7 counted from the collection)",
               cs[c], made);
    assert_oracle(h);
    gc_heap_free(h);
  }
}

/* ======================================================================
 * What a correct schedule keeps: churn's peak live bytes
 * ==================================================================== */

static uint64_t churn_peak(const char *collector, const char *tunables,
                           uint64_t *collected) {
  gc_heap *h = heap(collector, tunables);
  const workload *w = wl_find("churn");
  assert_non_null(w);
  gc_param_set p;
  assert_int_equal(gc_params_init(&p, w->params, w->nparams), 0);
  char err[256];
  if (gc_params_assign_list(&p, "n=400000,live=20000,window=2000", err,
                            sizeof err) != 0)
    fail_msg("%s", err);
  wl_answer ans;
  assert_int_equal(w->run(h, &p, 1, &ans, err, sizeof err), WL_OK);
  uint64_t peak = gc_heap_get_stats(h)->peak_live_bytes;
  *collected = gc_heap_get_stats(h)->freed_by_collector;
  gc_collect(h, GC_FULL);
  assert_oracle(h);
  gc_params_free(&p);
  gc_heap_free(h);
  return peak;
}

/* Garbage that survives into generations 1 and 2 is freed only when those
 * generations are collected: a schedule that skips them keeps it.  Churn
 * with a window of 2000 groups keeps each cyclic group alive across a
 * generation-0 collection or two, so much of its garbage dies old.  The
 * runs are deterministic (seed 1); measured: generational's peak is 1.23x
 * naive's (which collects everything every 2000 allocations, so no
 * garbage outlives one period) and its automatic collections free 76% of
 * what naive's do; never collecting generations 1 and 2 gives 1.43x and
 * 56%.  The bounds sit between. */
static void test_churn_peak_live(void **state) {
  (void)state;
  uint64_t freed_gen, freed_naive;
  uint64_t gen = churn_peak("generational", NULL, &freed_gen);
  uint64_t naive = churn_peak("naive", "threshold=2000", &freed_naive);
  print_message("churn peak live bytes: generational %llu, naive %llu; "
                "freed by automatic collections %llu, %llu\n",
                (unsigned long long)gen, (unsigned long long)naive,
                (unsigned long long)freed_gen, (unsigned long long)freed_naive);
  if ((double)gen > 1.33 * (double)naive)
    fail_msg("generational peak %llu bytes > 1.33 x naive's %llu",
             (unsigned long long)gen, (unsigned long long)naive);
  if ((double)freed_gen < 0.7 * (double)freed_naive)
    fail_msg("generational's automatic collections freed %llu objects, "
             "under 0.7 x naive's %llu",
             (unsigned long long)freed_gen, (unsigned long long)freed_naive);
}

/* ======================================================================
 * Trial deletion's adaptive threshold moves on automatic collections only
 * ==================================================================== */

/* Buffer objects[from..to) as possible roots: a decrement to non-zero. */
static void buffer_roots(gc_heap *h, gc_object **objs, int from, int to) {
  for (int i = from; i < to; i++) {
    gc_incref(objs[i]);
    gc_decref(h, objs[i]);
  }
}

/* threshold=100, step=100: an unproductive automatic collection (all
 * roots live) raises the threshold to 200, so 100 more roots do not
 * collect and 200 do; an explicit gc_collect does not move it (PHP adjusts
 * only in the automatic path, gc_possible_root_when_full). */
static void test_trial_threshold_moves_on_automatic_only(void **state) {
  (void)state;
  gc_heap *h = heap("trial", "threshold=100,step=100");
  gc_object *objs[600];
  for (int i = 0; i < 600; i++) {
    objs[i] = gc_new(h, 0, 0);
    assert_non_null(objs[i]);
    assert_true(gc_root_push_steal(h, objs[i]) >= 0);
  }
  assert_int_equal(collections(h), 0);
  /* Explicit and unproductive: the threshold stays at 100. */
  buffer_roots(h, objs, 0, 100);
  gc_collect(h, GC_FULL);
  assert_int_equal(collections(h), 1);
  buffer_roots(h, objs, 100, 200);
  hold_new(h);
  assert_int_equal(collections(h), 2); /* automatic, unproductive: 200 */
  buffer_roots(h, objs, 200, 300);
  hold_new(h);
  assert_int_equal(collections(h), 2);
  buffer_roots(h, objs, 300, 400);
  hold_new(h);
  assert_int_equal(collections(h), 3); /* unproductive again: 300 */
  buffer_roots(h, objs, 400, 600);
  hold_new(h);
  assert_int_equal(collections(h), 3);
  assert_oracle(h);
  gc_heap_free(h);
}

/* ======================================================================
 * Profiles: each runtime's policy by name
 * ==================================================================== */

/* `cpython-3.13` is generational with CPython 3.13's settings, and the
 * caller's tunables override the profile's: the sequence of
 * test_generation_sequence, by the profile's name. */
static void test_profile_cpython_is_generational(void **state) {
  (void)state;
  gc_heap *h = heap("cpython-3.13",
                    "threshold0=4,threshold1=2,threshold2=2,longlived=0");
  assert_string_equal(gc_heap_collector(h)->name, "generational");
  for (int i = 0; i < 5 * 14; i++) hold_new(h);
  size_t n;
  const gc_collection_record *r = gc_heap_records(h, &n);
  assert_int_equal(n, 13);
  assert_int_equal(r[3].generation, 1);
  assert_int_equal(r[12].generation, GC_FULL);
  gc_heap_free(h);
  /* Its own settings: 2000 allocations less deallocations. */
  h = heap("cpython-3.13", NULL);
  long idx[2000];
  for (int i = 0; i < 2000; i++) idx[i] = hold_new(h);
  for (int i = 0; i < 1000; i++) drop(h, idx[i]);
  for (int i = 0; i < 1000; i++) hold_new(h);
  hold_new(h); /* count 2001 */
  assert_int_equal(collections(h), 0);
  hold_new(h);
  assert_int_equal(collections(h), 1);
  gc_heap_free(h);
}

/* n two-object rings, each dropped by its only root: n possible roots
 * whose 2n objects are garbage. */
static void garbage_rings(gc_heap *h, int n) {
  for (int i = 0; i < n; i++) {
    gc_object *a = gc_new(h, 1, 0), *b = gc_new(h, 1, 0);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(gc_slot_steal(h, a, 0, b), GC_OK);
    gc_incref(a);
    assert_int_equal(gc_slot_steal(h, b, 0, a), GC_OK);
    gc_decref(h, a); /* count 2 -> 1: buffered */
  }
}

static gc_object **live_objects(gc_heap *h, int n) {
  gc_object **objs = test_malloc((size_t)n * sizeof *objs);
  for (int i = 0; i < n; i++) {
    objs[i] = gc_new(h, 0, 0);
    assert_non_null(objs[i]);
    assert_true(gc_root_push_steal(h, objs[i]) >= 0);
  }
  return objs;
}

/* `php-8`: 10,000 roots; an automatic collection that frees fewer than
 * 100 objects raises the threshold by 10,000; one that frees 100 lowers it
 * again, however small a share of the examined objects that is (PHP has
 * no yield test: with trial's default min_yield=0.05 the same collection
 * would count as unproductive and raise it to 30,000). */
static void test_profile_php_threshold(void **state) {
  (void)state;
  gc_heap *h = heap("php-8", "auto=0");
  gc_object **objs = live_objects(h, 40000);
  gc_set_auto(h, 1);
  buffer_roots(h, objs, 0, 10000);
  hold_new(h);
  assert_int_equal(collections(h), 1); /* unproductive: 20,000 */
  buffer_roots(h, objs, 10000, 29950);
  garbage_rings(h, 49);
  hold_new(h);
  assert_int_equal(collections(h), 1); /* 19,999 roots */
  garbage_rings(h, 1);
  hold_new(h);
  assert_int_equal(collections(h), 2); /* frees 100 of ~20,050: 10,000 */
  assert_int_equal(gc_heap_get_stats(h)->freed_by_collector, 100);
  buffer_roots(h, objs, 30000, 40000);
  hold_new(h);
  assert_int_equal(collections(h), 3);
  assert_oracle(h);
  test_free(objs);
  gc_heap_free(h);
}

/* `nim-orc`: 128 roots; a collection that found only garbage leaves 128
 * alone; an unproductive one grows the threshold by half (192, then 288);
 * one freeing at least half of what it examined shrinks it to 2/3; explicit
 * collections adapt it too. */
static void test_profile_nim_orc_threshold(void **state) {
  (void)state;
  /* All garbage at the starting threshold: kept at 128. */
  gc_heap *h = heap("nim-orc", "auto=0");
  gc_object **objs = live_objects(h, 2000);
  gc_set_auto(h, 1);
  garbage_rings(h, 10);
  gc_collect(h, GC_FULL);
  assert_int_equal(collections(h), 1);
  buffer_roots(h, objs, 0, 127);
  hold_new(h);
  assert_int_equal(collections(h), 1);
  buffer_roots(h, objs, 127, 128);
  hold_new(h);
  assert_int_equal(collections(h), 2);
  test_free(objs);
  gc_heap_free(h);

  h = heap("nim-orc", "auto=0");
  objs = live_objects(h, 2000);
  gc_set_auto(h, 1);
  buffer_roots(h, objs, 0, 128);
  hold_new(h);
  assert_int_equal(collections(h), 1); /* all live: 192 */
  buffer_roots(h, objs, 128, 128 + 191);
  hold_new(h);
  assert_int_equal(collections(h), 1);
  buffer_roots(h, objs, 319, 320);
  hold_new(h);
  assert_int_equal(collections(h), 2); /* all live: 288 */
  garbage_rings(h, 10);
  gc_collect(h, GC_FULL); /* explicit, all garbage, 288 > 128: 192 */
  assert_int_equal(collections(h), 3);
  buffer_roots(h, objs, 320, 320 + 191);
  hold_new(h);
  assert_int_equal(collections(h), 3);
  buffer_roots(h, objs, 511, 512);
  hold_new(h);
  assert_int_equal(collections(h), 4);
  assert_oracle(h);
  test_free(objs);
  gc_heap_free(h);
}

/* One automatic collection as a schedule sees it: at which step of the
 * mutator it ran, which generation it examined, and how many objects. */
typedef struct sched_entry {
  long step;
  int generation;
  uint64_t examined;
} sched_entry;

enum { SCHED_STEPS = 400000, SCHED_MAX = 4096 };

/* A deterministic mutator with the three things a CPython-style schedule
 * reacts to: objects that die young (lowering generation 0's count), a
 * quarter kept for good (the long-lived total grows, so the long-lived
 * rule defers full collections), and cyclic garbage only a collection
 * frees.  Fills out[] and returns the number of collections. */
static size_t schedule_of(const char *name, const char *tunables,
                          sched_entry *out) {
  gc_heap *h = heap(name, tunables);
  size_t n = 0;
  uint64_t seen = 0;
  for (long step = 0; step < SCHED_STEPS; step++) {
    if (step % 4 == 0) hold_new(h);
    else drop(h, hold_new(h));
    if (step % 64 == 0) garbage_rings(h, 1);
    if (collections(h) == seen) continue;
    size_t nrec;
    const gc_collection_record *r = gc_heap_records(h, &nrec);
    for (; seen < collections(h); seen++) {
      assert_true(n < SCHED_MAX);
      assert_true(seen < nrec);
      out[n].step = step;
      out[n].generation = r[seen].generation;
      out[n].examined = r[seen].examined;
      n++;
    }
  }
  gc_collect(h, GC_FULL); /* the rings made since the last full one */
  assert_oracle(h);
  gc_heap_free(h);
  return n;
}

static size_t count_full(const sched_entry *s, size_t n) {
  size_t full = 0;
  for (size_t i = 0; i < n; i++) full += s[i].generation == GC_FULL;
  return full;
}

/* `cpython-3.14.5`: 3.13's collector brought forward to 3.14 (gh-148726).
 * Nothing that differs from 3.13 changes a schedule on gcbench's object
 * model (the heap_size count it brought back is a statistic), so this
 * pins that the two profiles collect the same generations at the same
 * steps, and the 3.13 rules the schedule rests on: the first collection
 * once 2000 allocations less deallocations are exceeded (3.12 and earlier:
 * 700) and full collections held back by the long-lived rule. */
static void test_profile_cpython_3145_is_313(void **state) {
  (void)state;
  const gc_profile *p = gc_profile_find("cpython-3.14.5");
  assert_non_null(p);
  assert_string_equal(p->collector, "generational");
  sched_entry *a = test_malloc(SCHED_MAX * sizeof *a);
  sched_entry *b = test_malloc(SCHED_MAX * sizeof *b);
  /* threshold0 lowered for both (a test of a few seconds under ASan
   * reaches only generation 1 at 2000); the 2000 is pinned below. */
  size_t na = schedule_of("cpython-3.14.5", "threshold0=100", a);
  size_t nb = schedule_of("cpython-3.13", "threshold0=100", b);
  print_message("cpython-3.14.5: %zu collections, %zu full; "
                "cpython-3.13: %zu, %zu\n",
                na, count_full(a, na), nb, count_full(b, nb));
  assert_int_equal(na, nb);
  for (size_t i = 0; i < na; i++) {
    if (a[i].step != b[i].step || a[i].generation != b[i].generation ||
        a[i].examined != b[i].examined)
      fail_msg("collection %zu: cpython-3.14.5 at step %ld, generation %d, "
               "%llu examined; cpython-3.13 at step %ld, generation %d, "
               "%llu examined",
               i, a[i].step, a[i].generation,
               (unsigned long long)a[i].examined, b[i].step, b[i].generation,
               (unsigned long long)b[i].examined);
  }
  /* The long-lived rule is what keeps full collections rare here. */
  size_t full = count_full(a, na);
  size_t nl = schedule_of("cpython-3.14.5", "threshold0=100,longlived=0", b);
  assert_true(full > 0);
  assert_true(full < count_full(b, nl));
  test_free(a);
  test_free(b);
  /* 2000 allocations less deallocations, as in 3.13. */
  gc_heap *h = heap("cpython-3.14.5", NULL);
  long idx[2000];
  for (int i = 0; i < 2000; i++) idx[i] = hold_new(h);
  for (int i = 0; i < 1000; i++) drop(h, idx[i]);
  for (int i = 0; i < 1000; i++) hold_new(h);
  hold_new(h); /* count 2001 */
  assert_int_equal(collections(h), 0);
  hold_new(h);
  assert_int_equal(collections(h), 1);
  assert_int_equal(gc_heap_records(h, &(size_t){0})[0].generation, 0);
  gc_heap_free(h);
}

/* An unknown name is refused with the collectors and profiles listed. */
static void test_profile_unknown(void **state) {
  (void)state;
  char err[512];
  assert_null(gc_heap_new("php-9", NULL, err, sizeof err));
  assert_non_null(strstr(err, "php-9"));
  assert_non_null(strstr(err, "nim-orc"));
  assert_non_null(strstr(err, "generational"));
  /* A profile's tunables are checked like any other. */
  assert_null(gc_heap_new("php-8", "adaptive=3", err, sizeof err));
  assert_non_null(strstr(err, "adaptive"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gen0_counts_net),
      cmocka_unit_test(test_gen0_counts_allocations_only),
      cmocka_unit_test(test_gen0_count_floor),
      cmocka_unit_test(test_generation_sequence),
      cmocka_unit_test(test_long_lived_rule),
      cmocka_unit_test(test_first_collection_after_threshold_plus_one),
      cmocka_unit_test(test_long_lived_pending_before_finalizers),
      cmocka_unit_test(test_young_count_zeroed_at_start),
      cmocka_unit_test(test_churn_peak_live),
      cmocka_unit_test(test_trial_threshold_moves_on_automatic_only),
      cmocka_unit_test(test_profile_cpython_is_generational),
      cmocka_unit_test(test_profile_php_threshold),
      cmocka_unit_test(test_profile_nim_orc_threshold),
      cmocka_unit_test(test_profile_cpython_3145_is_313),
      cmocka_unit_test(test_profile_unknown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
