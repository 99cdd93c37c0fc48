/*
 * test_model.c -- the model-based test of gc/gc.h's public API.
 *
 * A seeded random mutator (model.c) runs on every collector and every
 * profile in turn, each run with tunables drawn from the collector's
 * declared ones, and checks the heap against its own shadow model after
 * every step and around every collection (model.h says what it checks).
 * Then small deterministic cases pin the contract of three calls:
 *
 *   - gc_root_move moves the whole count k of an entry with its object;
 *     gc_root_set_steal keeps the entry's k (v gains k - 1 beside the
 *     reference it took), and the old object loses k;
 *   - a cycle closed with gc_slot_steal is freed by a full collection
 *     under every collector and profile that collects cycles;
 *   - gc_root_truncate(h, n) drops the entries past n at the call, and
 *     keeps the ones a finalizer pushes meanwhile, at n, n+1, ... in push
 *     order;
 *
 * and a planted fault (a gc_incref the model is not told of) checks that
 * the model notices what it is meant to.
 *
 *   test_model [--seed S] [--runs N] [--steps N] [--config NAME]
 *              [--avoid move,steal-cycle,truncate-push]
 *
 * Run r uses seed S + r and configuration r modulo the number of
 * collectors + profiles (or NAME).  --avoid keeps the mutator away from a
 * pattern, and skips the deterministic case of it.  Defaults are smaller
 * under AddressSanitizer.  Exit codes: 0 passed, 1 a check failed, 2 bad
 * usage.
 *
 * Do not use this test as a benchmark: it checks the whole heap after
 * every step.
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
#include "model.h"

/* ASan runs about as fast as the debug build's validators: about 30 s
 * each on one core of the reference machine. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif

#ifdef SANITIZED
#define DEFAULT_RUNS 900
#define DEFAULT_STEPS 4500
#else
#define DEFAULT_RUNS 900
#define DEFAULT_STEPS 6000
#endif

static uint64_t opt_seed = 1;
static uint64_t opt_runs = DEFAULT_RUNS;
static uint64_t opt_steps = DEFAULT_STEPS;
static long opt_config = -1;
static unsigned opt_avoid;

static gc_heap *heap(const char *name, const char *tunables) {
  char err[256];
  gc_heap *h = gc_heap_new(name, tunables, err, sizeof err);
  if (!h) fail_msg("gc_heap_new(%s): %s", name, err);
  return h;
}

/* ======================================================================
 * The random runs
 * ==================================================================== */

static void model_failed(const char *msg) {
  fprintf(stderr, "%s\n", msg);
  fail_msg("reproduce: test_model --seed S --runs 1 --config NAME, with "
           "the seed and name above");
}

static void random_runs(void **state) {
  (void)state;
  model_opts o = {.steps = opt_steps, .avoid = opt_avoid, .fail = model_failed};
  uint64_t steps = 0, collections = 0, finalizers = 0, objects = 0;
  double live = 0;
  uint64_t t0 = gc_now_ns();
  for (uint64_t r = 0; r < opt_runs; r++) {
    o.seed = opt_seed + r;
    o.config = opt_config >= 0 ? (size_t)opt_config : r % model_config_count();
    model_src src;
    model_src_seed(&src, o.seed);
    model_result res;
    model_run(&o, &src, &res);
    steps += res.steps;
    collections += res.collections;
    finalizers += res.finalizers;
    objects += res.objects;
    live += res.mean_live;
  }
  double s = (double)(gc_now_ns() - t0) / 1e9;
  printf("model: %llu runs (seeds %llu..%llu), %llu steps, %llu collections, "
         "%llu objects (%.0f live on average), %llu finalizers in %.1f s: "
         "%.0f steps/s\n",
         (unsigned long long)opt_runs, (unsigned long long)opt_seed,
         (unsigned long long)(opt_seed + opt_runs - 1),
         (unsigned long long)steps, (unsigned long long)collections,
         (unsigned long long)objects, opt_runs ? live / (double)opt_runs : 0.0,
         (unsigned long long)finalizers, s, s > 0 ? (double)steps / s : 0.0);
}

