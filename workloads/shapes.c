/*
 * shapes.c -- a family of structures beyond chains and rings, along the
 * axes that decide a cycle collector's cost, each knowing its answer.
 *
 * A component is a complete `degree`-ary tree of `size` vertices numbered
 * breadth-first (vertex i's children are degree*i + 1 .. degree*i +
 * degree), vertex 0 its start.  On top of the tree edges:
 *
 *   back=none    no back edge: the component is acyclic
 *   back=parent  every vertex but the start points at its parent (a parse
 *                tree or a DOM with parent links; degree=1: a doubly
 *                linked list)
 *   back=start   every vertex but the start points at the start (objects
 *                holding their owner or document)
 *   back=across  every vertex but the start points at a random vertex
 *                numbered before it (an object graph with back references)
 *   share=F      that fraction of the vertices (drawn from the seed) gets
 *                one more edge to a random vertex numbered after it: a DAG
 *                (shared subobjects); every tree and share edge goes from a
 *                lower number to a higher one, so without back edges the
 *                component stays acyclic
 *
 * Allocation order (`order`), independent of the shape: `bfs` (vertex
 * number, breadth-first: the order a builder that makes a node before its
 * children allocates), `dfs` (depth-first preorder: a recursive-descent
 * parser's), `scatter` (a random permutation of each component: a heap a
 * long run has shuffled), `interleave` (four components built at once,
 * one vertex of each in turn: several structures growing side by side).
 * The vertices are allocated first in that order, then linked, so the
 * shape does not depend on the order.
 *
 * n objects in components of `size` (size above n: one component of n);
 * `held` fraction of the components still held by a root at the end,
 * spread evenly (component c is held when floor((c+1) held) > floor(c
 * held)), the rest dropped.  No recursion: the depth-first order is made
 * with an explicit stack.
 *
 * Answer: the held components are live.  A dropped component is freed by
 * reference counting with back=none (a tree or DAG, whatever `share`);
 * with any back edge every vertex of it is cyclic (size >= 2: vertex 1
 * points back at vertex 0, which reaches every vertex, so no count falls to
 * zero when the start is dropped).
 */
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "workload.h"

enum { BACK_NONE, BACK_PARENT, BACK_START, BACK_ACROSS };
enum { ORDER_BFS, ORDER_DFS, ORDER_SCATTER, ORDER_INTERLEAVE };
enum { WAYS = 4 }; /* components built at once under order=interleave */

static const gc_param_def shapes_params[] = {
    {"n", GC_P_INT, "1000000", 1, 4e9, "objects in all"},
    {"size", GC_P_INT, "1000", 1, 4e9,
     "objects per component (a complete tree numbered breadth-first)"},
    {"degree", GC_P_INT, "2", 1, 4, "tree children per vertex (1: a list)"},
    {"back", GC_P_STR, "parent", 0, 0,
     "back edge of every vertex but the start: none, parent, start, across "
     "(a random earlier vertex)"},
    {"share", GC_P_REAL, "0", 0, 1,
     "fraction of vertices with one more edge to a random later vertex "
     "(a DAG)"},
    {"order", GC_P_STR, "bfs", 0, 0,
     "allocation order: bfs, dfs, scatter (shuffled), interleave (4 "
     "components at once)"},
    {"held", GC_P_REAL, "0", 0, 1, "fraction of components held at the end"},
    {"payload", GC_P_INT, "16", 0, GC_MAX_PAYLOAD, "payload bytes per object"},
};

typedef struct shp {
  gc_heap *h;
  uint64_t size, degree;
  int back;
  double share;
  uint32_t nslots, payload;
  uint32_t *order; /* allocation order: the k-th allocated vertex's number */
  gc_object **v;   /* WAYS x size: the components being built */
  wl_rng r;
} shp;

static int parse_choice(const char *s, const char *const *names, int n) {
  for (int i = 0; i < n; i++)
    if (strcmp(s, names[i]) == 0) return i;
  return -1;
}

/* Depth-first preorder of the complete tree, with an explicit stack of
 * the vertices still to visit (at most (degree - 1) x depth + 1 at once;
 * the order array itself, filled from the front, bounds it). */
