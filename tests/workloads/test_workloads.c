/*
 * test_workloads.c -- the workloads' answers: deterministic for a seed, the
 * same under every collector, consistent with what the heap does, and equal
 * to counts computed here a second way for shapes whose answer is known in
 * closed form.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oracle.h"
#include "rng.h"
#include "workload.h"

/* Run workload `name` with `params` ("k=v,k=v") under `collector`, then a
 * full collection; check the heap against the answer and the oracle.
 * Returns the run's result (WL_OK or an error, with err filled). */
static int run(const char *collector, const char *tunables, const char *name,
               const char *params, uint64_t seed, wl_answer *ans, char *err,
               size_t errlen) {
  const workload *w = wl_find(name);
  assert_non_null(w);
  gc_param_set ps;
  assert_int_equal(gc_params_init(&ps, w->params, w->nparams), 0);
  if (params && gc_params_assign_list(&ps, params, err, errlen) != 0)
    fail_msg("%s: %s", params, err);
  gc_heap *h = gc_heap_new(collector, tunables, err, errlen);
  if (!h) fail_msg("gc_heap_new(%s): %s", collector, err);
  int rc = w->run(h, &ps, seed, ans, err, errlen);
  if (rc == WL_OK) {
    gc_collect(h, GC_FULL);
    const gc_heap_stats *s = gc_heap_get_stats(h);
    int none = strcmp(collector, "none") == 0;
    assert_int_equal(ans->allocated,
                     ans->freed_by_rc + ans->cyclic + ans->live);
    assert_int_equal(s->objects_allocated, ans->allocated);
    assert_int_equal(s->freed_by_rc, ans->freed_by_rc);
    assert_int_equal(s->freed_by_collector, none ? 0 : ans->cyclic);
    assert_int_equal(s->live_objects, ans->live + (none ? ans->cyclic : 0));
    if (!none) {
      assert_int_equal(s->finalizers_run, ans->finalized);
      assert_int_equal(s->resurrected, ans->resurrected);
      assert_int_equal(s->uncollectable, ans->uncollectable);
    }
    gc_oracle_report rep;
    int flags = GC_ORACLE_COUNTS | (none ? 0 : GC_ORACLE_COMPLETE);
    if (gc_oracle_check(h, flags, &rep) != 0)
      fail_msg("%s under %s: oracle: %s", name, collector, rep.error);
    /* Under `none` no finalizer resurrects and nothing goes to gc.garbage:
     * those rings stay unreachable, with the leaked cycles. */
    assert_int_equal(rep.reachable,
                     ans->live - (none ? ans->resurrected + ans->uncollectable
                                       : 0));
  }
  gc_heap_free(h);
  gc_params_free(&ps);
  return rc;
}

static wl_answer ok(const char *collector, const char *tunables,
                    const char *name, const char *params, uint64_t seed) {
  wl_answer a;
  char err[512] = "";
  int rc = run(collector, tunables, name, params, seed, &a, err, sizeof err);
  if (rc != WL_OK) fail_msg("%s %s: %d %s", name, params, rc, err);
  return a;
}

static void assert_same(wl_answer a, wl_answer b) {
  assert_int_equal(a.allocated, b.allocated);
  assert_int_equal(a.freed_by_rc, b.freed_by_rc);
  assert_int_equal(a.cyclic, b.cyclic);
  assert_int_equal(a.live, b.live);
  assert_int_equal(a.finalized, b.finalized);
  assert_int_equal(a.resurrected, b.resurrected);
  assert_int_equal(a.uncollectable, b.uncollectable);
}

static const struct {
  const char *name, *params;
} cases[] = {
    {"pair", "n=7"},
    {"chains", "n=5003,length=10,held=0.5"},
    {"rings", "n=5003,k=10,links=2,held=0.5"},
    {"graphs", "n=5000,degree=2,held=0.1"},
    {"graphs", "n=5000,degree=2,model=scalefree,held=0.1"},
    {"trees", "n=5000,parent=1"},
    {"trees", "n=5000"},
    {"levels", "n=5000"},
    {"churn", "n=20000,live=2000,cyclic=0.5,replace=0.1"},
    {"cycles", "n=10000,live=2000,size=3,window=4"},
    {"growth", "n=20000,keep=0.4,size=5,cyclic=0.6,window=5"},
    {"finalizers", "n=5000,fin=0.5,resurrect=0.3,held=0.2"},
};

