/*
 * test_snapshot.c -- the `snapshot` workload and its gcheap 1 parser.
 *
 * Good files (hand-written with known answers, and a CPython heap written by
 * scripts/snapshot-python) are loaded under every registered collector,
 * collected in full and judged against the answer and the oracle.  Bad
 * files must be refused with "FILE:LINE: reason" on one line of printable
 * text, and leave no object allocated.  Heaps of CPython 3.12+'s shape
 * (10^5 objects, a few with counts near 2^31..2^32) load in
 * O(objects + references) through counted root entries, under every
 * collector and drop mode, with exact answers; gzipped files load as plain
 * ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>
#include <unistd.h>
#include <zlib.h>

#include "gc.h"
#include "heapfile.h"
#include "oracle.h"
#include "params.h"
#include "rng.h"
#include "workload.h"

#ifndef SNAPSHOT_DATA_DIR
#error "SNAPSHOT_DATA_DIR must name tests/snapshot/data"
#endif

typedef struct good_file {
  const char *name;
  uint64_t allocated, freed_by_rc, cyclic, live;
} good_file;

static const good_file good_files[] = {
    {"pair", 2, 0, 2, 0},
    {"ring_live", 3, 0, 0, 3},
    {"garbage_ring_to_live", 5, 0, 3, 2},
    {"selfloop", 2, 0, 1, 1},
    {"chain", 4, 4, 0, 0},
    {"mixed", 8, 2, 4, 2},
    {"empty_heap", 0, 0, 0, 0},
    {"no_final_newline", 2, 0, 0, 2},
    {"garbage_to_root", 2, 1, 0, 1},
    {"pair_v3", 2, 0, 0, 2},
};
#define NGOOD (sizeof good_files / sizeof good_files[0])

typedef struct bad_file {
  const char *name;
  int line; /* -1: wherever the reader noticed */
  const char *reason; /* a word the message must contain */
} bad_file;

static const bad_file bad_files[] = {
    {"empty", 1, "empty"},
    {"magic", 1, "not a gcheap file"},
    {"version4", 1, "unsupported version 4"},
    {"truncated", 3, "truncated"},
    {"garbled_number", 3, "not a whole number"},
    {"id_out_of_order", 3, "out of order"},
    {"unknown_ref", 5, "unknown object 2"},
    {"object_after_refs", 4, "object after references"},
    {"negative", 3, "negative"},
    {"huge_payload", 4, "payload"},
    {"unknown_record", 3, "unknown record"},
    {"extra_field", 3, "garbled"},
    {"overflow", 2, "too large"},
    {"external_overflow", 2, "overflows"},
    {"binary", 1, "not a gcheap file: line 1 is 'binary data, "},
    {"escape", 3, "'\\x1b[31m'"},
    {"flag_in_v1", 2, "needs 'gcheap 2'"},
    {"unknown_flag", 2, "unknown object flag 'mortal'"},
    {"count_overflow", 5, "object 0 would have 4294967296 references"},
    {"xz", 1, "compressed with xz"},
    {"gzip_cut", -1, "cannot read: the gzip data is cut short"},
    {"cut_short", 7, "ends without its 'end' line"},
    {"end_mismatch", 6, "counts 2 objects and 3 references, the file has 2 "
                        "and 2"},
};
#define NBAD (sizeof bad_files / sizeof bad_files[0])

#define PYTHON_JSON SNAPSHOT_DATA_DIR "/python-json.gcheap"

static void good_path(char *out, size_t n, const char *name) {
  snprintf(out, n, "%s/good/%s.gcheap", SNAPSHOT_DATA_DIR, name);
}

/* ---- running the workload ------------------------------------------------ */

typedef struct run_result {
  gc_heap *h;
  int rc;
  wl_answer ans;
  char err[512];
} run_result;

/* Run `snapshot` on a fresh heap of `collector`; the caller frees r->h. */
static void run_wl(run_result *r, const char *collector, const char *tunables,
                   const char *file, const char *drop, uint64_t seed) {
  const workload *wl = wl_find("snapshot");
  assert_non_null(wl);
  r->h = gc_heap_new(collector, tunables, r->err, sizeof r->err);
  if (!r->h) fail_msg("gc_heap_new(%s): %s", collector, r->err);
  gc_param_set ps;
  char perr[256];
  assert_int_equal(gc_params_init(&ps, wl->params, wl->nparams), 0);
  if (gc_params_set(&ps, "file", file, perr, sizeof perr) ||
      gc_params_set(&ps, "drop", drop, perr, sizeof perr))
    fail_msg("params: %s", perr);
  r->err[0] = '\0';
  r->rc = wl->run(r->h, &ps, seed, &r->ans, r->err, sizeof r->err);
  gc_params_free(&ps);
}

/* Collect in full and check the heap against the answer and the oracle. */
static void judge(gc_heap *h, const char *collector, const char *what,
                  const wl_answer *ans) {
  int none = strcmp(collector, "none") == 0;
  gc_collect(h, GC_FULL);
  const gc_heap_stats *st = gc_heap_get_stats(h);
  if (st->objects_allocated != ans->allocated ||
      st->freed_by_rc != ans->freed_by_rc ||
      st->freed_by_collector != (none ? 0 : ans->cyclic) ||
      st->live_objects != ans->live + (none ? ans->cyclic : 0))
    fail_msg("%s under %s: allocated %llu rc %llu collector %llu live %llu; "
             "answer allocated %llu rc %llu cyclic %llu live %llu",
             what, collector, (unsigned long long)st->objects_allocated,
             (unsigned long long)st->freed_by_rc,
             (unsigned long long)st->freed_by_collector,
             (unsigned long long)st->live_objects,
             (unsigned long long)ans->allocated,
             (unsigned long long)ans->freed_by_rc,
             (unsigned long long)ans->cyclic, (unsigned long long)ans->live);
  gc_oracle_report rep;
  int flags = GC_ORACLE_COUNTS | (none ? 0 : GC_ORACLE_COMPLETE);
  if (gc_oracle_check(h, flags, &rep) != 0)
    fail_msg("%s under %s: oracle: %s", what, collector, rep.error);
  if (rep.reachable != ans->live)
    fail_msg("%s under %s: oracle finds %llu reachable, answer %llu", what,
             collector, (unsigned long long)rep.reachable,
             (unsigned long long)ans->live);
}

