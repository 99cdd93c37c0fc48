/*
 * test_trial.c -- trial deletion (gc/trial.c) against the oracle.
 *
 * Each test builds a heap shape by hand, drops references, collects, and
 * checks what was freed, what survived with which exact counts
 * (gc/oracle.h), and the collector's own invariant (its validate function;
 * debug builds also run it before and after every collection).
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

#if defined(__SANITIZE_ADDRESS__)
#define RING_N 1000000u
#else
#define RING_N 1000000u
#endif

/* ======================================================================
 * Helpers
 * ==================================================================== */

static gc_heap *trial_heap(const char *tunables) {
  char err[256];
  gc_heap *h = gc_heap_new("trial", tunables, err, sizeof err);
  if (!h)
    fail_msg("gc_heap_new(trial, %s): %s", tunables ? tunables : "", err);
  return h;
}

static const gc_heap_stats *stats(gc_heap *h) { return gc_heap_get_stats(h); }

static void validate(gc_heap *h) { gc_heap_collector(h)->validate(h, "test"); }

/* The oracle's verdict after a full collection: complete, exact counts. */
static void assert_oracle(gc_heap *h) {
  gc_oracle_report rep;
  if (gc_oracle_check(h, GC_ORACLE_COMPLETE | GC_ORACLE_COUNTS, &rep) != 0)
    fail_msg("oracle: %s", rep.error);
}

static const gc_collection_record *last_record(gc_heap *h) {
  size_t n;
  const gc_collection_record *r = gc_heap_records(h, &n);
  assert_true(n > 0);
  return &r[n - 1];
}

static int is_buffered(const gc_object *o) {
  return gc_has_flag(o, GC_F_BUFFERED);
}

/* A ring of n objects with `nslots` slots each, slot 0 pointing to the next.
 * Returns the first object, holding the caller's reference (count 2: the
 * caller's and the last object's slot). */
static gc_object *make_ring(gc_heap *h, size_t n, uint32_t nslots) {
  gc_object *first = gc_new(h, nslots, 0), *prev = first;
  assert_non_null(first);
  for (size_t i = 1; i < n; i++) {
    gc_object *o = gc_new(h, nslots, 0);
    assert_non_null(o);
    gc_slot_steal(h, prev, 0, o);
    prev = o;
  }
  gc_slot_set(h, prev, 0, first);
  return first;
}

/* The seed's A <-> B, dropped: one buffered root (A), two garbage objects. */
static gc_object *make_garbage_pair(gc_heap *h) {
  gc_object *a = gc_new(h, 2, 0);
  gc_object *b = gc_new(h, 1, 0);
  assert_non_null(a);
  assert_non_null(b);
  gc_slot_steal(h, a, 0, b);
  gc_slot_set(h, b, 0, a);
  gc_decref(h, a);
  return a;
}

/* A live object held only by the root table, buffered: its count went from
 * 2 to 1.  Returns it (borrowed). */
static gc_object *make_live_root(gc_heap *h) {
  gc_object *o = gc_new(h, 1, 0);
  assert_non_null(o);
  assert_true(gc_root_push(h, o) >= 0);
  gc_decref(h, o);
  return o;
}

/* ======================================================================
 * The path trial (chains and singly linked rings decided by reading)
 * ==================================================================== */

enum { SENTINEL = 0x5eed };

/* Every member of the ring at `first` gets gc_refs = SENTINEL, which only a
 * write by the collector changes (BLACK objects' gc_refs is otherwise
 * unused). */
static void ring_mark(gc_object *first) {
  gc_object *o = first;
  do {
    if (!is_buffered(o)) o->gc_refs = SENTINEL;
    o = gc_slot_get(o, 0);
  } while (o != first);
}

/* Members not buffered whose header the collection wrote. */
static size_t ring_written(gc_object *first) {
  size_t w = 0;
  gc_object *o = first;
  do {
    w += o != first && o->gc_refs != SENTINEL;
    o = gc_slot_get(o, 0);
  } while (o != first);
  return w;
}

/* A live ring held at its buffered head is decided by reading alone: the
 * other members' headers are never written (path=0 writes every one), the
 * head leaves the buffer BLACK, and the objects read count as examined. */
static void test_path_live_ring_unwritten(void **state) {
  (void)state;
  const char *tun[] = {"auto=0", "auto=0,path=0"};
  for (int t = 0; t < 2; t++) {
    gc_heap *h = trial_heap(tun[t]);
    gc_object *first = make_ring(h, 10, 1);
    assert_true(gc_root_push(h, first) >= 0);
    gc_decref(h, first);
    assert_true(is_buffered(first));
    ring_mark(first);
    assert_int_equal(gc_collect(h, GC_FULL), 0);
    assert_int_equal(last_record(h)->examined, 10);
    assert_int_equal(ring_written(first), t == 0 ? 0 : 9);
    assert_false(is_buffered(first));
    assert_int_equal(gc_get_color(first), GC_BLACK);
    validate(h);
    assert_oracle(h);
    gc_heap_free(h);
  }
}

/* Every member buffered (gcbench's protocol:all): the first root's trial
 * decides the ring, live or garbage, and takes the other roots out of the
 * collection; nothing is examined twice. */
static void test_path_every_member_buffered(void **state) {
  (void)state;
  for (int held = 0; held < 2; held++) {
    gc_heap *h = trial_heap("auto=0");
    gc_object *first = make_ring(h, 10, 1);
    if (held) assert_true(gc_root_push(h, first) >= 0);
    gc_decref(h, first); /* buffers first */
    gc_object *o = gc_slot_get(first, 0);
    while (o != first) { /* a second reference, dropped: buffered */
      gc_incref(o);
      gc_decref(h, o);
      assert_true(is_buffered(o));
      o = gc_slot_get(o, 0);
    }
    assert_int_equal(gc_collect(h, GC_FULL), held ? 0 : 10);
    assert_int_equal(last_record(h)->examined, 10);
    assert_int_equal(stats(h)->live_objects, held ? 10 : 0);
    validate(h);
    assert_oracle(h);
    gc_heap_free(h);
  }
}

/* A chain held at its buffered head: live, whatever its length; one longer
 * than `path` takes the ordinary walk (and is examined once). */
static void test_path_chain(void **state) {
  (void)state;
  const char *tun[] = {"auto=0", "auto=0,path=50"};
  for (int t = 0; t < 2; t++) {
    gc_heap *h = trial_heap(tun[t]);
    gc_object *head = gc_new(h, 1, 0), *o = head;
    for (int i = 1; i < 100; i++) {
      gc_object *n = gc_new(h, 1, 0);
      gc_slot_steal(h, o, 0, n);
      o = n;
    }
    assert_true(gc_root_push(h, head) >= 0);
    gc_decref(h, head);
    assert_int_equal(gc_collect(h, GC_FULL), 0);
    assert_int_equal(last_record(h)->examined, 100);
    assert_int_equal(stats(h)->live_objects, 100);
    validate(h);
    assert_oracle(h);
    gc_heap_free(h);
  }
}

/* A ring S whose only outside reference comes from garbage U (U -> U and
 * U -> S).  S's root comes first and its path trial finds S held from
 * outside: left alone.  U's turn colours U and S GRAY, and both are freed
 * in this collection. */
static void test_path_held_by_garbage(void **state) {
  (void)state;
  gc_heap *h = trial_heap("auto=0");
  gc_object *s = make_ring(h, 10, 1);
  gc_object *u = gc_new(h, 2, 0);
  gc_slot_set(h, u, 0, u);
  gc_slot_set(h, u, 1, s);
  gc_decref(h, s); /* root 0: S, held by U */
  gc_decref(h, u); /* root 1: U, held by itself */
  assert_true(is_buffered(s) && is_buffered(u));
  assert_int_equal(gc_collect(h, GC_FULL), 11);
  assert_int_equal(stats(h)->live_objects, 0);
  validate(h);
  assert_oracle(h);
  gc_heap_free(h);
}

/* Shapes the path trial does not decide take the ordinary walk.
 *  - A path that runs into a ring without its root: R (held by the root
 *    table) -> A -> B -> C -> A.  A, buffered first by the steal, is a ring
 *    held from outside (by R): decided live, 3 read.  R's trial runs round
 *    A, B, C until Brent's detection stops it; mark_gray then examines 4.
 *    Once R is dropped, A's ring is garbage and its trial gathers it.
 *  - An object already GRAY: with roots expanded in buffer order (in_order=1,
 *    near=0), X (X -> X, X -> G) colours G GRAY and leaves it for its turn.
 *    S <-> G is garbage too, but G is held from X, so a trial from S that
 *    read past G would find the ring held and take G out of the
 *    collection: S and G would survive it.  S's trial stops at G. */