static void order_dfs(uint32_t *order, uint32_t *stack, uint64_t size,
                      uint64_t degree) {
  uint64_t top = 0, k = 0;
  stack[top++] = 0;
  while (top) {
    uint64_t i = stack[--top];
    order[k++] = (uint32_t)i;
    for (uint64_t c = degree; c >= 1; c--) { /* first child on top */
      uint64_t j = degree * i + c;
      if (j < size) stack[top++] = (uint32_t)j;
    }
  }
}

/* The edges of one component whose vertices v[0..size) are allocated
 * (each holding the caller's reference).  Vertex by vertex in number
 * order, each tree child's reference is stolen into its parent's slot
 * while the child's own slots are still NULL (a child is numbered after
 * its parent), so the building reports no possible root; back and share
 * edges are counted stores.  Afterwards the caller holds only v[0]. */
static void link_component(shp *q, gc_object **v) {
  gc_heap *h = q->h;
  uint32_t slot_back = (uint32_t)q->degree;
  uint32_t slot_share = slot_back + (q->back != BACK_NONE);
  for (uint64_t i = 0; i < q->size; i++) {
    for (uint64_t c = 1; c <= q->degree; c++) {
      uint64_t j = q->degree * i + c;
      if (j < q->size) gc_slot_steal(h, v[i], (uint32_t)(c - 1), v[j]);
    }
    if (i > 0 && q->back != BACK_NONE) {
      uint64_t t = q->back == BACK_PARENT ? (i - 1) / q->degree
                   : q->back == BACK_START ? 0
                                           : wl_rng_below(&q->r, i);
      gc_slot_set(h, v[i], slot_back, v[t]);
    }
    if (q->share > 0 && i + 1 < q->size && wl_rng_unit(&q->r) < q->share)
      gc_slot_set(h, v[i], slot_share,
                  v[i + 1 + wl_rng_below(&q->r, q->size - i - 1)]);
  }
}

/* Allocate `ways` components in the allocation order (interleaved when
 * ways > 1), link each, and keep or drop it.  *comp counts components
 * made (for `held`). */
static int build(shp *q, uint64_t ways, double held, uint64_t *comp,
                 wl_answer *ans) {
  gc_heap *h = q->h;
  uint64_t made = 0;
  int rc = WL_OK;
  for (uint64_t k = 0; k < q->size && rc == WL_OK; k++)
    for (uint64_t w = 0; w < ways; w++) {
      gc_object *o = gc_new(h, q->nslots, q->payload);
      if (!o) {
        rc = WL_ENOMEM;
        break;
      }
      q->v[w * q->size + q->order[k]] = o;
      made++;
    }
  ans->allocated += made;
  if (rc != WL_OK) { /* nothing linked yet: every count falls to zero */
    for (uint64_t k = 0, m = 0; m < made; k++)
      for (uint64_t w = 0; w < ways && m < made; w++, m++)
        gc_decref(h, q->v[w * q->size + q->order[k]]);
    ans->freed_by_rc += made;
    return rc;
  }
  for (uint64_t w = 0; w < ways; w++, (*comp)++) {
    gc_object **v = q->v + w * q->size;
    link_component(q, v);
    double c = (double)*comp;
    int keep = (uint64_t)((c + 1) * held) > (uint64_t)(c * held);
    if (keep && rc == WL_OK && gc_root_push(h, v[0]) < 0) rc = WL_ENOMEM;
    if (keep && rc == WL_OK)
      ans->live += q->size;
    else if (q->back == BACK_NONE || q->size < 2)
      ans->freed_by_rc += q->size;
    else
      ans->cyclic += q->size;
    gc_decref(h, v[0]); /* the start: the one root the building leaves */
  }
  return rc;
}

static const char *const back_names[] = {"none", "parent", "start",
                                         "across"};
static const char *const order_names[] = {"bfs", "dfs", "scatter",
                                          "interleave"};

