/*
 * gcbench -- the benchmark matrix on Google Benchmark (through bench/shim).
 *
 * The matrix is data: rows (a workload, fixed parameters, a mode) x
 * collectors x sizes.  Names read workload/collector/key:value/n:N/mode:M.
 *
 *   mode:collect  the heap is built untimed with automatic collection off;
 *                 the timed part is one gc_collect(h, GC_FULL)
 *   mode:run      the whole mutator + collector run is timed (automatic
 *                 collection on), then the final full collection
 *
 * A `floor-free` row goes with every heap that is all garbage: the floor's
 * pass, then every object freed as a collection frees its garbage
 * (gc_free_all_objects_: the same allocator and sized free), the limit of
 * a collection that finds and frees it all.
 * A `floor` row goes with every collect-mode heap: one bare pass over the
 * same objects that touches every object and every edge target, the
 * memory-bound limit of any tracing pass; read each figure as "x over floor".
 * `none` is always in the matrix as the baseline.
 *
 * What is in the root buffer when a collect-mode collection starts (the
 * buffering protocol; it matters to collectors that examine only what a
 * root buffer reaches, trial deletion here, PHP and Nim ORC among peers):
 *
 *   (no protocol component)  the roots the workload's own building leaves:
 *                 each ring's or chain's head, every graph vertex, every
 *                 level but the top one
 *   protocol:all  every vertex buffered once (gc_heap_buffer_all, untimed,
 *                 after the workload): the worst case, comparable with a
 *                 whole-heap walk.  Only for collectors with a root buffer;
 *                 the others examine the whole heap under either protocol.
 *
 * A sweep (--gcbench_sweep=KEY=V1,V2,...) replaces the matrix by one
 * strategy axis: KEY is a collector tunable (the whole runs of the
 * collectors that have it), a workload parameter (the rows whose workload
 * takes it), or `heap`, the live-byte budget as a multiple of the minimum
 * heap (as running-ng sweeps heap sizes).  The swept key and value end each
 * name (`churn/generational/n:1000000/threshold0:700/mode:run`), so rows stay
 * distinct, and the JSON context says which key was swept.
 *
 * Every iteration is checked against the workload's answer (counts freed and
 * live); a mismatch stops that benchmark with an error.  jemalloc statistics
 * are read between iterations, never inside the timed part.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h" /* the collectors' prefetch macros, for the floor */
#include "gbshim.h"
#include "gc.h"
#include "outfile.h"
#include "params.h"
#include "workload.h"

enum mode { MODE_COLLECT, MODE_RUN };

/* ======================================================================
 * The matrix
 * ==================================================================== */

typedef struct row {
  const char *workload;
  const char *params; /* fixed parameters, "k=v,k=v"; a value "Fn" is F x n */
  enum mode mode;
  int garbage; /* every object is garbage: a floor-free row goes with it */
  const char *allocator; /* the row's own allocator (NULL: the default or
                            --gcbench_allocators') */
} row;

static const row matrix[] = {
    {"chains", "length=100,held=1", MODE_COLLECT, 0, NULL},  /* live, acyclic */
    {"rings", "k=10,held=0", MODE_COLLECT, 1, NULL},      /* all garbage */
    {"rings", "k=10,held=1", MODE_COLLECT, 0, NULL},         /* all live */
    {"rings", "k=10,links=2,held=0", MODE_COLLECT, 1, NULL}, /* pyperformance's */
    {"graphs", "degree=2,model=uniform,held=1", MODE_COLLECT, 0, NULL},
    {"graphs", "degree=2,model=scalefree,held=0.1", MODE_COLLECT, 0, NULL},
    {"levels", "", MODE_COLLECT, 0, NULL},
    /* list walk against heap walk: live rings under mimalloc, in address
     * order and on a heap whose allocation order no longer follows
     * addresses (rings' scatter) */
    {"rings", "k=10,held=1", MODE_COLLECT, 0, "mimalloc"},
    {"rings", "k=10,held=1,scatter=0.9", MODE_COLLECT, 0, "mimalloc"},
    {"churn", "", MODE_RUN, 0, NULL},
    /* CPython gh-142002: garbage outstanding beside a still heap of n/10 */
    {"cycles", "live=0.1n", MODE_RUN, 0, NULL},
    {"growth", "", MODE_RUN, 0, NULL}, /* the mypy report: a heap growing all run */
    {"trees", "", MODE_RUN, 0, NULL},
    /* what acyclic objects buy: the same cached objects used in a loop
     * beside a few cycles (php-src #17127), none, half or 90% of them
     * created untracked */
    {"scalars", "acyclic=0", MODE_RUN, 0, NULL},
    {"scalars", "acyclic=0.5", MODE_RUN, 0, NULL},
    {"scalars", "acyclic=0.9", MODE_RUN, 0, NULL},
/* The shapes grid (workloads/shapes.c): twelve shapes with back edges,
 * each garbage and live, and an acyclic DAG live; at one size by default. */
#define SHAPE(params)                                                   \
  {"shapes", params ",held=0", MODE_COLLECT, 1, NULL},                  \
  {"shapes", params ",held=1", MODE_COLLECT, 0, NULL}
    /* complete binary trees of depth 16 with parent pointers, three orders */
    SHAPE("size=65535,degree=2,back=parent,order=bfs"),
    SHAPE("size=65535,degree=2,back=parent,order=dfs"),
    SHAPE("size=65535,degree=2,back=parent,order=scatter"),
    SHAPE("size=100,degree=1,back=parent,order=bfs"),    /* short lists */
    SHAPE("size=100000,degree=1,back=parent,order=bfs"), /* a long list */
    SHAPE("size=1000,degree=4,back=parent,order=dfs"),   /* a DOM */
    SHAPE("size=1000,degree=3,back=start,order=bfs"),    /* owner links */
    SHAPE("size=10,degree=2,back=start,order=interleave"),
    SHAPE("size=1000,degree=2,back=across,order=bfs"),
    SHAPE("size=100000,degree=4,back=across,order=scatter"),
    SHAPE("size=1000,degree=2,back=parent,share=0.3,order=dfs"),
    SHAPE("size=10000,degree=3,back=across,share=0.5,order=interleave"),
#undef SHAPE
    {"shapes", "size=1000,degree=2,back=none,share=0.5,order=bfs,held=1",
     MODE_COLLECT, 0, NULL},
};

static const double sizes_default[] = {1e3, 1e4, 1e5, 1e6};
static const double sizes_full[] = {1e3, 1e4, 1e5, 1e6, 1e7};
/* The shapes grid runs at one size unless --gcbench_full or
 * --gcbench_sizes asks for more: its 25 rows at four sizes would more than
 * double the matrix. */
static const double grid_size[] = {1e5};
static int grid_row(const row *r) { return !strcmp(r->workload, "shapes"); }

/* ======================================================================
 * One cell
 * ==================================================================== */

typedef struct cell {
  const row *r;            /* NULL for the custom benchmarks */
  const workload *wl;
  const char *collector;   /* a collector name, or "floor" */
  long long n;
  char name[256];
  char params[256];        /* row params + n (+ a swept parameter) */
  char tunables[128];      /* a swept tunable or heap budget, "k=v" or "" */
  const char *allocator;   /* --gcbench_allocators: the heap's, or NULL */
  double heap_factor;      /* a heap sweep's budget / minimum heap, else 0 */
  double min_heap;         /* its minimum heap in bytes, once measured */
  long long extra;         /* custom benchmarks' second size */
  int buffer_all;          /* protocol:all, see the top of this file */
  int out_of_memory;       /* a run ran out of memory or was refused */
} cell;

/* A row out of memory (or refused before allocating, workload.h): the
 * error row says why, and gcbench exits 3 at the end.  In a heap sweep a
 * run over the budget the sweep gave it is the sweep's result, not the
 * machine's: it counts only when that budget was not below the room the
 * process had left. */
