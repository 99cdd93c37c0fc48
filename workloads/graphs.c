/*
 * graphs.c -- random directed graphs: each vertex has `degree` out-edges
 * (slots), to targets drawn uniformly or by preferential attachment
 * (`model=scalefree`: a target is drawn in proportion to its in-degree + 1,
 * as in Barabasi-Albert, so a few hubs gather most edges).  A fraction
 * `held` of the vertices is held by roots; the rest are dropped.
 *
 * The answer comes from the edge list itself, not from the heap: what the
 * held vertices reach is live; of the rest, reference counting frees what no
 * cycle reaches (a peel: repeatedly remove garbage vertices with no incoming
 * edges from garbage), and the remainder, on or below a cycle, is cyclic.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "workload.h"

static const gc_param_def graphs_params[] = {
    {"n", GC_P_INT, "1000000", 1, 4e9, "vertices"},
    {"degree", GC_P_INT, "2", 0, 1000, "out-edges per vertex"},
    {"model", GC_P_STR, "uniform", 0, 0,
     "uniform, or scalefree (preferential attachment)"},
    {"held", GC_P_REAL, "0.1", 0, 1,
     "fraction of vertices held by roots at the end"},
    {"payload", GC_P_INT, "0", 0, GC_MAX_PAYLOAD, "payload bytes per object"},
};

typedef struct graph {
  uint64_t n, d;
  uint32_t *edge;      /* edge[v * d + j]: target of v's slot j */
  unsigned char *held; /* 1: a root holds v */
} graph;

static void gen_uniform(graph *g, wl_rng *r) {
  for (uint64_t i = 0; i < g->n * g->d; i++)
    g->edge[i] = (uint32_t)wl_rng_below(r, g->n);
}

/* Vertex v's edges are drawn (v = 0, 1, ...) from a pool that holds every
 * vertex so far once, plus one entry per edge target so far. */
static int gen_scalefree(graph *g, wl_rng *r) {
  uint32_t *pool = malloc((g->n + g->n * g->d) * sizeof *pool);
  if (!pool) return -1;
  uint64_t np = 0;
  for (uint64_t v = 0; v < g->n; v++) {
    pool[np++] = (uint32_t)v;
    for (uint64_t j = 0; j < g->d; j++) {
      uint32_t t = pool[wl_rng_below(r, np)];
      g->edge[v * g->d + j] = t;
      pool[np++] = t;
    }
  }
  free(pool);
  return 0;
}

/* Fill *ans from the edge list. */
static int graph_answer(const graph *g, wl_answer *ans) {
  uint64_t n = g->n, d = g->d;
  unsigned char *live = calloc(n, 1);
  uint32_t *stack = malloc(n * sizeof *stack);
  uint32_t *indeg = calloc(n, sizeof *indeg);
  if (!live || !stack || !indeg) {
    free(live), free(stack), free(indeg);
    return -1;
  }
  /* Reachable from the held vertices: an explicit stack. */
  uint64_t sp = 0, nlive = 0;
  for (uint64_t v = 0; v < n; v++)
    if (g->held[v] && !live[v]) live[v] = 1, stack[sp++] = (uint32_t)v;
  while (sp) {
    uint64_t v = stack[--sp];
    nlive++;
    for (uint64_t j = 0; j < d; j++) {
      uint32_t t = g->edge[v * d + j];
      if (!live[t]) live[t] = 1, stack[sp++] = t;
    }
  }
  /* The peel, over the garbage only: no live vertex points into it, and its
   * edges into live vertices do not matter. */
  for (uint64_t v = 0; v < n; v++)
    if (!live[v])
      for (uint64_t j = 0; j < d; j++)
        if (!live[g->edge[v * d + j]]) indeg[g->edge[v * d + j]]++;
  uint64_t nrc = 0;
  for (uint64_t v = 0; v < n; v++)
    if (!live[v] && indeg[v] == 0) stack[sp++] = (uint32_t)v;
  while (sp) {
    uint64_t v = stack[--sp];
    nrc++;
    for (uint64_t j = 0; j < d; j++) {
      uint32_t t = g->edge[v * d + j];
      if (!live[t] && --indeg[t] == 0) stack[sp++] = t;
    }
  }
  ans->allocated = n;
  ans->live = nlive;
  ans->freed_by_rc = nrc;
  ans->cyclic = n - nlive - nrc;
  free(live), free(stack), free(indeg);
  return 0;
}

