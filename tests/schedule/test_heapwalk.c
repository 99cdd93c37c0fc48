/*
 * test_heapwalk.c -- the free-threaded collector's schedule and layout.
 *
 * Worked out by hand from CPython's Python/gc_free_threading.c
 * (record_allocation, record_deallocation, gc_should_collect,
 * gc_collect_internal): the count of allocations less deallocations is
 * seen in steps of LOCAL_ALLOC_COUNT_THRESHOLD (512), a collection is due
 * when the seen count passes young.threshold (2000) and long_lived_total /
 * 4, the count is zeroed as a collection starts, and what the collection
 * frees counts against the next one.  With 3.14's process-memory deferral
 * (cpython-3.14t) a due collection also waits for 128 KiB of growth.
 * A due collection runs at the next allocation, so "the first collection
 * comes with allocation k + 1" below means the count reached k.
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

static long hold_new(gc_heap *h, uint32_t payload) {
  gc_object *o = gc_new(h, 0, payload);
  assert_non_null(o);
  long i = gc_root_push_steal(h, o);
  assert_true(i >= 0);
  return i;
}

/* complete: after a full collection, nothing unreachable may be left */
static void assert_oracle_(gc_heap *h, int complete) {
  gc_oracle_report rep;
  if (gc_oracle_check(h, (complete ? GC_ORACLE_COMPLETE : 0) |
                             GC_ORACLE_COUNTS, &rep) != 0)
    fail_msg("oracle: %s", rep.error);
}
#define assert_oracle(h) assert_oracle_((h), 1)

/* Allocate (and hold) until the first automatic collection; return the
 * number of allocations it took, the one that ran it included. */
static uint64_t allocations_to_collection(gc_heap *h, uint32_t payload,
                                          uint64_t limit) {
  uint64_t c0 = collections(h);
  for (uint64_t k = 1; k <= limit; k++) {
    hold_new(h, payload);
    if (collections(h) != c0) return k;
  }
  return 0;
}

/* ======================================================================
 * When
 * ==================================================================== */

/* 2000 is passed at the fourth flush, 2048: the collection comes with
 * allocation 2049.  Unbuffered (local=1), with allocation 2002. */
static void test_first_collection_at_flush(void **state) {
  (void)state;
  gc_heap *h = heap("heapwalk", NULL);
  assert_int_equal(allocations_to_collection(h, 0, 10000), 2049);
  size_t n;
  const gc_collection_record *r = gc_heap_records(h, &n);
  assert_int_equal(n, 1);
  assert_int_equal(r[0].generation, 0); /* CPython reports generation 0 */
  assert_int_equal(r[0].automatic, 1);
  assert_int_equal(r[0].examined, 2048); /* every live object: a walk */
  gc_heap_free(h);
  h = heap("heapwalk", "local=1");
  assert_int_equal(allocations_to_collection(h, 0, 10000), 2002);
  gc_heap_free(h);
}

/* 2048 held, `freed` of them freed by reference counting: the
 * allocations, the one that runs it included, to the first collection. */
static uint64_t after_frees(int freed) {
  gc_heap *h = heap("heapwalk", NULL);
  for (int i = 0; i < 2048; i++) hold_new(h, 0);
  for (int i = 0; i < freed; i++)
    assert_int_equal(gc_root_set(h, (size_t)i, NULL), GC_OK);
  uint64_t k = allocations_to_collection(h, 0, 10000);
  gc_heap_free(h);
  return k;
}

/* Deallocations lower the count: 100 freed, and the collection waits for
 * 100 more.  30 freed: the count, 2018, is past 2000 but young.count holds
 * 1536 (three flushes), so the collection still waits for 30 more. */
static void test_deallocations_count(void **state) {
  (void)state;
  assert_int_equal(after_frees(100), 101);
  assert_int_equal(after_frees(30), 31);
}

/* 20,000 objects kept by a full collection, then the allocations to the
 * next automatic one. */
static uint64_t after_survivors(const char *tunables) {
  gc_heap *h = heap("heapwalk", tunables);
  gc_set_auto(h, 0);
  for (int i = 0; i < 20000; i++) hold_new(h, 0);
  gc_set_auto(h, 1);
  gc_collect(h, GC_FULL);
  uint64_t k = allocations_to_collection(h, 0, 100000);
  gc_heap_free(h);
  return k;
}