static void out_of_memory(gbs_state *st, cell *c, const char *why) {
  int counts = 1;
  if (c->heap_factor > 0) {
    wl_room room;
    counts = wl_memory_room(&room) == 0 &&
             c->min_heap * c->heap_factor >= (double)room.bytes;
  }
  if (counts) c->out_of_memory = 1;
  gbs_skip_with_error(st, why && *why ? why : "out of memory");
}

/* Pause percentiles over every collection of every iteration. */
typedef struct pause_acc {
  uint64_t *v;
  size_t n, cap;
} pause_acc;

static void pauses_add(pause_acc *a, gc_heap *h) {
  size_t n;
  const gc_collection_record *r = gc_heap_records(h, &n);
  if (a->n + n > a->cap) {
    size_t cap = (a->n + n) * 2 + 16;
    uint64_t *v = realloc(a->v, cap * sizeof *v);
    if (!v) return;
    a->v = v;
    a->cap = cap;
  }
  for (size_t i = 0; i < n; i++) a->v[a->n++] = r[i].pause_ns;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static double pct(pause_acc *a, double q) {
  if (!a->n) return 0;
  return (double)a->v[(size_t)(q * (double)(a->n - 1) + 0.5)];
}

/* The bare pass: every object, every edge target's header.  It prefetches
 * as the collectors' list walks do (gc/refscan.c), with their macros: the
 * first four targets of the object FLOOR_AHEAD links on, and the memory
 * GC_STREAM_AHEAD bytes past that object, so that it stays a floor. */
enum { FLOOR_AHEAD = 8 };
static uint64_t floor_pass(gc_heap *h) {
  uint64_t sum = 0;
  for (int g = 0; g < GC_NGENS; g++) {
    const gc_link *l = gc_heap_gen_list(h, g), *ahead = l->next;
    for (int k = 0; k < FLOOR_AHEAD && ahead != l; k++) ahead = ahead->next;
    for (const gc_link *p = l->next; p != l; p = p->next) {
      if (ahead != l) {
        __builtin_prefetch((const char *)ahead + GC_STREAM_AHEAD);
        GC_PREFETCH_EDGES(gc_obj((gc_link *)ahead));
        ahead = ahead->next;
      }
      gc_object *o = gc_obj((gc_link *)p);
      gc_object **s = gc_slots(o);
      sum += o->nslots;
      for (uint32_t i = 0, k = o->nslots; i < k; i++)
        if (s[i]) sum += s[i]->refcnt;
    }
  }
  return sum;
}

static volatile uint64_t sink;

static double min_heap(const row *r, const char *params);
static void share_min_heap(const cell *c, double bytes);

/* Every row's `objects` (per iteration) and `ns_per_object`: the timed
 * nanoseconds over those objects, so that ns_per_object x objects is the
 * row's time per iteration (tests/bench/gcbench_output.py checks it on
 * every row kind). */
static void per_object(gbs_state *st, double timed_ns, double iters,
                       double objs) {
  if (iters <= 0 || objs <= 0) return;
  gbs_counter(st, "objects", objs / iters, GBS_DEFAULT);
  gbs_counter(st, "ns_per_object", timed_ns / objs, GBS_DEFAULT);
}


static void bm_cell(gbs_state *st, void *arg) {
  cell *c = arg;
  int is_floor_free = strcmp(c->collector, "floor-free") == 0;
  int is_floor = is_floor_free || strcmp(c->collector, "floor") == 0;
  int is_none = strcmp(c->collector, "none") == 0;
  const char *cname = is_floor ? "none" : c->collector;
  if (c->heap_factor > 0) { /* a heap sweep: the budget, measured once */
    if (c->min_heap == 0) share_min_heap(c, min_heap(c->r, c->params));
    snprintf(c->tunables, sizeof c->tunables, "max_bytes=%.0f",
             c->min_heap * c->heap_factor + 0.5);
  }
  char tun[200];
  snprintf(tun, sizeof tun, "%s%s%s%s%s",
           c->r->mode == MODE_COLLECT ? "auto=0" : "",
           c->r->mode == MODE_COLLECT && *c->tunables ? "," : "", c->tunables,
           c->allocator && (c->r->mode == MODE_COLLECT || *c->tunables)
               ? ",allocator=" : c->allocator ? "allocator=" : "",
           c->allocator ? c->allocator : "");
  gc_param_set ps;
  char err[512];
  if (gc_params_init(&ps, c->wl->params, c->wl->nparams) != 0 ||
      gc_params_assign_list(&ps, c->params, err, sizeof err) != 0) {
    gbs_skip_with_error(st, err);
    return;
  }
  /* a heap sweep measures whether the run fits the max_bytes it gave:
   * refuse before allocating only what the process has no room for */
  wl_memory_room_only(c->heap_factor > 0);
  pause_acc pa = {0};
  double gc_ns = 0, colls = 0, by_rc = 0, by_gc = 0, leaked = 0, examined = 0;
  double peak_alloc = 0, peak_res = 0, objs = 0, timed_ns = 0, bpo = 0;
  double ur_max = 0, ur_mean = 0, ur_bytes_max = 0, ur_bytes_mean = 0;
  int64_t iters = 0;
  while (gbs_keep_running(st)) {
    /* Every collect-mode heap on fresh pages, as the process's first */
    if (c->r->mode == MODE_COLLECT) gc_mem_trim_();
    gc_heap *h = gc_heap_new(cname, tun, err, sizeof err);
    if (!h) {
      gbs_skip_with_error(st, err);
      break;
    }
    wl_answer ans;
    uint64_t t0 = 0, t1 = 0, live_before = 0;
    int rc;
    err[0] = 0;
    gc_mem_thread_peak_reset();
    if (c->r->mode == MODE_COLLECT) {
      rc = c->wl->run(h, &ps, 1, &ans, err, sizeof err);
      if (c->buffer_all && rc == WL_OK) gc_heap_buffer_all(h);
      gc_heap_stats before = *gc_heap_get_stats(h);
      t0 = gc_now_ns();
      if (is_floor)
        sink = floor_pass(h);
      else if (rc == WL_OK)
        gc_collect(h, GC_FULL);
      if (is_floor_free && rc == WL_OK)
        sink += gc_free_all_objects_(h);
      t1 = gc_now_ns();
      live_before = before.live_objects;
      if (live_before)
        bpo = (double)before.live_bytes / (double)live_before;
    } else {
      t0 = gc_now_ns();
      rc = c->wl->run(h, &ps, 1, &ans, err, sizeof err);
      if (rc == WL_OK) gc_collect(h, GC_FULL);
      t1 = gc_now_ns();
    }
    if (rc != WL_OK) {
      if (rc == WL_ENOMEM && !err[0])
        snprintf(err, sizeof err, "out of memory after %llu objects; lower n",
                 (unsigned long long)gc_heap_get_stats(h)->objects_allocated);
      gc_heap_free(h);
      if (rc == WL_ENOMEM)
        out_of_memory(st, c, err);
      else
        gbs_skip_with_error(st, err);
      break;
    }
    gbs_set_iteration_time(st, (double)(t1 - t0) / 1e9);
    timed_ns += (double)(t1 - t0);
    /* Outside the timed part: check the answer, read the statistics. */
    const gc_heap_stats *s = gc_heap_get_stats(h);
    uint64_t want_live = ans.live + ((is_none || is_floor) ? ans.cyclic : 0);
    /* floor-free freed the heap it passed over: judge the heap it had */
    uint64_t live = is_floor_free ? live_before : s->live_objects;
    if (live != want_live ||
        (!is_none && !is_floor && s->freed_by_collector != ans.cyclic)) {
      snprintf(err, sizeof err,
               "wrong answer: %llu live (want %llu), %llu freed by the "
               "collector (want %llu)",
               (unsigned long long)s->live_objects,
               (unsigned long long)want_live,
               (unsigned long long)s->freed_by_collector,
               (unsigned long long)ans.cyclic);
      gc_heap_free(h);
      gbs_skip_with_error(st, err);
      break;
    }
    if (!is_floor) {
      gc_ns += (double)s->gc_time_ns;
      colls += (double)s->collections;
      examined += (double)s->objects_examined;
      pauses_add(&pa, h);
    }
    by_rc += (double)s->freed_by_rc;
    by_gc += (double)s->freed_by_collector;
    leaked += (double)(s->live_objects - ans.live);
    objs += (double)ans.allocated;
    /* jemalloc's thread peak misses objects another allocator holds:
     * their own peak is added (gcrun does the same) */
    gc_alloc_stats as;
    gc_heap_mem_read(h, &as);
    double pk = (double)gc_mem_thread_peak();
    if (strcmp(as.allocator, "jemalloc")) pk += (double)s->peak_live_bytes;
    if (pk > peak_alloc) peak_alloc = pk;
    if ((double)as.resident > peak_res) peak_res = (double)as.resident;
    if (c->wl->notes_garbage) { /* max over iterations, mean of means */
      gc_unreclaimed u;
      gc_heap_unreclaimed(h, &u);
      if ((double)u.max_objects > ur_max) ur_max = (double)u.max_objects;
      if ((double)u.max_bytes > ur_bytes_max) ur_bytes_max = (double)u.max_bytes;
      ur_mean += u.mean_objects;
      ur_bytes_mean += u.mean_bytes;
    }
    gc_heap_free(h);
    iters++;
  }
  if (iters > 0) {
    if (pa.n) qsort(pa.v, pa.n, sizeof *pa.v, cmp_u64); /* the floor has none */
    per_object(st, timed_ns, (double)iters, objs);
    gbs_counter(st, "gc_ns", gc_ns, GBS_AVG_ITERATIONS);
    gbs_counter(st, "collections", colls, GBS_AVG_ITERATIONS);
    gbs_counter(st, "examined", examined, GBS_AVG_ITERATIONS);
    gbs_counter(st, "freed_rc", by_rc, GBS_AVG_ITERATIONS);
    gbs_counter(st, "freed_gc", by_gc, GBS_AVG_ITERATIONS);
    /* the floor collects nothing: its garbage is not a leak */
    if (!is_floor) gbs_counter(st, "leaked", leaked, GBS_AVG_ITERATIONS);
    gbs_counter(st, "pause_p50_ns", pct(&pa, 0.50), GBS_DEFAULT);
    gbs_counter(st, "pause_p99_ns", pct(&pa, 0.99), GBS_DEFAULT);
    gbs_counter(st, "pause_max_ns", pa.n ? (double)pa.v[pa.n - 1] : 0,
                GBS_DEFAULT);
    gbs_counter(st, "peak_alloc_bytes", peak_alloc, GBS_DEFAULT);
    gbs_counter(st, "peak_resident_bytes", peak_res, GBS_DEFAULT);
    /* what one live object takes when the collection starts: header, list
     * link (collectors that keep lists), slots, payload */
    if (bpo > 0) gbs_counter(st, "bytes_per_object", bpo, GBS_DEFAULT);
    if (c->wl->notes_garbage && c->r->mode == MODE_RUN) {
      /* garbage unreachable but not yet freed, exact (gc.h) */
      gbs_counter(st, "unreclaimed_max", ur_max, GBS_DEFAULT);
      gbs_counter(st, "unreclaimed_mean", ur_mean, GBS_AVG_ITERATIONS);
      gbs_counter(st, "unreclaimed_bytes_max", ur_bytes_max, GBS_DEFAULT);
      gbs_counter(st, "unreclaimed_bytes_mean", ur_bytes_mean,
                  GBS_AVG_ITERATIONS);
    }
    if (c->min_heap > 0) gbs_counter(st, "min_heap_bytes", c->min_heap, GBS_DEFAULT);
    gbs_set_label(st, c->r->mode == MODE_COLLECT
                          ? "times one full collection of a built heap"
                          : "times the whole mutator + collector run");
  }
  free(pa.v);
  gc_params_free(&ps);
  wl_memory_room_only(0);
}

/* ======================================================================
 * Custom benchmarks: trial deletion's locality, generational young pauses
 * ==================================================================== */

/* A ring of k objects, held by the root table when `held`. */
static int make_ring(gc_heap *h, int k, int held) {
  gc_object *first = gc_new(h, 1, 0), *prev = first;
  if (!first) return -1;
  for (int i = 1; i < k; i++) {
    gc_object *o = gc_new(h, 1, 0);
    if (!o) break;
    gc_slot_steal(h, prev, 0, o);
    prev = o;
  }
  gc_slot_set(h, prev, 0, first);
  if (held && gc_root_push(h, first) < 0) return -1;
  gc_decref(h, first);
  return 0;
}

/* Before a custom row builds its heap on h: `objects` objects of `slots`
 * slots, plus `bytes` of its own, must fit the memory budget
 * (wl_memory_check).  0, or -1 after marking the row (h is freed). */
static int custom_fits(gbs_state *st, cell *c, gc_heap *h, double objects,
                       uint32_t slots, double bytes) {
  char err[512];
  double need = objects * (double)gc_heap_object_cost(h, slots, 0);
  int rc = wl_memory_check(h, c->name, need, bytes, "lower the row's size",
                           err, sizeof err);
  if (rc == WL_OK) return 0;
  gc_heap_free(h);
  if (rc == WL_ENOMEM)
    out_of_memory(st, c, err);
  else
    gbs_skip_with_error(st, err);
  return -1;
}

/* live:N/garbage_rings:G -- N live objects in rings of 10, collected once
 * (untimed; this empties trial's buffer), then G rings of 10 dropped; the
 * timed part is the next full collection. */
static void bm_locality(gbs_state *st, void *arg) {
  cell *c = arg;
  char err[256];
  double examined = 0, timed = 0, iters = 0, objs = 0;
  while (gbs_keep_running(st)) {
    gc_heap *h = gc_heap_new(c->collector, "auto=0", err, sizeof err);
    if (!h) {
      gbs_skip_with_error(st, err);
      return;
    }
    if (custom_fits(st, c, h, (double)c->n + 10.0 * (double)c->extra, 1, 0))
      return;
    int bad = 0;
    for (long long i = 0; i < c->n / 10 && !bad; i++) bad = make_ring(h, 10, 1);
    gc_collect(h, GC_FULL);
    for (long long i = 0; i < c->extra && !bad; i++) bad = make_ring(h, 10, 0);
    objs += (double)gc_heap_get_stats(h)->objects_allocated; /* the heap */
    uint64_t before = gc_heap_get_stats(h)->objects_examined;
    uint64_t t0 = gc_now_ns();
    uint64_t freed = gc_collect(h, GC_FULL);
    uint64_t t1 = gc_now_ns();
    gbs_set_iteration_time(st, (double)(t1 - t0) / 1e9);
    timed += (double)(t1 - t0), iters++;
    examined += (double)(gc_heap_get_stats(h)->objects_examined - before);
    uint64_t want = strcmp(c->collector, "none") ? (uint64_t)c->extra * 10 : 0;
    gc_heap_free(h);
    if (bad) {
      out_of_memory(st, c, NULL);
      return;
    }
    if (freed != want) {
      gbs_skip_with_error(st, "wrong number freed");
      return;
    }
  }
  gbs_counter(st, "examined", examined, GBS_AVG_ITERATIONS);
  per_object(st, timed, iters, objs);
  gbs_set_label(st, "times one full collection after dropping the rings");
}

/* old:N -- N live objects promoted to the oldest generation, then 2000
 * young objects (100 garbage rings of 10, and 100 live rings of 10 that
 * point at old objects); the timed part is gc_collect(h, 0). */
static void bm_young(gbs_state *st, void *arg) {
  cell *c = arg;
  char err[256];
  double examined = 0, timed = 0, iters = 0, objs = 0;
  while (gbs_keep_running(st)) {
    gc_heap *h = gc_heap_new(c->collector, "auto=0", err, sizeof err);
    if (!h) {
      gbs_skip_with_error(st, err);
      return;
    }
    if (custom_fits(st, c, h, (double)c->n + 2000, 2, 0)) return;
    int bad = 0;
    for (long long i = 0; i < c->n / 10 && !bad; i++) bad = make_ring(h, 10, 1);
    gc_collect(h, GC_FULL);
    uint64_t old = gc_heap_get_stats(h)->objects_allocated;
    size_t old_roots = gc_root_count(h);
    for (int i = 0; i < 100 && !bad; i++) {
      bad = make_ring(h, 10, 0);
      gc_object *o = gc_new(h, 2, 0);
      if (!o) {
        bad = 1;
        break;
      }
      gc_slot_set(h, o, 0, gc_root_get(h, (size_t)i % old_roots));
      gc_root_push_steal(h, o);
    }
    uint64_t before = gc_heap_get_stats(h)->objects_examined;
    uint64_t t0 = gc_now_ns();
    gc_collect(h, 0);
    uint64_t t1 = gc_now_ns();
    gbs_set_iteration_time(st, (double)(t1 - t0) / 1e9);
    timed += (double)(t1 - t0), iters++;
    objs += (double)(gc_heap_get_stats(h)->objects_allocated - old); /* young */
    examined += (double)(gc_heap_get_stats(h)->objects_examined - before);
    gc_heap_free(h);
    if (bad) {
      out_of_memory(st, c, NULL);
      return;
    }
  }
  gbs_counter(st, "examined", examined, GBS_AVG_ITERATIONS);
  per_object(st, timed, iters, objs);
  gbs_set_label(st, "times a generation-0 collection beside an old heap");
}

/* chain/rc:N -- allocate a chain of N one-slot objects and drop its head:
 * the release cascade frees all N.  The whole thing is timed. */
static void bm_chain_rc(gbs_state *st, void *arg) {
  cell *c = arg;
  char err[256];
  double timed = 0, iters = 0;
  while (gbs_keep_running(st)) {
    gc_heap *h = gc_heap_new("none", "auto=0", err, sizeof err);
    if (!h) {
      gbs_skip_with_error(st, err);
      return;
    }
    if (custom_fits(st, c, h, (double)c->n, 1, 0)) return;
    uint64_t t0 = gc_now_ns();
    gc_object *head = gc_new(h, 1, 0), *tail = head;
    for (long long i = 1; i < c->n && tail; i++) {
      gc_object *o = gc_new(h, 1, 0);
      gc_slot_steal(h, tail, 0, o);
      tail = o;
    }
    gc_decref(h, head);
    uint64_t t1 = gc_now_ns();
    gbs_set_iteration_time(st, (double)(t1 - t0) / 1e9);
    timed += (double)(t1 - t0), iters++;
    int bad = gc_heap_get_stats(h)->live_objects != 0;
    gc_heap_free(h);
    if (!tail) {
      out_of_memory(st, c, NULL);
      return;
    }
    if (bad) {
      gbs_skip_with_error(st, "chain not freed");
      return;
    }
  }
  per_object(st, timed, iters, iters * (double)c->n);
  gbs_set_label(st, "allocate a chain, drop its head (iterative release)");
}

/* chain/malloc:N -- the same sizes with plain malloc/free: a linked list of
 * N blocks of sizeof(gc_object) + one slot, freed by walking it. */
static void bm_chain_malloc(gbs_state *st, void *arg) {
  cell *c = arg;
  const size_t bytes = sizeof(gc_object) + sizeof(gc_object *);
  double timed = 0, iters = 0;
  char err[256];
  gc_heap *h = gc_heap_new("none", "allocator=libc", err, sizeof err);
  if (!h) {
    gbs_skip_with_error(st, err);
    return;
  }
  if (custom_fits(st, c, h, 0, 0, (double)c->n * 32)) return;
  gc_heap_free(h);
  while (gbs_keep_running(st)) {
    uint64_t t0 = gc_now_ns();
    void **head = malloc(bytes), **tail = head;
    int bad = !head;
    for (long long i = 1; i < c->n && tail; i++) {
      void **b = malloc(bytes);
      if (!b) {
        bad = 1;
        break;
      }
      memset(b, 0, bytes);
      *tail = b;
      tail = b;
    }
    if (tail) *tail = NULL;
    while (head) {
      void **next = *head;
      free(head);
      head = next;
    }
    if (bad) {
      out_of_memory(st, c, NULL);
      return;
    }
    uint64_t t1 = gc_now_ns();
    gbs_set_iteration_time(st, (double)(t1 - t0) / 1e9);
    timed += (double)(t1 - t0), iters++;
  }
  per_object(st, timed, iters, iters * (double)c->n);
  gbs_set_label(st, "malloc a linked list of the same sizes, free it");
}

/* The shim's own cost: an empty keep-running loop. */
static void bm_empty(gbs_state *st, void *arg) {
  (void)arg;
  while (gbs_keep_running(st)) {
  }
}

/* ======================================================================
 * Sweeps: one strategy axis over a list of values
 * ==================================================================== */

enum sweep_kind { SWEEP_NONE, SWEEP_TUNABLE, SWEEP_PARAM, SWEEP_HEAP };
enum { SWEEP_MAX = 32 };

typedef struct sweep {
  enum sweep_kind kind;
  char key[64];
  char vals[SWEEP_MAX][32];
  int nvals;
} sweep;

static int has_def(const gc_param_def *d, size_t n, const char *key) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(d[i].name, key)) return 1;
  return 0;
}