static void run_and_judge(const char *collector, const char *tunables,
                          const char *file, const char *drop, uint64_t seed,
                          wl_answer *out) {
  run_result r;
  run_wl(&r, collector, tunables, file, drop, seed);
  if (r.rc != WL_OK)
    fail_msg("%s under %s: run failed (%d): %s", file, collector, r.rc,
             r.err);
  const wl_answer *a = &r.ans;
  assert_int_equal(a->allocated, a->freed_by_rc + a->cyclic + a->live);
  judge(r.h, collector, file, a);
  if (out) *out = r.ans;
  gc_heap_free(r.h);
}

/* Small thresholds, so automatic collections run while the file loads. */
static const char *eager_tunables(const char *collector) {
  if (strcmp(collector, "naive") == 0) return "threshold=3";
  if (strcmp(collector, "trial") == 0) return "threshold=2,adaptive=0";
  if (strcmp(collector, "generational") == 0)
    return "threshold0=3,threshold1=2,threshold2=2";
  return NULL;
}

/* ---- good files -------------------------------------------------------------- */

static void test_good_files(void **state) {
  (void)state;
  char path[1024];
  for (size_t c = 0; c < gc_collector_count(); c++) {
    const char *col = gc_collector_name(c);
    for (size_t i = 0; i < NGOOD; i++) {
      const good_file *g = &good_files[i];
      good_path(path, sizeof path, g->name);
      wl_answer a;
      run_and_judge(col, NULL, path, "none", 1, &a);
      if (a.allocated != g->allocated || a.freed_by_rc != g->freed_by_rc ||
          a.cyclic != g->cyclic || a.live != g->live)
        fail_msg("%s: answer %llu/%llu/%llu/%llu, want %llu/%llu/%llu/%llu",
                 g->name, (unsigned long long)a.allocated,
                 (unsigned long long)a.freed_by_rc,
                 (unsigned long long)a.cyclic, (unsigned long long)a.live,
                 (unsigned long long)g->allocated,
                 (unsigned long long)g->freed_by_rc,
                 (unsigned long long)g->cyclic, (unsigned long long)g->live);
      run_and_judge(col, eager_tunables(col), path, "none", 1, NULL);
    }
  }
}

static void test_drop_all(void **state) {
  (void)state;
  char path[1024];
  for (size_t c = 0; c < gc_collector_count(); c++) {
    const char *col = gc_collector_name(c);
    for (size_t i = 0; i < NGOOD; i++) {
      good_path(path, sizeof path, good_files[i].name);
      wl_answer a;
      run_and_judge(col, NULL, path, "all", 1, &a);
      assert_int_equal(a.live, 0);
      assert_int_equal(a.allocated, good_files[i].allocated);
    }
    wl_answer a;
    run_and_judge(col, NULL, PYTHON_JSON, "all", 1, &a);
    assert_int_equal(a.live, 0);
  }
}

/* ---- the CPython heap --------------------------------------------------------- */

/* A "# key value" header comment of the file, or -1. */
static long long header_value(const char *path, const char *key) {
  FILE *f = fopen(path, "r");
  char line[256], k[64];
  long long v, found = -1;
  while (f && found < 0 && fgets(line, sizeof line, f) && line[0] != 'o')
    if (sscanf(line, "# %63s %lld", k, &v) == 2 && strcmp(k, key) == 0)
      found = v;
  if (f) fclose(f);
  return found;
}

static void test_python_json(void **state) {
  (void)state;
  long long cpython_freed = header_value(PYTHON_JSON, "cpython_gc_freed");
  assert_true(cpython_freed >= 0);
  for (size_t c = 0; c < gc_collector_count(); c++) {
    const char *col = gc_collector_name(c);
    wl_answer a;
    run_and_judge(col, NULL, PYTHON_JSON, "none", 1, &a);
    /* a real interpreter heap: thousands of objects, most of them live */
    assert_true(a.allocated > 1000);
    assert_true(a.live > a.allocated / 2);
    /* the replay's garbage is what CPython's own gc.collect() found */
    assert_int_equal(a.freed_by_rc + a.cyclic, (uint64_t)cpython_freed);
    run_and_judge(col, eager_tunables(col), PYTHON_JSON, "none", 1, NULL);
  }
}

static int same_answer(const wl_answer *a, const wl_answer *b) {
  return a->allocated == b->allocated && a->freed_by_rc == b->freed_by_rc &&
         a->cyclic == b->cyclic && a->live == b->live;
}

