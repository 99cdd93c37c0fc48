/*
 * test_finalizers.c -- finalizers (gc.h, gc/finalize.c) under every
 * collector that frees cycles (all registered ones but `none`).
 *
 * PEP 442: a flagged object's finalizer runs at most once in its life,
 * whether its count reaches zero or a collection finds it unreachable; a
 * finalizer is a mutator (it may drop references, allocate, build new
 * garbage, resurrect); after finalizers run the collector frees only what
 * is still unreachable, and a resurrected object is later freed without a
 * second finalization.  legacy_finalizers=1 (Python < 3.4): a collection
 * runs no finalizer; an unreachable object with one goes to gc.garbage,
 * with everything it reaches kept alive and counted uncollectable.
 *
 * The finalizer marks payload byte 0 of every object it sees, so a second
 * run on the same object fails the test where it happens.  External
 * references all live in the root table so the oracle can check exact
 * counts after every collection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gc.h"
#include "oracle.h"

/* What the finalizer does. */
enum fin_mode {
  FIN_NOTHING,
  FIN_CLEAR_SLOT1,   /* drop the reference in slot 1 */
  FIN_NEW_CYCLE,     /* allocate a two-object cycle and drop it */
  FIN_RESURRECT,     /* gc_root_push(o) */
  FIN_ALLOC_STORE,   /* allocate an object into slot 1 of o */
  FIN_ALLOC_ROOT,    /* allocate an object into the root table */
  FIN_ALLOC_MANY,    /* allocate and drop many objects */
  FIN_HANG           /* o <-> a new object, in slot 1: held by nothing else */
};

typedef struct fin_ctx {
  enum fin_mode mode;
  uint64_t calls;
  uint64_t allocated; /* objects the finalizer allocated */
  int in_finalizer;
} fin_ctx;

static void finalizer(gc_heap *h, gc_object *o, void *arg) {
  fin_ctx *c = arg;
  assert_false(c->in_finalizer); /* no finalizer runs inside another */
  c->in_finalizer = 1;
  assert_true(gc_has_flag(o, GC_F_FINALIZER));
  assert_true(gc_has_flag(o, GC_F_FINALIZED));
  assert_true(o->refcnt > 0); /* held while its finalizer runs */
  assert_true(gc_payload_size(o) >= 1);
  if (gc_payload(o)[0] != 0) fail_msg("finalizer ran twice on %p", (void *)o);
  gc_payload(o)[0] = 1;
  c->calls++;
  switch (c->mode) {
    case FIN_NOTHING:
      break;
    case FIN_CLEAR_SLOT1:
      assert_int_equal(gc_slot_set(h, o, 1, NULL), GC_OK);
      break;
    case FIN_NEW_CYCLE: {
      gc_object *a = gc_new(h, 1, 1), *b = gc_new(h, 1, 1);
      assert_non_null(a);
      assert_non_null(b);
      gc_slot_steal(h, a, 0, b);
      gc_slot_set(h, b, 0, a);
      gc_decref(h, a);
      c->allocated += 2;
      break;
    }
    case FIN_RESURRECT:
      assert_true(gc_root_push(h, o) >= 0);
      break;
    case FIN_ALLOC_STORE: {
      gc_object *n = gc_new(h, 1, 1);
      assert_non_null(n);
      assert_int_equal(gc_slot_steal(h, o, 1, n), GC_OK);
      c->allocated++;
      break;
    }
    case FIN_ALLOC_ROOT: {
      gc_object *n = gc_new(h, 1, 1);
      assert_non_null(n);
      gc_slot_set(h, n, 0, n); /* itself a cycle, but held */
      assert_true(gc_root_push_steal(h, n) >= 0);
      c->allocated++;
      break;
    }
    case FIN_HANG: {
      gc_object *n = gc_new(h, 1, 1);
      assert_non_null(n);
      gc_slot_set(h, n, 0, o);
      assert_int_equal(gc_slot_steal(h, o, 1, n), GC_OK);
      c->allocated++;
      break;
    }
    case FIN_ALLOC_MANY:
      for (int i = 0; i < 100; i++) {
        gc_object *n = gc_new(h, 1, 1);
        assert_non_null(n);
        gc_slot_set(h, o, 1, n); /* o keeps the last one */
        gc_decref(h, n);
        c->allocated++;
      }
      break;
  }
  c->in_finalizer = 0;
}

