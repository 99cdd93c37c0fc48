/*
 * growth.c -- the shape of the mypy report (python/mypy#21403: mypy's
 * memory doubled under CPython 3.14's incremental collector and CI jobs
 * were killed for running out of memory; with python/cpython gh-142002 it
 * led to restoring 3.13's generational collector in 3.14.5, gh-148726): a
 * program whose live heap keeps growing for the whole run -- a compiler
 * building its symbol tables and types -- while it makes and drops cyclic
 * temporaries (visitor state, inference scratch with back references).
 * An incremental collector paces its old-generation work by the heap's
 * size; a heap that only grows keeps that work ahead of it, and the
 * temporaries that die after being promoted wait for a scan that keeps
 * getting longer.
 *
 * The tables: blocks of 63 entries chained newest first from one root
 * (slot 0 of a block is the previous block); each entry refers to its
 * block (a back reference, as a symbol to its table) and to a random
 * earlier entry (a type to another).  A `keep` fraction of all
 * allocations join the tables and stay live to the end.  The rest are
 * temporaries in groups of `size`, each member referring to a random
 * entry; a `cyclic` fraction of the groups close into a cycle.  The last
 * `window` groups are still held by the mutator.
 *
 * Answer: the tables are live; cyclic groups are garbage only a cycle
 * collector frees, the other groups are freed by reference counting.
 * Every dropped cycle is noted (gc_note_garbage), so the
 * unreclaimed-garbage count is exact.  Sizes of interest: n = 10^5..10^7.
 */
#include <stdio.h>
#include <stdlib.h>

#include "rng.h"
#include "workload.h"

enum { BLOCK = 64 }; /* slots per block: the previous block + 63 entries */

static const gc_param_def growth_params[] = {
    {"n", GC_P_INT, "1000000", 0, 1e12, "objects allocated in all"},
    {"keep", GC_P_REAL, "0.25", 0, 1,
     "fraction of the allocations that join the growing tables"},
    {"size", GC_P_INT, "8", 1, 1e6, "objects per temporary group"},
    {"cyclic", GC_P_REAL, "0.5",
     0, 1, "fraction of temporary groups that are cycles"},
    {"window", GC_P_INT, "16", 1, 1e7,
     "temporary groups the mutator still holds at any time"},
    {"payload", GC_P_INT, "16", 0, GC_MAX_PAYLOAD, "payload bytes per object"},
};

typedef struct growth {
  gc_heap *h;
  wl_rng r;
  uint32_t payload;
  size_t head;        /* root entry holding the newest block */
  gc_object **blocks; /* borrowed, oldest first */
  uint64_t nblocks, cap, fill; /* entries in the newest block */
  uint64_t table;     /* objects in the tables (blocks + entries) */
} growth;

/* A random entry already in the tables, or NULL. */
static gc_object *random_entry(growth *g) {
  if (!g->nblocks || (g->nblocks == 1 && !g->fill)) return NULL;
  uint64_t b = wl_rng_below(&g->r, g->nblocks);
  if (b == g->nblocks - 1 && !g->fill) b--;
  uint64_t k = wl_rng_below(&g->r, b == g->nblocks - 1 ? g->fill : BLOCK - 1);
  return gc_slot_get(g->blocks[b], 1 + (uint32_t)k);
}

/* One more entry (and a new block when the newest is full). */
static int add_entry(growth *g) {
  if (!g->nblocks || g->fill == BLOCK - 1) {
    if (g->nblocks == g->cap) {
      uint64_t cap = g->cap ? g->cap * 2 : 64;
      gc_object **b = realloc(g->blocks, cap * sizeof *b);
      if (!b) return WL_ENOMEM;
      g->blocks = b;
      g->cap = cap;
    }
    gc_object *b = gc_new(g->h, BLOCK, g->payload);
    if (!b) return WL_ENOMEM;
    gc_slot_set(g->h, b, 0, gc_root_get(g->h, g->head));
    gc_root_set_steal(g->h, g->head, b);
    g->blocks[g->nblocks++] = b;
    g->fill = 0;
    g->table++;
  }
  gc_object *block = g->blocks[g->nblocks - 1];
  gc_object *e = gc_new(g->h, 2, g->payload);
  if (!e) return WL_ENOMEM;
  gc_slot_steal(g->h, block, 1 + (uint32_t)g->fill++, e); /* e empty yet */
  gc_slot_set(g->h, e, 0, block);
  gc_slot_set(g->h, e, 1, random_entry(g));
  g->table++;
  return WL_OK;
}

