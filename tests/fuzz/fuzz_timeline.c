/*
 * fuzz_timeline.c -- feeds its input to the gctimeline parser (from
 * memory, no file) and, when it parses, replays it on a heap.
 *
 * Byte 0 picks the collector (modulo the registry) and, by its top bit,
 * payloads or none; the rest is the file.  A refused file must come
 * with a one-line message naming the input and a line, and leave nothing
 * allocated (the sanitizer build checks the parser freed its arrays).  A
 * replayed file must pass a full collection with the answer and the oracle
 * (completeness and exact counts), and the heap's unreclaimed-garbage count
 * must be exact (the workload notes its garbage).  Any violation aborts.
 * Built as a libFuzzer target with clang, and as a replayer of the
 * committed corpus (replay.c) in every build.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gc.h"
#include "oracle.h"
#include "timeline.h"
#include "workload.h"

static void fail(const char *collector, const char *what, const char *err) {
  fprintf(stderr, "fuzz_timeline: collector %s: %s: %s\n", collector, what,
          err);
  abort();
}

static void judge(gc_heap *h, const char *collector, const wl_answer *a) {
  int none = strcmp(collector, "none") == 0;
  gc_oracle_report rep;
  if (gc_oracle_check(h, GC_ORACLE_COUNTS, &rep) != 0)
    fail(collector, "oracle before the final collection", rep.error);
  gc_unreclaimed un;
  gc_heap_unreclaimed(h, &un);
  if (un.objects != rep.unreachable)
    fail(collector, "unreclaimed", "noted garbage != the oracle's unreachable");
  gc_collect(h, GC_FULL);
  const gc_heap_stats *st = gc_heap_get_stats(h);
  if (a->allocated != a->freed_by_rc + a->cyclic + a->live ||
      st->objects_allocated != a->allocated ||
      st->freed_by_rc != a->freed_by_rc ||
      st->freed_by_collector != (none ? 0 : a->cyclic) ||
      st->live_objects != a->live + (none ? a->cyclic : 0)) {
    char msg[256];
    snprintf(msg, sizeof msg,
             "stats %llu/%llu/%llu/%llu, answer %llu/%llu/%llu/%llu",
             (unsigned long long)st->objects_allocated,
             (unsigned long long)st->freed_by_rc,
             (unsigned long long)st->freed_by_collector,
             (unsigned long long)st->live_objects,
             (unsigned long long)a->allocated,
             (unsigned long long)a->freed_by_rc,
             (unsigned long long)a->cyclic, (unsigned long long)a->live);
    fail(collector, "answer", msg);
  }
  int flags = GC_ORACLE_COUNTS | (none ? 0 : GC_ORACLE_COMPLETE);
  if (gc_oracle_check(h, flags, &rep) != 0) fail(collector, "oracle", rep.error);
  if (rep.reachable != a->live) fail(collector, "oracle", "reachable != live");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  unsigned b = data[0];
  const char *collector = gc_collector_name(b % gc_collector_count());
  char err[512];
  timeline tl;
  int rc = timeline_parse((const char *)data + 1, size - 1, "input", &tl, err,
                          sizeof err);
  if (rc == -1) {
    if (strncmp(err, "input:", 6) != 0 || strchr(err, '\n'))
      fail("-", "bad refusal message", err);
    return 0;
  }
  if (rc != 0) return 0; /* the parser's own memory ran out */
  /* a byte budget: large sizes end in a clean out-of-memory */
  const char *tun = "max_bytes=16000000";
  gc_heap *h = gc_heap_new(collector, tun, err, sizeof err);
  if (!h) fail(collector, "gc_heap_new", err);
  wl_answer ans;
  rc = timeline_build(h, &tl, (b & 0x80) ? 0.0 : 1.0, &ans);
  if (rc == WL_OK) {
    judge(h, collector, &ans);
  } else if (rc == WL_ENOMEM) {
    gc_collect(h, GC_FULL); /* consistent heap: the oracle still agrees */
    gc_oracle_report rep;
    int none = strcmp(collector, "none") == 0;
    if (gc_oracle_check(h, GC_ORACLE_COUNTS | (none ? 0 : GC_ORACLE_COMPLETE),
                        &rep) != 0)
      fail(collector, "oracle after out of memory", rep.error);
  } else {
    fail(collector, "replay refused a parsed file", "unexpected code");
  }
  gc_heap_free(h);
  timeline_free(&tl);
  return 0;
}