/* The model notices a reference it was not told of. */
static jmp_buf planted_jmp;
static char planted_msg[1536];
static void planted_failed(const char *msg) {
  snprintf(planted_msg, sizeof planted_msg, "%s", msg);
  longjmp(planted_jmp, 1);
}

static void planted_fault(void **state) {
  (void)state;
  for (volatile size_t c = 0; c < model_config_count(); c++) {
    model_opts o = {.config = c, .steps = 200, .seed = 7, .plant = 100,
                    .avoid = MODEL_AVOID_MOVE | MODEL_AVOID_STEAL_CYCLE |
                             MODEL_AVOID_TRUNCATE_PUSH,
                    .fail = planted_failed};
    model_src src;
    model_src_seed(&src, o.seed);
    model_result res;
    planted_msg[0] = 0;
    if (setjmp(planted_jmp) == 0) {
      model_run(&o, &src, &res);
      fail_msg("%s: the model missed a planted gc_incref (%llu steps)",
               model_config_name(c), (unsigned long long)res.steps);
    }
    model_abandon();
    if (!strstr(planted_msg, "after a step: object") ||
        !strstr(planted_msg, "refcnt"))
      fail_msg("%s: the planted gc_incref was reported as: %s",
               model_config_name(c), planted_msg);
  }
}

/* ======================================================================
 * gc_root_move and gc_root_set_steal move all k references
 * ==================================================================== */

static void root_move_counted(void **state) {
  (void)state;
  if (opt_avoid & MODEL_AVOID_MOVE) skip();
  for (size_t c = 0; c < gc_collector_count(); c++) {
    gc_heap *h = heap(gc_collector_name(c), "auto=0,cookie=1");
    gc_object *b = gc_new(h, 0, 0);
    assert_int_equal(gc_root_push_n_steal(h, b, 3), 0); /* entry 0: b x3 */
    gc_object *cc = gc_new(h, 2, 0);
    assert_int_equal(gc_root_push_steal(h, cc), 1); /* entry 1: c */
    gc_object *a = gc_new(h, 0, 0);
    gc_slot_set(h, cc, 0, a);
    gc_slot_set(h, cc, 1, a);
    assert_int_equal(gc_root_push_steal(h, a), 2); /* entry 2: a x1 */
    assert_int_equal(gc_root_move(h, 2, 0), GC_OK);
    /* entry 0 holds a once (from's count), entry 2 is NULL x1, b is gone */
    assert_ptr_equal(gc_root_get(h, 0), a);
    assert_int_equal(gc_root_refs(h, 0), 1);
    assert_null(gc_root_get(h, 2));
    assert_int_equal(gc_root_refs(h, 2), 1);
    assert_int_equal(a->refcnt, 3);
    assert_int_equal(gc_heap_get_stats(h)->live_objects, 2);
    /* and the other way: a counted entry moved onto a single one */
    assert_int_equal(gc_root_push_n(h, a, 4), 3); /* entry 3: a x4 */
    assert_int_equal(a->refcnt, 7);
    assert_int_equal(gc_root_move(h, 3, 1), GC_OK); /* c loses its entry */
    assert_int_equal(gc_root_refs(h, 1), 4);
    assert_int_equal(gc_root_refs(h, 3), 1);
    assert_int_equal(gc_heap_get_stats(h)->live_objects, 1);
    assert_int_equal(a->refcnt, 5);
    gc_root_set(h, 0, NULL);
    assert_int_equal(a->refcnt, 4);
    gc_root_truncate(h, 0);
    assert_int_equal(gc_heap_get_stats(h)->live_objects, 0);
    gc_heap_free(h);
  }
}

