/*
 * gcrun -- one workload under one collector, measured and, with --verify,
 * judged by the oracle.
 *
 *   gcrun --collector NAME --workload NAME [-p key=value ...] [-c key=value]
 *         [--seed S] [--verify[=MODE]] [--json FILE|-] [--pauses FILE]
 *         [--timeline FILE] [--quiet]
 *   gcrun --list
 *
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
      "  -C, --collector NAME   none, naive, trial, generational, or a\n"
      "                         profile: cpython-3.13, php-8, nim-orc (--list)\n"
      "  -w, --workload NAME    pair, chains, rings, graphs, trees, levels,\n"
      "                         churn, cycles, growth, snapshot, finalizers\n"
      "                         (--list)\n"
      "  -p, --param KEY=VALUE  a workload parameter (repeatable)\n"
      "  -c, --tunable KEY=VALUE  a collector tunable (repeatable)\n"
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
  if (rc->verify.mode != GCV_OFF &&
      gcv_collect_hook(&rc->verify, h, phase) != 0)
    die(EXIT_VERIFY, "verify failed during %s", rc->verify.error);
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
      fprintf(stderr,
              "\rgcrun: %.1f s, %llu objects allocated, %llu live, %llu "
              "collections   ",
              (now - rc->t0) / 1e9, (unsigned long long)st->objects_allocated,
              (unsigned long long)st->live_objects,
              (unsigned long long)st->collections);
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
 * in effect (defaults included), typed as in "params".  `cname` may be a
 * profile: its collector's table, its tunables applied first.  `list` is
 * the "k=v,k=v" string gc_heap_new already accepted (it wins). */
