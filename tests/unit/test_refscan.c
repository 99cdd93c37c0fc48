/*
 * test_refscan.c -- gc_deduce_unreachable_ (gc/refscan.c) tells whether its
 * garbage refers to anything outside the garbage ("closed"), by counting
 * edges rather than reading the garbage again.  gc_free_garbage_ trusts it
 * and skips dropping the garbage's references to survivors, so a wrong 1
 * leaves survivors with counts too high, and a wrong 0 costs a pass.
 *
 * Each case builds a heap with the `none` collector (no collection behind
 * the test's back; every object on generation 0's list), runs the scan
 * itself over the whole list or over a part of it, and compares `closed`
 * with the answer found by reading every slot of the garbage.  Hand-made
 * cases cover each kind of edge out of the garbage (to a survivor, to an
 * object outside the scanned list, to an untracked object), repeated
 * slots (one_target objects, runs) and a survivor rescued from the
 * tentatively unreachable list; random graphs cover the rest, and must
 * give both answers many times.  On a heap with finalizable objects the
 * freeing must not trust `closed` at all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "refscan.h"

static gc_heap *heap(void) {
  char err[256];
  gc_heap *h = gc_heap_new("none", "auto=0", err, sizeof err);
  if (!h) fail_msg("gc_heap_new(none): %s", err);
  return h;
}

/* The answer by reading: does a garbage object hold anything not WHITE? */
static int reads_closed(gc_link *garbage) {
  for (gc_link *p = garbage->next; p != garbage; p = p->next) {
    gc_object *o = gc_obj(p), **s = gc_slots(o);
    for (uint32_t i = 0; i < o->nslots; i++)
      if (s[i] && gc_get_color(s[i]) != GC_WHITE) return 0;
  }
  return 1;
}

/* Scan `young` (the whole heap when it is h->gens[0] and whole_heap), check
 * `closed` against reads_closed, free the garbage as a collector would,
 * and put the survivors back on generation 0.  Returns `closed`. */
static int scan(gc_heap *h, gc_link *young, int whole_heap) {
  gc_link garbage;
  gc_list_init(&garbage);
  int closed = -1;
  gc_deduce_unreachable_(young, &garbage, 0, whole_heap, &closed);
  assert_true(closed == 0 || closed == 1);
  assert_int_equal(closed, reads_closed(&garbage));
  gc_free_garbage_(h, &garbage, closed);
  if (young != &h->gens[0]) gc_list_merge(&h->gens[0], young);
  return closed;
}

/* A garbage ring of k objects, each with `extra` more slots left NULL. */
static gc_object *ring(gc_heap *h, int k, uint32_t extra) {
  gc_object *first = gc_new(h, 1 + extra, 0), *prev = first;
  for (int i = 1; i < k; i++) {
    gc_object *o = gc_new(h, 1 + extra, 0);
    gc_slot_set(h, prev, 0, o);
    gc_decref(h, o);
    prev = o;
  }
  gc_slot_set(h, prev, 0, first);
  return first; /* the caller's reference */
}

static void test_closed_ring(void **state) {
  (void)state;
  gc_heap *h = heap();
  gc_object *live = gc_new(h, 2, 0);
  gc_object *r = ring(h, 5, 1);
  gc_slot_set(h, live, 0, live); /* a live self-reference */
  gc_decref(h, r);
  assert_int_equal(scan(h, &h->gens[0], 1), 1);
  assert_int_equal(h->stats.live_objects, 1);
  gc_decref(h, live);
  gc_heap_free(h);
}

static void test_garbage_holds_survivor(void **state) {
  (void)state;
  gc_heap *h = heap();
  gc_object *live = gc_new(h, 0, 0);
  gc_object *r = ring(h, 4, 1);
  gc_slot_set(h, gc_slot_get(r, 0), 1, live);
  gc_decref(h, r);
  assert_int_equal(live->refcnt, 2);
  assert_int_equal(scan(h, &h->gens[0], 1), 0);
  assert_int_equal(live->refcnt, 1); /* the garbage's reference dropped */
  gc_decref(h, live);
  gc_heap_free(h);
}

