/*
 * test_incremental_big.c -- a ring and a chain of BIG_N objects (10,000,000
 * in debug and release builds), each taken into one increment whole, on
 * the default 8 MB C stack (CTest runs it under `ulimit -s 8192`): forming
 * the increment follows the pending space's closure with a list walk, and
 * refscan collects it without recursion either.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "collector.h"
#include "oracle.h"

#ifndef BIG_N
#define BIG_N 10000000u
#endif

/* A chain o[0] -> o[1] -> ... of BIG_N objects, closed into a ring if
 * `ring`; returns o[0], held by the caller. */
static gc_object *make_chain(gc_heap *h, int ring) {
  gc_object *first = gc_new(h, 1, 0), *prev = first;
  assert_non_null(first);
  for (uint32_t i = 1; i < BIG_N; i++) {
    gc_object *o = gc_new(h, 1, 0);
    assert_non_null(o);
    gc_slot_steal(h, prev, 0, o);
    prev = o;
  }
  if (ring) gc_slot_set(h, prev, 0, first);
  return first;
}

/* After a full collection the ring is pending, its first object at the
 * head of the pending space.  Dropped, it is garbage.  The next increment
 * of the scavenge only marks (nothing is reachable from the empty root
 * table); then one young object: work = 1 + min(BIG_N / 100, 1) = 2, so
 * the increment holds the young object and takes the ring's first object,
 * which brings the whole ring: BIG_N + 1 examined, BIG_N freed. */
static void test_garbage_ring_in_one_increment(void **state) {
  (void)state;
  char err[256];
  gc_heap *h = gc_heap_new("incremental", "auto=0", err, sizeof err);
  assert_non_null(h);
  gc_object *first = make_chain(h, 1);
  gc_collect(h, GC_FULL);
  gc_decref(h, first);
  gc_collect(h, 1); /* the marking step */
  gc_object *y = gc_new(h, 0, 0);
  assert_true(gc_root_push_steal(h, y) >= 0);
  gc_collect(h, 1);
  size_t n;
  const gc_collection_record *r = gc_heap_records(h, &n);
  assert_int_equal(r[n - 1].examined, BIG_N + 1u);
  assert_int_equal(r[n - 1].freed, BIG_N);
  assert_int_equal(gc_heap_get_stats(h)->live_objects, 1);
  gc_oracle_report rep;
  if (gc_oracle_check(h, GC_ORACLE_COMPLETE | GC_ORACLE_COUNTS, &rep) != 0)
    fail_msg("oracle: %s", rep.error);
  gc_heap_free(h);
}

/* The same with a live chain held from the root table and premark=0: the
 * increment takes the chain's head and brings all of it; every object
 * survives into the visited space. */
static void test_live_chain_in_one_increment(void **state) {
  (void)state;
  char err[256];
  gc_heap *h = gc_heap_new("incremental", "auto=0,premark=0", err, sizeof err);
  assert_non_null(h);
  gc_object *first = make_chain(h, 0);
  assert_true(gc_root_push_steal(h, first) >= 0);
  gc_collect(h, GC_FULL);
  unsigned p = gc_get_gen(first);
  gc_object *y = gc_new(h, 0, 0);
  assert_true(gc_root_push_steal(h, y) >= 0);
  gc_collect(h, 1);
  size_t n;
  const gc_collection_record *r = gc_heap_records(h, &n);
  assert_int_equal(r[n - 1].examined, BIG_N + 1u);
  assert_int_equal(r[n - 1].freed, 0);
  /* The whole chain moved: the pending space emptied and the spaces
   * swapped, so the chain's list is pending again. */
  assert_int_equal(gc_list_size(gc_heap_gen_list(h, (int)(3 - p))),
                   BIG_N + 1u);
  gc_oracle_report rep;
  if (gc_oracle_check(h, GC_ORACLE_COMPLETE | GC_ORACLE_COUNTS, &rep) != 0)
    fail_msg("oracle: %s", rep.error);
  gc_heap_free(h); /* frees the held chain iteratively */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_garbage_ring_in_one_increment),
      cmocka_unit_test(test_live_chain_in_one_increment),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
