/* oracle.c -- independent reachability and count checks (see oracle.h). */
#include "oracle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ======================================================================
 * An address -> index map (open addressing, linear probing)
 * ==================================================================== */

typedef struct addr_map {
  const gc_object **keys;
  size_t *vals;
  size_t mask;
} addr_map;

static size_t hash_ptr(const void *p) {
  uint64_t x = (uint64_t)(uintptr_t)p;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return (size_t)x;
}

static int map_init(addr_map *m, size_t n) {
  size_t cap = 16;
  while (cap < 2 * n + 1) cap *= 2;
  m->keys = calloc(cap, sizeof *m->keys);
  m->vals = malloc(cap * sizeof *m->vals);
  m->mask = cap - 1;
  if (!m->keys || !m->vals) {
    free(m->keys);
    free(m->vals);
    return -1;
  }
  return 0;
}
static void map_free(addr_map *m) {
  free(m->keys);
  free(m->vals);
}
static void map_put(addr_map *m, const gc_object *k, size_t v) {
  size_t i = hash_ptr(k) & m->mask;
  while (m->keys[i] && m->keys[i] != k) i = (i + 1) & m->mask;
  m->keys[i] = k;
  m->vals[i] = v;
}
/* Index of k, or (size_t)-1. */
static size_t map_get(const addr_map *m, const gc_object *k) {
  size_t i = hash_ptr(k) & m->mask;
  while (m->keys[i]) {
    if (m->keys[i] == k) return m->vals[i];
    i = (i + 1) & m->mask;
  }
  return (size_t)-1;
}

/* ======================================================================
 * The live set and reachability
 * ==================================================================== */

typedef struct live_set {
  gc_object **objs;
  size_t n, cap;
  addr_map index;
  unsigned char *reach; /* reach[i]: objs[i] reachable from the roots */
} live_set;

static void collect_one(gc_object *o, void *arg) {
  live_set *ls = arg;
  if (ls->n < ls->cap) ls->objs[ls->n] = o;
  ls->n++;
}

/* Enumerate the live objects and mark what the roots reach.  Returns 0, or
 * -1 with err set. */
static int live_build(gc_heap *h, live_set *ls, char *err, size_t errlen) {
  memset(ls, 0, sizeof *ls);
  const gc_heap_stats *st = gc_heap_get_stats(h);
  ls->cap = st->live_objects + 1;
  ls->objs = malloc(ls->cap * sizeof *ls->objs);
  if (!ls->objs) goto oom;
  gc_heap_foreach(h, collect_one, ls);
  if (ls->n != st->live_objects) {
    snprintf(err, errlen,
             "the heap's lists hold %zu objects but %llu are live "
             "(an object was lost from, or left on, the lists)",
             ls->n, (unsigned long long)st->live_objects);
    free(ls->objs);
    ls->objs = NULL;
    return -1;
  }
  if (map_init(&ls->index, ls->n) != 0) goto oom;
  for (size_t i = 0; i < ls->n; i++) {
    if (map_get(&ls->index, ls->objs[i]) != (size_t)-1) {
      snprintf(err, errlen, "object %p is on the lists twice",
               (void *)ls->objs[i]);
      return -1;
    }
    map_put(&ls->index, ls->objs[i], i);
  }
  ls->reach = calloc(ls->n + 1, 1);
  size_t *stack = malloc((ls->n + 1) * sizeof *stack);
  if (!ls->reach || !stack) {
    free(stack);
    goto oom;
  }
  size_t sp = 0;
  size_t nroots = gc_root_count(h), ngarb = gc_garbage_count(h);
  for (size_t r = 0; r < nroots + ngarb; r++) {
    gc_object *o = r < nroots ? gc_root_get(h, r) : gc_garbage_get(h, r - nroots);
    if (!o) continue;
    size_t i = map_get(&ls->index, o);
    if (i == (size_t)-1) {
      snprintf(err, errlen, "root %zu refers to %p, which is not live", r,
               (void *)o);
      free(stack);
      return -1;
    }
    if (!ls->reach[i]) {
      ls->reach[i] = 1;
      stack[sp++] = i;
    }
  }
  while (sp) {
    gc_object *o = ls->objs[stack[--sp]];
    if (!gc_cookie_ok(h, o)) {
      snprintf(err, errlen,
               "reachable object %p has a damaged payload cookie (freed too "
               "early or written over)",
               (void *)o);
      free(stack);
      return -1;
    }
    for (uint32_t s = 0; s < o->nslots; s++) {
      gc_object *t = gc_slot_get(o, s);
      if (!t) continue;
      size_t j = map_get(&ls->index, t);
      if (j == (size_t)-1) {
        snprintf(err, errlen,
                 "reachable object %p slot %u refers to %p, which is not live "
                 "(freed too early)",
                 (void *)o, s, (void *)t);
        free(stack);
        return -1;
      }
      if (!ls->reach[j]) {
        ls->reach[j] = 1;
        stack[sp++] = j;
      }
    }
  }
  free(stack);
  return 0;
oom:
  snprintf(err, errlen, "oracle: out of memory for %llu objects",
           (unsigned long long)st->live_objects);
  return -1;
}