static void root_set_steal_counted(void **state) {
  (void)state;
  if (opt_avoid & MODEL_AVOID_MOVE) skip();
  for (size_t c = 0; c < gc_collector_count(); c++) {
    gc_heap *h = heap(gc_collector_name(c), "auto=0,cookie=1");
    gc_object *b = gc_new(h, 0, 0);
    assert_int_equal(gc_root_push_n_steal(h, b, 3), 0); /* entry 0: b x3 */
    gc_object *cc = gc_new(h, 2, 0);
    assert_int_equal(gc_root_push_steal(h, cc), 1);
    gc_object *a = gc_new(h, 0, 0); /* our reference */
    gc_slot_set(h, cc, 0, a);
    gc_slot_set(h, cc, 1, a);
    assert_int_equal(gc_root_set_steal(h, 0, a), GC_OK);
    /* the entry keeps k = 3: our reference is one of them */
    assert_ptr_equal(gc_root_get(h, 0), a);
    assert_int_equal(gc_root_refs(h, 0), 3);
    assert_int_equal(a->refcnt, 5);
    assert_int_equal(gc_heap_get_stats(h)->live_objects, 2); /* b is gone */
    gc_root_set(h, 0, NULL);
    assert_int_equal(a->refcnt, 2);
    gc_root_truncate(h, 0);
    assert_int_equal(gc_heap_get_stats(h)->live_objects, 0);
    gc_heap_free(h);
  }
}

/* ======================================================================
 * A cycle closed with gc_slot_steal is freed by a full collection
 * ==================================================================== */

static void steal_cycle(void **state) {
  (void)state;
  if (opt_avoid & MODEL_AVOID_STEAL_CYCLE) skip();
  char missed[512] = "";
  for (size_t c = 0; c < model_config_count(); c++) {
    const char *name = model_config_name(c);
    if (strcmp(name, "none") == 0) continue;
    gc_heap *h = heap(name, "auto=0");
    gc_object *a = gc_new(h, 1, 0), *b = gc_new(h, 1, 0);
    gc_slot_steal(h, a, 0, b);
    gc_slot_steal(h, b, 0, a);
    assert_int_equal(a->refcnt, 1);
    uint64_t freed = gc_collect(h, GC_FULL);
    uint64_t live = gc_heap_get_stats(h)->live_objects;
    if (freed != 2 || live != 0) {
      size_t n = strlen(missed);
      snprintf(missed + n, sizeof missed - n, " %s (freed %llu)", name,
               (unsigned long long)freed);
    }
    gc_heap_free(h);
  }
  if (missed[0])
    fail_msg("a cycle closed with gc_slot_steal survives a full collection "
             "under:%s",
             missed);
}

/* ======================================================================
 * gc_root_truncate keeps what a finalizer pushes while it runs
 * ==================================================================== */

typedef struct trunc_state {
  gc_object *pushed[4];
  int npushed;
} trunc_state;

/* Push what the dying object holds in slot 0. */
static void push_slot0(gc_heap *h, gc_object *o, void *arg) {
  trunc_state *t = arg;
  gc_object *x = gc_slot_get(o, 0);
  if (!x || t->npushed == 4) return;
  t->pushed[t->npushed++] = x;
  assert_true(gc_root_push(h, x) >= 0);
}

/* An owner with a finalizer, holding a fresh object in slot 0. */
static gc_object *owner(gc_heap *h) {
  gc_object *o = gc_new(h, 1, 0), *x = gc_new(h, 0, 0);
  gc_slot_steal(h, o, 0, x);
  gc_object_add_finalizer(h, o);
  return o;
}

