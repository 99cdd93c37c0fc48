/*
 * test_verify.c -- gcrun's --verify schedule (bench/verify.c) against a
 * collector that turns wrong late in a run.
 *
 * The "broken collector" is the generational collector (counting
 * allocations only, so churn gives a collection every 2000 of them) plus a
 * fault the collect hook injects at the end of every collection from
 * collection K on, before the oracle looks: it clears the slot of a
 * reachable live-heap object that holds the only reference to a young
 * chain, so reference counting frees that chain -- objects reachable before the collection are
 * gone after it, as when a collector frees a group it wrongly judged
 * garbage.  Nothing in the run touches the chain afterwards (churn keeps
 * no other pointer to it), so the fault is memory-safe under ASan.
 *
 * Checked: --verify=all stops at collection K exactly; the default
 * (sampled) mode stops at a checked collection at or after K and before
 * the final collection, within the gap its budget allows; a run without
 * the fault passes with its checks spread over the whole run (not only at
 * the start) and within budget; --verify=final does not check safety
 * during the run at all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gc.h"
#include "verify.h"
#include "workload.h"

typedef struct trial_run {
  gcv v;
  uint64_t break_from; /* 0: never */
  uint64_t broken;     /* collections the fault was injected into */
  uint64_t freed_by_fault;
  uint64_t failed_at; /* collection the oracle failed, 0: none */
  uint64_t checked_at[4096];
  size_t nchecked;
  gc_object *cursor; /* where the fault's walk along the ring resumes */
} trial_run;

/* Clear the slot 2 of a ring object (churn's live heap) whose young group
 * is held by that slot alone, freeing the group: a wrong free. */
static void inject_fault(trial_run *t, gc_heap *h) {
  gc_object *root = gc_root_get(h, 0);
  if (!t->cursor) t->cursor = root;
  uint64_t live0 = gc_heap_get_stats(h)->live_objects;
  for (int steps = 0; steps < 1000000; steps++) {
    gc_object *o = t->cursor;
    t->cursor = gc_slot_get(o, 0); /* the ring */
    gc_object *young = gc_slot_get(o, 2);
    if (young && young->refcnt == 1) {
      gc_slot_set(h, o, 2, NULL);
      break;
    }
  }
  t->freed_by_fault += live0 - gc_heap_get_stats(h)->live_objects;
  t->broken++;
}

static void hook(gc_heap *h, int phase, int gen, void *arg) {
  (void)gen;
  trial_run *t = arg;
  if (t->failed_at) return; /* gcrun stops here (exit 1); we finish the run */
  if (phase == 1 && t->break_from && t->v.collections >= t->break_from)
    inject_fault(t, h);
  int pending = phase == 1 && t->v.pending;
  if (gcv_collect_hook(&t->v, h, phase) != 0) {
    t->failed_at = t->v.collections;
    return;
  }
  if (pending && t->nchecked < 4096)
    t->checked_at[t->nchecked++] = t->v.collections;
}

/* Churn under generational: about 80 collections, a live heap of 1000 and
 * its young groups. */
static gc_heap *run(trial_run *t, gcv_mode mode, uint64_t break_from) {
  memset(t, 0, sizeof *t);
  gcv_init(&t->v, mode);
  t->break_from = break_from;
  char err[256];
  /* allocations only: a collection every 2000 allocations, whatever dies */
  gc_heap *h = gc_heap_new("generational", "net_count=0", err, sizeof err);
  assert_non_null(h);
  const workload *wl = wl_find("churn");
  assert_non_null(wl);
  gc_param_set ps;
  assert_int_equal(gc_params_init(&ps, wl->params, wl->nparams), 0);
  const char *params[] = {"n=160000", "live=1000", "replace=0.01"};
  for (size_t i = 0; i < 3; i++)
    assert_int_equal(gc_params_assign(&ps, params[i], err, sizeof err), 0);
  gc_set_collect_hook(h, hook, t);
  wl_answer ans;
  assert_int_equal(wl->run(h, &ps, 7, &ans, err, sizeof err), WL_OK);
  t->v.final = 1;
  gc_collect(h, GC_FULL);
  gc_params_free(&ps);
  return h;
}

/* Collections in the run without a fault, and the largest gap between
 * two sampled checks. */
static uint64_t total_collections;
static uint64_t max_gap;

