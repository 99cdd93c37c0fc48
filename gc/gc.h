/*
 * gc.h -- the gcbench object model: reference-counted objects with reference
 * slots, a heap that owns them, and a pluggable cycle collector.
 *
 * A newcomer needs two calls beyond creating a heap:
 *
 *     gc_object *o = gc_new(h, nslots, payload_bytes);   // owned reference
 *     gc_slot_set(h, o, i, target);                        // o.slot[i] = target
 *
 * and drops its own reference with gc_decref(h, o).  gc_collect(h, GC_FULL)
 * frees every object not reachable from an external reference.
 *
 * Invariant (stated once, checked by gc/oracle.c in every test):
 *
 *     refcnt(o) == number of slots of live objects that hold o
 *                + number of external references to o
 *
 * External references are the mutator's: the reference gc_new returns, every
 * gc_incref it makes, and the root-table entries (gc_root_*), each counted
 * as many times as it holds its object (gc_root_refs).  The root table
 * is the mutator's "stack and globals"; the oracle computes reachability from
 * it alone, so a workload keeps all its external references there whenever it
 * asks for verification.
 *
 * When a count reaches zero the object is released at once: its slots are
 * decremented and its memory freed.  Release is iterative (an intrusive stack
 * threaded through the dead objects: their list link, or the first 8 bytes of
 * the header when they have none), so dropping a 10,000,000-long chain does
 * not grow the C stack.  A decrement that leaves a count above zero is
 * reported to collectors that asked for it (trial deletion's possible roots).
 */
#ifndef GC_H
#define GC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define gc_likely(x) __builtin_expect(!!(x), 1)
#define gc_unlikely(x) __builtin_expect(!!(x), 0)
#else
#define gc_likely(x) (x)
#define gc_unlikely(x) (x)
#endif

/* ------------------------------------------------------------------------
 * The object header: 16 bytes on 64-bit, the same as CPython's PyObject.
 * The slots follow the header, the payload follows the slots.
 *
 * The collector's list links (CPython's PyGC_Head) are a prefix that exists
 * only when the heap's collector keeps lists: they sit just before the
 * header (gc_link_of), so such an object costs 32 bytes of header, as in
 * CPython's default build.  A collector that finds its objects by walking
 * the allocator's heap instead (heapwalk, as CPython's free-threaded build
 * since gh-112529) has objects without the prefix, 16 bytes smaller.
 * ---------------------------------------------------------------------- */

typedef struct gc_link {
  struct gc_link *next, *prev; /* collector-owned list links */
} gc_link;

typedef struct gc_object {
  uint32_t refcnt;  /* slots of live objects + external references */
  uint32_t gc_refs; /* collector scratch (a copy of refcnt, a buffer index) */
  uint32_t nslots : 27; /* reference slots after the header (<= GC_MAX_SLOTS) */
  /* Collection scratch: every slot holds one and the same object, non-NULL
   * and in the set being collected.  Set by the first pass over an object's
   * slots in a collection and read only by the later passes of the same
   * collection, which then look at slot 0 alone (refscan.c, trial.c);
   * meaningless between collections. */
  uint32_t one_target : 1;
  uint32_t linked : 1; /* a gc_link precedes the header (gc_link_of) */
  /* On no collector's list, never buffered (except under trial's
   * buffer_untracked=1), never traversed (gc_untrack); reference counting
   * still counts and frees it. */
  uint32_t untracked : 1;
  uint32_t kind : 2; /* GC_KIND_*: what the object is to a runtime */
  uint32_t info; /* payload bytes << 8 | flags (GC_F_*) */
} gc_object;

/* PyObject's 16 bytes; with the list prefix, PyGC_Head + PyObject's 32. */
#ifdef __cplusplus
static_assert(sizeof(gc_object) == 16 || sizeof(void *) != 8,
              "the object header must stay 16 bytes on 64-bit");
static_assert(sizeof(gc_link) + sizeof(gc_object) == 32 ||
                  sizeof(void *) != 8,
              "a listed object's header must stay 32 bytes on 64-bit");
#else
_Static_assert(sizeof(gc_object) == 16 || sizeof(void *) != 8,
               "the object header must stay 16 bytes on 64-bit");
_Static_assert(sizeof(gc_link) + sizeof(gc_object) == 32 ||
                   sizeof(void *) != 8,
               "a listed object's header must stay 32 bytes on 64-bit");
