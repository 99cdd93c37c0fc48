/*
 * gcrun -- one workload under one collector, measured and, with --verify,
 * judged by the oracle.
 *
 *   gcrun --collector NAME --workload NAME [-p key=value ...] [-c key=value]
 *         [--seed S] [--verify[=MODE]] [--json FILE|-] [--pauses FILE]
 *         [--timeline FILE] [--repetitions N] [--quiet]
 *   gcrun --list
 *
 * --collector may be a comma list or "all": the same run under each in
 * turn, then a table (and, with --json, one document with a "runs" array);
 * --repetitions N runs each N times, interleaved, for medians and ranges.
 * Exit codes: 0 ok, 1 verification failed, 2 bad usage or bad input (an
 * output that cannot be written included), 3 out of memory.  Output files
 * follow outfile.h: a regular file is written to a temporary name and
 * renamed, so a failed run never leaves a half-written or clobbered file;
 * a device, FIFO or "-" is written in place, never replaced.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gc.h"
#include "oracle.h"
#include "outfile.h"
#include "params.h"
#include "verify.h"
#include "workload.h"

enum { EXIT_OK = 0, EXIT_VERIFY = 1, EXIT_USAGE = 2, EXIT_NOMEM = 3 };

/* Version of the --json summary ("schema"); bump it when a key changes
 * meaning or type or goes away (adding a key does not bump it).
 * 2: "tunables" is an object of every tunable's value, like "params". */
#define GCRUN_JSON_SCHEMA 2

/* ======================================================================
 * Output files (outfile.h: temporary name then rename, or in place)
 * ==================================================================== */

static gc_out *open_files[3];
static int nopen;

/* Remove every temporary file: the run failed, earlier results stay. */
static void out_abandon_all(void) {
  for (int i = 0; i < nopen; i++) gc_out_abandon(open_files[i]);
  nopen = 0;
}

