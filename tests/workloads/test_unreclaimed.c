/*
 * test_unreclaimed.c -- the unreclaimed-garbage count (gc_note_garbage,
 * gc_heap_unreclaimed) is exact: for every workload that notes its garbage,
 * under every registered collector, at default and at eager collection
 * settings, the count equals the oracle's unreachable objects and bytes
 * before and after every collection and every few allocations; its maximum
 * is the largest count seen just before a collection; its mean is the mean
 * over allocations of the count each allocation sees.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "oracle.h"
#include "workload.h"

/* Parameters for each workload that notes its garbage: a new one must be
 * added here (the test fails otherwise). */
static const struct {
  const char *name, *params;
} cases[] = {
    {"cycles", "n=20000,live=3000,size=3,window=7"},
    {"cycles", "n=5000,live=500,size=1,window=1"},
    {"growth", "n=30000,keep=0.3,size=5,cyclic=0.5,window=9"},
    {"churn", "n=40000,live=5000,cyclic=0.3,replace=0.05"},
    {"churn", "n=20000,live=300,cyclic=0.7,replace=0.5,window=3,group=2"},
    /* a real program's heap (tests/timeline) */
    {"timeline", "file=" TIMELINE_CAPTURE},
};

/* Collections every few allocations, per collector (others: defaults). */
static const char *eager(const char *collector) {
  if (!strcmp(collector, "naive")) return "threshold=97";
  if (!strcmp(collector, "trial")) return "threshold=50,adaptive=0";
  if (!strcmp(collector, "generational"))
    return "threshold0=61,threshold1=3,threshold2=2";
  if (!strcmp(collector, "incremental")) return "threshold=61,scale=2";
  return NULL;
}

enum { ORACLE_EVERY = 97 };

typedef struct probe {
  const char *what; /* for messages */
  uint64_t checks;  /* comparisons with the oracle */
  uint64_t seen_max_before; /* largest count just before a collection */
  long double sum;  /* count seen by each allocation (sample hook) */
} probe;

static void compare(gc_heap *h, probe *p, const char *where) {
  gc_unreclaimed u;
  gc_heap_unreclaimed(h, &u);
  gc_oracle_report rep;
  if (gc_oracle_check(h, 0, &rep) != 0)
    fail_msg("%s: oracle: %s", p->what, rep.error);
  if (u.objects != rep.unreachable || u.bytes != rep.unreachable_bytes)
    fail_msg("%s, %s after %llu allocations: unreclaimed %llu objects / "
             "%llu bytes, the oracle finds %llu / %llu unreachable",
             p->what, where,
             (unsigned long long)gc_heap_get_stats(h)->objects_allocated,
             (unsigned long long)u.objects, (unsigned long long)u.bytes,
             (unsigned long long)rep.unreachable,
             (unsigned long long)rep.unreachable_bytes);
  p->checks++;
}

static void on_collect(gc_heap *h, int phase, int gen, void *arg) {
  (void)gen;
  probe *p = arg;
  compare(h, p, phase ? "after a collection" : "before a collection");
  if (phase == 0) {
    gc_unreclaimed u;
    gc_heap_unreclaimed(h, &u);
    if (u.objects > p->seen_max_before) p->seen_max_before = u.objects;
  }
}

static void on_sample(gc_heap *h, void *arg) {
  probe *p = arg;
  gc_unreclaimed u;
  gc_heap_unreclaimed(h, &u);
  p->sum += u.objects;
  if (gc_heap_get_stats(h)->objects_allocated % ORACLE_EVERY == 0)
    compare(h, p, "at a sample");
}

static void check_one(const char *collector, const char *tunables,
                      const char *name, const char *params) {
  const workload *w = wl_find(name);
  assert_non_null(w);
  assert_true(w->notes_garbage);
  char err[512], what[256];
  snprintf(what, sizeof what, "%s %s under %s (%s)", name, params, collector,
           tunables ? tunables : "defaults");
  gc_param_set ps;
  assert_int_equal(gc_params_init(&ps, w->params, w->nparams), 0);
  if (gc_params_assign_list(&ps, params, err, sizeof err) != 0)
    fail_msg("%s: %s", what, err);
  gc_heap *h = gc_heap_new(collector, tunables, err, sizeof err);
  if (!h) fail_msg("%s: %s", what, err);
  probe p = {.what = what};
  gc_set_collect_hook(h, on_collect, &p);
  gc_set_sample_hook(h, 1, on_sample, &p);
  wl_answer ans;
  if (w->run(h, &ps, 5, &ans, err, sizeof err) != WL_OK)
    fail_msg("%s: %s", what, err);
  gc_collect(h, GC_FULL); /* its "before" hook sees the run's end */
  gc_unreclaimed u;
  gc_heap_unreclaimed(h, &u);
  const gc_heap_stats *s = gc_heap_get_stats(h);
  int none = !strcmp(collector, "none");
  /* exact at every step, and there was something to count */
  assert_true(p.checks > s->objects_allocated / ORACLE_EVERY);
  assert_true(u.max_objects > 0);
  assert_int_equal(u.objects, none ? ans.cyclic : 0);
  assert_int_equal(s->garbage_noted, ans.cyclic);
  /* the count only rises at a note, so its maximum is seen just before
   * some collection (the final one included) */
  assert_int_equal(u.max_objects, p.seen_max_before);
  /* allocation j + 1 sees the count the sample hook reads at j >= 1 (the
   * first sees 0): the mean over allocations */
  long double want = p.sum / (long double)s->objects_allocated;
  if (fabsl(want - (long double)u.mean_objects) > 1e-6L * (want + 1))
    fail_msg("%s: mean %.6f, the samples give %.6Lf", what, u.mean_objects,
             want);
  gc_heap_free(h);
  gc_params_free(&ps);
}

