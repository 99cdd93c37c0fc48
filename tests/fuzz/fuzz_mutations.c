/*
 * fuzz_mutations.c -- reads its input as a mutation program and runs it
 * under a collector, checking the oracle after every collection.
 *
 * Two versions of the language, told apart by byte 0.
 *
 * Version 1 (byte 0 below 0x80), read exactly as it always was: byte 0
 * picks the collector (modulo the registry), byte 1 the automatic
 * collection threshold (small, so automatic collections happen often).
 * Then each operation is one opcode byte (modulo 8) and its operand bytes:
 *
 *   0 alloc NSLOTS        new object with NSLOTS % 4 slots, pushed as a root
 *   1 store A S B         roots[A].slot[S] = roots[B]
 *   2 clear A S           roots[A].slot[S] = NULL
 *   3 drop A              remove root A (the last root takes its place)
 *   4 collect G           partial collection of generation G % 2
 *   5 collect full        then completeness + exact counts
 *   6 walk A S            push roots[A].slot[S] as a new root
 *   7 move A B            roots[A] = roots[B]
 *
 * Version 2 (byte 0 from 0x80): byte 0's low 7 bits pick the collector (an
 * index below the registry's size as is, so inputs keep their collector
 * when collectors are added; larger ones modulo), byte 1 as in version 1,
 * byte 2 the number of tunable settings (modulo 8), each two bytes: which
 * tunable (table `knobs` below: index modulo 32; 0..22 name a tunable, 23
 * and up the collector's own list in order, so a new collector's tunables
 * are fuzzed too) and a byte mapped into a small interesting range.  A
 * setting the collector does not take is ignored.  Then operations, opcode
 * modulo 16: 0..7 as in version 1 except
 *
 *   0 alloc NSLOTS        NSLOTS below 0xc0: NSLOTS % 4 slots; else 4..67
 *   4 collect G           generation G % 4 (3: GC_FULL)
 *
 * and
 *
 *   8 finalizer A S0..S5  roots[A] gets a finalizer running script S0..S5
 *   9 fill A B K          roots[A].slot[i] = roots[B + i*K] for every i
 *                         (K = 0: every slot one target)
 *  10 hang A S NSLOTS     roots[A].slot[S] = a new object
 *  11 ring N              a ring of 1 + N % 8 new objects, pushed as a root
 *  12 garbage clear       empty gc.garbage (legacy_finalizers=1)
 *  13 auto X              automatic collection on (X odd) or off
 *  14 truncate K          keep the first K % (roots + 1) roots
 *  15 churn K             1 + K % 64 new objects dropped at once, every
 *                         other one a self-cycle (drives the triggers)
 *
 * A finalizer's script is three (action, argument) pairs, run when the
 * heap runs the finalizer (count reaching zero, or found unreachable):
 *
 *   0 nothing   1 resurrect (push itself as a root)
 *   2 store     o.slot[arg % n] = roots[arg / 4]
 *   3 clear     o.slot[arg % n] = NULL
 *   4 drop      remove root arg (releases may run other finalizers)
 *   5 allocate  arg % 4: a new root; a new object in o.slot; a new object
 *               hanging on o and o on it; a new garbage cycle whose head
 *               has a finalizer (o's script, rotated)
 *   6 collect   gc_collect(arg % 4): must not start a collection inside a
 *               finalizer
 *   7 walk      push o.slot[arg % n] as a root (resurrects another object)
 *
 * Checks: the oracle's safety check across every collection and exact
 * counts after it (every external reference the program holds is in the
 * root table whenever a collection can start); completeness after a full
 * collection that ran no finalizer (full collections repeat until one runs
 * none: a finalizer may drop references or build garbage behind the
 * collection's back); each finalizer runs once, only on an object given
 * one, while its object is held; no collection inside a finalizer; with
 * legacy_finalizers=1 no collection runs a finalizer, and gc.garbage holds
 * only objects with finalizers; an object is never freed with its
 * finalizer still pending.  Every object's payload starts with its
 * allocation serial (as the heap's cookie=1 writes it), which names the
 * finalizer records.  Allocation failures are allowed only when the input
 * asked for them (fail_alloc, fail_rate, max_bytes).  Any violation aborts
 * with a message.  Built as a libFuzzer target with clang, and as a
 * replayer of the committed corpus (replay.c) in every build.
 *
 * The corpus (corpus/fuzz_mutations): seed-* are version-1 programs; v2-*
 * are written by gen_mutations_corpus.py (rerun it after changing the
 * language); kill-* are inputs the fuzzer found against bugs planted on
 * purpose (trial trusting a trial whose stack failed to grow; a long run
 * of one target taken for "every slot one target"), kept because they
 * catch those bugs at once.  FUZZ_MUTATIONS_TRACE=1 in the environment
 * prints what each input reached.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gc.h"
#include "oracle.h"
#include "params.h"

#define MAX_ROOTS 64
#define MAX_OBJECTS 2048
#define MAX_FIN 128      /* objects with a pending finalizer at once */
#define MAX_FIN_RUNS 128 /* finalizer runs that act, per input */
#define MAX_FIN_DEPTH 32 /* finalizers nested deeper do nothing */
#define SCRIPT 6
#define PAYLOAD 8 /* the serial */

