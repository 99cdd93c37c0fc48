/*
 * stress.c -- huge and deep heaps under every collector, verified: a
 * 10,000,000-long chain (dropped: one release cascade; and held: the oracle
 * walks it), a 10,000,000-object ring, a 10,000,000-vertex random graph, and
 * binary trees of depth 20 with parent pointers.  Run under `ulimit -s 8192`
 * (CTest does): nothing may recurse over the object graph.
 *
 *   gcstress [--size N] [--depth D] [--collector NAME] [--huge] [--help]
 *
 * --huge is --size 100000000 (not run by the tests: see tests/README.md for its
 * peak memory).  Prints one line per case with its time and the process's
 * peak resident memory; exit 0 when every case verified, 1 otherwise, 2 on
 * bad usage, 3 out of memory.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "oracle.h"
#include "workload.h"

static long peak_rss_mib(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024; /* Linux: KiB */
}

/* One case: run, full collection, check the answer and the oracle. */
static int run_case(const char *collector, const char *wl, const char *params,
                    const char *label) {
  const workload *w = wl_find(wl);
  gc_param_set ps;
  char err[512];
  if (!w || gc_params_init(&ps, w->params, w->nparams) != 0 ||
      gc_params_assign_list(&ps, params, err, sizeof err) != 0) {
    fprintf(stderr, "gcstress: %s %s: %s\n", wl, params, err);
    return 2;
  }
  /* Automatic collections on; naive's fixed threshold would rescan the
   * growing heap every 2000 allocations (quadratic), so it waits for as
   * many allocations as there are survivors, as a runtime would.
   * incremental at CPython 3.14.0's constants is quadratic on these shapes
   * too: all that is live is reachable from the root table, so the marking
   * step that starts a scavenge empties the pending space, the next
   * increment ends the scavenge and the one after marks the whole heap
   * again (a 1,000,000-long chain: 20 s, against 0.45 s with an increment
   * every 1,000,000 new objects). */
  const char *tunables = strcmp(collector, "naive") == 0 ? "growth=1"
                         : strcmp(collector, "incremental") == 0
                             ? "threshold=1000000"
                             : NULL;
  gc_heap *h = gc_heap_new(collector, tunables, err, sizeof err);
  if (!h) {
    fprintf(stderr, "gcstress: %s\n", err);
    gc_params_free(&ps);
    return 2;
  }
  uint64_t t0 = gc_now_ns();
  wl_answer a;
  int rc = w->run(h, &ps, 1, &a, err, sizeof err);
  int status = 0;
  if (rc != WL_OK) {
    fprintf(stderr, "gcstress: %s/%s: %s\n", label, collector,
            rc == WL_ENOMEM ? "out of memory" : err);
    status = rc == WL_ENOMEM ? 3 : 2;
  } else {
    gc_collect(h, GC_FULL);
    uint64_t t1 = gc_now_ns();
    const gc_heap_stats *s = gc_heap_get_stats(h);
    int none = strcmp(collector, "none") == 0;
    uint64_t want_gc = none ? 0 : a.cyclic;
    uint64_t want_live = a.live + (none ? a.cyclic : 0);
    gc_oracle_report rep;
    int bad = s->objects_allocated != a.allocated ||
              s->freed_by_rc != a.freed_by_rc ||
              s->freed_by_collector != want_gc || s->live_objects != want_live;
    if (gc_oracle_check(h, GC_ORACLE_COUNTS | (none ? 0 : GC_ORACLE_COMPLETE),
                        &rep) != 0) {
      fprintf(stderr, "gcstress: %s/%s: oracle: %s\n", label, collector,
              rep.error);
      bad = 1;
    }
    if (bad) {
      fprintf(stderr,
              "gcstress: %s/%s: %" PRIu64 " freed by rc (want %" PRIu64
              "), %" PRIu64 " by the collector (want %" PRIu64 "), %" PRIu64
              " live (want %" PRIu64 ")\n",
              label, collector, s->freed_by_rc, a.freed_by_rc,
              s->freed_by_collector, want_gc, s->live_objects, want_live);
      status = 1;
    }
    printf("%-28s %-13s %11" PRIu64 " objects %8.2f s  peak RSS %6ld MiB  %s\n",
           label, collector, a.allocated, (double)(t1 - t0) / 1e9,
           peak_rss_mib(), bad ? "FAILED" : "verified");
    fflush(stdout);
  }
  uint64_t t2 = gc_now_ns();
  gc_heap_free(h); /* frees what is left: a held chain or ring, iteratively */
  if (status == 0)
    printf("%-28s %-13s freed at heap end in %.2f s\n", "", "",
           (double)(gc_now_ns() - t2) / 1e9);
  gc_params_free(&ps);
  return status;
}

