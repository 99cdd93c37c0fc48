/*
 * test_object.c -- the object model of gc/gc.h, collector aside.
 *
 * Slot stores (self-references, the same edge twice, overwrites, NULL,
 * gc_slot_steal) with the exact count after every operation; iterative
 * release of a very long chain and of a very wide object on the default
 * 8 MB C stack; the heap's statistics to the byte; the root table; the
 * misuse gc.h documents (NULL objects, slot indexes out of range, unknown
 * collectors and tunables); and gc_heap_free releasing everything, which
 * LeakSanitizer checks in the asan build.
 *
 * Most tests use the `none` collector so that no collection can run behind
 * their back and every free is reference counting's.
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

/* The long chain: 10,000,000 objects in the plain builds (about 400 MB).
 * AddressSanitizer more than doubles the memory and time per object, so the
 * asan build uses 2,000,000, still far past what a recursive release could
 * survive on an 8 MB stack (each frame is at least tens of bytes). */
#if defined(__SANITIZE_ADDRESS__)
#define CHAIN_N 2000000u
#else
#define CHAIN_N 10000000u
#endif
#define FAN_N 1000000u

/* Bytes of an object as the heap counts them. */
#define OBJ_BYTES(nslots, payload) \
  (sizeof(gc_link) + sizeof(gc_object) + (size_t)(nslots) * sizeof(gc_object *) + (payload))

static gc_heap *heap(const char *collector, const char *tunables) {
  char err[256];
  gc_heap *h = gc_heap_new(collector, tunables, err, sizeof err);
  if (!h)
    fail_msg("gc_heap_new(%s, %s): %s", collector, tunables ? tunables : "",
             err);
  return h;
}

static const gc_heap_stats *stats(gc_heap *h) { return gc_heap_get_stats(h); }

/* Counts explained by slots and the root table alone (no other handles). */
static void assert_counts(gc_heap *h) {
  gc_oracle_report rep;
  if (gc_oracle_check(h, GC_ORACLE_COUNTS, &rep) != 0)
    fail_msg("oracle: %s", rep.error);
}

/* ======================================================================
 * Allocation
 * ==================================================================== */

static void test_new_object(void **state) {
  (void)state;
  gc_heap *h = heap("none", NULL);
  gc_object *o = gc_new(h, 3, 10);
  assert_non_null(o);
  assert_int_equal(o->refcnt, 1);
  assert_int_equal(o->nslots, 3);
  assert_int_equal(gc_payload_size(o), 10);
  assert_int_equal(gc_object_bytes(o), OBJ_BYTES(3, 10));
  assert_int_equal(gc_get_color(o), GC_BLACK);
  assert_int_equal(gc_get_gen(o), 0);
  assert_false(gc_has_flag(o, GC_F_FINALIZER));
  for (uint32_t i = 0; i < 3; i++) assert_null(gc_slot_get(o, i));
  for (uint32_t i = 0; i < 10; i++) assert_int_equal(gc_payload(o)[i], 0);
  /* The payload follows the slots, inside the object's bytes. */
  assert_ptr_equal(gc_payload(o),
                   (unsigned char *)o + OBJ_BYTES(3, 0) - sizeof(gc_link));
  /* The list link precedes the header (collectors that keep lists). */
  assert_true(o->linked);
  assert_ptr_equal(gc_obj(gc_link_of(o)), o);

  assert_int_equal(stats(h)->objects_allocated, 1);
  assert_int_equal(stats(h)->live_objects, 1);
  assert_int_equal(stats(h)->live_bytes, OBJ_BYTES(3, 10));
  assert_int_equal(stats(h)->peak_live_bytes, OBJ_BYTES(3, 10));
  assert_int_equal(stats(h)->freed_by_rc, 0);

  gc_decref(h, o);
  assert_int_equal(stats(h)->live_objects, 0);
  assert_int_equal(stats(h)->live_bytes, 0);
  assert_int_equal(stats(h)->freed_by_rc, 1);
  assert_int_equal(stats(h)->freed_by_collector, 0);
  assert_int_equal(stats(h)->peak_live_bytes, OBJ_BYTES(3, 10));

  /* Zero slots and zero payload: a bare header. */
  o = gc_new(h, 0, 0);
  assert_non_null(o);
  assert_int_equal(gc_object_bytes(o), sizeof(gc_link) + sizeof(gc_object));
  assert_null(gc_slot_get(o, 0));
  gc_decref(h, o);
  gc_heap_free(h);
}

/* ======================================================================
 * Slot stores
 * ==================================================================== */