static void test_drop_fraction(void **state) {
  (void)state;
  wl_answer keep, all, half1, half2, half3, zero, one;
  run_and_judge("naive", NULL, PYTHON_JSON, "none", 1, &keep);
  run_and_judge("naive", NULL, PYTHON_JSON, "all", 1, &all);
  run_and_judge("naive", NULL, PYTHON_JSON, "0.5", 7, &half1);
  run_and_judge("trial", NULL, PYTHON_JSON, "0.5", 7, &half2);
  run_and_judge("generational", NULL, PYTHON_JSON, "0.5", 8, &half3);
  run_and_judge("naive", NULL, PYTHON_JSON, "0", 7, &zero);
  run_and_judge("naive", NULL, PYTHON_JSON, "1", 7, &one);
  assert_true(same_answer(&half1, &half2)); /* same seed, same choice */
  assert_false(same_answer(&half1, &half3)); /* another seed, another */
  assert_true(same_answer(&zero, &keep));
  assert_true(same_answer(&one, &all));
  assert_true(half1.live < keep.live && half1.live > all.live);
}

/* ---- bad input ------------------------------------------------------------------ */

/* Every byte of a message is printable ASCII: a binary file's bytes are
 * escaped or summarised, never echoed. */
static void assert_printable(const char *msg) {
  for (const char *c = msg; *c; c++)
    if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
      fail_msg("byte 0x%02x at %zu of message '%s'", (unsigned char)*c,
               (size_t)(c - msg), msg);
}

static void expect_refused(const char *path, int line, const char *reason) {
  run_result r;
  run_wl(&r, "naive", NULL, path, "none", 1);
  if (r.rc != WL_EINPUT)
    fail_msg("%s: run returned %d, want WL_EINPUT (err '%s')", path, r.rc,
             r.err);
  char where[1100]; /* line < 0: any line */
  snprintf(where, sizeof where, line < 0 ? "%s:" : "%s:%d: ", path, line);
  if (strncmp(r.err, where, strlen(where)) != 0 || !strstr(r.err, reason) ||
      strchr(r.err, '\n'))
    fail_msg("%s: message '%s', want '%s...%s...' on one line", path, r.err,
             where, reason);
  assert_printable(r.err);
  assert_int_equal(gc_heap_get_stats(r.h)->objects_allocated, 0);
  gc_heap_free(r.h);
}

static void test_bad_files(void **state) {
  (void)state;
  char path[1024];
  for (size_t i = 0; i < NBAD; i++) {
    snprintf(path, sizeof path, "%s/bad/%s.gcheap", SNAPSHOT_DATA_DIR,
             bad_files[i].name);
    expect_refused(path, bad_files[i].line, bad_files[i].reason);
  }
}

static void expect_param_error(const char *file, const char *drop,
                               const char *want) {
  run_result r;
  run_wl(&r, "naive", NULL, file, drop, 1);
  assert_int_equal(r.rc, WL_EINPUT);
  if (!strstr(r.err, want)) fail_msg("message '%s', want '%s'", r.err, want);
  assert_int_equal(gc_heap_get_stats(r.h)->objects_allocated, 0);
  gc_heap_free(r.h);
}

static void test_bad_params(void **state) {
  (void)state;
  char path[1024];
  good_path(path, sizeof path, "pair");
  expect_param_error("", "none", "'file' is required");
  expect_param_error(SNAPSHOT_DATA_DIR "/no-such-file", "none",
                     SNAPSHOT_DATA_DIR "/no-such-file: cannot open: No such");
  expect_param_error(SNAPSHOT_DATA_DIR, "none", "cannot read");
  expect_param_error(path, "2", "'drop' wants none, all or a fraction");
  expect_param_error(path, "half", "'drop' wants none, all or a fraction");
  expect_param_error(path, "-0.1", "'drop' wants");
  expect_param_error(path, "nan", "'drop' wants");
}

static void test_payload_scale(void **state) {
  (void)state;
  const workload *wl = wl_find("snapshot");
  char path[1024], err[512];
  good_path(path, sizeof path, "chain"); /* payloads of 100 bytes */
  gc_heap *h = gc_heap_new("naive", NULL, err, sizeof err);
  assert_non_null(h);
  gc_param_set ps;
  assert_int_equal(gc_params_init(&ps, wl->params, wl->nparams), 0);
  assert_int_equal(gc_params_set(&ps, "file", path, err, sizeof err), 0);
  assert_int_equal(gc_params_set(&ps, "payload_scale", "1e6", err, sizeof err),
                   0);
  wl_answer a;
  assert_int_equal(wl->run(h, &ps, 1, &a, err, sizeof err), WL_EINPUT);
  assert_non_null(strstr(err, "payload_scale"));
  assert_int_equal(gc_heap_get_stats(h)->objects_allocated, 0);
  gc_params_free(&ps);
  gc_heap_free(h);
}

/* ---- the parser directly -------------------------------------------------------- */

