/*
 * test_trial_big.c -- trial deletion over a 10,000,000-long ring on the
 * default C stack (8 MB): the three phases are iterative, so the depth of
 * the object graph costs heap memory (the explicit stack), never C stack.
 * A recursive MarkGray would need a frame per object and crash here.
 *
 * Smaller under AddressSanitizer, which is slower and bigger per object.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gc.h"

#if defined(__SANITIZE_ADDRESS__)
#define BIG_N 1000000u
#else
#define BIG_N 10000000u
#endif

/* A singly linked ring of n objects; returns the first, holding the
 * caller's reference. */
static gc_object *make_ring(gc_heap *h, size_t n) {
  gc_object *first = gc_new(h, 1, 0), *prev = first;
  assert_non_null(first);
  for (size_t i = 1; i < n; i++) {
    gc_object *o = gc_new(h, 1, 0);
    assert_non_null(o);
    gc_slot_steal(h, prev, 0, o);
    prev = o;
  }
  gc_slot_set(h, prev, 0, first);
  return first;
}

static void test_big_garbage_ring(void **state) {
  (void)state;
  char err[256];
  gc_heap *h = gc_heap_new("trial", "auto=0", err, sizeof err);
  assert_non_null(h);
  gc_decref(h, make_ring(h, BIG_N));
  assert_int_equal(gc_heap_get_stats(h)->live_objects, BIG_N);
  assert_int_equal(gc_collect(h, GC_FULL), BIG_N);
  size_t n;
  const gc_collection_record *r = gc_heap_records(h, &n);
  assert_int_equal(n, 1);
  assert_int_equal(r[0].examined, BIG_N);
  assert_int_equal(gc_heap_get_stats(h)->live_objects, 0);
  assert_int_equal(gc_heap_get_stats(h)->live_bytes, 0);
  gc_heap_free(h);
}

/* The same ring held by a root: mark_gray and scan_black walk the whole
 * ring, nothing is freed, and the counts are exact (checked by walking the
 * ring: the oracle's hash map would take most of the test's time). */
static void test_big_held_ring(void **state) {
  (void)state;
  char err[256];
  gc_heap *h = gc_heap_new("trial", "auto=0", err, sizeof err);
  assert_non_null(h);
  gc_object *first = make_ring(h, BIG_N);
  assert_true(gc_root_push(h, first) >= 0);
  gc_decref(h, first);
  assert_int_equal(gc_collect(h, GC_FULL), 0);
  assert_int_equal(gc_heap_get_stats(h)->live_objects, BIG_N);
  size_t n = 0;
  gc_object *o = first;
  do {
    if (o->refcnt != (o == first ? 2u : 1u) || gc_get_color(o) != GC_BLACK ||
        gc_has_flag(o, GC_F_BUFFERED))
      fail_msg("object %zu: refcnt %u, info %#x", n, o->refcnt, o->info);
    o = gc_slot_get(o, 0);
    n++;
  } while (o != first);
  assert_int_equal(n, BIG_N);
  gc_root_truncate(h, 0);
  assert_int_equal(gc_collect(h, GC_FULL), BIG_N);
  gc_heap_free(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_big_garbage_ring),
      cmocka_unit_test(test_big_held_ring),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