static void test_garbage_holds_untracked(void **state) {
  (void)state;
  gc_heap *h = heap();
  gc_object *leaf = gc_new(h, 0, 0);
  assert_int_equal(gc_untrack(h, leaf), GC_OK);
  gc_object *r = ring(h, 3, 1);
  gc_slot_set(h, r, 1, leaf);
  gc_decref(h, leaf); /* the ring holds the only reference */
  gc_decref(h, r);
  assert_int_equal(scan(h, &h->gens[0], 1), 0);
  assert_int_equal(h->stats.live_objects, 0); /* the leaf went too */
  gc_heap_free(h);
}

/* Scanning part of the list: an edge from the garbage to an object left
 * outside the scan is an edge out, and one from a survivor is not. */
static void test_partial_scan(void **state) {
  (void)state;
  for (int out = 0; out <= 1; out++) {
    gc_heap *h = heap();
    gc_object *old = gc_new(h, 1, 0); /* stays outside the scan */
    gc_object *held = gc_new(h, 1, 0);
    gc_object *r = ring(h, 3, 1);
    gc_slot_set(h, held, 0, old);
    if (out) gc_slot_set(h, r, 1, old);
    gc_decref(h, r);
    gc_link young;
    gc_list_init(&young);
    gc_list_merge(&young, &h->gens[0]);
    gc_list_move(&h->gens[0], gc_link_of(old));
    assert_int_equal(scan(h, &young, 0), !out);
    assert_int_equal(old->refcnt, 2);
    assert_int_equal(h->stats.live_objects, 2);
    gc_decref(h, held);
    gc_decref(h, old);
    gc_heap_free(h);
  }
}

/* Repeated slots: a survivor and a garbage object whose slots all hold one
 * target (one_target), and runs broken by NULL. */
static void test_repeated_slots(void **state) {
  (void)state;
  gc_heap *h = heap();
  gc_object *live = gc_new(h, 4, 0), *pin = gc_new(h, 0, 0);
  gc_object *r = ring(h, 2, 3);
  for (uint32_t i = 0; i < 4; i++) gc_slot_set(h, live, i, pin);
  gc_object *g = gc_slot_get(r, 0); /* ring: r -> g -> r */
  for (uint32_t i = 1; i < 4; i++) gc_slot_set(h, g, i, r); /* one target */
  gc_slot_set(h, r, 2, r);
  gc_slot_set(h, r, 3, r);
  gc_decref(h, r);
  assert_int_equal(scan(h, &h->gens[0], 1), 1);
  gc_object *r2 = ring(h, 2, 3);
  gc_slot_set(h, r2, 2, pin);
  gc_slot_set(h, r2, 3, pin);
  gc_decref(h, r2);
  assert_int_equal(scan(h, &h->gens[0], 1), 0);
  assert_int_equal(pin->refcnt, 5);
  gc_decref(h, live);
  gc_decref(h, pin);
  gc_heap_free(h);
}

/* A survivor that the list walk first moves to the unreachable list and
 * then takes back (it comes before its only referrer in the list). */
static void test_rescued_survivor(void **state) {
  (void)state;
  for (int out = 0; out <= 1; out++) {
    gc_heap *h = heap();
    gc_object *late = gc_new(h, 1, 0);  /* first on the list, reached later */
    gc_object *root = gc_new(h, 1, 0);  /* held */
    gc_object *r = ring(h, 3, 1);
    gc_slot_set(h, root, 0, late);
    gc_decref(h, late);
    if (out) gc_slot_set(h, r, 1, late);
    gc_decref(h, r);
    assert_int_equal(scan(h, &h->gens[0], 1), !out);
    assert_int_equal(late->refcnt, 1);
    gc_decref(h, root);
    gc_heap_free(h);
  }
}

/* On a heap with finalizable objects, gc_free_garbage_ ignores `closed`: a
 * finalizer may have stored a reference into the garbage since the scan.
 * Here the garbage holds a survivor and the caller claims it closed; the
 * freeing must still drop the garbage's reference. */
