/*
 * snapshot.c -- replays a heap graph read from a "gcheap" file (versions 1
 * to 3, plain or gzipped; heapfile.h), e.g. one written from a live CPython
 * process by scripts/snapshot-python.  A file of version 1 or 2 has no
 * `end` line to prove it whole: it loads with a one-line warning on stderr
 * (once per process and file name).
 *
 * The file is parsed and checked completely before any object exists.  Then
 * every object is allocated and held by one temporary reference, the slots
 * are stored, each object's kept external references become one root-table
 * entry holding them all (gc_root_push_n_steal, which takes over the
 * temporary reference), and the other temporary references are dropped.
 * Loading, the answer and the oracle cost O(objects + references), never
 * O(sum of the counts): a CPython 3.12+ heap's immortal objects carry
 * counts near 2^30..2^32.  While the temporaries exist
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
    {"file", GC_P_STR, "", 0, 0,
     "gcheap file to load, plain or gzipped (required)"},
    {"drop", GC_P_STR, "none", 0, 0,
     "external references to drop: none, all, or a fraction in 0..1 (each "
     "reference with that probability, from the seed); immortal objects "
     "keep theirs"},
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

/* ---- binomial variates ----------------------------------------------------- */

/* Inversion (the waiting-time search over the probabilities, each from the
 * last): expected n * p + 1 steps, for n * p < 10, p <= 1/2. */
static uint32_t binomial_inversion(wl_rng *r, uint32_t n, double p) {
  double q = 1.0 - p, s = p / q, a = ((double)n + 1.0) * s;
  double f = exp((double)n * log1p(-p)); /* P(X = 0) = q^n */
  double u = wl_rng_unit(r);
  uint32_t x = 0;
  while (u > f && x < n) { /* x < n: rounding must not run past n */
    u -= f;
    x++;
    f *= a / (double)x - s; /* P(X = x) from P(X = x - 1) */
  }
  return x;
}

/* Hormann's BTRS ("The generation of binomial random variates", J. Stat.
 * Comput. Simul. 46, 1993): transformed rejection with a squeeze, exact,
 * O(1) expected time, for n * p >= 10, p <= 1/2. */
static uint32_t binomial_btrs(wl_rng *r, uint32_t n, double p) {
  double q = 1.0 - p, dn = (double)n;
  double spq = sqrt(dn * p * q);
  double b = 1.15 + 2.53 * spq;
  double a = -0.0873 + 0.0248 * b + 0.01 * p;
  double c = dn * p + 0.5;
  double vr = 0.92 - 4.2 / b;
  double alpha = (2.83 + 5.1 / b) * spq;
  double lpq = log(p / q);
  double m = floor((dn + 1.0) * p);
  double h = lgamma(m + 1.0) + lgamma(dn - m + 1.0);
  for (;;) {
    double u = wl_rng_unit(r) - 0.5;
    double v = wl_rng_unit(r);
    double us = 0.5 - fabs(u);
    double k = floor((2.0 * a / us + b) * u + c);
    if (k < 0.0 || k > dn) continue;
    if (us >= 0.07 && v <= vr) return (uint32_t)k; /* the squeeze */
    v = log(v * alpha / (a / (us * us) + b));
    if (v <= h - lgamma(k + 1.0) - lgamma(dn - k + 1.0) + (k - m) * lpq)
      return (uint32_t)k;
  }
}

uint32_t heapfile_binomial(wl_rng *r, uint32_t n, double p) {
  if (n == 0 || !(p > 0.0)) return 0;
  if (!(p < 1.0)) return n;
  if (p > 0.5) return n - heapfile_binomial(r, n, 1.0 - p);
  if ((double)n * p < 10.0) return binomial_inversion(r, n, p);
  return binomial_btrs(r, n, p);
}

/* ---- the answer ------------------------------------------------------------- */

/* kept[i] = object i's external references that stay: all of an immortal
 * object's (the interpreter never frees one), and for the others as `drop`
 * says.  A fraction drops each reference independently with that
 * probability, one binomial draw per object from the seed: O(objects)
 * whatever the counts. */