typedef struct prog {
  const uint8_t *p, *end;
} prog;

static unsigned next_byte(prog *pr) { return pr->p < pr->end ? *pr->p++ : 0; }

static void fail(const char *collector, const char *what, const char *err) {
  fprintf(stderr, "fuzz_mutations: collector %s: %s: %s\n", collector, what,
          err);
  abort();
}

/* A pending finalizer: the object's serial and its script. */
typedef struct fin_rec {
  uint64_t serial;
  uint8_t script[SCRIPT];
} fin_rec;

typedef struct run {
  gc_heap *h;
  const char *collector;
  int v2;
  int may_fail; /* the input asked for allocation failures */
  int cookie;   /* the heap writes the serials */
  int legacy;
  gc_oracle_snapshot *snap;
  int collecting; /* between the hook's two calls */
  fin_rec fin[MAX_FIN];
  size_t nfin;
  uint64_t fin_runs;
  int fin_depth;
} run;

/* ======================================================================
 * Objects
 * ==================================================================== */

static uint64_t serial_of(gc_object *o) {
  uint64_t s;
  memcpy(&s, gc_payload(o), sizeof s);
  return s;
}

/* A new object with an owned reference, its serial in the payload; NULL
 * at MAX_OBJECTS or on an allocation failure the input asked for. */
static gc_object *new_object(run *r, uint32_t nslots) {
  if (gc_heap_get_stats(r->h)->live_objects >= MAX_OBJECTS) return NULL;
  gc_object *o = gc_new(r->h, nslots, PAYLOAD);
  if (!o) {
    if (!r->may_fail) fail(r->collector, "gc_new", "returned NULL");
    return NULL;
  }
  if (!r->cookie) {
    uint64_t s = gc_heap_get_stats(r->h)->objects_allocated;
    memcpy(gc_payload(o), &s, sizeof s);
  }
  return o;
}

/* Push o as a root, stealing the reference; on a failure the input asked
 * for, drop it instead. */
static void push_steal(run *r, gc_object *o) {
  if (gc_root_push_steal(r->h, o) >= 0) return;
  if (!r->may_fail) fail(r->collector, "root push", "out of memory");
  gc_decref(r->h, o);
}

static void push(run *r, gc_object *o) {
  if (gc_root_push(r->h, o) < 0 && !r->may_fail)
    fail(r->collector, "root push", "out of memory");
}

/* Remove root i; the last root takes its place. */
static void drop_root(gc_heap *h, size_t i) {
  size_t nr = gc_root_count(h);
  gc_root_set(h, i, gc_root_get(h, nr - 1));
  gc_root_truncate(h, nr - 1);
}

static uint32_t slots_v2(unsigned b) {
  return b < 0xc0 ? b % 4 : 4 + (b - 0xc0);
}

/* ======================================================================
 * Finalizers
 * ==================================================================== */

static void give_finalizer(run *r, gc_object *o, const uint8_t *script) {
  if (!o || gc_has_flag(o, GC_F_FINALIZER) || r->nfin == MAX_FIN) return;
  fin_rec *f = &r->fin[r->nfin++];
  f->serial = serial_of(o);
  memcpy(f->script, script, SCRIPT);
  gc_object_add_finalizer(r->h, o);
}