/* A temporary group of len, built in the window's build entry. */
static int make_group(growth *g, wl_window *win, uint64_t len, int cyc) {
  gc_object *first = NULL, *tail = NULL;
  for (uint64_t i = 0; i < len; i++) {
    gc_object *o = gc_new(g->h, 2, g->payload);
    if (!o) return WL_ENOMEM;
    if (!first) {
      first = o;
      gc_root_set_steal(g->h, wl_window_build(win), o);
    } else {
      gc_slot_steal(g->h, tail, 0, o); /* o's slots NULL yet: no report */
    }
    gc_slot_set(g->h, o, 1, random_entry(g));
    tail = o;
  }
  if (cyc) gc_slot_set(g->h, tail, 0, first);
  return WL_OK;
}

static int growth_run(gc_heap *h, const gc_param_set *p, uint64_t seed,
                      wl_answer *ans, char *err, size_t errlen) {
  uint64_t n = (uint64_t)gc_params_int(p, "n");
  double keep = gc_params_num(p, "keep");
  uint64_t size = (uint64_t)gc_params_int(p, "size");
  double cyclic = gc_params_num(p, "cyclic");
  uint64_t window = (uint64_t)gc_params_int(p, "window");
  growth g = {.h = h, .payload = (uint32_t)gc_params_int(p, "payload")};
  wl_rng_seed(&g.r, seed);
  *ans = (wl_answer){0};
  /* the tables (keep x n: a block of 64 slots per 63 entries of 2, and
   * the block array, doubled as it grows), the window's groups; every
   * cyclic group when no collection runs */
  double dn = (double)n, e2 = (double)gc_heap_object_cost(h, 2, g.payload);
  double table = keep * dn;
  double need = table / BLOCK * (double)gc_heap_object_cost(h, BLOCK, g.payload) +
                table * (BLOCK - 1) / BLOCK * e2 +
                (double)window * (double)size * e2;
  if (wl_keeps_garbage(h)) need += (1 - keep) * dn * cyclic * 0.95 * e2;
  int rc0 = wl_memory_check_n(h, "growth", need,
                              table / BLOCK * 2 * sizeof(gc_object *), dn, "n",
                              err, errlen);
  if (rc0 != WL_OK) return rc0;
  wl_window win = {0};
  int rc = WL_OK;
  long head = gc_root_push(h, NULL);
  if (head < 0) return WL_ENOMEM;
  g.head = (size_t)head;
  rc = wl_window_init(&win, h, window);
  uint64_t allocated = 0, cyc_objs = 0, chain_objs = 0;
  while (rc == WL_OK && allocated < n) {
    /* the tables first, up to their share of what is allocated so far */
    while (rc == WL_OK && allocated < n &&
           (double)g.table < keep * (double)(allocated + 1)) {
      uint64_t before = g.table;
      rc = add_entry(&g);
      allocated += g.table - before;
    }
    if (rc != WL_OK || allocated >= n) break;
    uint64_t len = n - allocated < size ? n - allocated : size;
    int cyc = wl_rng_unit(&g.r) < cyclic;
    rc = make_group(&g, &win, len, cyc);
    if (rc != WL_OK) break;
    allocated += len;
    if (cyc)
      cyc_objs += len;
    else
      chain_objs += len;
    wl_window_push(&win, cyc ? len : 0,
                   cyc ? len * wl_object_bytes(h, 2, g.payload) : 0);
  }
  wl_window_drain(&win);
  free(g.blocks);
  if (rc != WL_OK) return rc;
  ans->allocated = allocated;
  ans->live = g.table;
  ans->cyclic = cyc_objs;
  ans->freed_by_rc = chain_objs;
  return WL_OK;
}

const workload wl_growth = {
    .name = "growth",
    .summary = "a live heap growing all run beside cyclic temporaries "
               "(the mypy report on CPython 3.14)",
    .params = growth_params,
    .nparams = sizeof growth_params / sizeof growth_params[0],
    .run = growth_run,
    .notes_garbage = 1,
};