/* The same seed gives the same answer, under every collector and whether
 * or not collections run in the middle of the workload. */
static void test_deterministic_and_collector_independent(void **state) {
  (void)state;
  const char *tun[] = {"auto=0", "threshold=37", "threshold=29,adaptive=0",
                       "threshold0=31,threshold1=2,threshold2=2"};
  const char *col[] = {"naive", "naive", "trial", "generational"};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    wl_answer ref = ok("none", NULL, cases[i].name, cases[i].params, 11);
    for (size_t j = 0; j < 4; j++)
      assert_same(ref, ok(col[j], tun[j], cases[i].name, cases[i].params, 11));
  }
}

/* Different seeds give different heaps for the random workloads. */
static void test_seed_matters(void **state) {
  (void)state;
  wl_answer a = ok("naive", NULL, "graphs", "n=5000,held=0.2", 1);
  wl_answer b = ok("naive", NULL, "graphs", "n=5000,held=0.2", 2);
  assert_true(a.live != b.live || a.freed_by_rc != b.freed_by_rc);
}

static void test_closed_forms(void **state) {
  (void)state;
  wl_answer a = ok("naive", NULL, "rings", "n=1000,k=10", 1);
  assert_int_equal(a.cyclic, 1000);
  a = ok("naive", NULL, "rings", "n=1005,k=10,held=1", 1); /* 100 + 1 ring */
  assert_int_equal(a.live, 1005);
  a = ok("trial", NULL, "chains", "n=999,length=100", 1);
  assert_int_equal(a.freed_by_rc, 999);
  a = ok("generational", NULL, "chains", "n=999,length=100,held=1", 1);
  assert_int_equal(a.live, 999);
  /* pyperformance's 1000 levels: 999 * 1000 / 2 references */
  a = ok("naive", NULL, "levels", "n=499500", 1);
  assert_int_equal(a.allocated, 1000);
  assert_int_equal(a.live, 1000);
  a = ok("naive", NULL, "levels", "n=499499", 1);
  assert_int_equal(a.allocated, 999);
  /* A graph without edges: reference counting frees every dropped vertex. */
  a = ok("naive", NULL, "graphs", "n=1000,degree=0,held=0", 1);
  assert_int_equal(a.freed_by_rc, 1000);
  a = ok("naive", NULL, "graphs", "n=1000,degree=3,held=1", 1);
  assert_int_equal(a.live, 1000);
  /* churn without cycles leaves the collector nothing; with cycles only,
   * reference counting frees nothing. */
  a = ok("naive", NULL, "churn", "n=10000,live=100,cyclic=0", 1);
  assert_int_equal(a.cyclic, 0);
  a = ok("naive", NULL, "churn", "n=10000,live=100,cyclic=1,replace=0", 1);
  assert_int_equal(a.freed_by_rc, 0);
  assert_int_equal(a.live, 100);
  assert_int_equal(a.cyclic, 10000);
  /* cycles: every cycle object is the collector's, the tree stays. */
  a = ok("naive", NULL, "cycles", "n=10001,live=777,size=4", 1);
  assert_int_equal(a.cyclic, 10001);
  assert_int_equal(a.live, 777);
  assert_int_equal(a.freed_by_rc, 0);
  /* growth: n objects, a `keep` share of them in the tables (within one
   * entry and its block), every group cyclic or none. */
  a = ok("naive", NULL, "growth", "n=100000,keep=0.25,cyclic=1", 1);
  assert_true(a.allocated >= 100000 && a.allocated <= 100001);
  assert_true(a.live >= 25000 && a.live <= 25002);
  assert_int_equal(a.freed_by_rc, 0);
  a = ok("naive", NULL, "growth", "n=100000,keep=0.25,cyclic=0", 1);
  assert_int_equal(a.cyclic, 0);
  a = ok("naive", NULL, "growth", "n=1000,keep=1", 1);
  assert_int_equal(a.live, a.allocated);
  /* Every member finalized, every dropped ring resurrected. */
  a = ok("trial", NULL, "finalizers", "n=1000,k=10,fin=1,resurrect=1", 1);
  assert_int_equal(a.finalized, 1000);
  assert_int_equal(a.resurrected, 1000);
  assert_int_equal(a.live, 1000);
  a = ok("naive", NULL, "finalizers", "n=1000,k=10,fin=1,resurrect=0", 1);
  assert_int_equal(a.finalized, 1000);
  assert_int_equal(a.cyclic, 1000);
  a = ok("generational", "legacy_finalizers=1", "finalizers",
         "n=1000,k=10,fin=1", 1);
  assert_int_equal(a.uncollectable, 1000);
  assert_int_equal(a.finalized, 0);
}

