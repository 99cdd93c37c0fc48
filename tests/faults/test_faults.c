/*
 * test_faults.c -- allocation-failure injection and payload cookies.
 *
 * For every collector and every N in a range, a heap whose Nth allocation
 * fails runs a fixed mutator program (rings, chains, stores, drops,
 * collections) that handles the failure the documented way (gc_new returns
 * NULL, gc_root_push returns -1); afterwards a full collection must leave a
 * heap the oracle accepts, and freeing it must leak nothing (LeakSanitizer
 * in the asan build).  Cookies: every payload keeps its pattern through
 * collections; a payload written over is reported by the oracle.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gc.h"
#include "oracle.h"

/* A mutator that builds rings and chains from the root table and drops
 * some, stopping at the first failed allocation.  Returns the number of
 * failures it saw (0 or 1). */
static int mutate(gc_heap *h, int steps) {
  for (int i = 0; i < steps; i++) {
    int k = 1 + i % 7;
    gc_object *first = gc_new(h, 2, (uint32_t)(i % 3) * 8);
    if (!first) return 1;
    if (gc_root_push_steal(h, first) < 0) {
      gc_decref(h, first);
      return 1;
    }
    gc_object *prev = first;
    for (int j = 1; j < k; j++) {
      gc_object *o = gc_new(h, 2, 0);
      if (!o) return 1;
      gc_slot_steal(h, prev, 0, o);
      prev = o;
    }
    if (i % 2) gc_slot_set(h, prev, 1, first); /* a ring */
    size_t n = gc_root_count(h);
    if (i % 3 == 0 && n > 1) { /* drop an earlier structure */
      gc_root_set(h, n / 2, gc_root_get(h, n - 1));
      gc_root_truncate(h, n - 1);
    }
    if (i % 11 == 0) gc_collect(h, i % 2);
  }
  return 0;
}

static void check_heap(gc_heap *h, const char *collector) {
  gc_collect(h, GC_FULL);
  gc_oracle_report rep;
  int flags = GC_ORACLE_COUNTS;
  if (strcmp(collector, "none") != 0) flags |= GC_ORACLE_COMPLETE;
  if (gc_oracle_check(h, flags, &rep) != 0)
    fail_msg("%s: oracle after injected failure: %s", collector, rep.error);
}

static void test_fail_nth_allocation(void **state) {
  (void)state;
  for (size_t c = 0; c < gc_collector_count(); c++) {
    const char *name = gc_collector_name(c);
    int failures_seen = 0;
    for (int n = 1; n <= 300; n++) {
      char tun[64], err[256];
      snprintf(tun, sizeof tun, "fail_alloc=%d,cookie=1", n);
      gc_heap *h = gc_heap_new(name, tun, err, sizeof err);
      assert_non_null(h);
      int failed = mutate(h, 100); /* about 400 allocations */
      const gc_heap_stats *st = gc_heap_get_stats(h);
      /* The program allocates more than 300 times: every N must fail. */
      assert_int_equal(failed, 1);
      assert_int_equal(st->injected_failures, 1);
      failures_seen += failed;
      check_heap(h, name);
      gc_heap_free(h);
    }
    assert_int_equal(failures_seen, 300);
  }
}

static void test_fail_rate(void **state) {
  (void)state;
  for (size_t c = 0; c < gc_collector_count(); c++) {
    const char *name = gc_collector_name(c);
    for (int seed = 1; seed <= 40; seed++) {
      char tun[96], err[256];
      snprintf(tun, sizeof tun, "fail_rate=0.01,fail_seed=%d,cookie=1", seed);
      gc_heap *h = gc_heap_new(name, tun, err, sizeof err);
      assert_non_null(h);
      mutate(h, 100);
      check_heap(h, name);
      gc_heap_free(h);
    }
  }
}

