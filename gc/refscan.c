/* refscan.c -- update_refs, subtract_refs, move_unreachable (see refscan.h). */
#include "refscan.h"

/* Hardware prefetchers follow a walk along the list (objects sit on it
 * mostly in allocation order) within a page, not the edges out of each
 * object, which can go anywhere in the heap.  So each walk prefetches the
 * first targets of the object AHEAD links further on, and the memory
 * GC_STREAM_AHEAD bytes past that object, and moves that link on (it rests
 * on the sentinel at the end). */
enum { AHEAD = 8 };
#define PREFETCH_AHEAD(a, head)                          \
  do {                                                   \
    if ((a) != (head)) {                                 \
      __builtin_prefetch((char *)(a) + GC_STREAM_AHEAD); \
      GC_PREFETCH_EDGES(gc_obj(a));                      \
      (a) = (a)->next;                                   \
    }                                                    \
  } while (0)

static inline gc_link *ahead_of(gc_link *p, const gc_link *head) {
  for (int k = 0; k < AHEAD && p != head; k++) p = p->next;
  return p;
}

/* o joins the scan: gc_refs = refcnt, BLACK, COLLECTING. */
static inline void enter(gc_object *o) {
  o->gc_refs = o->refcnt;
  o->info = (o->info & ~GC_F_COLOR_MASK) | GC_F_COLLECTING; /* BLACK */
}

/* Postcondition: every object of young has gc_refs == refcnt, is BLACK and
 * COLLECTING. */
static uint64_t update_refs(gc_link *young) {
  uint64_t n = 0;
  for (gc_link *p = young->next; p != young; p = p->next) {
    enter(gc_obj(p));
    n++;
  }
  return n;
}

/* Take o's edges off their targets' gc_refs.  A target outside the scan
 * (not COLLECTING) is skipped, or with `enter_new` (every object is in the
 * scan) entered first.  Runs of slots holding the same target (a list of
 * one object repeated, as in pyperformance's gc_traversal) are subtracted
 * at once: one store instead of a chain of dependent decrements.  An object
 * whose slots are all one run is noted (gc_note_one_target_), and
 * move_unreachable then reads its first slot only. */
static inline void subtract_slots(gc_object *o, int enter_new,
                                  uint64_t *held) {
  gc_object **s = gc_slots(o);
  gc_object *prev = NULL;
  uint32_t run = 0;
  for (uint32_t i = 0, n = o->nslots; i < n; i++) {
    gc_object *t = s[i];
    if (t == prev) {
      run += prev != NULL;
      continue;
    }
    if (run) gc_take_refs_(prev, run, "subtract_refs");
    *held += run;
    prev = NULL, run = 0;
    if (!t) continue;
    if (!(t->info & GC_F_COLLECTING)) {
      /* Out of the scan; with enter_new every tracked object is in it, an
       * untracked one never is. */
      if (!enter_new || t->untracked) {
        ++*held;
        continue;
      }
      enter(t);
    }
    prev = t, run = 1;
  }
  if (run) gc_take_refs_(prev, run, "subtract_refs");
  *held += run;
  gc_note_one_target_(o, run);
}

/* Postcondition: gc_refs = references from outside young (>= 0, since refcnt
 * counts every slot that holds the object). */
static void subtract_refs(gc_link *young, uint64_t *held) {
  gc_link *ahead = ahead_of(young->next, young);
  for (gc_link *p = young->next; p != young; p = p->next) {
    PREFETCH_AHEAD(ahead, young);
    subtract_slots(gc_obj(p), 0, held);
  }
}

/* Walk young in order.  An object with gc_refs > 0 is reachable: each
 * COLLECTING target it holds is made reachable too (gc_refs = 1), and if
 * the walk had already moved it to `unreachable` (WHITE) it goes back to
 * the tail of young, where the walk will reach it again.  An object reached
 * with gc_refs == 0 is moved to `unreachable`, tentatively.
 * Invariant: every object before p in young is reachable, and every BLACK
 * object's targets have been given gc_refs >= 1. */
