/*
 * fuzz_mutations.c -- reads its input as a mutation program and runs it
 * under a collector, checking the oracle after every collection.
 *
 * Byte 0 picks the collector (modulo the registry), byte 1 the automatic
 * collection threshold (small, so automatic collections happen often).
 * Then each operation is one opcode byte and its operand bytes:
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
 * Operands are taken modulo the current sizes.  Every external reference
 * the program holds is in the root table, so the oracle's exact-count
 * check holds at every collection.  Any violation aborts with the oracle's
 * message.  Built as a libFuzzer target with clang, and as a replayer of
 * the committed corpus (replay.c) in every build.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gc.h"
#include "oracle.h"
#include "params.h"

#define MAX_ROOTS 64
#define MAX_OBJECTS 2048

typedef struct prog {
  const uint8_t *p, *end;
} prog;

static unsigned next_byte(prog *pr) {
  return pr->p < pr->end ? *pr->p++ : 0;
}

static void fail(const char *collector, const char *what, const char *err) {
  fprintf(stderr, "fuzz_mutations: collector %s: %s: %s\n", collector, what,
          err);
  abort();
}

typedef struct hook_ctx {
  const char *collector;
  gc_oracle_snapshot *snap;
} hook_ctx;

static void on_collect(gc_heap *h, int phase, int gen, void *arg) {
  (void)gen;
  hook_ctx *c = arg;
  if (phase == 0) {
    c->snap = gc_oracle_before(h);
    return;
  }
  char err[512];
  if (gc_oracle_after(h, c->snap, err, sizeof err) != 0)
    fail(c->collector, "safety", err);
  c->snap = NULL;
  gc_oracle_report rep;
  if (gc_oracle_check(h, GC_ORACLE_COUNTS, &rep) != 0)
    fail(c->collector, "counts after a collection", rep.error);
}

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

static void full_check(gc_heap *h, const char *collector) {
  gc_collect(h, GC_FULL);
  gc_oracle_report rep;
  int flags = GC_ORACLE_COUNTS;
  if (strcmp(collector, "none") != 0) flags |= GC_ORACLE_COMPLETE;
  if (gc_oracle_check(h, flags, &rep) != 0)
    fail(collector, "after a full collection", rep.error);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  prog pr = {data, data + size};
  size_t ci = next_byte(&pr) % gc_collector_count();
  const char *collector = gc_collector_name(ci);
  char tun[128], err[256];
  small_thresholds(ci, next_byte(&pr), tun, sizeof tun);
  gc_heap *h = gc_heap_new(collector, tun, err, sizeof err);
  if (!h) fail(collector, "gc_heap_new", err);
  hook_ctx ctx = {collector, NULL};
  gc_set_collect_hook(h, on_collect, &ctx);
  while (pr.p < pr.end) {
    size_t nr = gc_root_count(h);
    unsigned op = next_byte(&pr) % 8;
    switch (op) {
      case 0: {
        unsigned ns = next_byte(&pr) % 4;
        if (nr >= MAX_ROOTS ||
            gc_heap_get_stats(h)->live_objects >= MAX_OBJECTS)
          break;
        gc_object *o = gc_new(h, ns, 8);
        if (!o) fail(collector, "gc_new", "returned NULL");
        if (gc_root_push_steal(h, o) < 0) fail(collector, "root push", "oom");
        break;
      }
      case 1: {
        unsigned a = next_byte(&pr), s = next_byte(&pr), b = next_byte(&pr);
        if (!nr) break;
        gc_object *o = gc_root_get(h, a % nr);
        if (o && o->nslots)
          gc_slot_set(h, o, s % o->nslots, gc_root_get(h, b % nr));
        break;
      }
      case 2: {
        unsigned a = next_byte(&pr), s = next_byte(&pr);
        if (!nr) break;
        gc_object *o = gc_root_get(h, a % nr);
        if (o && o->nslots) gc_slot_set(h, o, s % o->nslots, NULL);
        break;
      }
      case 3: {
        unsigned a = next_byte(&pr);
        if (!nr) break;
        size_t i = a % nr;
        gc_root_set(h, i, gc_root_get(h, nr - 1));
        gc_root_truncate(h, nr - 1);
        break;
      }
      case 4:
        gc_collect(h, (int)(next_byte(&pr) % 2));
        break;
      case 5:
        full_check(h, collector);
        break;
      case 6: {
        unsigned a = next_byte(&pr), s = next_byte(&pr);
        if (!nr || nr >= MAX_ROOTS) break;
        gc_object *o = gc_root_get(h, a % nr);
        if (o && o->nslots) gc_root_push(h, gc_slot_get(o, s % o->nslots));
        break;
      }
      case 7: {
        unsigned a = next_byte(&pr), b = next_byte(&pr);
        if (!nr) break;
        gc_root_set(h, a % nr, gc_root_get(h, b % nr));
        break;
      }
    }
  }
  full_check(h, collector);
  gc_root_truncate(h, 0);
  full_check(h, collector);
  gc_heap_free(h);
  return 0;
}