static void test_path_undecided(void **state) {
  (void)state;
  gc_heap *h = trial_heap("auto=0");
  gc_object *r = gc_new(h, 1, 0), *a = make_ring(h, 3, 1);
  assert_true(gc_root_push_steal(h, r) >= 0);
  gc_slot_steal(h, r, 0, a); /* buffers A */
  gc_incref(r);
  gc_decref(h, r); /* buffers R */
  assert_true(is_buffered(a) && is_buffered(r));
  assert_int_equal(gc_collect(h, GC_FULL), 0);
  assert_int_equal(last_record(h)->examined, 3 + 4);
  validate(h);
  gc_root_truncate(h, 0); /* R freed by counting; A buffered */
  assert_true(is_buffered(a));
  assert_int_equal(gc_collect(h, GC_FULL), 3);
  assert_int_equal(last_record(h)->examined, 3);
  assert_int_equal(stats(h)->live_objects, 0);
  validate(h);
  assert_oracle(h);
  gc_heap_free(h);

  h = trial_heap("auto=0,in_order=1,near=0");
  gc_object *x = gc_new(h, 2, 0), *sg = make_ring(h, 2, 1);
  gc_object *g = gc_slot_get(sg, 0);
  gc_slot_set(h, x, 0, x);
  gc_slot_set(h, x, 1, g);
  gc_decref(h, x); /* root 0: X */
  gc_decref(h, sg); /* root 1: S */
  gc_incref(g);
  gc_decref(h, g); /* root 2: G */
  assert_int_equal(gc_collect(h, GC_FULL), 3);
  assert_int_equal(stats(h)->live_objects, 0);
  validate(h);
  assert_oracle(h);
  gc_heap_free(h);
}

/* A doubly linked ring of n (slot 0: next, slot 1: previous); returns the
 * first object, holding the caller's reference. */
static gc_object *make_dring(gc_heap *h, size_t n) {
  gc_object *first = make_ring(h, n, 2), *o = first;
  do {
    gc_object *next = gc_slot_get(o, 0);
    gc_slot_set(h, next, 1, o);
    o = next;
  } while (o != first);
  return first;
}

/* Doubly linked rings are paths too: each member holds its two neighbours,
 * one of them the object the walk came from.  Garbage is gathered at once,
 * a ring held at its head or at another member is live, and nothing is
 * examined twice or written (the members' gc_refs keep a sentinel). */
static void test_path_doubly_linked(void **state) {
  (void)state;
  for (int held = 0; held < 3; held++) { /* 0: garbage, 1: head, 2: member */
    gc_heap *h = trial_heap("auto=0");
    gc_object *first = make_dring(h, 10);
    gc_object *member = gc_slot_get(gc_slot_get(first, 0), 0);
    if (held == 1) assert_true(gc_root_push(h, first) >= 0);
    if (held == 2) assert_true(gc_root_push(h, member) >= 0);
    gc_decref(h, first);
    assert_true(is_buffered(first));
    ring_mark(first);
    assert_int_equal(gc_collect(h, GC_FULL), held ? 0 : 10);
    assert_int_equal(last_record(h)->examined, 10);
    if (held) assert_int_equal(ring_written(first), 0);
    assert_int_equal(stats(h)->live_objects, held ? 10 : 0);
    validate(h);
    assert_oracle(h);
    gc_heap_free(h);
  }
  /* Rings of 2 and 3: the back link of s is the last object. */
  for (size_t n = 2; n <= 3; n++) {
    gc_heap *h = trial_heap("auto=0");
    gc_decref(h, make_dring(h, n));
    assert_int_equal(gc_collect(h, GC_FULL), n);
    assert_int_equal(last_record(h)->examined, n);
    assert_oracle(h);
    gc_heap_free(h);
  }
}

/* S <-> V1 -> V2 <-> V3 with V3 held from outside and S not: a path, but
 * V3 does not reach S, so "a member is held" does not make S live.  The
 * trial leaves it to the walk, which frees S and V1 and keeps V2, V3. */
static void test_path_member_held_not_reaching(void **state) {
  (void)state;
  gc_heap *h = trial_heap("auto=0");
  gc_object *s = gc_new(h, 1, 0), *v1 = gc_new(h, 2, 0);
  gc_object *v2 = gc_new(h, 1, 0), *v3 = gc_new(h, 1, 0);
  gc_slot_set(h, s, 0, v1);
  gc_slot_set(h, v1, 0, s);
  gc_slot_set(h, v1, 1, v2);
  gc_slot_set(h, v2, 0, v3);
  gc_slot_set(h, v3, 0, v2);
  assert_true(gc_root_push_steal(h, v3) >= 0);
  gc_decref(h, s); /* buffered first: held by V1 only */
  gc_decref(h, v1);
  gc_decref(h, v2);
  assert_true(is_buffered(s));
  assert_int_equal(gc_collect(h, GC_FULL), 2);
  assert_int_equal(stats(h)->live_objects, 2);
  validate(h);
  assert_oracle(h);
  gc_heap_free(h);
}

/* A path decided live and then reached by an ordinary walk is read again
 * by that walk; many roots into one shared chain would read it once each,
 * but the collection's budget (live objects + roots) stops the trials. */
static void test_path_budget(void **state) {
  (void)state;
  enum { LEN = 500, ROOTS = 1000 };
  gc_heap *h = trial_heap("auto=0");
  gc_object *head = gc_new(h, 1, 0), *o = head;
  assert_true(gc_root_push_steal(h, head) >= 0);
  for (int i = 1; i < LEN; i++) {
    gc_object *n = gc_new(h, 1, 0);
    gc_slot_steal(h, o, 0, n);
    o = n;
  }
  for (int i = 0; i < ROOTS; i++) { /* live: each held by the root table */
    gc_object *q = gc_new(h, 1, 0);
    gc_slot_set(h, q, 0, head);
    assert_true(gc_root_push(h, q) >= 0);
    gc_decref(h, q);
  }
  assert_int_equal(gc_collect(h, GC_FULL), 0);
  /* Decided trials read at most the budget plus one path's cap. */
  assert_true(last_record(h)->examined <= LEN + 2 * ROOTS + 1024);
  assert_true(last_record(h)->examined >= LEN + ROOTS);
  assert_int_equal(stats(h)->live_objects, LEN + ROOTS);
  validate(h);
  assert_oracle(h);
  gc_heap_free(h);
}

/* ======================================================================
 * The seed's pair
 * ==================================================================== */

static void test_pair(void **state) {
  (void)state;
  gc_heap *h = trial_heap(NULL);
  gc_object *a = gc_new(h, 1, 0), *b = gc_new(h, 1, 0);
  gc_slot_steal(h, a, 0, b);
  gc_slot_set(h, b, 0, a);
  assert_int_equal(a->refcnt, 2);
  assert_int_equal(b->refcnt, 1);
  assert_false(is_buffered(a)); /* increments never buffer */

  gc_decref(h, a); /* del my_var: 2 -> 1, a possible root */
  assert_int_equal(a->refcnt, 1);
  assert_true(is_buffered(a));
  assert_int_equal(gc_get_color(a), GC_PURPLE);
  assert_int_equal(a->gc_refs, 0); /* its buffer index */
  assert_int_equal(gc_get_color(b), GC_BLACK);
  validate(h);
  assert_int_equal(stats(h)->live_objects, 2);

  assert_int_equal(gc_collect(h, GC_FULL), 2);
  const gc_collection_record *r = last_record(h);
  assert_int_equal(r->examined, 2);
  assert_int_equal(r->freed, 2);
  assert_int_equal(r->generation, GC_FULL);
  assert_int_equal(r->automatic, 0);
  assert_int_equal(stats(h)->live_objects, 0);
  assert_int_equal(stats(h)->freed_by_collector, 2);
  assert_int_equal(stats(h)->freed_by_rc, 0);
  validate(h);
  assert_oracle(h);

  /* An empty buffer: a collection examines nothing. */
  assert_int_equal(gc_collect(h, 0), 0);
  assert_int_equal(last_record(h)->examined, 0);
  assert_int_equal(last_record(h)->generation, GC_FULL);
  gc_heap_free(h);
}

/* A self-reference is the smallest cycle. */
static void test_self_loop(void **state) {
  (void)state;
  gc_heap *h = trial_heap(NULL);
  gc_object *o = gc_new(h, 2, 16);
  gc_slot_set(h, o, 1, o);
  gc_decref(h, o);
  assert_true(is_buffered(o));
  assert_int_equal(gc_collect(h, GC_FULL), 1);
  assert_int_equal(stats(h)->live_objects, 0);
  assert_int_equal(stats(h)->live_bytes, 0);
  assert_oracle(h);
  gc_heap_free(h);
}

/* ======================================================================
 * gc_heap_buffer_all: gcbench's protocol "every vertex buffered once"
 * ==================================================================== */

static void count_buffered(gc_object *o, void *arg) {
  if (is_buffered(o)) ++*(size_t *)arg;
}

