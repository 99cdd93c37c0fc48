/*
 * churn.c -- the steady state: a live heap of `live` objects (a ring through
 * slot 0, a random edge in slot 1, a young-object slot 2) held by one root,
 * and `n` short-lived objects allocated after it in groups of `group`.  A
 * `cyclic` fraction of the groups close into a cycle; the rest are chains.
 * Every member points into the live heap (young-to-old edges).  The last
 * `window` groups stay referenced by the mutator (its "stack"), so young
 * objects live a little while; the oldest is dropped as each new one comes.
 * A `replace` fraction of the groups is also stored into a random live
 * object's slot 2 (an old-to-young edge), replacing the group there.
 *
 * Most objects die young, as the generational hypothesis says; this is the
 * pause-time and memory-over-time workload.  Answer: the live heap and the
 * groups in live objects' slot 2 at the end are live; every other group is
 * garbage, freed by reference counting if a chain and by the collector if a
 * cycle, whenever that happens.
 */
#include <stdio.h>
#include <stdlib.h>

#include "rng.h"
#include "workload.h"

static const gc_param_def churn_params[] = {
    {"n", GC_P_INT, "1000000", 0, 1e12,
     "short-lived objects allocated after the live heap"},
    {"allocs", GC_P_INT, "0", 0, 1e12, "the same as n, when not 0"},
    {"live", GC_P_INT, "100000", 0, 4e9, "objects in the live heap"},
    {"cyclic", GC_P_REAL, "0.1", 0, 1, "fraction of groups that are cycles"},
    {"group", GC_P_INT, "4", 1, 1e6, "objects per short-lived group"},
    {"window", GC_P_INT, "64", 1, 1e7,
     "groups the mutator still refers to at any time"},
    {"replace", GC_P_REAL, "0.01", 0, 1,
     "fraction of groups stored into the live heap (old-to-young edge)"},
    {"payload", GC_P_INT, "16", 0, GC_MAX_PAYLOAD, "payload bytes per object"},
};

typedef struct churn {
  gc_heap *h;
  wl_rng r;
  uint32_t payload;
  uint64_t nlive;
  gc_object **live;    /* borrowed: the ring holds them */
  uint64_t *slot_objs; /* objects of the group in live[i]'s slot 2 ... */
  unsigned char *slot_cyclic; /* ... and whether it is a cycle */
} churn;

/* The live heap: a ring of nlive objects with one random chord each, held
 * by one root. */
static int build_live(churn *c) {
  gc_object *first = NULL, *tail = NULL;
  for (uint64_t i = 0; i < c->nlive; i++) {
    gc_object *o = gc_new(c->h, 3, c->payload);
    if (!o) return WL_ENOMEM;
    c->live[i] = o;
    if (!first) {
      if (gc_root_push_steal(c->h, o) < 0) {
        gc_decref(c->h, o);
        return WL_ENOMEM;
      }
      first = o;
    } else {
      gc_slot_steal(c->h, tail, 0, o);
    }
    tail = o;
  }
  if (!first) return WL_OK;
  gc_slot_set(c->h, tail, 0, first);
  for (uint64_t i = 0; i < c->nlive; i++)
    gc_slot_set(c->h, c->live[i], 1, c->live[wl_rng_below(&c->r, c->nlive)]);
  return WL_OK;
}

/* A group of len objects (a cycle if `cyc`), built in root entry `build`
 * (so that every reference the mutator holds is in the root table when an
 * allocation samples the heap).  Returns its first member, or NULL (out of
 * memory: what was built is released). */