static void usage(FILE *f) {
  fputs("usage: gcstress [--size N] [--depth D] [--collector NAME] [--huge]\n"
        "\n"
        "Huge and deep heaps under every collector (or one), each verified\n"
        "against its answer and the oracle: a chain of N dropped and held,\n"
        "a ring of N, a random graph of N vertices, binary trees of depth D\n"
        "with parent pointers.  Run it under `ulimit -s 8192`.\n"
        "\n"
        "  --size N         objects per shape (default 10000000)\n"
        "  --depth D        tree depth (default 20)\n"
        "  --collector NAME one collector (default: every one)\n"
        "  --huge           --size 100000000 (needs ~10 GiB)\n"
        "\n"
        "Exit codes: 0 verified, 1 a case failed, 2 bad usage, 3 out of "
        "memory.\n",
        f);
}

int main(int argc, char **argv) {
  long long size = 10000000, depth = 20;
  const char *only = NULL;
  static const struct option opts[] = {{"size", 1, 0, 'n'},
                                       {"depth", 1, 0, 'd'},
                                       {"collector", 1, 0, 'C'},
                                       {"huge", 0, 0, 'H'},
                                       {"help", 0, 0, 'h'},
                                       {0, 0, 0, 0}};
  for (int c; (c = getopt_long(argc, argv, "n:d:C:Hh", opts, NULL)) != -1;) {
    char *end;
    switch (c) {
    case 'n':
    case 'd': {
      long long v = strtoll(optarg, &end, 10);
      if (*end || v < 1 || v > (c == 'n' ? 4000000000LL : 30)) {
        fprintf(stderr, "gcstress: --%s wants a whole number in [1, %s], got "
                        "'%s'\n",
                c == 'n' ? "size" : "depth", c == 'n' ? "4e9" : "30", optarg);
        return 2;
      }
      *(c == 'n' ? &size : &depth) = v;
      break;
    }
    case 'C': only = optarg; break;
    case 'H': size = 100000000; break;
    case 'h': usage(stdout); return 0;
    default:
      fprintf(stderr, "gcstress: try 'gcstress --help'\n");
      return 2;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "gcstress: unexpected argument '%s'\n", argv[optind]);
    return 2;
  }
  char p[5][160];
  snprintf(p[0], sizeof p[0], "n=%lld,length=%lld", size, size);
  snprintf(p[1], sizeof p[1], "n=%lld,length=%lld,held=1", size, size);
  snprintf(p[2], sizeof p[2], "n=%lld,k=%lld", size, size);
  snprintf(p[3], sizeof p[3], "n=%lld,degree=2,held=0.1", size);
  snprintf(p[4], sizeof p[4],
           "stretch=0,long_lived=0,min_depth=%lld,max_depth=%lld,parent=1,"
           "array=0",
           depth, depth);
  const char *wl[5] = {"chains", "chains", "rings", "graphs", "trees"};
  const char *label[5] = {"chain (dropped)", "chain (held)", "ring",
                          "graph degree 2, 10% held", "trees with parents"};
  int status = 0;
  for (size_t c = 0; c < gc_collector_count(); c++) {
    const char *name = gc_collector_name(c);
    if (only && strcmp(only, name) != 0) continue;
    for (int i = 0; i < 5; i++) {
      int rc = run_case(name, wl[i], p[i], label[i]);
      if (rc > status) status = rc;
      if (rc == 2) return 2;
    }
  }
  if (only && !status) {
    size_t i = 0;
    while (i < gc_collector_count() && strcmp(gc_collector_name(i), only)) i++;
    if (i == gc_collector_count()) {
      fprintf(stderr, "gcstress: unknown collector '%s'; see 'gcrun --list'\n",
              only);
      return 2;
    }
  }
  return status;
}