/* long_lived_total / 4: after a collection that keeps 20,000 objects the
 * seen count must pass 5,000 (5,120, the tenth flush); scaled=0 drops the
 * rule (old[0].threshold == 0). */
static void test_scaled_by_survivors(void **state) {
  (void)state;
  assert_int_equal(after_survivors(NULL), 5121);
  assert_int_equal(after_survivors("scaled=0"), 2049);
}

/* What a collection frees counts against the next one: 1,000 objects of
 * garbage cycles freed leave the count at -1,000. */
static void test_collected_garbage_counts(void **state) {
  (void)state;
  gc_heap *h = heap("heapwalk", NULL);
  gc_set_auto(h, 0);
  for (int i = 0; i < 500; i++) {
    gc_object *a = gc_new(h, 1, 0), *b = gc_new(h, 1, 0);
    gc_slot_set(h, a, 0, b);
    gc_slot_set(h, b, 0, a);
    gc_decref(h, a);
    gc_decref(h, b);
  }
  gc_set_auto(h, 1);
  assert_int_equal(gc_collect(h, GC_FULL), 1000);
  assert_int_equal(allocations_to_collection(h, 0, 100000), 1000 + 2049);
  gc_heap_free(h);
}

/* 3.14's deferral: 2,048 objects of 16 bytes are 32 KiB, short of 128 KiB
 * of growth, so the due count is deferred four times; at 10,240 objects
 * (160 KiB) the collection runs.  Objects of 1 KiB grow the heap by 2 MiB
 * in 2,048 allocations: no deferral.  cpython-3.15t has none. */
static void test_memory_deferral(void **state) {
  (void)state;
  gc_heap *h = heap("cpython-3.14t", NULL);
  assert_int_equal(allocations_to_collection(h, 0, 100000), 10241);
  gc_heap_free(h);
  h = heap("cpython-3.14t", NULL);
  assert_int_equal(allocations_to_collection(h, 1000, 100000), 2049);
  gc_heap_free(h);
  h = heap("cpython-3.15t", NULL);
  assert_int_equal(allocations_to_collection(h, 0, 100000), 2049);
  gc_heap_free(h);
}

/* ======================================================================
 * What
 * ==================================================================== */

/* Objects carry no list link: 16 bytes less than under a list collector,
 * in gc_object_bytes, the heap's live bytes and gc_heap_object_bytes. */
static void test_sixteen_bytes_smaller(void **state) {
  (void)state;
  gc_heap *w = heap("heapwalk", NULL), *g = heap("generational", NULL);
  gc_object *a = gc_new(w, 2, 8), *b = gc_new(g, 2, 8);
  assert_false(a->linked);
  assert_true(b->linked);
  assert_int_equal(gc_object_bytes(a), 16 + 2 * sizeof(void *) + 8);
  assert_int_equal(gc_object_bytes(b), 32 + 2 * sizeof(void *) + 8);
  assert_int_equal(gc_heap_get_stats(w)->live_bytes, gc_object_bytes(a));
  assert_int_equal(gc_heap_object_bytes(w, 2, 8), gc_object_bytes(a));
  assert_string_equal(gc_heap_allocator(w), "mimalloc");
  gc_decref(w, a);
  gc_decref(g, b);
  gc_heap_free(w);
  gc_heap_free(g);
}

static void test_needs_mimalloc(void **state) {
  (void)state;
  char err[256] = "";
  assert_null(gc_heap_new("heapwalk", "allocator=jemalloc", err, sizeof err));
  assert_non_null(strstr(err, "allocator=mimalloc"));
  gc_heap *h = heap("heapwalk", "allocator=mimalloc");
  gc_heap_free(h);
}

/* A ring of 1,000 hanging from a root, a garbage ring of 1,000 and a
 * garbage chain hanging from it: mark alive takes the live ring out of the
 * walks, the garbage goes, the counts agree with the oracle.  The same
 * with a mark stack of one entry (every push past it is a rescan walk) and
 * with mark alive off. */