static const gc_heap_stats *stats(gc_heap *h) { return gc_heap_get_stats(h); }

static gc_heap *fin_heap(void **state, const char *tunables, fin_ctx *c,
                         enum fin_mode mode) {
  char err[256];
  gc_heap *h = gc_heap_new(*state, tunables, err, sizeof err);
  if (!h)
    fail_msg("gc_heap_new(%s, %s): %s", (const char *)*state,
             tunables ? tunables : "", err);
  memset(c, 0, sizeof *c);
  c->mode = mode;
  gc_set_finalizer(h, finalizer, c);
  return h;
}

static void oracle(gc_heap *h, int flags) {
  gc_oracle_report rep;
  if (gc_oracle_check(h, flags, &rep) != 0) fail_msg("oracle: %s", rep.error);
}
#define COMPLETE (GC_ORACLE_COUNTS | GC_ORACLE_COMPLETE)

/* A ring of n objects (2 slots, 1 payload byte), slot 0 to the next; the
 * first `nfin` carry a finalizer.  The first is left in the root table at
 * index `root`. */
static gc_object *ring(gc_heap *h, uint32_t n, uint32_t nfin, long *root) {
  gc_object *first = gc_new(h, 2, 1), *prev = first;
  assert_non_null(first);
  *root = gc_root_push_steal(h, first);
  assert_true(*root >= 0);
  if (nfin > 0) gc_object_add_finalizer(h, first);
  for (uint32_t i = 1; i < n; i++) {
    gc_object *o = gc_new(h, 2, 1);
    assert_non_null(o);
    if (i < nfin) gc_object_add_finalizer(h, o);
    gc_slot_steal(h, prev, 0, o);
    prev = o;
  }
  gc_slot_set(h, prev, 0, first);
  return first;
}

/* ======================================================================
 * PEP 442
 * ==================================================================== */

/* Every finalizer of a garbage ring runs once; the ring is freed by the
 * same collection; later collections run nothing. */
static void test_runs_once(void **state) {
  fin_ctx c;
  gc_heap *h = fin_heap(state, "auto=0", &c, FIN_NOTHING);
  long r;
  ring(h, 5, 3, &r);
  gc_collect(h, GC_FULL); /* held: nothing finalized */
  assert_int_equal(stats(h)->finalizers_run, 0);
  gc_root_set(h, (size_t)r, NULL);
  assert_int_equal(gc_collect(h, GC_FULL), 5);
  assert_int_equal(c.calls, 3);
  assert_int_equal(stats(h)->finalizers_run, 3);
  assert_int_equal(stats(h)->resurrected, 0);
  assert_int_equal(stats(h)->live_objects, 0);
  oracle(h, COMPLETE);
  gc_collect(h, GC_FULL);
  assert_int_equal(stats(h)->finalizers_run, 3);

  /* A count that reaches zero runs the finalizer too, once. */
  gc_object *o = gc_new(h, 0, 1);
  gc_object_add_finalizer(h, o);
  gc_decref(h, o);
  assert_int_equal(c.calls, 4);
  assert_int_equal(stats(h)->finalizers_run, 4);
  assert_int_equal(stats(h)->freed_by_rc, 1);
  assert_int_equal(stats(h)->live_objects, 0);

  /* An object released by another's release cascade, too. */
  gc_object *a = gc_new(h, 1, 1), *b = gc_new(h, 0, 1);
  gc_object_add_finalizer(h, b);
  gc_slot_steal(h, a, 0, b);
  gc_decref(h, a);
  assert_int_equal(stats(h)->finalizers_run, 5);
  assert_int_equal(stats(h)->live_objects, 0);
  assert_int_equal(stats(h)->uncollectable, 0);
  gc_heap_free(h);
}

/* A finalizer that drops a reference: to an object of the garbage (freed
 * with the rest) and to a live object (its count goes down by exactly
 * one). */