/* Does the collector or profile `name` (or every one, for the heap's own
 * tunables) take tunable key? */
static int collector_takes(const char *name, const char *key) {
  size_t n;
  const gc_param_def *d = gc_heap_tunables(&n);
  if (has_def(d, n, key)) return 1;
  const gc_profile *pf = gc_profile_find(name);
  if (pf) name = pf->collector;
  for (size_t ci = 0; ci < gc_collector_count(); ci++)
    if (!strcmp(gc_collector_name(ci), name)) {
      d = gc_collector_tunables(ci, &n);
      return d && has_def(d, n, key);
    }
  return 0;
}

static int row_takes(const row *r, const char *key) {
  const workload *wl = wl_find(r->workload);
  return wl && has_def(wl->params, wl->nparams, key);
}

/* Does this row take part in the sweep, and under the collector (or
 * profile, or floor) `name`? */
static int sweep_row(const sweep *sw, const row *r) {
  switch (sw->kind) {
    case SWEEP_PARAM: return row_takes(r, sw->key);
    case SWEEP_TUNABLE:
    case SWEEP_HEAP: return r->mode == MODE_RUN; /* automatic collection */
    default: return 1;
  }
}
static int sweep_collector(const sweep *sw, const char *name) {
  if (sw->kind == SWEEP_TUNABLE) return strcmp(name, "floor") && collector_takes(name, sw->key);
  return 1;
}