static void noop_finalizer(gc_heap *h, gc_object *o, void *arg) {
  (void)h, (void)o, (void)arg;
}

static void test_finalizable_heap_ignores_closed(void **state) {
  (void)state;
  gc_heap *h = heap();
  gc_set_finalizer(h, noop_finalizer, NULL);
  gc_object *live = gc_new(h, 0, 0);
  gc_object_add_finalizer(h, live); /* the heap has finalizable objects */
  gc_object *r = ring(h, 3, 1);
  gc_slot_set(h, r, 1, live);
  gc_decref(h, r);
  assert_int_equal(live->refcnt, 2);
  gc_link garbage;
  gc_list_init(&garbage);
  int closed = -1;
  gc_deduce_unreachable_(&h->gens[0], &garbage, 0, 1, &closed);
  assert_int_equal(closed, 0);
  gc_free_garbage_(h, &garbage, 1); /* a wrong claim, ignored */
  assert_int_equal(live->refcnt, 1);
  assert_int_equal(h->stats.live_objects, 1);
  gc_decref(h, live);
  gc_heap_free(h);
}

/* Random heaps: objects with 0-4 slots, edges drawn at random (repeats in
 * a row are likely), some leaves untracked, some objects held; the whole
 * list or a random part of it scanned.  Both answers must come up often. */
static void test_random(void **state) {
  (void)state;
  enum { ROUNDS = 3000, MAXN = 40 };
  int seen[2] = {0, 0};
  srand(7);
  for (int round = 0; round < ROUNDS; round++) {
    gc_heap *h = heap();
    gc_object *v[MAXN];
    int held[MAXN], n = 1 + rand() % MAXN;
    for (int i = 0; i < n; i++) {
      v[i] = gc_new(h, (uint32_t)(rand() % 5), 0);
      held[i] = 1;
    }
    int untracked = rand() % 4; /* leaves without slots only */
    for (int i = 0; i < n && untracked; i++)
      if (v[i]->nslots == 0 && gc_untrack(h, v[i]) == GC_OK) untracked--;
    int density = 1 + rand() % 4;
    for (int i = 0; i < n; i++) {
      if (v[i]->untracked) continue;
      gc_object *last = NULL;
      for (uint32_t s = 0; s < v[i]->nslots; s++) {
        int pick = rand() % 6;
        gc_object *t = pick < density ? v[rand() % n] : pick == 5 ? last : NULL;
        if (t) gc_slot_set(h, v[i], s, t);
        last = t ? t : last;
      }
    }
    int keep = rand() % 4; /* a quarter of the objects held, or none */
    for (int i = 0; i < n; i++)
      if (rand() % 4 >= keep) {
        held[i] = 0;
        gc_decref(h, v[i]);
      }
    gc_link young;
    gc_link *scanned = &h->gens[0];
    int whole = rand() % 3 != 0;
    if (!whole) { /* a random part of the list: the rest stays out */
      gc_list_init(&young);
      gc_link *p = h->gens[0].next;
      while (p != &h->gens[0]) {
        gc_link *next = p->next;
        if (rand() % 3) gc_list_move(&young, p);
        p = next;
      }
      scanned = &young;
    }
    seen[scan(h, scanned, whole)]++;
    for (int i = 0; i < n; i++)
      if (held[i]) gc_decref(h, v[i]);
    gc_heap_free(h);
  }
  print_message("closed %d, open %d of %d scans\n", seen[1], seen[0], ROUNDS);
  assert_true(seen[0] > ROUNDS / 10);
  assert_true(seen[1] > ROUNDS / 10);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_closed_ring),
      cmocka_unit_test(test_garbage_holds_survivor),
      cmocka_unit_test(test_garbage_holds_untracked),
      cmocka_unit_test(test_partial_scan),
      cmocka_unit_test(test_repeated_slots),
      cmocka_unit_test(test_rescued_survivor),
      cmocka_unit_test(test_finalizable_heap_ignores_closed),
      cmocka_unit_test(test_random),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