static void test_exact_under_every_collector(void **state) {
  (void)state;
  size_t nw;
  const workload *const *all = wl_list(&nw);
  for (size_t i = 0; i < nw; i++) {
    if (!all[i]->notes_garbage) continue;
    int found = 0;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
      if (strcmp(cases[k].name, all[i]->name)) continue;
      found = 1;
      for (size_t c = 0; c < gc_collector_count(); c++) {
        const char *cn = gc_collector_name(c);
        check_one(cn, NULL, cases[k].name, cases[k].params);
        if (eager(cn)) check_one(cn, eager(cn), cases[k].name, cases[k].params);
      }
    }
    if (!found)
      fail_msg("workload '%s' notes its garbage but has no case here",
               all[i]->name);
  }
}

/* Under `none` nothing is ever reclaimed: the count climbs to every cycle
 * made, and the bytes follow the objects' sizes. */
static void test_none_keeps_everything(void **state) {
  (void)state;
  const workload *w = wl_find("cycles");
  gc_param_set ps;
  char err[256];
  assert_int_equal(gc_params_init(&ps, w->params, w->nparams), 0);
  assert_int_equal(gc_params_assign_list(&ps, "n=1000,live=10,size=4,"
                                              "payload=8",
                                         err, sizeof err),
                   0);
  gc_heap *h = gc_heap_new("none", NULL, err, sizeof err);
  assert_non_null(h);
  wl_answer ans;
  assert_int_equal(w->run(h, &ps, 1, &ans, err, sizeof err), WL_OK);
  gc_unreclaimed u;
  gc_heap_unreclaimed(h, &u);
  assert_int_equal(u.objects, 1000);
  assert_int_equal(u.max_objects, 1000);
  assert_int_equal(u.bytes, 1000 * (sizeof(gc_link) + sizeof(gc_object) + 2 * sizeof(void *) + 8));
  assert_true(u.mean_objects > 0 && u.mean_objects < 1000);
  gc_heap_free(h);
  gc_params_free(&ps);
}

/* The root-table moves the windows use: a reference moves or is stolen
 * with no count change on it, the entry overwritten is decremented. */
static void test_root_move_and_steal(void **state) {
  (void)state;
  char err[256];
  gc_heap *h = gc_heap_new("naive", "auto=0", err, sizeof err);
  assert_non_null(h);
  gc_object *a = gc_new(h, 0, 0), *b = gc_new(h, 0, 0);
  assert_int_equal(gc_root_push(h, NULL), 0);
  assert_int_equal(gc_root_push(h, NULL), 1);
  assert_int_equal(gc_root_set_steal(h, 0, a), GC_OK); /* our ref moves in */
  assert_int_equal(a->refcnt, 1);
  assert_int_equal(gc_root_set_steal(h, 1, b), GC_OK);
  assert_int_equal(gc_root_move(h, 0, 1), GC_OK); /* b dropped, a moves */
  assert_int_equal(a->refcnt, 1);
  assert_ptr_equal(gc_root_get(h, 1), a);
  assert_null(gc_root_get(h, 0));
  assert_int_equal(gc_heap_get_stats(h)->freed_by_rc, 1); /* b */
  assert_int_equal(gc_root_move(h, 1, 1), GC_OK);
  assert_ptr_equal(gc_root_get(h, 1), a);
  assert_int_equal(gc_root_move(h, 1, 2), GC_EINVAL);
  assert_int_equal(gc_root_set_steal(h, 2, NULL), GC_EINVAL);
  gc_oracle_report rep;
  assert_int_equal(gc_oracle_check(h, GC_ORACLE_COUNTS, &rep), 0);
  assert_int_equal(rep.reachable, 1);
  gc_heap_free(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exact_under_every_collector),
      cmocka_unit_test(test_none_keeps_everything),
      cmocka_unit_test(test_root_move_and_steal),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
