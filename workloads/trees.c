/*
 * trees.c -- GCBench (Boehm, Ellis, Kovac): a stretch tree of depth 18 built
 * and dropped; a long-lived tree of depth 16 and an array kept throughout;
 * then, for depths 4, 6, .., 16, NumIters(d) = 2 * TreeSize(18) /
 * TreeSize(d) temporary trees built top-down (Populate: a node, then its
 * children) and as many bottom-up (MakeTree: children first), each dropped
 * at once.  TreeSize(d) = 2^(d+1) - 1 nodes.
 *
 * `parent=1` gives every node a third slot pointing to its parent: each
 * child <-> parent pair is a cycle, so every dropped tree of depth >= 1 is
 * cyclic garbage instead of reference counting's.
 *
 * `n` > 0 scales the run to about n temporary objects (GCBench's own counts
 * allocate ~14.7 million): the depths are capped so a tree has at most n
 * nodes, and each depth gets about n / depths / 2 nodes per construction
 * style (at least one tree).  Building is iterative: no recursion over the
 * tree, whatever its depth.
 */
#include <stdlib.h>

#include "workload.h"

static const gc_param_def trees_params[] = {
    {"n", GC_P_INT, "0", 0, 4e9,
     "temporary objects to allocate (0: GCBench's own iteration counts)"},
    {"stretch", GC_P_INT, "18", 0, 30, "depth of the stretch tree"},
    {"long_lived", GC_P_INT, "16", 0, 30, "depth of the long-lived tree"},
    {"min_depth", GC_P_INT, "4", 0, 30, "depth of the first temporary trees"},
    {"max_depth", GC_P_INT, "16", 0, 30, "depth of the last temporary trees"},
    {"parent", GC_P_INT, "0", 0, 1, "1: parent pointers (every tree cyclic)"},
    {"array", GC_P_INT, "4000000", 0, GC_MAX_PAYLOAD,
     "bytes of the long-lived array (GCBench: 500000 doubles)"},
    {"payload", GC_P_INT, "8", 0, GC_MAX_PAYLOAD,
     "payload bytes per node (GCBench's node holds two ints)"},
};

typedef struct tree_cfg {
  uint32_t slots, payload;
  int parent;
} tree_cfg;

static uint64_t tree_size(int d) { return (UINT64_C(1) << (d + 1)) - 1; }

/* A new node with children l and r (stolen; NULL for a leaf). */
static gc_object *node(gc_heap *h, const tree_cfg *c, gc_object *l,
                       gc_object *r) {
  gc_object *o = gc_new(h, c->slots, c->payload);
  if (!o) {
    gc_decref(h, l);
    gc_decref(h, r);
    return NULL;
  }
  /* A subtree with children is reported as a possible root by the steal
   * (gc_slot_steal): as a language runtime reports the parameters a
   * constructor stores and then drops.  A leaf is not. */
  gc_slot_steal(h, o, 0, l);
  gc_slot_steal(h, o, 1, r);
  if (c->parent) {
    if (l) gc_slot_set(h, l, 2, o);
    if (r) gc_slot_set(h, r, 2, o);
  }
  return o;
}

/* Populate(depth, root): children are made before they are descended into,
 * left first, as GCBench's recursion does; the explicit stack holds the
 * nodes still to fill (borrowed: the tree holds them). */
static int populate(gc_heap *h, const tree_cfg *c, int depth, gc_object *root) {
  struct item {
    gc_object *o;
    int depth;
  } stack[64];
  int sp = 0;
  stack[sp++] = (struct item){root, depth};
  while (sp) {
    struct item it = stack[--sp];
    if (it.depth <= 0) continue;
    gc_object *l = node(h, c, NULL, NULL);
    if (!l) return WL_ENOMEM;
    gc_object *r = node(h, c, NULL, NULL);
    if (!r) {
      gc_decref(h, l);
      return WL_ENOMEM;
    }
    gc_slot_steal(h, it.o, 0, l); /* l and r are empty: no report */
    gc_slot_steal(h, it.o, 1, r);
    if (c->parent) {
      gc_slot_set(h, l, 2, it.o);
      gc_slot_set(h, r, 2, it.o);
    }
    stack[sp++] = (struct item){r, it.depth - 1};
    stack[sp++] = (struct item){l, it.depth - 1};
  }
  return WL_OK;
}

/* MakeTree(depth): nodes in post-order (a subtree before its root), as
 * GCBench's recursion allocates them.  The stack holds finished subtrees
 * (our references) with their heights; two of equal height are joined. */
static gc_object *make_tree(gc_heap *h, const tree_cfg *c, int depth) {
  struct item {
    gc_object *o;
    int height;
  } stack[64];
  int sp = 0;
  for (;;) {
    if (sp >= 2 && stack[sp - 1].height == stack[sp - 2].height) {
      gc_object *o = node(h, c, stack[sp - 2].o, stack[sp - 1].o);
      int height = stack[sp - 1].height + 1;
      sp -= 2;
      if (!o) break;
      stack[sp++] = (struct item){o, height};
    } else if (sp == 1 && stack[0].height == depth) {
      return stack[0].o;
    } else {
      gc_object *leaf = node(h, c, NULL, NULL);
      if (!leaf) break;
      stack[sp++] = (struct item){leaf, 0};
    }
  }
  while (sp) gc_decref(h, stack[--sp].o); /* out of memory */
  return NULL;
}

