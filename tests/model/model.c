/*
 * model.c -- the model-based mutator of model.h: a shadow model of the
 * heap, the operations (each updates the model, then calls the heap), the
 * hostile finalizer, and the checks.
 *
 * Every operation updates the model first and then calls gc/gc.h, so that
 * a finalizer the call runs sees the model as the call leaves the heap.
 * The model never simulates reference counting: it learns which objects
 * the heap freed by asking the heap (gc_heap_foreach), and then checks
 * that none of them was reachable.  Objects are known by their serial
 * (the heap's allocation count, written at the start of every payload by
 * the tunable cookie=1), so an address the allocator hands out again is
 * never mistaken for the object that had it before.
 *
 * Do not use this mutator as a benchmark: it checks the whole heap after
 * every step.
 */
#include "model.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gc.h"
#include "params.h"

#define MAX_LIVE 160     /* objects alive at once (model and heap) */
#define MAX_ROOTS 48     /* root entries the mutator grows to */
#define MAX_TEMPS 24     /* temporaries */
#define MAX_FIN_DEPTH 4  /* finalizers nested deeper do nothing */
#define FIN_BUDGET 64    /* finalizer actions per step */

/* ======================================================================
 * Sources of choices
 * ==================================================================== */

void model_src_seed(model_src *s, uint64_t seed) {
  memset(s, 0, sizeof *s);
  s->state = seed * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
}

void model_src_bytes(model_src *s, const uint8_t *data, size_t n) {
  memset(s, 0, sizeof *s);
  s->p = data;
  s->end = data + n;
}