static void test_slot_set_counts(void **state) {
  (void)state;
  gc_heap *h = heap("none", NULL);
  gc_object *a = gc_new(h, 3, 0), *b = gc_new(h, 0, 0), *c = gc_new(h, 0, 0);

  assert_int_equal(gc_slot_set(h, a, 0, b), GC_OK);
  assert_ptr_equal(gc_slot_get(a, 0), b);
  assert_int_equal(b->refcnt, 2);
  assert_int_equal(a->refcnt, 1);

  /* Storing the target a slot already holds changes nothing. */
  assert_int_equal(gc_slot_set(h, a, 0, b), GC_OK);
  assert_int_equal(b->refcnt, 2);

  /* The same edge in two slots counts twice. */
  assert_int_equal(gc_slot_set(h, a, 1, b), GC_OK);
  assert_int_equal(b->refcnt, 3);

  /* Overwriting decrements the old target, increments the new one. */
  assert_int_equal(gc_slot_set(h, a, 0, c), GC_OK);
  assert_int_equal(b->refcnt, 2);
  assert_int_equal(c->refcnt, 2);
  assert_ptr_equal(gc_slot_get(a, 0), c);
  assert_ptr_equal(gc_slot_get(a, 1), b);

  /* Storing NULL clears and decrements; storing NULL over NULL is a no-op. */
  assert_int_equal(gc_slot_set(h, a, 0, NULL), GC_OK);
  assert_null(gc_slot_get(a, 0));
  assert_int_equal(c->refcnt, 1);
  assert_int_equal(gc_slot_set(h, a, 0, NULL), GC_OK);
  assert_int_equal(c->refcnt, 1);
  assert_int_equal(stats(h)->live_objects, 3);

  /* Self-references: counted like any other slot. */
  assert_int_equal(gc_slot_set(h, a, 2, a), GC_OK);
  assert_int_equal(a->refcnt, 2);
  assert_int_equal(gc_slot_set(h, a, 2, a), GC_OK);
  assert_int_equal(a->refcnt, 2);
  assert_int_equal(gc_slot_set(h, a, 0, a), GC_OK);
  assert_int_equal(a->refcnt, 3);
  assert_int_equal(gc_slot_set(h, a, 0, NULL), GC_OK);
  assert_int_equal(gc_slot_set(h, a, 2, NULL), GC_OK);
  assert_int_equal(a->refcnt, 1);

  gc_decref(h, c);
  assert_int_equal(stats(h)->freed_by_rc, 1);
  gc_decref(h, a); /* frees a, whose slot 1 held b */
  assert_int_equal(stats(h)->freed_by_rc, 2);
  assert_int_equal(b->refcnt, 1);
  gc_decref(h, b);
  assert_int_equal(stats(h)->freed_by_rc, 3);
  assert_int_equal(stats(h)->live_objects, 0);
  gc_heap_free(h);
}

/* Re-storing a slot's only reference must not free the target in between:
 * gc_slot_set increments before it decrements. */
static void test_slot_restore_only_reference(void **state) {
  (void)state;
  gc_heap *h = heap("none", NULL);
  gc_object *a = gc_new(h, 1, 0), *b = gc_new(h, 1, 8);
  gc_slot_steal(h, a, 0, b); /* b's only reference is a.slot[0] */
  assert_int_equal(b->refcnt, 1);
  assert_int_equal(gc_slot_set(h, a, 0, gc_slot_get(a, 0)), GC_OK);
  assert_int_equal(b->refcnt, 1);
  assert_int_equal(stats(h)->freed_by_rc, 0);
  assert_int_equal(stats(h)->live_objects, 2);

  /* A self-loop whose only external reference is ours, re-stored. */
  gc_slot_set(h, b, 0, b);
  assert_int_equal(b->refcnt, 2);
  assert_int_equal(gc_slot_set(h, b, 0, b), GC_OK);
  assert_int_equal(b->refcnt, 2);
  gc_slot_set(h, b, 0, NULL);
  gc_decref(h, a);
  assert_int_equal(stats(h)->live_objects, 0);
  assert_int_equal(stats(h)->freed_by_rc, 2);
  gc_heap_free(h);
}

/* An overwrite that drops a target's last reference releases it, and what
 * only it held, at once. */
static void test_overwrite_releases_old_target(void **state) {
  (void)state;
  gc_heap *h = heap("none", NULL);
  gc_object *a = gc_new(h, 1, 0), *b = gc_new(h, 1, 4), *c = gc_new(h, 0, 0);
  gc_slot_steal(h, b, 0, c);
  gc_slot_steal(h, a, 0, b);
  assert_int_equal(stats(h)->live_bytes,
                   OBJ_BYTES(1, 0) + OBJ_BYTES(1, 4) + OBJ_BYTES(0, 0));
  gc_object *d = gc_new(h, 0, 0);
  assert_int_equal(gc_slot_set(h, a, 0, d), GC_OK);
  assert_int_equal(stats(h)->freed_by_rc, 2); /* b and c */
  assert_int_equal(stats(h)->live_objects, 2);
  assert_int_equal(stats(h)->live_bytes, OBJ_BYTES(1, 0) + OBJ_BYTES(0, 0));
  assert_int_equal(d->refcnt, 2);
  gc_decref(h, d);
  assert_int_equal(d->refcnt, 1);
  gc_decref(h, a);
  assert_int_equal(stats(h)->live_objects, 0);
  assert_int_equal(stats(h)->freed_by_rc, 4);
  gc_heap_free(h);
}