/* Build the heap from the edge list: every vertex is ours (an external
 * reference) until all edges are stored, then the held ones go to roots. */
static int graph_build(gc_heap *h, const graph *g, uint32_t payload) {
  gc_object **v = malloc(g->n * sizeof *v);
  if (!v) return WL_ENOMEM;
  uint64_t made = 0;
  int rc = WL_OK;
  for (; made < g->n; made++)
    if (!(v[made] = gc_new(h, (uint32_t)g->d, payload))) {
      rc = WL_ENOMEM;
      break;
    }
  if (rc == WL_OK) {
    for (uint64_t i = 0; i < g->n; i++)
      for (uint64_t j = 0; j < g->d; j++)
        gc_slot_set(h, v[i], (uint32_t)j, v[g->edge[i * g->d + j]]);
    for (uint64_t i = 0; i < g->n && rc == WL_OK; i++)
      if (g->held[i] && gc_root_push(h, v[i]) < 0) rc = WL_ENOMEM;
  }
  for (uint64_t i = 0; i < made; i++) gc_decref(h, v[i]);
  free(v);
  return rc;
}

static int graphs_run(gc_heap *h, const gc_param_set *p, uint64_t seed,
                      wl_answer *ans, char *err, size_t errlen) {
  graph g = {.n = (uint64_t)gc_params_int(p, "n"),
             .d = (uint64_t)gc_params_int(p, "degree")};
  const char *model = gc_params_str(p, "model");
  double held = gc_params_num(p, "held");
  uint32_t payload = (uint32_t)gc_params_int(p, "payload");
  int scalefree = strcmp(model, "scalefree") == 0;
  *ans = (wl_answer){0};
  if (!scalefree && strcmp(model, "uniform") != 0) {
    snprintf(err, errlen,
             "parameter 'model' = '%s' is not a graph model (use uniform or "
             "scalefree)",
             model);
    return WL_EINPUT;
  }
  if (g.n > UINT32_MAX || g.n * g.d > UINT32_MAX) {
    snprintf(err, errlen,
             "graphs: n * degree = %llu edges is more than 4294967295 (use a "
             "smaller n or degree)",
             (unsigned long long)(g.n * g.d));
    return WL_EINPUT;
  }
  /* every vertex is held while the edges are stored, beside the edge
   * list, the held flags and the vertex array */
  double dn = (double)g.n, dd = (double)g.d;
  double need = dn * (double)gc_heap_object_cost(h, (uint32_t)g.d, payload);
  int rc0 = wl_memory_check_n(h, "graphs", need,
                              dn * (4 * dd + 1 + sizeof(gc_object *)), dn, "n",
                              err, errlen);
  if (rc0 != WL_OK) return rc0;
  g.edge = malloc((g.n * g.d + 1) * sizeof *g.edge);
  g.held = malloc(g.n);
  int rc = WL_ENOMEM;
  if (g.edge && g.held) {
    wl_rng r;
    wl_rng_seed(&r, seed);
    for (uint64_t v = 0; v < g.n; v++) g.held[v] = wl_rng_unit(&r) < held;
    if (scalefree ? gen_scalefree(&g, &r) == 0 : (gen_uniform(&g, &r), 1))
      if (graph_answer(&g, ans) == 0) rc = graph_build(h, &g, payload);
  }
  free(g.edge);
  free(g.held);
  return rc;
}

const workload wl_graphs = {
    .name = "graphs",
    .summary = "random graphs of out-degree d (uniform or scale-free), a "
               "fraction held",
    .params = graphs_params,
    .nparams = sizeof graphs_params / sizeof graphs_params[0],
    .run = graphs_run,
};