static void test_parse_memory(void **state) {
  (void)state;
  static const char text[] =
      "gcheap 1\n# c\no 0 1 0\no 1 2 3\no 2 0 0\nr 1 2\nr 0 1\nr 1 1\nr 1 2";
  heapfile hf;
  char err[256];
  assert_int_equal(heapfile_parse(text, sizeof text - 1, "mem", &hf, err,
                                  sizeof err),
                   HEAPFILE_OK);
  assert_int_equal(hf.nobjects, 3);
  assert_int_equal(hf.nrefs, 4);
  assert_int_equal(hf.nexternal, 3);
  assert_int_equal(heapfile_nslots(&hf, 0), 1);
  assert_int_equal(heapfile_nslots(&hf, 1), 3);
  assert_int_equal(heapfile_nslots(&hf, 2), 0);
  /* slots in file order per source */
  assert_int_equal(hf.target[hf.first[1] + 0], 2);
  assert_int_equal(hf.target[hf.first[1] + 1], 1);
  assert_int_equal(hf.target[hf.first[1] + 2], 2);
  assert_int_equal(hf.indegree[2], 2);
  assert_int_equal(hf.payload[1], 2);
  heapfile_free(&hf);

  /* a NUL byte is garbage, not the end of the text */
  static const char nul[] = "gcheap 1\no 0 0\0 0\n";
  assert_int_equal(heapfile_parse(nul, sizeof nul - 1, "mem", &hf, err,
                                  sizeof err),
                   HEAPFILE_EINPUT);
  assert_non_null(strstr(err, "mem:2: "));
  assert_int_equal(heapfile_parse(NULL, 0, "mem", &hf, err, sizeof err),
                   HEAPFILE_EINPUT);
  assert_non_null(strstr(err, "mem:1: empty"));
  /* a tiny error buffer is not overrun */
  char tiny[4];
  assert_int_equal(heapfile_parse("x", 1, "mem", &hf, tiny, sizeof tiny),
                   HEAPFILE_EINPUT);
  assert_int_equal(strlen(tiny), 3);
}

/* ---- counted root entries -------------------------------------------------- */

static void expect_counts_ok(gc_heap *h) {
  gc_oracle_report rep;
  if (gc_oracle_check(h, GC_ORACLE_COUNTS, &rep) != 0)
    fail_msg("oracle: %s", rep.error);
}

static void test_root_counts(void **state) {
  (void)state;
  char err[256];
  gc_heap *h = gc_heap_new("trial", NULL, err, sizeof err);
  assert_non_null(h);
  gc_object *a = gc_new(h, 1, 0), *b = gc_new(h, 0, 0);
  assert_true(gc_root_push(h, a) >= 0); /* a plain entry first */
  assert_int_equal(gc_root_push_n(h, a, 5), 1);
  assert_int_equal(a->refcnt, 7); /* ours + 1 + 5 */
  assert_int_equal(gc_root_refs(h, 0), 1);
  assert_int_equal(gc_root_refs(h, 1), 5);
  assert_int_equal(gc_root_refs(h, 2), 0); /* out of range */
  assert_int_equal(gc_root_push_steal(h, b), 2);
  assert_int_equal(gc_root_refs(h, 2), 1);
  gc_decref(h, a);
  expect_counts_ok(h);
  /* the oracle counts an entry's references, not the entry */
  a->refcnt++;
  gc_oracle_report rep;
  assert_int_equal(gc_oracle_check(h, GC_ORACLE_COUNTS, &rep), -1);
  assert_non_null(strstr(rep.error, "refcnt 7 but 6 references"));
  a->refcnt--;
  /* n == 0 and counts past 2^32-1 are refused, nothing changed */
  assert_int_equal(gc_root_push_n(h, a, 0), GC_EINVAL);
  assert_int_equal(gc_root_push_n(h, b, UINT32_MAX - 1), 3);
  assert_int_equal(b->refcnt, UINT32_MAX);
  assert_int_equal(gc_root_push_n(h, b, 1), GC_EINVAL);
  assert_int_equal(gc_root_push(h, NULL), 4);
  assert_int_equal(gc_root_set(h, 4, b), GC_EINVAL);
  assert_int_equal(gc_root_set(h, 1, b), GC_EINVAL);
  assert_int_equal(b->refcnt, UINT32_MAX);
  assert_int_equal(gc_root_count(h), 5);
  expect_counts_ok(h);
  /* set moves all of an entry's references */
  gc_root_truncate(h, 3);
  assert_int_equal(b->refcnt, 1);
  assert_int_equal(gc_root_set(h, 1, b), GC_OK);
  assert_int_equal(a->refcnt, 1);
  assert_int_equal(b->refcnt, 6);
  expect_counts_ok(h);
  /* storing the current target keeps the count */
  assert_int_equal(gc_root_set(h, 1, b), GC_OK);
  assert_int_equal(b->refcnt, 6);
  /* a steal takes over the caller's reference as one of n */
  gc_object *c = gc_new(h, 0, 0);
  assert_int_equal(gc_root_push_n_steal(h, c, 3), 3);
  assert_int_equal(c->refcnt, 3);
  assert_int_equal(gc_root_push_n_steal(h, c, 0), GC_EINVAL);
  expect_counts_ok(h);
  /* truncating drops every reference an entry holds: c (3 references in
   * entry 3) is freed, b loses entry 2's one and, being still held, is
   * reported as a possible root (trial buffers it) */
  gc_collect(h, GC_FULL); /* empties trial's buffer */
  assert_false(gc_has_flag(b, GC_F_BUFFERED));
  uint64_t freed = gc_heap_get_stats(h)->freed_by_rc;
  gc_root_truncate(h, 2);
  assert_int_equal(gc_heap_get_stats(h)->freed_by_rc, freed + 1);
  assert_int_equal(b->refcnt, 5);
  assert_true(gc_has_flag(b, GC_F_BUFFERED));
  expect_counts_ok(h);
  gc_root_truncate(h, 1); /* entry 1's 5 at once: b is freed */
  assert_int_equal(gc_heap_get_stats(h)->freed_by_rc, freed + 2);
  expect_counts_ok(h);
  gc_root_truncate(h, 0);
  gc_collect(h, GC_FULL);
  assert_int_equal(gc_heap_get_stats(h)->live_objects, 0);
  gc_heap_free(h);
}

/* ---- binomial draws -------------------------------------------------------- */