/* "KEY=V1,V2,..." -> sw; 0, or -1 with err set (one line, with the fix). */
static int sweep_parse(sweep *sw, const char *spec, char *err, size_t len) {
  const char *eq = strchr(spec, '=');
  memset(sw, 0, sizeof *sw);
  if (!eq || eq == spec || (size_t)(eq - spec) >= sizeof sw->key || !eq[1]) {
    snprintf(err, len, "--gcbench_sweep wants KEY=V1,V2,..., got '%s'", spec);
    return -1;
  }
  memcpy(sw->key, spec, (size_t)(eq - spec));
  for (const char *p = eq + 1; *p;) {
    size_t l = strcspn(p, ",");
    if (l == 0 || l >= sizeof sw->vals[0] || sw->nvals == SWEEP_MAX) {
      snprintf(err, len, "--gcbench_sweep: values must be non-empty, at most "
               "%d of at most %zu characters, got '%s'", SWEEP_MAX,
               sizeof sw->vals[0] - 1, eq + 1);
      return -1;
    }
    memcpy(sw->vals[sw->nvals++], p, l);
    p += l + (p[l] == ',');
  }
  size_t nc = gc_collector_count();
  int tunable = 0, param = 0;
  for (size_t ci = 0; ci < nc; ci++)
    tunable |= collector_takes(gc_collector_name(ci), sw->key);
  for (size_t r = 0; r < sizeof matrix / sizeof matrix[0]; r++)
    param |= row_takes(&matrix[r], sw->key);
  if (!strcmp(sw->key, "n")) {
    snprintf(err, len, "--gcbench_sweep: sizes are swept with "
             "--gcbench_sizes=N,N,..., not n");
    return -1;
  }
  sw->kind = !strcmp(sw->key, "heap") ? SWEEP_HEAP
             : param                  ? SWEEP_PARAM
             : tunable                ? SWEEP_TUNABLE
                                      : SWEEP_NONE;
  if (sw->kind == SWEEP_NONE) {
    snprintf(err, len, "--gcbench_sweep: '%s' is neither a collector tunable, "
             "a parameter of a matrix workload, nor heap; gcrun --list shows "
             "them", sw->key);
    return -1;
  }
  /* Check every value now, not in the middle of the run. */
  for (int v = 0; v < sw->nvals; v++) {
    char kv[128], e[400];
    snprintf(kv, sizeof kv, "%s=%s", sw->key, sw->vals[v]);
    if (sw->kind == SWEEP_HEAP) {
      char *end;
      double f = strtod(sw->vals[v], &end);
      if (end == sw->vals[v] || *end || !(f > 0 && f <= 1000)) {
        snprintf(err, len, "--gcbench_sweep: heap wants multiples of the "
                 "minimum heap in (0, 1000], e.g. heap=1,1.5,2,4; got '%s'",
                 sw->vals[v]);
        return -1;
      }
    } else if (sw->kind == SWEEP_TUNABLE) {
      for (size_t ci = 0; ci < nc; ci++) {
        if (!collector_takes(gc_collector_name(ci), sw->key)) continue;
        gc_heap *h = gc_heap_new(gc_collector_name(ci), kv, e, sizeof e);
        if (!h) {
          snprintf(err, len, "--gcbench_sweep: %s", e);
          return -1;
        }
        gc_heap_free(h);
      }
    } else {
      for (size_t r = 0; r < sizeof matrix / sizeof matrix[0]; r++) {
        if (!row_takes(&matrix[r], sw->key)) continue;
        const workload *wl = wl_find(matrix[r].workload);
        gc_param_set ps;
        int bad = gc_params_init(&ps, wl->params, wl->nparams) != 0 ||
                  gc_params_assign_list(&ps, kv, e, sizeof e) != 0;
        gc_params_free(&ps);
        if (bad) {
          snprintf(err, len, "--gcbench_sweep: %s", e);
          return -1;
        }
      }
    }
  }
  return 0;
}

