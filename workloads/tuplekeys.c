/*
 * tuplekeys.c -- CPython gh-139951's program: a dict filled in a loop
 * with tuple keys, the ten lines that ran in 0.88 s on 3.13 and over 2 s
 * on 3.14.0:
 *
 *     d = {}
 *     for i in range(side):
 *         d[(i, i)] = d[(i, 0)] = d[(0, i)] = 0
 *     for i in range(1, side):
 *         for j in range(1, side):
 *             d[(i, j)] = i + j + d[(i-1, j)] + d[(i, j-1)] + d[(i-1, j-1)]
 *
 * (side = 1000 in the report: a dict of side^2 = 10^6 entries.)  3.14.0
 * counted the tuples as trackable objects whether or not a collection had
 * untracked them, so the growing heap of untrackable tuples kept the
 * collector busy; gh-140262 counts tracked objects and creates most such
 * tuples untracked.
 *
 * The model, object for object:
 *  - the ints 0..side-1 (range's ints, shared by every key that names
 *    them): atoms, created untracked (GC_NEW_UNTRACKED), held by one
 *    untracked holder;
 *  - each key: a fresh 2-tuple (GC_NEW_TUPLE) of two of those atoms; a
 *    key already in the dict (the first loop's (0, 0) twice, the second
 *    loop's (i, i)) keeps its first tuple and the new one is freed;
 *  - each of the three lookups of the second loop builds a tuple that dies
 *    at once (freed by reference counting);
 *  - each value of the second loop: a fresh atom (the sums are big ints);
 *    the first loop's values are the shared 0;
 *  - the dict: a GC_NEW_DICT object whose table grows by doubling
 *    (table.h: blocks of 16 x 2^k slots, a key and a value per entry, in
 *    insertion order, never copied).
 *
 * n is the number of entries, rounded down to a square (side = floor of
 * its square root).  Answer: with keep=1 the dict and what it holds stay
 * live (side^2 keys, (side - 1)^2 values, side ints, the holder, the dict
 * and its blocks); the lookups' tuples and the duplicate keys are freed by
 * reference counting; nothing is cyclic.  keep=0 drops the dict and the
 * ints at the end: reference counting frees everything.
 */
#include <stdio.h>

#include "table.h"
#include "workload.h"

enum { ENTRY_BASE = 8 }; /* entries in block 0: 16 slots */

static const gc_param_def tuplekeys_params[] = {
    {"n", GC_P_INT, "1000000", 1, 1e10,
     "dict entries (rounded down to a square: side = floor(sqrt(n)))"},
    {"keep", GC_P_INT, "1", 0, 1,
     "1: the dict is still held at the end (the report's program); 0: dropped"},
    {"payload", GC_P_INT, "8", 0, GC_MAX_PAYLOAD,
     "payload bytes of an int atom"},
};

typedef struct tk {
  gc_heap *h;
  gc_object *ints; /* borrowed: the untracked holder of the ints */
  wl_table dict;
  uint32_t payload;
  uint64_t tuples, values, freed;
} tk;

/* A fresh tuple (a, b) of the ints, owned by the caller; NULL if out of
 * memory. */
static gc_object *new_key(tk *t, uint64_t a, uint64_t b) {
  gc_object *k = gc_new_ex(t->h, 2, 0, GC_NEW_TUPLE);
  if (!k) return NULL;
  t->tuples++;
  gc_slot_set(t->h, k, 0, gc_slot_get(t->ints, (uint32_t)a));
  gc_slot_set(t->h, k, 1, gc_slot_get(t->ints, (uint32_t)b));
  return k;
}

/* d[(a, b)] = v (v stolen; NULL: the shared 0) at entry index pos, or a
 * new entry when pos is the next index. */
static int assign(tk *t, uint64_t a, uint64_t b, gc_object *v, uint64_t pos) {
  gc_object *k = new_key(t, a, b);
  if (!k) {
    gc_decref(t->h, v);
    return WL_ENOMEM;
  }
  if (!v) {
    v = gc_slot_get(t->ints, 0);
    gc_incref(v);
  }
  if (pos < t->dict.used / 2) { /* the key is there: keep its tuple */
    uint32_t s;
    gc_object *blk = wl_table_block(&t->dict, 2 * pos + 1, &s);
    gc_slot_steal(t->h, blk, s, v);
    gc_decref(t->h, k);
    t->freed++;
    return WL_OK;
  }
  int rc = wl_table_append_steal(t->h, &t->dict, k);
  if (rc == WL_OK) return wl_table_append_steal(t->h, &t->dict, v);
  gc_decref(t->h, v);
  return rc;
}

/* The lookup d[(a, b)]: a tuple built and dropped. */
static int lookup(tk *t, uint64_t a, uint64_t b) {
  gc_object *k = new_key(t, a, b);
  if (!k) return WL_ENOMEM;
  gc_decref(t->h, k);
  t->freed++;
  return WL_OK;
}