static gc_object *make_group(churn *c, uint64_t len, int cyc, size_t build) {
  gc_object *first = NULL, *tail = NULL;
  for (uint64_t i = 0; i < len; i++) {
    gc_object *o = gc_new(c->h, 2, c->payload);
    if (!o) {
      gc_root_set(c->h, build, NULL);
      return NULL;
    }
    if (!first) {
      first = o;
      gc_root_set_steal(c->h, build, o);
    } else {
      gc_slot_steal(c->h, tail, 0, o); /* o's slots NULL yet: no report */
    }
    if (c->nlive)
      gc_slot_set(c->h, o, 1, c->live[wl_rng_below(&c->r, c->nlive)]);
    tail = o;
  }
  if (cyc) gc_slot_set(c->h, tail, 0, first);
  return first;
}

/* Group g leaves the mutator's hands (the window, or a live object's slot
 * 2) and nothing else refers to it: a cycle becomes garbage that only a
 * collector frees. */
static void group_dropped(churn *c, uint64_t len, int cyc) {
  if (cyc) gc_note_garbage(c->h, len, len * wl_object_bytes(c->h, 2, c->payload));
}

static int churn_run(gc_heap *h, const gc_param_set *p, uint64_t seed,
                     wl_answer *ans, char *err, size_t errlen) {
  uint64_t n = (uint64_t)gc_params_int(p, "n");
  if (gc_params_int(p, "allocs") > 0) n = (uint64_t)gc_params_int(p, "allocs");
  uint64_t group = (uint64_t)gc_params_int(p, "group");
  uint64_t window = (uint64_t)gc_params_int(p, "window");
  double cyclic = gc_params_num(p, "cyclic");
  double replace = gc_params_num(p, "replace");
  churn c = {.h = h,
             .payload = (uint32_t)gc_params_int(p, "payload"),
             .nlive = (uint64_t)gc_params_int(p, "live")};
  wl_rng_seed(&c.r, seed);
  *ans = (wl_answer){0};
  if (replace > 0 && c.nlive == 0) {
    snprintf(err, errlen,
             "churn: replace=%g needs a live heap (set live > 0 or "
             "replace=0)",
             replace);
    return WL_EINPUT;
  }
  /* the live heap and its four arrays, the window's groups; every cyclic
   * group when no collection runs */
  double each = (double)gc_heap_object_cost(h, 3, c.payload);
  double dl = (double)c.nlive, dw = (double)window * (double)group;
  double need = dl * each + dw * each;
  if (wl_keeps_garbage(h)) need += cyclic * 0.95 * (double)n * each;
  int rc0 = wl_memory_check(h, "churn", need, dl * (3 * 8 + 1),
                            "lower live (and n)", err, errlen);
  if (rc0 != WL_OK) return rc0;
  enum { NONE = UINT64_MAX };
  c.live = malloc((c.nlive + 1) * sizeof *c.live);
  c.slot_objs = calloc(c.nlive + 1, sizeof *c.slot_objs);
  c.slot_cyclic = calloc(c.nlive + 1, 1);
  /* slot_group[i]: the group in live[i]'s slot 2, or NONE.  The window
   * (the mutator's "stack") is root entries win0 .. win0+window-1; entry
   * g % window holds group g, of win_len objects, cyclic or not, and also
   * held by live[win_slot]'s slot 2 or by nothing else (NONE).  The group
   * being built sits in root entry `build`. */
  uint64_t *slot_group = malloc((c.nlive + 1) * sizeof *slot_group);
  uint64_t *win_len = calloc(window, sizeof *win_len);
  unsigned char *win_cyc = calloc(window, 1);
  uint64_t *win_slot = malloc(window * sizeof *win_slot);
  int rc = WL_ENOMEM;
  uint64_t cyc_objs = 0, chain_objs = 0;
  size_t win0 = 0, build = 0;
  int have_window = 0;
  if (c.live && c.slot_objs && c.slot_cyclic && slot_group && win_len &&
      win_cyc && win_slot && (rc = build_live(&c)) == WL_OK) {
    win0 = gc_root_count(h);
    build = win0 + window;
    if (gc_root_reserve(h, window + 1) != 0) rc = WL_ENOMEM;
    for (uint64_t i = 0; rc == WL_OK && i <= window; i++)
      gc_root_push(h, NULL); /* reserved: cannot fail */
    have_window = rc == WL_OK;
    for (uint64_t i = 0; i < window; i++) win_slot[i] = NONE;
    for (uint64_t i = 0; i <= c.nlive; i++) slot_group[i] = NONE;
    ans->allocated = c.nlive;
    for (uint64_t done = 0, g = 0; rc == WL_OK && done < n; g++) {
      uint64_t len = n - done < group ? n - done : group;
      int cyc = wl_rng_unit(&c.r) < cyclic;
      gc_object *o = make_group(&c, len, cyc, build);
      if (!o) {
        rc = WL_ENOMEM;
        break;
      }
      done += len;
      ans->allocated += len;
      if (cyc)
        cyc_objs += len;
      else
        chain_objs += len;
      uint64_t w = g % window, new_slot = NONE;
      if (replace > 0 && wl_rng_unit(&c.r) < replace) {
        uint64_t i = wl_rng_below(&c.r, c.nlive);
        uint64_t old = slot_group[i];
        /* the window holds groups g-window .. g-1 */
        int old_in_window = old != NONE && old + window >= g;
        if (old_in_window) win_slot[old % window] = NONE;
        gc_slot_set(h, c.live[i], 2, o);
        if (old != NONE && !old_in_window)
          group_dropped(&c, c.slot_objs[i], c.slot_cyclic[i]);
        c.slot_objs[i] = len;
        c.slot_cyclic[i] = (unsigned char)cyc;
        slot_group[i] = g;
        new_slot = i;
      }
      /* the oldest group (g - window) goes; the new one takes its entry */
      gc_root_move(h, build, win0 + w);
      if (win_len[w] && win_slot[w] == NONE)
        group_dropped(&c, win_len[w], win_cyc[w]);
      win_len[w] = len;
      win_cyc[w] = (unsigned char)cyc;
      win_slot[w] = new_slot;
    }
  }
  if (have_window) { /* the window goes */
    for (uint64_t w = 0; w < window; w++) {
      gc_root_set(h, win0 + w, NULL);
      if (rc == WL_OK && win_len[w] && win_slot[w] == NONE)
        group_dropped(&c, win_len[w], win_cyc[w]);
    }
    gc_root_truncate(h, win0);
  }
  if (rc == WL_OK) {
    uint64_t live_cyc = 0, live_chain = 0;
    for (uint64_t i = 0; i < c.nlive; i++)
      if (c.slot_cyclic[i])
        live_cyc += c.slot_objs[i];
      else
        live_chain += c.slot_objs[i];
    ans->live = c.nlive + live_cyc + live_chain;
    ans->cyclic = cyc_objs - live_cyc;
    ans->freed_by_rc = chain_objs - live_chain;
  }
  free(win_len);
  free(win_cyc);
  free(win_slot);
  free(slot_group);
  free(c.live);
  free(c.slot_objs);
  free(c.slot_cyclic);
  return rc;
}

/* The live heap stays; n (or allocs) short-lived objects come after it. */
static void churn_estimate(const gc_param_set *p, int leaks, wl_estimate *e) {
  (void)leaks;
  uint64_t n = (uint64_t)gc_params_int(p, "allocs");
  if (!n) n = (uint64_t)gc_params_int(p, "n");
  e->live = (uint64_t)gc_params_int(p, "live");
  e->allocations = e->live + n;
  e->nslots = 3;
  e->payload = (uint32_t)gc_params_int(p, "payload");
}

const workload wl_churn = {
    .name = "churn",
    .summary = "steady state: a live heap plus short-lived groups, a fraction "
               "cyclic (pauses, memory)",
    .params = churn_params,
    .nparams = sizeof churn_params / sizeof churn_params[0],
    .run = churn_run,
    .estimate = churn_estimate,
    .notes_garbage = 1,
};