#endif

/* Flag bits in the low byte of info.  Collectors own the colour; the heap
 * owns the rest.  Touch them only through the accessors below. */
#define GC_F_COLOR_MASK 0x03u /* gc_color */
#define GC_F_BUFFERED 0x04u   /* in trial deletion's root buffer */
#define GC_F_GEN_SHIFT 3
#define GC_F_GEN_MASK 0x18u   /* generation 0..2 */
#define GC_F_COLLECTING 0x20u /* in the set a collection examines */
#define GC_F_FINALIZER 0x40u  /* carries a finalizer (reserved) */
#define GC_F_FINALIZED 0x80u  /* finalizer has run (reserved) */
#define GC_INFO_FLAGS 0xffu
#define GC_PAYLOAD_SHIFT 8
#define GC_MAX_PAYLOAD ((1u << 24) - 1)  /* 16 MiB - 1 */
#define GC_MAX_SLOTS ((1u << 26))        /* 64 Mi slots per object */
#ifndef __cplusplus
_Static_assert(GC_MAX_SLOTS < (1u << 27), "nslots is a 27-bit field");
#endif
#define GC_MAX_REFCNT UINT32_MAX

/* Kinds (gc_object.kind), set by gc_new_ex's flags.  An atom is a plain
 * object created untracked (GC_NEW_UNTRACKED alone): CPython's int or str,
 * which are no GC objects at all, and a Nim {.acyclic.} object. */
enum {
  GC_KIND_PLAIN = 0, /* a container the runtime tracks */
  GC_KIND_TUPLE = 1, /* GC_NEW_TUPLE */
  GC_KIND_DICT = 2,  /* GC_NEW_DICT */
  GC_KIND_ATOM = 3   /* GC_NEW_UNTRACKED without a kind */
};

/* Colours, in Bacon & Rajan's vocabulary.  Black is "in use or free" and is
 * what every object has outside a collection. */
typedef enum gc_color {
  GC_BLACK = 0,
  GC_GRAY = 1,
  GC_WHITE = 2,
  GC_PURPLE = 3
} gc_color;

#define GC_NGENS 3
#define GC_FULL (-1) /* gc_collect: every generation, every object */

/* The object a list link belongs to, and an object's link (o->linked). */
static inline gc_object *gc_obj(gc_link *l) { return (gc_object *)(l + 1); }
static inline gc_link *gc_link_of(gc_object *o) { return (gc_link *)o - 1; }
static inline gc_object **gc_slots(gc_object *o) {
  return (gc_object **)(o + 1);
}
static inline uint32_t gc_payload_size(const gc_object *o) {
  return o->info >> GC_PAYLOAD_SHIFT;
}
static inline unsigned char *gc_payload(gc_object *o) {
  return (unsigned char *)(gc_slots(o) + o->nslots);
}
/* The bytes an object takes: list prefix (if any), header, slots, payload. */
static inline size_t gc_object_bytes(const gc_object *o) {
  return (o->linked ? sizeof(gc_link) : 0) + sizeof(gc_object) +
         (size_t)o->nslots * sizeof(gc_object *) + gc_payload_size(o);
}
static inline gc_color gc_get_color(const gc_object *o) {
  return (gc_color)(o->info & GC_F_COLOR_MASK);
}
static inline void gc_set_color(gc_object *o, gc_color c) {
  o->info = (o->info & ~GC_F_COLOR_MASK) | (uint32_t)c;
}
static inline int gc_has_flag(const gc_object *o, uint32_t f) {
  return (o->info & f) != 0;
}
static inline void gc_set_flag(gc_object *o, uint32_t f) { o->info |= f; }
static inline void gc_clear_flag(gc_object *o, uint32_t f) { o->info &= ~f; }
static inline unsigned gc_get_gen(const gc_object *o) {
  return (o->info & GC_F_GEN_MASK) >> GC_F_GEN_SHIFT;
}
static inline void gc_set_gen(gc_object *o, unsigned g) {
  o->info = (o->info & ~GC_F_GEN_MASK) | ((uint32_t)g << GC_F_GEN_SHIFT);
}

/* ------------------------------------------------------------------------
 * Statistics, declared once.  X(name, description) expands into the struct,
 * the JSON writer and the documentation.
 * ---------------------------------------------------------------------- */