static void tunables_json(FILE *f, const char *cname, const char *list) {
  const gc_profile *prof = gc_profile_find(cname);
  const char *col_name = prof ? prof->collector : cname;
  gc_param_def defs[GC_PARAMS_MAX];
  size_t nh, nc = 0, n = 0;
  const gc_param_def *heap = gc_common_tunables(&nh);
  const gc_param_def *col = NULL;
  for (size_t i = 0; i < gc_collector_count(); i++)
    if (strcmp(gc_collector_name(i), col_name) == 0)
      col = gc_collector_tunables(i, &nc);
  for (size_t i = 0; i < nh && n < GC_PARAMS_MAX; i++) defs[n++] = heap[i];
  for (size_t i = 0; i < nc && n < GC_PARAMS_MAX; i++) defs[n++] = col[i];
  gc_param_set set;
  char err[256];
  if (gc_params_init(&set, defs, n) != 0) {
    fputs("{}", f);
    return;
  }
  if ((prof && gc_params_assign_list(&set, prof->tunables, err, sizeof err)) ||
      (list && gc_params_assign_list(&set, list, err, sizeof err)))
    fprintf(stderr, "gcrun: the JSON's tunables may miss some: %s\n", err);
  gc_params_json(&set, f);
  gc_params_free(&set);
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

int main(int argc, char **argv) {
  enum { OPT_PAUSES = 256, OPT_TIMELINE, OPT_SAMPLE };
  static const struct option opts[] = {
      {"collector", required_argument, 0, 'C'},
      {"workload", required_argument, 0, 'w'},
      {"param", required_argument, 0, 'p'},
      {"tunable", required_argument, 0, 'c'},
      {"seed", required_argument, 0, 's'},
      {"verify", optional_argument, 0, 'v'},
      {"json", required_argument, 0, 'j'},
      {"pauses", required_argument, 0, OPT_PAUSES},
      {"timeline", required_argument, 0, OPT_TIMELINE},
      {"sample-every", required_argument, 0, OPT_SAMPLE},
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
  unsigned long long seed = 1, sample_every = 10000;
  gcv_mode verify = GCV_OFF;
  int quiet = 0, c;
  char *end;
  if (!params) die(EXIT_NOMEM, "out of memory");
  opterr = 0; /* one line of our own instead of getopt's */
  while ((c = getopt_long(argc, argv, "C:w:p:c:s:vj:qlh", opts, NULL)) != -1) {
    switch (c) {
      case 'C': cname = optarg; break;
      case 'w': wname = optarg; break;
      case 'p': params[nparams++] = optarg; break;
      case 'c':
        if (append_list(&tunables, optarg) != 0) die(EXIT_NOMEM, "out of memory");
        break;
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
  static gc_heap *h; /* static: see params */
  h = gc_heap_new(cname, tunables, err, sizeof err);
  if (!h) die(EXIT_USAGE, "%s", err);

  /* ---- outputs: checked and opened before the run ---- */
  static gc_out json, pfile, tfile; /* static: die() abandons them */
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
          die(EXIT_USAGE, "%s and %s both name '%s'; give each its own file",
              opt[j], opt[i], path[i]);
    }
  }

  /* ---- run ---- */
  run_ctx rc = {0};
  gcv_init(&rc.verify, verify);
  rc.timeline = tfile.f;
  rc.progress = !quiet && isatty(2);
  rc.h = h;
  rc.notes_garbage = wl->notes_garbage;
  if (rc.timeline)
    fprintf(rc.timeline, "time_ns,thread_bytes,heap_bytes,live_objects,"
                         "objects_allocated,event,unreclaimed_objects,"
                         "unreclaimed_bytes\n");
  if (verify != GCV_OFF || rc.timeline)
    gc_set_collect_hook(h, on_collect, &rc);
  if (rc.timeline || rc.progress)
    gc_set_sample_hook(h, sample_every, on_sample, &rc);

  gc_mem_thread_peak_reset();
  wl_answer ans = {0};
  rc.t0 = rc.last_progress = gc_now_ns();
  if (rc.timeline) timeline_row(&rc, "start");
  err[0] = '\0';
  int wrc = wl->run(h, &ps, seed, &ans, err, sizeof err);
  if (wrc == WL_ENOMEM) /* the workload's own hint, or the sized ones' */
    die(EXIT_NOMEM, "out of memory after %llu objects; %s",
        (unsigned long long)gc_heap_get_stats(h)->objects_allocated,
        err[0] ? err : "try a smaller size (-p n=...)");
  if (wrc != WL_OK) die(EXIT_USAGE, "workload '%s': %s", wl->name, err);
  uint64_t peak_alloc = gc_mem_thread_peak();
  rc.verify.final = 1; /* sampled: the final collection is always checked */
  gc_collect(h, GC_FULL);
  gc_unreclaimed unrec; /* over the run, up to the final collection */
  gc_heap_unreclaimed(h, &unrec);
  uint64_t total_ns = gc_now_ns() - rc.t0;
  if (rc.timeline) timeline_row(&rc, "end");
  if (rc.progress && total_ns > 1000000000ull) fputc('\n', stderr);
  gc_mem_stats mem;
  gc_mem_read(&mem);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  uint64_t peak_resident = (uint64_t)ru.ru_maxrss * 1024;
  if (mem.resident > peak_resident) peak_resident = mem.resident;
  uint64_t p2 = gc_mem_thread_peak();
  if (p2 > peak_alloc) peak_alloc = p2;

  /* ---- judge ---- */
  const gc_heap_stats *st = gc_heap_get_stats(h);
  int is_none = strcmp(cname, "none") == 0;
  uint64_t expect_live = ans.live + (is_none ? ans.cyclic : 0);
  uint64_t expect_coll = is_none ? 0 : ans.cyclic;
  int verified = -1; /* not asked */
  if (verify != GCV_OFF) {
    int problems = 0;
#define EXPECT(what, got, want)                                              \
  if ((got) != (want)) {                                                     \
    char line_[512];                                                         \
    gcv_count_mismatch(line_, sizeof line_, what, got, want, verify);        \
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
    gc_oracle_report rep;
    int flags = GC_ORACLE_COUNTS | (is_none ? 0 : GC_ORACLE_COMPLETE);
    if (gc_oracle_check(h, flags, &rep) != 0) {
      fprintf(stderr, "gcrun: verify: oracle: %s\n", rep.error);
      problems++;
    } else if (rep.reachable !=
               ans.live - (is_none ? ans.resurrected + ans.uncollectable : 0)) {
      /* under `none` no finalizer resurrects and nothing is kept */
      fprintf(stderr,
              "gcrun: verify: oracle finds %llu reachable objects, the "
              "workload's answer is %llu\n",
              (unsigned long long)rep.reachable,
              (unsigned long long)(ans.live -
                                   (is_none ? ans.resurrected +
                                                  ans.uncollectable
                                            : 0)));
      problems++;
    }
    verified = problems == 0;
  }

  /* ---- report ---- */
  pauses p = pause_percentiles(h);
  uint64_t leaked =
      st->live_objects > ans.live ? st->live_objects - ans.live : 0;
  if (json.f) {
    FILE *f = json.f;
    fprintf(f, "{\n  \"schema\": %d,\n", GCRUN_JSON_SCHEMA);
    fprintf(f, "  \"collector\": \"%s\",\n  \"workload\": \"%s\",\n",
            cname, wl->name);
    const gc_profile *prof = gc_profile_find(cname);
    if (prof)
      fprintf(f, "  \"profile\": {\"collector\": \"%s\", \"tunables\": "
                 "\"%s\"},\n",
              prof->collector, prof->tunables);
    fprintf(f, "  \"params\": ");
    gc_params_json(&ps, f);
    fprintf(f, ",\n  \"tunables\": ");
    tunables_json(f, cname, tunables);
    fprintf(f, ",\n");
    fprintf(f, "  \"seed\": %llu,\n", seed);
    fprintf(f, "  \"objects_allocated\": %llu,\n",
            (unsigned long long)st->objects_allocated);
    fprintf(f, "  \"freed_by_rc\": %llu,\n", (unsigned long long)st->freed_by_rc);
    fprintf(f, "  \"freed_by_collector\": %llu,\n",
            (unsigned long long)st->freed_by_collector);
    fprintf(f, "  \"live_at_end\": %llu,\n", (unsigned long long)st->live_objects);
    fprintf(f, "  \"leaked\": %llu,\n", (unsigned long long)leaked);
    fprintf(f, "  \"collections\": %llu,\n", (unsigned long long)st->collections);
    fprintf(f, "  \"objects_examined\": %llu,\n",
            (unsigned long long)st->objects_examined);
    fprintf(f, "  \"gc_time_ns\": %llu,\n", (unsigned long long)st->gc_time_ns);
    fprintf(f, "  \"total_time_ns\": %llu,\n", (unsigned long long)total_ns);
    fprintf(f,
            "  \"pause_ns\": {\"p50\": %llu, \"p90\": %llu, \"p99\": %llu, "
            "\"max\": %llu},\n",
            (unsigned long long)p.p50, (unsigned long long)p.p90,
            (unsigned long long)p.p99, (unsigned long long)p.max);
    fprintf(f, "  \"finalizers_run\": %llu,\n",
            (unsigned long long)st->finalizers_run);
    fprintf(f, "  \"resurrected\": %llu,\n", (unsigned long long)st->resurrected);
    fprintf(f, "  \"uncollectable\": %llu,\n",
            (unsigned long long)st->uncollectable);
    fprintf(f, "  \"peak_live_bytes\": %llu,\n",
            (unsigned long long)st->peak_live_bytes);
    fprintf(f, "  \"peak_allocated_bytes\": %llu,\n",
            (unsigned long long)peak_alloc);
    fprintf(f, "  \"peak_resident_bytes\": %llu,\n",
            (unsigned long long)peak_resident);
    if (wl->notes_garbage) {
      fprintf(f,
              "  \"unreclaimed_objects\": {\"max\": %llu, \"mean\": %.1f},\n"
              "  \"unreclaimed_bytes\": {\"max\": %llu, \"mean\": %.1f},\n",
              (unsigned long long)unrec.max_objects, unrec.mean_objects,
              (unsigned long long)unrec.max_bytes, unrec.mean_bytes);
    } else {
      fprintf(f, "  \"unreclaimed_objects\": null,\n"
                 "  \"unreclaimed_bytes\": null,\n");
    }
    fprintf(f,
            "  \"answer\": {\"allocated\": %llu, \"freed_by_rc\": %llu, "
            "\"cyclic\": %llu, \"live\": %llu, \"finalized\": %llu, "
            "\"resurrected\": %llu, \"uncollectable\": %llu},\n",
            (unsigned long long)ans.allocated,
            (unsigned long long)ans.freed_by_rc,
            (unsigned long long)ans.cyclic, (unsigned long long)ans.live,
            (unsigned long long)ans.finalized,
            (unsigned long long)ans.resurrected,
            (unsigned long long)ans.uncollectable);
    /* verified: null when not asked; true when every check made passed
     * (verify_mode says which: the final checks always, safety across
     * safety_checked of the collections) */
    fprintf(f, "  \"verify_mode\": ");
    if (verify == GCV_OFF)
      fprintf(f, "null,\n");
    else
      fprintf(f, "\"%s\",\n", gcv_mode_name(verify));
    fprintf(f, "  \"safety_checked\": %llu,\n",
            (unsigned long long)rc.verify.checked);
    fprintf(f, "  \"verified\": %s\n}\n",
            verified < 0 ? "null" : verified ? "true" : "false");
  }
  if (pfile.f) {
    size_t n;
    const gc_collection_record *r = gc_heap_records(h, &n);
    fprintf(pfile.f,
            "collection,start_ns,pause_ns,generation,examined,freed,automatic\n");
    for (size_t i = 0; i < n; i++)
      fprintf(pfile.f, "%zu,%llu,%llu,%d,%llu,%llu,%d\n", i,
              (unsigned long long)r[i].start_ns,
              (unsigned long long)r[i].pause_ns, r[i].generation,
              (unsigned long long)r[i].examined,
              (unsigned long long)r[i].freed, r[i].automatic);
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
  if (!json_stdout && !bad)
    fprintf(stderr,
            "gcrun: %s/%s: %llu allocated, %llu freed by rc, %llu by the "
            "collector, %llu live, %llu leaked; %llu collections, gc %.3f ms "
            "of %.3f ms%s",
            wl->name, cname, (unsigned long long)st->objects_allocated,
            (unsigned long long)st->freed_by_rc,
            (unsigned long long)st->freed_by_collector,
            (unsigned long long)st->live_objects, (unsigned long long)leaked,
            (unsigned long long)st->collections, st->gc_time_ns / 1e6,
            total_ns / 1e6,
            verified < 0 ? "" : verified ? "; verified" : "; VERIFY FAILED");
  if (!json_stdout && !bad && verified >= 0)
    fprintf(stderr, " (%s: safety across %llu of %llu collections)",
            gcv_mode_name(verify), (unsigned long long)rc.verify.checked,
            (unsigned long long)st->collections);
  if (!json_stdout && !bad) fputc('\n', stderr);
  if (verified == 0) die(EXIT_VERIFY, "verification failed (see above)");
  gc_heap_free(h);
  gc_params_free(&ps);
  free(tunables);
  free(params);
  return bad ? EXIT_USAGE : EXIT_OK;
}