static void test_buffer_all(void **state) {
  (void)state;
  gc_heap *h = trial_heap("auto=0");
  /* 3 garbage rings of 4 (heads buffered by the drop), a live chain of 3
   * held by the root table (its head buffered), 20 objects in all */
  for (int i = 0; i < 3; i++) gc_decref(h, make_ring(h, 4, 1));
  gc_object *head = gc_new(h, 1, 0), *tail = head;
  for (int i = 1; i < 3; i++) {
    gc_object *o = gc_new(h, 1, 0);
    gc_slot_steal(h, tail, 0, o);
    tail = o;
  }
  assert_true(gc_root_push(h, head) >= 0);
  gc_decref(h, head);
  size_t before = 0, after = 0;
  gc_heap_foreach(h, count_buffered, &before);
  assert_int_equal(before, 4);
  /* the buffer is emptied, then every object offered once, in list order:
   * the first ring's head first, then its second member */
  assert_int_equal(gc_heap_buffer_all(h), 15);
  gc_heap_foreach(h, count_buffered, &after);
  assert_int_equal(after, 15);
  const gc_link *l = gc_heap_gen_list(h, 0);
  assert_int_equal(gc_obj((gc_link *)l->next)->gc_refs, 0);
  assert_int_equal(gc_obj((gc_link *)l->next->next)->gc_refs, 1);
  assert_int_equal(gc_obj((gc_link *)l->prev)->gc_refs, 14);
  validate(h);
  assert_int_equal(gc_heap_buffer_all(h), 15); /* again: the same */
  after = 0;
  gc_heap_foreach(h, count_buffered, &after);
  assert_int_equal(after, 15);
  validate(h);
  /* the collection now starts from every object, and frees the rings */
  assert_int_equal(gc_collect(h, GC_FULL), 12);
  assert_int_equal(last_record(h)->examined, 15);
  assert_int_equal(stats(h)->live_objects, 3);
  validate(h);
  assert_oracle(h);
  gc_heap_free(h);

  /* whole-heap collectors have no buffer: nothing offered */
  char err[256];
  gc_heap *n = gc_heap_new("naive", "auto=0", err, sizeof err);
  assert_non_null(n);
  gc_decref(n, make_ring(n, 4, 1));
  assert_int_equal(gc_heap_buffer_all(n), 0);
  assert_int_equal(gc_collect(n, GC_FULL), 4);
  gc_heap_free(n);
  assert_int_equal(gc_collector_has_root_buffer("trial"), 1);
  assert_int_equal(gc_collector_has_root_buffer("naive"), 0);
  assert_int_equal(gc_collector_has_root_buffer("generational"), 0);
  assert_int_equal(gc_collector_has_root_buffer("no-such"), 0);
  assert_int_equal(gc_collector_has_root_buffer("php-8"), 1);       /* trial */
  assert_int_equal(gc_collector_has_root_buffer("cpython-3.13"), 0); /* generational */
}

/* ======================================================================
 * Rings
 * ==================================================================== */

static void test_ring_garbage(void **state) {
  (void)state;
  gc_heap *h = trial_heap("auto=0");
  gc_object *first = make_ring(h, RING_N, 1);
  gc_decref(h, first);
  assert_int_equal(stats(h)->live_objects, RING_N);
  assert_int_equal(gc_collect(h, GC_FULL), RING_N);
  assert_int_equal(last_record(h)->examined, RING_N);
  assert_int_equal(stats(h)->live_objects, 0);
  validate(h);
  assert_oracle(h);
  gc_heap_free(h);
}

static void test_ring_held(void **state) {
  (void)state;
  gc_heap *h = trial_heap("auto=0");
  gc_object *first = make_ring(h, RING_N, 1);
  assert_true(gc_root_push(h, first) >= 0);
  gc_decref(h, first); /* 3 -> 2: buffered, but held by the root table */
  assert_true(is_buffered(first));

  assert_int_equal(gc_collect(h, GC_FULL), 0);
  assert_int_equal(last_record(h)->examined, RING_N);
  assert_int_equal(stats(h)->live_objects, RING_N);
  assert_int_equal(first->refcnt, 2);
  size_t n = 0;
  for (gc_object *o = first; n == 0 || o != first; o = gc_slot_get(o, 0)) {
    assert_int_equal(gc_get_color(o), GC_BLACK);
    assert_false(is_buffered(o));
    assert_int_equal(o->refcnt, o == first ? 2u : 1u);
    n++;
  }
  assert_int_equal(n, RING_N);
  validate(h);
  assert_oracle(h); /* exact counts: the trial never touched refcnt */

  gc_root_truncate(h, 0); /* now the ring is garbage */
  assert_true(is_buffered(first));
  assert_int_equal(gc_collect(h, GC_FULL), RING_N);
  assert_int_equal(stats(h)->live_objects, 0);
  assert_oracle(h);
  gc_heap_free(h);
}

/* A live ring reachable only from an object the trial never examines: the
 * reference from outside the GRAY set keeps it (gc_refs > 0). */
static void test_ring_held_by_unexamined(void **state) {
  (void)state;
  gc_heap *h = trial_heap("auto=0");
  gc_object *x = gc_new(h, 1, 0);
  assert_true(gc_root_push_steal(h, x) >= 0);
  gc_object *first = make_ring(h, 3, 1);
  gc_slot_set(h, x, 0, first);
  gc_decref(h, first);
  assert_true(is_buffered(first));
  assert_false(is_buffered(x));
  assert_int_equal(gc_collect(h, GC_FULL), 0);
  assert_int_equal(last_record(h)->examined, 3); /* x is not traced */
  assert_int_equal(stats(h)->live_objects, 4);
  validate(h);
  assert_oracle(h);
  gc_heap_free(h);
}

/* One object with many slots: the explicit stack grows past its first
 * allocation, and is reused by the next collection. */
static void test_wide_hub(void **state) {
  (void)state;
  enum { LEAVES = 100000 };
  gc_heap *h = trial_heap("auto=0");
  for (int round = 0; round < 2; round++) {
    gc_object *hub = gc_new(h, LEAVES, 0);
    assert_non_null(hub);
    for (uint32_t i = 0; i < LEAVES; i++) {
      gc_object *leaf = gc_new(h, 1, 8);
      assert_non_null(leaf);
      gc_slot_set(h, leaf, 0, hub);
      gc_slot_steal(h, hub, i, leaf);
    }
    gc_decref(h, hub);
    assert_int_equal(gc_collect(h, GC_FULL), LEAVES + 1);
    assert_int_equal(stats(h)->live_objects, 0);
    assert_oracle(h);
  }
  gc_heap_free(h);
}

/* ======================================================================
 * forget: buffered objects freed by reference counting
 * ==================================================================== */

static void test_forget(void **state) {
  (void)state;
  gc_heap *h = trial_heap("auto=0");
  gc_object *a = make_live_root(h); /* root 0, buffer index 0 */
  gc_object *b = make_live_root(h); /* root 1, index 1 */
  gc_object *c = make_live_root(h); /* root 2, index 2 */
  assert_int_equal(a->gc_refs, 0);
  assert_int_equal(b->gc_refs, 1);
  assert_int_equal(c->gc_refs, 2);
  validate(h);

  /* Free the first entry: the last one moves into its place. */
  gc_root_set(h, 0, NULL);
  assert_int_equal(stats(h)->freed_by_rc, 1);
  assert_true(is_buffered(c));
  assert_int_equal(c->gc_refs, 0);
  assert_int_equal(b->gc_refs, 1);
  validate(h);

  /* Free the last entry. */
  gc_root_set(h, 1, NULL);
  assert_int_equal(c->gc_refs, 0);
  validate(h);

  /* A buffered object freed in a release cascade (gc_release_'s path). */
  gc_object *parent = gc_new(h, 1, 0);
  gc_object *child = gc_new(h, 0, 0);
  gc_slot_steal(h, parent, 0, child);
  gc_incref(child);
  gc_decref(h, child); /* 2 -> 1: buffered, owned by parent only */
  assert_true(is_buffered(child));
  assert_int_equal(child->gc_refs, 1); /* after c */
  gc_decref(h, parent);                /* frees parent, then child */
  assert_int_equal(stats(h)->freed_by_rc, 4);
  validate(h);

  /* Only c is left in the buffer: no dangling entry is traced (ASan would
   * see the use after free). */
  assert_int_equal(gc_collect(h, GC_FULL), 0);
  assert_int_equal(last_record(h)->examined, 1);
  assert_false(is_buffered(c));
  assert_int_equal(gc_get_color(c), GC_BLACK);
  assert_oracle(h);
  gc_heap_free(h);
}

/* ======================================================================
 * When to collect
 * ==================================================================== */

static void test_threshold_triggers_at_next_allocation(void **state) {
  (void)state;
  gc_heap *h = trial_heap("threshold=10,adaptive=0");
  for (int i = 0; i < 10; i++) make_garbage_pair(h);
  /* Full, but a collection runs only at the heap's safe point. */
  assert_int_equal(stats(h)->collections, 0);
  validate(h); /* checks the trigger is armed */

  gc_object *o = gc_new(h, 0, 0);
  assert_int_equal(stats(h)->collections, 1);
  const gc_collection_record *r = last_record(h);
  assert_int_equal(r->automatic, 1);
  assert_int_equal(r->freed, 20);
  assert_int_equal(r->examined, 20);
  assert_int_equal(stats(h)->live_objects, 1);
  assert_true(gc_root_push_steal(h, o) >= 0);

  /* Below the threshold: allocations do not collect. */
  for (int i = 0; i < 9; i++) make_garbage_pair(h);
  for (int i = 0; i < 100; i++) gc_decref(h, gc_new(h, 0, 0));
  assert_int_equal(stats(h)->collections, 1);
  assert_int_equal(gc_collect(h, GC_FULL), 18);
  assert_oracle(h);
  gc_heap_free(h);
}