#define GC_HEAP_STATS(X)                                                     \
  X(objects_allocated, "objects allocated since the heap was created")       \
  X(freed_by_rc, "objects freed because their count reached zero")           \
  X(freed_by_collector, "objects freed during a collection")                 \
  X(live_objects, "objects allocated and not yet freed")                     \
  X(live_bytes, "bytes of live objects (header + slots + payload)")          \
  X(peak_live_bytes, "largest live_bytes seen")                              \
  X(collections, "collections run (automatic and explicit)")                 \
  X(gc_time_ns, "nanoseconds spent inside collections")                      \
  X(objects_examined, "objects examined by collections, summed")            \
  X(finalizers_run, "finalizers run (each object's at most once)")          \
  X(resurrected, "objects a finalizer made reachable again")                \
  X(uncollectable, "unreachable objects kept by legacy_finalizers=1")        \
  X(injected_failures, "allocations failed on purpose (fail_alloc, "         \
                       "fail_rate, fail_collector)")                           \
  X(freed_bytes_by_collector, "bytes of the objects freed during a "         \
                              "collection")                                  \
  X(garbage_noted, "objects the mutator declared cyclic garbage "            \
                   "(gc_note_garbage)")                                      \
  X(garbage_noted_bytes, "bytes of those objects")                         \
  X(live_untracked, "live objects that are untracked (on no collector's "    \
                    "list, never buffered nor traversed)")                   \
  X(untracked_by_collector, "objects collections untracked (CPython's "      \
                            "tuple and dict rules)")                         \
  X(tracked_by_store, "untracked objects tracked again because a slot "      \
                      "store gave them a tracked object (MAINTAIN_TRACKING)")

typedef struct gc_heap_stats {
#define GC_X_FIELD(name, doc) uint64_t name;
  GC_HEAP_STATS(GC_X_FIELD)
#undef GC_X_FIELD
} gc_heap_stats;

/* One record per collection, for pause percentiles and the --pauses CSV. */
typedef struct gc_collection_record {
  uint64_t start_ns;  /* monotonic time the collection began (heap clock) */
  uint64_t pause_ns;  /* time inside the collector */
  uint64_t examined;  /* tracked objects the collection looked at (and,
                         under buffer_untracked=1, buffered untracked ones) */
  uint64_t freed;     /* objects it freed */
  int32_t generation; /* generation collected; GC_FULL for a whole heap */
  int32_t automatic;  /* 1 when triggered by an allocation */
} gc_collection_record;

/* ------------------------------------------------------------------------
 * The heap
 * ---------------------------------------------------------------------- */

typedef struct gc_heap gc_heap;
typedef struct gc_collector gc_collector;

/* Error codes returned by the checked calls. */
enum {
  GC_OK = 0,
  GC_EINVAL = -1, /* NULL object, slot index out of range, bad tunable */
  GC_ENOMEM = -2, /* the allocator said no */
  GC_ENOENT = -3  /* no collector or tunable by that name */
};

/* Create a heap run by the collector or profile called `collector` (a
 * name of gcrun --list: gc_collector_name(i) names the collectors, in
 * registry order, gc_profile_list() the profiles).  `tunables` is
 * NULL or a string "key=value,key=value" of the collector's tunables.  On
 * failure returns NULL and writes one line naming the problem into err. */
gc_heap *gc_heap_new(const char *collector, const char *tunables, char *err,
                     size_t errlen);
/* Frees every object (garbage cycles included), the collector and the heap. */
void gc_heap_free(gc_heap *h);

const gc_collector *gc_heap_collector(const gc_heap *h);
const gc_heap_stats *gc_heap_get_stats(const gc_heap *h);
const gc_collection_record *gc_heap_records(const gc_heap *h, size_t *n);

/* Allocate an object with `nslots` NULL slots and `payload` zeroed bytes.  It
 * has refcnt 1: the caller owns that reference.  May run an automatic
 * collection first.  Returns NULL if out of memory, past the heap's
 * max_bytes budget, or if the sizes exceed GC_MAX_SLOTS / GC_MAX_PAYLOAD. */
gc_object *gc_new(gc_heap *h, uint32_t nslots, uint32_t payload);