static void move_unreachable(gc_link *young, gc_link *unreachable,
                             unsigned gen, uint64_t *held,
                             uint64_t *garbage_refs) {
  const uint32_t keep = ~(uint32_t)(GC_F_COLLECTING | GC_F_GEN_MASK);
  const uint32_t genbits = (uint32_t)gen << GC_F_GEN_SHIFT;
  gc_link *p = young->next;
  /* The walk moves only p itself (to `unreachable`) and WHITE objects
   * (from there to young's tail), so the object `ahead` stays on young,
   * ahead of p, until p reaches it; or `ahead` rests on the sentinel. */
  gc_link *ahead = ahead_of(p, young);
  while (p != young) {
    gc_object *o = gc_obj(p);
    PREFETCH_AHEAD(ahead, young);
    if (o->gc_refs > 0) {
      gc_object **s = gc_slots(o);
      gc_object *prev = NULL; /* a repeat of the last target: done already */
      /* one_target: the slots read are slot 0, and every slot holds it */
      if (o->one_target) *held += o->nslots - 1;
      for (uint32_t i = 0, n = gc_scan_len_(o); i < n; i++) {
        gc_object *t = s[i];
        if (!t) continue;
        ++*held;
        if (t == prev) continue;
        prev = t;
        if (!(t->info & GC_F_COLLECTING)) continue;
        if (gc_get_color(t) == GC_WHITE) {
          gc_set_color(t, GC_BLACK);
          gc_list_move(young, gc_link_of(t));
          t->gc_refs = 1;
          *garbage_refs -= t->refcnt;
        } else if (t->gc_refs == 0) {
          t->gc_refs = 1;
        }
      }
      o->info = (o->info & keep) | genbits; /* a survivor, in `gen` */
      p = p->next;
    } else {
      gc_link *next = p->next;
      gc_set_color(o, GC_WHITE);
      gc_list_move(unreachable, p);
      *garbage_refs += o->refcnt;
      p = next;
    }
  }
  /* Objects moved back to young were cleared when the walk passed them;
   * what is left in unreachable is garbage, WHITE and still COLLECTING, as
   * trial deletion's gathered garbage: finalization clears the flag of
   * whatever it revives, and the rest is freed.  (A pass over the garbage
   * saved.) */
}

/* update_refs and subtract_refs in one walk, when young holds every object
 * of the heap: every target is then in young, so the first to meet an
 * object -- its own turn in the walk, or an edge into it -- enters it.
 * (In a partial collection a target outside young must stay out, which
 * only the separate update_refs pass can tell.) */
static uint64_t update_and_subtract(gc_link *young, uint64_t *held) {
  uint64_t n = 0;
  gc_link *ahead = ahead_of(young->next, young);
  for (gc_link *p = young->next; p != young; p = p->next) {
    gc_object *o = gc_obj(p);
    PREFETCH_AHEAD(ahead, young);
    if (!(o->info & GC_F_COLLECTING)) enter(o);
    subtract_slots(o, 1, held);
    n++;
  }
  return n;
}

uint64_t gc_deduce_unreachable_(gc_link *young, gc_link *unreachable,
                                unsigned gen, int whole_heap, int *closed) {
  uint64_t n;
  uint64_t held = 0, survivors_held = 0, garbage_refs = 0;
  if (whole_heap) {
    n = update_and_subtract(young, &held);
  } else {
    n = update_refs(young);
    subtract_refs(young, &held);
  }
  move_unreachable(young, unreachable, gen, &survivors_held, &garbage_refs);
  /* The garbage's slots (non-NULL) are those of the scan less the
   * survivors'.  Every reference to a garbage object is a slot of the
   * garbage: any other (external, from a survivor, from outside the scan
   * or from an untracked object) is not subtracted and would have made it
   * reachable.  So the garbage refers only to itself exactly when its
   * slots number its members' refcnts. */
  *closed = held - survivors_held == garbage_refs;
  return n;
}

void gc_validate_lists_(gc_heap *h, const char *where, int check_gen) {
  uint64_t count = 0;
  for (int g = 0; g < GC_NGENS; g++) {
    gc_link *l = &h->gens[g];
    for (gc_link *p = l->next; p != l; p = p->next) {
      gc_object *o = gc_obj(p);
      if (p->next->prev != p || p->prev->next != p)
        gc_fatal_(where, "generation %d list is broken at %p", g, (void *)o);
      if (gc_get_color(o) != GC_BLACK)
        gc_fatal_(where, "object %p is not BLACK between collections",
                  (void *)o);
      if (o->info & (GC_F_COLLECTING | GC_F_BUFFERED))
        gc_fatal_(where, "object %p has a collection flag set", (void *)o);
      if (o->refcnt == 0)
        gc_fatal_(where, "object %p is live with refcnt 0", (void *)o);
      if (o->untracked)
        gc_fatal_(where, "untracked object %p is on generation %d's list",
                  (void *)o, g);
      if (check_gen && gc_get_gen(o) != (unsigned)g)
        gc_fatal_(where, "object %p in generation %d list has gen bits %u",
                  (void *)o, g, gc_get_gen(o));
      count++;
    }
  }
  if (count != h->stats.live_objects - h->stats.live_untracked)
    gc_fatal_(where, "%llu objects on the lists, %llu live and tracked",
              (unsigned long long)count,
              (unsigned long long)(h->stats.live_objects -
                                   h->stats.live_untracked));
  gc_validate_untracked_(h, where);
}