/* Mean and variance of many draws against n*p and n*p*(1-p), and for a
 * small n the whole distribution (chi-square), on both sides of the switch
 * from inversion to BTRS and across p = 1/2. */
static void check_moments(uint32_t n, double p, int draws) {
  wl_rng r;
  wl_rng_seed(&r, n ^ (uint64_t)(p * 1e9));
  double sum = 0, sq = 0;
  for (int i = 0; i < draws; i++) {
    uint32_t k = heapfile_binomial(&r, n, p);
    if (k > n) fail_msg("Binomial(%u, %g) gave %u", n, p, k);
    sum += k, sq += (double)k * k;
  }
  double mean = sum / draws, var = sq / draws - mean * mean;
  double m = n * p, v = n * p * (1 - p);
  if (fabs(mean - m) > 6 * sqrt(v / draws) + 1e-9)
    fail_msg("Binomial(%u, %g): mean %g, want %g", n, p, mean, m);
  if (v > 0 && fabs(var / v - 1) > 6 * sqrt(2.0 / draws) + 0.01)
    fail_msg("Binomial(%u, %g): variance %g, want %g", n, p, var, v);
}

static void check_distribution(uint32_t n, double p, int draws) {
  wl_rng r;
  wl_rng_seed(&r, 99);
  uint64_t count[65] = {0};
  assert_true(n <= 64);
  for (int i = 0; i < draws; i++) count[heapfile_binomial(&r, n, p)]++;
  double chi2 = 0;
  int bins = 0;
  for (uint32_t k = 0; k <= n; k++) {
    double pk = exp(lgamma(n + 1.0) - lgamma(k + 1.0) - lgamma(n - k + 1.0) +
                    k * log(p) + (n - k) * log1p(-p));
    double e = pk * draws;
    if (e < 20) continue;
    chi2 += (count[k] - e) * (count[k] - e) / e;
    bins++;
  }
  /* six standard deviations above its mean for bins - 1 degrees of
   * freedom: the seeds are fixed, so a pass is a pass every time */
  if (chi2 > bins + 6.0 * sqrt(2.0 * bins))
    fail_msg("Binomial(%u, %g): chi-square %g over %d bins", n, p, chi2,
             bins);
}

static void test_binomial(void **state) {
  (void)state;
  wl_rng r;
  wl_rng_seed(&r, 1);
  assert_int_equal(heapfile_binomial(&r, 0, 0.5), 0);
  assert_int_equal(heapfile_binomial(&r, 100, 0.0), 0);
  assert_int_equal(heapfile_binomial(&r, 100, 1.0), 100);
  assert_int_equal(heapfile_binomial(&r, UINT32_MAX, 1.0), UINT32_MAX);
  check_moments(1, 0.3, 200000);
  check_moments(20, 0.3, 200000);           /* inversion */
  check_moments(40, 0.3, 200000);           /* BTRS */
  check_moments(1000, 0.9, 100000);         /* BTRS on 1 - p */
  check_moments(1u << 31, 0.5, 100000);     /* an immortal-sized count */
  check_moments(UINT32_MAX, 1e-9, 100000);  /* inversion, huge n */
  check_moments(UINT32_MAX, 0.999, 100000);
  check_distribution(30, 0.5, 4000000);     /* BTRS */
  check_distribution(60, 0.2, 2000000);     /* BTRS */
  check_distribution(40, 0.2, 2000000);     /* inversion */
  /* deterministic */
  wl_rng a, b;
  wl_rng_seed(&a, 5), wl_rng_seed(&b, 5);
  for (int i = 0; i < 1000; i++)
    assert_int_equal(heapfile_binomial(&a, 1u << 31, 0.3),
                     heapfile_binomial(&b, 1u << 31, 0.3));
}

/* ---- heaps of CPython 3.12+'s shape ------------------------------------------ */

#define SYN_N 100000
#define SYN_BIG 3                 /* objects 0..2: count 2^31 */
#define SYN_MAX 2                 /* objects 3..4: count exactly 2^32 - 1 */

typedef struct text {
  char *s;
  size_t n, cap;
} text;

static void put(text *t, const char *fmt, ...) {
  va_list ap;
  if (t->cap - t->n < 128) {
    t->cap = t->cap ? t->cap * 2 : 1 << 20;
    t->s = realloc(t->s, t->cap);
    assert_non_null(t->s);
  }
  va_start(ap, fmt);
  t->n += (size_t)vsnprintf(t->s + t->n, t->cap - t->n, fmt, ap);
  va_end(ap);
}

/* 10^5 objects, two random references each (cycles and acyclic garbage),
 * a tenth held once or twice, 3 objects at 2^31 and 2 whose external +
 * incoming count is 2^32 - 1; version 2 flags the 5 immortal. */
static uint32_t syn_indeg[SYN_N];

static text synthetic_heap(int version) {
  static uint32_t target[2 * SYN_N];
  uint32_t *indeg = syn_indeg;
  wl_rng r;
  wl_rng_seed(&r, 42);
  memset(syn_indeg, 0, sizeof syn_indeg);
  for (uint32_t k = 0; k < 2 * SYN_N; k++) {
    target[k] = (uint32_t)wl_rng_below(&r, SYN_N);
    indeg[target[k]]++;
  }
  text t = {0};
  put(&t, "gcheap %d\n", version);
  for (uint32_t i = 0; i < SYN_N; i++) {
    uint64_t ext = wl_rng_below(&r, 10) == 0 ? 1 + wl_rng_below(&r, 2) : 0;
    if (i < SYN_BIG) ext = 1ull << 31;
    else if (i < SYN_BIG + SYN_MAX) ext = UINT32_MAX - indeg[i];
    put(&t, "o %u %u %llu%s\n", i, 16 + i % 48, (unsigned long long)ext,
        version == 2 && i < SYN_BIG + SYN_MAX ? " immortal" : "");
  }
  for (uint32_t k = 0; k < 2 * SYN_N; k++)
    put(&t, "r %u %u\n", k / 2, target[k]);
  return t;
}