static void test_drops_reference(void **state) {
  fin_ctx c;
  gc_heap *h = fin_heap(state, "auto=0", &c, FIN_CLEAR_SLOT1);
  gc_object *live = gc_new(h, 0, 1);
  assert_int_equal(gc_root_push_steal(h, live), 0);
  long r;
  gc_object *first = ring(h, 4, 2, &r);
  gc_object *second = gc_slot_get(first, 0);
  gc_object *tail = gc_new(h, 1, 1); /* held by first only */
  gc_slot_steal(h, first, 1, tail);
  gc_slot_set(h, second, 1, live);
  assert_int_equal(live->refcnt, 2);
  oracle(h, COMPLETE);
  gc_root_set(h, (size_t)r, NULL);
  assert_int_equal(gc_collect(h, GC_FULL), 5);
  assert_int_equal(c.calls, 2);
  assert_int_equal(stats(h)->finalizers_run, 2);
  assert_int_equal(stats(h)->live_objects, 1);
  assert_int_equal(live->refcnt, 1);
  oracle(h, COMPLETE);
  gc_heap_free(h);
}

/* A finalizer that builds a new garbage cycle: this collection frees the
 * old garbage and leaves the new one (it was made after the collection
 * decided), the next full collection frees it. */
static void test_creates_cycle(void **state) {
  fin_ctx c;
  gc_heap *h = fin_heap(state, "auto=0", &c, FIN_NEW_CYCLE);
  long r;
  ring(h, 3, 2, &r);
  gc_root_set(h, (size_t)r, NULL);
  gc_collect(h, GC_FULL);
  assert_int_equal(c.calls, 2);
  assert_int_equal(c.allocated, 4);
  assert_int_equal(stats(h)->finalizers_run, 2);
  assert_int_equal(stats(h)->resurrected, 0);
  uint64_t live = stats(h)->live_objects;
  /* The ring is gone; the new cycles (no finalizers) may or may not be. */
  assert_true(live == 0 || live == 4);
  oracle(h, GC_ORACLE_COUNTS);
  gc_collect(h, GC_FULL);
  assert_int_equal(stats(h)->live_objects, 0);
  assert_int_equal(stats(h)->finalizers_run, 2);
  oracle(h, COMPLETE);
  gc_heap_free(h);
}

/* A finalizer that hangs its object on a new object, and the new object on
 * it: the pair is referred to from outside the garbage set only by the new
 * object, so it is resurrected, and is garbage again at once with no
 * reference dropped afterwards.  The next full collection must free it:
 * trial deletion sees the resurrection's release of the hold as a
 * decrement (a possible root). */
static void test_hangs_on_new_object(void **state) {
  fin_ctx c;
  gc_heap *h = fin_heap(state, "auto=0", &c, FIN_HANG);
  long r;
  ring(h, 3, 1, &r);
  gc_root_set(h, (size_t)r, NULL);
  gc_collect(h, GC_FULL);
  assert_int_equal(c.calls, 1);
  assert_int_equal(stats(h)->resurrected, 3);
  assert_int_equal(stats(h)->live_objects, 4);
  oracle(h, GC_ORACLE_COUNTS);
  gc_collect(h, GC_FULL);
  assert_int_equal(stats(h)->live_objects, 0);
  assert_int_equal(c.calls, 1);
  oracle(h, COMPLETE);
  gc_heap_free(h);
}

/* A finalizer that resurrects a whole ring (one member stores itself in
 * the root table): the ring survives intact; dropped again, it is freed
 * and nothing is finalized a second time. */