static void fin_alloc(run *r, gc_object *o, unsigned arg,
                      const uint8_t *script) {
  gc_heap *h = r->h;
  uint32_t ns = o->nslots;
  switch (arg % 4) {
    case 0: { /* a new root */
      gc_object *n = new_object(r, (arg / 4) % 4);
      if (n) push_steal(r, n);
      break;
    }
    case 1: { /* a new object in o's slot */
      gc_object *n = ns ? new_object(r, (arg / 4) % 4) : NULL;
      if (n) gc_slot_steal(h, o, (arg / 4) % ns, n);
      break;
    }
    case 2: { /* o <-> a new object, held by nothing else */
      gc_object *n = ns ? new_object(r, 1) : NULL;
      if (!n) break;
      gc_slot_set(h, n, 0, o);
      gc_slot_steal(h, o, (arg / 4) % ns, n);
      break;
    }
    case 3: { /* a new garbage cycle whose head has a finalizer */
      gc_object *a = new_object(r, 1);
      gc_object *b = a ? new_object(r, 1) : NULL;
      if (!b) {
        gc_decref(h, a);
        break;
      }
      uint8_t rot[SCRIPT];
      for (int i = 0; i < SCRIPT; i++) rot[i] = script[(i + 2) % SCRIPT];
      give_finalizer(r, a, rot);
      gc_slot_steal(h, a, 0, b);
      gc_slot_set(h, b, 0, a);
      gc_decref(h, a);
      break;
    }
  }
}

static void finalizer(gc_heap *h, gc_object *o, void *arg) {
  run *r = arg;
  char msg[200];
  /* A count reaching zero holds its object with a count of 1 while the
   * finalizer runs (this happens during a collection too, when freeing
   * garbage releases an object only the garbage held); a collection's
   * finalization adds its hold to a count of at least 1. */
  if (r->legacy && r->collecting && o->refcnt != 1)
    fail(r->collector, "legacy_finalizers=1",
         "a collection ran the finalizer of an unreachable object (it must "
         "keep the object in gc.garbage instead)");
  if (!gc_has_flag(o, GC_F_FINALIZER) || !gc_has_flag(o, GC_F_FINALIZED) ||
      o->refcnt == 0) {
    snprintf(msg, sizeof msg,
             "finalizer called on %p with flags %#x, refcnt %u (wants "
             "FINALIZER, FINALIZED, held)",
             (void *)o, o->info & GC_INFO_FLAGS, o->refcnt);
    fail(r->collector, "finalizer", msg);
  }
  uint64_t serial = serial_of(o);
  size_t i = 0;
  while (i < r->nfin && r->fin[i].serial != serial) i++;
  if (i == r->nfin) {
    snprintf(msg, sizeof msg,
             "finalizer ran on object %p (serial %llu), which has none "
             "pending: a second run, or a damaged object",
             (void *)o, (unsigned long long)serial);
    fail(r->collector, "finalizer", msg);
  }
  uint8_t script[SCRIPT];
  memcpy(script, r->fin[i].script, SCRIPT);
  r->fin[i] = r->fin[--r->nfin];
  if (++r->fin_runs > MAX_FIN_RUNS || r->fin_depth >= MAX_FIN_DEPTH) return;
  r->fin_depth++;
  for (int k = 0; k < SCRIPT; k += 2) {
    unsigned act = script[k] % 8, a = script[k + 1];
    size_t nr = gc_root_count(h);
    uint32_t ns = o->nslots;
    switch (act) {
      case 0:
        break;
      case 1:
        if (nr < 2 * MAX_ROOTS) push(r, o);
        break;
      case 2:
        if (ns)
          gc_slot_set(h, o, a % ns, nr ? gc_root_get(h, (a / 4) % nr) : NULL);
        break;
      case 3:
        if (ns) gc_slot_set(h, o, a % ns, NULL);
        break;
      case 4:
        if (nr) drop_root(h, a % nr);
        break;
      case 5:
        fin_alloc(r, o, a, script);
        break;
      case 6: {
        uint64_t c0 = gc_heap_get_stats(h)->collections;
        gc_collect(h, a % 4 == 3 ? GC_FULL : (int)(a % 4));
        if (gc_heap_get_stats(h)->collections != c0)
          fail(r->collector, "finalizer",
               "gc_collect started a collection inside a finalizer");
        break;
      }
      case 7:
        if (ns && nr < 2 * MAX_ROOTS && gc_slot_get(o, a % ns))
          push(r, gc_slot_get(o, a % ns));
        break;
    }
  }
  r->fin_depth--;
}