/* The references the root table holds for object i (found by address
 * through the heap's own entries: one entry per object). */
static uint64_t root_refs_of(gc_heap *h, gc_object *o) {
  uint64_t refs = 0;
  for (size_t i = 0; i < gc_root_count(h); i++)
    if (gc_root_get(h, i) == o) refs += gc_root_refs(h, i);
  return refs;
}

static void build_synthetic(const heapfile *hf, const char *collector,
                            const char *drop_text, int version) {
  char err[512];
  gc_heap *h = gc_heap_new(collector, NULL, err, sizeof err);
  assert_non_null(h);
  heapfile_drop drop;
  assert_int_equal(heapfile_parse_drop(drop_text, &drop, err, sizeof err), 0);
  wl_answer ans;
  int rc = heapfile_build(h, hf, &drop, 1.0, 7, &ans, err, sizeof err);
  if (rc != WL_OK) fail_msg("build under %s: %s", collector, err);
  /* one entry per held object, whatever the counts (an entry per
   * reference would need 6 * 2^31 of them, and minutes) */
  assert_true(gc_root_count(h) <= SYN_N);
  /* the big objects' counts, read before any collection can touch them */
  gc_object *big[SYN_BIG + SYN_MAX] = {0};
  size_t nbig = 0;
  for (size_t i = 0; i < gc_root_count(h) && nbig < SYN_BIG + SYN_MAX; i++)
    if (gc_root_refs(h, i) > 1000000) big[nbig++] = gc_root_get(h, i);
  int immortal = version == 2;
  if (strcmp(drop_text, "all") == 0 && !immortal) {
    assert_int_equal(nbig, 0);
  } else {
    assert_int_equal(nbig, SYN_BIG + SYN_MAX);
    for (size_t i = 0; i < nbig; i++) {
      uint64_t refs = root_refs_of(h, big[i]);
      /* objects 0..4 are the first five held (roots are pushed in order) */
      uint64_t want = i < SYN_BIG ? 1ull << 31 : UINT32_MAX - syn_indeg[i];
      if (strcmp(drop_text, "0.5") == 0 && !immortal) {
        /* about half of them: 2^30 within 6 sigma (sigma < 2^16) */
        double m = i < SYN_BIG ? 1u << 30 : (UINT32_MAX - 3.0) / 2;
        if (fabs((double)refs - m) > 6 * 65536.0)
          fail_msg("object %zu keeps %llu of its references", i,
                   (unsigned long long)refs);
      } else {
        assert_int_equal(refs, want);
      }
      assert_true(big[i]->refcnt >= refs); /* no wrap past 2^32 - 1 */
    }
  }
  judge(h, collector, "synthetic heap", &ans);
  gc_heap_free(h);
}

static void test_synthetic_heaps(void **state) {
  (void)state;
  for (int version = 1; version <= 2; version++) {
    text t = synthetic_heap(version);
    heapfile hf;
    char err[512];
    if (heapfile_parse(t.s, t.n, "synthetic", &hf, err, sizeof err) !=
        HEAPFILE_OK)
      fail_msg("%s", err);
    assert_int_equal(hf.nobjects, SYN_N);
    assert_int_equal(hf.nimmortal, version == 2 ? SYN_BIG + SYN_MAX : 0);
    static const char *const drops[] = {"none", "all", "0.5"};
    for (size_t c = 0; c < gc_collector_count(); c++)
      for (size_t d = 0; d < 3; d++)
        build_synthetic(&hf, gc_collector_name(c), drops[d], version);
    heapfile_free(&hf);
    free(t.s);
  }
}

/* ---- the format's limits and version 2 --------------------------------------- */

static int parse_text(const char *s, heapfile *hf, char *err, size_t n) {
  return heapfile_parse(s, strlen(s), "mem", hf, err, n);
}