/* Buffer roots one at a time until an automatic collection runs; returns
 * how many were buffered before it.  garbage: each root is a dropped pair;
 * otherwise a live object held by the root table. */
static size_t roots_until_collection(gc_heap *h, int garbage) {
  uint64_t c0 = stats(h)->collections;
  for (size_t n = 0; n < 1000000; n++) {
    gc_object *a = gc_new(h, 2, 0); /* the safe point */
    assert_non_null(a);
    if (stats(h)->collections != c0) {
      gc_decref(h, a);
      return n;
    }
    if (garbage) {
      gc_object *b = gc_new(h, 1, 0);
      gc_slot_steal(h, a, 0, b);
      gc_slot_set(h, b, 0, a);
      gc_decref(h, a);
    } else {
      assert_true(gc_root_push_steal(h, a) >= 0);
      gc_incref(a);
      gc_decref(h, a);
    }
  }
  fail_msg("no automatic collection");
  return 0;
}

static void test_adaptive_threshold(void **state) {
  (void)state;
  gc_heap *h = trial_heap("threshold=100,step=100,max_threshold=350");
  /* Unproductive collections (live roots, nothing freed) raise it... */
  assert_int_equal(roots_until_collection(h, 0), 100);
  assert_int_equal(last_record(h)->freed, 0);
  assert_int_equal(roots_until_collection(h, 0), 200);
  assert_int_equal(roots_until_collection(h, 0), 300);
  assert_int_equal(roots_until_collection(h, 0), 350); /* the ceiling */
  assert_int_equal(roots_until_collection(h, 0), 350);
  /* ... productive ones (garbage pairs) lower it back to the base. */
  assert_int_equal(roots_until_collection(h, 1), 350);
  assert_int_equal(last_record(h)->freed, 700);
  assert_int_equal(roots_until_collection(h, 1), 250);
  assert_int_equal(roots_until_collection(h, 1), 150);
  assert_int_equal(roots_until_collection(h, 1), 100);
  assert_int_equal(roots_until_collection(h, 1), 100);
  validate(h);
  gc_collect(h, GC_FULL);
  assert_oracle(h);
  gc_heap_free(h);
}

static void test_fixed_threshold(void **state) {
  (void)state;
  gc_heap *h = trial_heap("threshold=100,step=100,adaptive=0");
  for (int i = 0; i < 4; i++)
    assert_int_equal(roots_until_collection(h, 0), 100);
  /* Fewer than min_freed freed is unproductive too: 40 pairs free 80. */
  gc_heap *p = trial_heap("threshold=40,step=100");
  assert_int_equal(roots_until_collection(p, 1), 40);
  assert_int_equal(last_record(p)->freed, 80);
  assert_int_equal(roots_until_collection(p, 1), 140);
  gc_heap_free(p);
  /* A ceiling closer than one step: up to it, and back down to the base. */
  p = trial_heap("threshold=10,step=100,max_threshold=50");
  assert_int_equal(roots_until_collection(p, 0), 10);
  assert_int_equal(roots_until_collection(p, 0), 50);
  assert_int_equal(roots_until_collection(p, 1), 50);
  assert_int_equal(roots_until_collection(p, 1), 10);
  gc_heap_free(p);
  gc_heap_free(h);
}

/* min_yield: 100 pairs that each also refer to a live chain of 1000 free
 * 200 of the 1200 objects examined (yield 1/6). */
static size_t yield_run(const char *tunables) {
  /* path=0: a path trial of the chain's head would read the chain once
   * more in the second collection (see test_path_live_then_reached) */
  char tun[128];
  snprintf(tun, sizeof tun, "%s,path=0", tunables);
  gc_heap *h = trial_heap(tun);
  gc_object *chain = gc_new(h, 1, 0);
  assert_true(gc_root_push_steal(h, chain) >= 0);
  for (int i = 1; i < 1000; i++) {
    gc_object *o = gc_new(h, 1, 0);
    gc_slot_steal(h, chain, 0, o);
    chain = o;
  }
  gc_object *head = gc_root_get(h, 0);
  size_t second = 0;
  for (int round = 0; round < 2; round++) {
    uint64_t c0 = stats(h)->collections;
    size_t n = 0;
    while (stats(h)->collections == c0) {
      gc_object *a = gc_new(h, 2, 0);
      if (stats(h)->collections != c0) {
        gc_decref(h, a);
        break;
      }
      gc_object *b = gc_new(h, 1, 0);
      gc_slot_steal(h, a, 0, b);
      gc_slot_set(h, b, 0, a);
      gc_slot_set(h, a, 1, head);
      gc_decref(h, a);
      n++;
    }
    assert_int_equal(last_record(h)->examined, 2 * n + 1000);
    second = n;
  }
  gc_collect(h, GC_FULL);
  assert_oracle(h);
  gc_heap_free(h);
  return second;
}

static void test_min_yield(void **state) {
  (void)state;
  /* The first collection buffers the chain's head again (the garbage
   * referred to it): the second fills with one root fewer. */
  assert_int_equal(yield_run("threshold=100,step=100,min_yield=0.05"), 99);
  assert_int_equal(yield_run("threshold=100,step=100,min_yield=0.5"), 199);
}

static void test_auto_off(void **state) {
  (void)state;
  gc_heap *h = trial_heap("auto=0,threshold=10");
  for (int i = 0; i < 1000; i++) make_garbage_pair(h);
  for (int i = 0; i < 1000; i++) gc_decref(h, gc_new(h, 0, 0));
  assert_int_equal(stats(h)->collections, 0);
  assert_int_equal(stats(h)->live_objects, 2000);
  validate(h);
  assert_int_equal(gc_collect(h, GC_FULL), 2000);

  /* Switched on: a full buffer collects at the next allocation. */
  gc_set_auto(h, 1);
  for (int i = 0; i < 10; i++) make_garbage_pair(h);
  gc_decref(h, gc_new(h, 0, 0));
  assert_int_equal(stats(h)->collections, 2);
  assert_int_equal(last_record(h)->automatic, 1);

  /* Switched off with the trigger armed: nothing runs. */
  for (int i = 0; i < 10; i++) make_garbage_pair(h);
  gc_set_auto(h, 0);
  for (int i = 0; i < 100; i++) gc_decref(h, gc_new(h, 0, 0));
  assert_int_equal(stats(h)->collections, 2);
  assert_int_equal(stats(h)->live_objects, 20);
  validate(h);
  gc_heap_free(h);
}

/* ======================================================================
 * Garbage that refers to live data
 * ==================================================================== */

enum { LIVE = 100, RING = 1000 };

/* LIVE objects held by the root table, and a garbage ring of RING objects
 * whose slot 1 refers to them: each live object has count 1 + RING/LIVE. */
static gc_heap *garbage_into_live(const char *tunables, gc_object **live) {
  gc_heap *h = trial_heap(tunables);
  for (int i = 0; i < LIVE; i++) {
    live[i] = gc_new(h, 1, 0);
    assert_true(gc_root_push_steal(h, live[i]) >= 0);
  }
  gc_object *first = make_ring(h, RING, 2);
  gc_object *o = first;
  for (int i = 0; i < RING; i++, o = gc_slot_get(o, 0))
    gc_slot_set(h, o, 1, live[i % LIVE]);
  assert_ptr_equal(o, first);
  gc_decref(h, first);
  for (int i = 0; i < LIVE; i++)
    assert_int_equal(live[i]->refcnt, 1 + RING / LIVE);
  return h;
}

static void test_garbage_into_live(void **state) {
  (void)state;
  gc_object *live[LIVE];
  gc_heap *h = garbage_into_live("auto=0", live);
  assert_int_equal(gc_collect(h, GC_FULL), RING);
  assert_int_equal(last_record(h)->examined, RING + LIVE);
  assert_int_equal(stats(h)->live_objects, LIVE);
  for (int i = 0; i < LIVE; i++) assert_int_equal(live[i]->refcnt, 1);
  assert_oracle(h);
  gc_heap_free(h);
}

/* The garbage's decrements of live objects run during the collection and
 * buffer them again: they land in a fresh buffer, kept for the next
 * collection, with consistent indices. */
static void test_decrements_during_collection(void **state) {
  (void)state;
  gc_object *live[LIVE];
  gc_heap *h = garbage_into_live("auto=0", live);
  assert_int_equal(gc_collect(h, GC_FULL), RING);
  validate(h);
  for (int i = 0; i < LIVE; i++) {
    assert_true(is_buffered(live[i]));
    assert_int_equal(gc_get_color(live[i]), GC_PURPLE);
  }
  /* A buffered survivor freed by reference counting leaves a hole that
   * forget fills. */
  gc_root_set(h, 0, NULL);
  validate(h);
  assert_int_equal(gc_collect(h, GC_FULL), 0);
  assert_int_equal(last_record(h)->examined, LIVE - 1);
  for (int i = 1; i < LIVE; i++) {
    assert_false(is_buffered(live[i]));
    assert_int_equal(gc_get_color(live[i]), GC_BLACK);
  }
  validate(h);
  assert_oracle(h);
  gc_heap_free(h);
}