/* GCBench's counts with small depths: stretch tree, long-lived tree and
 * array, and 2 * NumIters(d) trees of each depth. */
static void test_trees_gcbench_counts(void **state) {
  (void)state;
  const char *p = "stretch=10,long_lived=8,min_depth=4,max_depth=8,array=80";
  uint64_t size[11];
  for (int d = 0; d <= 10; d++) size[d] = (UINT64_C(1) << (d + 1)) - 1;
  uint64_t temp = 0;
  for (int d = 4; d <= 8; d += 2) temp += 2 * (2 * size[10] / size[d]) * size[d];
  wl_answer a = ok("naive", NULL, "trees", p, 1);
  assert_int_equal(a.allocated, size[10] + size[8] + 1 + temp);
  assert_int_equal(a.live, size[8] + 1);
  assert_int_equal(a.freed_by_rc, size[10] + temp);
  char pp[128];
  snprintf(pp, sizeof pp, "%s,parent=1", p);
  a = ok("trial", NULL, "trees", pp, 1);
  assert_int_equal(a.cyclic, size[10] + temp);
}

/* Out-degree 1 (a functional graph): the collector's share is exactly the
 * vertices on cycles, since nothing leaves a cycle; computed here by
 * walking each vertex's successor chain, independently of graphs.c. */
static void test_functional_graph(void **state) {
  (void)state;
  for (uint64_t seed = 1; seed <= 3; seed++) {
    /* graphs.c draws held flags first, then edges, from one generator */
    enum { N = 3000 };
    wl_rng r;
    wl_rng_seed(&r, seed);
    for (int v = 0; v < N; v++) (void)wl_rng_unit(&r); /* held=0: none */
    static uint32_t next[N];
    for (int v = 0; v < N; v++) next[v] = (uint32_t)wl_rng_below(&r, N);
    static unsigned char on_cycle[N];
    memset(on_cycle, 0, sizeof on_cycle);
    uint64_t cyc = 0;
    for (int v = 0; v < N; v++) { /* v is on a cycle iff N steps return */
      uint32_t x = next[v];
      for (int i = 0; i < N && x != (uint32_t)v; i++) x = next[x];
      if (x == (uint32_t)v) on_cycle[v] = 1, cyc++;
    }
    char p[64];
    snprintf(p, sizeof p, "n=%d,degree=1,held=0", N);
    wl_answer a = ok("naive", NULL, "graphs", p, seed);
    assert_int_equal(a.cyclic, cyc);
    assert_int_equal(a.freed_by_rc, N - cyc);
  }
}

static void test_bad_input(void **state) {
  (void)state;
  wl_answer a;
  char err[512] = "";
  assert_int_equal(run("naive", NULL, "graphs", "n=10,model=smallworld", 1,
                       &a, err, sizeof err),
                   WL_EINPUT);
  assert_non_null(strstr(err, "smallworld"));
  err[0] = 0;
  assert_int_equal(run("naive", NULL, "churn", "n=10,live=0,replace=0.5", 1,
                       &a, err, sizeof err),
                   WL_EINPUT);
  assert_non_null(strstr(err, "live"));
}

/* Out of memory in the middle of a workload: WL_ENOMEM, a consistent heap
 * (the oracle passes) and nothing leaked when it is freed. */