static void test_slot_steal(void **state) {
  (void)state;
  gc_heap *h = heap("none", NULL);
  gc_object *a = gc_new(h, 2, 0), *b = gc_new(h, 0, 0), *c = gc_new(h, 0, 0);
  assert_int_equal(gc_slot_steal(h, a, 0, b), GC_OK);
  assert_int_equal(b->refcnt, 1); /* our reference moved into the slot */
  assert_ptr_equal(gc_slot_get(a, 0), b);

  /* Stealing over a slot decrements the old target: b is released. */
  assert_int_equal(gc_slot_steal(h, a, 0, c), GC_OK);
  assert_int_equal(c->refcnt, 1);
  assert_int_equal(stats(h)->freed_by_rc, 1);

  /* Out of range, or no object: nothing changes, the caller keeps its
   * reference. */
  gc_object *d = gc_new(h, 0, 0);
  assert_int_equal(gc_slot_steal(h, a, 2, d), GC_EINVAL);
  assert_int_equal(gc_slot_steal(h, NULL, 0, d), GC_EINVAL);
  assert_int_equal(d->refcnt, 1);
  assert_ptr_equal(gc_slot_get(a, 0), c);
  assert_null(gc_slot_get(a, 1));

  /* Stealing a self-reference: a holds itself with our reference. */
  gc_incref(a);
  assert_int_equal(a->refcnt, 2);
  assert_int_equal(gc_slot_steal(h, a, 1, a), GC_OK);
  assert_int_equal(a->refcnt, 2);
  /* Stealing NULL clears. */
  assert_int_equal(gc_slot_steal(h, a, 1, NULL), GC_OK);
  assert_int_equal(a->refcnt, 1);
  assert_int_equal(gc_slot_steal(h, a, 0, NULL), GC_OK);
  assert_int_equal(stats(h)->freed_by_rc, 2); /* b, c */

  gc_decref(h, d);
  gc_decref(h, a);
  assert_int_equal(stats(h)->live_objects, 0);
  assert_int_equal(stats(h)->freed_by_rc, 4);
  gc_heap_free(h);
}

/* ======================================================================
 * Misuse documented by gc.h
 * ==================================================================== */

static void test_null_and_range(void **state) {
  (void)state;
  gc_heap *h = heap("none", NULL);
  gc_incref(NULL);
  gc_decref(h, NULL);
  assert_int_equal(stats(h)->freed_by_rc, 0);

  gc_object *a = gc_new(h, 2, 0), *b = gc_new(h, 0, 0);
  assert_int_equal(gc_slot_set(h, NULL, 0, b), GC_EINVAL);
  assert_int_equal(gc_slot_set(h, a, 2, b), GC_EINVAL);
  assert_int_equal(gc_slot_set(h, a, UINT32_MAX, b), GC_EINVAL);
  assert_int_equal(b->refcnt, 1); /* nothing incremented */
  assert_null(gc_slot_get(a, 0));
  assert_null(gc_slot_get(a, 1));
  assert_null(gc_slot_get(a, 2));
  assert_null(gc_slot_get(a, UINT32_MAX));
  assert_null(gc_slot_get(NULL, 0));

  /* A failed store leaves the slot's current target alone. */
  gc_slot_set(h, a, 1, b);
  assert_int_equal(gc_slot_set(h, a, 2, NULL), GC_EINVAL);
  assert_ptr_equal(gc_slot_get(a, 1), b);
  assert_int_equal(b->refcnt, 2);

  gc_object *z = gc_new(h, 0, 0);
  assert_int_equal(gc_slot_set(h, z, 0, b), GC_EINVAL);
  assert_int_equal(gc_slot_steal(h, z, 0, b), GC_EINVAL);
  assert_int_equal(b->refcnt, 2);

  /* Sizes past the documented maxima: NULL, nothing counted. */
  uint64_t allocated = stats(h)->objects_allocated;
  assert_null(gc_new(h, GC_MAX_SLOTS + 1u, 0));
  assert_null(gc_new(h, 0, GC_MAX_PAYLOAD + 1u));
  assert_int_equal(stats(h)->objects_allocated, allocated);
  assert_int_equal(stats(h)->live_objects, 3);

  gc_decref(h, z);
  gc_decref(h, b);
  gc_decref(h, a);
  assert_int_equal(stats(h)->live_objects, 0);
  gc_heap_free(h);
}

static void test_heap_new_errors(void **state) {
  (void)state;
  char err[256];

  memset(err, 0, sizeof err);
  assert_null(gc_heap_new("no-such-collector", NULL, err, sizeof err));
  assert_non_null(strstr(err, "no-such-collector"));
  assert_non_null(strstr(err, "unknown collector"));
  /* The message lists the known collectors. */
  for (size_t i = 0; i < gc_collector_count(); i++)
    assert_non_null(strstr(err, gc_collector_name(i)));
  assert_null(strchr(err, '\n')); /* one line */

  memset(err, 0, sizeof err);
  assert_null(gc_heap_new(NULL, NULL, err, sizeof err));
  assert_true(err[0] != 0);

  /* A NULL err is allowed: the failure is still NULL. */
  assert_null(gc_heap_new("no-such-collector", NULL, NULL, 0));

  /* A truncated err buffer still gets a terminated message. */
  char small[8];
  memset(small, 'x', sizeof small);
  assert_null(gc_heap_new("no-such-collector", NULL, small, sizeof small));
  assert_int_equal(strlen(small), sizeof small - 1);

  memset(err, 0, sizeof err);
  assert_null(gc_heap_new("naive", "no_such_tunable=1", err, sizeof err));
  assert_non_null(strstr(err, "no_such_tunable"));

  memset(err, 0, sizeof err);
  assert_null(gc_heap_new("naive", "threshold=0", err, sizeof err));
  assert_non_null(strstr(err, "threshold"));

  memset(err, 0, sizeof err);
  assert_null(gc_heap_new("naive", "auto", err, sizeof err));
  assert_true(err[0] != 0);

  memset(err, 0, sizeof err);
  assert_null(gc_heap_new("none", "auto=2", err, sizeof err));
  assert_non_null(strstr(err, "auto"));

  /* Every registered name works, with and without tunables. */
  for (size_t i = 0; i < gc_collector_count(); i++) {
    gc_heap *h = heap(gc_collector_name(i), "auto=0");
    assert_string_equal(gc_collector_name(i),
                        gc_collector_name(i)); /* name stable */
    assert_int_equal(gc_get_auto(h), 0);
    gc_heap_free(h);
    h = heap(gc_collector_name(i), NULL);
    assert_int_equal(gc_get_auto(h), 1);
    gc_heap_free(h);
  }
  assert_null(gc_collector_name(gc_collector_count()));
}