static int shapes_run(gc_heap *h, const gc_param_set *p, uint64_t seed,
                      wl_answer *ans, char *err, size_t errlen) {
  uint64_t n = (uint64_t)gc_params_int(p, "n");
  double held = gc_params_num(p, "held");
  shp q = {.h = h,
           .size = (uint64_t)gc_params_int(p, "size"),
           .degree = (uint64_t)gc_params_int(p, "degree"),
           .share = gc_params_num(p, "share"),
           .payload = (uint32_t)gc_params_int(p, "payload")};
  *ans = (wl_answer){0};
  q.back = parse_choice(gc_params_str(p, "back"), back_names, 4);
  int order = parse_choice(gc_params_str(p, "order"), order_names, 4);
  if (q.back < 0 || order < 0) {
    snprintf(err, errlen,
             q.back < 0 ? "parameter 'back' = '%s' is not a back edge (use "
                          "none, parent, start or across)"
                        : "parameter 'order' = '%s' is not an allocation "
                          "order (use bfs, dfs, scatter or interleave)",
             q.back < 0 ? gc_params_str(p, "back") : gc_params_str(p, "order"));
    return WL_EINPUT;
  }
  if (q.size > n) q.size = n;
  if (q.size > UINT32_MAX) q.size = UINT32_MAX;
  q.nslots = (uint32_t)q.degree + (q.back != BACK_NONE) + (q.share > 0);
  uint64_t comps = n / q.size;
  uint64_t ways = order == ORDER_INTERLEAVE ? WAYS : 1;
  wl_rng_seed(&q.r, seed);

  /* held components (every one when no collection runs) and the ones
   * being built; the order and vertex arrays */
  double each = (double)gc_heap_object_cost(h, q.nslots, q.payload);
  double objs = wl_keeps_garbage(h) || held >= 1 ? (double)n
                                                 : held * (double)n;
  objs += (double)(ways * q.size);
  double other = (double)q.size * (2 * sizeof(uint32_t)) +
                 (double)(ways * q.size) * sizeof(gc_object *);
  int rc = wl_memory_check_n(h, "shapes", objs * each, other, (double)n, "n",
                             err, errlen);
  if (rc != WL_OK) return rc;
  q.order = malloc(q.size * sizeof *q.order);
  uint32_t *stack = malloc(q.size * sizeof *stack);
  q.v = malloc(ways * q.size * sizeof *q.v);
  if (!q.order || !stack || !q.v) {
    free(q.order);
    free(stack);
    free(q.v);
    return WL_ENOMEM;
  }
  if (order == ORDER_DFS)
    order_dfs(q.order, stack, q.size, q.degree);
  else
    for (uint64_t i = 0; i < q.size; i++) q.order[i] = (uint32_t)i;
  free(stack);

  uint64_t comp = 0;
  while (comp < comps && rc == WL_OK) {
    uint64_t w = comps - comp < ways ? comps - comp : ways;
    if (order == ORDER_SCATTER)
      for (uint64_t i = q.size; i > 1; i--) { /* Fisher-Yates */
        uint64_t j = wl_rng_below(&q.r, i);
        uint32_t t = q.order[i - 1];
        q.order[i - 1] = q.order[j];
        q.order[j] = t;
      }
    rc = build(&q, w, held, &comp, ans);
  }
  free(q.order);
  free(q.v);
  return rc;
}

/* Held components stay; under `none` the cyclic dropped ones stay too. */
static void shapes_estimate(const gc_param_set *p, int leaks,
                            wl_estimate *e) {
  double n = (double)gc_params_int(p, "n"), held = gc_params_num(p, "held");
  int acyclic = strcmp(gc_params_str(p, "back"), "none") == 0;
  e->allocations = (uint64_t)n;
  e->live = (uint64_t)(n * ((leaks && !acyclic) || held >= 1 ? 1 : held));
  e->nslots = (uint32_t)gc_params_int(p, "degree") + !acyclic +
              (gc_params_num(p, "share") > 0);
  e->payload = (uint32_t)gc_params_int(p, "payload");
}

const workload wl_shapes = {
    .name = "shapes",
    .summary = "trees of degree 1-4 with back edges (parent, start, across), "
               "shared edges, sizes and allocation orders to sweep",
    .params = shapes_params,
    .nparams = sizeof shapes_params / sizeof shapes_params[0],
    .run = shapes_run,
    .estimate = shapes_estimate,
};