/* "k=10,held=0" less key: "held=0" */
static void params_without(char *out, size_t len, const char *params,
                           const char *key) {
  size_t kl = strlen(key), used = 0;
  out[0] = 0;
  for (const char *p = params; *p;) {
    size_t l = strcspn(p, ",");
    if (!(l > kl && !strncmp(p, key, kl) && p[kl] == '=') && used + l + 2 < len) {
      if (used) out[used++] = ',';
      memcpy(out + used, p, l);
      used += l;
      out[used] = 0;
    }
    p += l + (p[l] == ',');
  }
}

/* The minimum heap of a heap sweep: the smallest peak of the bytes
 * max_bytes counts (objects at their size class, budget_peak) any
 * collector reaches on the row at size n with its default tunables (`none`
 * leaks, so it is left out).  Untimed, before the benchmarks run. */
static double min_heap(const row *r, const char *params) {
  const workload *wl = wl_find(r->workload);
  double best = 0;
  char err[512];
  for (size_t ci = 0; ci < gc_collector_count(); ci++) {
    if (!strcmp(gc_collector_name(ci), "none")) continue;
    gc_param_set ps;
    gc_heap *h = gc_heap_new(gc_collector_name(ci), "", err, sizeof err);
    if (!h) continue;
    wl_answer ans;
    if (gc_params_init(&ps, wl->params, wl->nparams) == 0 &&
        gc_params_assign_list(&ps, params, err, sizeof err) == 0 &&
        wl->run(h, &ps, 1, &ans, err, sizeof err) == WL_OK) {
      double pk = (double)h->budget_peak; /* what max_bytes counts */
      if (best == 0 || pk < best) best = pk;
    }
    gc_params_free(&ps);
    gc_heap_free(h);
  }
  return best;
}

/* ======================================================================
 * --benchmark_out: Google Benchmark opens that file itself, in place,
 * before the run (std::ofstream: a regular file is truncated at the start,
 * so a failed run leaves it clobbered, and write errors are lost).  gcbench
 * gives it a file of its own instead and then treats the real destination
 * as gcrun does (outfile.h): a regular file is Google Benchmark's file,
 * written next to it under a temporary name and renamed; a device, FIFO or
 * /dev/stdout gets a copy, written in place, with write errors reported.
 * ==================================================================== */

static gc_out bench_out;      /* the destination the user named */
static char bench_tmp[4096];  /* in place: Google Benchmark's file */
static char *bench_flag;      /* --benchmark_out=<the file it writes> */
static int bench_out_json = 1;
static const char *bench_out_format = "json";

/* Any exit before out_finish: the destination stays as it was. */
static void out_cleanup(void) {
  gc_out_abandon(&bench_out);
  if (bench_tmp[0]) remove(bench_tmp);
  bench_tmp[0] = 0;
}

/* Before gbs_initialize: check the destination, point the flag elsewhere.
 * Returns 0, or 2 after one line on stderr. */
static int out_redirect(int *argc, char **argv) {
  const char *path = getenv("BENCHMARK_OUT"); /* Google Benchmark's default */
  int at = -1;
  for (int i = 1; i < *argc; i++) {
    if (!strncmp(argv[i], "--benchmark_out=", 16)) {
      path = argv[i] + 16;
      at = i;
    } else if (!strncmp(argv[i], "--benchmark_out_format=", 23)) {
      bench_out_json = !strcmp(argv[i] + 23, "json");
      bench_out_format = argv[i] + 23;
    }
  }
  if (!path || !*path) return 0;
  atexit(out_cleanup);
  char err[512];
  if (gc_out_open(&bench_out, "--benchmark_out", path, err, sizeof err)) {
    fprintf(stderr, "gcbench: %s\n", err);
    return 2;
  }
  const char *target = bench_out.tmp;
  if (!target) {
    const char *dir = getenv("TMPDIR");
    snprintf(bench_tmp, sizeof bench_tmp, "%s/gcbench-out.XXXXXX",
             dir && *dir && strlen(dir) < sizeof bench_tmp - 32 ? dir : "/tmp");
    int fd = mkstemp(bench_tmp);
    if (fd < 0) {
      fprintf(stderr, "gcbench: cannot create a temporary file in %s; set "
                      "TMPDIR\n", bench_tmp);
      gc_out_abandon(&bench_out);
      return 2;
    }
    close(fd);
    target = bench_tmp;
  }
  size_t n = strlen(target) + 17;
  bench_flag = malloc(n);
  if (!bench_flag) {
    fprintf(stderr, "gcbench: out of memory\n");
    return 3;
  }
  snprintf(bench_flag, n, "--benchmark_out=%s", target);
  if (at >= 0) {
    argv[at] = bench_flag;
  } else { /* from the environment: argv has room for its NULL */
    argv[(*argc)++] = bench_flag;
    argv[*argc] = NULL;
  }
  return 0;
}

/* After the run: Google Benchmark's file complete (JSON ends with '}'),
 * then renamed or copied.  0, or 2 after one line on stderr. */
static int out_finish(void) {
  if (!bench_out.path) return 0;
  char err[512] = "";
  const char *file = bench_out.tmp ? bench_out.tmp : bench_tmp;
  FILE *f = fopen(file, "r");
  int bad = !f;
  long size = -1;
  if (f && fseek(f, 0, SEEK_END) == 0) size = ftell(f);
  if (size == 0) { /* nothing ran (no benchmark matched): keep the file */
    fclose(f);
    out_cleanup();
    free(bench_flag);
    return 0;
  }
  if (f) rewind(f);
  if (f && bench_out_json) {
    int c, last = 0;
    while ((c = fgetc(f)) != EOF)
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') last = c;
    if (last != '}')
      snprintf(err, sizeof err, "the JSON Google Benchmark wrote for "
               "--benchmark_out '%s' is cut short (a full disk?)",
               bench_out.path);
    rewind(f);
  }
  if (f && !err[0] && !bench_out.tmp) { /* in place: copy */
    char buf[65536];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
      if (fwrite(buf, 1, got, bench_out.f) != got) break;
  }
  if (f) fclose(f);
  if (bad && !err[0])
    snprintf(err, sizeof err, "--benchmark_out '%s': Google Benchmark's "
             "file %.200s is gone", bench_out.path, file);
  if (!err[0]) gc_out_commit(&bench_out, err, sizeof err);
  out_cleanup();
  free(bench_flag);
  if (!err[0]) return 0;
  fprintf(stderr, "gcbench: %s\n", err);
  return 2;
}