/* gc_new returns NULL past max_bytes; nothing is counted for it. */
static void test_max_bytes(void **state) {
  (void)state;
  gc_heap *h = heap("none", "max_bytes=1000");
  size_t per = OBJ_BYTES(0, 0);
  size_t fit = 1000 / gc_heap_object_cost(h, 0, 0); /* at its size class */
  gc_object *first = NULL;
  for (size_t i = 0; i < fit; i++) {
    gc_object *o = gc_new(h, 0, 0);
    assert_non_null(o);
    assert_true(gc_root_push_steal(h, o) >= 0);
    if (!first) first = o;
  }
  assert_null(gc_new(h, 0, 0));
  assert_int_equal(stats(h)->objects_allocated, fit);
  assert_int_equal(stats(h)->live_bytes, fit * per);
  /* Room again once one is freed. */
  gc_root_set(h, 0, NULL);
  assert_int_equal(stats(h)->live_objects, fit - 1);
  gc_object *o = gc_new(h, 0, 0);
  assert_non_null(o);
  gc_decref(h, o);
  gc_heap_free(h);
}

/* max_bytes counts each object at its size class, not its request: a
 * 40-byte object (one slot) takes a 48-byte class in jemalloc and in the C
 * library, so 480 bytes hold 10 of them, not 12. */
static void test_max_bytes_size_class(void **state) {
  (void)state;
  gc_heap *h = heap("none", "max_bytes=480");
  assert_int_equal(OBJ_BYTES(1, 0), 40);
  assert_int_equal(gc_heap_object_cost(h, 1, 0), 48);
  /* 32 bytes: jemalloc's class; the C library's chunk adds its size field */
  assert_int_equal(gc_heap_object_cost(h, 0, 0),
                   strcmp(gc_heap_allocator(h), "jemalloc") ? 48 : 32);
  assert_true(gc_heap_object_cost(h, 0, 5000) >= OBJ_BYTES(0, 5000));
  assert_int_equal(gc_heap_budget(h), 480);
  size_t made = 0;
  gc_object *o;
  while ((o = gc_new(h, 1, 0)) != NULL) {
    assert_true(gc_root_push_steal(h, o) >= 0);
    made++;
  }
  assert_int_equal(made, 10);
  gc_root_set(h, 0, NULL); /* one freed: room for exactly one more */
  o = gc_new(h, 1, 0);
  assert_non_null(o);
  assert_null(gc_new(h, 1, 0));
  gc_decref(h, o);
  gc_heap_free(h);
}

/* ======================================================================
 * Iterative release
 * ==================================================================== */

/* A chain head -> ... -> tail, built with stolen references so that every
 * count is 1.  Dropping the head releases all of it in one call. */
static void test_release_long_chain(void **state) {
  (void)state;
  gc_heap *h = heap("none", NULL);
  gc_object *head = gc_new(h, 1, 0), *prev = head;
  assert_non_null(head);
  for (uint32_t i = 1; i < CHAIN_N; i++) {
    gc_object *o = gc_new(h, 1, 0);
    assert_non_null(o);
    gc_slot_steal(h, prev, 0, o);
    prev = o;
  }
  assert_int_equal(stats(h)->live_objects, CHAIN_N);
  assert_int_equal(stats(h)->live_bytes, (uint64_t)CHAIN_N * OBJ_BYTES(1, 0));
  assert_int_equal(prev->refcnt, 1);
  gc_decref(h, head);
  assert_int_equal(stats(h)->live_objects, 0);
  assert_int_equal(stats(h)->live_bytes, 0);
  assert_int_equal(stats(h)->freed_by_rc, CHAIN_N);
  assert_int_equal(stats(h)->peak_live_bytes,
                   (uint64_t)CHAIN_N * OBJ_BYTES(1, 0));
  gc_heap_free(h);
}

/* The chain the other way: each new object points to the previous one, so
 * the release starts at the newest.  Also under trial deletion, whose
 * possible-root hook sees every decrement on the way. */
static void test_release_long_chain_reversed(void **state) {
  (void)state;
  const char *names[] = {"none", "trial"};
  for (size_t k = 0; k < 2; k++) {
    gc_heap *h = heap(names[k], "auto=0");
    gc_object *top = gc_new(h, 1, 0);
    const uint32_t n = CHAIN_N / 5;
    for (uint32_t i = 1; i < n; i++) {
      gc_object *o = gc_new(h, 1, 0);
      gc_slot_steal(h, o, 0, top);
      top = o;
    }
    gc_decref(h, top);
    assert_int_equal(stats(h)->live_objects, 0);
    assert_int_equal(stats(h)->freed_by_rc, n);
    gc_heap_free(h);
  }
}