/* ------------------------------------------------------------------------
 * Tracked and untracked objects (CPython's PyObject_GC_Track/UnTrack)
 *
 * An untracked object is on no collector's list, never buffered as a
 * possible root (except under trial's buffer_untracked=1, PHP's rule:
 * looked at once, not followed) and never traversed by a collection: an edge to it is
 * skipped, as an edge to an object the collection does not examine.
 * Reference counting still counts and frees it; gc_heap_foreach finds it
 * and gc_heap_free frees it.  Two invariants:
 *
 *   - an untracked object's non-NULL slots hold untracked objects only:
 *     storing into an untracked object's slot (gc_slot_set,
 *     gc_slot_steal) anything that may be tracked, now or by a later
 *     store into it, tracks the holder first (CPython's MAINTAIN_TRACKING
 *     and _PyObject_GC_MAY_BE_TRACKED, generalised: all but an atom
 *     without slots and a built untracked tuple, one with no NULL slot),
 *     and gc_untrack refuses an object that holds one.  So no
 *     sequence of stores breaks it, except two the heap cannot see (it
 *     does not know an object's holders) and leaves to the mutator:
 *     gc_track on an object an untracked one holds, and a store into a
 *     built untracked tuple that an untracked object holds (CPython's
 *     tuples are immutable once built).  The oracle and the debug
 *     validators report a breach;
 *   - untracked objects lie on no cycle: the mutator's promise (Nim's
 *     {.acyclic.}; CPython's tuples are immutable).  With the first, every
 *     cycle is all tracked or all untracked; a collector never frees an
 *     untracked cycle, and the oracle reports one left unreachable as a
 *     broken promise.
 *
 * Which objects a heap untracks by itself (tuples and dicts, at creation
 * and in collections) and what counts toward an allocation trigger are
 * the heap's and collectors' tunables, set by each runtime's profile.
 * ---------------------------------------------------------------------- */

/* gc_new_ex flags: what kind of object this is, as a runtime sees it. */
#define GC_NEW_UNTRACKED 0x1u /* created untracked: an atom (an int, a str), an object of a Nim {.acyclic.} type */
#define GC_NEW_TUPLE     0x2u /* an immutable container (CPython's tuple): the heap's untrack rules apply (untracked at creation while it holds no tracked object, untracked by collections, per profile) */
#define GC_NEW_DICT      0x4u /* a mutable container that a runtime may keep untracked until it holds a tracked object (CPython 3.11-3.13's MAINTAIN_TRACKING), per profile */
/* As gc_new, with flags (GC_NEW_TUPLE and GC_NEW_DICT exclude each other:
 * NULL if both are given, or other bits).  gc_new(h, n, p) ==
 * gc_new_ex(h, n, p, 0): a tracked, plain object. */
gc_object *gc_new_ex(gc_heap *h, uint32_t nslots, uint32_t payload,
                     unsigned flags);

/* Leave the collector's view (PyObject_GC_UnTrack): o is on no collector
 * list, never buffered, never traversed, still counted and freed by
 * reference counting.  GC_OK; GC_EINVAL (nothing changed) if o is NULL or
 * one of its slots holds an object that may be tracked (a tracked one, or
 * one a store can track: an untracked object holds only untracked objects,
 * for good), or if o is in the set a running collection examines
 * (a finalizer's call).  Untracking an untracked object is GC_OK. */
int gc_untrack(gc_heap *h, gc_object *o);
/* Back into the collector's view (PyObject_GC_Track): as a new object
 * (generation 0, young).  GC_OK, GC_EINVAL if NULL.  Tracking a tracked
 * object is GC_OK. */
int gc_track(gc_heap *h, gc_object *o);
static inline int gc_is_tracked(const gc_object *o) {
  return o && !o->untracked;
}

/* The memory budget (tunable max_bytes; by default 80% of physical
 * memory) and what one object of this shape counts against it: its size
 * class in the heap's allocator, not the bytes requested. */
uint64_t gc_heap_budget(const gc_heap *h);
uint64_t gc_heap_object_cost(const gc_heap *h, uint32_t nslots,
                             uint32_t payload);
/* The bytes one object of this shape takes (gc_object_bytes before it
 * exists): 16 more under a collector that keeps lists. */
uint64_t gc_heap_object_bytes(const gc_heap *h, uint32_t nslots,
                              uint32_t payload);