static void test_limits_and_flags(void **state) {
  (void)state;
  heapfile hf;
  char err[256];
  /* 2^32 - 1 external references: the most a count holds */
  assert_int_equal(parse_text("gcheap 1\no 0 0 4294967295\n", &hf, err,
                              sizeof err),
                   HEAPFILE_OK);
  assert_int_equal(hf.external[0], UINT32_MAX);
  assert_int_equal(hf.version, 1);
  heapfile_free(&hf);
  assert_int_equal(parse_text("gcheap 1\no 0 0 4294967296\n", &hf, err,
                              sizeof err),
                   HEAPFILE_EINPUT);
  assert_non_null(strstr(err, "mem:2: external_refs 4294967296 of object 0"));
  /* external + incoming past 2^32 - 1: refused at the line, naming it */
  assert_int_equal(parse_text("gcheap 1\no 0 0 4294967294\no 1 0 0\nr 1 0\n"
                              "r 0 1\nr 1 0\n",
                              &hf, err, sizeof err),
                   HEAPFILE_EINPUT);
  assert_non_null(strstr(err, "mem:6: object 0 would have 4294967296"));
  /* an unheld object still needs the loader's reference on top */
  assert_int_equal(parse_text("gcheap 1\no 0 0 0\no 1 0 0\nr 1 0\n", &hf,
                              err, sizeof err),
                   HEAPFILE_OK);
  heapfile_free(&hf);
  /* version 2: the immortal flag */
  assert_int_equal(parse_text("gcheap 2\no 0 0 3221225472 immortal\no 1 8 0\n"
                              "o 2 0 1 immortal\nr 0 1\n",
                              &hf, err, sizeof err),
                   HEAPFILE_OK);
  assert_int_equal(hf.version, 2);
  assert_int_equal(hf.nimmortal, 2);
  assert_int_equal(hf.immortal[0], 1);
  assert_int_equal(hf.immortal[1], 0);
  assert_int_equal(hf.immortal[2], 1);
  heapfile_free(&hf);
  /* immortal objects keep their references under drop=all */
  char path[1024];
  snprintf(path, sizeof path, "%s/good/immortal.gcheap", SNAPSHOT_DATA_DIR);
  wl_answer keep, all, frac;
  for (size_t c = 0; c < gc_collector_count(); c++) {
    const char *col = gc_collector_name(c);
    run_and_judge(col, NULL, path, "none", 1, &keep);
    run_and_judge(col, NULL, path, "all", 1, &all);
    run_and_judge(col, eager_tunables(col), path, "0.5", 3, &frac);
    assert_int_equal(keep.live, 6);
    assert_int_equal(all.live, 3); /* the immortal 0 and what it holds */
    assert_int_equal(all.freed_by_rc + all.cyclic, 3);
  }
  /* a version-1 file and an unknown flag */
  assert_int_equal(parse_text("gcheap 1\no 0 0 1 immortal\n", &hf, err,
                              sizeof err),
                   HEAPFILE_EINPUT);
  assert_non_null(strstr(err, "mem:2: garbled object record"));
  assert_int_equal(parse_text("gcheap 2\no 0 0 1 x immortal\n", &hf, err,
                              sizeof err),
                   HEAPFILE_EINPUT);
  assert_non_null(strstr(err, "garbled object record: 5 fields"));
  assert_int_equal(parse_text("gcheap 4\n", &hf, err, sizeof err),
                   HEAPFILE_EINPUT);
  assert_int_equal(parse_text("gcheap 0\n", &hf, err, sizeof err),
                   HEAPFILE_EINPUT);
}

/* ---- version 3: the end line ------------------------------------------------ */

/* Every prefix of `text` (size n) must be refused, except those that keep
 * the end line's last digit, which must give the whole file's heap. */
static void check_every_cut(const char *text, size_t n, size_t step) {
  heapfile whole, cut;
  char err[256];
  assert_int_equal(heapfile_parse(text, n, "mem", &whole, err, sizeof err),
                   HEAPFILE_OK);
  assert_int_equal(whole.checked, 1);
  const char *end = strstr(text, "\nend ");
  assert_non_null(end);
  size_t keep = (size_t)(strchr(end + 1, '\n') - text); /* after its digits */
  for (size_t k = 0; k < n; k += (k + 1 < keep ? step : 1)) {
    int rc = heapfile_parse(text, k, "mem", &cut, err, sizeof err);
    if (k < keep) {
      if (rc != HEAPFILE_EINPUT) fail_msg("a cut at byte %zu loaded", k);
      assert_true(strncmp(err, "mem:", 4) == 0);
      continue;
    }
    assert_int_equal(rc, HEAPFILE_OK); /* only the newline or comments cut */
    assert_int_equal(cut.nobjects, whole.nobjects);
    assert_int_equal(cut.nrefs, whole.nrefs);
    assert_memory_equal(cut.target, whole.target,
                        whole.nrefs * sizeof *whole.target);
    heapfile_free(&cut);
  }
  heapfile_free(&whole);
}

static char *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  assert_int_equal(fseek(f, 0, SEEK_END), 0);
  long len = ftell(f);
  assert_true(len > 0);
  rewind(f);
  char *buf = malloc((size_t)len);
  assert_non_null(buf);
  assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
  fclose(f);
  *n = (size_t)len;
  return buf;
}

static void test_end_line(void **state) {
  (void)state;
  heapfile hf;
  char err[256];
  /* every byte of a small file, then samples of the CPython heap's */
  const char *small = "gcheap 3\n# c\no 0 8 1\no 1 8 0\no 2 0 0\nr 0 1\n"
                      "r 1 0\nr 1 2\nr 2 0\nend 3 4\n# after\n\n";
  check_every_cut(small, strlen(small), 1);
  size_t n;
  char *big = slurp(PYTHON_JSON, &n);
  check_every_cut(big, n, 997); /* a prime: cuts land anywhere in lines */
  free(big);
  /* what the end line refuses */
  static const struct {
    const char *text, *why;
  } bad[] = {
      {"gcheap 2\no 0 0 0\nend 1 0\n", "mem:3: an 'end' record needs"},
      {"gcheap 3\no 0 0 0\nend 1 0\no 1 0 0\n",
       "mem:4: record after the 'end' line of line 3"},
      {"gcheap 3\no 0 0 0\nend 1 0\nr 0 0\n", "mem:4: record after"},
      {"gcheap 3\nend 0 0\nend 0 0\n", "mem:3: record after"},
      {"gcheap 3\no 0 0 0\nend 1\n", "mem:3: truncated end record"},
      {"gcheap 3\no 0 0 0\nend 1 0 0\n", "mem:3: garbled end record"},
      {"gcheap 3\no 0 0 0\nend 1 x\n", "not a whole number"},
      {"gcheap 3\no 0 0 0\nend 10 0\n", "counts 10 objects"},
      {"gcheap 3\no 0 0 0\n", "mem:2: the file ends without its 'end'"},
      {"gcheap 3", "mem:1: the file ends without its 'end'"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(parse_text(bad[i].text, &hf, err, sizeof err),
                     HEAPFILE_EINPUT);
    if (!strstr(err, bad[i].why))
      fail_msg("%s: got '%s', want '%s'", bad[i].text, err, bad[i].why);
  }
  /* the versions before 3 load unchecked */
  assert_int_equal(parse_text("gcheap 2\no 0 0 1\n", &hf, err, sizeof err),
                   HEAPFILE_OK);
  assert_int_equal(hf.checked, 0);
  heapfile_free(&hf);
  assert_int_equal(parse_text("gcheap 3\nend 0 0", &hf, err, sizeof err),
                   HEAPFILE_OK);
  assert_int_equal(hf.checked, 1);
  assert_int_equal(hf.version, 3);
  heapfile_free(&hf);
}

/* ---- gzip ------------------------------------------------------------------------ */

static void gzip_copy(const char *from, const char *to) {
  FILE *in = fopen(from, "rb");
  gzFile out = gzopen(to, "wb9");
  assert_non_null(in);
  assert_non_null(out);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, in)) > 0)
    assert_int_equal(gzwrite(out, buf, (unsigned)n), (int)n);
  fclose(in);
  assert_int_equal(gzclose(out), Z_OK);
}