static void live_free(live_set *ls) {
  free(ls->objs);
  free(ls->reach);
  map_free(&ls->index);
}

/* ======================================================================
 * Untracked objects
 * ==================================================================== */

/* An untracked object holds untracked objects only.  0, or -1 with err. */
static int check_untracked_slots(const live_set *ls, char *err,
                                 size_t errlen) {
  for (size_t i = 0; i < ls->n; i++) {
    gc_object *o = ls->objs[i];
    if (gc_is_tracked(o)) continue;
    for (uint32_t s = 0; s < o->nslots; s++) {
      gc_object *t = gc_slot_get(o, s);
      if (t && gc_is_tracked(t)) {
        snprintf(err, errlen,
                 "untracked object %p slot %u holds tracked object %p (an "
                 "untracked object may hold untracked objects only)",
                 (void *)o, s, (void *)t);
        return -1;
      }
    }
  }
  return 0;
}

/* The unreachable untracked objects on a cycle of untracked objects, or
 * reached from one: what is left of the unreachable untracked subgraph
 * once every object no other of them refers to is peeled off, again and
 * again (Kahn's order; what remains has a cycle above it).  Returns the
 * count, or -1 when out of memory; *first gets one on a cycle's path. */
static long long untracked_cycles(const live_set *ls, gc_object **first) {
  size_t *indeg = calloc(ls->n + 1, sizeof *indeg);
  size_t *queue = malloc((ls->n + 1) * sizeof *queue);
  if (!indeg || !queue) {
    free(indeg);
    free(queue);
    return -1;
  }
#define IN_SET(i) (!ls->reach[i] && !gc_is_tracked(ls->objs[i]))
  size_t candidates = 0;
  for (size_t i = 0; i < ls->n; i++) {
    if (!IN_SET(i)) continue;
    candidates++;
    gc_object *o = ls->objs[i];
    for (uint32_t s = 0; s < o->nslots; s++) {
      gc_object *t = gc_slot_get(o, s);
      size_t j = t ? map_get(&ls->index, t) : (size_t)-1;
      if (j != (size_t)-1 && IN_SET(j)) indeg[j]++;
    }
  }
  size_t head = 0, tail = 0;
  for (size_t i = 0; i < ls->n; i++)
    if (IN_SET(i) && indeg[i] == 0) queue[tail++] = i;
  while (head < tail) {
    gc_object *o = ls->objs[queue[head++]];
    for (uint32_t s = 0; s < o->nslots; s++) {
      gc_object *t = gc_slot_get(o, s);
      size_t j = t ? map_get(&ls->index, t) : (size_t)-1;
      if (j != (size_t)-1 && IN_SET(j) && --indeg[j] == 0) queue[tail++] = j;
    }
  }
  *first = NULL;
  for (size_t i = 0; i < ls->n && !*first; i++)
    if (IN_SET(i) && indeg[i] > 0) *first = ls->objs[i];
#undef IN_SET
  free(indeg);
  free(queue);
  return (long long)(candidates - tail);
}