static int tuplekeys_run(gc_heap *h, const gc_param_set *p, uint64_t seed,
                         wl_answer *ans, char *err, size_t errlen) {
  (void)seed; /* the program has no randomness */
  uint64_t n = (uint64_t)gc_params_int(p, "n");
  int keep = (int)gc_params_int(p, "keep");
  uint64_t side = 1; /* floor(sqrt(n)), n <= 1e10 */
  while ((side + 1) * (side + 1) <= n) side++;
  tk t = {.h = h, .payload = (uint32_t)gc_params_int(p, "payload")};
  *ans = (wl_answer){0};
  uint64_t entries = side * side;
  uint64_t inner = (side - 1) * (side - 1);
  double need = (double)entries * (double)gc_heap_object_cost(h, 2, 0) +
                (double)(inner + side) *
                    (double)gc_heap_object_cost(h, 0, t.payload) +
                (double)entries * 2 * sizeof(gc_object *) * 1.5;
  int rc = wl_memory_check_n(h, "tuplekeys", need, 0, (double)n, "n", err,
                             errlen);
  if (rc != WL_OK) return rc;

  /* the ints and their holder, then the dict, each held by a root */
  gc_object *holder =
      gc_new_ex(h, (uint32_t)side, 0, GC_NEW_UNTRACKED);
  if (!holder || gc_root_push_steal(h, holder) < 0) {
    gc_decref(h, holder);
    return WL_ENOMEM;
  }
  t.ints = holder;
  for (uint64_t i = 0; i < side; i++) {
    gc_object *a = gc_new_ex(h, 0, t.payload, GC_NEW_UNTRACKED);
    if (!a) return WL_ENOMEM;
    gc_slot_steal(h, holder, (uint32_t)i, a);
  }
  gc_object *d = gc_new_ex(h, WL_TABLE_BLOCKS, 0, GC_NEW_DICT);
  if (!d || gc_root_push_steal(h, d) < 0) {
    gc_decref(h, d);
    return WL_ENOMEM;
  }
  t.dict = (wl_table){.owner = d, .base = 2 * ENTRY_BASE};

  /* d[(i, i)] = d[(i, 0)] = d[(0, i)] = 0: entry 0 is (0, 0), then
   * (i, i), (i, 0), (0, i) at 1 + 3 (i - 1) .. 3 + 3 (i - 1) */
  for (uint64_t i = 0; i < side && rc == WL_OK; i++) {
    uint64_t next = t.dict.used / 2;
    rc = assign(&t, i, i, NULL, next);
    if (rc == WL_OK) rc = assign(&t, i, 0, NULL, i ? next + 1 : 0);
    if (rc == WL_OK) rc = assign(&t, 0, i, NULL, i ? next + 2 : 0);
  }
  for (uint64_t i = 1; i < side && rc == WL_OK; i++)
    for (uint64_t j = 1; j < side && rc == WL_OK; j++) {
      rc = lookup(&t, i - 1, j);
      if (rc == WL_OK) rc = lookup(&t, i, j - 1);
      if (rc == WL_OK) rc = lookup(&t, i - 1, j - 1);
      if (rc != WL_OK) break;
      gc_object *v = gc_new_ex(h, 0, t.payload, GC_NEW_UNTRACKED);
      if (!v) {
        rc = WL_ENOMEM;
        break;
      }
      t.values++;
      rc = assign(&t, i, j, v, i == j ? 1 + 3 * (i - 1) : t.dict.used / 2);
    }
  if (rc != WL_OK) return rc;

  uint64_t blocks = t.dict.nblocks;
  ans->allocated = 1 + side + 1 + blocks + t.tuples + t.values;
  ans->freed_by_rc = t.freed;
  ans->live = ans->allocated - t.freed;
  if (!keep) { /* the program ends: reference counting frees the rest */
    size_t top = gc_root_count(h);
    gc_root_truncate(h, top - 2);
    ans->freed_by_rc = ans->allocated;
    ans->live = 0;
  }
  return WL_OK;
}

static void tuplekeys_estimate(const gc_param_set *p, int leaks,
                               wl_estimate *e) {
  (void)leaks;
  double n = (double)gc_params_int(p, "n");
  *e = (wl_estimate){.allocations = (uint64_t)(6 * n),
                     .live = (uint64_t)(2 * n),
                     .nslots = 2,
                     .payload = 0};
}

const workload wl_tuplekeys = {
    .name = "tuplekeys",
    .summary = "a dict filled in a loop with tuple keys (CPython gh-139951: "
               "3.14.0 counted untracked tuples toward its trigger)",
    .params = tuplekeys_params,
    .nparams = sizeof tuplekeys_params / sizeof tuplekeys_params[0],
    .run = tuplekeys_run,
    .estimate = tuplekeys_estimate,
};
