/*
 * parents.c -- nim-lang/Nim #24242's program: a loop that makes a parent
 * with one child pointing back at it, keeps the pair in a seq, and calls
 * a procedure that makes and breaks a second such pair; quick on Nim
 * 1.6.20 and 2.0.8, very slow on 2.0.10 and 2.2.0 (n = 10^8 in the
 * report):
 *
 *     type ObjRef = ref object of RootObj
 *       data: int; remark: string; parent: ObjRef; children: seq[ObjRef]
 *     proc test(o: ObjRef, i: int) =
 *       var o = new(ObjRef); var c = ObjRef(data: i + 1)
 *       o.children.add(c); c.parent = o; o.children = @[]
 *     for i in 1 .. n + 1:
 *       o = new(ObjRef); var c = ObjRef(data: i + 1)
 *       o.children.add(c); c.parent = o; o.test(i); a.add(o)
 *
 * Every pair kept is a live cycle, and every decrement that leaves a
 * count above zero (the old `o` when it is reassigned, `c` at the end of
 * the iteration, the temporary parent when its child dies) makes ORC
 * register a possible root: the buffer fills with live objects that each
 * collection must trace and keep, and how the threshold answers a
 * collection that frees nothing decides the run's cost.  That rule
 * (lib/system/orc.nim) is the same in 1.6.20, 2.0.8, 2.0.10 and 2.2.0;
 * what changed between 2.0.8 and 2.0.10 is the allocator
 * (lib/system/alloc.nim), which this object model does not have, so the
 * workload shows ORC's cost on the program, not the regression.
 *
 * The model: an ObjRef is an object of 1 + `children` slots (the parent,
 * then the seq's items; the seq's buffer is part of the object, as ORC
 * traces it with its owner) and a 16-byte payload (data and the string
 * header); the variables o and c are root entries; `a` is a seq of refs
 * (table.h: a plain owner with blocks of 8 x 2^k items).  Declaring the type
 * {.acyclic.}, Nim's usual cure, is not offered: the pairs are cycles,
 * so the promise would be broken.
 *
 * Answer: with keep=1 (the report's main, timed before it returns) the
 * seq and the n kept pairs are live and the n temporary pairs are freed
 * by reference counting (test's o.children = @[] frees the child, the
 * end of test the parent).  keep=0 drops the seq at the end: the kept
 * pairs are cyclic garbage.
 */
#include <stdio.h>

#include "table.h"
#include "workload.h"

enum { SEQ_BASE = 8, PAYLOAD = 16 };

static const gc_param_def parents_params[] = {
    {"n", GC_P_INT, "1000000", 0, 1e10,
     "loop iterations (a kept pair and a temporary pair each)"},
    {"children", GC_P_INT, "1", 1, 1024,
     "slots of a node's children seq (one used, as in the report)"},
    {"keep", GC_P_INT, "1", 0, 1,
     "1: the seq still held at the end (the report's); 0: dropped"},
};

typedef struct par {
  gc_heap *h;
  uint32_t nslots;
  size_t var_o, var_c, var_t; /* root entries: o, c, test's o */
} par;

/* parent.children.add(child) with child stored in var; child.parent =
 * parent. */
static int new_pair(par *q, size_t var_parent, size_t var_child,
                    uint64_t *made) {
  gc_object *o = gc_new(q->h, q->nslots, PAYLOAD);
  if (!o) return WL_ENOMEM;
  gc_root_set_steal(q->h, var_parent, o); /* the old o: a decrement */
  gc_object *c = gc_new(q->h, q->nslots, PAYLOAD);
  if (!c) return WL_ENOMEM;
  gc_root_set_steal(q->h, var_child, c);
  gc_slot_set(q->h, o, 1, c);
  gc_slot_set(q->h, c, 0, o);
  *made += 2;
  return WL_OK;
}

static int parents_run(gc_heap *h, const gc_param_set *p, uint64_t seed,
                       wl_answer *ans, char *err, size_t errlen) {
  (void)seed;
  uint64_t n = (uint64_t)gc_params_int(p, "n");
  int keep = (int)gc_params_int(p, "keep");
  par q = {.h = h,
           .nslots = 1 + (uint32_t)gc_params_int(p, "children")};
  *ans = (wl_answer){0};
  double need = 2.0 * (double)n *
                    ((double)gc_heap_object_cost(h, q.nslots, PAYLOAD) +
                     2.0 * sizeof(gc_object *)) +
                4.0 * (double)gc_heap_object_cost(h, q.nslots, PAYLOAD);
  int rc = wl_memory_check_n(h, "parents", need, 0, (double)n, "n", err,
                             errlen);
  if (rc != WL_OK) return rc;
  gc_object *seq = gc_new(h, WL_TABLE_BLOCKS, 0);
  long first = seq ? gc_root_push_steal(h, seq) : -1;
  if (first < 0) {
    gc_decref(h, seq);
    return WL_ENOMEM;
  }
  wl_table a = {.owner = seq, .base = SEQ_BASE};
  long e1 = gc_root_push(h, NULL), e2 = gc_root_push(h, NULL),
       e3 = gc_root_push(h, NULL), e4 = gc_root_push(h, NULL);
  if (e1 < 0 || e2 < 0 || e3 < 0 || e4 < 0) return WL_ENOMEM;
  q.var_o = (size_t)e1;
  q.var_c = (size_t)e2;
  q.var_t = (size_t)e3;
  size_t var_tc = (size_t)e4;
  uint64_t made = 0, temps = 0;
  for (uint64_t i = 0; i < n; i++) {
    rc = new_pair(&q, q.var_o, q.var_c, &made);
    if (rc != WL_OK) return rc;
    /* o.test(i): a pair made, its child dropped, then its parent */
    rc = new_pair(&q, q.var_t, var_tc, &temps);
    if (rc != WL_OK) return rc;
    gc_slot_set(h, gc_root_get(h, q.var_t), 1, NULL); /* o.children = @[] */
    gc_root_set(h, var_tc, NULL);                      /* c dies */
    gc_root_set(h, q.var_t, NULL);                     /* o dies */
    gc_object *o = gc_root_get(h, q.var_o);
    gc_incref(o);
    rc = wl_table_append_steal(h, &a, o); /* a.add(o) */
    if (rc != WL_OK) return rc;
    gc_root_set(h, q.var_c, NULL); /* c goes out of scope */
  }
  gc_root_truncate(h, (size_t)first + 1); /* the last o too */
  ans->allocated = 1 + a.nblocks + made + temps;
  ans->freed_by_rc = temps;
  ans->live = 1 + a.nblocks + made;
  if (!keep) {
    gc_root_truncate(h, (size_t)first);
    ans->freed_by_rc = temps + 1 + a.nblocks;
    ans->cyclic = made;
    ans->live = 0;
  }
  return WL_OK;
}

static void parents_estimate(const gc_param_set *p, int leaks,
                             wl_estimate *e) {
  (void)leaks;
  uint64_t n = (uint64_t)gc_params_int(p, "n");
  *e = (wl_estimate){.allocations = 4 * n,
                     .live = 2 * n,
                     .nslots = 1 + (uint32_t)gc_params_int(p, "children"),
                     .payload = PAYLOAD};
}

const workload wl_parents = {
    .name = "parents",
    .summary = "parent/child pairs kept in a seq, a temporary pair made and "
               "broken each step (nim-lang/Nim #24242)",
    .params = parents_params,
    .nparams = sizeof parents_params / sizeof parents_params[0],
    .run = parents_run,
    .estimate = parents_estimate,
};
