/*
 * fuzz_snapshot.c -- feeds its input to the gcheap parser (formats 1 to
 * 3, from memory, no file) and, when it parses, loads it on a heap.
 *
 * Byte 0 picks the collector (modulo the registry) and the drop mode; the
 * rest is the file.  A refused file must come with a one-line message
 * naming the input and a line, and leave nothing allocated (the sanitizer
 * build also checks the parser freed its arrays).  A loaded file must pass
 * a full collection with the answer and the oracle (completeness and exact
 * counts).  A parsed version 3 file is also cut short at every line
 * boundary and inside every line (a bounded sample of cuts in long
 * inputs): each cut must be refused, or (only the newline or comments
 * after the `end` line lost) give exactly the same graph.  The heap has a
 * byte budget, so files with large payloads end in
 * a clean out-of-memory instead of exhausting the fuzzer.  External
 * references cost one counted root-table entry per object however many
 * they are (up to 2^32 - 1 each), so every valid file is built.  Any
 * violation aborts.  Built as a libFuzzer target with clang, and as a
 * replayer of the committed corpus (replay.c) in every build.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gc.h"
#include "heapfile.h"
#include "oracle.h"
#include "workload.h"

static void fail(const char *collector, const char *what, const char *err) {
  fprintf(stderr, "fuzz_snapshot: collector %s: %s: %s\n", collector, what,
          err);
  abort();
}

static void check_refusal(const char *err) {
  if (strncmp(err, "input:", 6) != 0 || strchr(err, '\n'))
    fail("-", "bad refusal message", err);
}

static void judge(gc_heap *h, const char *collector, const wl_answer *a) {
  int none = strcmp(collector, "none") == 0;
  char msg[256];
  gc_collect(h, GC_FULL);
  const gc_heap_stats *st = gc_heap_get_stats(h);
  if (a->allocated != a->freed_by_rc + a->cyclic + a->live ||
      st->objects_allocated != a->allocated ||
      st->freed_by_rc != a->freed_by_rc ||
      st->freed_by_collector != (none ? 0 : a->cyclic) ||
      st->live_objects != a->live + (none ? a->cyclic : 0)) {
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
  gc_oracle_report rep;
  int flags = GC_ORACLE_COUNTS | (none ? 0 : GC_ORACLE_COMPLETE);
  if (gc_oracle_check(h, flags, &rep) != 0) fail(collector, "oracle", rep.error);
  if (rep.reachable != a->live) fail(collector, "oracle", "reachable != live");
}

/* memcmp of n bytes; an empty array may be NULL (memcmp must not see it) */
static int same_bytes(const void *a, const void *b, size_t n) {
  return n == 0 || memcmp(a, b, n) == 0;
}

static int same_graph(const heapfile *a, const heapfile *b) {
  return a->nobjects == b->nobjects && a->nrefs == b->nrefs &&
         same_bytes(a->first, b->first, (a->nobjects + 1) * sizeof *a->first) &&
         same_bytes(a->target, b->target, a->nrefs * sizeof *a->target) &&
         same_bytes(a->external, b->external,
                    a->nobjects * sizeof *a->external) &&
         same_bytes(a->payload, b->payload, a->nobjects * sizeof *a->payload);
}

/* One cut of a version 3 file: refused, or the same graph. */
static void check_cut(const char *s, size_t k, const heapfile *whole) {
  heapfile cut;
  char err[512];
  int rc = heapfile_parse(s, k, "input", &cut, err, sizeof err);
  if (rc == HEAPFILE_EINPUT) {
    check_refusal(err);
    return;
  }
  if (rc != HEAPFILE_OK) return;
  if (!same_graph(&cut, whole)) {
    snprintf(err, sizeof err,
             "a cut at byte %zu loaded another heap (%llu objects, %llu "
             "references)",
             k, (unsigned long long)cut.nobjects,
             (unsigned long long)cut.nrefs);
    fail("-", "truncation", err);
  }
  heapfile_free(&cut);
}

/* Cut s at each line start and inside each line; at most about 256 cuts
 * (evenly spread) so that a long input stays linear. */
static void check_truncations(const char *s, size_t n, const heapfile *whole) {
  size_t lines = 0;
  for (size_t i = 0; i < n; i++) lines += s[i] == '\n';
  size_t stride = lines / 128 + 1, line = 0, start = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i < n && s[i] != '\n') continue;
    if (line++ % stride == 0) {
      check_cut(s, start, whole);                     /* before the line */
      if (i > start + 1) check_cut(s, start + (i - start) / 2, whole);
      if (i > start) check_cut(s, i - 1, whole);      /* its last byte cut */
    }
    start = i + 1;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  unsigned b = data[0];
  const char *collector = gc_collector_name(b % gc_collector_count());
  static const char *const drops[] = {"none", "all", "0.5", "none"};
  heapfile_drop drop;
  char err[512];
  if (heapfile_parse_drop(drops[(b >> 4) & 3], &drop, err, sizeof err))
    fail(collector, "drop", err);

  heapfile hf;
  int rc = heapfile_parse((const char *)data + 1, size - 1, "input", &hf, err,
                          sizeof err);
  if (rc == HEAPFILE_EINPUT) {
    check_refusal(err);
    return 0;
  }
  if (rc != HEAPFILE_OK) return 0; /* the parser's own memory ran out */
  if (hf.version >= 3) check_truncations((const char *)data + 1, size - 1, &hf);

  /* automatic collections every few allocations, and a byte budget */
  gc_heap *h = gc_heap_new(collector, "max_bytes=16000000", err, sizeof err);
  if (!h) fail(collector, "gc_heap_new", err);
  wl_answer ans;
  rc = heapfile_build(h, &hf, &drop, 1.0, b, &ans, err, sizeof err);
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
    fail(collector, "build refused a parsed file", err);
  }
  gc_heap_free(h);
  heapfile_free(&hf);
  return 0;
}