static void test_resurrects_ring(void **state) {
  for (uint32_t nfin = 1; nfin <= 4; nfin += 3) {
    fin_ctx c;
    gc_heap *h = fin_heap(state, "auto=0", &c, FIN_RESURRECT);
    long r;
    gc_object *first = ring(h, 4, nfin, &r);
    gc_object *x = gc_new(h, 0, 1); /* hangs off the ring */
    gc_slot_steal(h, gc_slot_get(first, 0), 1, x);
    gc_root_set(h, (size_t)r, NULL);
    assert_int_equal(gc_collect(h, GC_FULL), 0);
    assert_int_equal(c.calls, nfin);
    assert_int_equal(stats(h)->finalizers_run, nfin);
    assert_int_equal(stats(h)->resurrected, 5); /* the ring and x */
    assert_int_equal(stats(h)->live_objects, 5);
    assert_int_equal(gc_root_count(h), 1 + nfin);
    /* Intact: the ring's edges and counts as before. */
    gc_object *o = first;
    for (int i = 0; i < 4; i++) {
      /* PURPLE under trial: resurrection buffers them as possible roots. */
      gc_color col = gc_get_color(o);
      assert_true(col == GC_BLACK || col == GC_PURPLE);
      o = gc_slot_get(o, 0);
    }
    assert_ptr_equal(o, first);
    assert_int_equal(x->refcnt, 1);
    oracle(h, COMPLETE);

    /* Dropped again: freed, no second finalization. */
    gc_root_truncate(h, 0);
    gc_collect(h, GC_FULL);
    assert_int_equal(stats(h)->live_objects, 0);
    assert_int_equal(stats(h)->finalizers_run, nfin);
    assert_int_equal(c.calls, nfin);
    assert_int_equal(stats(h)->resurrected, 5);
    oracle(h, COMPLETE);
    gc_heap_free(h);
  }
}

/* Resurrection from the count-reaches-zero path, then a cycle. */
static void test_resurrects_at_zero(void **state) {
  fin_ctx c;
  gc_heap *h = fin_heap(state, "auto=0", &c, FIN_RESURRECT);
  gc_object *o = gc_new(h, 1, 1);
  gc_object_add_finalizer(h, o);
  gc_decref(h, o);
  assert_int_equal(stats(h)->finalizers_run, 1);
  assert_int_equal(stats(h)->resurrected, 1);
  assert_int_equal(stats(h)->live_objects, 1);
  assert_int_equal(o->refcnt, 1);
  oracle(h, COMPLETE);
  /* Now make it a cycle and drop it: a collection frees it, unfinalized. */
  gc_slot_set(h, o, 0, o);
  gc_root_truncate(h, 0);
  assert_int_equal(gc_collect(h, GC_FULL), 1);
  assert_int_equal(stats(h)->finalizers_run, 1);
  assert_int_equal(stats(h)->live_objects, 0);
  gc_heap_free(h);
}

/* A finalizer run by a young-generation collection (gc_collect(h, 0)):
 * the young garbage ring is finalized and freed there. */
static void test_partial_collection(void **state) {
  fin_ctx c;
  gc_heap *h = fin_heap(state, "auto=0", &c, FIN_NOTHING);
  long r;
  ring(h, 6, 6, &r);
  gc_root_set(h, (size_t)r, NULL);
  assert_int_equal(gc_collect(h, 0), 6);
  assert_int_equal(stats(h)->finalizers_run, 6);
  assert_int_equal(stats(h)->live_objects, 0);
  oracle(h, COMPLETE);

  /* A ring promoted first, then resurrecting from a young collection's
   * view: only a full collection may reach it; either way once. */
  c.mode = FIN_RESURRECT;
  ring(h, 3, 1, &r);
  gc_collect(h, 0);
  gc_collect(h, 1);
  gc_root_set(h, (size_t)r, NULL);
  gc_collect(h, 0);
  gc_collect(h, GC_FULL);
  assert_int_equal(stats(h)->finalizers_run, 7);
  assert_int_equal(stats(h)->resurrected, 3);
  assert_int_equal(stats(h)->live_objects, 3);
  oracle(h, COMPLETE);
  gc_heap_free(h);
}

/* Finalizers that allocate: into the dying object (freed with it), into
 * the root table (kept), many objects with automatic collection due (the
 * collection must wait: no collection runs inside another). */