/* ======================================================================
 * Checks
 * ==================================================================== */

static void on_collect(gc_heap *h, int phase, int gen, void *arg) {
  (void)gen;
  run *r = arg;
  if (phase == 0) {
    if (r->collecting)
      fail(r->collector, "collection", "a collection started inside another");
    r->collecting = 1;
    r->snap = gc_oracle_before(h);
    return;
  }
  r->collecting = 0;
  char err[512];
  if (gc_oracle_after(h, r->snap, err, sizeof err) != 0)
    fail(r->collector, "across a collection", err);
  r->snap = NULL;
  gc_oracle_report rep;
  if (gc_oracle_check(h, GC_ORACLE_COUNTS, &rep) != 0)
    fail(r->collector, "counts after a collection", rep.error);
}

typedef struct serial_set {
  uint64_t *v;
  size_t n;
} serial_set;

static void note_serial(gc_object *o, void *arg) {
  serial_set *s = arg;
  s->v[s->n++] = serial_of(o);
}

/* No object left the heap with its finalizer pending; gc.garbage holds
 * only objects with finalizers. */
static void check_finalizers(run *r) {
  gc_heap *h = r->h;
  for (size_t i = 0; i < gc_garbage_count(h); i++)
    if (!gc_has_flag(gc_garbage_get(h, i), GC_F_FINALIZER))
      fail(r->collector, "gc.garbage", "holds an object without a finalizer");
  if (!r->nfin) return;
  serial_set s = {
      malloc((gc_heap_get_stats(h)->live_objects + 1) * sizeof(uint64_t)), 0};
  if (!s.v) fail(r->collector, "check", "out of memory");
  gc_heap_foreach(h, note_serial, &s);
  for (size_t i = 0; i < r->nfin; i++) {
    size_t j = 0;
    while (j < s.n && s.v[j] != r->fin[i].serial) j++;
    if (j == s.n) {
      char msg[160];
      snprintf(msg, sizeof msg,
               "object with serial %llu was freed and its finalizer never "
               "ran",
               (unsigned long long)r->fin[i].serial);
      fail(r->collector, "finalizers", msg);
    }
  }
  free(s.v);
}

/* Full collections until one runs no finalizer (finalizers are mutators:
 * they may leave garbage a collection already decided about), then
 * completeness and exact counts. */
static void full_check(run *r) {
  gc_heap *h = r->h;
  const gc_heap_stats *st = gc_heap_get_stats(h);
  for (unsigned i = 0;; i++) {
    uint64_t ran = st->finalizers_run;
    gc_collect(h, GC_FULL);
    if (st->finalizers_run == ran) break;
    if (i > MAX_FIN_RUNS + MAX_OBJECTS)
      fail(r->collector, "full collection", "finalizers never stop running");
  }
  gc_oracle_report rep;
  int flags = GC_ORACLE_COUNTS;
  if (strcmp(r->collector, "none") != 0) flags |= GC_ORACLE_COMPLETE;
  if (gc_oracle_check(h, flags, &rep) != 0)
    fail(r->collector, "after a full collection", rep.error);
  check_finalizers(r);
}

/* ======================================================================
 * Tunables
 * ==================================================================== */

/* Tunables that make automatic collections frequent for this collector. */
static void small_thresholds(size_t ci, unsigned t, char *buf, size_t len) {
  size_t n;
  const gc_param_def *defs = gc_collector_tunables(ci, &n);
  buf[0] = 0;
  for (size_t i = 0; i < n; i++) {
    const char *name = defs[i].name;
    if (!strcmp(name, "threshold") || !strcmp(name, "threshold0")) {
      snprintf(buf + strlen(buf), len - strlen(buf), "%s%s=%u",
               buf[0] ? "," : "", name, 1 + t % 32);
    } else if (!strcmp(name, "threshold1") || !strcmp(name, "threshold2")) {
      snprintf(buf + strlen(buf), len - strlen(buf), "%s%s=%u",
               buf[0] ? "," : "", name, 1 + t % 3);
    }
  }
}

