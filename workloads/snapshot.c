/*
 * snapshot.c -- replays a heap graph read from a "gcheap 1" file
 * (heapfile.h), e.g. one written from a live CPython process by
 * scripts/snapshot-python.
 *
 * The file is parsed and checked completely before any object exists.  Then
 * every object is allocated and held by one temporary reference, the slots
 * are stored, the kept external references are pushed onto the root table,
 * and the temporary references are dropped.  While the temporaries exist
 * every object is externally held, so an automatic collection during the
 * build frees nothing; dropping them lets reference counting free the
 * acyclic garbage at once and leaves the cyclic garbage to the collector.
 *
 * The answer comes from the parsed arrays, not from the heap: live = what
 * the kept external references reach; freed_by_rc = the unreachable objects
 * that peeling zero-count objects frees (Kahn's algorithm over incoming
 * counts); cyclic = the other unreachable objects (cycles and what they
 * hold).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "heapfile.h"
#include "rng.h"
#include "workload.h"

static const gc_param_def snapshot_params[] = {
    {"file", GC_P_STR, "", 0, 0, "gcheap 1 file to load (required)"},
    {"drop", GC_P_STR, "none", 0, 0,
     "external references to drop: none, all, or a fraction in 0..1 "
     "(chosen from the seed)"},
    {"payload_scale", GC_P_REAL, "1", 0, 1e6,
     "multiply every object's payload bytes by this (0: no payloads)"},
};

int heapfile_parse_drop(const char *text, heapfile_drop *out, char *err,
                        size_t errlen) {
  out->fraction = 0;
  if (strcmp(text, "none") == 0) {
    out->mode = HEAPFILE_KEEP_ALL;
    return 0;
  }
  if (strcmp(text, "all") == 0) {
    out->mode = HEAPFILE_DROP_ALL;
    return 0;
  }
  char *end;
  double f = strtod(text, &end);
  if (end == text || *end != '\0' || !(f >= 0.0 && f <= 1.0)) {
    snprintf(err, errlen,
             "parameter 'drop' wants none, all or a fraction in 0..1, got "
             "'%s'",
             text);
    return -1;
  }
  out->mode = HEAPFILE_DROP_FRACTION;
  out->fraction = f;
  return 0;
}

/* kept[i] = object i's external references that stay.  For a fraction,
 * selection sampling (Knuth's algorithm S) drops exactly
 * round(fraction * total) of them, each equally likely, in one pass and
 * without an index of the references. */
static uint32_t *kept_refs(const heapfile *hf, const heapfile_drop *drop,
                           uint64_t seed) {
  uint32_t *kept = malloc(((size_t)hf->nobjects + 1) * sizeof *kept);
  if (!kept) return NULL;
  if (drop->mode != HEAPFILE_DROP_FRACTION) {
    for (uint64_t i = 0; i < hf->nobjects; i++)
      kept[i] = drop->mode == HEAPFILE_KEEP_ALL ? hf->external[i] : 0;
    return kept;
  }
  wl_rng r;
  wl_rng_seed(&r, seed);
  uint64_t left = hf->nexternal;
  uint64_t to_drop = (uint64_t)llround(drop->fraction * (double)left);
  if (to_drop > left) to_drop = left;
  for (uint64_t i = 0; i < hf->nobjects; i++) {
    kept[i] = 0;
    for (uint32_t j = 0; j < hf->external[i]; j++, left--) {
      if (to_drop > 0 && wl_rng_below(&r, left) < to_drop)
        to_drop--;
      else
        kept[i]++;
    }
  }
  return kept;
}

/* Mark what the kept external references reach (explicit stack). */
static int mark_live(const heapfile *hf, const uint32_t *kept,
                     unsigned char *live, uint64_t *nlive) {
  uint32_t *stack = malloc(((size_t)hf->nobjects + 1) * sizeof *stack);
  if (!stack) return -1;
  size_t sp = 0;
  *nlive = 0;
  for (uint64_t i = 0; i < hf->nobjects; i++) {
    if (!kept[i] || live[i]) continue;
    live[i] = 1, (*nlive)++;
    stack[sp++] = (uint32_t)i;
    while (sp > 0) {
      uint32_t o = stack[--sp];
      for (uint64_t k = hf->first[o]; k < hf->first[o + 1]; k++) {
        uint32_t t = hf->target[k];
        if (live[t]) continue;
        live[t] = 1, (*nlive)++;
        stack[sp++] = t; /* each object is pushed once: sp <= N */
      }
    }
  }
  free(stack);
  return 0;
}

/* Unreachable objects reference counting frees: repeatedly free those no
 * remaining object refers to.  Every reference to an unreachable object
 * comes from an unreachable one, so counting all incoming references is
 * counting those from the unreachable set; live targets are skipped. */
static int peel_acyclic(const heapfile *hf, const unsigned char *live,
                        uint64_t *freed) {
  size_t n = (size_t)hf->nobjects + 1;
  uint32_t *count = malloc(n * sizeof *count);
  uint32_t *work = malloc(n * sizeof *work);
  if (!count || !work) {
    free(count), free(work);
    return -1;
  }
  memcpy(count, hf->indegree, (size_t)hf->nobjects * sizeof *count);
  size_t sp = 0;
  for (uint64_t i = 0; i < hf->nobjects; i++)
    if (!live[i] && count[i] == 0) work[sp++] = (uint32_t)i;
  *freed = 0;
  while (sp > 0) {
    uint32_t o = work[--sp];
    (*freed)++;
    for (uint64_t k = hf->first[o]; k < hf->first[o + 1]; k++) {
      uint32_t t = hf->target[k];
      /* a live target may be held only by garbage and its roots */
      if (--count[t] == 0 && !live[t]) work[sp++] = t;
    }
  }
  free(count);
  free(work);
  return 0;
}