/* One object with FAN_N slots, each holding the only reference to a leaf
 * that itself holds a shared object: the release visits a million children
 * of one object and a million decrements of the shared one. */
static void test_release_wide_fanout(void **state) {
  (void)state;
  const char *names[] = {"none", "trial"};
  for (size_t k = 0; k < 2; k++) {
    gc_heap *h = heap(names[k], "auto=0");
    gc_object *shared = gc_new(h, 0, 0);
    assert_true(gc_root_push_steal(h, shared) >= 0);
    gc_object *hub = gc_new(h, FAN_N, 0);
    assert_non_null(hub);
    assert_int_equal(gc_object_bytes(hub), OBJ_BYTES(FAN_N, 0));
    for (uint32_t i = 0; i < FAN_N; i++) {
      gc_object *leaf = gc_new(h, 1, 0);
      assert_non_null(leaf);
      gc_slot_set(h, leaf, 0, shared);
      gc_slot_steal(h, hub, i, leaf);
    }
    assert_int_equal(shared->refcnt, FAN_N + 1u);
    assert_int_equal(stats(h)->live_objects, FAN_N + 2u);
    assert_int_equal(stats(h)->live_bytes,
                     OBJ_BYTES(0, 0) + OBJ_BYTES(FAN_N, 0) +
                         (uint64_t)FAN_N * OBJ_BYTES(1, 0));
    gc_decref(h, hub);
    assert_int_equal(stats(h)->live_objects, 1);
    assert_int_equal(stats(h)->freed_by_rc, FAN_N + 1u);
    assert_int_equal(shared->refcnt, 1);
    assert_int_equal(stats(h)->live_bytes, OBJ_BYTES(0, 0));
    assert_counts(h);
    gc_heap_free(h);
  }
}

/* A tree: release of every shape in between a chain and a fan. */
static void test_release_tree(void **state) {
  (void)state;
  gc_heap *h = heap("none", NULL);
  /* A complete binary tree of 2^17 - 1 nodes, built level by level with
   * the next level's nodes stolen into the slots of the current one. */
  const uint32_t levels = 17;
  gc_object *root = gc_new(h, 2, 0);
  gc_object **level = test_malloc(sizeof(gc_object *) << levels);
  gc_object **next = test_malloc(sizeof(gc_object *) << levels);
  level[0] = root;
  size_t width = 1, total = 1;
  for (uint32_t l = 1; l < levels; l++) {
    for (size_t i = 0; i < width; i++)
      for (uint32_t s = 0; s < 2; s++) {
        gc_object *o = gc_new(h, 2, 0);
        gc_slot_steal(h, level[i], s, o);
        next[2 * i + s] = o;
      }
    width *= 2;
    total += width;
    gc_object **t = level;
    level = next;
    next = t;
  }
  test_free(level);
  test_free(next);
  assert_int_equal(stats(h)->live_objects, total);
  gc_decref(h, root);
  assert_int_equal(stats(h)->live_objects, 0);
  assert_int_equal(stats(h)->freed_by_rc, total);
  gc_heap_free(h);
}

/* ======================================================================
 * Statistics
 * ==================================================================== */

static void test_stats_exact(void **state) {
  (void)state;
  gc_heap *h = heap("none", NULL);
  const gc_heap_stats *st = stats(h);
  assert_int_equal(st->objects_allocated, 0);
  assert_int_equal(st->live_bytes, 0);
  assert_int_equal(st->peak_live_bytes, 0);

  gc_object *a = gc_new(h, 2, 100);
  gc_object *b = gc_new(h, 0, 7);
  size_t ab = OBJ_BYTES(2, 100) + OBJ_BYTES(0, 7);
  assert_int_equal(st->live_bytes, ab);
  assert_int_equal(st->peak_live_bytes, ab);
  gc_decref(h, a);
  assert_int_equal(st->live_bytes, OBJ_BYTES(0, 7));
  assert_int_equal(st->peak_live_bytes, ab);
  gc_object *c = gc_new(h, 1, 1);
  assert_int_equal(st->live_bytes, OBJ_BYTES(0, 7) + OBJ_BYTES(1, 1));
  assert_int_equal(st->peak_live_bytes, ab); /* smaller: no new peak */
  gc_object *d = gc_new(h, 20, 1000);
  uint64_t top = OBJ_BYTES(0, 7) + OBJ_BYTES(1, 1) + OBJ_BYTES(20, 1000);
  assert_int_equal(st->peak_live_bytes, top);
  assert_int_equal(st->objects_allocated, 4);
  assert_int_equal(st->live_objects, 3);
  assert_int_equal(st->freed_by_rc, 1);
  gc_decref(h, b);
  gc_decref(h, c);
  gc_decref(h, d);
  assert_int_equal(st->objects_allocated, 4);
  assert_int_equal(st->freed_by_rc, 4);
  assert_int_equal(st->live_objects, 0);
  assert_int_equal(st->live_bytes, 0);
  assert_int_equal(st->peak_live_bytes, top);
  /* No collection ran: none of its figures moved. */
  assert_int_equal(st->collections, 0);
  assert_int_equal(st->freed_by_collector, 0);
  assert_int_equal(st->finalizers_run, 0);
  size_t n;
  gc_heap_records(h, &n);
  assert_int_equal(n, 0);

  /* An explicit collection is counted and recorded, even under none. */
  gc_collect(h, GC_FULL);
  assert_int_equal(st->collections, 1);
  const gc_collection_record *r = gc_heap_records(h, &n);
  assert_int_equal(n, 1);
  assert_int_equal(r[0].freed, 0);
  assert_int_equal(r[0].automatic, 0);
  gc_heap_free(h);
}