static void test_out_of_memory(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    for (int nth = 1; nth < 4000; nth = nth * 3 + 1) {
      const workload *w = wl_find(cases[i].name);
      gc_param_set ps;
      char err[512], tun[64];
      assert_int_equal(gc_params_init(&ps, w->params, w->nparams), 0);
      assert_int_equal(gc_params_assign_list(&ps, cases[i].params, err,
                                             sizeof err),
                       0);
      snprintf(tun, sizeof tun, "fail_alloc=%d,threshold=100", nth);
      gc_heap *h = gc_heap_new("naive", tun, err, sizeof err);
      assert_non_null(h);
      wl_answer a;
      int rc = w->run(h, &ps, 1, &a, err, sizeof err);
      assert_true(rc == WL_OK || rc == WL_ENOMEM);
      if (rc == WL_ENOMEM) {
        gc_oracle_report rep;
        if (gc_oracle_check(h, GC_ORACLE_COUNTS, &rep) != 0)
          fail_msg("%s fail_alloc=%d: %s", cases[i].name, nth, rep.error);
      }
      gc_heap_free(h);
      gc_params_free(&ps);
    }
  }
}

/* A run that cannot fit is refused before its first allocation: WL_ENOMEM,
 * no object allocated, one line saying what it needs and the limit.
 * Each case is too big for the budget, the same parameters with a smaller
 * n fit it. */
static const struct {
  const char *name, *collector, *big, *small;
} too_big[] = {
    {"levels", "trial", "n=4000000000", "n=5000"},
    {"growth", "trial", "n=4000000000,keep=1", "n=5000,keep=1"},
    {"rings", "trial", "n=1000000000,held=1", "n=5000,held=1"},
    {"rings", "none", "n=1000000000", "n=5000"},
    {"rings", "trial", "n=100000000,scatter=0.5", "n=5000,scatter=0.5"},
    {"chains", "trial", "n=1000000000,held=1", "n=5000,held=1"},
    {"pair", "none", "n=500000000", "n=2000"},
    {"graphs", "trial", "n=100000000", "n=5000"},
    {"trees", "trial", "n=0,stretch=30", "n=5000"},
    {"trees", "none", "n=1000000000,parent=1", "n=5000,parent=1"},
    {"churn", "trial", "n=1000,live=100000000", "n=1000,live=5000"},
    {"cycles", "trial", "n=1000,live=100000000", "n=1000,live=5000"},
    {"finalizers", "none", "n=1000000000", "n=5000"},
};

static int run_budget(const char *name, const char *collector,
                      const char *params, const char *tunables, char *err,
                      size_t errlen, uint64_t *allocated) {
  const workload *w = wl_find(name);
  gc_param_set ps;
  assert_int_equal(gc_params_init(&ps, w->params, w->nparams), 0);
  if (gc_params_assign_list(&ps, params, err, errlen) != 0)
    fail_msg("%s: %s", params, err);
  gc_heap *h = gc_heap_new(collector, tunables, err, errlen);
  assert_non_null(h);
  wl_answer a;
  err[0] = 0;
  int rc = w->run(h, &ps, 1, &a, err, errlen);
  *allocated = gc_heap_get_stats(h)->objects_allocated;
  gc_heap_free(h);
  gc_params_free(&ps);
  return rc;
}

static void test_refused_before_allocating(void **state) {
  (void)state;
  unsetenv("GCBENCH_MEMORY");
  for (size_t i = 0; i < sizeof too_big / sizeof too_big[0]; i++) {
    char err[512];
    uint64_t allocated;
    /* the heap's budget, 64 MiB */
    int rc = run_budget(too_big[i].name, too_big[i].collector, too_big[i].big,
                        "max_bytes=67108864", err, sizeof err, &allocated);
    if (rc != WL_ENOMEM || allocated != 0)
      fail_msg("%s %s under %s: rc %d after %llu objects (%s)",
               too_big[i].name, too_big[i].big, too_big[i].collector, rc,
               (unsigned long long)allocated, err);
    if (!strstr(err, "refused before allocating") ||
        !strstr(err, "needs about") || !strstr(err, "max_bytes"))
      fail_msg("%s: %s", too_big[i].name, err);
    rc = run_budget(too_big[i].name, too_big[i].collector, too_big[i].small,
                    "max_bytes=67108864", err, sizeof err, &allocated);
    if (rc != WL_OK) fail_msg("%s %s: %s", too_big[i].name, too_big[i].small, err);
    /* the room of the process, as GCBENCH_MEMORY sets it */
    setenv("GCBENCH_MEMORY", "64M", 1);
    rc = run_budget(too_big[i].name, too_big[i].collector, too_big[i].big, "",
                    err, sizeof err, &allocated);
    unsetenv("GCBENCH_MEMORY");
    if (rc != WL_ENOMEM || allocated != 0 || !strstr(err, "GCBENCH_MEMORY") ||
        !strstr(err, "64.0 MiB"))
      fail_msg("%s %s, GCBENCH_MEMORY=64M: rc %d after %llu objects (%s)",
               too_big[i].name, too_big[i].big, rc,
               (unsigned long long)allocated, err);
  }
}

