/*
 * gbshim.h -- a C API over Google Benchmark (1.7), so the benchmarks stay C.
 *
 *   static void bm(gbs_state *st, void *arg) {
 *     while (gbs_keep_running(st)) { ... gbs_set_iteration_time(st, s); }
 *     gbs_counter(st, "objects", n, GBS_AVG_ITERATIONS);
 *   }
 *   int main(int argc, char **argv) {
 *     gbs_initialize(&argc, argv);
 *     gbs_bench *b = gbs_register("name/arg:1", bm, NULL);
 *     gbs_use_manual_time(b);
 *     return gbs_run(argc, argv);
 *   }
 *
 * Everything Google Benchmark does with the results (JSON, repetitions,
 * mean / median / stddev / cv, filters) stays its own.
 */
#ifndef GBSHIM_H
#define GBSHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gbs_state gbs_state; /* a benchmark::State */
typedef struct gbs_bench gbs_bench; /* a registered benchmark */
typedef void (*gbs_fn)(gbs_state *st, void *arg);

/* Counter flags: Google Benchmark's benchmark::Counter::Flags. */
enum {
  GBS_DEFAULT = 0,
  GBS_RATE = 1 << 0,            /* divided by the elapsed time */
  GBS_AVG_THREADS = 1 << 1,
  GBS_AVG_ITERATIONS = 1 << 3,  /* divided by the iterations */
  GBS_ITERATION_INVARIANT = 1 << 2,
  GBS_INVERT = 1 << 31
};
enum { GBS_NS, GBS_US, GBS_MS, GBS_S };

/* Version of the JSON written through the shim: Google Benchmark's own
 * layout plus gcbench's row names and counters.  gbs_initialize puts it in
 * the JSON's context as "schema"; bump it when a name, a counter or its
 * unit changes meaning or goes away. */
#define GBS_JSON_SCHEMA "1"

/* Parse --benchmark_* flags (removing them from argv) and add the context
 * key "schema".  Returns 0. */
int gbs_initialize(int *argc, char **argv);
/* Nonzero if arguments other than --benchmark_* are left (prints them). */
int gbs_report_unrecognized(int argc, char **argv);

gbs_bench *gbs_register(const char *name, gbs_fn fn, void *arg);
void gbs_use_manual_time(gbs_bench *b);
void gbs_set_unit(gbs_bench *b, int unit);
void gbs_set_iterations(gbs_bench *b, int64_t n);
void gbs_set_repetitions(gbs_bench *b, int n);
void gbs_set_min_time(gbs_bench *b, double seconds);
/* Statistics across repetitions beside mean/median/stddev/cv. */
void gbs_add_statistic_p99(gbs_bench *b);
void gbs_add_statistic_max(gbs_bench *b);
void gbs_add_statistic_min(gbs_bench *b);

/* Inside a benchmark function. */
int gbs_keep_running(gbs_state *st);
void gbs_pause_timing(gbs_state *st);
void gbs_resume_timing(gbs_state *st);
void gbs_set_iteration_time(gbs_state *st, double seconds);
void gbs_counter(gbs_state *st, const char *name, double value, int flags);
void gbs_set_label(gbs_state *st, const char *label);
void gbs_skip_with_error(gbs_state *st, const char *msg);
int64_t gbs_iterations(const gbs_state *st);

/* A key/value written into the JSON "context". */
void gbs_add_context(const char *key, const char *value);

/* How many benchmarks --benchmark_filter selects, without running any;
 * when none, err gets Google Benchmark's one-line reason (no match, or a
 * regular expression that does not compile). */
size_t gbs_count_selected(char *err, size_t errlen);
/* Run the benchmarks that match --benchmark_filter; returns the count.
 * out_format: --benchmark_out_format ("json", "csv", "console") when
 * --benchmark_out names a file, else NULL.  A coefficient of variation of
 * a counter that is 0 in every repetition (0 / 0) is reported as 0, not
 * NaN, on the display and in the file. */
size_t gbs_run_all(const char *out_format);
void gbs_shutdown(void);

#ifdef __cplusplus
}
#endif
#endif