/* freed_by_collector counts what a collection frees, freed_by_rc the rest,
 * and objects_allocated = live + both. */
static void test_stats_balance(void **state) {
  (void)state;
  for (size_t c = 0; c < gc_collector_count(); c++) {
    gc_heap *h = heap(gc_collector_name(c), "auto=0");
    for (int i = 0; i < 50; i++) {
      gc_object *a = gc_new(h, 1, (uint32_t)i), *b = gc_new(h, 1, 0);
      gc_slot_steal(h, a, 0, b);
      if (i % 2) gc_slot_set(h, b, 0, a); /* half of them cycles */
      gc_decref(h, a);
    }
    const gc_heap_stats *st = stats(h);
    assert_int_equal(st->freed_by_rc, 50); /* the 25 acyclic pairs */
    gc_collect(h, GC_FULL);
    int none = strcmp(gc_collector_name(c), "none") == 0;
    assert_int_equal(st->freed_by_collector, none ? 0 : 50);
    assert_int_equal(st->live_objects, none ? 50 : 0);
    assert_int_equal(st->objects_allocated,
                     st->live_objects + st->freed_by_rc +
                         st->freed_by_collector);
    gc_heap_free(h);
  }
}

/* ======================================================================
 * The root table
 * ==================================================================== */

static void test_root_table(void **state) {
  (void)state;
  gc_heap *h = heap("none", NULL);
  assert_int_equal(gc_root_count(h), 0);
  assert_null(gc_root_get(h, 0));

  gc_object *a = gc_new(h, 1, 0), *b = gc_new(h, 0, 0);
  assert_int_equal(gc_root_push(h, a), 0); /* increments */
  assert_int_equal(a->refcnt, 2);
  assert_int_equal(gc_root_push_steal(h, b), 1); /* takes our reference */
  assert_int_equal(b->refcnt, 1);
  assert_int_equal(gc_root_push(h, NULL), 2);
  assert_int_equal(gc_root_push(h, a), 3); /* the same object twice */
  assert_int_equal(a->refcnt, 3);
  assert_int_equal(gc_root_count(h), 4);
  assert_ptr_equal(gc_root_get(h, 0), a);
  assert_ptr_equal(gc_root_get(h, 1), b);
  assert_null(gc_root_get(h, 2));
  assert_ptr_equal(gc_root_get(h, 3), a);
  assert_null(gc_root_get(h, 4));
  gc_decref(h, a); /* from now on the root table holds every reference */
  assert_counts(h);

  /* roots[i] = v: slot semantics. */
  assert_int_equal(gc_root_set(h, 2, b), GC_OK);
  assert_int_equal(b->refcnt, 2);
  assert_int_equal(gc_root_set(h, 2, b), GC_OK);
  assert_int_equal(b->refcnt, 2);
  assert_int_equal(gc_root_set(h, 4, b), GC_EINVAL);
  assert_int_equal(gc_root_set(h, SIZE_MAX, b), GC_EINVAL);
  assert_int_equal(b->refcnt, 2);
  assert_int_equal(gc_root_count(h), 4);
  /* Re-storing an entry's only reference keeps the object. */
  gc_object *c = gc_new(h, 0, 0);
  assert_int_equal(gc_root_push_steal(h, c), 4);
  assert_int_equal(gc_root_set(h, 4, gc_root_get(h, 4)), GC_OK);
  assert_int_equal(c->refcnt, 1);
  assert_int_equal(stats(h)->live_objects, 3);
  /* Overwriting the last reference releases. */
  assert_int_equal(gc_root_set(h, 4, NULL), GC_OK);
  assert_int_equal(stats(h)->live_objects, 2);
  assert_int_equal(gc_root_count(h), 5);
  assert_counts(h);

  /* Truncation drops the entries past n, decrementing each. */
  gc_root_truncate(h, 10); /* longer than the table: nothing */
  assert_int_equal(gc_root_count(h), 5);
  gc_root_truncate(h, 3);
  assert_int_equal(gc_root_count(h), 3);
  assert_int_equal(a->refcnt, 1);
  assert_int_equal(b->refcnt, 2);
  assert_null(gc_root_get(h, 3));
  assert_counts(h);
  gc_root_truncate(h, 1);
  assert_int_equal(stats(h)->live_objects, 1); /* b released */
  assert_int_equal(stats(h)->freed_by_rc, 2);
  gc_root_truncate(h, 0);
  assert_int_equal(stats(h)->live_objects, 0);
  assert_int_equal(gc_root_count(h), 0);

  /* The table grows past its first allocation; indexes stay dense. */
  for (long i = 0; i < 1000; i++) {
    gc_object *o = gc_new(h, 0, 0);
    assert_int_equal(gc_root_push_steal(h, o), i);
  }
  assert_int_equal(gc_root_count(h), 1000);
  assert_counts(h);
  gc_root_truncate(h, 0);
  assert_int_equal(stats(h)->live_objects, 0);
  gc_heap_free(h);
}

