/*
 * test_snapshot.c -- the `snapshot` workload and its gcheap 1 parser.
 *
 * Good files (hand-written with known answers, and a CPython heap written by
 * scripts/snapshot-python) are loaded under every registered collector,
 * collected in full and judged against the answer and the oracle.  Bad
 * files must be refused with "FILE:LINE: reason" and leave no object
 * allocated.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gc.h"
#include "heapfile.h"
#include "oracle.h"
#include "params.h"
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
};
#define NGOOD (sizeof good_files / sizeof good_files[0])

typedef struct bad_file {
  const char *name;
  int line;
  const char *reason; /* a word the message must contain */
} bad_file;

static const bad_file bad_files[] = {
    {"empty", 1, "empty"},
    {"magic", 1, "not a gcheap file"},
    {"version3", 1, "unsupported version 3"},
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
    {"binary", 1, "not a gcheap file"},
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

static void expect_refused(const char *path, int line, const char *reason) {
  run_result r;
  run_wl(&r, "naive", NULL, path, "none", 1);
  if (r.rc != WL_EINPUT)
    fail_msg("%s: run returned %d, want WL_EINPUT (err '%s')", path, r.rc,
             r.err);
  char where[1100];
  snprintf(where, sizeof where, "%s:%d: ", path, line);
  if (strncmp(r.err, where, strlen(where)) != 0 || !strstr(r.err, reason) ||
      strchr(r.err, '\n'))
    fail_msg("%s: message '%s', want '%s...%s...' on one line", path, r.err,
             where, reason);
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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_good_files),  cmocka_unit_test(test_drop_all),
      cmocka_unit_test(test_python_json), cmocka_unit_test(test_drop_fraction),
      cmocka_unit_test(test_bad_files),   cmocka_unit_test(test_bad_params),
      cmocka_unit_test(test_payload_scale),
      cmocka_unit_test(test_parse_memory),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