static void ring_and_garbage(const char *tunables) {
  gc_heap *h = heap("heapwalk", tunables);
  gc_set_auto(h, 0);
  for (int r = 0; r < 2; r++) {
    gc_object *first = gc_new(h, 2, 0), *prev = first;
    if (r == 0) gc_root_push(h, first);
    for (int i = 1; i < 1000; i++) {
      gc_object *o = gc_new(h, 2, 0);
      gc_slot_set(h, prev, 0, o);
      if (i > 1) gc_decref(h, prev);
      prev = o;
    }
    gc_slot_set(h, prev, 0, first);
    if (r == 1) { /* a chain of 10 hanging off the garbage ring */
      gc_object *c = gc_new(h, 1, 0);
      gc_slot_steal(h, prev, 1, c);
      for (int i = 1; i < 10; i++) {
        gc_object *d = gc_new(h, 1, 0);
        gc_slot_steal(h, c, 0, d);
        c = d;
      }
    }
    gc_decref(h, prev);
    gc_decref(h, first);
  }
  assert_oracle_(h, 0);
  assert_int_equal(gc_collect(h, GC_FULL), 1010);
  assert_int_equal(gc_heap_get_stats(h)->live_objects, 1000);
  assert_oracle(h);
  size_t n;
  const gc_collection_record *rec = gc_heap_records(h, &n);
  assert_int_equal(rec[n - 1].examined, 2010);
  gc_heap_free(h);
}

static void test_collects_with_any_stack(void **state) {
  (void)state;
  ring_and_garbage(NULL);
  ring_and_garbage("stack=1");
  ring_and_garbage("mark_alive=0");
  ring_and_garbage("mark_alive=0,stack=2");
  ring_and_garbage("prefetch=0");
  ring_and_garbage("prefetch=0,stack=1");
  ring_and_garbage("fail_collector=0.5");
}

/* PEP 442 over the heap: a garbage pair whose finalizer stores one of them
 * in the root table survives once; legacy mode keeps it in gc.garbage. */
static void resurrect(gc_heap *h, gc_object *o, void *arg) {
  (void)arg;
  gc_root_push(h, o);
}

static void test_finalizers(void **state) {
  (void)state;
  for (int legacy = 0; legacy < 2; legacy++) {
    gc_heap *h = heap("heapwalk", legacy ? "legacy_finalizers=1" : NULL);
    gc_set_auto(h, 0);
    if (!legacy) gc_set_finalizer(h, resurrect, NULL);
    gc_object *a = gc_new(h, 1, 0), *b = gc_new(h, 1, 0);
    gc_slot_set(h, a, 0, b);
    gc_slot_set(h, b, 0, a);
    gc_object_add_finalizer(h, a);
    gc_decref(h, a);
    gc_decref(h, b);
    assert_int_equal(gc_collect(h, GC_FULL), 0);
    assert_int_equal(gc_heap_get_stats(h)->live_objects, 2);
    if (legacy) { /* kept at every collection, as Python 2 did */
      assert_int_equal(gc_garbage_count(h), 1);
      assert_int_equal(gc_heap_get_stats(h)->uncollectable, 2);
      gc_garbage_clear(h);
      assert_int_equal(gc_collect(h, GC_FULL), 0);
      assert_int_equal(gc_garbage_count(h), 1);
      assert_int_equal(gc_heap_get_stats(h)->finalizers_run, 0);
      assert_oracle(h);
      gc_heap_free(h);
      continue;
    } else {
      assert_int_equal(gc_heap_get_stats(h)->finalizers_run, 1);
      assert_int_equal(gc_heap_get_stats(h)->resurrected, 2);
      gc_root_truncate(h, 0);
    }
    assert_oracle_(h, 0);
    assert_int_equal(gc_collect(h, GC_FULL), 2); /* no second finalizer */
    assert_int_equal(gc_heap_get_stats(h)->live_objects, 0);
    assert_int_equal(gc_heap_get_stats(h)->finalizers_run, 1);
    assert_oracle(h);
    gc_heap_free(h);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_first_collection_at_flush),
      cmocka_unit_test(test_deallocations_count),
      cmocka_unit_test(test_scaled_by_survivors),
      cmocka_unit_test(test_collected_garbage_counts),
      cmocka_unit_test(test_memory_deferral),
      cmocka_unit_test(test_sixteen_bytes_smaller),
      cmocka_unit_test(test_needs_mimalloc),
      cmocka_unit_test(test_collects_with_any_stack),
      cmocka_unit_test(test_finalizers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