/* Account for a dropped tree of depth d. */
static void dropped(wl_answer *ans, const tree_cfg *c, int d) {
  uint64_t size = tree_size(d);
  ans->allocated += size;
  if (c->parent && d >= 1)
    ans->cyclic += size;
  else
    ans->freed_by_rc += size;
}

static int cap_depth(int d, uint64_t n) {
  while (d > 0 && tree_size(d) > n) d--;
  return d;
}

static int trees_run(gc_heap *h, const gc_param_set *p, uint64_t seed,
                     wl_answer *ans, char *err, size_t errlen) {
  (void)seed;
  uint64_t n = (uint64_t)gc_params_int(p, "n");
  int stretch = (int)gc_params_int(p, "stretch");
  int long_lived = (int)gc_params_int(p, "long_lived");
  int min_depth = (int)gc_params_int(p, "min_depth");
  int max_depth = (int)gc_params_int(p, "max_depth");
  uint32_t array = (uint32_t)gc_params_int(p, "array");
  tree_cfg c = {.parent = (int)gc_params_int(p, "parent"),
                .payload = (uint32_t)gc_params_int(p, "payload")};
  c.slots = c.parent ? 3 : 2;
  *ans = (wl_answer){0};
  uint64_t per_style = 0; /* 0: GCBench's NumIters */
  if (n > 0) {
    stretch = cap_depth(stretch, n);
    long_lived = cap_depth(long_lived, n);
    max_depth = cap_depth(max_depth, n);
    if (array > n * 8) array = (uint32_t)(n * 8);
    int ndepths = max_depth >= min_depth ? (max_depth - min_depth) / 2 + 1 : 1;
    per_style = n / (uint64_t)ndepths / 2;
  }
  /* At least the stretch tree, then the long-lived tree and array beside
   * the largest temporary tree; every tree when they are cyclic and no
   * collection runs. */
  double each = (double)gc_heap_object_cost(h, c.slots, c.payload);
  double nodes = (double)tree_size(long_lived) +
                 (max_depth >= min_depth ? (double)tree_size(max_depth) : 0);
  double stretch_nodes = (double)tree_size(stretch);
  if (c.parent && wl_keeps_garbage(h)) {
    nodes = (double)tree_size(long_lived) + stretch_nodes;
    for (int d = min_depth; d <= max_depth; d += 2) {
      uint64_t iters = per_style ? per_style / tree_size(d)
                                 : 2 * tree_size(stretch) / tree_size(d);
      nodes += 2.0 * (double)(iters ? iters : 1) * (double)tree_size(d);
    }
  }
  double need = nodes * each + (double)gc_heap_object_cost(h, 0, array);
  if (stretch_nodes * each > need) need = stretch_nodes * each;
  int rc0 = wl_memory_check(h, "trees", need, 0,
                            "lower n (0: GCBench's own sizes) or the depths",
                            err, errlen);
  if (rc0 != WL_OK) return rc0;

  /* The stretch tree: built and dropped. */
  gc_object *t = make_tree(h, &c, stretch);
  if (!t) return WL_ENOMEM;
  dropped(ans, &c, stretch);
  gc_decref(h, t);

  /* The long-lived tree and array, held by roots to the end. */
  gc_object *lt, *arr;
  if (wl_new_root(h, c.slots, c.payload, &lt) != WL_OK ||
      populate(h, &c, long_lived, lt) != WL_OK ||
      wl_new_root(h, 0, array, &arr) != WL_OK)
    return WL_ENOMEM;
  ans->allocated += tree_size(long_lived) + 1;
  ans->live += tree_size(long_lived) + 1;

  for (int d = min_depth; d <= max_depth; d += 2) {
    uint64_t iters = per_style ? per_style / tree_size(d)
                               : 2 * tree_size(stretch) / tree_size(d);
    if (iters == 0) iters = 1;
    for (uint64_t i = 0; i < iters; i++) { /* top-down */
      gc_object *o = node(h, &c, NULL, NULL);
      if (!o) return WL_ENOMEM;
      int rc = populate(h, &c, d, o);
      gc_decref(h, o);
      if (rc != WL_OK) return rc;
      dropped(ans, &c, d);
    }
    for (uint64_t i = 0; i < iters; i++) { /* bottom-up */
      gc_object *o = make_tree(h, &c, d);
      if (!o) return WL_ENOMEM;
      gc_decref(h, o);
      dropped(ans, &c, d);
    }
  }
  return WL_OK;
}

const workload wl_trees = {
    .name = "trees",
    .summary = "GCBench's binary trees, top-down and bottom-up; parent=1 "
               "makes them cyclic",
    .params = trees_params,
    .nparams = sizeof trees_params / sizeof trees_params[0],
    .run = trees_run,
};