/* Release path, out of line: o's count has reached zero. */
void gc_release_(gc_heap *h, gc_object *o);
/* Possible-root path, out of line: o's count dropped to a value above zero
 * and the collector asked to hear about it (an untracked o is offered only
 * to a collector that buffers untracked objects: trial's
 * buffer_untracked=1). */
void gc_possible_root_(gc_heap *h, gc_object *o);

/* The part of the heap the inline paths read.  Do not touch. */
struct gc_heap_hot {
  int wants_roots;     /* collector listens to decrements to non-zero */
  int has_finalizable; /* some object was ever given a finalizer: until
                          then collections skip looking for them */
};
static inline struct gc_heap_hot *gc_hot_(gc_heap *h) {
  return (struct gc_heap_hot *)h; /* first member of struct gc_heap */
}

/* Slow path of a store into an untracked holder o (gc_slot_set,
 * gc_slot_steal): tracks o if v requires it. */
void gc_store_untracked_(gc_heap *h, gc_object *o, gc_object *v);

/* incref/decref accept NULL and do nothing with it (as Py_XINCREF). */
static inline void gc_incref(gc_object *o) {
  if (o) o->refcnt++;
}
static inline void gc_decref(gc_heap *h, gc_object *o) {
  if (!o) return;
  if (--o->refcnt == 0)
    gc_release_(h, o);
  else if (gc_hot_(h)->wants_roots && !(o->info & GC_F_BUFFERED))
    gc_possible_root_(h, o);
}

/* o.slot[i] = v: increments v, decrements the old target.  Returns GC_OK, or
 * GC_EINVAL (and changes nothing) if o is NULL or i is out of range. */
static inline int gc_slot_set(gc_heap *h, gc_object *o, uint32_t i,
                              gc_object *v) {
  if (gc_unlikely(!o || i >= o->nslots)) return GC_EINVAL;
  if (gc_unlikely(o->untracked) && v) gc_store_untracked_(h, o, v);
  gc_object **s = gc_slots(o) + i;
  gc_object *old = *s;
  gc_incref(v); /* first, so that storing the current target is safe */
  *s = v;
  gc_decref(h, old);
  return GC_OK;
}
/* Slow path of gc_slot_steal: the caller's reference to v has just become
 * o's slot; report v as a possible root unless that cannot have left
 * anything unreachable. */
void gc_stolen_(gc_heap *h, gc_object *v);

/* As gc_slot_set, but steals the caller's reference to v (no increment).
 * On GC_EINVAL the caller keeps its reference.
 *
 * The caller's reference ends here, as if gc_slot_set were followed by
 * gc_decref(h, v): if it was the last path to o (a borrowed o that only v
 * reaches, as when the steal closes a cycle), v and o are garbage now, so
 * a collector that listens to decrements hears of v (gc_stolen_).  It is
 * spared the report only when v's other slots are all NULL: then no path
 * runs through v, o is as reachable as before and v with it (the common
 * case of a new object stored into a structure being built). */
static inline int gc_slot_steal(gc_heap *h, gc_object *o, uint32_t i,
                                gc_object *v) {
  if (gc_unlikely(!o || i >= o->nslots)) return GC_EINVAL;
  if (gc_unlikely(o->untracked) && v) gc_store_untracked_(h, o, v);
  gc_object **s = gc_slots(o) + i;
  gc_object *old = *s;
  *s = v;
  if (gc_hot_(h)->wants_roots && v && !(v->info & GC_F_BUFFERED))
    gc_stolen_(h, v);
  gc_decref(h, old);
  return GC_OK;
}
/* o.slot[i], borrowed; NULL if o is NULL or i is out of range. */
static inline gc_object *gc_slot_get(const gc_object *o, uint32_t i) {
  if (gc_unlikely(!o || i >= o->nslots)) return NULL;
  return gc_slots((gc_object *)o)[i];
}

/* ------------------------------------------------------------------------
 * Finalizers (PEP 442 semantics)
 *
 * An object flagged with gc_object_add_finalizer() has the heap's finalizer
 * run on it at most once: when its count reaches zero, or when a collection
 * finds it unreachable.  A finalizer may do anything a mutator does: store
 * references (resurrecting objects), allocate, drop references.  After the
 * finalizers of unreachable objects have run, the collector recomputes
 * reachability over the unreachable set and frees only what is still
 * unreachable; resurrected objects live on and are freed normally when they
 * become garbage again, without a second finalization.
 *
 * With the heap tunable legacy_finalizers=1 (Python before 3.4), a
 * collection never runs finalizers: an unreachable object with a finalizer,
 * and everything reachable from it, is kept, and the object is appended to
 * the heap's garbage list (gc.garbage), counted as uncollectable.
 * ---------------------------------------------------------------------- */