/* SIGINT, SIGTERM, SIGHUP: the temporary files go (unlink of names copied
 * when they were made: async-signal-safe), then gcbench dies of the same
 * signal, as it would have without the handler. */
static char sig_unlink[2][4096];

static void on_signal(int sig) {
  for (int i = 0; i < 2; i++)
    if (sig_unlink[i][0]) unlink(sig_unlink[i]);
  raise(sig); /* the handler was reset: delivered when this returns */
}

static void remove_on_signal(void) {
  const char *names[2] = {bench_out.tmp, bench_tmp};
  for (int i = 0; i < 2; i++)
    if (names[i] && names[i][0] && strlen(names[i]) < sizeof sig_unlink[i])
      memcpy(sig_unlink[i], names[i], strlen(names[i]) + 1);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    sigaddset(&sa.sa_mask, sigs[i]);
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
    struct sigaction was;
    /* a signal ignored already (nohup, a background job) stays ignored */
    if (sigaction(sigs[i], NULL, &was) == 0 && was.sa_handler == SIG_IGN)
      continue;
    sigaction(sigs[i], &sa, NULL);
  }
}

static cell *cells;
static size_t ncells, cap_cells;

/* Every cell of the same heap-sweep row and size gets the same minimum. */
static void share_min_heap(const cell *c, double bytes) {
  for (size_t i = 0; i < ncells; i++)
    if (cells[i].r == c->r && cells[i].n == c->n && cells[i].heap_factor > 0)
      cells[i].min_heap = bytes;
}

/* ======================================================================
 * Registration and main
 * ==================================================================== */

/* Google Benchmark's own flags that it takes badly: a negative
 * --benchmark_repetitions aborts in std::length_error, an unknown format
 * prints its usage and exits 0, an empty --benchmark_out is ignored, a
 * repetition count that is not a number gets two lines.  Checked here
 * first: 0, or 2 after one line on stderr. */
static int check_gb_flags(int argc, char **argv) {
  static const char *const formats[] = {"console", "json", "csv"};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v;
    if (!strncmp(a, "--benchmark_repetitions=", 24)) {
      v = a + 24;
      char *end;
      errno = 0;
      long k = strtol(v, &end, 10);
      if (end == v || *end || errno || k < 1 || k > 1000000) {
        fprintf(stderr,
                "gcbench: --benchmark_repetitions wants a whole number "
                "1..1000000, got '%s'\n",
                v);
        return 2;
      }
    } else if (!strncmp(a, "--benchmark_out_format=", 23) ||
               !strncmp(a, "--benchmark_format=", 19)) {
      v = strchr(a, '=') + 1;
      int known = 0;
      for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++)
        known |= !strcmp(v, formats[f]);
      if (!known) {
        fprintf(stderr,
                "gcbench: %.*s wants json, console or csv, got '%s'\n",
                (int)(v - 1 - a), a, v);
        return 2;
      }
    } else if (!strcmp(a, "--benchmark_out=")) {
      fprintf(stderr, "gcbench: --benchmark_out= names no file (give "
                      "--benchmark_out=FILE, or leave the flag out)\n");
      return 2;
    }
  }
  return 0;
}

static void usage(void) {
  printf(
      "usage: gcbench [--gcbench_full] [--gcbench_sizes=N,N,...] "
      "[--benchmark_* flags]\n"
      "\n"
      "The matrix collectors x workloads x sizes on Google Benchmark.\n"
      "Names read workload/collector/key:value/n:N/mode:collect|run; the\n"
      "`floor` rows are one bare pass over the same heap; `protocol:all`\n"
      "rows buffer every vertex as a possible root before the timed\n"
      "collection (collectors with a root buffer only; without it, the\n"
      "workload's own roots).\n"
      "\n"
      "  --gcbench_full          sizes 10^3..10^7 (default 10^3..10^6)\n"
      "  --gcbench_sizes=LIST    explicit sizes, e.g. 1000,100000\n"
      "  --gcbench_list          print every benchmark name, as Google\n"
      "                          Benchmark matches it (^NAME$ selects it)\n"
      "  --gcbench_sweep=KEY=V1,V2,...\n"
      "                          instead of the matrix, one row per value of\n"
      "                          KEY at the largest size (or --gcbench_sizes):\n"
      "                          a collector tunable (whole runs of the\n"
      "                          collectors that take it, e.g. threshold0=\n"
      "                          700,2000,10000), a workload parameter (the\n"
      "                          rows that take it, e.g. k=2,10,100), or heap\n"
      "                          (the live-byte budget in multiples of the\n"
      "                          minimum heap, e.g. heap=1,1.5,2,4; the\n"
      "                          smallest peak any collector reaches)\n"
      "  --gcbench_allocators=LIST  run every row under each allocator\n"
      "                          (jemalloc, mimalloc, libc), named\n"
      "                          .../allocator:NAME/mode:...\n"
      "  --gcbench_collectors=LIST  collectors or profiles (gcrun --list),\n"
      "                          e.g. trial,php-8,nim-orc (default: every\n"
      "                          collector; `floor` rows come with any list)\n"
      "  --benchmark_filter=RE   run only matching benchmarks\n"
      "  --benchmark_repetitions=N, --benchmark_out=FILE,\n"
      "  --benchmark_out_format=json, --benchmark_list_tests, ...\n"
      "                          Google Benchmark's flags\n"
      "\n"
      "--benchmark_out=FILE is checked before the run; a regular file is\n"
      "written under a temporary name and renamed when the run is complete,\n"
      "a device, FIFO or /dev/stdout is written in place at the end.\n"
      "\n"
      "Counters: objects, gc_ns, collections, examined, freed_rc, freed_gc,\n"
      "leaked, pause_p50_ns, pause_p99_ns, pause_max_ns, peak_alloc_bytes,\n"
      "peak_resident_bytes, ns_per_object; on mode:run rows of workloads\n"
      "that note their garbage, unreclaimed_max, unreclaimed_mean,\n"
      "unreclaimed_bytes_max, unreclaimed_bytes_mean (garbage unreachable\n"
      "but not yet freed, exact).  Aggregates: mean, median,\n"
      "stddev, cv, p99, max, min over repetitions; min_heap_bytes in a\n"
      "heap sweep.\n"
      "\n"
      "A row that cannot fit in memory is refused before it allocates (its\n"
      "error row says what it needs and the limit: the heap's max_bytes, or\n"
      "the room the process has left, from MemAvailable, ulimit -v/-d and\n"
      "the cgroup's limit; GCBENCH_MEMORY=SIZE, e.g. 4G, replaces that).\n"
      "SIGINT, SIGTERM and SIGHUP remove the temporary files, then gcbench\n"
      "dies of the signal.\n"
      "\n"
      "Exit codes: 0 ok, 2 bad usage (an unknown flag, a bad sweep, a filter\n"
      "that selects nothing or does not compile, --benchmark_repetitions\n"
      "not 1..1000000, a format not json/console/csv, an empty\n"
      "--benchmark_out=, a GCBENCH_MEMORY that is not a size), 3 out of\n"
      "memory: a row ran out or was refused (the output is still written).\n");
}

/* --gcbench_collectors=a,b,...: each name a collector or a profile (the
 * heap resolves both); an unknown one is refused before anything runs. */
