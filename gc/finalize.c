/*
 * finalize.c -- finalizers of unreachable objects, shared by every
 * collector: PEP 442's order (finalize, then recompute reachability, then
 * free) and the pre-3.4 legacy behaviour (keep them in gc.garbage).
 *
 * A collector calls gc_finalize_garbage_() between finding its garbage set
 * (all WHITE) and gc_free_garbage_().
 */
#include <stdlib.h>

#include "collector.h"

static inline int has_pending_finalizer(const gc_object *o) {
  return (o->info & (GC_F_FINALIZER | GC_F_FINALIZED)) == GC_F_FINALIZER;
}

/* o leaves the garbage set for the survivors: BLACK, and not COLLECTING
 * (trial deletion marks gathered garbage so). */
static inline void revive(gc_object *o) {
  o->info &= ~(GC_F_COLOR_MASK | GC_F_COLLECTING); /* BLACK */
}

/* Move to `r` (BLACK) everything of the WHITE set reachable from objects
 * already in `r`.  A list walk, no recursion: objects found are appended to
 * the tail of `r`, which the walk reaches later. */
static void move_reachable_white(gc_link *r) {
  for (gc_link *p = r->next; p != r; p = p->next) {
    gc_object *o = gc_obj(p);
    gc_object **s = gc_slots(o);
    for (uint32_t i = 0, n = o->nslots; i < n; i++) {
      gc_object *t = s[i];
      if (t && gc_get_color(t) == GC_WHITE) {
        revive(t);
        gc_list_move(r, gc_link_of(t));
      }
    }
  }
}

int gc_garbage_append_(gc_heap *h, gc_object *o) {
  if (h->ngarbage == h->garbage_cap) {
    size_t cap = h->garbage_cap ? h->garbage_cap * 2 : 64;
    gc_object **g = realloc(h->garbage, cap * sizeof *g);
    if (!g) return -1;
    h->garbage = g;
    h->garbage_cap = cap;
  }
  gc_incref(o);
  h->garbage[h->ngarbage++] = o;
  return 0;
}

/* Pre-3.4: objects with finalizers, and all they reach, are uncollectable.
 * Only the objects with finalizers go into gc.garbage; the rest stay alive
 * because those refer to them. */
static uint64_t keep_legacy(gc_heap *h, gc_link *garbage, gc_link *survivors) {
  gc_link kept;
  gc_list_init(&kept);
  for (gc_link *p = garbage->next; p != garbage;) {
    gc_link *next = p->next;
    gc_object *o = gc_obj(p);
    if (o->info & GC_F_FINALIZER) {
      revive(o);
      gc_list_move(&kept, p);
    }
    p = next;
  }
  if (gc_list_empty(&kept)) return 0;
  /* gc.garbage's references first: nothing of `kept` is WHITE any more, so
   * the increments cannot touch the garbage set's bookkeeping. */
  for (gc_link *p = kept.next; p != &kept; p = p->next)
    if (gc_garbage_append_(h, gc_obj(p)) != 0) break; /* out of memory: kept anyway */
  move_reachable_white(&kept);
  uint64_t n = gc_list_size(&kept);
  h->stats.uncollectable += n;
  gc_list_merge(survivors, &kept);
  return n;
}

uint64_t gc_finalize_garbage_(gc_heap *h, gc_link *garbage,
                              gc_link *survivors) {
  if (!h->hot.has_finalizable) return 0; /* spare a pass over the garbage */
  int pending = 0;
  for (gc_link *p = garbage->next; p != garbage && !pending; p = p->next)
    pending = h->legacy_finalizers ? (gc_obj(p)->info & GC_F_FINALIZER) != 0
                                   : has_pending_finalizer(gc_obj(p));
  if (!pending) return 0;
  if (h->legacy_finalizers) return keep_legacy(h, garbage, survivors);

  /* 1. Hold every garbage object, so that no finalizer can release one
   *    while others still refer to it (the set stays the same list). */
  for (gc_link *p = garbage->next; p != garbage; p = p->next)
    gc_obj(p)->refcnt++;

  /* 2. Run the finalizers, each at most once in the object's life. */
  for (gc_link *p = garbage->next; p != garbage; p = p->next) {
    gc_object *o = gc_obj(p);
    if (!has_pending_finalizer(o)) continue;
    o->info |= GC_F_FINALIZED;
    h->stats.finalizers_run++;
    if (h->finalizer) h->finalizer(h, o, h->finalizer_arg);
  }

  /* 3. Recompute: gc_refs = references from outside the set (refcnt less
   *    the hold, less the references from inside).  New objects the
   *    finalizers made are BLACK, so they count as outside. */
  for (gc_link *p = garbage->next; p != garbage; p = p->next) {
    gc_object *o = gc_obj(p);
    o->gc_refs = o->refcnt - 1;
  }
  for (gc_link *p = garbage->next; p != garbage; p = p->next) {
    gc_object *o = gc_obj(p);
    gc_object **s = gc_slots(o);
    for (uint32_t i = 0, n = o->nslots; i < n; i++)
      if (s[i] && gc_get_color(s[i]) == GC_WHITE) s[i]->gc_refs--;
  }

  /* 4. Resurrected: referred to from outside, and all they reach. */
  gc_link back;
  gc_list_init(&back);
  for (gc_link *p = garbage->next; p != garbage;) {
    gc_link *next = p->next;
    gc_object *o = gc_obj(p);
    if (o->gc_refs > 0) {
      revive(o);
      gc_list_move(&back, p);
    }
    p = next;
  }
  move_reachable_white(&back);

  /* 5. Drop the hold on the resurrected (each keeps at least one real
   *    reference: from outside, or from another resurrected object).  The
   *    still-unreachable keep theirs: gc_free_garbage_ frees WHITE objects
   *    without looking at their counts. */
  uint64_t n = 0;
  for (gc_link *p = back.next; p != &back; p = p->next) {
    gc_object *o = gc_obj(p);
    o->refcnt--;
    GC_CHECK(o->refcnt > 0, "finalize", "resurrected object with count 0");
    /* A decrement that leaves a count above zero, which a collector that
     * buffers possible roots must see: if the only reference from outside
     * is an object a finalizer made, hanging from the resurrected one, the
     * pair is garbage again and nothing buffered reaches it otherwise. */
    if (h->hot.wants_roots && !(o->info & GC_F_BUFFERED))
      gc_offer_root_(h, o);
    n++;
  }
  h->stats.resurrected += n;
  gc_list_merge(survivors, &back);
  return n;
}