static void test_allocates(void **state) {
  fin_ctx c;
  gc_heap *h = fin_heap(state, "auto=0", &c, FIN_ALLOC_STORE);
  long r;
  ring(h, 3, 3, &r);
  gc_root_set(h, (size_t)r, NULL);
  gc_collect(h, GC_FULL);
  assert_int_equal(c.calls, 3);
  assert_int_equal(c.allocated, 3);
  assert_int_equal(stats(h)->resurrected, 0);
  assert_int_equal(stats(h)->objects_allocated, 6);
  assert_int_equal(stats(h)->live_objects, 0);
  oracle(h, COMPLETE);

  c.mode = FIN_ALLOC_ROOT;
  ring(h, 3, 2, &r);
  gc_root_set(h, (size_t)r, NULL);
  gc_collect(h, GC_FULL);
  assert_int_equal(c.calls, 5);
  assert_int_equal(stats(h)->live_objects, 2); /* the two new roots */
  assert_int_equal(gc_root_get(h, gc_root_count(h) - 1)->refcnt, 2);
  oracle(h, COMPLETE);
  gc_heap_free(h);

  /* Automatic collection due at every allocation. */
  char tun[128];
  const char *forms[] = {"auto=1,threshold0=1", "auto=1,threshold=1",
                         "auto=1"};
  gc_heap *probe = NULL;
  for (size_t i = 0; i < 3 && !probe; i++) {
    probe = gc_heap_new(*state, forms[i], NULL, 0);
    if (probe) snprintf(tun, sizeof tun, "%s", forms[i]);
  }
  assert_non_null(probe);
  gc_heap_free(probe);
  h = fin_heap(state, tun, &c, FIN_ALLOC_MANY);
  ring(h, 4, 4, &r);
  gc_root_set(h, (size_t)r, NULL);
  gc_collect(h, GC_FULL);
  assert_int_equal(c.calls, 4);
  assert_int_equal(c.allocated, 400);
  gc_collect(h, GC_FULL);
  assert_int_equal(stats(h)->live_objects, 0);
  assert_int_equal(stats(h)->finalizers_run, 4);
  oracle(h, COMPLETE);
  /* The same from the count-reaches-zero path, where an automatic
   * collection is due too. */
  gc_object *o = gc_new(h, 2, 1);
  gc_object_add_finalizer(h, o);
  gc_decref(h, o);
  assert_int_equal(c.calls, 5);
  gc_collect(h, GC_FULL);
  assert_int_equal(stats(h)->live_objects, 0);
  oracle(h, COMPLETE);
  gc_heap_free(h);
}

/* ======================================================================
 * legacy_finalizers=1
 * ==================================================================== */

static void test_legacy(void **state) {
  fin_ctx c;
  gc_heap *h = fin_heap(state, "auto=0,legacy_finalizers=1", &c, FIN_NOTHING);
  assert_int_equal(gc_heap_legacy_finalizers(h), 1);
  /* A <-> B, A with a finalizer, B -> X; and C <-> D without. */
  long ra, rc;
  gc_object *a = ring(h, 2, 1, &ra);
  gc_object *b = gc_slot_get(a, 0);
  gc_object *x = gc_new(h, 0, 1);
  gc_slot_steal(h, b, 1, x);
  ring(h, 2, 0, &rc);
  gc_root_truncate(h, 0);
  assert_int_equal(stats(h)->live_objects, 5);

  assert_int_equal(gc_collect(h, GC_FULL), 2); /* C and D */
  assert_int_equal(c.calls, 0);
  assert_int_equal(stats(h)->finalizers_run, 0);
  assert_int_equal(stats(h)->uncollectable, 3); /* A, B, X */
  assert_int_equal(stats(h)->live_objects, 3);
  assert_int_equal(gc_garbage_count(h), 1);
  assert_ptr_equal(gc_garbage_get(h, 0), a);
  assert_null(gc_garbage_get(h, 1));
  assert_false(gc_has_flag(a, GC_F_FINALIZED));
  assert_int_equal(a->refcnt, 2); /* B, gc.garbage */
  assert_int_equal(b->refcnt, 1);
  assert_int_equal(x->refcnt, 1);
  oracle(h, COMPLETE); /* gc.garbage is a root */

  /* Held by gc.garbage now: later collections leave it as it is. */
  gc_collect(h, GC_FULL);
  assert_int_equal(gc_garbage_count(h), 1);
  assert_int_equal(stats(h)->uncollectable, 3);
  assert_int_equal(stats(h)->live_objects, 3);

  /* del gc.garbage[:]: the cycle is unreachable again, and (as in Python
   * before 3.4, and as gc.h states: a collection never runs finalizers)
   * the next collection puts A back. */
  gc_garbage_clear(h);
  assert_int_equal(gc_garbage_count(h), 0);
  assert_int_equal(a->refcnt, 1);
  gc_collect(h, GC_FULL);
  assert_int_equal(stats(h)->finalizers_run, 0);
  assert_int_equal(gc_garbage_count(h), 1);
  assert_int_equal(stats(h)->uncollectable, 6);
  assert_int_equal(stats(h)->live_objects, 3);
  oracle(h, COMPLETE);

  /* The program breaks the cycle by hand and clears gc.garbage: reference
   * counting frees all three, running A's finalizer on the way (the zero
   * path is not a collection). */
  gc_slot_set(h, a, 0, NULL);
  gc_garbage_clear(h);
  assert_int_equal(stats(h)->live_objects, 0);
  assert_int_equal(stats(h)->finalizers_run, 1);
  assert_int_equal(c.calls, 1);
  gc_collect(h, GC_FULL);
  oracle(h, COMPLETE);
  gc_heap_free(h);
}