/* levels' need is every level at its size class: n = 4e9 gives 89,442
 * levels, 4e9 slots, about 32 GiB; the largest n it suggests fits
 * (about 7e6 under 64 MiB). */
static void test_levels_need(void **state) {
  (void)state;
  char err[512];
  uint64_t allocated;
  setenv("GCBENCH_MEMORY", "64M", 1);
  int rc = run_budget("levels", "trial", "n=4000000000", "", err, sizeof err,
                      &allocated);
  assert_int_equal(rc, WL_ENOMEM);
  double need = 0;
  assert_non_null(strstr(err, "needs about "));
  sscanf(strstr(err, "needs about ") + 12, "%lf", &need);
  if (!(need > 29 && need < 36)) fail_msg("%s", err);
  const char *at = strstr(err, "at most about n=");
  assert_non_null(at);
  char params[64];
  snprintf(params, sizeof params, "n=%s", at + 16);
  params[strcspn(params, ")")] = 0;
  rc = run_budget("levels", "none", params, "", err, sizeof err, &allocated);
  unsetenv("GCBENCH_MEMORY");
  if (rc != WL_OK) fail_msg("levels %s: %s", params, err);
}

/* GCBENCH_MEMORY: sizes with units; a bad one is bad input. */
static void test_memory_room(void **state) {
  (void)state;
  uint64_t v;
  assert_int_equal(wl_parse_size("512M", &v), 0);
  assert_int_equal(v, 512ull << 20);
  assert_int_equal(wl_parse_size("1.5GiB", &v), 0);
  assert_int_equal(v, 3ull << 29);
  assert_int_equal(wl_parse_size("4096", &v), 0);
  assert_int_equal(v, 4096);
  assert_int_equal(wl_parse_size("4X", &v), -1);
  assert_int_equal(wl_parse_size("", &v), -1);
  assert_int_equal(wl_parse_size("-1G", &v), -1);
  wl_room r;
  setenv("GCBENCH_MEMORY", "2G", 1);
  assert_int_equal(wl_memory_room(&r), 0);
  assert_int_equal(r.bytes, 2ull << 30);
  assert_string_equal(r.why, "GCBENCH_MEMORY");
  setenv("GCBENCH_MEMORY", "lots", 1);
  assert_int_equal(wl_memory_room(&r), -1);
  char err[512];
  uint64_t allocated;
  assert_int_equal(run_budget("rings", "trial", "n=1000000000", "", err,
                              sizeof err, &allocated),
                   WL_EINPUT);
  assert_non_null(strstr(err, "GCBENCH_MEMORY='lots' is not a size"));
  unsetenv("GCBENCH_MEMORY");
  assert_int_equal(wl_memory_room(&r), 0); /* the machine: some figure */
  assert_true(r.bytes > 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_deterministic_and_collector_independent),
      cmocka_unit_test(test_seed_matters),
      cmocka_unit_test(test_closed_forms),
      cmocka_unit_test(test_trees_gcbench_counts),
      cmocka_unit_test(test_functional_graph),
      cmocka_unit_test(test_bad_input),
      cmocka_unit_test(test_out_of_memory),
      cmocka_unit_test(test_refused_before_allocating),
      cmocka_unit_test(test_levels_need),
      cmocka_unit_test(test_memory_room),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