int gc_oracle_check(gc_heap *h, int flags, gc_oracle_report *rep) {
  memset(rep, 0, sizeof *rep);
  live_set ls;
  if (live_build(h, &ls, rep->error, sizeof rep->error) != 0) {
    live_free(&ls);
    return -1;
  }
  rep->live = ls.n;
  for (size_t i = 0; i < ls.n; i++) rep->reachable += ls.reach[i];
  rep->unreachable = rep->live - rep->reachable;
  for (size_t i = 0; i < ls.n; i++)
    if (!ls.reach[i]) rep->unreachable_bytes += gc_object_bytes(ls.objs[i]);
  int rc = check_untracked_slots(&ls, rep->error, sizeof rep->error);
  if ((flags & GC_ORACLE_COMPLETE) && rep->unreachable) {
    gc_object *cyc = NULL;
    long long broken = untracked_cycles(&ls, &cyc);
    if (broken < 0) {
      snprintf(rep->error, sizeof rep->error, "oracle: out of memory");
      live_free(&ls);
      return -1;
    }
    rep->broken_promise = (uint64_t)broken;
    /* The collector's fault: unreachable objects not explained by an
     * untracked cycle. */
    for (size_t i = 0; i < ls.n && rc == 0; i++)
      if (!ls.reach[i] && rep->unreachable > rep->broken_promise) {
        if (!gc_is_tracked(ls.objs[i]) && broken) continue;
        snprintf(rep->error, sizeof rep->error,
                 "%llu unreachable objects survived a full collection "
                 "(first: %p, refcnt %u)",
                 (unsigned long long)(rep->unreachable - rep->broken_promise),
                 (void *)ls.objs[i], ls.objs[i]->refcnt);
      }
    if (rc == 0 && rep->error[0] == 0 && broken)
      snprintf(rep->error, sizeof rep->error,
               "broken acyclic promise: %llu unreachable untracked objects "
               "lie on or hang from a cycle of untracked objects (first: "
               "%p), which no collector frees; untracked objects must lie "
               "on no cycle",
               (unsigned long long)broken, (void *)cyc);
    rc = -1;
  }
  if (flags & GC_ORACLE_COUNTS) {
    uint64_t *expect = calloc(ls.n + 1, sizeof *expect);
    if (!expect) {
      snprintf(rep->error, sizeof rep->error, "oracle: out of memory");
      live_free(&ls);
      return -1;
    }
    for (size_t i = 0; i < ls.n; i++) {
      gc_object *o = ls.objs[i];
      for (uint32_t s = 0; s < o->nslots; s++) {
        gc_object *t = gc_slot_get(o, s);
        size_t j = t ? map_get(&ls.index, t) : (size_t)-1;
        if (t && j == (size_t)-1) {
          if (rc == 0)
            snprintf(rep->error, sizeof rep->error,
                     "object %p slot %u refers to %p, which is not live",
                     (void *)o, s, (void *)t);
          rc = -1;
        } else if (t) {
          expect[j]++;
        }
      }
    }
    for (size_t r = 0, nr = gc_root_count(h); r < nr; r++) {
      size_t j = map_get(&ls.index, gc_root_get(h, r));
      if (j != (size_t)-1) expect[j] += gc_root_refs(h, r);
    }
    for (size_t r = 0, ng = gc_garbage_count(h); r < ng; r++) {
      size_t j = map_get(&ls.index, gc_garbage_get(h, r));
      if (j != (size_t)-1) expect[j]++;
    }
    for (size_t i = 0; i < ls.n; i++) {
      if (ls.objs[i]->refcnt == expect[i]) continue;
      if (rep->bad_counts++ == 0 && rc == 0)
        snprintf(rep->error, sizeof rep->error,
                 "object %p has refcnt %u but %llu references "
                 "(slots + roots)",
                 (void *)ls.objs[i], ls.objs[i]->refcnt,
                 (unsigned long long)expect[i]);
    }
    if (rep->bad_counts) rc = -1;
    free(expect);
  }
  live_free(&ls);
  return rc;
}

