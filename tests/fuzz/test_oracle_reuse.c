/*
 * test_oracle_reuse.c -- the oracle's safety check across a collection in
 * which finalizers ran (gc_oracle_before / gc_oracle_after) must catch a
 * reachable object freed by mistake even when a finalizer's new object
 * then takes its address, without help from AddressSanitizer.
 *
 * A test hook stands in for a broken collector: the finalizer of a garbage
 * cycle frees X, which a root still reaches through R's slot, the way a
 * collector that released a reachable object during its collection would
 * (count forced to 1, then a decrement), then allocates N of X's size,
 * which the allocator hands X's memory (a freed block of the same size
 * class is reused last-in first-out by jemalloc's thread cache, glibc's
 * tcache, and ASan's allocator with its quarantines off), and keeps N in
 * the root table.  R's slot now points at a live object: only N's count
 * (one reference) against the references it receives (two) shows the
 * reference that outlived X.  The control does the same legitimately
 * (the finalizer clears R's slot, then stores N into it) and must pass.
 *
 * Reuse is checked, not assumed: if the allocator did not hand X's address
 * to N, the test fails and says so.  Every registered collector that runs
 * collections (all but `none`), with jemalloc and with the system
 * allocator; a heap-walking collector's heap is mimalloc's whatever is
 * asked, and mimalloc does not reuse a block at once: those cases are
 * skipped, said so on the output.
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

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#endif
#ifdef UNDER_ASAN
/* The quarantines (global and per thread) would keep X's memory from N;
 * reuse is what is tested. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) {
  return "quarantine_size_mb=0:thread_local_quarantine_size_kb=0";
}
#endif

typedef struct scene {
  int broken;   /* 1: free X behind R's back; 0: clear R's slot first */
  gc_object *r; /* the root that reaches X through slot 0 */
  gc_object *x; /* X's address, kept to compare */
  gc_object *n; /* the finalizer's new object */
  int ran;      /* finalizer calls */
  gc_oracle_snapshot *snap;
  int after_rc; /* what gc_oracle_after said */
  char err[512];
} scene;

static void finalizer(gc_heap *h, gc_object *o, void *arg) {
  (void)o;
  scene *s = arg;
  s->ran++;
  if (s->broken) {
    s->x->refcnt = 1; /* R's reference forgotten, as by a broken collector */
    gc_decref(h, s->x);
  } else {
    gc_slot_set(h, s->r, 0, NULL); /* the last reference to X, dropped */
  }
  s->n = gc_new(h, 0, 8);
  assert_non_null(s->n);
  if (!s->broken) gc_slot_set(h, s->r, 0, s->n);
  assert_true(gc_root_push_steal(h, s->n) >= 0);
}

static void hook(gc_heap *h, int phase, int gen, void *arg) {
  (void)gen;
  scene *s = arg;
  if (phase == 0) {
    s->snap = gc_oracle_before(h);
  } else {
    s->after_rc = gc_oracle_after(h, s->snap, s->err, sizeof s->err);
    s->snap = NULL;
  }
}

/* Build R -> X (both held: R by the root table, X by R only) and a garbage
 * self-cycle G with a finalizer, then collect everything once. */
static void run_scene(const char *collector, scene *s) {
  char err[256];
  gc_heap *h = gc_heap_new(collector, "auto=0", err, sizeof err);
  if (!h) fail_msg("gc_heap_new(%s): %s", collector, err);
  gc_set_finalizer(h, finalizer, s);
  gc_set_collect_hook(h, hook, s);
  s->r = gc_new(h, 1, 8);
  assert_true(gc_root_push_steal(h, s->r) >= 0);
  s->x = gc_new(h, 0, 8);
  gc_slot_steal(h, s->r, 0, s->x);
  gc_object *g = gc_new(h, 1, 8);
  gc_object_add_finalizer(h, g);
  gc_slot_set(h, g, 0, g);
  gc_decref(h, g);
  gc_collect(h, GC_FULL);
  assert_int_equal(s->ran, 1);
  if (s->n != s->x && !strcmp(gc_heap_allocator(h), "mimalloc")) {
    /* mimalloc puts a freed block on its page's local free list and hands
     * it out again only once the page's free list is empty: the reuse
     * this test stages cannot happen on a heap-walking collector's heap */
    print_message("%s: mimalloc did not reuse the freed block at once; "
                  "skipped\n", collector);
    gc_heap_free(h);
    skip();
  }
  if (s->n != s->x)
    fail_msg(
        "%s: the finalizer's new object is at %p, not at the freed "
        "object's address %p: the allocator did not reuse it, so this "
        "test cannot check what it is for (GCBENCH_MALLOC=%s)",
        collector, (void *)s->n, (void *)s->x,
        getenv("GCBENCH_MALLOC") ? getenv("GCBENCH_MALLOC") : "");
  gc_heap_free(h);
}

static void check(void **state, int broken) {
  const char *allocators[] = {NULL, "system"};
  for (size_t a = 0; a < 2; a++) {
    if (allocators[a])
      setenv("GCBENCH_MALLOC", allocators[a], 1);
    else
      unsetenv("GCBENCH_MALLOC");
    scene s;
    memset(&s, 0, sizeof s);
    s.broken = broken;
    run_scene(*state, &s);
    if (broken && s.after_rc == 0)
      fail_msg(
          "%s (%s): the oracle passed a collection that freed a "
          "reachable object whose address a new object then took",
          (const char *)*state, allocators[a] ? "system" : "jemalloc");
    if (broken && !strstr(s.err, "outlived"))
      fail_msg(
          "%s: caught, but not as a reference that outlived its "
          "target: %s",
          (const char *)*state, s.err);
    if (!broken && s.after_rc != 0)
      fail_msg("%s (%s): the oracle refused a legitimate replacement: %s",
               (const char *)*state, allocators[a] ? "system" : "jemalloc",
               s.err);
  }
  unsetenv("GCBENCH_MALLOC");
}

static void test_wrong_free_reused(void **state) { check(state, 1); }
static void test_legitimate_replacement(void **state) { check(state, 0); }

#define FOR_COLLECTOR(name)                                          \
  cmocka_unit_test_prestate(test_wrong_free_reused, (void *)(name)), \
      cmocka_unit_test_prestate(test_legitimate_replacement, (void *)(name))

int main(void) {
  /* every registered collector but `none` (which runs no collection) */
  struct CMUnitTest tests[64];
  size_t n = 0;
  for (size_t i = 0; i < gc_collector_count() && n + 2 <= 64; i++) {
    const char *name = gc_collector_name(i);
    if (!strcmp(name, "none")) continue;
    static char names[64][96];
    struct CMUnitTest pair[] = {FOR_COLLECTOR(name)};
    for (int k = 0; k < 2; k++) {
      snprintf(names[n], sizeof names[n], "%s: %s", name, pair[k].name);
      pair[k].name = names[n];
      tests[n++] = pair[k];
    }
  }
  return _cmocka_run_group_tests("test_oracle_reuse", tests, n, NULL, NULL);
}