typedef void (*gc_finalizer)(gc_heap *h, gc_object *o, void *arg);
/* The finalizer of every flagged object of this heap (NULL: none). */
void gc_set_finalizer(gc_heap *h, gc_finalizer fn, void *arg);
static inline void gc_object_add_finalizer(gc_heap *h, gc_object *o) {
  gc_hot_(h)->has_finalizable = 1;
  o->info |= GC_F_FINALIZER;
}
/* 1 if the heap was created with legacy_finalizers=1. */
int gc_heap_legacy_finalizers(const gc_heap *h);
/* gc.garbage: the objects legacy_finalizers=1 kept (each holds a reference
 * from the list, like an external reference). */
size_t gc_garbage_count(const gc_heap *h);
gc_object *gc_garbage_get(const gc_heap *h, size_t i);
/* Empty gc.garbage (del gc.garbage[:]): its references are dropped. */
void gc_garbage_clear(gc_heap *h);

/* ------------------------------------------------------------------------
 * The root table: the mutator's external references that the oracle sees.
 * Entries are slots of a virtual object: storing increments, overwriting or
 * popping decrements.  An entry may hold one object several times over (a
 * count, gc_root_push_n): CPython 3.12+'s immortal objects carry counts near
 * 2^30..2^32, which one entry per reference could not hold.  An entry with
 * count k accounts for k of its object's refcnt; every call below moves all
 * k at once, in O(1).
 * ---------------------------------------------------------------------- */

/* Append v (incremented; NULL allowed).  Returns its index, or -1 when out of
 * memory. */
long gc_root_push(gc_heap *h, gc_object *v);
/* As gc_root_push, stealing the caller's reference to v. */
long gc_root_push_steal(gc_heap *h, gc_object *v);
/* One entry holding n references to v (v's count grows by n).  Returns
 * its index; GC_EINVAL if n == 0 or v's count would pass GC_MAX_REFCNT;
 * GC_ENOMEM when out of memory (nothing changed on either error). */
long gc_root_push_n(gc_heap *h, gc_object *v, uint32_t n);
/* As gc_root_push_n, taking over the caller's reference to v as one of the
 * n (the count grows by n - 1).  On an error the caller keeps it. */
long gc_root_push_n_steal(gc_heap *h, gc_object *v, uint32_t n);
/* References entry i holds: 1 for gc_root_push's, n for gc_root_push_n's;
 * 0 if i is out of range. */
uint32_t gc_root_refs(const gc_heap *h, size_t i);
/* roots[i] = v, with slot semantics: the entry keeps its count k, v gains k
 * references and the old object loses k.  GC_EINVAL (nothing changed) if i
 * is out of range or v's count would pass GC_MAX_REFCNT. */
int gc_root_set(gc_heap *h, size_t i, gc_object *v);
/* roots[i] = v, stealing the caller's reference to v: the entry keeps its
 * count k, the caller's reference is one of the k (v gains k - 1) and the
 * old object loses k.  GC_EINVAL (nothing changed; the caller keeps its
 * reference) if i is out of range or v's count would pass GC_MAX_REFCNT. */
int gc_root_set_steal(gc_heap *h, size_t i, gc_object *v);
/* roots[to] = roots[from] with its count, roots[from] = NULL (count 1):
 * the references move with no count change on their object; the old
 * roots[to] loses every reference its entry held.  GC_EINVAL if an index
 * is out of range. */
int gc_root_move(gc_heap *h, size_t from, size_t to);
gc_object *gc_root_get(const gc_heap *h, size_t i);
size_t gc_root_count(const gc_heap *h);
/* Drop every entry past the first n (each with all its references), as
 * CPython's list.clear: the entries that were past n when the call began
 * are all dropped, and entries a finalizer pushes meanwhile are kept, at
 * n, n + 1, ... in the order pushed (not at the index gc_root_push
 * returned to it).  A finalizer storing into an entry being dropped has
 * that reference dropped too; a gc_root_truncate it calls runs when this
 * one has finished. */