/* ======================================================================
 * Safety across a collection
 * ==================================================================== */

struct gc_oracle_snapshot {
  uint64_t finalizers_run; /* the heap's counts when the snapshot was taken */
  uint64_t allocated;
  size_t n;
  const gc_object **objs; /* reachable before */
  size_t *slot_start;     /* objs[i]'s slots are slots[slot_start[i]..] */
  gc_object **slots;
  uint32_t *nslots;
  char error[512];
};

gc_oracle_snapshot *gc_oracle_before(gc_heap *h) {
  gc_oracle_snapshot *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->finalizers_run = gc_heap_get_stats(h)->finalizers_run;
  s->allocated = gc_heap_get_stats(h)->objects_allocated;
  live_set ls;
  if (live_build(h, &ls, s->error, sizeof s->error) != 0) {
    live_free(&ls);
    return s; /* the error is reported by gc_oracle_after */
  }
  size_t n = 0, nslots = 0;
  for (size_t i = 0; i < ls.n; i++)
    if (ls.reach[i]) {
      n++;
      nslots += ls.objs[i]->nslots;
    }
  s->objs = malloc((n + 1) * sizeof *s->objs);
  s->slot_start = malloc((n + 1) * sizeof *s->slot_start);
  s->nslots = malloc((n + 1) * sizeof *s->nslots);
  s->slots = malloc((nslots + 1) * sizeof *s->slots);
  if (!s->objs || !s->slot_start || !s->nslots || !s->slots) {
    snprintf(s->error, sizeof s->error, "oracle: out of memory");
    live_free(&ls);
    return s;
  }
  size_t k = 0, at = 0;
  for (size_t i = 0; i < ls.n; i++) {
    if (!ls.reach[i]) continue;
    gc_object *o = ls.objs[i];
    s->objs[k] = o;
    s->slot_start[k] = at;
    s->nslots[k] = o->nslots;
    memcpy(s->slots + at, gc_slots(o), o->nslots * sizeof(gc_object *));
    at += o->nslots;
    k++;
  }
  s->n = n;
  live_free(&ls);
  return s;
}

static void snapshot_free(gc_oracle_snapshot *s) {
  free(s->objs);
  free(s->slot_start);
  free(s->slots);
  free(s->nslots);
  free(s);
}

static void note_one(gc_object *o, void *arg) {
  map_put(arg, o, 1);
}

/* 1 if o was reachable when s was taken (a linear search: error path). */
static int was_reachable(const gc_oracle_snapshot *s, const gc_object *o) {
  for (size_t i = 0; i < s->n; i++)
    if (s->objs[i] == o) return 1;
  return 0;
}

/* No reference outlived its target.  Every reference the oracle can see --
 * a slot of a live object, a root-table entry, a gc.garbage entry -- was
 * counted in its target's refcnt when it was made, so a live object's
 * refcnt is at least the references it receives (more if the mutator holds
 * some outside the root table).  A reference that outlived its target
 * points either at freed memory (not live: reported) or, once a new object
 * took the address, at an object whose count never counted it: the sum
 * then exceeds the count.  Address reuse cannot hide a wrong free from
 * this check, whereas a liveness check alone sees a live object there.
 * Returns 0, or -1 with err set. */