static void die(int code, const char *fmt, ...) {
  va_list ap;
  fputs("gcrun: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  out_abandon_all();
  exit(code);
}

/* ======================================================================
 * --help and --list
 * ==================================================================== */

static void usage(FILE *f) {
  fprintf(
      f,
      "usage: gcrun --collector NAME --workload NAME [options]\n"
      "       gcrun --list\n"
      "\n"
      "Runs one workload under one collector, then a full collection, and\n"
      "reports what was allocated, freed by reference counting, freed by the\n"
      "collector, and left live, with GC time and pause percentiles.\n"
      "\n"
      "  -C, --collector NAME   a collector or a profile (below, and --list);\n"
      "                         a comma list or 'all' (every collector) runs\n"
      "                         each in turn and prints a table of which wins\n"
      "  -w, --workload NAME    a workload (below, and --list)\n"
      "  -p, --param KEY=VALUE  a workload parameter (repeatable)\n"
      "  -c, --tunable KEY=VALUE  a collector tunable (repeatable)\n"
      "  -A, --allocator NAME   where objects come from: jemalloc (default),\n"
      "                         mimalloc or libc (the same as -c allocator=)\n"
      "  -s, --seed S           PRNG seed (default 1)\n"
      "  -v, --verify[=MODE]    judge the run with the oracle: after the\n"
      "                         final full collection, completeness, every\n"
      "                         reference count, and the counts against the\n"
      "                         workload's answer; safety (nothing reachable\n"
      "                         freed or changed) across the collections MODE\n"
      "                         names:\n"
      "                           sampled (default) as many as a budget of\n"
      "                             about the run's own work allows, spread\n"
      "                             over the run, always the first and last\n"
      "                           all   every collection (slow on young-\n"
      "                             generation runs: a heap walk each)\n"
      "                           final only the final collection\n"
      "  -j, --json FILE|-      write the summary as JSON\n"
      "      --pauses FILE|-    CSV, one row per collection\n"
      "      --timeline FILE|-  CSV of time, bytes, live objects, objects\n"
      "                         allocated so far and unreclaimed garbage,\n"
      "                         sampled\n"
      "      --sample-every N   timeline/progress sample period in\n"
      "                         allocations (default 10000)\n"
      "      --repetitions N    run each collector N times (default 1):\n"
      "                         the table gives the times' medians and\n"
      "                         [min-max] ranges, --json adds\n"
      "                         \"repetitions\" to each run\n"
      "  -q, --quiet            no progress line\n"
      "  -l, --list             collectors and workloads with their\n"
      "                         parameters and defaults\n"
      "  -h, --help             this text\n"
      "\n"
      "Output files: a regular file is written under a temporary name and\n"
      "renamed when complete; a device, FIFO, /dev/stdout or '-' is written\n"
      "in place.  Every output is checked before the run starts.\n"
      "\n"
      "Exit codes: 0 ok, 1 verification failed, 2 bad usage or input (an\n"
      "output that cannot be written included), 3 out of memory.\n"
      "Example: gcrun -C trial -w rings -p n=100000 -p k=10 --verify --json -\n");
  fputs("\nCollectors:\n", f);
  for (size_t i = 0; i < gc_collector_count(); i++)
    fprintf(f, "  %-14s %s\n", gc_collector_name(i), gc_collector_summary(i));
  size_t np;
  const gc_profile *prof = gc_profile_list(&np);
  fputs("Profiles (a runtime's shipped policy):\n", f);
  for (size_t i = 0; i < np; i++)
    fprintf(f, "  %-14s %s with %s\n", prof[i].name, prof[i].collector,
            prof[i].tunables);
  size_t nw;
  const workload *const *all = wl_list(&nw);
  fputs("Workloads:\n", f);
  for (size_t i = 0; i < nw; i++)
    fprintf(f, "  %-14s %s\n", all[i]->name, all[i]->summary);
}

static void list_all(void) {
  printf("collectors (select with --collector, tune with -c key=value):\n");
  size_t nc;
  const gc_param_def *common = gc_common_tunables(&nc);
  for (size_t i = 0; i < gc_collector_count(); i++) {
    printf("  %-13s %s\n", gc_collector_name(i), gc_collector_summary(i));
    size_t nt;
    const gc_param_def *t = gc_collector_tunables(i, &nt);
    gc_params_describe(t, nt, stdout, "      ");
  }
  printf("  every collector also takes:\n");
  gc_params_describe(common, nc, stdout, "      ");
  size_t np;
  const gc_profile *prof = gc_profile_list(&np);
  printf("\nprofiles (a runtime's shipped policy: a collector and tunables; "
         "select with --collector, -c overrides):\n");
  for (size_t i = 0; i < np; i++) {
    printf("  %-13s %s with %s\n", prof[i].name, prof[i].collector,
           prof[i].tunables);
    printf("      follows: %s\n", prof[i].follows);
    if (*prof[i].missing) printf("      not modelled: %s\n", prof[i].missing);
  }
  printf("\nworkloads (select with --workload, set with -p key=value):\n");
  size_t nw;
  const workload *const *all = wl_list(&nw);
  for (size_t i = 0; i < nw; i++) {
    printf("  %-13s %s\n", all[i]->name, all[i]->summary);
    gc_params_describe(all[i]->params, all[i]->nparams, stdout, "      ");
  }
}

/* ======================================================================
 * The run's observers: verification, timeline, progress
 * ==================================================================== */

typedef struct run_ctx {
  gcv verify; /* mode GCV_OFF: not asked */
  FILE *timeline;
  int progress;
  uint64_t t0, last_progress;
  uint64_t verify_ns; /* spent in the oracle so far */
  uint64_t total;     /* objects the workload will allocate; 0: unknown */
  gc_heap *h;
  int notes_garbage; /* the workload reports its garbage: exact counts */
} run_ctx;

static void timeline_row(run_ctx *rc, const char *event) {
  const gc_heap_stats *st = gc_heap_get_stats(rc->h);
  fprintf(rc->timeline, "%llu,%lld,%llu,%llu,%llu,%s",
          (unsigned long long)(gc_now_ns() - rc->t0),
          (long long)gc_mem_thread_bytes(),
          (unsigned long long)st->live_bytes,
          (unsigned long long)st->live_objects,
          (unsigned long long)st->objects_allocated, event);
  if (rc->notes_garbage) {
    gc_unreclaimed u;
    gc_heap_unreclaimed(rc->h, &u);
    fprintf(rc->timeline, ",%llu,%llu\n", (unsigned long long)u.objects,
            (unsigned long long)u.bytes);
  } else {
    fputs(",,\n", rc->timeline); /* unknown for this workload */
  }
}

static void on_collect(gc_heap *h, int phase, int gen, void *arg) {
  (void)gen;
  run_ctx *rc = arg;
  if (rc->verify.mode != GCV_OFF) {
    uint64_t t = gc_now_ns();
    int bad = gcv_collect_hook(&rc->verify, h, phase) != 0;
    rc->verify_ns += gc_now_ns() - t; /* not the run's time */
    if (bad) die(EXIT_VERIFY, "verify failed during %s", rc->verify.error);
  }
  if (rc->timeline) timeline_row(rc, phase == 0 ? "gc_start" : "gc_end");
}

static void on_sample(gc_heap *h, void *arg) {
  run_ctx *rc = arg;
  if (rc->timeline) timeline_row(rc, "sample");
  if (rc->progress) {
    uint64_t now = gc_now_ns();
    if (now - rc->t0 > 1000000000ull &&
        now - rc->last_progress > 500000000ull) {
      const gc_heap_stats *st = gc_heap_get_stats(h);
      double s = (now - rc->t0) / 1e9;
      fprintf(stderr,
              "\rgcrun: %.1f s, %llu objects allocated, %llu live, %llu "
              "collections",
              s, (unsigned long long)st->objects_allocated,
              (unsigned long long)st->live_objects,
              (unsigned long long)st->collections);
      if (rc->total && st->objects_allocated < rc->total) {
        double done = (double)st->objects_allocated / (double)rc->total;
        double eta = s / done * (1 - done);
        if (eta < 3600)
          fprintf(stderr, "; %.1f%% of %llu, about %.0f s left   ",
                  100 * done, (unsigned long long)rc->total, eta);
        else
          fprintf(stderr, "; %.3f%% of %llu, about %.1f h left   ",
                  100 * done, (unsigned long long)rc->total, eta / 3600);
      } else {
        fputs("   ", stderr);
      }
      rc->last_progress = now;
    }
  }
}

/* ======================================================================
 * Pause percentiles (nearest rank)
 * ==================================================================== */

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

typedef struct pauses {
  uint64_t p50, p90, p99, max;
} pauses;

static pauses pause_percentiles(gc_heap *h) {
  size_t n;
  const gc_collection_record *r = gc_heap_records(h, &n);
  pauses p = {0, 0, 0, 0};
  if (!n) return p;
  uint64_t *v = malloc(n * sizeof *v);
  if (!v) return p;
  for (size_t i = 0; i < n; i++) v[i] = r[i].pause_ns;
  qsort(v, n, sizeof *v, cmp_u64);
#define RANK(q) v[(size_t)((q) * (double)(n - 1) + 0.5)]
  p.p50 = RANK(0.50);
  p.p90 = RANK(0.90);
  p.p99 = RANK(0.99);
  p.max = v[n - 1];
#undef RANK
  free(v);
  return p;
}

/* The heap's and the collector's tunables as one JSON object, every value
 * in effect (gc_tunables_json: the heap's own resolution, so a heap
 * walker's allocator is mimalloc).  `list` is the "k=v,k=v" string
 * gc_heap_new already accepted, so this cannot fail short of a bug. */
static void tunables_json(FILE *f, const char *cname, const char *list) {
  char err[256];
  if (gc_tunables_json(cname, list, f, err, sizeof err) != 0) {
    fputs("{}", f);
    fprintf(stderr, "gcrun: the JSON's tunables are missing: %s\n", err);
  }
}
/* ======================================================================
 * One run: a workload under one collector, measured, then judged
 * ==================================================================== */

/* What every run shares (gcrun's options). */
typedef struct run_opts {
  const workload *wl;
  gc_param_set *ps;
  const char *tunables; /* -c's "k=v,k=v", or NULL */
  unsigned long long seed, sample_every;
  gcv_mode verify;
  int quiet;
  FILE *timeline; /* NULL: not asked */
} run_opts;

/* What one run gives. */
typedef struct run_result {
  const char *cname;
  int code; /* EXIT_OK, EXIT_VERIFY (the final checks) or EXIT_NOMEM */
  char why[600]; /* EXIT_NOMEM: the one line said */
  gc_heap_stats st;
  wl_answer ans;
  uint64_t total_ns;  /* mutator and collector, the oracle's time excluded */
  uint64_t verify_ns; /* the oracle's time (safety checks, final checks) */
  uint64_t peak_alloc, peak_resident, leaked, checked;
  gc_alloc_stats as; /* the object allocator's own figures, at the end */
  pauses p;
  gc_unreclaimed unrec;
  int verified; /* -1 not asked, 0 failed, 1 passed */
} run_result;

/* The heap of the run in progress: static, so that it is still referenced
 * when die() exits early (LeakSanitizer). */
static gc_heap *cur_heap;

/* "12.3 GB", "480 B": sizes in a message. */
static const char *human_bytes(double b, char *buf, size_t len) {
  static const char *const unit[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (b >= 1000 && u < 4) b /= 1000, u++;
  snprintf(buf, len, u ? "%.2f %s" : "%.0f %s", b, unit[u]);
  return buf;
}

/* The process's peak resident size restarts from its current size (Linux:
 * /proc/self/clear_refs); best effort, for runs after the first. */
static void reset_peak_resident(void) {
  FILE *f = fopen("/proc/self/clear_refs", "w");
  if (!f) return;
  fputs("5", f);
  fclose(f);
}

/* gc_oracle_check as a job for the oracle's thread. */
typedef struct check_job {
  gc_heap *h;
  int flags, rc;
  gc_oracle_report rep;
} check_job;

static void check_apart(void *arg) {
  check_job *j = arg;
  j->rc = gc_oracle_check(j->h, j->flags, &j->rep);
}

/* The final checks: counts against the workload's answer, then the oracle.
 * Returns 1 when everything passed; each problem is one line on stderr. */
static int judge(gc_heap *h, const char *cname, const wl_answer *ansp,
                 gcv_mode mode) {
  const gc_heap_stats *st = gc_heap_get_stats(h);
  wl_answer ans = *ansp;
  int is_none = strcmp(cname, "none") == 0;
  uint64_t expect_live = ans.live + (is_none ? ans.cyclic : 0);
  uint64_t expect_coll = is_none ? 0 : ans.cyclic;
  int problems = 0;
#define EXPECT(what, got, want)                                              \
  if ((got) != (want)) {                                                     \
    char line_[512];                                                         \
    gcv_count_mismatch(line_, sizeof line_, what, got, want, mode);          \
    fprintf(stderr, "gcrun: verify: %s\n", line_);                           \
    problems++;                                                              \
  }
  EXPECT("objects_allocated", st->objects_allocated, ans.allocated);
  EXPECT("freed_by_rc", st->freed_by_rc, ans.freed_by_rc);
  EXPECT("freed_by_collector", st->freed_by_collector, expect_coll);
  EXPECT("live_at_end", st->live_objects, expect_live);
  if (!is_none) {
    EXPECT("finalizers_run", st->finalizers_run, ans.finalized);
    EXPECT("resurrected", st->resurrected, ans.resurrected);
    EXPECT("uncollectable", st->uncollectable, ans.uncollectable);
  }
#undef EXPECT
  check_job j = {h, GC_ORACLE_COUNTS | (is_none ? 0 : GC_ORACLE_COMPLETE),
                 0, {0}};
  gc_oracle_report rep;
  /* under `none` no finalizer resurrects and nothing is kept */
  uint64_t reach = ans.live - (is_none ? ans.resurrected + ans.uncollectable : 0);
  gcv_apart(check_apart, &j); /* its memory is not the run's (verify.h) */
  rep = j.rep;
  if (j.rc != 0) {
    fprintf(stderr, "gcrun: verify: %s: oracle: %s\n", cname, rep.error);
    problems++;
  } else if (rep.reachable != reach) {
    fprintf(stderr,
            "gcrun: verify: %s: oracle finds %llu reachable objects, the "
            "workload's answer is %llu\n",
            cname, (unsigned long long)rep.reachable,
            (unsigned long long)reach);
    problems++;
  }
  return problems == 0;
}

/* Run o->wl under `cname` (a name gc_heap_new accepted already).  Exits
 * at once (die) on a safety failure during the run or bad workload input;
 * an allocation failure is a result (code EXIT_NOMEM).  `pauses`, when not
 * NULL, gets the CSV of the collections. */
static void run_one(const char *cname, const run_opts *o, run_result *r,
                    FILE *pauses_csv) {
  char err[512];
  memset(r, 0, sizeof *r);
  r->cname = cname;
  r->verified = -1;
  gc_heap *h = cur_heap = gc_heap_new(cname, o->tunables, err, sizeof err);
  if (!h) die(EXIT_USAGE, "%s", err);
  const workload *wl = o->wl;
  run_ctx rc = {0};
  gcv_init(&rc.verify, o->verify);
  rc.timeline = o->timeline;
  rc.progress = !o->quiet && isatty(2);
  rc.h = h;
  rc.notes_garbage = wl->notes_garbage;
  if (wl->estimate) { /* refuse a run that cannot fit, before it starts */
    wl_estimate e = {0};
    wl->estimate(o->ps, strcmp(cname, "none") == 0, &e);
    rc.total = e.allocations;
    uint64_t each = gc_heap_object_cost(h, e.nslots, e.payload);
    uint64_t budget = gc_heap_budget(h);
    if (e.live && (double)e.live * (double)each > (double)budget) {
      char need[32], have[32];
      r->code = EXIT_NOMEM;
      snprintf(r->why, sizeof r->why,
               "out of memory before the run: %s would keep about %llu "
               "objects of %llu bytes each (the allocator's size class) "
               "live, %s, over the memory budget of %s (-c max_bytes, "
               "default 80%% of physical memory); try at most -p n=%llu",
               wl->name, (unsigned long long)e.live,
               (unsigned long long)each,
               human_bytes((double)e.live * each, need, sizeof need),
               human_bytes((double)budget, have, sizeof have),
               (unsigned long long)((double)budget / each *
                                    ((double)e.allocations / e.live)));
      r->st = *gc_heap_get_stats(h);
      gc_heap_free(h);
      cur_heap = NULL;
      return;
    }
  }
  if (rc.timeline)
    fprintf(rc.timeline, "time_ns,thread_bytes,heap_bytes,live_objects,"
                         "objects_allocated,event,unreclaimed_objects,"
                         "unreclaimed_bytes\n");
  if (o->verify != GCV_OFF || rc.timeline)
    gc_set_collect_hook(h, on_collect, &rc);
  if (rc.timeline || rc.progress)
    gc_set_sample_hook(h, o->sample_every, on_sample, &rc);

  gc_mem_thread_peak_reset();
  rc.t0 = rc.last_progress = gc_now_ns();
  if (rc.timeline) timeline_row(&rc, "start");
  err[0] = '\0';
  int wrc = wl->run(h, o->ps, o->seed, &r->ans, err, sizeof err);
  if (wrc == WL_ENOMEM) { /* the workload's own hint, or the sized ones' */
    r->code = EXIT_NOMEM;
    snprintf(r->why, sizeof r->why, "out of memory after %llu objects; %s",
             (unsigned long long)gc_heap_get_stats(h)->objects_allocated,
             err[0] ? err : "try a smaller size (-p n=...)");
    if (rc.progress) fputc('\n', stderr);
    r->st = *gc_heap_get_stats(h);
    gc_heap_free(h);
    cur_heap = NULL;
    return;
  }
  if (wrc != WL_OK) die(EXIT_USAGE, "workload '%s': %s", wl->name, err);
  r->peak_alloc = gc_mem_thread_peak();
  rc.verify.final = 1; /* sampled: the final collection is always checked */
  gc_collect(h, GC_FULL);
  gc_heap_unreclaimed(h, &r->unrec); /* up to the final collection */
  r->total_ns = gc_now_ns() - rc.t0 - rc.verify_ns;
  if (rc.timeline) timeline_row(&rc, "end");
  if (rc.progress && r->total_ns > 1000000000ull) fputc('\n', stderr);
  gc_heap_mem_read(h, &r->as);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  r->peak_resident = (uint64_t)ru.ru_maxrss * 1024;
  if (r->as.resident > r->peak_resident) r->peak_resident = r->as.resident;
  uint64_t p2 = gc_mem_thread_peak();
  if (p2 > r->peak_alloc) r->peak_alloc = p2;
  /* jemalloc's thread figures miss objects another allocator holds: add
   * their peak (the heap's own count, requested bytes) */
  if (strcmp(r->as.allocator, "jemalloc"))
    r->peak_alloc += gc_heap_get_stats(h)->peak_live_bytes;

  if (o->verify != GCV_OFF) {
    uint64_t t = gc_now_ns();
    r->verified = judge(h, cname, &r->ans, o->verify);
    rc.verify_ns += gc_now_ns() - t;
    if (!r->verified) r->code = EXIT_VERIFY;
  }
  r->verify_ns = rc.verify_ns;
  r->checked = rc.verify.checked;
  r->st = *gc_heap_get_stats(h);
  r->p = pause_percentiles(h);
  r->leaked = r->st.live_objects > r->ans.live
                  ? r->st.live_objects - r->ans.live : 0;
  if (pauses_csv) {
    size_t n;
    const gc_collection_record *rec = gc_heap_records(h, &n);
    fprintf(pauses_csv,
            "collection,start_ns,pause_ns,generation,examined,freed,automatic\n");
    for (size_t i = 0; i < n; i++)
      fprintf(pauses_csv, "%zu,%llu,%llu,%d,%llu,%llu,%d\n", i,
              (unsigned long long)rec[i].start_ns,
              (unsigned long long)rec[i].pause_ns, rec[i].generation,
              (unsigned long long)rec[i].examined,
              (unsigned long long)rec[i].freed, rec[i].automatic);
  }
  gc_heap_free(h);
  cur_heap = NULL;
}

/* ======================================================================
 * Reports: the JSON summary, the summary line, the table of several runs
 * ==================================================================== */

/* At most this many collectors in one -C, and repetitions of each. */
enum { MAX_RUNS = 64, MAX_REPS = 1000 };

/* ======================================================================
 * Repetitions: the same run N times, medians and ranges
 * ==================================================================== */

/* The figures that vary between repetitions of one run (its counts do
 * not: a run is deterministic for its seed). */
enum { M_GC, M_TOTAL, M_P50, M_P90, M_P99, M_MAX, M_PEAK, M_RESIDENT, NMETRIC };
static const char *const metric_key[NMETRIC] = {
    "gc_time_ns",   "total_time_ns", "pause_p50_ns",         "pause_p90_ns",
    "pause_p99_ns", "pause_max_ns",  "peak_allocated_bytes", "peak_resident_bytes"};

static uint64_t metric(const run_result *r, int m) {
  switch (m) {
    case M_GC: return r->st.gc_time_ns;
    case M_TOTAL: return r->total_ns;
    case M_P50: return r->p.p50;
    case M_P90: return r->p.p90;
    case M_P99: return r->p.p99;
    case M_MAX: return r->p.max;
    case M_PEAK: return r->peak_alloc;
    default: return r->peak_resident;
  }
}

/* One collector's repetitions.  The median is the lower middle value (an
 * observed one, as the nearest-rank percentiles); the median run is the
 * repetition whose total time is that median: its summary stands for the
 * collector, the ranges beside it. */
typedef struct row {
  const run_result *rep; /* rep[k * stride]: repetition k */
  size_t n, stride;
  size_t median_run;
  uint64_t med[NMETRIC], min[NMETRIC], max[NMETRIC];
  int verified; /* -1 not asked, 0 one failed, 1 every one passed */
} row;

static void row_of(const run_result *rep, size_t n, size_t stride, row *w) {
  static uint64_t v[MAX_REPS];
  memset(w, 0, sizeof *w);
  w->rep = rep, w->n = n, w->stride = stride;
  w->verified = rep[0].verified;
  for (size_t k = 0; k < n; k++)
    if (rep[k * stride].verified == 0) w->verified = 0;
  for (int m = 0; m < NMETRIC; m++) {
    for (size_t k = 0; k < n; k++) v[k] = metric(&rep[k * stride], m);
    qsort(v, n, sizeof *v, cmp_u64);
    w->min[m] = v[0];
    w->max[m] = v[n - 1];
    w->med[m] = v[(n - 1) / 2];
  }
  for (size_t k = 0; k < n; k++)
    if (metric(&rep[k * stride], M_TOTAL) == w->med[M_TOTAL]) {
      w->median_run = k;
      break;
    }
}

static const run_result *row_run(const row *w) {
  return &w->rep[w->median_run * w->stride];
}

/* One run's summary as a JSON object, each line prefixed by `in`; with
 * `reps` (several repetitions), r is the median run and a "repetitions"
 * object is added. */
static void write_json(FILE *f, const char *in, const run_opts *o,
                       const run_result *r, const row *reps) {
  const gc_heap_stats *st = &r->st;
  const wl_answer *a = &r->ans;
#define U(x) (unsigned long long)(x)
  fprintf(f, "{\n%s  \"schema\": %d,\n", in, GCRUN_JSON_SCHEMA);
  fprintf(f, "%s  \"collector\": \"%s\",\n%s  \"workload\": \"%s\",\n", in,
          r->cname, in, o->wl->name);
  const gc_profile *prof = gc_profile_find(r->cname);
  if (prof)
    fprintf(f, "%s  \"profile\": {\"collector\": \"%s\", \"tunables\": "
               "\"%s\"},\n",
            in, prof->collector, prof->tunables);
  fprintf(f, "%s  \"params\": ", in);
  gc_params_json(o->ps, f);
  fprintf(f, ",\n%s  \"tunables\": ", in);
  tunables_json(f, r->cname, o->tunables);
  fprintf(f, ",\n");
  fprintf(f, "%s  \"seed\": %llu,\n", in, o->seed);
  fprintf(f, "%s  \"objects_allocated\": %llu,\n", in, U(st->objects_allocated));
  fprintf(f, "%s  \"freed_by_rc\": %llu,\n", in, U(st->freed_by_rc));
  fprintf(f, "%s  \"freed_by_collector\": %llu,\n", in,
          U(st->freed_by_collector));
  fprintf(f, "%s  \"live_at_end\": %llu,\n", in, U(st->live_objects));
  fprintf(f, "%s  \"leaked\": %llu,\n", in, U(r->leaked));
  fprintf(f, "%s  \"collections\": %llu,\n", in, U(st->collections));
  fprintf(f, "%s  \"objects_examined\": %llu,\n", in, U(st->objects_examined));
  fprintf(f, "%s  \"gc_time_ns\": %llu,\n", in, U(st->gc_time_ns));
  fprintf(f, "%s  \"total_time_ns\": %llu,\n", in, U(r->total_ns));
  if (o->verify == GCV_OFF)
    fprintf(f, "%s  \"verify_time_ns\": null,\n", in);
  else
    fprintf(f, "%s  \"verify_time_ns\": %llu,\n", in, U(r->verify_ns));
  fprintf(f,
          "%s  \"pause_ns\": {\"p50\": %llu, \"p90\": %llu, \"p99\": %llu, "
          "\"max\": %llu},\n",
          in, U(r->p.p50), U(r->p.p90), U(r->p.p99), U(r->p.max));
  fprintf(f, "%s  \"finalizers_run\": %llu,\n", in, U(st->finalizers_run));
  fprintf(f, "%s  \"resurrected\": %llu,\n", in, U(st->resurrected));
  fprintf(f, "%s  \"uncollectable\": %llu,\n", in, U(st->uncollectable));
  fprintf(f, "%s  \"peak_live_bytes\": %llu,\n", in, U(st->peak_live_bytes));
  fprintf(f, "%s  \"peak_allocated_bytes\": %llu,\n", in, U(r->peak_alloc));
  fprintf(f, "%s  \"peak_resident_bytes\": %llu,\n", in, U(r->peak_resident));
  fprintf(f, "%s  \"allocator\": \"%s\",\n%s  \"allocator_stats\": {", in,
          r->as.allocator, in);
  for (int i = 0; i < r->as.n; i++)
    fprintf(f, "%s\"%s\": %llu", i ? ", " : "", r->as.name[i],
            U(r->as.value[i]));
  fprintf(f, "},\n");
  if (o->wl->notes_garbage) {
    fprintf(f,
            "%s  \"unreclaimed_objects\": {\"max\": %llu, \"mean\": %.1f},\n"
            "%s  \"unreclaimed_bytes\": {\"max\": %llu, \"mean\": %.1f},\n",
            in, U(r->unrec.max_objects), r->unrec.mean_objects, in,
            U(r->unrec.max_bytes), r->unrec.mean_bytes);
  } else {
    fprintf(f, "%s  \"unreclaimed_objects\": null,\n"
               "%s  \"unreclaimed_bytes\": null,\n", in, in);
  }
  fprintf(f,
          "%s  \"answer\": {\"allocated\": %llu, \"freed_by_rc\": %llu, "
          "\"cyclic\": %llu, \"live\": %llu, \"finalized\": %llu, "
          "\"resurrected\": %llu, \"uncollectable\": %llu},\n",
          in, U(a->allocated), U(a->freed_by_rc), U(a->cyclic), U(a->live),
          U(a->finalized), U(a->resurrected), U(a->uncollectable));
  /* verified: null when not asked; true when every check made passed
   * (verify_mode says which: the final checks always, safety across
   * safety_checked of the collections) */
  fprintf(f, "%s  \"verify_mode\": ", in);
  if (o->verify == GCV_OFF)
    fprintf(f, "null,\n");
  else
    fprintf(f, "\"%s\",\n", gcv_mode_name(o->verify));
  fprintf(f, "%s  \"safety_checked\": %llu,\n", in, U(r->checked));
  int verified = reps ? reps->verified : r->verified;
  fprintf(f, "%s  \"verified\": %s", in,
          verified < 0 ? "null" : verified ? "true" : "false");
  if (reps) {
    /* each figure that varies: median, min, max and every repetition's
     * value in the order run */
    fprintf(f, ",\n%s  \"repetitions\": {\"n\": %zu, \"median_run\": %zu",
            in, reps->n, reps->median_run);
    for (int m = 0; m < NMETRIC; m++) {
      fprintf(f, ",\n%s    \"%s\": {\"median\": %llu, \"min\": %llu, "
                 "\"max\": %llu, \"values\": [",
              in, metric_key[m], U(reps->med[m]), U(reps->min[m]),
              U(reps->max[m]));
      for (size_t k = 0; k < reps->n; k++)
        fprintf(f, "%s%llu", k ? ", " : "",
                U(metric(&reps->rep[k * reps->stride], m)));
      fputs("]}", f);
    }
    fputs("}", f);
  }
  fprintf(f, "\n%s}", in);
#undef U
}

static void summary_line(const run_opts *o, const run_result *r) {
  const gc_heap_stats *st = &r->st;
  fprintf(stderr,
          "gcrun: %s/%s: %llu allocated, %llu freed by rc, %llu by the "
          "collector, %llu live, %llu leaked; %llu collections, gc %.3f ms "
          "of %.3f ms%s",
          o->wl->name, r->cname, (unsigned long long)st->objects_allocated,
          (unsigned long long)st->freed_by_rc,
          (unsigned long long)st->freed_by_collector,
          (unsigned long long)st->live_objects, (unsigned long long)r->leaked,
          (unsigned long long)st->collections, st->gc_time_ns / 1e6,
          r->total_ns / 1e6,
          r->verified < 0 ? "" : r->verified ? "; verified" : "; VERIFY FAILED");
  if (r->verified >= 0)
    fprintf(stderr, " (%s: safety across %llu of %llu collections; %.3f ms)",
            gcv_mode_name(o->verify), (unsigned long long)r->checked,
            (unsigned long long)st->collections, r->verify_ns / 1e6);
  fputc('\n', stderr);
}

/* The limit a run refused before allocating names in its line ("...
 * this process can have (LIMIT); ..."), into out; 0 when it names none
 * (a run that ran out of memory while allocating). */
static int refused_limit(const char *why, char *out, size_t len) {
  static const char key[] = " this process can have (";
  const char *p = strstr(why, key);
  if (!p) return 0;
  p += sizeof key - 1;
  int depth = 1;
  const char *q = p;
  for (; *q && depth; q++) depth += *q == '(' ? 1 : *q == ')' ? -1 : 0;
  if (depth) return 0;
  if (!strncmp(p, "the heap's max_bytes", 20))
    snprintf(out, len, "-c max_bytes");
  else
    snprintf(out, len, "%.*s", (int)(q - 1 - p), p);
  return 1;
}

/* Several runs side by side; '*' marks the best of each column among the
 * runs that completed (for `leaked`, the fewest).  With repetitions, the
 * times are medians with their range, the rest the median run's. */
static void print_table(FILE *f, const row *rows, size_t n, size_t nreps,
                        int notes_garbage) {
  enum { GC, TOTAL, P99, MAX, PEAK, UNREC, LEAK, NCOL };
  static const char *const head[NCOL] = {"gc ms",   "total ms",  "p99 ms",
                                         "max ms",  "peak MB",   "unrecl MB",
                                         "leaked"};
  static const int time_metric[] = {M_GC, M_TOTAL, M_P99, M_MAX};
  double best[NCOL];
  for (int c = 0; c < NCOL; c++) best[c] = -1;
  double v[MAX_RUNS][NCOL], lo[MAX_RUNS][4], hi[MAX_RUNS][4];
  for (size_t i = 0; i < n; i++) {
    const run_result *r = row_run(&rows[i]);
    for (int c = GC; c <= MAX; c++) {
      v[i][c] = rows[i].med[time_metric[c]] / 1e6;
      lo[i][c] = rows[i].min[time_metric[c]] / 1e6;
      hi[i][c] = rows[i].max[time_metric[c]] / 1e6;
    }
    v[i][PEAK] = r->peak_alloc / 1048576.0;
    v[i][UNREC] = notes_garbage ? r->unrec.mean_bytes / 1048576.0 : 0;
    v[i][LEAK] = (double)r->leaked;
    if (r->code == EXIT_NOMEM) continue;
    for (int c = 0; c < NCOL; c++)
      if (best[c] < 0 || v[i][c] < best[c]) best[c] = v[i][c];
  }
  /* every cell first: each column as wide as its widest cell (and its
   * mark) or its heading, at least 11 */
  static char cell[MAX_RUNS][NCOL][64];
  int width[NCOL];
  for (int c = 0; c < NCOL; c++) {
    width[c] = (int)strlen(head[c]);
    if (width[c] < 11) width[c] = 11;
  }
  for (size_t i = 0; i < n; i++) {
    if (row_run(&rows[i])->code == EXIT_NOMEM) continue;
    for (int c = 0; c < NCOL; c++) {
      if (c == UNREC && !notes_garbage)
        snprintf(cell[i][c], sizeof cell[i][c], "-");
      else if (c <= MAX && nreps > 1)
        snprintf(cell[i][c], sizeof cell[i][c], "%.3f [%.3f-%.3f]", v[i][c],
                 lo[i][c], hi[i][c]);
      else
        snprintf(cell[i][c], sizeof cell[i][c], "%.*f", c == LEAK ? 0 : 3,
                 v[i][c]);
      int w = (int)strlen(cell[i][c]) + 1;
      if (w > width[c]) width[c] = w;
    }
  }
  fprintf(f, "%-14s", "collector");
  for (int c = 0; c < NCOL; c++) fprintf(f, " %*s", width[c], head[c]);
  fprintf(f, "  %-9s verified\n", "objects");
  const char *others[8];
  size_t nothers = 0;
  int jemalloc_rows = 0;
  for (size_t i = 0; i < n; i++) {
    const run_result *r = row_run(&rows[i]);
    fprintf(f, "%-14s", r->cname);
    if (r->code == EXIT_NOMEM) {
      if (r->st.objects_allocated)
        fprintf(f, " out of memory after %llu objects\n",
                (unsigned long long)r->st.objects_allocated);
      else {
        /* "...: WHAT needs about X, more than the Y this process can
         * have (LIMIT); ...": "needs about X, more than the Y (LIMIT)" */
        const char *need = strstr(r->why, "needs about ");
        const char *end = need ? strstr(need, " this process can have") : NULL;
        char limit[128];
        if (end && refused_limit(r->why, limit, sizeof limit))
          fprintf(f, " not run: %.*s (%s)\n", (int)(end - need), need, limit);
        else
          fprintf(f, " not run: it would not fit the memory budget\n");
      }
      continue;
    }
    for (int c = 0; c < NCOL; c++) {
      int mark = v[i][c] == best[c] && n > 1 ? '*' : ' ';
      fprintf(f, " %*s%c", width[c] - 1, cell[i][c],
              c == UNREC && !notes_garbage ? ' ' : mark);
    }
    const char *a = r->as.allocator ? r->as.allocator : "?";
    fprintf(f, "  %-9s %s\n", a,
            rows[i].verified < 0 ? "-" : rows[i].verified ? "yes" : "FAILED");
    if (!strcmp(a, "jemalloc")) {
      jemalloc_rows = 1;
      continue;
    }
    size_t k = 0;
    while (k < nothers && strcmp(others[k], a)) k++;
    if (k == nothers && nothers < 8) others[nothers++] = a;
  }
  int any = 0; /* a row with figures: the notes below speak of them */
  for (size_t i = 0; i < n; i++) any |= row_run(&rows[i])->code != EXIT_NOMEM;
  if (!any) return;
  fputs("(* best of the column", f);
  if (nreps > 1)
    fprintf(f, "; times: median [min-max] of %zu repetitions; the other "
               "columns: the median run's, by total ms", nreps);
  fputs(")\n", f);
  if (jemalloc_rows)
    fputs("(peak MB, objects in jemalloc: jemalloc's peak allocated bytes "
          "of the run's thread, the collector's arrays included)\n", f);
  for (size_t k = 0; k < nothers; k++)
    fprintf(f, "(peak MB, objects in %s: the objects' peak live bytes, the "
               "heap's own count of requested bytes, not %s's, plus "
               "jemalloc's peak of the rest, the collector's arrays)\n",
            others[k], others[k]);
  if (notes_garbage)
    fputs("(unrecl MB: garbage unreachable but not yet freed, mean over "
          "the run's allocations, exact)\n", f);
}

/* After several runs, one line saying which ran out of memory (or were
 * refused before running) and which completed. */
static void nomem_line(const row *rows, size_t n) {
  char out[1024] = "", done[1024] = "";
  size_t nout = 0, ndone = 0;
  for (size_t i = 0; i < n; i++) {
    const run_result *r = row_run(&rows[i]);
    int oom = r->code == EXIT_NOMEM;
    char *list = oom ? out : done;
    size_t *k = oom ? &nout : &ndone;
    size_t len = strlen(list);
    snprintf(list + len, sizeof out - len, "%s%s", (*k)++ ? ", " : "",
             r->cname);
  }
  /* the limit the refused runs named, else the heap's */
  char limit[128] = "-c max_bytes";
  for (size_t i = 0; i < n; i++)
    if (row_run(&rows[i])->code == EXIT_NOMEM &&
        refused_limit(row_run(&rows[i])->why, limit, sizeof limit))
      break;
  char hint[200]; /* GCBENCH_MEMORY, -c max_bytes: settings to raise */
  snprintf(hint, sizeof hint,
           strcmp(limit, "GCBENCH_MEMORY") && strcmp(limit, "-c max_bytes")
               ? "more memory (the limit: %s)" : "a larger %s",
           limit);
  if (!ndone)
    fprintf(stderr, "gcrun: every run ran out of memory (%s); try a smaller "
            "size (-p n=...) or %s\n", out, hint);
  else
    fprintf(stderr, "gcrun: %s ran out of memory; %s completed; try a "
            "smaller size (-p n=...) or %s\n", out, done, hint);
}

/* ======================================================================
 * main
 * ==================================================================== */

static int append_list(char **list, const char *item) {
  size_t old = *list ? strlen(*list) : 0, add = strlen(item);
  char *n = realloc(*list, old + add + 2);
  if (!n) return -1;
  if (old) n[old++] = ',';
  memcpy(n + old, item, add + 1);
  *list = n;
  return 0;
}

/* -C's value: one name, a comma list, "all" (every collector, not the
 * profiles) anywhere in it.  Fills names[] (pointers into `spec`, which is
 * cut at the commas, or the registry's names); returns how many. */
static size_t collector_list(char *spec, const char **names) {
  size_t n = 0;
  for (char *tok = strtok(spec, ","); tok; tok = strtok(NULL, ",")) {
    if (!strcmp(tok, "all")) {
      for (size_t i = 0; i < gc_collector_count(); i++) {
        if (n == MAX_RUNS) die(EXIT_USAGE, "-C: more than %d collectors", MAX_RUNS);
        names[n++] = gc_collector_name(i);
      }
      continue;
    }
    if (n == MAX_RUNS) die(EXIT_USAGE, "-C: more than %d collectors", MAX_RUNS);
    names[n++] = tok;
  }
  if (!n) die(EXIT_USAGE, "-C '' names no collector; see 'gcrun --list'");
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < i; j++)
      if (!strcmp(names[i], names[j]))
        die(EXIT_USAGE, "-C names '%s' twice; name each collector once",
            names[i]);
  return n;
}
int main(int argc, char **argv) {
  enum { OPT_PAUSES = 256, OPT_TIMELINE, OPT_SAMPLE, OPT_REPS };
  static const struct option opts[] = {
      {"collector", required_argument, 0, 'C'},
      {"workload", required_argument, 0, 'w'},
      {"param", required_argument, 0, 'p'},
      {"tunable", required_argument, 0, 'c'},
      {"allocator", required_argument, 0, 'A'},
      {"seed", required_argument, 0, 's'},
      {"verify", optional_argument, 0, 'v'},
      {"json", required_argument, 0, 'j'},
      {"pauses", required_argument, 0, OPT_PAUSES},
      {"timeline", required_argument, 0, OPT_TIMELINE},
      {"sample-every", required_argument, 0, OPT_SAMPLE},
      {"repetitions", required_argument, 0, OPT_REPS},
      {"quiet", no_argument, 0, 'q'},
      {"list", no_argument, 0, 'l'},
      {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  const char *cname = NULL, *wname = NULL, *json_path = NULL;
  const char *pauses_path = NULL, *timeline_path = NULL;
  /* static: still referenced when die() exits early (LeakSanitizer) */
  static const char **params;
  params = calloc((size_t)argc + 1, sizeof *params);
  size_t nparams = 0;
  static char *tunables; /* static: see params */
  unsigned long long seed = 1, sample_every = 10000, nreps = 1;
  gcv_mode verify = GCV_OFF;
  int quiet = 0, c;
  char *end;
  if (!params) die(EXIT_NOMEM, "out of memory");
  gcv_start(); /* verifying or not: the same history before every run */
  opterr = 0; /* one line of our own instead of getopt's */
  while ((c = getopt_long(argc, argv, "C:w:p:c:A:s:vj:qlh", opts, NULL)) != -1) {
    switch (c) {
      case 'C': cname = optarg; break;
      case 'w': wname = optarg; break;
      case 'p': params[nparams++] = optarg; break;
      case 'c':
        if (append_list(&tunables, optarg) != 0) die(EXIT_NOMEM, "out of memory");
        break;
      case 'A': {
        char kv[128];
        if (snprintf(kv, sizeof kv, "allocator=%s", optarg) >= (int)sizeof kv)
          die(EXIT_USAGE, "--allocator '%s': unknown; use jemalloc, mimalloc "
                          "or libc", optarg);
        if (append_list(&tunables, kv) != 0) die(EXIT_NOMEM, "out of memory");
        break;
      }
      case 's':
        seed = strtoull(optarg, &end, 10);
        if (end == optarg || *end || optarg[0] == '-')
          die(EXIT_USAGE, "--seed wants a non-negative whole number, got '%s'",
              optarg);
        break;
      case 'v':
        if (gcv_parse(optarg, &verify) != 0)
          die(EXIT_USAGE, "--verify=%s: unknown mode; use sampled, all or "
                          "final", optarg);
        break;
      case 'j': json_path = optarg; break;
      case OPT_PAUSES: pauses_path = optarg; break;
      case OPT_TIMELINE: timeline_path = optarg; break;
      case OPT_SAMPLE:
        sample_every = strtoull(optarg, &end, 10);
        if (end == optarg || *end || optarg[0] == '-' || sample_every == 0)
          die(EXIT_USAGE, "--sample-every wants a positive whole number, got '%s'",
              optarg);
        break;
      case OPT_REPS:
        nreps = strtoull(optarg, &end, 10);
        if (end == optarg || *end || optarg[0] == '-' || nreps == 0 ||
            nreps > MAX_REPS)
          die(EXIT_USAGE, "--repetitions wants a whole number from 1 to %d, "
              "got '%s'", MAX_REPS, optarg);
        break;
      case 'q': quiet = 1; break;
      case 'l':
        list_all();
        return gc_out_flush_stdout("gcrun") ? EXIT_USAGE : EXIT_OK;
      case 'h':
        usage(stdout);
        return gc_out_flush_stdout("gcrun") ? EXIT_USAGE : EXIT_OK;
      default:
        if (optopt)
          die(EXIT_USAGE, "option -%c %s; try 'gcrun --help'", optopt,
              strchr("Cwpcsj", optopt) ? "wants a value" : "is unknown");
        die(EXIT_USAGE, "unknown option '%s' or a missing value; try 'gcrun "
                        "--help'", argv[optind - 1]);
    }
  }
  if (optind < argc) {
    gcv_mode m;
    if (verify != GCV_OFF && gcv_parse(argv[optind], &m) == 0)
      die(EXIT_USAGE, "unexpected argument '%s'; write --verify=%s", 
          argv[optind], argv[optind]);
    die(EXIT_USAGE, "unexpected argument '%s'; try 'gcrun --help'",
        argv[optind]);
  }
  if (!cname) die(EXIT_USAGE, "no --collector given; see 'gcrun --list'");
  if (!wname) die(EXIT_USAGE, "no --workload given; see 'gcrun --list'");
  {
    int to_stdout = 0;
    const char *outs[] = {json_path, pauses_path, timeline_path};
    for (int i = 0; i < 3; i++) to_stdout += outs[i] && !strcmp(outs[i], "-");
    if (to_stdout > 1)
      die(EXIT_USAGE, "only one of --json, --pauses, --timeline can be '-' "
                      "(standard output); give the others a file name");
  }

  /* ---- resolve names and parameters (exit 2 on any problem) ---- */
  const workload *wl = wl_find(wname);
  if (!wl) {
    size_t nw;
    const workload *const *all = wl_list(&nw);
    char known[256] = "";
    for (size_t i = 0; i < nw; i++) {
      if (i) strncat(known, ", ", sizeof known - strlen(known) - 1);
      strncat(known, all[i]->name, sizeof known - strlen(known) - 1);
    }
    die(EXIT_USAGE, "unknown workload '%s' (known: %s)", wname, known);
  }
  static gc_param_set ps; /* static: see params */
  if (gc_params_init(&ps, wl->params, wl->nparams) != 0)
    die(EXIT_USAGE, "internal error: bad parameter table for '%s'", wl->name);
  char err[512];
  for (size_t i = 0; i < nparams; i++)
    if (gc_params_assign(&ps, params[i], err, sizeof err) != 0)
      die(EXIT_USAGE, "workload '%s': %s; see 'gcrun --list'", wl->name, err);
  static char *cspec; /* static: see params */
  static const char *cnames[MAX_RUNS];
  cspec = strdup(cname);
  if (!cspec) die(EXIT_NOMEM, "out of memory");
  size_t nruns = collector_list(cspec, cnames);
  for (size_t i = 0; i < nruns; i++) { /* every name and -c, before any run */
    gc_heap *h = gc_heap_new(cnames[i], tunables, err, sizeof err);
    if (!h && nruns > 1 && gc_collector_walks_heap(cnames[i]) &&
        !strstr(cname, cnames[i])) {
      /* "all" under another allocator: heapwalk takes mimalloc only */
      if (!quiet)
        fprintf(stderr, "gcrun: -C all: %s left out: %s\n", cnames[i], err);
      memmove(&cnames[i], &cnames[i + 1], (nruns - i - 1) * sizeof *cnames);
      nruns--, i--;
      continue;
    }
    if (!h) die(EXIT_USAGE, "%s", err);
    gc_heap_free(h);
  }
  if (nruns > 1 && (pauses_path || timeline_path))
    die(EXIT_USAGE, "%s takes one collector; run gcrun once per collector "
        "for its CSV", pauses_path ? "--pauses" : "--timeline");
  if (nreps > 1 && (pauses_path || timeline_path))
    die(EXIT_USAGE, "%s takes one run; drop --repetitions for its CSV",
        pauses_path ? "--pauses" : "--timeline");

  /* ---- outputs: checked and opened before the run ---- */
  static gc_out json, pfile, tfile; /* static: die() abandons them */
  {
    /* no output may name an input: a workload's "file" parameter (the
     * snapshot, the capture) is read during the run, and the timeline's
     * untracked_csv parameter names a file it writes */
    const char *opt[] = {"--json", "--pauses", "--timeline",
                         "-p untracked_csv"};
    const char *path[] = {json_path, pauses_path, timeline_path, NULL};
    const char *in_opt[] = {"-p file"}, *in_path[] = {NULL};
    for (size_t i = 0; i < wl->nparams; i++) {
      if (!strcmp(wl->params[i].name, "file"))
        in_path[0] = gc_params_str(&ps, "file");
      if (!strcmp(wl->params[i].name, "untracked_csv")) {
        const char *u = gc_params_str(&ps, "untracked_csv");
        path[3] = u && *u ? u : NULL;
      }
    }
    if (gc_out_check_inputs(opt, path, 4, in_opt, in_path, 1, err,
                            sizeof err) != 0)
      die(EXIT_USAGE, "%s", err);
    /* the file is read again by every collector and repetition: a FIFO
     * (or a terminal) would block or be empty after the first read, a
     * folder cannot be read at all.  A missing file is the loader's. */
    struct stat st;
    if (in_path[0] && *in_path[0] && stat(in_path[0], &st) == 0 &&
        !S_ISREG(st.st_mode))
      die(EXIT_USAGE, "-p file '%s' is %s, not a regular file; give a "
          "regular file (save a stream to a file first)", in_path[0],
          S_ISDIR(st.st_mode) ? "a folder" : S_ISFIFO(st.st_mode) ? "a FIFO"
          : S_ISSOCK(st.st_mode) ? "a socket" : "a device");
  }
  {
    gc_out *outs[] = {&json, &pfile, &tfile};
    const char *opt[] = {"--json", "--pauses", "--timeline"};
    const char *path[] = {json_path, pauses_path, timeline_path};
    for (int i = 0; i < 3; i++) {
      if (gc_out_open(outs[i], opt[i], path[i], err, sizeof err) != 0)
        die(EXIT_USAGE, "%s", err);
      open_files[nopen++] = outs[i];
      for (int j = 0; j < i; j++)
        if (gc_out_same(outs[j], outs[i]))
          die(EXIT_USAGE, "%s '%s' and %s '%s' both name one file; give "
              "each its own file", opt[j], path[j], opt[i], path[i]);
    }
  }


  /* ---- run: every collector in turn, repetition by repetition ---- */
  run_opts o = {wl, &ps, tunables, seed, sample_every, verify, quiet, tfile.f};
  static run_result *res; /* res[k * nruns + i]; static: see params */
  res = calloc(nreps * nruns, sizeof *res);
  if (!res) die(EXIT_NOMEM, "out of memory");
  size_t total_runs = nreps * nruns, done = 0;
  for (size_t k = 0; k < nreps; k++)
    for (size_t i = 0; i < nruns; i++) {
      run_result *r = &res[k * nruns + i];
      if (k && res[i].code == EXIT_NOMEM) { /* deterministic: again */
        *r = res[i];
        continue;
      }
      if (done++) reset_peak_resident();
      run_one(cnames[i], &o, r, pfile.f);
      if (nruns == 1 && r->code == EXIT_NOMEM)
        die(EXIT_NOMEM, "%s", r->why);
      if (total_runs > 1 && !quiet) {
        fprintf(stderr, "gcrun: [%zu/%zu] %s", k * nruns + i + 1, total_runs,
                cnames[i]);
        if (nreps > 1)
          fprintf(stderr, " (repetition %zu of %llu)", k + 1, nreps);
        fprintf(stderr, ": %s\n", r->code == EXIT_NOMEM ? r->why
                                  : r->verified == 0    ? "VERIFY FAILED"
                                                        : "done");
      }
    }
  static row rows[MAX_RUNS]; /* each collector's repetitions */
  for (size_t i = 0; i < nruns; i++) row_of(&res[i], nreps, nruns, &rows[i]);

  /* ---- report ---- */
  if (json.f) {
    const row *rp = nreps > 1 ? &rows[0] : NULL;
    if (nruns == 1) {
      write_json(json.f, "", &o, row_run(&rows[0]), rp);
      fputc('\n', json.f);
    } else {
      /* several collectors: one document, the runs in -C's order, each
       * run's object as the single-collector summary (an out-of-memory run
       * has "error" instead) */
      fprintf(json.f, "{\n  \"schema\": %d,\n  \"workload\": \"%s\",\n"
                      "  \"seed\": %llu,\n",
              GCRUN_JSON_SCHEMA, wl->name, seed);
      if (nreps > 1) fprintf(json.f, "  \"repetitions\": %llu,\n", nreps);
      fputs("  \"runs\": [\n", json.f);
      for (size_t i = 0; i < nruns; i++) {
        const run_result *r = row_run(&rows[i]);
        fputs("    ", json.f);
        if (r->code == EXIT_NOMEM)
          fprintf(json.f, "{\"collector\": \"%s\", \"error\": "
                          "\"out of memory\", \"objects_allocated\": %llu}",
                  r->cname, (unsigned long long)r->st.objects_allocated);
        else
          write_json(json.f, "    ", &o, r, nreps > 1 ? &rows[i] : NULL);
        fputs(i + 1 < nruns ? ",\n" : "\n", json.f);
      }
      fputs("  ]\n}\n", json.f);
    }
  }
  int json_stdout = json.f == stdout;
  /* A failed verification is a result too: its files are kept whole
   * ("verified": false), then the exit code says so.  Committed before
   * the summary line, so that a write error is the one line on stderr. */
  int bad = 0;
  {
    gc_out *outs[] = {&json, &pfile, &tfile};
    for (int i = 0; i < 3; i++)
      if (gc_out_commit(outs[i], err, sizeof err) != 0 && !bad++)
        fprintf(stderr, "gcrun: %s\n", err);
    nopen = 0;
  }
  int failed = 0, nomem = 0;
  for (size_t i = 0; i < total_runs; i++) {
    failed |= res[i].code == EXIT_VERIFY;
    nomem |= res[i].code == EXIT_NOMEM;
  }
  if (total_runs == 1 && !json_stdout && !bad) summary_line(&o, &res[0]);
  if (total_runs > 1 && !bad) {
    print_table(json_stdout ? stderr : stdout, rows, nruns, nreps,
                wl->notes_garbage);
    if (!json_stdout && gc_out_flush_stdout("gcrun") != 0) bad = 1;
  }
  if (failed) die(EXIT_VERIFY, "verification failed (see above)");
  if (nruns > 1 && !bad && nomem) nomem_line(rows, nruns);
  gc_params_free(&ps);
  free(tunables);
  free(params);
  free(cspec);
  free(res);
  if (bad) return EXIT_USAGE;
  return nomem ? EXIT_NOMEM : EXIT_OK;
}