void gc_root_truncate(gc_heap *h, size_t n);
/* Make room for n more entries, so that the next n pushes cannot fail (a
 * finalizer that resurrects has no way to report an error).  0, or -1 when
 * out of memory. */
int gc_root_reserve(gc_heap *h, size_t n);

/* ------------------------------------------------------------------------
 * Collection
 * ---------------------------------------------------------------------- */

/* Collect generation `gen` (and the younger ones) or, with GC_FULL, every
 * object: afterwards nothing unreachable from an external reference is
 * left.  Returns the number of objects freed. */
uint64_t gc_collect(gc_heap *h, int gen);

/* Automatic collection on (default) or off. */
void gc_set_auto(gc_heap *h, int on);
int gc_get_auto(const gc_heap *h);

/* A hook run before and after every collection (verification, timelines).
 * phase is 0 before, 1 after.  Outside the pause measurement. */
typedef void (*gc_collect_hook)(gc_heap *h, int phase, int gen, void *arg);
void gc_set_collect_hook(gc_heap *h, gc_collect_hook fn, void *arg);

/* A hook run every `every` allocations (before the allocation), for memory
 * timelines and progress lines.  every == 0 turns it off. */
typedef void (*gc_sample_hook)(gc_heap *h, void *arg);
void gc_set_sample_hook(gc_heap *h, uint64_t every, gc_sample_hook fn,
                        void *arg);

/* ------------------------------------------------------------------------
 * Unreclaimed garbage: objects unreachable but not yet freed
 *
 * Reference counting frees acyclic garbage at once, so what a cycle
 * collector leaves lying around is exactly the cyclic garbage it has not
 * reached yet.  A mutator that knows when it turns objects into cyclic
 * garbage says so, at that moment, with gc_note_garbage(); the heap counts
 * the objects and bytes freed during collections, so
 *
 *     unreclaimed = noted - freed by the collector
 *
 * is exact at every instant, at the cost of one call per dropped group and
 * one add per object a collection frees.  It stays exact when the mutator
 * keeps its promise: it notes every object that becomes unreachable without
 * being freed by reference counting (acyclic objects hanging off a dropped
 * cycle included: the collection frees them with it), notes each object
 * once, and notes nothing reference counting frees.  Finalizers break the
 * promise (a finalizer may resurrect what was noted, or drop references
 * during a collection): workloads with finalizers do not note.  tests/
 * workloads checks the count against the oracle's unreachable count at
 * every collection and sample.
 *
 * The heap also keeps the maximum (exact: the count only rises at a note)
 * and the mean over allocations (the count each allocation sees, summed
 * exactly as count x allocations between changes).
 * ---------------------------------------------------------------------- */

/* `objects` objects of `bytes` bytes in all have just become cyclic
 * garbage (unreachable, and not freed by reference counting). */
void gc_note_garbage(gc_heap *h, uint64_t objects, uint64_t bytes);

typedef struct gc_unreclaimed {
  uint64_t objects, bytes;         /* now */
  uint64_t max_objects, max_bytes; /* largest since the heap was created */
  double mean_objects, mean_bytes; /* mean over allocations so far */
} gc_unreclaimed;
void gc_heap_unreclaimed(const gc_heap *h, gc_unreclaimed *out);

/* The list of generation g (0..GC_NGENS-1), for passes that must not pay a
 * call per object (gcbench's floor).  Read only.  Empty under a collector
 * that walks the allocator's heap (heapwalk): its objects have no links. */
const gc_link *gc_heap_gen_list(const gc_heap *h, int g);

/* Every live object, tracked or not, in no particular order (fn must not
 * mutate the heap). */
void gc_heap_foreach(gc_heap *h, void (*fn)(gc_object *, void *), void *arg);

/* Benchmark protocol "every vertex buffered once": empty the collector's
 * root buffer, then offer every live tracked object to it in list order (the order
 * of allocation on a heap not collected yet), as a decrement that left the
 * count above zero would (trial deletion's possible_root); so the buffer's
 * order does not depend on what the workload buffered (untracked objects
 * it buffered, under buffer_untracked=1, are forgotten too).  Afterwards
 * every live tracked object is buffered once, or the buffer could not grow and the next
 * collection scans the whole heap.  Returns the number offered: 0 under a
 * collector without a root buffer, which examines the whole heap anyway.
 * Untimed setup: allocates (the buffer grows). */