static int select_collectors(char *list, const char **sel, size_t *n,
                             size_t cap) {
  *n = 0;
  for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok;
       tok = strtok_r(NULL, ",", &save)) {
    char err[512];
    gc_heap *h = gc_heap_new(tok, NULL, err, sizeof err);
    if (!h) {
      fprintf(stderr, "gcbench: --gcbench_collectors: %s\n", err);
      return -1;
    }
    gc_heap_free(h);
    if (*n == cap) {
      fprintf(stderr, "gcbench: --gcbench_collectors: at most %zu names\n",
              cap);
      return -1;
    }
    sel[(*n)++] = tok;
  }
  if (!*n) {
    fprintf(stderr, "gcbench: --gcbench_collectors wants names, e.g. "
                    "--gcbench_collectors=trial,php-8\n");
    return -1;
  }
  return 0;
}

/* --gcbench_allocators=a,b,...: each one an allocator a heap accepts
 * (gc_heap_new is asked); the rows then run once under each, named
 * .../allocator:NAME/mode:... */
static const char *allocs[3];
static size_t nalloc;
static int select_allocators(const char *list, const char **out, size_t *n) {
  static char buf[128];
  snprintf(buf, sizeof buf, "%s", list);
  *n = 0;
  for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
    char kv[160], err[256];
    snprintf(kv, sizeof kv, "allocator=%s", tok);
    gc_heap *h = gc_heap_new("none", kv, err, sizeof err);
    if (!h) {
      fprintf(stderr, "gcbench: --gcbench_allocators: %s\n", err);
      return -1;
    }
    gc_heap_free(h);
    for (size_t i = 0; i < *n; i++)
      if (!strcmp(out[i], tok)) {
        fprintf(stderr, "gcbench: --gcbench_allocators names '%s' twice\n", tok);
        return -1;
      }
    if (*n == 3) {
      fprintf(stderr, "gcbench: --gcbench_allocators: at most 3 names\n");
      return -1;
    }
    out[(*n)++] = tok;
  }
  if (!*n) {
    fprintf(stderr, "gcbench: --gcbench_allocators wants names, e.g. "
                    "--gcbench_allocators=jemalloc,mimalloc,libc\n");
    return -1;
  }
  return 0;
}

static cell *new_cell(void) {
  if (ncells == cap_cells) {
    cap_cells = cap_cells ? cap_cells * 2 : 256;
    cells = realloc(cells, cap_cells * sizeof *cells);
    if (!cells) {
      fprintf(stderr, "gcbench: out of memory\n");
      exit(3);
    }
  }
  memset(&cells[ncells], 0, sizeof *cells);
  return &cells[ncells++];
}

/* "k=10,held=0" -> "/k:10/held:0" */
static void name_params(char *out, size_t len, const char *params) {
  size_t used = strlen(out);
  for (const char *p = params; *p && used + 2 < len; p++) {
    if (p == params || p[-1] == ',') out[used++] = '/';
    if (*p == ',') continue;
    out[used++] = *p == '=' ? ':' : *p;
  }
  out[used] = 0;
}

/* out = params with every value "Fn" replaced by F x n (at least 1), then
 * ",n=N": "live=0.1n" at n = 1000 gives "live=100,n=1000". */
static void params_for_n(char *out, size_t len, const char *params,
                         long long n) {
  size_t used = 0;
  out[0] = 0;
  for (const char *p = params; *p;) {
    const char *end = strchr(p, ','), *eq = strchr(p, '=');
    size_t tok = end ? (size_t)(end - p) : strlen(p);
    int w;
    if (eq && eq < p + tok && p[tok - 1] == 'n') {
      double v = strtod(eq + 1, NULL) * (double)n;
      w = snprintf(out + used, len - used, "%.*s=%lld,", (int)(eq - p), p,
                   v < 1 ? 1LL : (long long)v);
    } else {
      w = snprintf(out + used, len - used, "%.*s,", (int)tok, p);
    }
    if (w < 0 || (size_t)w >= len - used) break;
    used += (size_t)w;
    p += tok + (end ? 1 : 0);
  }
  snprintf(out + used, len - used, "n=%lld", n);
}

static void add_stats(gbs_bench *b) {
  gbs_use_manual_time(b);
  gbs_add_statistic_p99(b);
  gbs_add_statistic_max(b);
  gbs_add_statistic_min(b);
}

static int64_t iterations_for(long long n) {
  long long it = 2000000 / (n > 0 ? n : 1);
  return it < 1 ? 1 : it > 200 ? 200 : it;
}

/* Custom rows: trial's locality (issue figures), young pauses, the object
 * model's cost over malloc. */