static void test_sampled_clean_run(void **state) {
  (void)state;
  static trial_run t;
  gc_heap *h = run(&t, GCV_SAMPLED, 0);
  const gc_heap_stats *st = gc_heap_get_stats(h);
  assert_int_equal(t.failed_at, 0);
  total_collections = st->collections;
  printf("clean run: %llu collections, %llu live at the end, %zu checked\n",
         (unsigned long long)total_collections,
         (unsigned long long)st->live_objects, t.nchecked);
  assert_true(total_collections > 60);
  assert_true(t.nchecked >= 3);
  assert_int_equal(t.checked_at[0], 1);                        /* first */
  assert_int_equal(t.checked_at[t.nchecked - 1], total_collections); /* final */
  /* within budget: the checks made, but the final one, were charged no
   * more than the run's work allowed */
  double work = (double)st->objects_allocated / GCV_ALLOC_WEIGHT +
                (double)st->objects_examined / GCV_EXAMINE_WEIGHT;
  assert_true((double)t.v.spent <= GCV_BUDGET * work + st->live_objects);
  /* spread over the run: checks in its second half too, and no gap wider
   * than a third of it */
  size_t late = 0;
  for (size_t i = 0; i + 1 < t.nchecked; i++) {
    if (t.checked_at[i] > total_collections / 2) late++;
    uint64_t gap = t.checked_at[i + 1] - t.checked_at[i];
    if (gap > max_gap) max_gap = gap;
  }
  assert_true(late >= 2);
  assert_true(max_gap <= total_collections / 3);
  printf("sampled: %zu of %llu collections checked, largest gap %llu\n",
         t.nchecked, (unsigned long long)total_collections,
         (unsigned long long)max_gap);
  gc_heap_free(h);
}

static void test_all_stops_at_the_fault(void **state) {
  (void)state;
  static trial_run t;
  uint64_t k = total_collections * 3 / 4;
  gc_heap *h = run(&t, GCV_ALL, k);
  assert_int_equal(t.failed_at, k);
  assert_true(t.freed_by_fault > 0); /* the fault freed reachable objects */
  assert_non_null(strstr(t.v.error, "safety"));
  gc_heap_free(h);
}

static void test_sampled_catches_a_late_fault(void **state) {
  (void)state;
  static trial_run t;
  uint64_t k = total_collections * 3 / 4;
  gc_heap *h = run(&t, GCV_SAMPLED, k);
  printf("fault from collection %llu: caught at %llu (%s)\n",
         (unsigned long long)k, (unsigned long long)t.failed_at, t.v.error);
  assert_true(t.failed_at >= k);
  assert_true(t.failed_at < total_collections); /* before the final one */
  assert_true(t.failed_at - k <= max_gap);
  assert_true(t.freed_by_fault > 0);
  gc_heap_free(h);
}

static void test_final_checks_no_collection(void **state) {
  (void)state;
  static trial_run t;
  gc_heap *h = run(&t, GCV_FINAL, total_collections * 3 / 4);
  assert_int_equal(t.failed_at, 0);
  assert_int_equal(t.v.checked, 0);
  assert_true(t.broken > 0);
  gc_heap_free(h);
}

static void test_parse(void **state) {
  (void)state;
  gcv_mode m;
  assert_int_equal(gcv_parse(NULL, &m), 0);
  assert_int_equal(m, GCV_SAMPLED);
  assert_int_equal(gcv_parse("all", &m), 0);
  assert_int_equal(m, GCV_ALL);
  assert_int_equal(gcv_parse("final", &m), 0);
  assert_int_equal(m, GCV_FINAL);
  assert_int_equal(gcv_parse("every", &m), -1);
}

/* The line a count mismatch ends a run with says what the difference
 * means, and under sampled checks where to look next. */
static void test_count_mismatch_line(void **state) {
  (void)state;
  char buf[512];
  gcv_count_mismatch(buf, sizeof buf, "freed_by_rc", 890861, 890860,
                     GCV_SAMPLED);
  assert_non_null(strstr(buf, "freed_by_rc = 890861, the workload's answer "
                              "is 890860: 1 more"));
  assert_non_null(strstr(buf, "freed that the workload still holds"));
  assert_non_null(strstr(buf, "freed twice"));
  assert_non_null(strstr(buf, "--verify=all"));
  gcv_count_mismatch(buf, sizeof buf, "freed_by_collector", 5, 7, GCV_ALL);
  assert_non_null(strstr(buf, "2 fewer"));
  assert_non_null(strstr(buf, "a leak"));
  assert_null(strstr(buf, "--verify=all"));
  gcv_count_mismatch(buf, sizeof buf, "live_at_end", 3, 9, GCV_FINAL);
  assert_non_null(strstr(buf, "6 fewer, so objects the workload still holds "
                              "were freed"));
  gcv_count_mismatch(buf, sizeof buf, "live_at_end", 9, 3, GCV_SAMPLED);
  assert_non_null(strstr(buf, "survived the final full collection"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_count_mismatch_line),
      cmocka_unit_test(test_parse),
      cmocka_unit_test(test_sampled_clean_run), /* first: sets the sizes */
      cmocka_unit_test(test_all_stops_at_the_fault),
      cmocka_unit_test(test_sampled_catches_a_late_fault),
      cmocka_unit_test(test_final_checks_no_collection),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
