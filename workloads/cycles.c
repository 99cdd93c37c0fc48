/*
 * cycles.c -- the shape of CPython's own report on the incremental
 * collector's memory (python/cpython gh-142002, and the script attached to
 * gh-142001 that counts the garbage cycles not yet collected): a loop keeps
 * making small reference cycles and dropping them, while a large live heap
 * sits still.  In that report CPython 3.13's generational collector left
 * fewer than 100 garbage objects outstanding at worst, 3.14.0's incremental
 * one about 2,000, and 3.14 after gh-140262 (the fix for gh-139951) about
 * 10,000; test_gc's test_bug1055820d, which waits for one cycle to be
 * collected, failed after a long run of other tests left a large heap.
 *
 * The live heap: `live` objects in a tree of fan-out 8, each node also
 * referring back to its parent (modules, classes and their dicts refer to
 * each other, so the whole heap is one strongly connected component, as a
 * real interpreter's mostly is), held by one root.  Then n objects in
 * cycles of `size` (1: an object referring to itself), each member also
 * referring to a random live node (an instance to its class).  The last
 * `window` cycles are still held by the mutator (its frames), so a young
 * collection finds some of them alive and promotes them: those die old,
 * and how soon an old-generation garbage cycle is reached is exactly where
 * generational and incremental collectors differ.
 *
 * Answer: the live heap stays live; every cycle is garbage only a cycle
 * collector frees.  Every dropped cycle is noted (gc_note_garbage), so the
 * unreclaimed-garbage count is exact.
 */
#include <stdio.h>
#include <stdlib.h>

#include "rng.h"
#include "workload.h"

enum { FANOUT = 8 };

static const gc_param_def cycles_params[] = {
    {"n", GC_P_INT, "1000000", 0, 1e12, "objects allocated in cycles"},
    {"live", GC_P_INT, "100000", 0, 4e9,
     "objects in the still live heap (a tree with parent pointers)"},
    {"size", GC_P_INT, "2", 1, 1e6, "objects per cycle (1: self-reference)"},
    {"window", GC_P_INT, "16", 1, 1e7,
     "cycles the mutator still holds at any time"},
    {"payload", GC_P_INT, "16", 0, GC_MAX_PAYLOAD, "payload bytes per object"},
};

/* The live tree, breadth first: node i's parent is (i - 1) / FANOUT, and it
 * sits in the parent's slot 1 + (i - 1) % FANOUT; slot 0 is the parent.
 * nodes[] keeps borrowed pointers for the cycles' edges. */
static int build_live(gc_heap *h, gc_object **nodes, uint64_t nlive,
                      uint32_t payload) {
  for (uint64_t i = 0; i < nlive; i++) {
    gc_object *o = gc_new(h, 1 + FANOUT, payload);
    if (!o) return WL_ENOMEM;
    nodes[i] = o;
    if (i == 0) {
      if (gc_root_push_steal(h, o) < 0) {
        gc_decref(h, o);
        return WL_ENOMEM;
      }
      continue;
    }
    gc_object *parent = nodes[(i - 1) / FANOUT];
    gc_slot_steal(h, parent, 1 + (uint32_t)((i - 1) % FANOUT), o);
    gc_slot_set(h, o, 0, parent); /* after: o is empty at the steal */
  }
  return WL_OK;
}

/* One cycle of len objects, built in the window's build entry.  WL_OK or
 * WL_ENOMEM (the partial cycle is an open chain: the window frees it). */
static int make_cycle(gc_heap *h, wl_window *win, uint64_t len,
                      uint32_t payload, gc_object **nodes, uint64_t nlive,
                      wl_rng *r) {
  gc_object *first = NULL, *tail = NULL;
  for (uint64_t i = 0; i < len; i++) {
    gc_object *o = gc_new(h, 2, payload);
    if (!o) return WL_ENOMEM;
    if (!first) {
      first = o;
      gc_root_set_steal(h, wl_window_build(win), o);
    } else {
      gc_slot_steal(h, tail, 0, o); /* o's slots NULL yet: no report */
    }
    if (nlive) gc_slot_set(h, o, 1, nodes[wl_rng_below(r, nlive)]);
    tail = o;
  }
  gc_slot_set(h, tail, 0, first);
  return WL_OK;
}

static int cycles_run(gc_heap *h, const gc_param_set *p, uint64_t seed,
                      wl_answer *ans, char *err, size_t errlen) {
  uint64_t n = (uint64_t)gc_params_int(p, "n");
  uint64_t nlive = (uint64_t)gc_params_int(p, "live");
  uint64_t size = (uint64_t)gc_params_int(p, "size");
  uint64_t window = (uint64_t)gc_params_int(p, "window");
  uint32_t payload = (uint32_t)gc_params_int(p, "payload");
  *ans = (wl_answer){0};
  /* the live tree and its node array, the window's cycles; every cycle
   * when no collection runs */
  double cyc = wl_keeps_garbage(h) ? (double)n : (double)window * (double)size;
  double need =
      (double)nlive * (double)gc_heap_object_cost(h, 1 + FANOUT, payload) +
      cyc * (double)gc_heap_object_cost(h, 2, payload);
  int rc0 = wl_memory_check(h, "cycles", need, (double)nlive * 8,
                            "lower live (and n)", err, errlen);
  if (rc0 != WL_OK) return rc0;
  wl_rng r;
  wl_rng_seed(&r, seed);
  gc_object **nodes = malloc((nlive + 1) * sizeof *nodes);
  wl_window win = {0};
  int rc = nodes ? build_live(h, nodes, nlive, payload) : WL_ENOMEM;
  if (rc == WL_OK) rc = wl_window_init(&win, h, window);
  uint64_t done = 0;
  while (rc == WL_OK && done < n) {
    uint64_t len = n - done < size ? n - done : size;
    rc = make_cycle(h, &win, len, payload, nodes, nlive, &r);
    if (rc != WL_OK) break;
    done += len;
    wl_window_push(&win, len, len * wl_object_bytes(h, 2, payload));
  }
  wl_window_drain(&win);
  free(nodes);
  if (rc != WL_OK) return rc;
  ans->allocated = nlive + n;
  ans->live = nlive;
  ans->cyclic = n;
  return WL_OK;
}

const workload wl_cycles = {
    .name = "cycles",
    .summary = "small cycles made and dropped beside a still live heap "
               "(CPython gh-142002: garbage outstanding)",
    .params = cycles_params,
    .nparams = sizeof cycles_params / sizeof cycles_params[0],
    .run = cycles_run,
    .notes_garbage = 1,
};
