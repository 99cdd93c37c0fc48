/*
 * refscan.h -- CPython's subtract-refs method, shared by the `naive` and
 * `generational` collectors (private to gc/).
 *
 * Given a list `young` of the objects a collection examines:
 *
 *   update_refs      gc_refs = refcnt for each, flag COLLECTING, colour BLACK
 *   subtract_refs    for each slot between two COLLECTING objects, the
 *                    target's gc_refs--.  Afterwards gc_refs counts the
 *                    references from outside `young` (older generations, the
 *                    mutator): gc_refs > 0 means directly reachable.
 *   move_unreachable moves to `unreachable` (colour WHITE) every object that
 *                    no gc_refs > 0 object reaches through COLLECTING slots.
 *
 * No recursion and no allocation: move_unreachable is CPython's list walk, in
 * which a reachable object found in the tentatively unreachable list goes back
 * to the tail of `young` and is visited again from there.
 */
#ifndef GC_REFSCAN_H
#define GC_REFSCAN_H

#include "collector.h"

/* Runs the three phases; returns the number of objects in `young`.
 * whole_heap: `young` holds every object of the heap and none is flagged
 * COLLECTING (a full collection of naive or generational); the first two
 * phases then share one walk.
 * Afterwards: `young` holds the survivors, BLACK, COLLECTING cleared, their
 * generation bits set to `gen` (promotion costs no pass of its own);
 * `unreachable` holds the garbage, WHITE and still COLLECTING (as trial
 * deletion leaves its gathered garbage), ready for gc_finalize_garbage_(),
 * which clears the flag on what it revives, and gc_free_garbage_().
 * *closed is set to 1 if no garbage object refers to an object outside the
 * garbage (a survivor, an object outside `young`, an untracked one), 0
 * otherwise: gc_free_garbage_() then skips its pass over the garbage's
 * slots (unless the heap has finalizable objects, which may store
 * references into the garbage).
 * It is decided by counting edges in the passes that read them anyway, not
 * by reading the garbage again (refscan.c). */
uint64_t gc_deduce_unreachable_(gc_link *young, gc_link *unreachable,
                                unsigned gen, int whole_heap, int *closed);

/* The validator shared by collectors that keep every object BLACK on the
 * generation lists between collections.  With check_gen, an object's
 * generation bits must equal the index of its list. */
void gc_validate_lists_(gc_heap *h, const char *where, int check_gen);

#endif