static int compute_answer(const heapfile *hf, const uint32_t *kept,
                          wl_answer *ans) {
  unsigned char *live = calloc((size_t)hf->nobjects + 1, 1);
  uint64_t nlive, rc_freed;
  if (!live || mark_live(hf, kept, live, &nlive) ||
      peel_acyclic(hf, live, &rc_freed)) {
    free(live);
    return -1;
  }
  free(live);
  *ans = (wl_answer){0};
  ans->allocated = hf->nobjects;
  ans->live = nlive;
  ans->freed_by_rc = rc_freed;
  ans->cyclic = hf->nobjects - nlive - rc_freed;
  return 0;
}

/* Drop the temporary references to objects 0..n-1. */
static void drop_temps(gc_heap *h, gc_object **tmp, uint64_t n) {
  for (uint64_t i = 0; i < n; i++) gc_decref(h, tmp[i]);
}

static int allocate_all(gc_heap *h, const heapfile *hf, double scale,
                        gc_object **tmp) {
  for (uint64_t i = 0; i < hf->nobjects; i++) {
    uint32_t payload = (uint32_t)((double)hf->payload[i] * scale);
    tmp[i] = gc_new(h, heapfile_nslots(hf, i), payload);
    if (!tmp[i]) {
      drop_temps(h, tmp, i);
      return WL_ENOMEM;
    }
  }
  return WL_OK;
}

static int push_roots(gc_heap *h, const heapfile *hf, const uint32_t *kept,
                      gc_object **tmp) {
  for (uint64_t i = 0; i < hf->nobjects; i++)
    for (uint32_t j = 0; j < kept[i]; j++)
      if (gc_root_push(h, tmp[i]) < 0) return WL_ENOMEM;
  return WL_OK;
}

/* The largest payload after scaling must still fit the model. */
static int check_scale(const heapfile *hf, double scale, char *err,
                       size_t errlen) {
  uint32_t max = 0;
  for (uint64_t i = 0; i < hf->nobjects; i++)
    if (hf->payload[i] > max) max = hf->payload[i];
  if ((double)max * scale > (double)GC_MAX_PAYLOAD) {
    snprintf(err, errlen,
             "payload_scale=%g makes a %u-byte payload larger than the "
             "model's %u (use a smaller payload_scale)",
             scale, max, (unsigned)GC_MAX_PAYLOAD);
    return WL_EINPUT;
  }
  return WL_OK;
}

int heapfile_build(gc_heap *h, const heapfile *hf, const heapfile_drop *drop,
                   double payload_scale, uint64_t seed, wl_answer *ans,
                   char *err, size_t errlen) {
  *ans = (wl_answer){0};
  int rc = check_scale(hf, payload_scale, err, errlen);
  if (rc) return rc;
  uint32_t *kept = kept_refs(hf, drop, seed);
  gc_object **tmp = malloc(((size_t)hf->nobjects + 1) * sizeof *tmp);
  if (!kept || !tmp || compute_answer(hf, kept, ans)) {
    free(kept), free(tmp);
    *ans = (wl_answer){0};
    return WL_ENOMEM;
  }
  rc = allocate_all(h, hf, payload_scale, tmp);
  if (rc == WL_OK) {
    for (uint64_t i = 0; i < hf->nobjects; i++)
      for (uint64_t k = hf->first[i]; k < hf->first[i + 1]; k++)
        gc_slot_set(h, tmp[i], (uint32_t)(k - hf->first[i]),
                    tmp[hf->target[k]]);
    rc = push_roots(h, hf, kept, tmp);
    drop_temps(h, tmp, hf->nobjects);
  }
  free(kept);
  free(tmp);
  return rc;
}

static int snapshot_run(gc_heap *h, const gc_param_set *p, uint64_t seed,
                        wl_answer *ans, char *err, size_t errlen) {
  *ans = (wl_answer){0};
  const char *file = gc_params_str(p, "file");
  if (!file || !*file) {
    snprintf(err, errlen,
             "parameter 'file' is required (-p file=PATH to a gcheap 1 "
             "file)");
    return WL_EINPUT;
  }
  heapfile_drop drop;
  if (heapfile_parse_drop(gc_params_str(p, "drop"), &drop, err, errlen))
    return WL_EINPUT;
  heapfile hf;
  int rc = heapfile_load(file, &hf, err, errlen);
  if (rc == HEAPFILE_ENOMEM) return WL_ENOMEM;
  if (rc != HEAPFILE_OK) return WL_EINPUT;
  rc = heapfile_build(h, &hf, &drop, gc_params_num(p, "payload_scale"), seed,
                      ans, err, errlen);
  heapfile_free(&hf);
  return rc;
}

const workload wl_snapshot = {
    .name = "snapshot",
    .summary = "a heap graph read from a gcheap 1 file (e.g. a CPython heap)",
    .params = snapshot_params,
    .nparams = sizeof snapshot_params / sizeof snapshot_params[0],
    .run = snapshot_run,
};