static uint64_t splitmix(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint32_t model_draw(model_src *s, uint32_t bound) {
  if (bound <= 1) return 0;
  if (!s->p) return (uint32_t)(((splitmix(&s->state) >> 32) * bound) >> 32);
  uint32_t v = 0;
  for (uint32_t b = bound - 1; b; b >>= 8) {
    if (s->p == s->end) {
      s->exhausted = 1;
      return 0;
    }
    v = v << 8 | *s->p++;
  }
  return v % bound;
}

/* ======================================================================
 * Configurations
 * ==================================================================== */

size_t model_config_count(void) {
  size_t np;
  gc_profile_list(&np);
  return gc_collector_count() + np;
}

const char *model_config_name(size_t i) {
  size_t nc = gc_collector_count(), np;
  const gc_profile *p = gc_profile_list(&np);
  if (i < nc) return gc_collector_name(i);
  return i - nc < np ? p[i - nc].name : NULL;
}

long model_config_find(const char *name) {
  for (size_t i = 0; i < model_config_count(); i++)
    if (strcmp(model_config_name(i), name) == 0) return (long)i;
  return -1;
}

/* The collector's index behind configuration i. */
static size_t config_collector(size_t i) {
  size_t nc = gc_collector_count(), np;
  if (i < nc) return i;
  const gc_profile *p = gc_profile_list(&np);
  for (size_t c = 0; c < nc; c++)
    if (strcmp(gc_collector_name(c), p[i - nc].collector) == 0) return c;
  return 0;
}

int model_parse_avoid(const char *list, unsigned *avoid) {
  *avoid = 0;
  const char *p = list;
  while (*p) {
    size_t n = strcspn(p, ",");
    if (n == 4 && strncmp(p, "move", n) == 0)
      *avoid |= MODEL_AVOID_MOVE;
    else if (n == 11 && strncmp(p, "steal-cycle", n) == 0)
      *avoid |= MODEL_AVOID_STEAL_CYCLE;
    else if (n == 13 && strncmp(p, "truncate-push", n) == 0)
      *avoid |= MODEL_AVOID_TRUNCATE_PUSH;
    else if (n == 3 && strncmp(p, "all", n) == 0)
      *avoid |= MODEL_AVOID_MOVE | MODEL_AVOID_STEAL_CYCLE |
                MODEL_AVOID_TRUNCATE_PUSH;
    else if (!(n == 4 && strncmp(p, "none", n) == 0) && n != 0)
      return -1;
    p += n;
    if (*p == ',') p++;
  }
  return 0;
}

/* ======================================================================
 * The model
 * ==================================================================== */

typedef struct mobj {
  gc_object *p;   /* NULL: never made, or freed by the heap */
  uint64_t *slot; /* serials of the slots' targets, 0 for NULL */
  uint32_t nslots;
  uint32_t ix;    /* index in m->alive */
  uint32_t mark;  /* == m->epoch: reachable */
  uint32_t seen;  /* == m->epoch: gc_heap_foreach visited it */
  uint64_t count; /* expected refcnt, derived at each check */
  uint32_t umark; /* == m->uepoch: seen by the promise's walk */
  uint8_t fin, finalized, noted;
  uint8_t untracked, kind; /* gc_is_tracked's answer; GC_KIND_* */
} mobj;

typedef struct mroot {
  uint64_t id; /* 0: NULL */
  uint32_t k;
} mroot;

/* A growable array of T. */
#define VEC(T) struct { T *v; size_t n, cap; }

typedef struct model {
  gc_heap *h;
  const model_opts *opt;
  model_src *src;
  const char *name;
  char tunables[512];
  int is_none, legacy, notes, use_fin, has_buffer;
  int tuple_untracked, dict_untracked; /* the heap's tunables */
  uint64_t tracked_by_store;           /* stores that tracked a holder */
  int learn;                           /* check(): a collection just ran */
  uint32_t uepoch;
  mobj *obj; /* by serial; obj[0] unused */
  size_t nobj, capobj;
  VEC(uint64_t) alive;
  VEC(mroot) root;
  VEC(uint64_t) temp;
  VEC(uint64_t) held; /* objects a running finalizer is on */
  VEC(uint64_t) garb; /* gc.garbage */
  VEC(uint64_t) work;
  VEC(uint64_t) uwork; /* the promise's walk */
  uint32_t epoch;
  uint64_t step;
  int in_collection;     /* between the collect hook's two calls */
  uint64_t fin_in_coll;  /* finalizers run in the current collection */
  int truncating;        /* gc_root_truncate calls under way */
  size_t trunc_limit;    /* lowest n of those */
  int fin_depth;
  int fin_budget;
  uint64_t collections, finalizers;
  uint64_t noted_objects, noted_bytes; /* what the run noted, summed */
} model;

static void fail(model *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

static void fail(model *m, const char *fmt, ...) {
  char what[768], msg[1536];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  snprintf(msg, sizeof msg,
           "model: %s [%s] seed %llu step %llu: %s", m->name, m->tunables,
           (unsigned long long)m->opt->seed, (unsigned long long)m->step,
           what);
  m->opt->fail(msg);
  abort(); /* fail() must not return */
}

static void *grow(model *m, void *v, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) return v;
  size_t c = *cap ? *cap : 16;
  while (c < need) c *= 2;
  void *n = realloc(v, c * elem);
  if (!n) fail(m, "out of memory in the model");
  *cap = c;
  return n;
}
#define VPUSH(m, vec, x)                                                    \
  do {                                                                      \
    (vec).v = grow(m, (vec).v, &(vec).cap, (vec).n + 1, sizeof *(vec).v);   \
    (vec).v[(vec).n++] = (x);                                               \
  } while (0)

static uint32_t draw(model *m, uint32_t bound) {
  return model_draw(m->src, bound);
}
static int chance(model *m, uint32_t in) { return draw(m, in) == 0; }

static uint64_t serial_of(gc_object *o) {
  uint64_t s;
  memcpy(&s, gc_payload(o), sizeof s);
  return s;
}

/* The live object `id`, checked to be the one the model knows (its
 * cookie intact: not freed, not written over). */
static gc_object *ptr(model *m, uint64_t id) {
  if (!id) return NULL;
  mobj *o = &m->obj[id];
  if (!o->p) fail(m, "the mutator used object #%llu, freed", (unsigned long long)id);
  if (!gc_cookie_ok(m->h, o->p) || serial_of(o->p) != id)
    fail(m,
         "object #%llu was freed (its payload cookie is gone) while the model "
         "holds it reachable",
         (unsigned long long)id);
  return o->p;
}

static void forget(model *m, uint64_t id) {
  mobj *o = &m->obj[id];
  uint64_t last = m->alive.v[--m->alive.n];
  m->alive.v[o->ix] = last;
  m->obj[last].ix = o->ix;
  free(o->slot);
  o->slot = NULL;
  o->p = NULL;
}

static void temp_remove(model *m, size_t i) {
  m->temp.v[i] = m->temp.v[--m->temp.n];
}

/* ======================================================================
 * Reachability on the model
 * ==================================================================== */

static void reach_from(model *m, uint64_t id) {
  if (!id || m->obj[id].mark == m->epoch) return;
  m->obj[id].mark = m->epoch;
  VPUSH(m, m->work, id);
}

/* Marks (mark == epoch) every object reachable from the roots, the
 * temporaries, the finalizers' objects and gc.garbage.  Returns how many. */
static size_t mark_reachable(model *m) {
  m->work.n = 0;
  for (size_t i = 0; i < m->root.n; i++) reach_from(m, m->root.v[i].id);
  for (size_t i = 0; i < m->temp.n; i++) reach_from(m, m->temp.v[i]);
  for (size_t i = 0; i < m->held.n; i++) reach_from(m, m->held.v[i]);
  for (size_t i = 0; i < m->garb.n; i++) reach_from(m, m->garb.v[i]);
  size_t n = 0;
  while (m->work.n) {
    mobj *o = &m->obj[m->work.v[--m->work.n]];
    n++;
    for (uint32_t i = 0; i < o->nslots; i++) reach_from(m, o->slot[i]);
  }
  return n;
}

/* ======================================================================
 * Checks
 * ==================================================================== */

static void seen_cb(gc_object *o, void *arg) {
  model *m = arg;
  uint64_t s = gc_payload_size(o) >= 8 ? serial_of(o) : 0;
  if (!s || s >= m->nobj || m->obj[s].p != o)
    fail(m, "the heap holds object %p (serial %llu) the model never made",
         (void *)o, (unsigned long long)s);
  m->obj[s].seen = m->epoch;
}

/* Learn gc.garbage's new entries after a collection (legacy_finalizers=1):
 * the model's list must be a prefix of the heap's, and each new entry an
 * object with a finalizer that the model found unreachable. */
static void learn_garbage(model *m) {
  size_t n = gc_garbage_count(m->h);
  if (n < m->garb.n)
    fail(m, "gc.garbage shrank from %zu to %zu entries in a collection",
         m->garb.n, n);
  m->epoch++;
  mark_reachable(m);
  for (size_t i = 0; i < n; i++) {
    gc_object *o = gc_garbage_get(m->h, i);
    uint64_t s = o ? serial_of(o) : 0;
    if (!s || s >= m->nobj || m->obj[s].p != o)
      fail(m, "gc.garbage[%zu] is not an object the model knows", i);
    if (i < m->garb.n) {
      if (m->garb.v[i] != s)
        fail(m, "gc.garbage[%zu] changed in a collection", i);
      continue;
    }
    if (!m->legacy) fail(m, "gc.garbage grew without legacy_finalizers=1");
    if (!m->obj[s].fin)
      fail(m, "gc.garbage holds #%llu, which has no finalizer",
           (unsigned long long)s);
    if (m->obj[s].mark == m->epoch)
      fail(m, "gc.garbage took #%llu, which is reachable",
           (unsigned long long)s);
    VPUSH(m, m->garb, s);
  }
}

static void learn_untracked(model *m);

/* Everything the model can compare with the heap.  `where` names the
 * moment (after a step, before or after a collection). */
static void check(model *m, const char *where) {
  gc_heap *h = m->h;
  if (m->held.n) fail(m, "%s: check inside a finalizer", where);
  /* 1. Which objects the heap still has. */
  m->epoch++;
  gc_heap_foreach(h, seen_cb, m);
  uint32_t seen_epoch = m->epoch;
  /* 2. Reachability, then the objects the heap freed. */
  m->epoch++;
  size_t reachable = mark_reachable(m);
  for (size_t i = 0; i < m->alive.n;) {
    uint64_t id = m->alive.v[i];
    mobj *o = &m->obj[id];
    if (o->seen == seen_epoch) {
      i++;
      continue;
    }
    if (o->mark == m->epoch)
      fail(m, "%s: object #%llu (%u slots) was freed while reachable", where,
           (unsigned long long)id, o->nslots);
    if (o->fin && !o->finalized)
      fail(m, "%s: object #%llu was freed with its finalizer pending", where,
           (unsigned long long)id);
    forget(m, id); /* alive.v[i] is now another object */
  }
  const gc_heap_stats *st = gc_heap_get_stats(h);
  if (st->live_objects != m->alive.n)
    fail(m, "%s: live_objects is %llu, the heap's lists hold %zu", where,
         (unsigned long long)st->live_objects, m->alive.n);
  /* 3. Tracking: each object's, and the statistics. */
  if (m->learn) learn_untracked(m);
  m->learn = 0;
  uint64_t untracked = 0;
  for (size_t i = 0; i < m->alive.n; i++) {
    mobj *o = &m->obj[m->alive.v[i]];
    untracked += o->untracked;
    if (gc_is_tracked(o->p) == o->untracked)
      fail(m, "%s: #%llu is %s, the model says %s", where,
           (unsigned long long)m->alive.v[i],
           gc_is_tracked(o->p) ? "tracked" : "untracked",
           o->untracked ? "untracked" : "tracked");
  }
  if (st->live_untracked != untracked ||
      st->tracked_by_store != m->tracked_by_store)
    fail(m,
         "%s: live_untracked %llu and tracked_by_store %llu, the model "
         "counts %llu and %llu",
         where, (unsigned long long)st->live_untracked,
         (unsigned long long)st->tracked_by_store,
         (unsigned long long)untracked,
         (unsigned long long)m->tracked_by_store);
  /* 4. Slots, and the expected counts. */
  for (size_t i = 0; i < m->alive.n; i++) m->obj[m->alive.v[i]].count = 0;
  for (size_t i = 0; i < m->alive.n; i++) {
    uint64_t id = m->alive.v[i];
    mobj *o = &m->obj[id];
    if (!gc_cookie_ok(h, o->p))
      fail(m, "%s: object #%llu's payload cookie is damaged", where,
           (unsigned long long)id);
    if (o->p->nslots != o->nslots)
      fail(m, "%s: object #%llu has %u slots, made with %u", where,
           (unsigned long long)id, (unsigned)o->p->nslots, o->nslots);
    for (uint32_t s = 0; s < o->nslots; s++) {
      uint64_t t = o->slot[s];
      gc_object *want = t ? m->obj[t].p : NULL;
      if (t && !want)
        fail(m, "%s: #%llu.slot[%u] holds #%llu, which the heap freed",
             where, (unsigned long long)id, s, (unsigned long long)t);
      if (gc_slot_get(o->p, s) != want)
        fail(m, "%s: #%llu.slot[%u] is %p, the model says #%llu (%p)%s",
             where, (unsigned long long)id, s, (void *)gc_slot_get(o->p, s),
             (unsigned long long)t, (void *)want,
             o->mark == m->epoch ? " (reachable)" : "");
      if (t) m->obj[t].count++;
    }
  }
  /* 5. The root table. */
  if (gc_root_count(h) != m->root.n)
    fail(m, "%s: the root table has %zu entries, the model %zu", where,
         gc_root_count(h), m->root.n);
  for (size_t i = 0; i < m->root.n; i++) {
    mroot r = m->root.v[i];
    if (r.id && !m->obj[r.id].p)
      fail(m, "%s: root %zu holds #%llu, freed", where, i,
           (unsigned long long)r.id);
    gc_object *want = r.id ? m->obj[r.id].p : NULL;
    if (gc_root_get(h, i) != want || gc_root_refs(h, i) != r.k)
      fail(m,
           "%s: root entry %zu holds %p x%u, the model says #%llu (%p) x%u",
           where, i, (void *)gc_root_get(h, i), gc_root_refs(h, i),
           (unsigned long long)r.id, (void *)want, r.k);
    if (r.id) m->obj[r.id].count += r.k;
  }
  if (gc_root_refs(h, m->root.n) != 0 || gc_root_get(h, m->root.n))
    fail(m, "%s: the root entry past the end is not empty", where);
  for (size_t i = 0; i < m->temp.n; i++) m->obj[m->temp.v[i]].count++;
  if (gc_garbage_count(h) != m->garb.n)
    fail(m, "%s: gc.garbage has %zu entries, the model %zu", where,
         gc_garbage_count(h), m->garb.n);
  for (size_t i = 0; i < m->garb.n; i++) {
    if (gc_garbage_get(h, i) != m->obj[m->garb.v[i]].p)
      fail(m, "%s: gc.garbage[%zu] is not #%llu", where, i,
           (unsigned long long)m->garb.v[i]);
    m->obj[m->garb.v[i]].count++;
  }
  /* 6. Counts. */
  for (size_t i = 0; i < m->alive.n; i++) {
    uint64_t id = m->alive.v[i];
    mobj *o = &m->obj[id];
    if (o->p->refcnt != o->count)
      fail(m,
           "%s: object #%llu has refcnt %u, the model counts %llu (slots of "
           "live objects + root entries' k + temporaries + gc.garbage)%s",
           where, (unsigned long long)id, o->p->refcnt,
           (unsigned long long)o->count,
           o->mark == m->epoch ? "" : " (unreachable)");
  }
  /* 7. Unreclaimed garbage, exact when the run notes it. */
  if (m->notes) {
    uint64_t n = 0, bytes = 0, nn = 0, nb = 0;
    for (size_t i = 0; i < m->alive.n; i++) {
      mobj *o = &m->obj[m->alive.v[i]];
      if (o->mark == m->epoch) continue;
      n++;
      bytes += gc_object_bytes(o->p);
      if (!o->noted) {
        o->noted = 1;
        nn++;
        nb += gc_object_bytes(o->p);
      }
    }
    if (nn) gc_note_garbage(h, nn, nb);
    gc_unreclaimed u;
    gc_heap_unreclaimed(h, &u);
    if (u.objects != n || u.bytes != bytes || u.max_objects < n)
      fail(m,
           "%s: gc_heap_unreclaimed says %llu objects / %llu bytes (max "
           "%llu), the model finds %llu / %llu unreachable",
           where, (unsigned long long)u.objects, (unsigned long long)u.bytes,
           (unsigned long long)u.max_objects, (unsigned long long)n,
           (unsigned long long)bytes);
  }
  (void)reachable;
}

/* After a collection: gc.garbage, the usual checks, and completeness after
 * a full one that ran no finalizer. */
static void check_after(model *m, int gen) {
  learn_garbage(m);
  m->learn = 1; /* what it untracked, once the freed are forgotten */
  check(m, "after a collection");
  if (gen != GC_FULL || m->is_none || m->fin_in_coll) return;
  m->epoch++;
  size_t reachable = mark_reachable(m);
  if (reachable == m->alive.n) return;
  for (size_t i = 0; i < m->alive.n; i++) {
    mobj *o = &m->obj[m->alive.v[i]];
    if (o->mark != m->epoch)
      fail(m,
           "a full collection that ran no finalizer left %zu unreachable "
           "objects alive, e.g. #%llu (%u slots, refcnt %u)",
           m->alive.n - reachable, (unsigned long long)m->alive.v[i],
           o->nslots, o->p->refcnt);
  }
}

static void collect_hook(gc_heap *h, int phase, int gen, void *arg) {
  model *m = arg;
  (void)h;
  if (phase == 0) {
    if (m->in_collection) fail(m, "a collection started inside another");
    check(m, "before a collection");
    m->in_collection = 1;
    m->fin_in_coll = 0;
    m->collections++;
    return;
  }
  m->in_collection = 0;
  check_after(m, gen);
}

static void sample_hook(gc_heap *h, void *arg) {
  model *m = arg;
  (void)h;
  if (!m->held.n && !m->in_collection && !m->truncating)
    check(m, "at a sample");
}

/* ======================================================================
 * Operations: the model first, then the heap
 * ==================================================================== */

/* ======================================================================
 * Tracking, as the model predicts it (gc.h's invariants)
 * ==================================================================== */

/* Has the untracked tuple o no NULL slot (built: no store can track it)? */
static int built_tuple(const mobj *o) {
  if (!o->untracked || o->kind != GC_KIND_TUPLE) return 0;
  for (uint32_t i = 0; i < o->nslots; i++)
    if (!o->slot[i]) return 0;
  return 1;
}

/* CPython's _PyObject_GC_MAY_BE_TRACKED, as gcbench applies it for every
 * sequence of stores: all but an untracked object without slots and a
 * built untracked tuple. */
static int may_be_tracked(const mobj *o) {
  if (!o->untracked) return 1;
  return o->kind == GC_KIND_TUPLE ? !built_tuple(o) : o->nslots != 0;
}

/* During a collection (a finalizer's call), a tuple or dict the
 * collection has untracked already, learnt before the model predicts
 * with it (judged with the rest after the collection). */
static void learn_early(model *m, uint64_t id) {
  mobj *o = &m->obj[id];
  if (m->in_collection && id && !o->untracked && !gc_is_tracked(o->p) &&
      (o->kind == GC_KIND_TUPLE || o->kind == GC_KIND_DICT))
    o->untracked = 1;
}

/* Storing vid into oid's slot tracks oid (MAINTAIN_TRACKING). */
static int store_tracks(model *m, uint64_t oid, uint64_t vid) {
  const mobj *o = &m->obj[oid];
  if (!o->untracked || !vid) return 0;
  return may_be_tracked(&m->obj[vid]);
}

/* Does `from` reach `to` through slots (from == to included)? */
static int reaches(model *m, uint64_t from, uint64_t to) {
  m->uepoch++;
  m->uwork.n = 0;
  if (from) {
    m->obj[from].umark = m->uepoch;
    VPUSH(m, m->uwork, from);
  }
  while (m->uwork.n) {
    uint64_t id = m->uwork.v[--m->uwork.n];
    if (id == to) return 1;
    mobj *o = &m->obj[id];
    for (uint32_t i = 0; i < o->nslots; i++) {
      uint64_t t = o->slot[i];
      if (t && m->obj[t].umark != m->uepoch) {
        m->obj[t].umark = m->uepoch;
        VPUSH(m, m->uwork, t);
      }
    }
  }
  return 0;
}

/* Is id held by an untracked object?  Then tracking id would break the
 * invariant (an untracked object holds untracked ones only), which is the
 * mutator's to keep. */
static int held_by_untracked(model *m, uint64_t id) {
  for (size_t i = 0; i < m->alive.n; i++) {
    const mobj *o = &m->obj[m->alive.v[i]];
    if (!o->untracked) continue;
    for (uint32_t s = 0; s < o->nslots; s++)
      if (o->slot[s] == id) return 1;
  }
  return 0;
}

/* Would storing vid into oid's slot leave an untracked cycle (oid stays
 * untracked, and vid, untracked, reaches it)?  The mutator promises not
 * to. */
static int breaks_promise(model *m, uint64_t oid, uint64_t vid) {
  learn_early(m, oid);
  learn_early(m, vid);
  if (!vid || !m->obj[oid].untracked || store_tracks(m, oid, vid)) return 0;
  return m->obj[vid].untracked && reaches(m, vid, oid);
}

/* Would storing vid into oid's slot track oid, or unbuild it (a NULL),
 * while an untracked object holds it?  Only a built tuple can be so held
 * (the heap tracks the holder of anything else a store may track), and
 * writing into it is the mutator's to avoid (CPython's tuples are
 * immutable once built): the model skips the store. */
static int store_forbidden(model *m, uint64_t oid, uint64_t vid) {
  return built_tuple(&m->obj[oid]) && (!vid || store_tracks(m, oid, vid)) &&
         held_by_untracked(m, oid);
}

static void note_store(model *m, uint64_t oid, uint64_t vid) {
  if (!store_tracks(m, oid, vid)) return;
  m->obj[oid].untracked = 0;
  m->tracked_by_store++;
}

/* A new object, held as a temporary.  Returns its serial. */
static uint64_t op_new_ex(model *m, uint32_t nslots, uint32_t payload,
                          unsigned flags) {
  gc_object *p = flags ? gc_new_ex(m->h, nslots, payload, flags)
                       : gc_new(m->h, nslots, payload);
  if (!p)
    fail(m, "gc_new_ex(%u, %u, %#x) returned NULL", nslots, payload, flags);
  uint64_t id = gc_heap_get_stats(m->h)->objects_allocated;
  if (serial_of(p) != id)
    fail(m, "gc_new's payload starts with serial %llu, not %llu",
         (unsigned long long)serial_of(p), (unsigned long long)id);
  m->obj = grow(m, m->obj, &m->capobj, id + 1, sizeof *m->obj);
  while (m->nobj <= id) memset(&m->obj[m->nobj++], 0, sizeof *m->obj);
  mobj *o = &m->obj[id];
  o->p = p;
  o->nslots = nslots;
  o->slot = calloc(nslots ? nslots : 1, sizeof *o->slot);
  if (!o->slot) fail(m, "out of memory in the model");
  o->ix = (uint32_t)m->alive.n;
  o->kind = flags & GC_NEW_TUPLE  ? GC_KIND_TUPLE
            : flags & GC_NEW_DICT ? GC_KIND_DICT
            : flags               ? GC_KIND_ATOM
                                  : GC_KIND_PLAIN;
  o->untracked = (flags & GC_NEW_UNTRACKED) ||
                 (o->kind == GC_KIND_TUPLE && m->tuple_untracked) ||
                 (o->kind == GC_KIND_DICT && m->dict_untracked);
  if (gc_is_tracked(p) == o->untracked)
    fail(m, "gc_new_ex(%#x) made #%llu %s, the model says %s", flags,
         (unsigned long long)id, gc_is_tracked(p) ? "tracked" : "untracked",
         o->untracked ? "untracked" : "tracked");
  VPUSH(m, m->alive, id);
  VPUSH(m, m->temp, id);
  return id;
}

static uint64_t op_new(model *m, uint32_t nslots, uint32_t payload) {
  return op_new_ex(m, nslots, payload, 0);
}

/* gc_untrack: refused while a slot holds an object that may be tracked,
 * and maybe by a running collection (a finalizer's call) for an object in
 * the set it examines; never called when it would make an untracked
 * cycle. */
static void op_untrack(model *m, uint64_t id) {
  mobj *o = &m->obj[id];
  learn_early(m, id);
  for (uint32_t i = 0; i < o->nslots; i++) learn_early(m, o->slot[i]);
  int want = GC_OK;
  for (uint32_t i = 0; i < o->nslots; i++)
    if (o->slot[i] && may_be_tracked(&m->obj[o->slot[i]])) want = GC_EINVAL;
  if (o->untracked) want = GC_OK;
  if (want == GC_OK && !o->untracked)
    for (uint32_t i = 0; i < o->nslots; i++)
      if (o->slot[i] && reaches(m, o->slot[i], id)) return;
  int got = gc_untrack(m->h, ptr(m, id));
  if (got == GC_EINVAL && want == GC_OK && m->in_collection && !o->untracked)
    return; /* in the collection's set */
  if (got != want)
    fail(m, "gc_untrack(#%llu) returned %d, the model expects %d",
         (unsigned long long)id, got, want);
  if (got == GC_OK) o->untracked = 1;
}

static void op_track(model *m, uint64_t id) {
  learn_early(m, id);
  if (m->obj[id].untracked && held_by_untracked(m, id)) return;
  if (gc_track(m->h, ptr(m, id)) != GC_OK)
    fail(m, "gc_track(#%llu) failed", (unsigned long long)id);
  m->obj[id].untracked = 0;
}

/* After a collection: the tuples and dicts it untracked, each of which
 * must have met CPython's test (no slot may be tracked; a tuple has no
 * NULL slot), judged once all are known (a tuple of tuples untracked in
 * the same pass). */
static void learn_untracked(model *m) {
  size_t n = 0;
  for (size_t i = 0; i < m->alive.n; i++) {
    mobj *o = &m->obj[m->alive.v[i]];
    if (!o->p || o->untracked || gc_is_tracked(o->p)) continue;
    if (o->kind != GC_KIND_TUPLE && o->kind != GC_KIND_DICT)
      fail(m, "a collection untracked #%llu, neither tuple nor dict",
           (unsigned long long)m->alive.v[i]);
    o->untracked = 2; /* learnt: judged below */
    n++;
  }
  for (size_t i = 0; n && i < m->alive.n; i++) {
    mobj *o = &m->obj[m->alive.v[i]];
    if (o->untracked != 2) continue;
    for (uint32_t s = 0; s < o->nslots; s++) {
      uint64_t t = o->slot[s];
      if ((!t && o->kind == GC_KIND_TUPLE) ||
          (t && (m->obj[t].untracked == 2 ? 0 : may_be_tracked(&m->obj[t]))))
        fail(m, "a collection untracked #%llu, whose slot %u holds %s",
             (unsigned long long)m->alive.v[i], s,
             t ? "an object that may be tracked" : "NULL");
    }
  }
  for (size_t i = 0; n && i < m->alive.n; i++)
    if (m->obj[m->alive.v[i]].untracked == 2)
      m->obj[m->alive.v[i]].untracked = 1;
}

static void op_incref(model *m, uint64_t id) {
  VPUSH(m, m->temp, id);
  gc_incref(ptr(m, id));
}

static void op_decref(model *m, size_t ti) {
  gc_object *p = ptr(m, m->temp.v[ti]);
  temp_remove(m, ti);
  gc_decref(m->h, p);
}

static void op_slot_set(model *m, uint64_t oid, uint32_t i, uint64_t vid) {
  if (breaks_promise(m, oid, vid)) vid = 0;
  if (store_forbidden(m, oid, vid)) return;
  gc_object *o = ptr(m, oid), *v = ptr(m, vid);
  note_store(m, oid, vid);
  m->obj[oid].slot[i] = vid;
  if (gc_slot_set(m->h, o, i, v) != GC_OK)
    fail(m, "gc_slot_set(#%llu, %u) failed", (unsigned long long)oid, i);
}

/* o.slot[i] = temporary ti (or NULL when ti is -1), stolen. */
static void op_slot_steal(model *m, uint64_t oid, uint32_t i, long ti) {
  gc_object *o = ptr(m, oid);
  if (ti >= 0 && breaks_promise(m, oid, m->temp.v[ti])) ti = -1;
  uint64_t vid = ti >= 0 ? m->temp.v[ti] : 0;
  learn_early(m, oid);
  if (store_forbidden(m, oid, vid)) return;
  gc_object *v = ptr(m, vid);
  if (ti >= 0) temp_remove(m, (size_t)ti);
  note_store(m, oid, vid);
  m->obj[oid].slot[i] = vid;
  if (m->opt->avoid & MODEL_AVOID_STEAL_CYCLE) {
    if (gc_slot_set(m->h, o, i, v) != GC_OK) fail(m, "gc_slot_set failed");
    gc_decref(m->h, v);
  } else if (gc_slot_steal(m->h, o, i, v) != GC_OK) {
    fail(m, "gc_slot_steal(#%llu, %u) failed", (unsigned long long)oid, i);
  }
}

/* Pushes: the returned index is checked only outside truncations (during
 * one, where the heap puts a pushed entry is settled when it returns). */
static void check_index(model *m, long got, const char *call) {
  if (got < 0) fail(m, "%s failed (%ld)", call, got);
  if (!m->truncating && (size_t)got != m->root.n - 1)
    fail(m, "%s returned index %ld, the model's entry is %zu", call, got,
         m->root.n - 1);
}

static void op_push(model *m, uint64_t vid, uint32_t k) {
  gc_object *v = ptr(m, vid);
  mroot r = {vid, k};
  VPUSH(m, m->root, r);
  check_index(m, k == 1 && chance(m, 2) ? gc_root_push(m->h, v)
                                        : gc_root_push_n(m->h, v, k),
              "gc_root_push");
}

static void op_push_steal(model *m, long ti, uint32_t k) {
  uint64_t vid = ti >= 0 ? m->temp.v[ti] : 0;
  gc_object *v = ptr(m, vid);
  if (ti >= 0) temp_remove(m, (size_t)ti);
  mroot r = {vid, k};
  VPUSH(m, m->root, r);
  check_index(m, k == 1 && chance(m, 2) ? gc_root_push_steal(m->h, v)
                                        : gc_root_push_n_steal(m->h, v, k),
              "gc_root_push_steal");
}

static void op_root_set(model *m, size_t i, uint64_t vid) {
  gc_object *v = ptr(m, vid);
  m->root.v[i].id = vid;
  if (gc_root_set(m->h, i, v) != GC_OK) fail(m, "gc_root_set(%zu) failed", i);
}

static void op_root_set_steal(model *m, size_t i, long ti) {
  uint64_t vid = ti >= 0 ? m->temp.v[ti] : 0;
  gc_object *v = ptr(m, vid);
  if (ti >= 0) temp_remove(m, (size_t)ti);
  m->root.v[i].id = vid; /* the entry keeps its k */
  if (gc_root_set_steal(m->h, i, v) != GC_OK)
    fail(m, "gc_root_set_steal(%zu) failed", i);
}

static void op_move(model *m, size_t from, size_t to) {
  if (from != to) {
    m->root.v[to] = m->root.v[from];
    m->root.v[from].id = 0;
    m->root.v[from].k = 1;
  }
  if (gc_root_move(m->h, from, to) != GC_OK)
    fail(m, "gc_root_move(%zu, %zu) failed", from, to);
}

static void op_truncate(model *m, size_t n) {
  size_t limit = m->trunc_limit;
  if (!m->truncating || n < limit) m->trunc_limit = n;
  m->root.n = n; /* pushes from finalizers land at n, n+1, ... */
  m->truncating++;
  gc_root_truncate(m->h, n);
  m->truncating--;
  m->trunc_limit = limit;
}

static void op_collect(model *m, int gen) {
  uint64_t before = gc_heap_get_stats(m->h)->collections;
  uint64_t freed = gc_collect(m->h, gen);
  uint64_t after = gc_heap_get_stats(m->h)->collections;
  if (m->held.n) {
    if (freed || after != before)
      fail(m, "gc_collect inside a finalizer ran a collection");
  } else if (after != before + 1) {
    fail(m, "gc_collect(%d) ran %llu collections", gen,
         (unsigned long long)(after - before));
  }
}

static void op_add_finalizer(model *m, uint64_t id) {
  m->obj[id].fin = 1;
  gc_object_add_finalizer(m->h, ptr(m, id));
}

/* ======================================================================
 * Choosing
 * ==================================================================== */

/* Root entries a call may name by index: all of them, except during a
 * truncation, where only those below its n have a settled index. */
static size_t root_limit(model *m) {
  return m->truncating ? m->trunc_limit : m->root.n;
}

/* A reachable object (serial), or 0: a random start among the roots, the
 * temporaries and the finalizers' objects, then a short random walk. */
static uint64_t pick(model *m) {
  size_t nr = root_limit(m), n = nr + m->temp.n + m->held.n;
  if (!n) return 0;
  size_t i = draw(m, (uint32_t)n);
  uint64_t id = i < nr ? m->root.v[i].id
                : i < nr + m->temp.n ? m->temp.v[i - nr]
                                     : m->held.v[i - nr - m->temp.n];
  for (uint32_t steps = draw(m, 4); id && steps; steps--) {
    mobj *o = &m->obj[id];
    if (!o->nslots) break;
    uint64_t t = o->slot[draw(m, o->nslots)];
    if (!t) break;
    id = t;
  }
  if (id) ptr(m, id); /* checks it is still there */
  return id;
}

/* A reachable object with slots, or 0. */
static uint64_t pick_holder(model *m) {
  for (int tries = 0; tries < 4; tries++) {
    uint64_t id = pick(m);
    if (id && m->obj[id].nslots) return id;
  }
  return 0;
}

static uint32_t pick_nslots(model *m) {
  return chance(m, 8) ? 4 + draw(m, 12) : draw(m, 4);
}

static uint32_t pick_k(model *m) {
  return chance(m, 3) ? 2 + draw(m, 3) : 1;
}

static long pick_temp(model *m) {
  return m->temp.n ? (long)draw(m, (uint32_t)m->temp.n) : -1;
}

static int room(model *m) { return m->alive.n < MAX_LIVE; }

/* May this call push a root (or move and set by index)? */
static int may_push(model *m) {
  return !(m->truncating && (m->opt->avoid & MODEL_AVOID_TRUNCATE_PUSH));
}

/* With --avoid=move: entries whose count is 1. */
static int move_ok(model *m, size_t from, size_t to) {
  return !(m->opt->avoid & MODEL_AVOID_MOVE) ||
         (m->root.v[from].k == 1 && m->root.v[to].k == 1);
}

/* ======================================================================
 * The hostile finalizer
 * ==================================================================== */

static void finalizer(gc_heap *h, gc_object *p, void *arg) {
  model *m = arg;
  (void)h;
  uint64_t id = serial_of(p);
  if (!id || id >= m->nobj || m->obj[id].p != p)
    fail(m, "a finalizer ran on %p, which the model does not know", (void *)p);
  mobj *o = &m->obj[id];
  if (!o->fin) fail(m, "a finalizer ran on #%llu, which has none", (unsigned long long)id);
  if (o->finalized)
    fail(m, "the finalizer of #%llu ran twice", (unsigned long long)id);
  /* Under legacy_finalizers=1 a collection runs no finalizer of the
   * garbage it found; one may still run during a collection for an object
   * whose count reached zero there (the garbage held the last reference to
   * an older object, as tp_clear drops it in Python 2), and then the heap
   * holds it by the one temporary reference of a release (count 1), where
   * a collection's finalization would hold it by its hold and a reference
   * from the garbage. */
  if (m->legacy && m->in_collection && p->refcnt != 1)
    fail(m, "a collection ran a finalizer under legacy_finalizers=1");
  o->finalized = 1;
  m->finalizers++;
  if (m->in_collection) m->fin_in_coll++;
  VPUSH(m, m->held, id);
  /* m->obj moves when an object is made: no pointer into it from here */
  m->fin_depth++;
  for (uint32_t a = draw(m, 4); a && m->fin_depth <= MAX_FIN_DEPTH &&
                                m->fin_budget > 0;
       a--) {
    m->fin_budget--;
    size_t lim = root_limit(m);
    switch (draw(m, 12)) {
    case 10: { /* untrack itself (garbage: maybe refused) or another */
      uint64_t t = chance(m, 2) ? id : pick(m);
      if (t) op_untrack(m, t);
      break;
    }
    case 11: { /* track itself or another */
      uint64_t t = chance(m, 2) ? id : pick(m);
      if (t) op_track(m, t);
      break;
    }
    case 0: { /* resurrect: into a reachable object's slot */
      uint64_t t = pick_holder(m);
      if (t) op_slot_set(m, t, draw(m, m->obj[t].nslots), id);
      break;
    }
    case 1: /* resurrect: push itself */
      if (may_push(m)) op_push(m, id, pick_k(m));
      break;
    case 2: /* store into its own slot */
      if (m->obj[id].nslots) op_slot_set(m, id, draw(m, m->obj[id].nslots), pick(m));
      break;
    case 3: { /* allocate, hang it on o, push it, or keep it */
      if (!room(m)) break;
      uint64_t n = op_new(m, pick_nslots(m), draw(m, 24));
      if (chance(m, 3) && !m->notes) op_add_finalizer(m, n);
      /* while it is a temporary: o and the new object refer to each other */
      if (m->obj[n].nslots) op_slot_set(m, n, 0, id);
      uint32_t how = draw(m, 3);
      if (how == 0 && m->obj[id].nslots)
        op_slot_steal(m, id, draw(m, m->obj[id].nslots), (long)m->temp.n - 1);
      else if (how == 1 && may_push(m))
        op_push_steal(m, (long)m->temp.n - 1, pick_k(m));
      break;
    }
    case 4: /* drop a temporary */
      if (m->temp.n) op_decref(m, (size_t)pick_temp(m));
      break;
    case 5: /* drop a root entry, or clear its own slot */
      if (lim && chance(m, 2))
        op_root_set(m, draw(m, (uint32_t)lim), 0);
      else if (m->obj[id].nslots)
        op_slot_set(m, id, draw(m, m->obj[id].nslots), 0);
      break;
    case 6: /* collect: must not start a collection */
      op_collect(m, (int)draw(m, 4) - 1);
      break;
    case 7: { /* push something reachable */
      uint64_t t = pick(m);
      if (may_push(m) && m->root.n < MAX_ROOTS) op_push(m, t, pick_k(m));
      break;
    }
    case 8: /* move or truncate among the settled entries */
      if (lim >= 2 && may_push(m)) {
        size_t f = draw(m, (uint32_t)lim), t = draw(m, (uint32_t)lim);
        if (move_ok(m, f, t)) op_move(m, f, t);
      } else if (!m->truncating && m->root.n) {
        op_truncate(m, m->root.n - 1 - draw(m, (uint32_t)(m->root.n < 3 ? m->root.n : 3)));
      }
      break;
    default: { /* set a root entry to o itself, stealing a new reference */
      if (!lim || !may_push(m)) break;
      size_t i = draw(m, (uint32_t)lim);
      if (!move_ok(m, i, i)) break;
      op_incref(m, id);
      op_root_set_steal(m, i, (long)m->temp.n - 1);
      break;
    }
    }
  }
  m->fin_depth--;
  m->held.n--;
}

/* ======================================================================
 * The mutator
 * ==================================================================== */

/* A tunable's value drawn from its declared range, kept small. */
static void draw_tunable(model *m, const gc_param_def *d, char *out,
                         size_t n) {
  if (chance(m, 5)) {
    snprintf(out, n, "%s", d->def);
    return;
  }
  if (d->kind == GC_P_INT) {
    double hi = d->max < d->min + 64 ? d->max : d->min + 64;
    long long v = (long long)d->min + (long long)draw(m, (uint32_t)(hi - d->min) + 1);
    snprintf(out, n, "%lld", v);
  } else if (d->kind == GC_P_REAL) {
    double hi = d->max < d->min + 4 ? d->max : d->min + 4;
    snprintf(out, n, "%.4g", d->min + (hi - d->min) * draw(m, 1001) / 1000.0);
  } else {
    snprintf(out, n, "%s", d->def);
  }
}

static void add_tunable(model *m, const char *name, const char *val) {
  size_t len = strlen(m->tunables);
  snprintf(m->tunables + len, sizeof m->tunables - len, "%s%s=%s",
           len ? "," : "", name, val);
}

static void draw_tunables(model *m, size_t c, int own) {
  size_t n;
  const gc_param_def *d = gc_collector_tunables(c, &n);
  char val[64];
  m->tunables[0] = 0;
  for (size_t i = 0; i < n; i++)
    if (own && chance(m, 2)) {
      draw_tunable(m, &d[i], val, sizeof val);
      add_tunable(m, d[i].name, val);
    }
  m->legacy = chance(m, 5);
  m->use_fin = !chance(m, 4);
  m->notes = !m->use_fin;
  d = gc_common_tunables(&n);
  for (size_t i = 0; i < n; i++) {
    const char *nm = d[i].name;
    if (strcmp(nm, "cookie") == 0)
      add_tunable(m, nm, "1");
    else if (strcmp(nm, "legacy_finalizers") == 0)
      add_tunable(m, nm, m->legacy ? "1" : "0");
    else if (strcmp(nm, "auto") == 0)
      add_tunable(m, nm, chance(m, 5) ? "0" : "1");
    else if (strcmp(nm, "tuple_untracked") == 0)
      add_tunable(m, nm, (m->tuple_untracked = chance(m, 2)) ? "1" : "0");
    else if (strcmp(nm, "dict_untracked") == 0)
      add_tunable(m, nm, (m->dict_untracked = chance(m, 2)) ? "1" : "0");
    else if (strcmp(nm, "count") == 0)
      add_tunable(m, nm, chance(m, 2) ? "tracked" : "trackable");
    else if (strcmp(nm, "allocator") == 0) {
      static const char *const alloc[] = {"jemalloc", "mimalloc", "libc"};
      /* heapwalk's objects are a mimalloc heap's blocks: no other */
      add_tunable(m, nm, gc_collector_walks_heap(m->name) ? "mimalloc"
                                                           : alloc[draw(m, 3)]);
    }
    /* failure injection and max_bytes: the model has no GC_ENOMEM */
  }
}

/* Tunables drawn at random; a combination the heap rejects (say
 * max_threshold below threshold) is drawn again, and after a few tries the
 * collector's own are left at their defaults. */
static void make_heap(model *m) {
  size_t c = config_collector(m->opt->config);
  char err[256];
  for (int tries = 0; !m->h; tries++) {
    draw_tunables(m, c, tries < 8);
    m->h = gc_heap_new(m->name, m->tunables, err, sizeof err);
    if (!m->h && tries >= 8) fail(m, "gc_heap_new: %s", err);
  }
  if (gc_heap_legacy_finalizers(m->h) != m->legacy)
    fail(m, "gc_heap_legacy_finalizers says %d", gc_heap_legacy_finalizers(m->h));
  if (!gc_heap_collector(m->h)) fail(m, "gc_heap_collector is NULL");
  m->is_none = strcmp(gc_collector_name(c), "none") == 0;
  m->has_buffer = gc_collector_has_root_buffer(m->name);
  gc_set_collect_hook(m->h, collect_hook, m);
  gc_set_finalizer(m->h, finalizer, m);
  if (chance(m, 3)) gc_set_sample_hook(m->h, 1 + draw(m, 40), sample_hook, m);
}


/* The heap's per-collection records against its statistics. */
static void check_records(model *m) {
  size_t n;
  const gc_collection_record *r = gc_heap_records(m->h, &n);
  const gc_heap_stats *st = gc_heap_get_stats(m->h);
  uint64_t freed = 0;
  for (size_t i = 0; i < n; i++) {
    freed += r[i].freed;
    if (r[i].generation != GC_FULL &&
        (r[i].generation < 0 || r[i].generation >= GC_NGENS))
      fail(m, "collection record %zu has generation %d", i, r[i].generation);
  }
  if (n != st->collections || n != m->collections || freed != st->freed_by_collector)
    fail(m,
         "%zu collection records freeing %llu; the statistics say %llu "
         "collections freeing %llu; the hook saw %llu",
         n, (unsigned long long)freed, (unsigned long long)st->collections,
         (unsigned long long)st->freed_by_collector,
         (unsigned long long)m->collections);
}

/* One step of the mutator, drawn from a table of operations. */
static void step(model *m) {
  gc_heap *h = m->h;
  m->fin_budget = FIN_BUDGET;
  size_t nr = m->root.n;
  switch (draw(m, 32)) {
  case 24:
  case 25: { /* allocate and hang on something reachable, or push */
    if (!room(m)) break;
    uint64_t o = pick_holder(m);
    uint64_t id = op_new(m, pick_nslots(m), draw(m, 32));
    if (m->use_fin && chance(m, 4)) op_add_finalizer(m, id);
    if (o && m->obj[o].p && chance(m, 2))
      op_slot_steal(m, o, draw(m, m->obj[o].nslots), (long)m->temp.n - 1);
    else if (nr < MAX_ROOTS)
      op_push_steal(m, (long)m->temp.n - 1, pick_k(m));
    break;
  }
  case 26:
  case 27:
  case 0:
  case 1: { /* allocate */
    if (!room(m) || m->temp.n >= MAX_TEMPS) break;
    uint64_t id = op_new(m, pick_nslots(m), draw(m, 32));
    if (m->use_fin && chance(m, 4)) op_add_finalizer(m, id);
    break;
  }
  case 2: { /* incref something reachable */
    uint64_t id = pick(m);
    if (id && m->temp.n < MAX_TEMPS) op_incref(m, id);
    break;
  }
  case 3:
  case 4: /* drop a temporary */
    if (m->temp.n) op_decref(m, (size_t)pick_temp(m));
    break;
  case 5:
  case 6: { /* store */
    uint64_t o = pick_holder(m);
    if (o) op_slot_set(m, o, draw(m, m->obj[o].nslots), chance(m, 5) ? 0 : pick(m));
    break;
  }
  case 7: { /* steal a temporary into a slot */
    uint64_t o = pick_holder(m);
    if (o) op_slot_steal(m, o, draw(m, m->obj[o].nslots), chance(m, 8) ? -1 : pick_temp(m));
    break;
  }
  case 8: { /* a cycle closed by steals: two new objects */
    if (m->alive.n + 2 > MAX_LIVE || m->temp.n + 2 > MAX_TEMPS) break;
    uint64_t a = op_new(m, 1 + draw(m, 2), 0);
    uint64_t b = op_new(m, 1 + draw(m, 2), 0);
    size_t tb = m->temp.n - 1, ta = m->temp.n - 2;
    (void)ta;
    op_slot_steal(m, a, 0, (long)tb); /* b's reference into a */
    for (size_t i = 0; i < m->temp.n; i++)
      if (m->temp.v[i] == a) {
        op_slot_steal(m, b, 0, (long)i);
        break;
      }
    break;
  }
  case 9:
  case 10: /* push */
    if (nr < MAX_ROOTS) op_push(m, chance(m, 8) ? 0 : pick(m), pick_k(m));
    break;
  case 11: /* push a temporary, stolen */
    if (nr < MAX_ROOTS) op_push_steal(m, chance(m, 8) ? -1 : pick_temp(m), pick_k(m));
    break;
  case 12: /* root set */
    if (nr) op_root_set(m, draw(m, (uint32_t)nr), chance(m, 4) ? 0 : pick(m));
    break;
  case 13: { /* root set, stolen */
    if (!nr) break;
    size_t i = draw(m, (uint32_t)nr);
    if (move_ok(m, i, i)) op_root_set_steal(m, i, chance(m, 6) ? -1 : pick_temp(m));
    break;
  }
  case 14: { /* move */
    if (!nr) break;
    size_t f = draw(m, (uint32_t)nr), t = draw(m, (uint32_t)nr);
    if (move_ok(m, f, t)) op_move(m, f, t);
    break;
  }
  case 15: /* truncate */
    if (nr) op_truncate(m, chance(m, 16) ? 0 : nr - 1 - draw(m, (uint32_t)(nr < 4 ? nr : 4)));
    break;
  case 16: /* collect: generation 0, 1, 2, GC_FULL, or out of range */
  case 17: {
    static const int gens[] = {0, 1, 2, GC_FULL, GC_FULL, GC_FULL, 3};
    op_collect(m, gens[draw(m, 7)]);
    break;
  }
  case 18: { /* a finalizer on something reachable */
    uint64_t id = pick(m);
    if (id && m->use_fin && !m->obj[id].fin) op_add_finalizer(m, id);
    break;
  }
  case 19: /* automatic collection on or off */
    if (chance(m, 2)) {
      int on = !chance(m, 3);
      gc_set_auto(h, on);
      if (gc_get_auto(h) != on) fail(m, "gc_get_auto is not %d", on);
    } else if (gc_root_reserve(h, draw(m, 100)) != 0) {
      fail(m, "gc_root_reserve failed");
    }
    break;
  case 20: /* gc.garbage */
    m->garb.n = 0;
    gc_garbage_clear(h);
    break;
  case 21: { /* every vertex buffered once */
    uint64_t n = gc_heap_buffer_all(h);
    if (!m->has_buffer ? n != 0 : n > m->alive.n)
      fail(m, "gc_heap_buffer_all offered %llu of %zu objects", (unsigned long long)n, m->alive.n);
    break;
  }
  case 28: { /* an atom, tuple or dict (maybe untracked), hung or pushed */
    static const unsigned kinds[] = {
        GC_NEW_UNTRACKED, GC_NEW_UNTRACKED, GC_NEW_TUPLE, GC_NEW_DICT,
        GC_NEW_TUPLE | GC_NEW_UNTRACKED, GC_NEW_DICT | GC_NEW_UNTRACKED};
    if (!room(m)) break;
    uint64_t o = pick_holder(m);
    uint64_t id = op_new_ex(m, pick_nslots(m), 8 + draw(m, 24),
                            kinds[draw(m, 6)]);
    if (m->use_fin && chance(m, 8)) op_add_finalizer(m, id);
    if (o && m->obj[o].p && chance(m, 2))
      op_slot_steal(m, o, draw(m, m->obj[o].nslots), (long)m->temp.n - 1);
    else if (nr < MAX_ROOTS)
      op_push_steal(m, (long)m->temp.n - 1, pick_k(m));
    break;
  }
  case 29: { /* untrack something reachable */
    uint64_t id = pick(m);
    if (id) op_untrack(m, id);
    break;
  }
  case 30: { /* track something reachable */
    uint64_t id = pick(m);
    if (id) op_track(m, id);
    break;
  }
  case 31: /* store into an untracked object: an atom, or anything */
    for (int tries = 0; tries < 4; tries++) {
      uint64_t o = pick_holder(m);
      if (!o || !m->obj[o].untracked) continue;
      uint32_t i = draw(m, m->obj[o].nslots);
      if (chance(m, 2) && room(m) && m->temp.n < MAX_TEMPS) {
        op_new_ex(m, draw(m, 2), 8, GC_NEW_UNTRACKED);
        op_slot_steal(m, o, i, (long)m->temp.n - 1);
      } else {
        op_slot_set(m, o, i, pick(m));
      }
      break;
    }
    break;
  case 22: /* finalizer off and on again, and the records */
    gc_set_finalizer(h, NULL, NULL);
    gc_set_finalizer(h, finalizer, m);
    check_records(m);
    break;
  default: /* several steps' worth of slot traffic on one object */
    for (int i = 0; i < 3; i++) {
      uint64_t o = pick_holder(m);
      if (o) op_slot_set(m, o, draw(m, m->obj[o].nslots), pick(m));
    }
    break;
  }
}

/* The run under way, for model_abandon. */
static model *current;

static void model_free(model *m) {
  if (m->h) gc_heap_free(m->h);
  for (size_t i = 1; i < m->nobj; i++) free(m->obj[i].slot);
  free(m->obj);
  free(m->alive.v);
  free(m->root.v);
  free(m->temp.v);
  free(m->held.v);
  free(m->garb.v);
  free(m->work.v);
  free(m->uwork.v);
  free(m);
}

void model_abandon(void) {
  if (!current) return;
  gc_set_collect_hook(current->h, NULL, NULL);
  gc_set_finalizer(current->h, NULL, NULL);
  gc_set_sample_hook(current->h, 0, NULL, NULL);
  model_free(current);
  current = NULL;
}

void model_run(const model_opts *opts, model_src *src, model_result *res) {
  model_abandon();
  model *m = calloc(1, sizeof *m);
  if (!m) {
    opts->fail("model: out of memory");
    abort();
  }
  current = m;
  m->opt = opts;
  m->src = src;
  m->name = model_config_name(opts->config);
  if (!m->name) {
    m->name = "?";
    fail(m, "no configuration %zu", opts->config);
  }
  make_heap(m);
  memset(res, 0, sizeof *res);
  snprintf(res->tunables, sizeof res->tunables, "%s", m->tunables);
  check(m, "at the start");
  int planted = 0;
  double live_sum = 0, roots_sum = 0;
  for (m->step = 1; m->step <= opts->steps && !src->exhausted; m->step++) {
    step(m);
    if (opts->plant && m->step >= (uint64_t)opts->plant && !planted) {
      uint64_t id = pick(m);
      if (id) gc_incref(m->obj[id].p); /* not told to the model */
      planted = id != 0;
    }
    check(m, "after a step");
    live_sum += m->alive.n;
    roots_sum += m->root.n;
  }
  uint64_t steps = m->step - 1;
  /* Drop everything (finalizers still run, but do nothing now), collect,
   * and the heap must be empty (but under `none`). */
  m->fin_budget = 0;
  for (int i = 0; i < 8 && (m->alive.n || m->root.n); i++) {
    op_truncate(m, 0);
    while (m->temp.n) op_decref(m, m->temp.n - 1);
    /* gc.garbage's cycles stay uncollectable until broken by hand */
    for (size_t g = 0; g < m->garb.n; g++)
      for (uint32_t s = 0; s < m->obj[m->garb.v[g]].nslots; s++)
        op_slot_set(m, m->garb.v[g], s, 0);
    m->garb.n = 0;
    gc_garbage_clear(m->h);
    check(m, "after dropping everything");
    op_collect(m, GC_FULL);
  }
  m->garb.n = 0;
  gc_garbage_clear(m->h);
  check(m, "at the end");
  check_records(m);
  if (!m->is_none && m->alive.n)
    fail(m, "%zu objects survive with nothing held", m->alive.n);
  res->steps = steps;
  res->mean_live = steps ? live_sum / (double)steps : 0;
  res->mean_roots = steps ? roots_sum / (double)steps : 0;
  res->collections = m->collections;
  res->finalizers = m->finalizers;
  res->objects = gc_heap_get_stats(m->h)->objects_allocated;
  gc_set_collect_hook(m->h, NULL, NULL);
  model_free(m);
  current = NULL;
}
