/*
 * table.h -- a runtime's growing array (a CPython list's item array, a
 * dict's entry table, a Nim seq, a PHP array), for the gallery's
 * workloads: an owner object whose slot k holds block k, a plain tracked
 * object of `base` x 2^k slots.  Appending fills the newest block and
 * adds the next, twice as large, when it is full: the table grows by
 * doubling, as CPython's dict does (a list over-allocates by about 1/8),
 * but the old blocks are never copied, so growth allocates one object per
 * doubling and the items keep their place.  A collection examines the
 * owner and its blocks (a few dozen objects for millions of items) and
 * traverses every item, as CPython's list and dict traversals visit every
 * item.
 */
#ifndef GC_WL_TABLE_H
#define GC_WL_TABLE_H

#include "workload.h"

enum { WL_TABLE_BLOCKS = 40 }; /* owner slots: base x (2^40 - 1) items */

typedef struct wl_table {
  gc_object *owner;  /* borrowed: the caller holds it (a root entry) */
  uint32_t base;     /* slots in block 0 */
  uint32_t nblocks;  /* blocks allocated so far */
  uint64_t used;     /* slots filled, over all blocks */
  uint64_t cap;      /* slots in all blocks allocated */
} wl_table;

/* Blocks that hold `slots` slots from block 0 on (what an answer counts). */
static inline uint64_t wl_table_blocks_for(uint32_t base, uint64_t slots) {
  uint64_t b = 0, cap = 0;
  while (cap < slots) cap += (uint64_t)base << b++;
  return b;
}

/* Block and slot of item index i. */
static inline void wl_table_where(const wl_table *t, uint64_t i, uint32_t *b,
                                  uint32_t *s) {
  uint32_t k = 0;
  uint64_t first = 0;
  while (i >= first + ((uint64_t)t->base << k)) first += (uint64_t)t->base << k++;
  *b = k;
  *s = (uint32_t)(i - first);
}

/* Store v (the caller's reference, stolen) in the next slot.  WL_OK, or
 * WL_ENOMEM with the caller's reference dropped. */
static inline int wl_table_append_steal(gc_heap *h, wl_table *t,
                                        gc_object *v) {
  if (t->used == t->cap) {
    uint64_t size = (uint64_t)t->base << t->nblocks;
    gc_object *blk = t->nblocks < WL_TABLE_BLOCKS && size <= GC_MAX_SLOTS
                         ? gc_new(h, (uint32_t)size, 0)
                         : NULL;
    if (!blk) {
      gc_decref(h, v);
      return WL_ENOMEM;
    }
    gc_slot_steal(h, t->owner, t->nblocks++, blk); /* blk empty yet */
    t->cap += size;
  }
  uint32_t b, s;
  wl_table_where(t, t->used++, &b, &s);
  gc_slot_steal(h, gc_slot_get(t->owner, b), s, v);
  return WL_OK;
}

/* Item i's slot: its block (borrowed) and index. */
static inline gc_object *wl_table_block(const wl_table *t, uint64_t i,
                                        uint32_t *s) {
  uint32_t b;
  wl_table_where(t, i, &b, s);
  return gc_slot_get(t->owner, b);
}

#endif