/* Version 2's tunables, by index (append only: inputs name them by
 * index).  Value from byte b: base + (b % mod) * mul, or for reals
 * (b % mod) / div. */
typedef struct knob {
  const char *name;
  int real;
  double base, mod, mul;
} knob;

static const knob knobs[] = {
    {"auto", 0, 0, 2, 1},
    {"legacy_finalizers", 0, 0, 2, 1},
    {"fail_collector", 1, 0, 17, 16},
    {"fail_seed", 0, 0, 256, 1},
    {"fail_alloc", 0, 1, 256, 4},
    {"fail_rate", 1, 0, 9, 64},
    {"max_bytes", 0, 2048, 256, 512},
    {"cookie", 0, 0, 2, 1},
    {"threshold", 0, 1, 32, 1},
    {"threshold0", 0, 1, 32, 1},
    {"threshold1", 0, 1, 4, 1},
    {"threshold2", 0, 1, 4, 1},
    {"adaptive", 0, 0, 3, 1}, /* 2: Nim ORC's rule */
    {"step", 0, 1, 16, 1},
    {"max_threshold", 0, 32, 256, 1},
    {"min_freed", 0, 0, 8, 1},
    {"min_yield", 1, 0, 11, 10},
    {"whole_heap", 1, 0, 9, 4},
    {"in_order", 0, 0, 9, 1},
    {"max_roots", 0, 0, 9, 1},
    {"growth", 1, 0, 9, 2},
    {"longlived", 0, 0, 2, 1},
    {"net_count", 0, 0, 2, 1},
};
#define NKNOBS (sizeof knobs / sizeof knobs[0])
#define KNOB_SPACE 32

static const gc_param_def *find_def(size_t ci, const char *name) {
  size_t n;
  const gc_param_def *d = gc_collector_tunables(ci, &n);
  for (size_t i = 0; i < n; i++)
    if (!strcmp(d[i].name, name)) return &d[i];
  d = gc_common_tunables(&n);
  for (size_t i = 0; i < n; i++)
    if (!strcmp(d[i].name, name)) return &d[i];
  return NULL;
}

/* "name=value" for setting (idx, b) of collector ci, or "" if it has no
 * such tunable. */
static void knob_text(size_t ci, unsigned idx, unsigned b, char *out,
                      size_t len) {
  out[0] = 0;
  const gc_param_def *d = NULL;
  const knob *k = NULL;
  idx %= KNOB_SPACE;
  if (idx < NKNOBS) {
    k = &knobs[idx];
    d = find_def(ci, k->name);
  } else {
    size_t n;
    const gc_param_def *own = gc_collector_tunables(ci, &n);
    if (!n) return;
    d = &own[(idx - NKNOBS) % n];
    for (size_t i = 0; i < NKNOBS && !k; i++)
      if (!strcmp(knobs[i].name, d->name)) k = &knobs[i];
  }
  if (!d || d->kind == GC_P_STR) return;
  double v;
  if (k) {
    v = k->real ? (double)(b % (unsigned)k->mod) / k->mul
                : k->base + (double)(b % (unsigned)k->mod) * k->mul;
  } else if (d->kind == GC_P_INT) { /* generic: the low end of the range */
    double span = d->max - d->min < 31 ? d->max - d->min : 31;
    v = d->min + (double)(b % ((unsigned)span + 1));
  } else {
    double span = d->max - d->min < 2 ? d->max - d->min : 2;
    v = d->min + span * (double)(b % 9) / 8;
  }
  if (v < d->min) v = d->min;
  if (v > d->max) v = d->max;
  snprintf(out, len, "%s=%.17g", d->name, v);
}

/* ======================================================================
 * The program
 * ==================================================================== */

/* What the final tunables (the last setting of a name wins) mean for the
 * checks. */