static void test_gzip(void **state) {
  (void)state;
  char gz[1024], plain[1024];
  const char *tmp = getenv("TMPDIR");
  snprintf(gz, sizeof gz, "%s/gcbench-snapshot-%ld.gcheap",
           tmp && *tmp ? tmp : "/tmp", (long)getpid());
  /* whatever the name: the magic bytes decide */
  for (size_t i = 0; i < NGOOD; i++) {
    good_path(plain, sizeof plain, good_files[i].name);
    gzip_copy(plain, gz);
    wl_answer a, b;
    run_and_judge("naive", NULL, plain, "0.5", 3, &a);
    run_and_judge("trial", NULL, gz, "0.5", 3, &b);
    assert_true(same_answer(&a, &b));
  }
  gzip_copy(PYTHON_JSON, gz);
  wl_answer a, b;
  run_and_judge("generational", NULL, PYTHON_JSON, "none", 1, &a);
  run_and_judge("generational", NULL, gz, "none", 1, &b);
  assert_true(same_answer(&a, &b));
  remove(gz);
}

/* The sizes a file declares are checked before anything is built: 2000
 * payloads of 16 MiB - 1 (about 39 GiB at jemalloc's size class, 31 GiB
 * at the C library's, under AddressSanitizer) are
 * refused against a heap budget of 64 MiB, and against GCBENCH_MEMORY=64M,
 * with no object allocated; payload_scale=0 fits. */
static void test_declared_sizes(void **state) {
  (void)state;
  size_t cap = 64 + 2000 * 32, len = 0;
  char *text = malloc(cap);
  assert_non_null(text);
  len += (size_t)snprintf(text + len, cap - len, "gcheap 3\n");
  for (int i = 0; i < 2000; i++)
    len += (size_t)snprintf(text + len, cap - len, "o %d 16777215 1\n", i);
  len += (size_t)snprintf(text + len, cap - len, "end 2000 0\n");
  heapfile hf;
  char err[512];
  assert_int_equal(heapfile_parse(text, len, "big", &hf, err, sizeof err),
                   HEAPFILE_OK);
  free(text);
  heapfile_drop drop = {.mode = HEAPFILE_KEEP_ALL};
  wl_answer ans;
  for (int env = 0; env < 2; env++) {
    if (env) setenv("GCBENCH_MEMORY", "64M", 1);
    gc_heap *h = gc_heap_new("trial", env ? "" : "max_bytes=67108864", err,
                             sizeof err);
    assert_non_null(h);
    int rc = heapfile_build(h, &hf, &drop, 1.0, 7, &ans, err, sizeof err);
    const char *at = strstr(err, "the snapshot (2000 objects) needs about ");
    double gib = at ? strtod(at + 40, NULL) : 0;
    if (rc != WL_ENOMEM || gc_heap_get_stats(h)->objects_allocated != 0 ||
        !(gib >= 31 && gib < 40) ||
        !strstr(err, env ? "GCBENCH_MEMORY" : "max_bytes"))
      fail_msg("rc %d after %llu objects: %s", rc,
               (unsigned long long)gc_heap_get_stats(h)->objects_allocated,
               err);
    rc = heapfile_build(h, &hf, &drop, 0.0, 7, &ans, err, sizeof err);
    if (rc != WL_OK) fail_msg("payload_scale=0: %s", err);
    assert_int_equal(gc_heap_get_stats(h)->objects_allocated, 2000);
    gc_heap_free(h);
    unsetenv("GCBENCH_MEMORY");
  }
  heapfile_free(&hf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_good_files),  cmocka_unit_test(test_drop_all),
      cmocka_unit_test(test_python_json), cmocka_unit_test(test_drop_fraction),
      cmocka_unit_test(test_bad_files),   cmocka_unit_test(test_bad_params),
      cmocka_unit_test(test_payload_scale),
      cmocka_unit_test(test_parse_memory),
      cmocka_unit_test(test_root_counts), cmocka_unit_test(test_binomial),
      cmocka_unit_test(test_synthetic_heaps),
      cmocka_unit_test(test_limits_and_flags), cmocka_unit_test(test_end_line),
      cmocka_unit_test(test_gzip),
      cmocka_unit_test(test_declared_sizes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