/* The same, automatic: the collection's own decrements fill the buffer past
 * the threshold, so the next allocation collects again. */
static void test_refill_during_automatic_collection(void **state) {
  (void)state;
  gc_object *live[LIVE];
  gc_heap *h = garbage_into_live("threshold=1,adaptive=0", live);
  gc_decref(h, gc_new(h, 0, 0)); /* collects the ring */
  assert_int_equal(stats(h)->collections, 1);
  assert_int_equal(last_record(h)->freed, RING);
  gc_decref(h, gc_new(h, 0, 0)); /* collects the re-buffered survivors */
  assert_int_equal(stats(h)->collections, 2);
  assert_int_equal(last_record(h)->examined, LIVE);
  assert_int_equal(last_record(h)->freed, 0);
  gc_decref(h, gc_new(h, 0, 0)); /* nothing buffered */
  assert_int_equal(stats(h)->collections, 2);
  validate(h);
  assert_oracle(h);
  gc_heap_free(h);
}

/* ======================================================================
 * A full buffer: the whole-heap fallback
 * ==================================================================== */

static void test_buffer_overflow(void **state) {
  (void)state;
  gc_heap *h = trial_heap("max_roots=4,threshold=100");
  gc_object *keep = make_live_root(h);
  for (int i = 0; i < 3; i++) make_garbage_pair(h); /* the buffer is full */
  assert_int_equal(stats(h)->collections, 0);
  gc_object *fourth = make_garbage_pair(h);
  /* The fourth pair found the buffer full: it is not buffered, and a
   * collection is due though the buffer is below the threshold. */
  assert_false(is_buffered(fourth));
  assert_int_equal(gc_get_color(fourth), GC_BLACK);
  validate(h);
  assert_int_equal(stats(h)->collections, 0);
  gc_decref(h, gc_new(h, 0, 0));
  assert_int_equal(stats(h)->collections, 1);
  assert_int_equal(last_record(h)->freed, 8);
  assert_int_equal(last_record(h)->examined, 9); /* the whole heap */
  assert_int_equal(stats(h)->live_objects, 1);
  assert_false(is_buffered(keep));
  validate(h);
  assert_oracle(h);

  /* The buffer works again afterwards. */
  make_garbage_pair(h);
  assert_int_equal(gc_collect(h, GC_FULL), 2);
  assert_int_equal(last_record(h)->examined, 2);
  gc_heap_free(h);
}

/* Trial's own arrays cannot always grow (heap tunable fail_collector: each
 * growth fails with probability 0.5).  A root the buffer cannot take makes
 * the next collection scan the whole heap; a stack that cannot grow voids
 * the collection's trial, which falls back to the same scan.  Over the
 * seeds all three outcomes happen, and each frees exactly the garbage. */
static void test_arrays_cannot_grow(void **state) {
  (void)state;
  int normal = 0, stack_failed = 0, buffer_failed = 0;
  for (int seed = 1; seed <= 64; seed++) {
    char tun[96];
    /* path=0: the garbage pairs would be decided without the stack */
    snprintf(tun, sizeof tun, "auto=0,path=0,fail_collector=0.5,fail_seed=%d",
             seed);
    gc_heap *h = trial_heap(tun);
    for (int i = 0; i < 5; i++) /* live, never a possible root */
      assert_true(gc_root_push_steal(h, gc_new(h, 0, 0)) >= 0);
    gc_object *keep = make_live_root(h); /* the buffer's first growth */
    int buffered = is_buffered(keep);
    for (int i = 0; i < 3; i++) make_garbage_pair(h);
    assert_int_equal(gc_collect(h, GC_FULL), 6);
    /* Examined: 7 by the trial, 12 by a whole-heap scan, or the void
     * trial's part and then 12. */
    uint64_t examined = last_record(h)->examined;
    if (!buffered) {
      buffer_failed++;
      assert_int_equal(examined, 12);
      assert_true(stats(h)->injected_failures > 0);
    } else if (examined != 7) {
      stack_failed++; /* the stack's first growth */
      assert_true(examined >= 12 && examined <= 12 + 7);
      assert_true(stats(h)->injected_failures > 0);
    } else {
      normal++;
    }
    assert_int_equal(stats(h)->live_objects, 6);
    validate(h);
    assert_oracle(h);
    gc_heap_free(h);
  }
  assert_true(normal > 0);
  assert_true(stack_failed > 0);
  assert_true(buffer_failed > 0);
}

/* The same failure with the path trial on: a garbage ring decided by
 * reading (the path trial's own garbage list) and then a garbage tree with
 * parent links, whose walk needs the stack.  When the stack cannot grow
 * after the ring was gathered, the ring's list joins the whole-heap scan's
 * and nothing is lost; over the seeds that case happens, and every seed
 * frees exactly the 6 garbage objects. */
static void test_stack_fails_after_path_garbage(void **state) {
  (void)state;
  int after_path = 0, normal = 0;
  for (int seed = 1; seed <= 64; seed++) {
    char tun[96];
    snprintf(tun, sizeof tun, "auto=0,fail_collector=0.5,fail_seed=%d", seed);
    gc_heap *h = trial_heap(tun);
    for (int i = 0; i < 5; i++) /* live, never a possible root */
      assert_true(gc_root_push_steal(h, gc_new(h, 0, 0)) >= 0);
    gc_object *ring = make_ring(h, 3, 1); /* buffered first */
    gc_decref(h, ring);
    gc_object *r = gc_new(h, 2, 0), *c1 = gc_new(h, 1, 0),
              *c2 = gc_new(h, 1, 0);
    assert_non_null(r);
    assert_non_null(c1);
    assert_non_null(c2);
    gc_slot_steal(h, r, 0, c1);
    gc_slot_steal(h, r, 1, c2);
    gc_slot_set(h, c1, 0, r);
    gc_slot_set(h, c2, 0, r);
    gc_decref(h, r); /* held by its children only: buffered second */
    int both = is_buffered(ring) && is_buffered(r);
    assert_int_equal(gc_collect(h, GC_FULL), 6);
    /* 6 examined by the trial alone; 11 more by a whole-heap scan */
    uint64_t examined = last_record(h)->examined;
    if (both && examined >= 11) {
      after_path++;
      assert_true(stats(h)->injected_failures > 0);
    } else if (both) {
      normal++;
      assert_int_equal(examined, 6);
    }
    assert_int_equal(stats(h)->live_objects, 5);
    validate(h);
    assert_oracle(h);
    gc_heap_free(h);
  }
  assert_true(after_path > 0);
  assert_true(normal > 0);
}

/* ======================================================================
 * Random mutation, safety checked at every collection
 * ==================================================================== */

typedef struct stress {
  gc_oracle_snapshot *snap;
  int failures;
  char err[256];
} stress;

static void safety_hook(gc_heap *h, int phase, int gen, void *arg) {
  (void)gen;
  stress *s = arg;
  if (phase == 0) {
    s->snap = gc_oracle_before(h);
    assert_non_null(s->snap);
  } else if (gc_oracle_after(h, s->snap, s->err, sizeof s->err) != 0) {
    s->failures++;
    print_error("safety: %s\n", s->err);
  }
}