/* Legacy mode: a cycle without a finalizer reachable from one with is
 * kept; one beside it is freed; freeing the heap with gc.garbage full
 * leaks nothing (LeakSanitizer). */
static void test_legacy_mixed(void **state) {
  fin_ctx c;
  gc_heap *h = fin_heap(state, "auto=0,legacy_finalizers=1", &c, FIN_NOTHING);
  long r1, r2, r3;
  gc_object *f = ring(h, 3, 1, &r1);  /* with finalizer */
  gc_object *g = ring(h, 4, 0, &r2);  /* held by f's ring */
  ring(h, 5, 0, &r3);                 /* unrelated garbage */
  gc_slot_set(h, gc_slot_get(f, 0), 1, g);
  gc_root_truncate(h, 0);
  assert_int_equal(gc_collect(h, GC_FULL), 5);
  assert_int_equal(stats(h)->uncollectable, 7);
  assert_int_equal(stats(h)->live_objects, 7);
  assert_int_equal(gc_garbage_count(h), 1);
  assert_int_equal(stats(h)->finalizers_run, 0);
  assert_int_equal(g->refcnt, 2);
  oracle(h, COMPLETE);
  gc_heap_free(h);
}

/* ======================================================================
 * The test table: every case for every collector but `none`
 * ==================================================================== */

typedef struct fin_case {
  const char *name;
  CMUnitTestFunction fn;
} fin_case;

static const fin_case cases[] = {
    {"runs_once", test_runs_once},
    {"drops_reference", test_drops_reference},
    {"creates_cycle", test_creates_cycle},
    {"resurrects_ring", test_resurrects_ring},
    {"resurrects_at_zero", test_resurrects_at_zero},
    {"partial_collection", test_partial_collection},
    {"allocates", test_allocates},
    {"hangs_on_new_object", test_hangs_on_new_object},
    {"legacy", test_legacy},
    {"legacy_mixed", test_legacy_mixed},
};

int main(void) {
  const size_t ncases = sizeof cases / sizeof cases[0];
  const size_t ncol = gc_collector_count();
  struct CMUnitTest *tests = calloc(ncases * ncol, sizeof *tests);
  char **names = calloc(ncases * ncol, sizeof *names);
  if (!tests || !names) return 1;
  size_t n = 0;
  for (size_t c = 0; c < ncol; c++) {
    if (strcmp(gc_collector_name(c), "none") == 0) continue; /* no cycles */
    for (size_t k = 0; k < ncases; k++) {
      size_t len = strlen(cases[k].name) + strlen(gc_collector_name(c)) + 2;
      names[n] = malloc(len);
      if (!names[n]) return 1;
      snprintf(names[n], len, "%s/%s", cases[k].name, gc_collector_name(c));
      tests[n].name = names[n];
      tests[n].test_func = cases[k].fn;
      tests[n].initial_state = (void *)gc_collector_name(c);
      n++;
    }
  }
  int rc = _cmocka_run_group_tests("finalizers", tests, n, NULL, NULL);
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
  free(tests);
  return rc;
}