static void read_flags(run *r, const char *tun) {
  char copy[1024], *save = NULL;
  snprintf(copy, sizeof copy, "%s", tun);
  r->cookie = r->may_fail = 0;
  int fail_alloc = 0, fail_rate = 0, max_bytes = 0;
  for (char *t = strtok_r(copy, ",", &save); t;
       t = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(t, '=');
    if (!eq) continue;
    *eq = 0;
    int on = strtod(eq + 1, NULL) != 0;
    if (!strcmp(t, "cookie")) r->cookie = on;
    if (!strcmp(t, "fail_alloc")) fail_alloc = on;
    if (!strcmp(t, "fail_rate")) fail_rate = on;
    if (!strcmp(t, "max_bytes")) max_bytes = on;
  }
  r->may_fail = fail_alloc || fail_rate || max_bytes;
}

/* One operation. */
static void step(run *r, prog *pr) {
  gc_heap *h = r->h;
  size_t nr = gc_root_count(h);
  unsigned op = next_byte(pr) % (r->v2 ? 16 : 8);
  switch (op) {
    case 0: {
      unsigned b = next_byte(pr);
      uint32_t ns = r->v2 ? slots_v2(b) : b % 4;
      if (nr >= MAX_ROOTS || gc_heap_get_stats(h)->live_objects >= MAX_OBJECTS)
        break;
      gc_object *o = new_object(r, ns);
      if (o) push_steal(r, o);
      break;
    }
    case 1: {
      unsigned a = next_byte(pr), s = next_byte(pr), b = next_byte(pr);
      if (!nr) break;
      gc_object *o = gc_root_get(h, a % nr);
      if (o && o->nslots)
        gc_slot_set(h, o, s % o->nslots, gc_root_get(h, b % nr));
      break;
    }
    case 2: {
      unsigned a = next_byte(pr), s = next_byte(pr);
      if (!nr) break;
      gc_object *o = gc_root_get(h, a % nr);
      if (o && o->nslots) gc_slot_set(h, o, s % o->nslots, NULL);
      break;
    }
    case 3: {
      unsigned a = next_byte(pr);
      if (!nr) break;
      drop_root(h, a % nr);
      break;
    }
    case 4: {
      unsigned g = next_byte(pr);
      if (!r->v2)
        gc_collect(h, (int)(g % 2));
      else
        gc_collect(h, g % 4 == 3 ? GC_FULL : (int)(g % 4));
      break;
    }
    case 5:
      full_check(r);
      break;
    case 6: {
      unsigned a = next_byte(pr), s = next_byte(pr);
      if (!nr || nr >= MAX_ROOTS) break;
      gc_object *o = gc_root_get(h, a % nr);
      if (o && o->nslots) push(r, gc_slot_get(o, s % o->nslots));
      break;
    }
    case 7: {
      unsigned a = next_byte(pr), b = next_byte(pr);
      if (!nr) break;
      gc_root_set(h, a % nr, gc_root_get(h, b % nr));
      break;
    }
    case 8: {
      unsigned a = next_byte(pr);
      uint8_t script[SCRIPT];
      for (int i = 0; i < SCRIPT; i++) script[i] = (uint8_t)next_byte(pr);
      if (nr) give_finalizer(r, gc_root_get(h, a % nr), script);
      break;
    }
    case 9: {
      unsigned a = next_byte(pr), b = next_byte(pr), k = next_byte(pr);
      gc_object *o = nr ? gc_root_get(h, a % nr) : NULL;
      if (!o) break;
      gc_incref(o); /* a finalizer run by a release may drop its root */
      for (uint32_t i = 0; i < o->nslots && (nr = gc_root_count(h)); i++)
        gc_slot_set(h, o, i, gc_root_get(h, (b + (size_t)i * k) % nr));
      gc_decref(h, o);
      break;
    }
    case 10: {
      unsigned a = next_byte(pr), s = next_byte(pr), b = next_byte(pr);
      gc_object *n = nr ? new_object(r, slots_v2(b)) : NULL;
      if (!n) break;
      /* The allocation may have collected and run finalizers: look again. */
      nr = gc_root_count(h);
      gc_object *o = nr ? gc_root_get(h, a % nr) : NULL;
      if (o && o->nslots)
        gc_slot_steal(h, o, s % o->nslots, n);
      else
        gc_decref(h, n);
      break;
    }
    case 11: {
      unsigned len = 1 + next_byte(pr) % 8;
      if (nr >= MAX_ROOTS) break;
      /* Built with automatic collection held off, so that no finalizer
       * can drop the ring's root while its members are held here. */
      int was_auto = gc_get_auto(h);
      gc_set_auto(h, 0);
      gc_object *first = new_object(r, 1), *tail = first;
      for (unsigned i = 1; tail && i < len; i++) {
        gc_object *o = new_object(r, 1);
        if (!o) break;
        gc_slot_steal(h, tail, 0, o);
        tail = o;
      }
      if (first) {
        gc_slot_set(h, tail, 0, first);
        push_steal(r, first);
      }
      if (was_auto) gc_set_auto(h, 1);
      break;
    }
    case 12:
      gc_garbage_clear(h);
      break;
    case 13:
      gc_set_auto(h, (int)(next_byte(pr) & 1));
      break;
    case 14: {
      unsigned k = next_byte(pr);
      gc_root_truncate(h, k % (nr + 1));
      break;
    }
    case 15: {
      unsigned k = 1 + next_byte(pr) % 64;
      for (unsigned i = 0; i < k; i++) {
        gc_object *o = new_object(r, 1);
        if (!o) break;
        if (i % 2) gc_slot_set(h, o, 0, o);
        gc_decref(h, o);
      }
      break;
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  prog pr = {data, data + size};
  static run r;
  memset(&r, 0, sizeof r);
  unsigned b0 = next_byte(&pr);
  r.v2 = b0 >= 0x80;
  size_t nc = gc_collector_count();
  size_t ci =
      r.v2 ? ((b0 & 0x7f) < nc ? (b0 & 0x7f) : (b0 & 0x7f) % nc) : b0 % nc;
  r.collector = gc_collector_name(ci);
  char tun[1024], err[256];
  small_thresholds(ci, next_byte(&pr), tun, sizeof tun);
  size_t base_len = strlen(tun);
  if (r.v2) {
    unsigned m = next_byte(&pr) % 8;
    for (unsigned i = 0; i < m; i++) {
      unsigned idx = next_byte(&pr), b = next_byte(&pr);
      char kv[128];
      knob_text(ci, idx, b, kv, sizeof kv);
      if (kv[0])
        snprintf(tun + strlen(tun), sizeof tun - strlen(tun), "%s%s",
                 tun[0] ? "," : "", kv);
    }
  }
  gc_heap *h = gc_heap_new(r.collector, tun, err, sizeof err);
  if (!h && strlen(tun) != base_len) {
    /* Settings a future collector finds inconsistent together: run
     * without them rather than stop. */
    tun[base_len] = 0;
    h = gc_heap_new(r.collector, tun, err, sizeof err);
  }
  if (!h) fail(r.collector, "gc_heap_new", err);
  r.h = h;
  r.legacy = gc_heap_legacy_finalizers(h);
  read_flags(&r, tun);
  gc_set_collect_hook(h, on_collect, &r);
  gc_set_finalizer(h, finalizer, &r);
  while (pr.p < pr.end) step(&r, &pr);
  full_check(&r);
  gc_root_truncate(h, 0);
  full_check(&r);
  if (gc_garbage_count(h)) {
    gc_garbage_clear(h); /* kept again if still cyclic */
    full_check(&r);
  }
  if (getenv("FUZZ_MUTATIONS_TRACE")) { /* what an input reached */
    const gc_heap_stats *st = gc_heap_get_stats(h);
    fprintf(stderr,
            "v%d %s [%s] collections %llu finalizers %llu resurrected %llu "
            "uncollectable %llu injected %llu freed_by_collector %llu\n",
            r.v2 + 1, r.collector, tun, (unsigned long long)st->collections,
            (unsigned long long)st->finalizers_run,
            (unsigned long long)st->resurrected,
            (unsigned long long)st->uncollectable,
            (unsigned long long)st->injected_failures,
            (unsigned long long)st->freed_by_collector);
  }
  gc_heap_free(h);
  return 0;
}