static uint64_t rng_next(uint64_t *x) { /* splitmix64 */
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* An object reached from root i through up to 3 random slots, or NULL. */
static gc_object *walk(gc_heap *h, uint64_t *x, size_t nroots) {
  gc_object *o = gc_root_get(h, rng_next(x) % nroots);
  for (int steps = (int)(rng_next(x) % 4); o && steps > 0; steps--) {
    gc_object *t = gc_slot_get(o, (uint32_t)(rng_next(x) % o->nslots));
    if (t) o = t;
  }
  return o;
}

/* every: offer every object as a root (gc_heap_buffer_all) each `every`
 * steps; 0: never. */
static void stress_run_every(const char *tunables, uint64_t seed,
                             int every) {
  enum { NROOTS = 32, STEPS = 30000 };
  gc_heap *h = trial_heap(tunables);
  stress s = {0};
  gc_set_collect_hook(h, safety_hook, &s);
  for (int i = 0; i < NROOTS; i++) assert_true(gc_root_push(h, NULL) >= 0);
  uint64_t x = seed;
  for (int step = 0; step < STEPS; step++) {
    if (every && step % every == every - 1) gc_heap_buffer_all(h);
    uint64_t op = rng_next(&x) % 10;
    size_t i = rng_next(&x) % NROOTS;
    if (op < 3) { /* allocate into a root or a slot */
      gc_object *o = gc_new(h, 1 + (uint32_t)(rng_next(&x) % 3), 0);
      assert_non_null(o);
      gc_object *into = walk(h, &x, NROOTS);
      if (into && op == 0)
        gc_slot_steal(h, into, (uint32_t)(rng_next(&x) % into->nslots), o);
      else {
        gc_root_set(h, i, o);
        gc_decref(h, o);
      }
    } else if (op < 8) { /* link two reachable objects */
      gc_object *a = walk(h, &x, NROOTS), *b = walk(h, &x, NROOTS);
      if (a) gc_slot_set(h, a, (uint32_t)(rng_next(&x) % a->nslots), b);
    } else if (op == 8) { /* move a reference into a root */
      gc_root_set(h, i, walk(h, &x, NROOTS));
    } else { /* drop a root */
      gc_root_set(h, i, NULL);
    }
  }
  if (stats(h)->collections <= 5)
    fail_msg("%s: %llu collections", tunables,
             (unsigned long long)stats(h)->collections);
  gc_collect(h, GC_FULL);
  assert_int_equal(s.failures, 0);
  validate(h);
  assert_oracle(h);
  const gc_heap_stats *st = stats(h);
  assert_int_equal(st->objects_allocated,
                   st->freed_by_rc + st->freed_by_collector + st->live_objects);
  gc_root_truncate(h, 0);
  gc_collect(h, GC_FULL);
  assert_int_equal(stats(h)->live_objects, 0);
  gc_heap_free(h);
}

static void stress_run(const char *tunables, uint64_t seed) {
  stress_run_every(tunables, seed, 0);
}

static void test_stress(void **state) {
  (void)state;
  for (uint64_t seed = 1; seed <= 3; seed++) {
    stress_run("threshold=50,step=50", seed);
    stress_run("threshold=20,adaptive=0", seed);
    stress_run("threshold=50,max_roots=30", seed);
  }
}

/* ======================================================================
 * Tunables
 * ==================================================================== */

static void test_tunables(void **state) {
  (void)state;
  char err[256];
  assert_null(gc_heap_new("trial", "threshold=100,max_threshold=10", err,
                          sizeof err));
  assert_non_null(strstr(err, "max_threshold"));
  assert_null(gc_heap_new("trial", "threshold=0", err, sizeof err));
  assert_non_null(strstr(err, "out of range"));
  assert_null(gc_heap_new("trial", "adaptive=3", err, sizeof err));
  assert_null(gc_heap_new("trial", "min_yield=1.5", err, sizeof err));
  assert_null(gc_heap_new("trial", "nope=1", err, sizeof err));
  assert_non_null(strstr(err, "min_yield")); /* listed among the known */

  size_t n = 0, idx = 0;
  while (gc_collector_name(idx) && strcmp(gc_collector_name(idx), "trial"))
    idx++;
  const gc_param_def *defs = gc_collector_tunables(idx, &n);
  assert_int_equal(n, 12);
  const char *want[] = {"threshold",  "adaptive",  "step",
                        "max_threshold", "min_freed", "min_yield",
                        "whole_heap", "in_order",  "max_roots", "path",
                        "near", "buffer_untracked"};
  const char *defaults[] = {"10000", "1",    "10000", "1000000000", "100",
                            "0.05",  "0",    "65536", "0",          "1024",
                            "2048", "0"};
  for (size_t i = 0; i < n; i++) {
    assert_string_equal(defs[i].name, want[i]);
    assert_string_equal(defs[i].def, defaults[i]);
    assert_true(strlen(defs[i].doc) > 20);
  }
}

/* whole_heap=r: past r buffered roots per live object, a collection scans
 * the whole heap (examined = every object) instead of tracing from the
 * roots (examined = the garbage rings only); both free the same. */
static void test_whole_heap_hybrid(void **state) {
  (void)state;
  for (int hybrid = 0; hybrid <= 1; hybrid++) {
    gc_heap *h = trial_heap(hybrid ? "auto=0,whole_heap=0.001" : "auto=0");
    gc_object *head = gc_new(h, 1, 0), *tail = head; /* live chain, 10000 */
    assert_non_null(head);
    assert_true(gc_root_push_steal(h, head) >= 0);
    for (int i = 1; i < 10000; i++) {
      gc_object *o = gc_new(h, 1, 0);
      assert_non_null(o);
      gc_slot_steal(h, tail, 0, o);
      tail = o;
    }
    for (int r = 0; r < 100; r++) { /* 100 garbage rings of 10: 100 roots */
      gc_object *first = gc_new(h, 1, 0), *prev = first;
      for (int i = 1; i < 10; i++) {
        gc_object *o = gc_new(h, 1, 0);
        gc_slot_steal(h, prev, 0, o);
        prev = o;
      }
      gc_slot_set(h, prev, 0, first);
      gc_decref(h, first);
    }
    uint64_t before = stats(h)->objects_examined;
    assert_int_equal(gc_collect(h, GC_FULL), 1000);
    assert_int_equal(stats(h)->objects_examined - before,
                     hybrid ? 11000 : 1000);
    gc_oracle_report rep;
    if (gc_oracle_check(h, GC_ORACLE_COMPLETE | GC_ORACLE_COUNTS, &rep) != 0)
      fail_msg("oracle: %s", rep.error);
    assert_int_equal(stats(h)->live_objects, 10000);
    gc_heap_free(h);
  }
}

/* A finalizer that drops a reference to another object of the garbage
 * being finalized: the decrement must not make it a possible root (its
 * colour and gc_refs belong to the collection), or it would look
 * resurrected.  Garbage {A, B, C}: A -> B, C -> B, B -> A, B -> C; A's
 * finalizer clears A -> B. */
static void clear_slot0(gc_heap *h, gc_object *o, void *arg) {
  (void)arg;
  gc_slot_set(h, o, 0, NULL);
}

static void test_finalizer_drops_into_garbage(void **state) {
  (void)state;
  gc_heap *h = trial_heap("auto=0");
  gc_set_finalizer(h, clear_slot0, NULL);
  gc_object *a = gc_new(h, 1, 0), *b = gc_new(h, 2, 0), *c = gc_new(h, 1, 0);
  assert_true(a && b && c);
  gc_slot_set(h, a, 0, b);
  gc_slot_set(h, c, 0, b);
  gc_slot_set(h, b, 0, a);
  gc_slot_set(h, b, 1, c);
  gc_object_add_finalizer(h, a);
  gc_decref(h, a);
  gc_decref(h, b);
  gc_decref(h, c);
  assert_int_equal(gc_collect(h, GC_FULL), 3);
  assert_int_equal(stats(h)->finalizers_run, 1);
  assert_int_equal(stats(h)->resurrected, 0);
  assert_int_equal(stats(h)->live_objects, 0);
  gc_oracle_report rep;
  if (gc_oracle_check(h, GC_ORACLE_COMPLETE | GC_ORACLE_COUNTS, &rep) != 0)
    fail_msg("oracle: %s", rep.error);
  gc_heap_free(h);
}

/* ======================================================================
 * Roots in buffer order (in_order): a root reached before its turn
 * ====================================================================
 * Each shape runs with in_order=1 and near=0 (every root expanded at its
 * turn), with in_order=1 (a root near its reacher -- all of them, on these
 * small heaps -- expanded at once, and dropped from the turns) and with
 * in_order=0; debug builds also check `closed` in gc_free_garbage_, and the
 * exact counts catch a survivor whose reference from garbage was kept. */

static const char *const in_order_tunables[] = {
    "auto=0,in_order=1,near=0", "auto=0,in_order=1", "auto=0,in_order=0"};
enum { N_IN_ORDER = sizeof in_order_tunables / sizeof *in_order_tunables };

static void collect_expect(gc_heap *h, uint64_t freed, uint64_t live) {
  assert_int_equal(gc_collect(h, GC_FULL), freed);
  assert_int_equal(stats(h)->live_objects, live);
  validate(h);
  assert_oracle(h);
  gc_heap_free(h);
}

/* G (root 0, garbage) -> L (root 1, held).  G's whiten walk meets L GRAY
 * with gc_refs > 0 before L's turn: the only WHITE->BLACK edge, and only
 * that branch can set `open`. */
static void test_in_order_garbage_to_later_root(void **state) {
  (void)state;
  for (int t = 0; t < N_IN_ORDER; t++) {
    gc_heap *h = trial_heap(in_order_tunables[t]);
    gc_object *l = gc_new(h, 0, 0);
    gc_root_push(h, l);
    gc_object *g = gc_new(h, 2, 0);
    gc_slot_set(h, g, 0, g);
    gc_slot_set(h, g, 1, l);
    gc_decref(h, g); /* root 0 */
    gc_decref(h, l); /* root 1 */
    collect_expect(h, 1, 1);
  }
}

/* A (root 0, garbage) -> R (root 2) [-> Y]; B (root 1, held) -> R.  R has
 * gc_refs 0: A's walk whitens it (and Y) before its turn; B's scan_black
 * takes R back without expanding it.  Without Y, only that step can set
 * `open` (A -> R); with Y, only R's expansion at its turn takes Y back. */
static void test_in_order_whitened_root_taken_back(void **state) {
  (void)state;
  for (int t = 0; t < N_IN_ORDER; t++)
    for (int with_y = 0; with_y < 2; with_y++) {
      gc_heap *h = trial_heap(in_order_tunables[t]);
      gc_object *a = gc_new(h, 2, 0), *b = gc_new(h, 1, 0),
                *r = gc_new(h, 1, 0);
      if (with_y) gc_slot_steal(h, r, 0, gc_new(h, 0, 0));
      gc_slot_set(h, a, 0, a);
      gc_slot_set(h, a, 1, r);
      gc_slot_set(h, b, 0, r);
      gc_root_push(h, b);
      gc_decref(h, a); /* root 0 */
      gc_decref(h, b); /* root 1 */
      gc_decref(h, r); /* root 2 */
      collect_expect(h, 1, 2 + with_y);
    }
}

/* A (root 0, garbage) -> H (held, never buffered) -> R (root 2) -> X;
 * W (root 1, garbage) -> X.  A nested scan_black (from H) colours R BLACK
 * and leaves it to its turn; W's walk whitens X; R's turn takes X back,
 * and W -> X must be dropped by gc_free_garbage_. */
static void test_in_order_root_claimed_by_nested_scan_black(void **state) {
  (void)state;
  for (int t = 0; t < N_IN_ORDER; t++) {
    gc_heap *h = trial_heap(in_order_tunables[t]);
    gc_object *hh = gc_new(h, 1, 0);
    gc_root_push_steal(h, hh);
    gc_object *a = gc_new(h, 2, 0), *w = gc_new(h, 2, 0),
              *r = gc_new(h, 1, 0), *x = gc_new(h, 0, 0);
    gc_root_push(h, r);
    gc_slot_set(h, hh, 0, r);
    gc_slot_steal(h, r, 0, x);
    gc_slot_set(h, a, 0, a);
    gc_slot_set(h, a, 1, hh);
    gc_slot_set(h, w, 0, w);
    gc_slot_set(h, w, 1, x);
    gc_decref(h, a); /* root 0 */
    gc_decref(h, w); /* root 1 */
    gc_decref(h, r); /* root 2 */
    assert_false(gc_has_flag(hh, GC_F_BUFFERED));
    collect_expect(h, 2, 3);
  }
}

/* R (root 0, gc_refs 0) -> Z, R -> H (held, not a root) -> R.  R's own
 * whiten walk whitens Z, then the nested scan_black from H takes R back
 * (BUFFERED already clear): R must be expanded again, or Z is freed under
 * a live R. */
static void test_in_order_root_taken_back_in_its_own_walk(void **state) {
  (void)state;
  for (int t = 0; t < N_IN_ORDER; t++) {
    gc_heap *h = trial_heap(in_order_tunables[t]);
    gc_object *hh = gc_new(h, 1, 0);
    gc_root_push_steal(h, hh);
    gc_object *r = gc_new(h, 2, 0);
    gc_slot_steal(h, r, 0, gc_new(h, 0, 0));
    gc_slot_set(h, r, 1, hh);
    gc_slot_set(h, hh, 0, r);
    gc_decref(h, r); /* root 0 */
    collect_expect(h, 0, 3);
  }
}

/* C (root 0) <-> B (root 2), A (root 1, self-loop) -> B: all garbage.  B is
 * reached before its turn in mark_roots and must still be expanded at it,
 * or C's gc_refs keeps the cycle. */
static void test_in_order_mark_expands_reached_root(void **state) {
  (void)state;
  for (int t = 0; t < N_IN_ORDER; t++) {
    gc_heap *h = trial_heap(in_order_tunables[t]);
    gc_object *a = gc_new(h, 2, 0), *b = gc_new(h, 1, 0), *c = gc_new(h, 1, 0);
    gc_slot_set(h, a, 0, a);
    gc_slot_set(h, a, 1, b);
    gc_slot_set(h, b, 0, c);
    gc_slot_set(h, c, 0, b);
    gc_decref(h, c); /* root 0 */
    gc_decref(h, a); /* root 1 */
    gc_decref(h, b); /* root 2 */
    collect_expect(h, 3, 0);
  }
}

/* Every vertex buffered (gc_heap_buffer_all), in allocation order: a live
 * chain of 300 held by its head, a garbage ring of 300, and a garbage chain
 * of 300 that the ring holds and whose last member the live chain's tail
 * holds too (so garbage walks reach objects a live walk claims).  near (default) expands
 * each next link at once and drops it from the turns; near=0 waits. */
static void test_in_order_every_vertex_buffered(void **state) {
  (void)state;
  enum { LEN = 300 };
  for (int t = 0; t < N_IN_ORDER; t++) {
    gc_heap *h = trial_heap(in_order_tunables[t]);
    gc_object *head = gc_new(h, 1, 0), *tail = head;
    for (int i = 1; i < LEN; i++) {
      gc_object *o = gc_new(h, 1, 0);
      gc_slot_steal(h, tail, 0, o);
      tail = o;
    }
    assert_true(gc_root_push_steal(h, head) >= 0);
    gc_object *ring = make_ring(h, LEN, 2);
    gc_object *g = gc_new(h, 1, 0), *gt = g;
    for (int i = 1; i < LEN; i++) {
      gc_object *o = gc_new(h, 1, 0);
      gc_slot_steal(h, gt, 0, o);
      gt = o;
    }
    gc_object *hook = gc_new(h, 1, 0); /* garbage: ring <-> hook -> g */
    gc_slot_steal(h, hook, 0, g);
    gc_slot_steal(h, ring, 1, hook);
    gc_object *live_end = gc_new(h, 1, 0); /* live tail -> live_end -> gt */
    gc_slot_set(h, live_end, 0, gt);
    gc_slot_steal(h, tail, 0, live_end);
    gc_decref(h, ring);
    /* nothing was freed: every object is offered */
    assert_int_equal(gc_heap_buffer_all(h), 3 * LEN + 2);
    validate(h);
    /* garbage: the ring, hook and g's chain but its last member (held by
     * live_end); live: the chain, live_end and gt */
    collect_expect(h, 2 * LEN, LEN + 2);
  }
}

/* Runs of slots (mark_gray subtracts a run of one target at once and
 * notes "every slot one target" from the last non-NULL run): G [G X X _ X _]
 * holds X three times across a NULL run and ends in NULL; O [Z Z Z Z] is
 * one target, Z -> O; P [E E P] ends in a run of one, E has two NULL slots
 * only; S [S] is a single slot; Q [Q Y Q] begins and ends with one
 * target but is not one target (scan must read Y, Y -> Y).  All garbage, 9
 * objects.  Live: K [J J J]
 * (one target), J -> K, K held by the root table; L [_ M M] ends in a run
 * after NULL, M -> L, L held.  A run subtracted as 1, or slots counted
 * twice, leaves garbage or frees a survivor; exact counts check the rest. */
static void test_in_order_slot_runs(void **state) {
  (void)state;
  for (int t = 0; t < N_IN_ORDER; t++) {
    gc_heap *h = trial_heap(in_order_tunables[t]);
    gc_object *g = gc_new(h, 6, 0), *x = gc_new(h, 0, 0);
    gc_slot_set(h, g, 0, g);
    for (uint32_t i = 1; i < 5; i++)
      if (i != 3) gc_slot_set(h, g, i, x);
    gc_decref(h, x);
    gc_object *o = gc_new(h, 4, 0), *z = gc_new(h, 1, 0);
    for (uint32_t i = 0; i < 4; i++) gc_slot_set(h, o, i, z);
    gc_slot_set(h, z, 0, o);
    gc_decref(h, z);
    gc_object *p = gc_new(h, 3, 0), *e = gc_new(h, 2, 0);
    gc_slot_set(h, p, 0, e);
    gc_slot_set(h, p, 1, e);
    gc_slot_set(h, p, 2, p);
    gc_decref(h, e);
    gc_object *s = gc_new(h, 1, 0);
    gc_slot_set(h, s, 0, s);
    gc_object *q = gc_new(h, 3, 0);
    gc_slot_set(h, q, 0, q);
    gc_object *y = gc_new(h, 1, 0); /* a self-loop: no count frees it */
    gc_slot_set(h, y, 0, y);
    gc_slot_steal(h, q, 1, y);
    gc_slot_set(h, q, 2, q);
    gc_object *k = gc_new(h, 3, 0), *j = gc_new(h, 1, 0);
    for (uint32_t i = 0; i < 3; i++) gc_slot_set(h, k, i, j);
    gc_slot_set(h, j, 0, k);
    gc_root_push(h, k);
    gc_decref(h, j);
    gc_object *l = gc_new(h, 3, 0), *m = gc_new(h, 1, 0);
    gc_slot_set(h, l, 1, m);
    gc_slot_set(h, l, 2, m);
    gc_slot_set(h, m, 0, l);
    gc_root_push(h, l);
    gc_decref(h, m);
    gc_decref(h, g); /* roots: x z e j m, then g o p s q k l */
    gc_decref(h, o);
    gc_decref(h, p);
    gc_decref(h, s);
    gc_decref(h, q);
    gc_decref(h, k);
    gc_decref(h, l);
    assert_int_equal(j->refcnt, 3);
    assert_int_equal(m->refcnt, 2);
    collect_expect(h, 9, 4);
  }
}

/* The stack cannot grow (fail_collector, switched on once the stack and
 * both buffer arrays have grown: the stack to 1024 entries) exactly when
 * mark_gray pushes a root near its reacher: hub H [H F1..F1024 N X] pushes
 * its 1024 fillers F (garbage, never buffered), then N (a root allocated
 * right after H in H's size: near for near=1048576), then filler X.  N
 * loses BUFFERED and is not expanded, and at its turn mark_roots drops it;
 * with near=0 N waits and only X's push fails.  Either way the void trial
 * falls back to the whole-heap scan, which must free exactly the garbage
 * (H, the fillers, N <-> N2) and leave nothing BUFFERED, GRAY or
 * COLLECTING (validate). */
static void test_in_order_near_root_push_fails(void **state) {
  (void)state;
  enum { FILL = 1024, WIDE = FILL + 3 };
  /* path=0: N <-> N2 would be decided by a path trial, not pushed */
  const char *tun[] = {"auto=0,in_order=1,near=1048576,path=0",
                       "auto=0,in_order=1,near=0,path=0"};
  for (int t = 0; t < 2; t++) {
    gc_heap *h = trial_heap(tun[t]);
    /* Grow the stack and both buffer arrays (detach_buffer swaps them). */
    for (int round = 0; round < 2; round++) {
      for (int i = 0; i < FILL; i++) make_garbage_pair(h);
      assert_int_equal(gc_collect(h, GC_FULL), 2 * FILL);
    }
    /* H and N: two of a few objects of one size, 1 MiB apart at most
     * (allocators hand out a size class's regions side by side); the
     * others are freed at once. */
    enum { CAND = 16 };
    gc_object *cand[CAND], *hub = NULL, *n = NULL;
    for (int i = 0; i < CAND; i++) assert_non_null(cand[i] = gc_new(h, WIDE, 0));
    for (int i = 0; i < CAND && !hub; i++)
      for (int j = i + 1; j < CAND && !hub; j++) {
        uintptr_t a = (uintptr_t)cand[i], b = (uintptr_t)cand[j];
        if ((a > b ? a - b : b - a) < 1048576) hub = cand[i], n = cand[j];
      }
    if (!hub) fail_msg("no two of %d objects of %u slots within 1 MiB", CAND,
                       (unsigned)WIDE);
    for (int i = 0; i < CAND; i++)
      if (cand[i] != hub && cand[i] != n) gc_decref(h, cand[i]);
    gc_object *n2 = gc_new(h, 1, 0);
    assert_non_null(n2);
    gc_slot_set(h, hub, 0, hub); /* a cycle: H is garbage */
    for (uint32_t i = 1; i <= FILL; i++)
      gc_slot_steal(h, hub, i, gc_new(h, 0, 0));
    gc_slot_set(h, hub, FILL + 1, n);
    gc_slot_steal(h, hub, FILL + 2, gc_new(h, 0, 0));
    gc_slot_set(h, n, 0, n2);
    gc_slot_set(h, n2, 0, n);
    gc_object *live = make_live_root(h); /* root 0 */
    gc_decref(h, hub);                   /* root 1 */
    gc_decref(h, n2);                    /* root 2 */
    gc_decref(h, n);                     /* root 3 */
    assert_true(is_buffered(n));
    h->fail_collector = 1.0;
    uint64_t failures = stats(h)->injected_failures;
    assert_int_equal(gc_collect(h, GC_FULL), 1 + FILL + 1 + 2);
    assert_true(stats(h)->injected_failures > failures);
    /* the void trial greyed every object, then the whole heap: twice */
    assert_int_equal(last_record(h)->examined, 2 * (1 + 1 + FILL + 1 + 2));
    assert_int_equal(stats(h)->live_objects, 1);
    assert_false(is_buffered(live));
    assert_int_equal(gc_get_color(live), GC_BLACK);
    validate(h);
    assert_oracle(h);
    h->fail_collector = 0;
    /* and the trial works again */
    make_garbage_pair(h);
    assert_int_equal(gc_collect(h, GC_FULL), 2);
    assert_int_equal(last_record(h)->examined, 2);
    validate(h);
    gc_heap_free(h);
  }
}

/* A garbage ring whose every vertex is buffered (most dropped by mark_roots
 * or expanded at once as near), with a finalizer on one member that puts it
 * back in the root table: the whole ring is resurrected, BLACK, and only
 * what finalization buffers anew may be BUFFERED.  Dropped later, it is
 * freed without running the finalizer again. */
static void push_self(gc_heap *h, gc_object *o, void *arg) {
  (void)arg;
  assert_true(gc_root_push(h, o) >= 0);
}

static void test_in_order_resurrected_ring(void **state) {
  (void)state;
  enum { LEN = 50 };
  for (int t = 0; t < N_IN_ORDER; t++) {
    gc_heap *h = trial_heap(in_order_tunables[t]);
    gc_set_finalizer(h, push_self, NULL);
    gc_object *ring = make_ring(h, LEN, 1);
    gc_object *mid = ring;
    for (int i = 0; i < LEN / 2; i++) mid = gc_slot_get(mid, 0);
    gc_object_add_finalizer(h, mid);
    gc_decref(h, ring);
    assert_int_equal(gc_heap_buffer_all(h), LEN);
    assert_int_equal(gc_collect(h, GC_FULL), 0);
    assert_int_equal(stats(h)->finalizers_run, 1);
    assert_int_equal(stats(h)->resurrected, LEN);
    assert_int_equal(stats(h)->live_objects, LEN);
    validate(h);
    assert_oracle(h);
    gc_root_truncate(h, 0);
    collect_expect(h, LEN, 0);
  }
}

/* The random mutator of test_stress with roots in buffer order from the
 * first root, and every object offered as a root before some collections
 * (gc_heap_buffer_all): roots reached by earlier roots are dropped, near
 * ones expanded at once; with fail_collector the stack sometimes cannot
 * grow mid-collection.  Safety at every collection, then completeness. */
static void test_in_order_stress(void **state) {
  (void)state;
  static const char *const tun[] = {
      "threshold=50,step=50,in_order=1",
      "threshold=50,step=50,in_order=1,near=0",
      "threshold=20,adaptive=0,in_order=1,near=1048576",
      "threshold=50,step=50,in_order=1,fail_collector=0.3,fail_seed=7",
  };
  for (uint64_t seed = 1; seed <= 2; seed++)
    for (size_t i = 0; i < sizeof tun / sizeof *tun; i++)
      stress_run_every(tun[i], seed, 97);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pair),
      cmocka_unit_test(test_self_loop),
      cmocka_unit_test(test_buffer_all),
      cmocka_unit_test(test_ring_garbage),
      cmocka_unit_test(test_ring_held),
      cmocka_unit_test(test_ring_held_by_unexamined),
      cmocka_unit_test(test_path_live_ring_unwritten),
      cmocka_unit_test(test_path_every_member_buffered),
      cmocka_unit_test(test_path_chain),
      cmocka_unit_test(test_path_held_by_garbage),
      cmocka_unit_test(test_path_undecided),
      cmocka_unit_test(test_path_budget),
      cmocka_unit_test(test_path_doubly_linked),
      cmocka_unit_test(test_path_member_held_not_reaching),
      cmocka_unit_test(test_wide_hub),
      cmocka_unit_test(test_forget),
      cmocka_unit_test(test_threshold_triggers_at_next_allocation),
      cmocka_unit_test(test_adaptive_threshold),
      cmocka_unit_test(test_fixed_threshold),
      cmocka_unit_test(test_min_yield),
      cmocka_unit_test(test_auto_off),
      cmocka_unit_test(test_garbage_into_live),
      cmocka_unit_test(test_decrements_during_collection),
      cmocka_unit_test(test_refill_during_automatic_collection),
      cmocka_unit_test(test_buffer_overflow),
      cmocka_unit_test(test_arrays_cannot_grow),
      cmocka_unit_test(test_stack_fails_after_path_garbage),
      cmocka_unit_test(test_stress),
      cmocka_unit_test(test_tunables),
      cmocka_unit_test(test_whole_heap_hybrid),
      cmocka_unit_test(test_finalizer_drops_into_garbage),
      cmocka_unit_test(test_in_order_garbage_to_later_root),
      cmocka_unit_test(test_in_order_whitened_root_taken_back),
      cmocka_unit_test(test_in_order_root_claimed_by_nested_scan_black),
      cmocka_unit_test(test_in_order_root_taken_back_in_its_own_walk),
      cmocka_unit_test(test_in_order_mark_expands_reached_root),
      cmocka_unit_test(test_in_order_every_vertex_buffered),
      cmocka_unit_test(test_in_order_slot_runs),
      cmocka_unit_test(test_in_order_near_root_push_fails),
      cmocka_unit_test(test_in_order_resurrected_ring),
      cmocka_unit_test(test_in_order_stress),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