static int check_no_stale_refs(gc_heap *h, const live_set *ls,
                               const gc_oracle_snapshot *s, char *err,
                               size_t errlen) {
  uint64_t *seen = calloc(ls->n + 1, sizeof *seen);
  if (!seen) {
    snprintf(err, errlen, "oracle: out of memory");
    return -1;
  }
  int rc = 0;
  for (size_t i = 0; i < ls->n && rc == 0; i++) {
    gc_object *o = ls->objs[i];
    for (uint32_t k = 0; k < o->nslots; k++) {
      gc_object *t = gc_slot_get(o, k);
      if (!t) continue;
      size_t j = map_get(&ls->index, t);
      if (j == (size_t)-1) {
        snprintf(err, errlen,
                 "safety: live object %p slot %u refers to %p, which is not "
                 "live (freed during the collection)",
                 (void *)o, k, (void *)t);
        rc = -1;
        break;
      }
      seen[j]++;
    }
  }
  size_t nroots = gc_root_count(h), ngarb = gc_garbage_count(h);
  for (size_t r = 0; r < nroots + ngarb && rc == 0; r++) {
    gc_object *o =
        r < nroots ? gc_root_get(h, r) : gc_garbage_get(h, r - nroots);
    size_t j = o ? map_get(&ls->index, o) : (size_t)-1;
    /* a counted root entry holds its object that many times */
    if (j != (size_t)-1) seen[j] += r < nroots ? gc_root_refs(h, r) : 1;
  }
  const gc_heap_stats *st = gc_heap_get_stats(h);
  for (size_t i = 0; i < ls->n && rc == 0; i++) {
    gc_object *o = ls->objs[i];
    if (seen[i] <= o->refcnt) continue;
    snprintf(err, errlen,
             "safety: object %p has refcnt %u but %llu references from live "
             "objects, the root table and gc.garbage: at least %llu of "
             "them outlived the object they were made to, which was freed "
             "during the collection (%s; %llu objects allocated during it, "
             "one of which took the address)",
             (void *)o, o->refcnt, (unsigned long long)seen[i],
             (unsigned long long)(seen[i] - o->refcnt),
             was_reachable(s, o) ? "the address held a reachable object "
                                   "before it"
                                 : "a reference made before it",
             (unsigned long long)(st->objects_allocated - s->allocated));
    rc = -1;
  }
  free(seen);
  return rc;
}

int gc_oracle_after(gc_heap *h, gc_oracle_snapshot *s, char *err,
                    size_t errlen) {
  if (!s) {
    snprintf(err, errlen, "oracle: out of memory");
    return -1;
  }
  if (s->error[0]) {
    snprintf(err, errlen, "%s", s->error);
    snapshot_free(s);
    return -1;
  }
  const gc_heap_stats *st = gc_heap_get_stats(h);
  if (st->finalizers_run != s->finalizers_run ||
      st->objects_allocated != s->allocated) {
    /* Finalizers ran during the collection: as mutators they may have
     * changed slots, dropped references and allocated, so "as before" no
     * longer holds, and an address reachable before may now hold a new
     * object.  Check the state they left instead: everything reachable
     * now is live, and no reference outlived its target. */
    live_set ls;
    int rc = live_build(h, &ls, err, errlen);
    if (rc == 0) rc = check_no_stale_refs(h, &ls, s, err, errlen);
    live_free(&ls);
    snapshot_free(s);
    return rc;
  }
  /* Nothing was allocated, so no address changed hands: an address that
   * is live now holds the object it held before. */
  addr_map live;
  if (map_init(&live, st->live_objects) != 0) {
    snprintf(err, errlen, "oracle: out of memory");
    snapshot_free(s);
    return -1;
  }
  gc_heap_foreach(h, note_one, &live);
  int rc = 0;
  for (size_t i = 0; i < s->n && rc == 0; i++) {
    const gc_object *o = s->objs[i];
    if (map_get(&live, o) == (size_t)-1) {
      snprintf(err, errlen,
               "safety: object %p was reachable before the collection and "
               "is gone after it",
               (const void *)o);
      rc = -1;
    } else if (o->nslots != s->nslots[i] ||
               memcmp(gc_slots((gc_object *)o), s->slots + s->slot_start[i],
                      o->nslots * sizeof(gc_object *)) != 0) {
      snprintf(err, errlen,
               "safety: the slots of reachable object %p changed during the "
               "collection",
               (const void *)o);
      rc = -1;
    }
  }
  map_free(&live);
  snapshot_free(s);
  return rc;
}