/* Counted entries move whole: gc_root_move carries the entry's count to
 * its new place and drops every reference the overwritten entry held;
 * gc_root_set_steal keeps the entry's count, the caller's reference being
 * one of them.  (Moving or dropping one reference of k left counts that
 * no holder explained, and a use-after-free on the next overwrite.) */
static void test_root_counted_move_and_steal(void **state) {
  (void)state;
  gc_heap *h = heap("none", NULL);
  gc_object *b = gc_new(h, 0, 0);
  assert_int_equal(gc_root_push_n_steal(h, b, 3), 0); /* entry 0: b x3 */
  gc_object *c = gc_new(h, 2, 0);
  assert_int_equal(gc_root_push_steal(h, c), 1);
  gc_object *a = gc_new(h, 0, 0);
  gc_slot_set(h, c, 0, a);
  gc_slot_set(h, c, 1, a);
  assert_int_equal(gc_root_push_steal(h, a), 2); /* entry 2: a x1 */
  uint64_t freed = stats(h)->freed_by_rc;
  assert_int_equal(gc_root_move(h, 2, 0), GC_OK); /* b loses 3: freed */
  assert_int_equal(stats(h)->freed_by_rc, freed + 1);
  assert_ptr_equal(gc_root_get(h, 0), a);
  assert_int_equal(gc_root_refs(h, 0), 1);
  assert_null(gc_root_get(h, 2));
  assert_int_equal(a->refcnt, 3);
  assert_counts(h);
  assert_int_equal(gc_root_set(h, 0, NULL), GC_OK); /* a keeps c's two */
  assert_int_equal(a->refcnt, 2);
  assert_counts(h);

  /* A counted entry moved onto a plain one keeps its count. */
  gc_object *d = gc_new(h, 0, 0);
  long k = gc_root_push_n_steal(h, d, 5);
  assert_true(k >= 0);
  assert_int_equal(gc_root_move(h, (size_t)k, 1), GC_OK); /* c: 1 -> freed */
  assert_int_equal(gc_root_refs(h, 1), 5);
  assert_int_equal(d->refcnt, 5);
  assert_int_equal(gc_root_refs(h, (size_t)k), 1);
  assert_counts(h);

  /* set_steal on an entry of 5: d loses 5, e gains 5 (4 + the caller's). */
  gc_object *e = gc_new(h, 0, 0);
  freed = stats(h)->freed_by_rc;
  assert_int_equal(gc_root_set_steal(h, 1, e), GC_OK);
  assert_int_equal(stats(h)->freed_by_rc, freed + 1);
  assert_int_equal(e->refcnt, 5);
  assert_int_equal(gc_root_refs(h, 1), 5);
  assert_counts(h);
  /* Stealing the object the entry already holds: the count stays right. */
  gc_incref(e);
  assert_int_equal(gc_root_set_steal(h, 1, e), GC_OK);
  assert_int_equal(e->refcnt, 5);
  assert_counts(h);
  gc_heap_free(h);
}

/* A cycle closed by gc_slot_steal, with no decrement anywhere, is garbage
 * that every collector's full collection frees (trial deletion hears of
 * the stolen object as of a decrement); `none` leaks it. */
static void test_steal_closed_cycle(void **state) {
  (void)state;
  size_t np;
  const gc_profile *profs = gc_profile_list(&np);
  size_t nc = gc_collector_count();
  for (size_t i = 0; i < nc + np; i++) {
    const char *name = i < nc ? gc_collector_name(i) : profs[i - nc].name;
    gc_heap *h = heap(name, "auto=0");
    gc_object *a = gc_new(h, 1, 0), *b = gc_new(h, 1, 0);
    assert_int_equal(gc_slot_steal(h, a, 0, b), GC_OK);
    assert_int_equal(gc_slot_steal(h, b, 0, a), GC_OK);
    /* and a longer one through a borrowed holder: x -> y -> z -> x */
    gc_object *x = gc_new(h, 1, 0), *y = gc_new(h, 1, 0),
              *z = gc_new(h, 1, 0);
    gc_slot_steal(h, x, 0, y);
    gc_slot_steal(h, y, 0, z);
    gc_slot_steal(h, z, 0, x);
    uint64_t want = strcmp(name, "none") ? 5 : 0;
    uint64_t got = gc_collect(h, GC_FULL);
    if (got != want)
      fail_msg("%s: a full collection freed %llu of 5 objects in "
               "steal-closed cycles, want %llu",
               name, (unsigned long long)got, (unsigned long long)want);
    gc_heap_free(h);
  }
}

/* gc_root_truncate keeps what a finalizer pushes while it runs (as
 * CPython's list.clear keeps what a finalizer appends): the entries past n
 * when it began are all dropped, and the pushed ones end up from n on. */
static gc_object *pushed_by_finalizer;
static void push_finalizer(gc_heap *h, gc_object *o, void *arg) {
  (void)o, (void)arg;
  gc_object *x = gc_new(h, 0, 0);
  assert_non_null(x);
  assert_true(gc_root_push_steal(h, x) >= 0);
  pushed_by_finalizer = x;
}