uint64_t gc_heap_buffer_all(gc_heap *h);
/* 1 if the named collector, or a profile's collector, keeps a root buffer
 * (gc_heap_buffer_all can change what its next collection examines), 0 if
 * not or unknown. */
int gc_collector_has_root_buffer(const char *name);
/* 1 if the named collector, or a profile's collector, finds its objects by
 * walking a mimalloc heap (heapwalk: it takes allocator=mimalloc only), 0
 * if not or unknown. */
int gc_collector_walks_heap(const char *name);

/* jemalloc's statistics, refreshed (mallctl "epoch"): call at phase
 * boundaries only, never inside a timed region.  0 if unavailable. */
typedef struct gc_mem_stats {
  uint64_t allocated, active, resident, mapped;
} gc_mem_stats;
void gc_mem_read(gc_mem_stats *out);
/* The heap's object allocator ("jemalloc", "mimalloc", "libc"; "system"
 * in sanitizer builds and under GCBENCH_MALLOC=system, where every object
 * is malloc's) and its own statistics, under its own names: jemalloc's
 * stats.{allocated,active,resident,mapped} (refreshed: an epoch), mimalloc's
 * process info (current_commit, peak_commit, current_rss, peak_rss),
 * glibc's mallinfo2 (uordblks, fordblks, arena, hblkhd).  `resident` is
 * the one figure comparable across them: what the allocator holds
 * (jemalloc's resident, mimalloc's commit, glibc's arena + mmapped).
 * Phase boundaries only. */
typedef struct gc_alloc_stats {
  const char *allocator;
  int n;
  const char *name[6];
  uint64_t value[6];
  uint64_t resident;
} gc_alloc_stats;
const char *gc_heap_allocator(const gc_heap *h);
void gc_heap_mem_read(const gc_heap *h, gc_alloc_stats *out);

/* Bytes this thread has allocated minus freed through jemalloc: exact and
 * cheap (no epoch), for timelines.  0 if unavailable. */
int64_t gc_mem_thread_bytes(void);
/* jemalloc's peak of this thread's allocated bytes since the last reset
 * ("thread.peak.read"), 0 if unavailable; and its reset. */
uint64_t gc_mem_thread_peak(void);
void gc_mem_thread_peak_reset(void);

/* The registered collectors, for listings: name, one-line summary, and
 * their tunables (gc/params.h) including the ones every heap accepts. */
struct gc_param_def;
size_t gc_collector_count(void);
const char *gc_collector_name(size_t i);
const char *gc_collector_summary(size_t i);
const struct gc_param_def *gc_collector_tunables(size_t i, size_t *n);
const struct gc_param_def *gc_common_tunables(size_t *n);

/* Profiles: what a production runtime ships, as one of the collectors plus
 * tunables, under a versioned name ("cpython-3.13", "php-8", "nim-orc").
 * gc_heap_new accepts a profile's name wherever a collector's goes: the
 * profile's tunables come first, the caller's after them (and win).
 * `follows` names the runtime's version and source; `missing` says what
 * that runtime does that the collector does not express ("" if nothing
 * known). */
typedef struct gc_profile {
  const char *name;
  const char *collector;
  const char *tunables;
  const char *follows;
  const char *missing;
} gc_profile;
const gc_profile *gc_profile_list(size_t *n);
const gc_profile *gc_profile_find(const char *name);

/* Every tunable a heap made by gc_heap_new(name, tunables) runs with, as
 * one JSON object (the heap's tunables, then the collector's; defaults, a
 * profile's, then `tunables`'s applied; the allocator the heap takes: a
 * heap walker's is mimalloc).  Passed back as "key=value", the values make
 * the same heap.  Returns 0, or -1 with one line in err (writes nothing). */
int gc_tunables_json(const char *name, const char *tunables, FILE *f,
                     char *err, size_t errlen);

/* With the heap tunable cookie=1: 1 if o's payload still holds the pattern
 * written at its allocation (always 1 when cookies are off). */
int gc_cookie_ok(const gc_heap *h, gc_object *o);

/* Monotonic clock in ns. */
uint64_t gc_now_ns(void);

#ifdef __cplusplus
}
#endif
#endif /* GC_H */