/* The same seed fails the same allocation: reproducible. */
static void test_fail_rate_reproducible(void **state) {
  (void)state;
  uint64_t at[2];
  for (int r = 0; r < 2; r++) {
    char err[256];
    gc_heap *h = gc_heap_new("naive", "fail_rate=0.02,fail_seed=7", err,
                             sizeof err);
    assert_non_null(h);
    mutate(h, 500);
    at[r] = gc_heap_get_stats(h)->objects_allocated;
    gc_heap_free(h);
  }
  assert_int_equal(at[0], at[1]);
}

static void test_cookies_survive_collections(void **state) {
  (void)state;
  for (size_t c = 0; c < gc_collector_count(); c++) {
    char err[256];
    gc_heap *h = gc_heap_new(gc_collector_name(c), "cookie=1", err, sizeof err);
    assert_non_null(h);
    assert_int_equal(mutate(h, 200), 0);
    check_heap(h, gc_collector_name(c));
    gc_object *o = gc_root_get(h, 0);
    assert_non_null(o);
    assert_true(gc_payload_size(o) >= 16);
    assert_true(gc_cookie_ok(h, o));
    gc_heap_free(h);
  }
}

static void test_cookie_damage_is_reported(void **state) {
  (void)state;
  char err[256];
  gc_heap *h = gc_heap_new("naive", "cookie=1,auto=0", err, sizeof err);
  assert_non_null(h);
  gc_object *o = gc_new(h, 1, 32);
  assert_non_null(o);
  assert_true(gc_root_push_steal(h, o) >= 0);
  gc_oracle_report rep;
  assert_int_equal(gc_oracle_check(h, GC_ORACLE_COUNTS, &rep), 0);
  gc_payload(o)[20] ^= 0xff; /* written over */
  assert_false(gc_cookie_ok(h, o));
  assert_int_equal(gc_oracle_check(h, GC_ORACLE_COUNTS, &rep), -1);
  assert_non_null(strstr(rep.error, "cookie"));
  gc_payload(o)[20] ^= 0xff; /* repaired, so that freeing it passes */
  assert_true(gc_cookie_ok(h, o));
  gc_heap_free(h);
}

static void test_cookies_off_by_default(void **state) {
  (void)state;
  char err[256];
  gc_heap *h = gc_heap_new("naive", NULL, err, sizeof err);
  gc_object *o = gc_new(h, 0, 4);
  assert_int_equal(gc_payload_size(o), 4); /* not widened */
  assert_int_equal(gc_payload(o)[0], 0);   /* zeroed, no pattern */
  gc_decref(h, o);
  gc_heap_free(h);
}

/* gc_root_reserve: after room for n entries is made, n pushes allocate
 * nothing, so even an injected failure cannot stop them; the push past
 * them grows the table and meets the failure. */
static void test_root_reserve(void **state) {
  (void)state;
  char err[256];
  gc_heap *h = gc_heap_new("naive", "fail_alloc=2", err, sizeof err);
  assert_non_null(h);
  assert_int_equal(gc_root_reserve(h, 100), 0); /* allocation 1 */
  for (int i = 0; i < 100; i++) assert_true(gc_root_push(h, NULL) >= 0);
  assert_int_equal(gc_heap_get_stats(h)->injected_failures, 0);
  while (gc_root_push(h, NULL) >= 0) /* the room left, then allocation 2 */
    assert_true(gc_root_count(h) < 1000);
  assert_true(gc_root_count(h) >= 100);
  assert_int_equal(gc_heap_get_stats(h)->injected_failures, 1);
  gc_heap_free(h);
  h = gc_heap_new("naive", "fail_rate=1", err, sizeof err);
  assert_non_null(h);
  assert_int_equal(gc_root_reserve(h, 10), -1);
  assert_int_equal(gc_root_reserve(h, 0), 0); /* nothing to make room for */
  gc_heap_free(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fail_nth_allocation),
      cmocka_unit_test(test_fail_rate),
      cmocka_unit_test(test_fail_rate_reproducible),
      cmocka_unit_test(test_cookies_survive_collections),
      cmocka_unit_test(test_cookie_damage_is_reported),
      cmocka_unit_test(test_cookies_off_by_default),
      cmocka_unit_test(test_root_reserve),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