static void test_truncate_keeps_finalizer_pushes(void **state) {
  (void)state;
  gc_heap *h = heap("none", NULL);
  gc_set_finalizer(h, push_finalizer, NULL);
  for (int i = 0; i < 2; i++) gc_root_push_steal(h, gc_new(h, 0, 0));
  gc_object *owner = gc_new(h, 0, 0);
  gc_object_add_finalizer(h, owner);
  gc_root_push_n_steal(h, owner, 2);
  gc_root_push_steal(h, gc_new(h, 0, 0)); /* dropped after owner's push */
  gc_root_push_steal(h, gc_new(h, 0, 0));
  assert_int_equal(gc_root_count(h), 5);
  gc_root_truncate(h, 2);
  assert_int_equal(stats(h)->finalizers_run, 1);
  assert_int_equal(gc_root_count(h), 3);
  assert_ptr_equal(gc_root_get(h, 2), pushed_by_finalizer);
  assert_int_equal(pushed_by_finalizer->refcnt, 1);
  assert_int_equal(stats(h)->live_objects, 3);
  assert_counts(h);
  /* Truncating to 0 with the finalizer's object the only one left. */
  gc_object *owner2 = gc_new(h, 0, 0);
  gc_object_add_finalizer(h, owner2);
  gc_root_push_steal(h, owner2);
  gc_root_truncate(h, 0);
  assert_int_equal(gc_root_count(h), 1);
  assert_ptr_equal(gc_root_get(h, 0), pushed_by_finalizer);
  assert_int_equal(stats(h)->live_objects, 1);
  assert_counts(h);
  gc_heap_free(h);
}

/* The oracle sees only the root table: a handle kept elsewhere shows up as
 * an unexplained count.  (Guards the conformance tests, which rely on it.) */
static void test_oracle_sees_only_roots(void **state) {
  (void)state;
  gc_heap *h = heap("none", NULL);
  gc_object *a = gc_new(h, 1, 0);
  assert_true(gc_root_push(h, a) >= 0);
  gc_oracle_report rep;
  assert_int_equal(gc_oracle_check(h, GC_ORACLE_COUNTS, &rep), -1);
  assert_int_equal(rep.bad_counts, 1);
  gc_decref(h, a);
  assert_int_equal(gc_oracle_check(h, GC_ORACLE_COUNTS, &rep), 0);
  assert_int_equal(rep.live, 1);
  assert_int_equal(rep.reachable, 1);
  gc_heap_free(h);
}

/* ======================================================================
 * gc_heap_free
 * ==================================================================== */

/* Everything a heap can hold when it is freed: live structures in the
 * root table, leaked cycles, unreferenced objects, a large object, a
 * legacy gc.garbage list.  LeakSanitizer (asan build) fails the run on any
 * leak; with jemalloc, this thread's allocated bytes must come back to
 * where they were. */
static void build_everything(gc_heap *h) {
  for (int i = 0; i < 100; i++) {
    gc_object *a = gc_new(h, 2, (uint32_t)i), *b = gc_new(h, 2, 3);
    gc_slot_steal(h, a, 0, b);
    gc_slot_set(h, b, 0, a);
    if (i % 3 == 0)
      gc_root_push_steal(h, a); /* held */
    else if (i % 3 == 1)
      gc_decref(h, a); /* a leaked cycle under none */
    /* else: our reference is never dropped */
  }
  gc_object *big = gc_new(h, 100000, 1 << 20);
  gc_root_push_steal(h, big);
}

static void test_heap_free_everything(void **state) {
  (void)state;
  for (size_t c = 0; c < gc_collector_count(); c++) {
    int64_t before = gc_mem_thread_bytes();
    gc_heap *h = heap(gc_collector_name(c), "auto=0");
    build_everything(h);
    if (strcmp(gc_collector_name(c), "none") != 0)
      gc_collect(h, 0); /* collector state (buffers, lists) in use */
    gc_heap_free(h);
    int64_t after = gc_mem_thread_bytes();
#if !defined(GC_SYSTEM_MALLOC)
    if (before != 0 || after != 0)
      assert_int_equal(after, before);
#else
    (void)before, (void)after;
#endif
  }
  /* Legacy finalizers: gc.garbage's own array and references. */
  gc_heap *h = heap("naive", "auto=0,legacy_finalizers=1");
  gc_object *a = gc_new(h, 1, 0);
  gc_object_add_finalizer(h, a);
  gc_slot_set(h, a, 0, a);
  gc_decref(h, a);
  gc_collect(h, GC_FULL);
  assert_int_equal(gc_garbage_count(h), 1);
  gc_heap_free(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_new_object),
      cmocka_unit_test(test_slot_set_counts),
      cmocka_unit_test(test_slot_restore_only_reference),
      cmocka_unit_test(test_overwrite_releases_old_target),
      cmocka_unit_test(test_slot_steal),
      cmocka_unit_test(test_null_and_range),
      cmocka_unit_test(test_heap_new_errors),
      cmocka_unit_test(test_max_bytes),
      cmocka_unit_test(test_max_bytes_size_class),
      cmocka_unit_test(test_release_long_chain),
      cmocka_unit_test(test_release_long_chain_reversed),
      cmocka_unit_test(test_release_wide_fanout),
      cmocka_unit_test(test_release_tree),
      cmocka_unit_test(test_stats_exact),
      cmocka_unit_test(test_stats_balance),
      cmocka_unit_test(test_root_table),
      cmocka_unit_test(test_root_counted_move_and_steal),
      cmocka_unit_test(test_steal_closed_cycle),
      cmocka_unit_test(test_truncate_keeps_finalizer_pushes),
      cmocka_unit_test(test_oracle_sees_only_roots),
      cmocka_unit_test(test_heap_free_everything),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