static void truncate_keeps_pushes(void **state) {
  (void)state;
  if (opt_avoid & MODEL_AVOID_TRUNCATE_PUSH) skip();
  for (size_t c = 0; c < gc_collector_count(); c++) {
    /* truncate(0) releasing the one owner */
    gc_heap *h = heap(gc_collector_name(c), "auto=0");
    trunc_state t = {0};
    gc_set_finalizer(h, push_slot0, &t);
    assert_int_equal(gc_root_reserve(h, 8), 0);
    gc_root_push_steal(h, owner(h));
    gc_root_truncate(h, 0);
    assert_int_equal(t.npushed, 1);
    assert_int_equal(gc_root_count(h), 1);
    assert_ptr_equal(gc_root_get(h, 0), t.pushed[0]);
    assert_int_equal(t.pushed[0]->refcnt, 1);
    assert_int_equal(gc_heap_get_stats(h)->live_objects, 1);
    gc_root_truncate(h, 0); /* x has no finalizer: nothing is pushed */
    assert_int_equal(gc_root_count(h), 0);
    assert_int_equal(gc_heap_get_stats(h)->live_objects, 0);
    gc_heap_free(h);

    /* truncate(1) over a kept entry and two counted owners */
    h = heap(gc_collector_name(c), "auto=0");
    memset(&t, 0, sizeof t);
    gc_set_finalizer(h, push_slot0, &t);
    assert_int_equal(gc_root_reserve(h, 8), 0);
    gc_object *keep = gc_new(h, 0, 0);
    gc_root_push_steal(h, keep);
    gc_root_push_n_steal(h, owner(h), 2);
    gc_root_push_steal(h, owner(h));
    gc_root_truncate(h, 1);
    assert_int_equal(t.npushed, 2);
    assert_int_equal(gc_root_count(h), 3);
    assert_ptr_equal(gc_root_get(h, 0), keep);
    assert_ptr_equal(gc_root_get(h, 1), t.pushed[0]);
    assert_ptr_equal(gc_root_get(h, 2), t.pushed[1]);
    assert_int_equal(gc_heap_get_stats(h)->live_objects, 3);
    gc_root_truncate(h, 0);
    assert_int_equal(gc_heap_get_stats(h)->live_objects, 0);
    gc_heap_free(h);
  }
}

/* ======================================================================
 * Command line
 * ==================================================================== */

static void usage_error(const char *fmt, const char *arg) {
  fprintf(stderr, "test_model: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "; try 'test_model --help'\n");
  exit(2);
}

static uint64_t number(const char *opt, const char *s, int zero_ok) {
  char *end;
  if (!s || !*s || *s == '-') usage_error("%s wants a whole number", opt);
  unsigned long long v = strtoull(s, &end, 10);
  if (*end || (!zero_ok && v == 0)) usage_error("%s wants a whole number", opt);
  return v;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = strchr(a, '=');
    char key[32];
    size_t kn = v ? (size_t)(v - a) : strlen(a);
    if (kn >= sizeof key) usage_error("unknown option '%s'", a);
    memcpy(key, a, kn);
    key[kn] = 0;
    int has_arg = strcmp(key, "--seed") == 0 || strcmp(key, "--runs") == 0 ||
                  strcmp(key, "--steps") == 0 || strcmp(key, "--config") == 0 ||
                  strcmp(key, "--avoid") == 0;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      printf("usage: test_model [--seed S] [--runs N] [--steps N] "
             "[--config NAME]\n"
             "                  [--avoid move,steal-cycle,truncate-push]\n"
             "defaults: --seed 1 --runs %d --steps %d, every configuration "
             "in turn\n",
             DEFAULT_RUNS, DEFAULT_STEPS);
      return 0;
    }
    if (!has_arg) usage_error("unknown option '%s'", a);
    if (v)
      v++;
    else if (i + 1 < argc)
      v = argv[++i];
    else
      usage_error("%s wants a value", key);
    if (strcmp(key, "--seed") == 0) {
      opt_seed = number(key, v, 1);
    } else if (strcmp(key, "--runs") == 0) {
      opt_runs = number(key, v, 1);
    } else if (strcmp(key, "--steps") == 0) {
      opt_steps = number(key, v, 0);
    } else if (strcmp(key, "--config") == 0) {
      opt_config = model_config_find(v);
      if (opt_config < 0)
        usage_error("unknown collector or profile '%s' (see 'gcrun --list')", v);
    } else if (model_parse_avoid(v, &opt_avoid) != 0) {
      usage_error("--avoid takes move, steal-cycle, truncate-push, all or "
                  "none, got '%s'", v);
    }
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(root_move_counted),
      cmocka_unit_test(root_set_steal_counted),
      cmocka_unit_test(steal_cycle),
      cmocka_unit_test(truncate_keeps_pushes),
      cmocka_unit_test(planted_fault),
      cmocka_unit_test(random_runs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