static void add_custom_rows(const char *const *sel, size_t nc, int full) {
  /* Custom rows: trial's locality (issue figures), young pauses. */
  static const long long loc_live[] = {1000000};
  for (size_t ci = 0; ci < nc; ci++) {
    cell *c = new_cell();
    c->collector = sel[ci];
    c->n = loc_live[0];
    c->extra = 1000;
    snprintf(c->name, sizeof c->name,
             "locality/%s/live:%lld/garbage_rings:%lld/mode:collect",
             c->collector, c->n, c->extra);
  }
  static const long long young_old[] = {100000, 1000000};
  for (size_t i = 0; i < 2; i++) {
    cell *c = new_cell();
    c->collector = "generational";
    c->n = young_old[i];
    snprintf(c->name, sizeof c->name, "young/generational/old:%lld/mode:collect",
             c->n);
  }
  for (int k = 0; k < 2; k++) {
    cell *c = new_cell();
    c->collector = k ? "malloc" : "rc";
    c->n = full ? 10000000 : 1000000;
    snprintf(c->name, sizeof c->name, "chain/%s/n:%lld/mode:run", c->collector,
             c->n);
  }
  if (full) {
    cell *c = new_cell();
    c->collector = "generational";
    c->n = 10000000;
    snprintf(c->name, sizeof c->name, "young/generational/old:%lld/mode:collect",
             c->n);
  }
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      usage();
      return gc_out_flush_stdout("gcbench") ? 2 : 0;
    }
  /* argv with room for three more flags (--benchmark_out from
   * BENCHMARK_OUT; --gcbench_list's two) */
  static char **args; /* static: still referenced on an early return */
  args = calloc((size_t)argc + 4, sizeof *args);
  if (!args) return 3;
  memcpy(args, argv, (size_t)argc * sizeof *args);
  argv = args;
  if (check_gb_flags(argc, argv)) return 2;
  wl_room room;
  if (wl_memory_room(&room) != 0) {
    fprintf(stderr, "gcbench: GCBENCH_MEMORY='%s' is not a size; give bytes "
            "or a number with K, M, G or T (e.g. 512M, 4G), or unset it\n",
            getenv("GCBENCH_MEMORY"));
    return 2;
  }
  /* --gcbench_list: Google Benchmark lists every name itself, as it
   * matches them (with its suffixes: /iterations:N/manual_time) */
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--gcbench_list")) {
      static char list_flag[] = "--benchmark_list_tests=true";
      static char all_flag[] = "--benchmark_filter=.";
      argv[argc++] = list_flag;
      argv[argc++] = all_flag;
      argv[argc] = NULL;
      break;
    }
  /* the signals wait while the temporary files are made and their names
   * copied for the handler */
  sigset_t stop, was;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGHUP);
  sigprocmask(SIG_BLOCK, &stop, &was);
  int orc = out_redirect(&argc, argv);
  if (!orc) remove_on_signal();
  sigprocmask(SIG_SETMASK, &was, NULL);
  if (orc) return orc;
  gbs_initialize(&argc, argv);
  const double *sizes = sizes_default;
  size_t nsizes = sizeof sizes_default / sizeof sizes_default[0];
  double custom[16];
  int list_only = 0, sized = 0, full = 0;
  const char *sel[64];
  size_t nsel = 0;
  sweep sw = {.kind = SWEEP_NONE};
  int out = 1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--gcbench_full")) {
      sizes = sizes_full;
      nsizes = sizeof sizes_full / sizeof sizes_full[0];
      full = 1;
    } else if (!strncmp(argv[i], "--gcbench_sizes=", 16)) {
      nsizes = 0;
      char *p = argv[i] + 16, *end;
      while (*p && nsizes < 16) {
        double v = strtod(p, &end);
        if (end == p || v < 10 || v > 1e9) {
          fprintf(stderr,
                  "gcbench: --gcbench_sizes wants sizes 10..1e9 separated by "
                  "commas, got '%s'\n",
                  argv[i] + 16);
          return 2;
        }
        custom[nsizes++] = v;
        p = *end == ',' ? end + 1 : end;
      }
      sizes = custom;
      sized = 1;
    } else if (!strcmp(argv[i], "--gcbench_list")) {
      list_only = 1;
    } else if (!strncmp(argv[i], "--gcbench_allocators=", 21)) {
      if (select_allocators(argv[i] + 21, allocs, &nalloc) != 0) return 2;
    } else if (!strncmp(argv[i], "--gcbench_collectors=", 21)) {
      if (select_collectors(argv[i] + 21, sel, &nsel, 64) != 0) return 2;
    } else if (!strncmp(argv[i], "--gcbench_sweep=", 16)) {
      char err[512];
      if (sweep_parse(&sw, argv[i] + 16, err, sizeof err) != 0) {
        fprintf(stderr, "gcbench: %s\n", err);
        return 2;
      }
    } else {
      argv[out++] = argv[i];
      continue;
    }
  }
  argc = out;
  if (gbs_report_unrecognized(argc, argv)) return 2;

  if (!nsel)
    for (size_t ci = 0; ci < gc_collector_count() && nsel < 64; ci++)
      sel[nsel++] = gc_collector_name(ci);
  size_t nc = nsel;
  int sweeping = sw.kind != SWEEP_NONE;
  if (sweeping && !sized) { /* a sweep runs at the largest size alone */
    sizes += nsizes - 1;
    nsizes = 1;
  }
  int nvals = sweeping ? sw.nvals : 1;
  for (size_t r = 0; r < sizeof matrix / sizeof matrix[0]; r++) {
    const row *rw = &matrix[r];
    const workload *wl = wl_find(rw->workload);
    if (!wl) {
      fprintf(stderr, "gcbench: matrix names unknown workload '%s'\n",
              rw->workload);
      return 2;
    }
    if (sweeping && !sweep_row(&sw, rw)) continue;
    char fixed[192];
    params_without(fixed, sizeof fixed, rw->params,
                   sw.kind == SWEEP_PARAM ? sw.key : "");
    const double *rsizes = sizes;
    size_t rn = nsizes;
    if (grid_row(rw) && !sized && !full) rsizes = grid_size, rn = 1;
    for (size_t s = 0; s < rn; s++) {
      /* every collector and the floor; then protocol:all for the
       * collectors that have a root buffer (not in a sweep) */
      for (size_t ci = 0; ci <= 2 * nc + 1; ci++) {
        if (ci == nc && rw->mode != MODE_COLLECT) break;
        /* ci == nc: the floor; nc + 1: floor-free (garbage shapes only);
         * above: protocol:all */
        if (ci == nc + 1 && (!rw->garbage || sweeping)) continue;
        int all = ci > nc + 1;
        if (all && sweeping) break;
        const char *name = ci < nc       ? sel[ci]
                           : ci == nc    ? "floor"
                           : ci == nc + 1 ? "floor-free"
                                          : sel[ci - nc - 2];
        if (all && !gc_collector_has_root_buffer(name)) continue;
        if (sweeping && !sweep_collector(&sw, name)) continue;
        for (int v = 0; v < nvals; v++)
        for (size_t a = 0; a < (rw->allocator || !nalloc ? 1 : nalloc); a++) {
          const char *al = rw->allocator ? rw->allocator
                           : nalloc      ? allocs[a]
                                         : NULL;
          /* heapwalk's objects are a mimalloc heap's blocks: no other */
          if (al && strcmp(al, "mimalloc") && gc_collector_walks_heap(name))
            continue;
          cell *c = new_cell();
          c->allocator = al;
          c->r = rw;
          c->wl = wl;
          c->collector = name;
          c->buffer_all = all;
          c->n = (long long)rsizes[s];
          params_for_n(c->params, sizeof c->params, fixed, c->n);
          snprintf(c->name, sizeof c->name, "%s/%s", rw->workload, c->collector);
          name_params(c->name, sizeof c->name, c->params);
          if (sweeping) { /* the swept key and value end the name */
            char kv[128];
            snprintf(kv, sizeof kv, "%s=%s", sw.key, sw.vals[v]);
            name_params(c->name, sizeof c->name, kv);
            if (sw.kind == SWEEP_PARAM) {
              size_t l = strlen(c->params);
              snprintf(c->params + l, sizeof c->params - l, ",%s", kv);
            } else if (sw.kind == SWEEP_TUNABLE) {
              snprintf(c->tunables, sizeof c->tunables, "%s", kv);
            } else { /* heap: budgets set when the benchmark first runs */
              c->heap_factor = strtod(sw.vals[v], NULL);
            }
          }
          if (c->allocator) {
            char kv[64];
            snprintf(kv, sizeof kv, "allocator=%s", c->allocator);
            name_params(c->name, sizeof c->name, kv);
          }
          strncat(c->name,
                  all                        ? "/protocol:all/mode:collect"
                  : rw->mode == MODE_COLLECT ? "/mode:collect"
                                             : "/mode:run",
                  sizeof c->name - strlen(c->name) - 1);
        }
      }
    }
  }
  if (!sweeping) add_custom_rows(sel, nc, full);

  for (size_t i = 0; i < ncells; i++) {
    cell *c = &cells[i];
    gbs_bench *b;
    if (c->r)
      b = gbs_register(c->name, bm_cell, c);
    else if (!strncmp(c->name, "locality/", 9))
      b = gbs_register(c->name, bm_locality, c);
    else if (!strncmp(c->name, "chain/rc/", 9))
      b = gbs_register(c->name, bm_chain_rc, c);
    else if (!strncmp(c->name, "chain/malloc/", 13))
      b = gbs_register(c->name, bm_chain_malloc, c);
    else
      b = gbs_register(c->name, bm_young, c);
    add_stats(b);
    gbs_set_unit(b, GBS_MS);
    gbs_set_iterations(b, c->r ? iterations_for(c->n) : 3);
  }
  if (!sweeping) {
    gbs_bench *e = gbs_register("shim/empty", bm_empty, NULL);
    gbs_set_unit(e, GBS_NS);
  }
  if (list_only) {
    gbs_run_all(NULL);
    gbs_shutdown();
    free(cells);
    return gc_out_flush_stdout("gcbench") ? 2 : 0;
  }
  gbs_add_context("gcbench_sizes", sized  ? "custom"
                                   : full ? "full"
                                          : "default");
  if (sweeping) {
    static const char *kinds[] = {"", "tunable", "parameter", "heap"};
    gbs_add_context("gcbench_sweep", sw.key);
    gbs_add_context("gcbench_sweep_kind", kinds[sw.kind]);
  }
  /* A filter that selects nothing (or does not compile) is bad usage, said
   * before anything runs. */
  char why[512];
  if (gbs_count_selected(why, sizeof why) == 0) {
    fprintf(stderr, "gcbench: %s; gcbench --gcbench_list%s lists the names\n",
            *why ? why : "no benchmark selected", sweeping ? " --gcbench_sweep=..." : "");
    free(cells);
    return 2;
  }
  gbs_run_all(bench_out.path ? bench_out_format : NULL);
  gbs_shutdown();
  size_t oom = 0;
  const char *first = NULL;
  for (size_t i = 0; i < ncells; i++)
    if (cells[i].out_of_memory) first = first ? first : cells[i].name, oom++;
  if (oom)
    fprintf(stderr,
            "gcbench: %zu benchmark%s ran out of memory or %s refused before "
            "allocating (%s%s; the error rows say why): exit 3\n",
            oom, oom == 1 ? "" : "s", oom == 1 ? "was" : "were", first,
            oom > 1 ? ", ..." : "");
  int rc = out_finish();
  free(cells);
  free(args);
  if (gc_out_flush_stdout("gcbench") != 0) return 2;
  return rc ? rc : oom ? 3 : 0;
}