static uint32_t *kept_refs(const heapfile *hf, const heapfile_drop *drop,
                           uint64_t seed) {
  uint32_t *kept = malloc(((size_t)hf->nobjects + 1) * sizeof *kept);
  if (!kept) return NULL;
  wl_rng r;
  wl_rng_seed(&r, seed);
  for (uint64_t i = 0; i < hf->nobjects; i++) {
    uint32_t ext = hf->external[i];
    if (hf->immortal && hf->immortal[i])
      kept[i] = ext;
    else if (drop->mode == HEAPFILE_KEEP_ALL)
      kept[i] = ext;
    else if (drop->mode == HEAPFILE_DROP_ALL)
      kept[i] = 0;
    else
      kept[i] = ext - heapfile_binomial(&r, ext, drop->fraction);
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

/* One root-table entry per object with kept references, holding all of
 * them and taking over the temporary reference (tmp[i] becomes NULL): the
 * count never passes external_refs + incoming, which the parser checked. */
static int push_roots(gc_heap *h, const heapfile *hf, const uint32_t *kept,
                      gc_object **tmp, char *err, size_t errlen) {
  for (uint64_t i = 0; i < hf->nobjects; i++) {
    if (!kept[i]) continue;
    long rc = gc_root_push_n_steal(h, tmp[i], kept[i]);
    if (rc == GC_ENOMEM) return WL_ENOMEM;
    if (rc < 0) { /* the parser's limits make this unreachable */
      snprintf(err, errlen,
               "object %llu: %lu external references overflow its 32-bit "
               "count",
               (unsigned long long)i, (unsigned long)kept[i]);
      return WL_EINPUT;
    }
    tmp[i] = NULL;
  }
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
  /* The sizes the file declares, before anything is allocated: every
   * object at its size class (all of them are held while the references
   * are stored), the object and count arrays and the answer's. */
  double need = 0;
  for (uint64_t i = 0; i < hf->nobjects; i++)
    need += (double)gc_heap_object_cost(
        h, heapfile_nslots(hf, i),
        (uint32_t)((double)hf->payload[i] * payload_scale));
  char what[96];
  snprintf(what, sizeof what, "the snapshot (%llu objects)",
           (unsigned long long)hf->nobjects);
  rc = wl_memory_check(h, what, need,
                       (double)hf->nobjects * (sizeof(gc_object *) + 4 + 9),
                       "lower -p payload_scale (0 leaves the payloads out) "
                       "or load a smaller snapshot",
                       err, errlen);
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
    rc = push_roots(h, hf, kept, tmp, err, errlen);
    drop_temps(h, tmp, hf->nobjects);
  }
  free(kept);
  free(tmp);
  return rc;
}

/* Once per process and file (gcbench loads a file once per benchmark). */
static void warn_unchecked(const char *file, unsigned version) {
  static char last[512];
  if (strncmp(last, file, sizeof last - 1) == 0) return;
  snprintf(last, sizeof last, "%s", file);
  fprintf(stderr,
          "warning: %s is a gcheap %u file, without the 'end' line that "
          "proves a file whole: a cut-short copy would load as a smaller "
          "heap (write it again with scripts/snapshot-python for gcheap 3)\n",
          file, version);
}

static int snapshot_run(gc_heap *h, const gc_param_set *p, uint64_t seed,
                        wl_answer *ans, char *err, size_t errlen) {
  *ans = (wl_answer){0};
  const char *file = gc_params_str(p, "file");
  if (!file || !*file) {
    snprintf(err, errlen,
             "parameter 'file' is required (-p file=PATH to a gcheap "
             "file)");
    return WL_EINPUT;
  }
  heapfile_drop drop;
  if (heapfile_parse_drop(gc_params_str(p, "drop"), &drop, err, errlen))
    return WL_EINPUT;
  heapfile hf;
  int rc = heapfile_load(file, &hf, err, errlen);
  if (rc == HEAPFILE_ENOMEM) return WL_ENOMEM; /* err says so */
  if (rc != HEAPFILE_OK) return WL_EINPUT;
  if (!hf.checked) warn_unchecked(file, hf.version);
  err[0] = 0;
  rc = heapfile_build(h, &hf, &drop, gc_params_num(p, "payload_scale"), seed,
                      ans, err, errlen);
  if (rc == WL_ENOMEM && !err[0])
    snprintf(err, errlen,
             "the %llu objects and %llu references of %s do not fit (try "
             "-p payload_scale=0, which leaves the payloads out, or a "
             "smaller snapshot)",
             (unsigned long long)hf.nobjects, (unsigned long long)hf.nrefs,
             file);
  heapfile_free(&hf);
  return rc;
}

const workload wl_snapshot = {
    .name = "snapshot",
    .summary = "a heap graph read from a gcheap file (e.g. a CPython heap)",
    .params = snapshot_params,
    .nparams = sizeof snapshot_params / sizeof snapshot_params[0],
    .run = snapshot_run,
};
