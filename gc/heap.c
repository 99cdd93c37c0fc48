/*
 * heap.c -- the heap: allocation, iterative release, the root table, the
 * collection driver and statistics.  Collector-independent.
 */
#include <dlfcn.h>
#include <jemalloc/jemalloc.h>
#include <malloc.h>
#include <mimalloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collector.h"

/* ======================================================================
 * Utilities
 * ==================================================================== */

uint64_t gc_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void gc_fatal_(const char *where, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "gcbench: invariant violated (%s): ", where);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  abort();
}

size_t gc_list_size(const gc_link *l) {
  size_t n = 0;
  for (const gc_link *p = l->next; p != l; p = p->next) n++;
  return n;
}

void gc_mem_read(gc_mem_stats *out) {
  memset(out, 0, sizeof *out);
  uint64_t epoch = 1;
  size_t sz = sizeof epoch;
  if (mallctl("epoch", &epoch, &sz, &epoch, sz) != 0) return;
  size_t v;
  sz = sizeof v;
  if (mallctl("stats.allocated", &v, &sz, NULL, 0) == 0) out->allocated = v;
  if (mallctl("stats.active", &v, &sz, NULL, 0) == 0) out->active = v;
  if (mallctl("stats.resident", &v, &sz, NULL, 0) == 0) out->resident = v;
  if (mallctl("stats.mapped", &v, &sz, NULL, 0) == 0) out->mapped = v;
}

int64_t gc_mem_thread_bytes(void) {
  static __thread uint64_t *allocp, *deallocp;
  if (!allocp) {
    size_t sz = sizeof allocp;
    if (mallctl("thread.allocatedp", &allocp, &sz, NULL, 0) != 0 ||
        mallctl("thread.deallocatedp", &deallocp, &sz, NULL, 0) != 0) {
      allocp = deallocp = NULL;
      return 0;
    }
  }
  return (int64_t)(*allocp - *deallocp);
}

uint64_t gc_mem_thread_peak(void) {
  uint64_t v = 0;
  size_t sz = sizeof v;
  if (mallctl("thread.peak.read", &v, &sz, NULL, 0) != 0) return 0;
  return v;
}

void gc_mem_thread_peak_reset(void) {
  mallctl("thread.peak.reset", NULL, NULL, NULL, 0);
}

void gc_mem_trim_(void) {
  char purge[64];
  snprintf(purge, sizeof purge, "arena.%u.purge", (unsigned)MALLCTL_ARENAS_ALL);
  mallctl("thread.tcache.flush", NULL, NULL, NULL, 0);
  mallctl(purge, NULL, NULL, NULL, 0);
  mi_collect(true);
  malloc_trim(0);
}

/* ======================================================================
 * Heap tunables (every collector accepts these)
 * ==================================================================== */

static const gc_param_def heap_tunables[] = {
    {"auto", GC_P_INT, "1", 0, 1,
     "automatic collection on allocation (0: only explicit gc_collect)"},
    {"max_bytes", GC_P_INT, "0", 0, 1e15,
     "memory budget of the live objects, each counted at the allocator's "
     "size class: gc_new fails past it (0: 80% of physical memory)"},
    {"legacy_finalizers", GC_P_INT, "0", 0, 1,
     "1: as Python < 3.4, unreachable cycles with finalizers go to "
     "gc.garbage uncollected"},
    {"fail_alloc", GC_P_INT, "0", 0, 1e15,
     "failure injection: the Nth allocation (objects, root table) fails "
     "(0: off)"},
    {"fail_rate", GC_P_REAL, "0", 0, 1,
     "failure injection: each allocation fails with this probability"},
    {"fail_collector", GC_P_REAL, "0", 0, 1,
     "failure injection: each growth of a collector's own arrays (trial's "
     "stack and root buffer) fails with this probability, which the "
     "collector must survive"},
    {"fail_seed", GC_P_INT, "1", 0, 1e18,
     "seed of fail_rate's and fail_collector's choices"},
    {"cookie", GC_P_INT, "0", 0, 1,
     "1: payloads (at least 16 bytes) carry a pattern from the object's "
     "serial, checked when traversed and freed; freed payloads are poisoned"},
    {"allocator", GC_P_STR, "jemalloc", 0, 0,
     "where objects come from: jemalloc (sized mallocx/sdallocx), mimalloc "
     "(a mimalloc heap of the gcbench heap's own), libc (glibc's malloc)"},
    {"count", GC_P_STR, "trackable", 0, 0,
     "what the allocation trigger and the heap size count: trackable (every "
     "object but atoms, at allocation and free: CPython up to 3.14.0, its "
     "_PyObject_GC_Link) or tracked (objects as they are tracked, untracked "
     "and freed while tracked: gh-140262, 3.14.1 on)"},
    {"tuple_untracked", GC_P_INT, "0", 0, 1,
     "1: a GC_NEW_TUPLE object starts untracked and is tracked when a slot "
     "store gives it an object that may be tracked (gh-140262's tuples "
     "built from known items); 0: it starts tracked"},
    {"dict_untracked", GC_P_INT, "0", 0, 1,
     "1: a GC_NEW_DICT object starts untracked and is tracked when a slot "
     "store gives it an object that may be tracked (CPython 3.11-3.13's "
     "MAINTAIN_TRACKING); 0: it starts tracked (3.14)"},
};

/* The C library's allocator, looked up in libc itself: jemalloc takes
 * `malloc` over in a program that links it, and mimalloc's library
 * exports `__libc_malloc` too. */
static void *(*libc_malloc)(size_t);
static void (*libc_free)(void *);
static int libc_resolve(void) {
  if (libc_malloc) return 0;
  void *c = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
  if (!c) return -1;
  void *m = dlsym(c, "__libc_malloc"), *f = dlsym(c, "__libc_free");
  dlclose(c); /* it stays loaded: the program links it */
  if (!m || !f) return -1;
  libc_free = (void (*)(void *))f;
  libc_malloc = (void *(*)(size_t))m;
  return 0;
}

static const char *const alloc_names[] = {"jemalloc", "mimalloc", "libc",
                                          "system"};

static void size_class_table(gc_heap *h);

/* 80% of physical memory, the default live-byte budget: an impossible size
 * then fails cleanly (gcrun exit 3) instead of meeting the OOM killer. */
static uint64_t default_budget(void) {
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return UINT64_MAX;
  return (uint64_t)pages / 5 * 4 * (uint64_t)page;
}

const gc_param_def *gc_heap_tunables(size_t *n) {
  *n = sizeof heap_tunables / sizeof heap_tunables[0];
  return heap_tunables;
}

/* Split "k=v,k=v" between the heap's table and the collector's. */
static int parse_tunables(const char *list, gc_param_set *heap_set,
                          gc_param_set *col_set, const char *cname, char *err,
                          size_t errlen) {
  if (!list || !*list) return 0;
  size_t len = strlen(list);
  char *copy = malloc(len + 1);
  if (!copy) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  memcpy(copy, list, len + 1);
  int rc = 0;
  char *save = NULL;
  for (char *tok = strtok_r(copy, ",", &save); tok && rc == 0;
       tok = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(tok, '=');
    if (!eq || eq == tok) {
      snprintf(err, errlen, "tunable '%s' is not of the form key=value", tok);
      rc = -1;
      break;
    }
    *eq = 0;
    gc_param_set *set = gc_params_find(heap_set, tok) >= 0 ? heap_set : col_set;
    char inner[256];
    rc = gc_params_set(set, tok, eq + 1, inner, sizeof inner);
    if (rc != 0) {
      if (set == col_set && gc_params_find(col_set, tok) < 0) {
        char known[256] = "";
        size_t used = 0;
        for (size_t i = 0; i < heap_set->n + col_set->n; i++) {
          const char *nm = i < heap_set->n ? heap_set->defs[i].name
                                          : col_set->defs[i - heap_set->n].name;
          int w = snprintf(known + used, sizeof known - used, "%s%s",
                           used ? ", " : "", nm);
          if (w < 0 || (size_t)w >= sizeof known - used) break;
          used += (size_t)w;
        }
        snprintf(err, errlen,
                 "collector '%s' has no tunable '%s' (known: %s); see "
                 "'gcrun --list'",
                 cname, tok, known);
      } else {
        snprintf(err, errlen, "collector '%s': %s", cname, inner);
      }
    }
  }
  free(copy);
  return rc;
}

/* The tunables a heap of collector or profile `name` runs with: the
 * heap's table in *hset, the collector's in *cset, every value in effect
 * (defaults, then the profile's, then `list`'s "k=v,k=v", which win).
 * The allocator is the one the heap will use: a heap-walking collector's
 * objects are a mimalloc heap's blocks, so its allocator is mimalloc when
 * none was given, and any other one given is refused.  Returns the
 * collector, or NULL with one line in err and both sets freed. */
static const gc_collector *resolve_tunables(const char *name, const char *list,
                                            gc_param_set *hset,
                                            gc_param_set *cset, char *err,
                                            size_t errlen) {
  const gc_profile *prof;
  const gc_collector *c = gc_collector_resolve_(name, &prof);
  if (!c) {
    size_t n, np;
    const gc_collector *const *all = gc_collector_list(&n);
    const gc_profile *pall = gc_profile_list(&np);
    char known[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < n + np; i++) {
      int w = snprintf(known + used, sizeof known - used, "%s%s",
                       i == n ? "; profiles: " : i ? ", " : "",
                       i < n ? all[i]->name : pall[i - n].name);
      if (w < 0 || (size_t)w >= sizeof known - used) break;
      used += (size_t)w;
    }
    snprintf(err, errlen, "unknown collector or profile '%s' (collectors: %s)",
             name ? name : "(null)", known);
    return NULL;
  }
  size_t nh;
  const gc_param_def *hdefs = gc_heap_tunables(&nh);
  if (gc_params_init(hset, hdefs, nh) != 0 ||
      gc_params_init(cset, c->tunables, c->ntunables) != 0) {
    snprintf(err, errlen, "internal error: bad tunable table for '%s'",
             c->name);
    gc_params_free(hset);
    return NULL;
  }
  /* A profile's tunables first, the caller's after them (and win). */
  if ((prof && parse_tunables(prof->tunables, hset, cset, c->name, err,
                              errlen) != 0) ||
      parse_tunables(list, hset, cset, c->name, err, errlen) != 0)
    goto fail;
  const char *an = gc_params_str(hset, "allocator");
  int known = 0;
  for (int a = 0; a < GC_ALLOC_SYSTEM; a++) known |= !strcmp(an, alloc_names[a]);
  if (!known) {
    snprintf(err, errlen,
             "unknown allocator '%s': jemalloc, mimalloc or libc", an);
    goto fail;
  }
  const char *cn = gc_params_str(hset, "count");
  if (strcmp(cn, "trackable") && strcmp(cn, "tracked")) {
    snprintf(err, errlen, "unknown count '%s': trackable or tracked", cn);
    goto fail;
  }
  if (c->heap_walk && strcmp(an, alloc_names[GC_ALLOC_MIMALLOC])) {
    if (hset->given[gc_params_find(hset, "allocator")]) {
      snprintf(err, errlen,
               "collector '%s' finds its objects by walking a mimalloc heap: "
               "use allocator=mimalloc (or leave allocator unset)",
               c->name);
      goto fail;
    }
    if (gc_params_set(hset, "allocator", alloc_names[GC_ALLOC_MIMALLOC], err,
                      errlen) != 0)
      goto fail;
  }
  return c;
fail:
  gc_params_free(hset);
  gc_params_free(cset);
  return NULL;
}

int gc_tunables_json(const char *name, const char *tunables, FILE *f,
                     char *err, size_t errlen) {
  gc_param_set hset, cset, all;
  const gc_collector *c = resolve_tunables(name, tunables, &hset, &cset, err,
                                           errlen);
  if (!c) return -1;
  /* One object, the heap's tunables then the collector's, typed by the
   * tables as "params" is. */
  gc_param_def defs[GC_PARAMS_MAX];
  size_t n = hset.n + cset.n;
  int rc = -1;
  if (n > GC_PARAMS_MAX) {
    snprintf(err, errlen, "internal error: more than %d tunables for '%s'",
             GC_PARAMS_MAX, c->name);
  } else {
    for (size_t i = 0; i < n; i++)
      defs[i] = i < hset.n ? hset.defs[i] : cset.defs[i - hset.n];
    rc = gc_params_init(&all, defs, n);
    for (size_t i = 0; rc == 0 && i < n; i++)
      rc = gc_params_set(&all, defs[i].name,
                         i < hset.n ? hset.str[i] : cset.str[i - hset.n], err,
                         errlen);
    if (rc == 0) gc_params_json(&all, f);
    gc_params_free(&all);
  }
  gc_params_free(&hset);
  gc_params_free(&cset);
  return rc;
}

/* ======================================================================
 * Creation and destruction
 * ==================================================================== */

gc_heap *gc_heap_new(const char *name, const char *tunables, char *err,
                     size_t errlen) {
  char dummy[8];
  if (!err) {
    err = dummy;
    errlen = sizeof dummy;
  }
  gc_param_set hset, cset;
  const gc_collector *c = resolve_tunables(name, tunables, &hset, &cset, err,
                                           errlen);
  if (!c) return NULL;
  gc_heap *h = calloc(1, sizeof *h);
  void *state = c->state_size ? calloc(1, c->state_size) : NULL;
  if (!h || (c->state_size && !state)) {
    free(h);
    free(state);
    h = NULL;
    snprintf(err, errlen, "out of memory creating the heap");
    goto out;
  }
  h->collector = c;
  h->state = state;
  for (int g = 0; g < GC_NGENS; g++) gc_list_init(&h->gens[g]);
  gc_list_init(&h->untracked);
  h->count_tracked = !strcmp(gc_params_str(&hset, "count"), "tracked");
  h->tuple_untracked = (int)gc_params_int(&hset, "tuple_untracked");
  h->dict_untracked = (int)gc_params_int(&hset, "dict_untracked");
  h->hot.wants_roots = c->possible_root != NULL;
  h->auto_on = gc_params_int(&hset, "auto") != 0;
  h->max_bytes = (uint64_t)gc_params_int(&hset, "max_bytes");
  h->truncate_to = SIZE_MAX;
  h->legacy_finalizers = (int)gc_params_int(&hset, "legacy_finalizers");
  h->fail_at = (uint64_t)gc_params_int(&hset, "fail_alloc");
  h->fail_rate = gc_params_num(&hset, "fail_rate");
  h->fail_collector = gc_params_num(&hset, "fail_collector");
  h->fail_rng = (uint64_t)gc_params_int(&hset, "fail_seed") * 2 + 1;
  h->cookie = (int)gc_params_int(&hset, "cookie");
  h->checked = h->fail_at || h->fail_rate > 0 || h->cookie;
  /* resolve_tunables checked the name (a heap walker's is mimalloc) */
  const char *an = gc_params_str(&hset, "allocator");
  for (int a = 0; a < GC_ALLOC_SYSTEM; a++)
    if (!strcmp(an, alloc_names[a])) h->alloc = a;
  const char *m = getenv("GCBENCH_MALLOC");
#ifdef GC_SYSTEM_MALLOC
  m = "system";
#endif
  /* A heap walker's objects are the blocks of a mimalloc heap: no
   * checker's malloc either (sanitizer builds still check everything
   * else). */
  if (c->heap_walk) m = NULL;
  h->link_bytes = c->heap_walk ? 0 : sizeof(gc_link);
  if (m && strcmp(m, "system") == 0) h->alloc = GC_ALLOC_SYSTEM;
  if (h->alloc == GC_ALLOC_LIBC && libc_resolve() != 0) {
    snprintf(err, errlen, "allocator libc: glibc's __libc_malloc not found");
    free(h->state);
    free(h);
    h = NULL;
    goto out;
  }
  if (h->alloc == GC_ALLOC_MIMALLOC && !(h->mi_heap = mi_heap_new())) {
    snprintf(err, errlen, "out of memory creating the heap (mimalloc)");
    free(h->state);
    free(h);
    h = NULL;
    goto out;
  }
  if (h->max_bytes == 0) h->max_bytes = default_budget();
  size_class_table(h);
  h->trigger = UINT64_MAX;
  h->t_origin = gc_now_ns();
  h->next_sample = UINT64_MAX;
  if (c->init(h, &cset, err, errlen) != GC_OK) {
    free(h->state);
    free(h);
    h = NULL;
    goto out;
  }
  if (!h->auto_on) h->trigger = UINT64_MAX;
out:
  gc_params_free(&hset);
  gc_params_free(&cset);
  return h;
}

/* The bytes a request of `bytes` really takes from the object allocator:
 * jemalloc's size class (nallocx), mimalloc's (mi_good_size), or the C
 * library's chunk (the request plus its 8-byte size field, rounded up to
 * 16, at least 32: what malloc_usable_size reports plus that field).
 * Deterministic, so the budget adds and subtracts the same figure for an
 * object. */
static uint64_t size_class_of(const gc_heap *h, size_t bytes) {
  size_t c = 0;
  if (h->alloc == GC_ALLOC_JEMALLOC) c = nallocx(bytes ? bytes : 1, 0);
  if (h->alloc == GC_ALLOC_MIMALLOC) c = mi_good_size(bytes ? bytes : 1);
  if (c) return c;
  uint64_t k = ((uint64_t)bytes + 8 + 15) & ~(uint64_t)15;
  return k < 32 ? 32 : k;
}

static void size_class_table(gc_heap *h) {
  for (size_t i = 0; i <= GC_CLASS_TABLE_MAX / 16; i++)
    h->size_class[i] = (uint16_t)size_class_of(h, i * 16);
}

/* The class of one object of `bytes`: a table load for the usual sizes. */
static inline uint64_t object_cost(const gc_heap *h, size_t bytes) {
#ifdef GC_SYSTEM_MALLOC
  return size_class_of(h, bytes); /* exact: the table rounds up to 16 */
#endif
  if (gc_likely(bytes <= GC_CLASS_TABLE_MAX))
    return h->size_class[(bytes + 15) >> 4];
  return size_class_of(h, bytes);
}

uint64_t gc_heap_object_cost(const gc_heap *h, uint32_t nslots,
                             uint32_t payload) {
  return object_cost(h, h->link_bytes + sizeof(gc_object) +
                            (size_t)nslots * sizeof(gc_object *) + payload);
}

uint64_t gc_heap_object_bytes(const gc_heap *h, uint32_t nslots,
                              uint32_t payload) {
  return h->link_bytes + sizeof(gc_object) +
         (uint64_t)nslots * sizeof(gc_object *) + payload;
}

uint64_t gc_heap_budget(const gc_heap *h) { return h->max_bytes; }

/* Object memory, from the heap's allocator: jemalloc's sized calls,
 * mimalloc's heap of this gcbench heap (sized free), or glibc's malloc.
 * Where a checker must see every object to catch a use after free,
 * plain malloc/free instead: AddressSanitizer builds always, and
 * GCBENCH_MALLOC=system in the environment (read when a heap is created;
 * for Valgrind) at run time. */
static inline void *alloc_memory(const gc_heap *h, size_t bytes) {
  switch (h->alloc) {
  case GC_ALLOC_JEMALLOC: return mallocx(bytes, 0);
  case GC_ALLOC_MIMALLOC: return mi_heap_malloc(h->mi_heap, bytes);
  case GC_ALLOC_LIBC: return libc_malloc(bytes);
  default: return malloc(bytes);
  }
}
static inline void free_memory(const gc_heap *h, gc_object *o) {
  void *m = o->linked ? (void *)gc_link_of(o) : (void *)o;
  switch (h->alloc) {
  case GC_ALLOC_JEMALLOC: sdallocx(m, gc_object_bytes(o), 0); break;
  case GC_ALLOC_MIMALLOC: mi_free_size(m, gc_object_bytes(o)); break;
  case GC_ALLOC_LIBC: libc_free(m); break;
  default: free(m);
  }
}

const char *gc_heap_allocator(const gc_heap *h) { return alloc_names[h->alloc]; }

/* The allocator's own figures, under its own names. */
void gc_heap_mem_read(const gc_heap *h, gc_alloc_stats *out) {
  memset(out, 0, sizeof *out);
  out->allocator = alloc_names[h->alloc];
#define STAT(k, v) (out->name[out->n] = (k), out->value[out->n++] = (v))
  switch (h->alloc) {
  case GC_ALLOC_JEMALLOC: {
    gc_mem_stats m;
    gc_mem_read(&m);
    STAT("stats.allocated", m.allocated);
    STAT("stats.active", m.active);
    STAT("stats.resident", m.resident);
    STAT("stats.mapped", m.mapped);
    out->resident = m.resident;
    break;
  }
  case GC_ALLOC_MIMALLOC: {
    size_t el, us, sy, rss, prss, com, pcom, pf;
    mi_process_info(&el, &us, &sy, &rss, &prss, &com, &pcom, &pf);
    STAT("current_commit", com);
    STAT("peak_commit", pcom);
    STAT("current_rss", rss);
    STAT("peak_rss", prss);
    out->resident = com;
    break;
  }
  default: { /* glibc's arenas, where malloc is the C library's */
    struct mallinfo2 mi = mallinfo2();
    STAT("uordblks", mi.uordblks);
    STAT("fordblks", mi.fordblks);
    STAT("arena", mi.arena);
    STAT("hblkhd", mi.hblkhd);
    out->resident = mi.arena + mi.hblkhd;
    break;
  }
  }
#undef STAT
}

void gc_heap_free(gc_heap *h) {
  if (!h) return;
  for (int g = 0; g <= GC_NGENS; g++) {
    gc_link *l = g < GC_NGENS ? &h->gens[g] : &h->untracked;
    while (!gc_list_empty(l)) {
      gc_link *n = l->next;
      gc_list_unlink(n);
      free_memory(h, gc_obj(n));
    }
  }
  if (h->collector->fini) h->collector->fini(h);
  /* Without lists the objects are found in the mimalloc heap only: destroy
   * frees every block of it at once. */
  if (h->mi_heap && !h->link_bytes) mi_heap_destroy(h->mi_heap);
  else if (h->mi_heap) mi_heap_delete(h->mi_heap);
  free(h->state);
  free(h->garbage);
  free(h->roots);
  free(h->root_refs);
  free(h->records);
  free(h);
}

const gc_collector *gc_heap_collector(const gc_heap *h) {
  return h->collector;
}
const gc_heap_stats *gc_heap_get_stats(const gc_heap *h) { return &h->stats; }
const gc_collection_record *gc_heap_records(const gc_heap *h, size_t *n) {
  *n = h->nrecords;
  return h->records;
}

/* ======================================================================
 * Allocation and release
 * ==================================================================== */

/* ----------------------------------------------------------------------
 * Failure injection and payload cookies (heap tunables; off by default, one
 * predictable branch on h->checked when off)
 * -------------------------------------------------------------------- */

/* A uniform draw in [0, 1) from xorshift64*: the heap's own stream,
 * reproducible from fail_seed. */
static double fail_draw(gc_heap *h) {
  uint64_t x = h->fail_rng;
  x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
  h->fail_rng = x;
  return (double)((x * 0x2545f4914f6cdd1dULL) >> 11) / 9007199254740992.0;
}

/* 1 if this allocation is to fail. */
static int inject_failure(gc_heap *h) {
  if (!h->fail_at && h->fail_rate <= 0) return 0;
  h->fail_count++;
  if (h->fail_at && h->fail_count == h->fail_at) {
    h->stats.injected_failures++;
    return 1;
  }
  if (h->fail_rate > 0 && fail_draw(h) < h->fail_rate) {
    h->stats.injected_failures++;
    return 1;
  }
  return 0;
}

int gc_grow_fails_(gc_heap *h) {
  if (h->fail_collector <= 0 || fail_draw(h) >= h->fail_collector) return 0;
  h->stats.injected_failures++;
  return 1;
}

#define COOKIE_MIN 16
#define COOKIE_POISON 0xdb

static inline uint8_t cookie_byte(uint64_t serial, uint32_t i) {
  uint64_t x = (serial + i / 8) * 0x9e3779b97f4a7c15ULL;
  return (uint8_t)(x >> (8 * (i % 8))) ^ (uint8_t)i;
}

/* Payload: the serial (8 bytes), then the pattern from it. */
static void cookie_write(gc_object *o, uint64_t serial) {
  unsigned char *p = gc_payload(o);
  uint32_t n = gc_payload_size(o);
  memcpy(p, &serial, sizeof serial);
  for (uint32_t i = sizeof serial; i < n; i++) p[i] = cookie_byte(serial, i);
}

int gc_cookie_ok(const gc_heap *h, gc_object *o) {
  if (!h->cookie) return 1;
  const unsigned char *p = gc_payload(o);
  uint32_t n = gc_payload_size(o);
  if (n < COOKIE_MIN) return 0;
  uint64_t serial;
  memcpy(&serial, p, sizeof serial);
  if (serial == 0 || serial > h->stats.objects_allocated) return 0;
  for (uint32_t i = sizeof serial; i < n; i++)
    if (p[i] != cookie_byte(serial, i)) return 0;
  return 1;
}

static void cookie_check(const gc_heap *h, gc_object *o, const char *where) {
  if (!gc_cookie_ok(h, o))
    gc_fatal_(where,
              "payload cookie of object %p is damaged: it was freed too "
              "early or written over",
              (void *)o);
}

/* ----------------------------------------------------------------------
 * What the trigger counts (tunable count): an object is counted in when
 * allocated or tracked, out when freed or untracked, by the heap's rule.
 * -------------------------------------------------------------------- */

/* o counts now: under count=tracked while it is tracked, else unless it is
 * an atom (which CPython does not allocate as a GC object at all). */
static inline int counted(const gc_heap *h, const gc_object *o) {
  return h->count_tracked ? !o->untracked : o->kind != GC_KIND_ATOM;
}
static inline void count_in(gc_heap *h) {
  h->alloc_since++;
  h->counted_in++;
}
/* Under net_count the young count drops too, never below zero (CPython's
 * PyObject_GC_Del: if (count > 0) count--). */
static inline void count_out(gc_heap *h) {
  if (h->net_count && h->alloc_since) h->alloc_since--;
  h->counted_out++;
}

/* gc_new and gc_new_ex; inlined into both, so that gc_new's flags are the
 * constant 0. */
static inline __attribute__((always_inline)) gc_object *
new_object(gc_heap *h, uint32_t nslots, uint32_t payload, unsigned flags) {
  if (nslots > GC_MAX_SLOTS || payload > GC_MAX_PAYLOAD) return NULL;
  if (gc_unlikely(h->checked)) {
    if (inject_failure(h)) return NULL;
    if (h->cookie && payload < COOKIE_MIN) payload = COOKIE_MIN;
  }
  if (gc_unlikely(h->alloc_since >= h->trigger) && !h->in_collection &&
      !h->defer_auto)
    h->collector->auto_collect(h);
  if (gc_unlikely(h->stats.objects_allocated >= h->next_sample)) {
    h->next_sample += h->sample_every;
    h->sample(h, h->sample_arg);
  }
  size_t slot_bytes = (size_t)nslots * sizeof(gc_object *);
  const size_t link = h->link_bytes;
  size_t bytes = link + sizeof(gc_object) + slot_bytes + payload;
  uint64_t cost = object_cost(h, bytes);
  if (gc_unlikely(h->budget_used + cost > h->max_bytes)) return NULL;
  char *m = alloc_memory(h, bytes);
  if (gc_unlikely(!m)) return NULL;
  gc_object *o = (gc_object *)(m + link);
  o->refcnt = 1;
  o->gc_refs = 0;
  o->nslots = nslots;
  o->one_target = 0;
  o->linked = link != 0;
  o->info = payload << GC_PAYLOAD_SHIFT; /* BLACK, generation 0 */
  o->untracked = 0;
  o->kind = GC_KIND_PLAIN;
  memset(gc_slots(o), 0, slot_bytes + payload);
  if (gc_unlikely(flags)) {
    o->kind = flags & GC_NEW_TUPLE  ? GC_KIND_TUPLE
              : flags & GC_NEW_DICT ? GC_KIND_DICT
                                    : GC_KIND_ATOM;
    o->untracked = (flags & GC_NEW_UNTRACKED) ||
                   (o->kind == GC_KIND_TUPLE && h->tuple_untracked) ||
                   (o->kind == GC_KIND_DICT && h->dict_untracked);
    h->stats.live_untracked += o->untracked;
    h->made_kinds |= flags & (GC_NEW_TUPLE | GC_NEW_DICT);
  }
  if (link)
    gc_list_append(gc_unlikely(o->untracked) ? &h->untracked : &h->gens[0],
                   gc_link_of(o));
  if (!flags || counted(h, o)) count_in(h); /* gc_new's objects count */
  h->stats.objects_allocated++;
  if (gc_unlikely(h->cookie)) cookie_write(o, h->stats.objects_allocated);
  h->stats.live_objects++;
  h->stats.live_bytes += bytes;
  h->budget_used += cost;
  if (h->budget_used > h->budget_peak) h->budget_peak = h->budget_used;
  if (h->stats.live_bytes > h->stats.peak_live_bytes)
    h->stats.peak_live_bytes = h->stats.live_bytes;
  return o;
}

gc_object *gc_new(gc_heap *h, uint32_t nslots, uint32_t payload) {
  return new_object(h, nslots, payload, 0);
}

gc_object *gc_new_ex(gc_heap *h, uint32_t nslots, uint32_t payload,
                     unsigned flags) {
  if ((flags & ~(GC_NEW_UNTRACKED | GC_NEW_TUPLE | GC_NEW_DICT)) ||
      (flags & (GC_NEW_TUPLE | GC_NEW_DICT)) == (GC_NEW_TUPLE | GC_NEW_DICT))
    return NULL;
  return new_object(h, nslots, payload, flags);
}

/* ----------------------------------------------------------------------
 * Tracking and untracking
 * -------------------------------------------------------------------- */

/* o (tracked) leaves the collector's view: out of the root buffer unless
 * the collector buffers untracked objects, off its list onto the untracked
 * one, generation 0. */
static void untrack_now(gc_heap *h, gc_object *o) {
  if ((o->info & GC_F_BUFFERED) && !h->buffer_untracked) {
    h->collector->forget(h, o);
    gc_set_color(o, GC_BLACK);
  }
  if (o->linked) {
    gc_list_move(&h->untracked, gc_link_of(o));
    gc_set_gen(o, 0);
  }
  o->untracked = 1;
  h->stats.live_untracked++;
  if (h->count_tracked) count_out(h);
}

void gc_untrack_by_collector_(gc_heap *h, gc_object *o) {
  untrack_now(h, o);
  h->stats.untracked_by_collector++;
}

int gc_untrack(gc_heap *h, gc_object *o) {
  if (!o) return GC_EINVAL;
  if (o->untracked) return GC_OK;
  gc_object **s = gc_slots(o);
  for (uint32_t i = 0, n = o->nslots; i < n; i++)
    if (s[i] && gc_may_be_tracked_(s[i])) return GC_EINVAL;
  /* In the set a running collection examines (a finalizer's call): its
   * colour, flags or (without lists) generation bits are the
   * collection's. */
  if (h->in_collection &&
      ((o->info & (GC_F_COLOR_MASK | GC_F_COLLECTING)) ||
       ((o->info & GC_F_BUFFERED) && !h->buffer_untracked) ||
       (!o->linked && gc_get_gen(o))))
    return GC_EINVAL;
  untrack_now(h, o);
  return GC_OK;
}

int gc_track(gc_heap *h, gc_object *o) {
  if (!o) return GC_EINVAL;
  if (!o->untracked) return GC_OK;
  o->untracked = 0;
  h->stats.live_untracked--;
  if (o->linked) {
    gc_set_gen(o, 0);
    gc_list_move(&h->gens[0], gc_link_of(o));
  }
  if (h->count_tracked) count_in(h);
  return GC_OK;
}

/* MAINTAIN_TRACKING: an untracked holder is tracked when it receives
 * anything that may be tracked (CPython's test, for every holder), so that
 * no later store can leave a tracked object in an untracked one; an
 * acyclic holder (a Nim {.acyclic.} object, an atom with slots) may hold
 * atoms and built untracked tuples and stay untracked. */
void gc_store_untracked_(gc_heap *h, gc_object *o, gc_object *v) {
  if (!gc_may_be_tracked_(v)) return;
  gc_track(h, o);
  h->stats.tracked_by_store++;
}

uint64_t gc_untrack_list_(gc_heap *h, gc_link *l, int tuples, int dicts) {
  uint64_t n = 0;
  /* Nothing to untrack on a heap that never made a tuple (a dict): the
   * pass would read every survivor's header for nothing (it made
   * generational's trees and growth runs 6-8% slower). */
  tuples = tuples && (h->made_kinds & GC_NEW_TUPLE);
  dicts = dicts && (h->made_kinds & GC_NEW_DICT);
  if (!tuples && !dicts) return 0;
  for (gc_link *p = l->next, *next; p != l; p = next) {
    next = p->next;
    gc_object *o = gc_obj(p);
    if ((tuples && o->kind == GC_KIND_TUPLE && gc_tuple_untrackable_(o)) ||
        (dicts && o->kind == GC_KIND_DICT && gc_dict_untrackable_(o))) {
      gc_untrack_by_collector_(h, o);
      n++;
    }
  }
  return n;
}

int gc_tuple_untrackable_(const gc_object *o) {
  gc_object *const *s = gc_slots((gc_object *)o);
  for (uint32_t i = 0, n = o->nslots; i < n; i++)
    if (!s[i] || gc_may_be_tracked_(s[i])) return 0;
  return 1;
}

int gc_dict_untrackable_(const gc_object *o) {
  gc_object *const *s = gc_slots((gc_object *)o);
  for (uint32_t i = 0, n = o->nslots; i < n; i++)
    if (s[i] && gc_may_be_tracked_(s[i])) return 0;
  return 1;
}

/* Return o's memory; o is unlinked already. */
static inline void free_object(gc_heap *h, gc_object *o) {
  if (gc_unlikely(o->info & GC_F_BUFFERED)) h->collector->forget(h, o);
  if (gc_unlikely(h->cookie)) {
    cookie_check(h, o, "free");
    memset(gc_payload(o), COOKIE_POISON, gc_payload_size(o));
  }
  size_t bytes = gc_object_bytes(o);
  if (h->in_collection) {
    h->stats.freed_by_collector++;
    h->stats.freed_bytes_by_collector += bytes;
  } else {
    h->stats.freed_by_rc++;
  }
  if (gc_likely(counted(h, o))) count_out(h);
  if (gc_unlikely(o->untracked)) h->stats.live_untracked--;
  h->stats.live_objects--;
  h->stats.live_bytes -= bytes;
  h->budget_used -= object_cost(h, bytes);
  free_memory(h, o);
}

static inline int finalizer_pending(const gc_object *o) {
  return (o->info & (GC_F_FINALIZER | GC_F_FINALIZED)) == GC_F_FINALIZER;
}

/* o's count has just reached zero and its finalizer has not run: run it,
 * with o held by a temporary reference.  Returns 1 if o is to be released,
 * 0 if the finalizer resurrected it.  Automatic collections wait until the
 * finalizer returns (the release in progress holds objects off the lists). */
static int finalize_at_zero(gc_heap *h, gc_object *o) {
  o->info |= GC_F_FINALIZED;
  o->refcnt = 1;
  h->stats.finalizers_run++;
  h->defer_auto++;
  if (h->finalizer) h->finalizer(h, o, h->finalizer_arg);
  h->defer_auto--;
  if (--o->refcnt == 0) return 1;
  h->stats.resurrected++;
  if (h->hot.wants_roots && !(o->info & GC_F_BUFFERED)) gc_offer_root_(h, o);
  return 0;
}

/* The release stack's link: a dead object's list link.next once it is off
 * its list, or, with no list link, its first 8 bytes (a count of zero and
 * collector scratch that no collector without lists reads after death). */
static inline void release_push(gc_object *o, gc_object **stack) {
  if (o->linked) {
    gc_link *l = gc_link_of(o);
    gc_list_unlink(l);
    l->next = *stack ? gc_link_of(*stack) : NULL;
  } else {
    gc_chain_set_(o, *stack);
  }
  *stack = o;
}
static inline gc_object *release_pop(gc_object **stack) {
  gc_object *o = *stack;
  if (o->linked) {
    gc_link *n = gc_link_of(o)->next;
    *stack = n ? gc_obj(n) : NULL;
  } else {
    *stack = gc_chain_next_(o);
  }
  return o;
}

/* Release o (count zero) and everything whose count drops to zero with it.
 * Iterative: objects waiting to be released form a stack threaded through
 * themselves (release_push), which they no longer need once dead. */
void gc_release_(gc_heap *h, gc_object *o) {
  if (gc_unlikely(finalizer_pending(o)) && !finalize_at_zero(h, o)) return;
  gc_object *stack = NULL;
  release_push(o, &stack);
  const int wants_roots = h->hot.wants_roots;
  while (stack) {
    o = release_pop(&stack);
    gc_object **s = gc_slots(o);
    for (uint32_t i = 0, n = o->nslots; i < n; i++) {
      gc_object *t = s[i];
      if (!t) continue;
      if (--t->refcnt == 0) {
        if (gc_unlikely(finalizer_pending(t)) && !finalize_at_zero(h, t))
          continue;
        release_push(t, &stack);
      } else if (wants_roots && !(t->info & GC_F_BUFFERED)) {
        gc_offer_root_(h, t);
      }
    }
    free_object(h, o);
  }
}

void gc_possible_root_(gc_heap *h, gc_object *o) { gc_offer_root_(h, o); }

/* v's slots all NULL (o != v then, since o's slot holds v): no path runs
 * through v, so the paths to o are what they were, and v is reachable
 * exactly when o is.  Otherwise the caller's reference may have been the
 * last way to o, and v is reported as a decrement to it would be. */
void gc_stolen_(gc_heap *h, gc_object *v) {
  gc_object **s = gc_slots(v);
  for (uint32_t i = 0, n = v->nslots; i < n; i++)
    if (s[i]) {
      gc_offer_root_(h, v);
      return;
    }
}

static int gather_one(gc_object *o, void *arg);

uint64_t gc_free_all_objects_(gc_heap *h) {
  uint64_t freed = 0;
  if (!h->link_bytes) { /* thread them, then free: not during the walk */
    gc_object *first = NULL;
    gc_heap_walk_(h, gather_one, &first);
    while (first) {
      gc_object *o = first;
      first = gc_chain_next_(o);
      free_object(h, o);
      freed++;
    }
    return freed;
  }
  for (int g = 0; g <= GC_NGENS; g++) {
    gc_link *l = g < GC_NGENS ? &h->gens[g] : &h->untracked;
    for (gc_link *p = l->next, *next; p != l; p = next) {
      next = p->next;
      __builtin_prefetch((char *)p + GC_STREAM_AHEAD);
      free_object(h, gc_obj(p));
      freed++;
    }
    gc_list_init(l);
  }
  return freed;
}

/* Drop the references o, a member of a garbage set, holds on survivors
 * (gc_free_garbage_'s first pass, for one object). */
static inline void drop_survivor_refs(gc_heap *h, gc_object *o, int closed) {
  gc_object **s = gc_slots(o);
  if (gc_unlikely(h->cookie)) cookie_check(h, o, "collection");
  for (uint32_t i = 0, n = o->nslots; i < n; i++) {
    gc_object *t = s[i];
    if (t && gc_get_color(t) != GC_WHITE) {
      GC_CHECK(!closed, "free garbage",
               "a closed garbage set refers to survivor %p", (void *)t);
      (void)closed;
      s[i] = NULL;
      gc_decref(h, t);
    }
  }
}

/* Free the garbage from p to the list's sentinel `head`, walking the list
 * with the stream prefetch; every member goes, so none is unlinked.  The
 * list is left for the caller to empty.  Returns the number freed. */
static inline uint64_t free_listed(gc_heap *h, gc_link *p,
                                   const gc_link *head) {
  uint64_t freed = 0;
  for (gc_link *next; p != head; p = next) {
    next = p->next;
    __builtin_prefetch((char *)p + GC_STREAM_AHEAD);
    free_object(h, gc_obj(p));
    freed++;
  }
  return freed;
}

uint64_t gc_free_garbage_(gc_heap *h, gc_link *garbage, int closed) {
  /* First drop the references garbage holds on survivors, while every
   * garbage object is still allocated (a survivor's release cascade never
   * reaches garbage: nothing outside the set refers into it).  A closed set
   * holds none: the pass runs only to check that, or the cookies.  A
   * finalizer may have stored a reference into the garbage since it was
   * found closed. */
  closed &= !h->hot.has_finalizable;
#ifndef GC_DEBUG
  if (!closed || gc_unlikely(h->cookie))
#endif
    for (gc_link *p = garbage->next; p != garbage; p = p->next)
      drop_survivor_refs(h, gc_obj(p), closed);
  uint64_t freed = free_listed(h, garbage->next, garbage);
  gc_list_init(garbage);
  return freed;
}

uint64_t gc_free_garbage_chain_(gc_heap *h, gc_object *first, int closed) {
  uint64_t freed = 0;
#ifndef GC_DEBUG
  if (!closed || gc_unlikely(h->cookie))
#endif
    for (gc_object *o = first; o; o = gc_chain_next_(o)) {
      gc_object **s = gc_slots(o);
      if (gc_unlikely(h->cookie)) cookie_check(h, o, "collection");
      for (uint32_t i = 0, n = o->nslots; i < n; i++) {
        gc_object *t = s[i];
        if (t && !(t->info & GC_F_COLLECTING)) {
          GC_CHECK(!closed, "free garbage",
                   "a closed garbage set refers to survivor %p", (void *)t);
          s[i] = NULL;
          gc_decref(h, t);
        }
      }
    }
  for (gc_object *o = first, *next; o; o = next) {
    next = gc_chain_next_(o);
    __builtin_prefetch((char *)o + GC_STREAM_AHEAD);
    free_object(h, o);
    freed++;
  }
  return freed;
}

/* ----------------------------------------------------------------------
 * Walking the mimalloc heap (collectors without lists)
 * -------------------------------------------------------------------- */

typedef struct walk_ctx {
  gc_walk_fn fn;
  void *arg;
} walk_ctx;

static bool walk_block(const mi_heap_t *heap, const mi_heap_area_t *area,
                       void *block, size_t block_size, void *arg) {
  (void)heap, (void)area, (void)block_size;
  if (!block) return true; /* the area itself */
  walk_ctx *w = arg;
  return w->fn((gc_object *)block, w->arg) != 0;
}

int gc_heap_walk_(gc_heap *h, gc_walk_fn fn, void *arg) {
  if (h->link_bytes || !h->mi_heap) return 1;
  if (h->in_collection) h->heap_walks++;
  walk_ctx w = {fn, arg};
  return mi_heap_visit_blocks(h->mi_heap, true, walk_block, &w) ? 1 : 0;
}

static int gather_one(gc_object *o, void *arg) {
  gc_object **first = arg;
  gc_chain_set_(o, *first);
  *first = o;
  return 1;
}

/* ======================================================================
 * The root table
 * ==================================================================== */

/* Entries hold one reference each until the first counted push
 * (gc_root_push_n with n > 1); from then on root_refs, sized like roots,
 * holds every entry's count.  Invariant: an entry holding o with count k
 * accounts for k of o's refcnt, and 1 <= k. */

/* Grow both arrays to cap entries.  0, or -1 with nothing lost. */
static int roots_grow(gc_heap *h, size_t cap) {
  gc_object **r = realloc(h->roots, cap * sizeof *r);
  if (!r) return -1;
  h->roots = r;
  if (h->root_refs) {
    uint32_t *k = realloc(h->root_refs, cap * sizeof *k);
    if (!k) return -1; /* roots is larger, roots_cap still right */
    h->root_refs = k;
  }
  h->roots_cap = cap;
  return 0;
}

int gc_root_reserve(gc_heap *h, size_t n) {
  if (n <= h->roots_cap - h->nroots) return 0;
  if (gc_unlikely(h->checked) && inject_failure(h)) return -1;
  size_t cap = h->roots_cap ? h->roots_cap : 64;
  while (cap - h->nroots < n) {
    if (cap > SIZE_MAX / 2 / sizeof(gc_object *)) return -1;
    cap *= 2;
  }
  return roots_grow(h, cap);
}

static int roots_reserve(gc_heap *h) {
  if (h->nroots < h->roots_cap) return 0;
  if (gc_unlikely(h->checked) && inject_failure(h)) return -1;
  return roots_grow(h, h->roots_cap ? h->roots_cap * 2 : 64);
}

/* Start keeping a count per entry (every existing entry holds 1). */
static int root_refs_start(gc_heap *h) {
  size_t cap = h->roots_cap ? h->roots_cap : 1;
  uint32_t *k = malloc(cap * sizeof *k);
  if (!k) return -1;
  for (size_t i = 0; i < h->nroots; i++) k[i] = 1;
  h->root_refs = k;
  return 0;
}

/* Drop n references to o held by one entry: n - 1 of them without a
 * word to anyone (o's count stays >= 1 since the entry held n), the last
 * through gc_decref, which frees o or reports a possible root as one
 * decrement would. */
static void root_release(gc_heap *h, gc_object *o, uint32_t n) {
  if (!o) return;
  o->refcnt -= n - 1;
  gc_decref(h, o);
}

static long root_append(gc_heap *h, gc_object *v, uint32_t n) {
  h->roots[h->nroots] = v;
  if (h->root_refs) h->root_refs[h->nroots] = n;
  return (long)h->nroots++;
}

long gc_root_push_steal(gc_heap *h, gc_object *v) {
  if (roots_reserve(h) != 0) return -1;
  return root_append(h, v, 1);
}

long gc_root_push(gc_heap *h, gc_object *v) {
  if (roots_reserve(h) != 0) return -1;
  gc_incref(v);
  return root_append(h, v, 1);
}

/* n references to v in one entry; `owned` of them are the caller's. */
static long root_push_counted(gc_heap *h, gc_object *v, uint32_t n,
                              uint32_t owned) {
  if (n == 0 || (v && v->refcnt - owned > GC_MAX_REFCNT - n))
    return GC_EINVAL;
  if (roots_reserve(h) != 0) return GC_ENOMEM;
  if (n > 1 && !h->root_refs && root_refs_start(h) != 0) return GC_ENOMEM;
  if (v) v->refcnt += n - owned;
  return root_append(h, v, n);
}

long gc_root_push_n(gc_heap *h, gc_object *v, uint32_t n) {
  return root_push_counted(h, v, n, 0);
}

long gc_root_push_n_steal(gc_heap *h, gc_object *v, uint32_t n) {
  return root_push_counted(h, v, n, v && n ? 1 : 0);
}

uint32_t gc_root_refs(const gc_heap *h, size_t i) {
  if (i >= h->nroots) return 0;
  return h->root_refs ? h->root_refs[i] : 1;
}

int gc_root_set(gc_heap *h, size_t i, gc_object *v) {
  if (i >= h->nroots) return GC_EINVAL;
  uint32_t n = gc_root_refs(h, i);
  gc_object *old = h->roots[i];
  if (v && v != old && v->refcnt > GC_MAX_REFCNT - n) return GC_EINVAL;
  if (v) v->refcnt += n; /* first, so that storing the current target is safe */
  h->roots[i] = v;
  root_release(h, old, n);
  return GC_OK;
}

int gc_root_set_steal(gc_heap *h, size_t i, gc_object *v) {
  if (i >= h->nroots) return GC_EINVAL;
  uint32_t n = gc_root_refs(h, i);
  gc_object *old = h->roots[i];
  /* The caller's reference is one of the entry's n: v gains n - 1. */
  if (v && v != old && v->refcnt - 1 > GC_MAX_REFCNT - n) return GC_EINVAL;
  if (v) v->refcnt += n - 1; /* first, so that storing the current target is safe */
  h->roots[i] = v;
  root_release(h, old, n);
  return GC_OK;
}

/* The entry moves whole, with its count; `from` is left holding NULL once.
 * Everything is stored before the release, which may run a finalizer that
 * pushes (and so moves the arrays). */
int gc_root_move(gc_heap *h, size_t from, size_t to) {
  if (from >= h->nroots || to >= h->nroots) return GC_EINVAL;
  if (from == to) return GC_OK;
  gc_object *old = h->roots[to];
  uint32_t n_old = gc_root_refs(h, to);
  h->roots[to] = h->roots[from];
  h->roots[from] = NULL;
  if (h->root_refs) {
    h->root_refs[to] = h->root_refs[from];
    h->root_refs[from] = 1;
  }
  root_release(h, old, n_old);
  return GC_OK;
}

gc_object *gc_root_get(const gc_heap *h, size_t i) {
  return i < h->nroots ? h->roots[i] : NULL;
}
size_t gc_root_count(const gc_heap *h) { return h->nroots; }

/* Drop every entry past n, as CPython's list.clear does: the entries are
 * taken out first, then released, so that what a finalizer pushes
 * meanwhile stays.  They keep their places while they are dropped, each
 * turned NULL before its release, so pushes land above them (the table
 * does not shrink until the end); afterwards the pushed entries move down
 * to n, in the order pushed.  A finalizer that stores into an entry being
 * dropped (gc_root_set on its old index) has that reference dropped too. */
static void root_truncate_once(gc_heap *h, size_t n) {
  size_t end = h->nroots;
  if (end <= n) return;
  for (int again = 1; again;) {
    again = 0;
    for (size_t i = end; i-- > n;) {
      gc_object *o = h->roots[i];
      if (!o) continue;
      uint32_t k = gc_root_refs(h, i);
      h->roots[i] = NULL;
      if (h->root_refs) h->root_refs[i] = 1;
      uint64_t ran = h->stats.finalizers_run;
      root_release(h, o, k);
      if (h->stats.finalizers_run != ran) again = 1; /* it may store back */
    }
  }
  size_t pushed = h->nroots - end;
  if (pushed) {
    memmove(h->roots + n, h->roots + end, pushed * sizeof *h->roots);
    if (h->root_refs)
      memmove(h->root_refs + n, h->root_refs + end,
              pushed * sizeof *h->root_refs);
  }
  h->nroots = n + pushed;
}

/* A truncate asked for by a finalizer while one runs is carried out when
 * that one has finished (so the table only shrinks here, at the end of
 * root_truncate_once), applied to the table as it then is. */
void gc_root_truncate(gc_heap *h, size_t n) {
  if (h->truncate_to != SIZE_MAX) {
    if (n < h->truncate_to) h->truncate_to = n;
    return;
  }
  h->truncate_to = n;
  while (h->truncate_to != SIZE_MAX) {
    n = h->truncate_to;
    h->truncate_to = SIZE_MAX - 1; /* running: nested calls lower it */
    root_truncate_once(h, n);
    if (h->truncate_to == SIZE_MAX - 1) h->truncate_to = SIZE_MAX;
  }
}

/* ======================================================================
 * Collection driver
 * ==================================================================== */

/* ----------------------------------------------------------------------
 * Unreclaimed garbage (see gc.h): noted - freed by the collector
 * -------------------------------------------------------------------- */

static inline uint64_t ur_objects(const gc_heap *h) {
  return h->stats.garbage_noted - h->stats.freed_by_collector;
}
static inline uint64_t ur_bytes(const gc_heap *h) {
  return h->stats.garbage_noted_bytes - h->stats.freed_bytes_by_collector;
}

/* Add the current count for every allocation since ur_mark: called before
 * the count changes (a note, a collection) and when it is read. */
static void ur_advance(gc_heap *h) {
  uint64_t n = h->stats.objects_allocated - h->ur_mark;
  h->ur_objects_sum += (unsigned __int128)ur_objects(h) * n;
  h->ur_bytes_sum += (unsigned __int128)ur_bytes(h) * n;
  h->ur_mark = h->stats.objects_allocated;
}

void gc_note_garbage(gc_heap *h, uint64_t objects, uint64_t bytes) {
  ur_advance(h);
  h->stats.garbage_noted += objects;
  h->stats.garbage_noted_bytes += bytes;
  if (ur_objects(h) > h->ur_max_objects) h->ur_max_objects = ur_objects(h);
  if (ur_bytes(h) > h->ur_max_bytes) h->ur_max_bytes = ur_bytes(h);
}

void gc_heap_unreclaimed(const gc_heap *h, gc_unreclaimed *out) {
  uint64_t n = h->stats.objects_allocated - h->ur_mark;
  unsigned __int128 so = h->ur_objects_sum + (unsigned __int128)ur_objects(h) * n;
  unsigned __int128 sb = h->ur_bytes_sum + (unsigned __int128)ur_bytes(h) * n;
  uint64_t all = h->stats.objects_allocated;
  out->objects = ur_objects(h);
  out->bytes = ur_bytes(h);
  out->max_objects = h->ur_max_objects;
  out->max_bytes = h->ur_max_bytes;
  out->mean_objects = all ? (double)so / (double)all : 0;
  out->mean_bytes = all ? (double)sb / (double)all : 0;
}

static void record_append(gc_heap *h, const gc_collection_record *r) {
  if (h->nrecords == h->records_cap) {
    size_t cap = h->records_cap ? h->records_cap * 2 : 256;
    gc_collection_record *n = realloc(h->records, cap * sizeof *n);
    if (!n) return; /* statistics only: drop the record, keep running */
    h->records = n;
    h->records_cap = cap;
  }
  h->records[h->nrecords++] = *r;
}

uint64_t gc_run_collection_(gc_heap *h, int gen, int automatic) {
  if (h->in_collection || h->defer_auto) return 0;
  if (h->hook) h->hook(h, 0, gen, h->hook_arg);
  if (h->collector->prepare) h->collector->prepare(h);
#ifdef GC_DEBUG
  if (h->collector->validate) h->collector->validate(h, "before collection");
#endif
  gc_collection_record rec = {0};
  rec.generation = gen;
  rec.automatic = automatic;
  uint64_t freed0 = h->stats.freed_by_collector;
  ur_advance(h);
  /* The young count is taken and zeroed as the collection starts, as
   * CPython does (3.13's gc_collect_main, 3.14.0's assess_work_to_do):
   * what finalizers allocate during the collection counts towards the
   * next one. */
  h->young_at_start = h->alloc_since;
  h->alloc_since = 0;
  h->in_collection = 1;
  uint64_t t0 = gc_now_ns();
  h->collector->collect(h, gen, &rec);
  uint64_t t1 = gc_now_ns();
  h->in_collection = 0;
  rec.start_ns = t0 - h->t_origin;
  rec.pause_ns = t1 - t0;
  rec.freed = h->stats.freed_by_collector - freed0;
  h->stats.collections++;
  h->stats.gc_time_ns += rec.pause_ns;
  h->stats.objects_examined += rec.examined;
  record_append(h, &rec);
#ifdef GC_DEBUG
  if (h->collector->validate) h->collector->validate(h, "after collection");
#endif
  if (h->hook) h->hook(h, 1, gen, h->hook_arg);
  return rec.freed;
}

uint64_t gc_collect(gc_heap *h, int gen) {
  if (gen != GC_FULL && (gen < 0 || gen >= GC_NGENS)) gen = GC_FULL;
  return gc_run_collection_(h, gen, 0);
}

void gc_set_finalizer(gc_heap *h, gc_finalizer fn, void *arg) {
  h->finalizer = fn;
  h->finalizer_arg = arg;
}

int gc_heap_legacy_finalizers(const gc_heap *h) {
  return h->legacy_finalizers;
}
size_t gc_garbage_count(const gc_heap *h) { return h->ngarbage; }
gc_object *gc_garbage_get(const gc_heap *h, size_t i) {
  return i < h->ngarbage ? h->garbage[i] : NULL;
}
void gc_garbage_clear(gc_heap *h) {
  while (h->ngarbage) gc_decref(h, h->garbage[--h->ngarbage]);
}

void gc_set_auto(gc_heap *h, int on) {
  h->auto_on = on != 0;
  if (!h->auto_on) h->trigger = UINT64_MAX;
  /* Re-enabling: the collector re-arms its trigger at the next collection;
   * arm it now so an allocation can start one. */
  else if (h->trigger == UINT64_MAX)
    h->trigger = 0;
}
int gc_get_auto(const gc_heap *h) { return h->auto_on; }

void gc_set_collect_hook(gc_heap *h, gc_collect_hook fn, void *arg) {
  h->hook = fn;
  h->hook_arg = arg;
}

void gc_set_sample_hook(gc_heap *h, uint64_t every, gc_sample_hook fn,
                        void *arg) {
  h->sample = fn;
  h->sample_arg = arg;
  h->sample_every = every;
  h->next_sample = (every && fn) ? h->stats.objects_allocated + every
                                 : UINT64_MAX;
}

const gc_link *gc_heap_gen_list(const gc_heap *h, int g) {
  return (g >= 0 && g < GC_NGENS) ? &h->gens[g] : NULL;
}

typedef struct foreach_acc {
  gc_object **v;
  size_t n, cap;
  int failed;
} foreach_acc;

static int foreach_gather(gc_object *o, void *arg) {
  foreach_acc *a = arg;
  if (a->n == a->cap) {
    size_t cap = a->cap ? 2 * a->cap : 1024;
    gc_object **v = realloc(a->v, cap * sizeof *v);
    if (!v) {
      a->failed = 1;
      return 0;
    }
    a->v = v;
    a->cap = cap;
  }
  a->v[a->n++] = o;
  return 1;
}

void gc_heap_foreach(gc_heap *h, void (*fn)(gc_object *, void *), void *arg) {
  if (!h->link_bytes) { /* fn may not allocate during a walk: gather first */
    foreach_acc a = {0};
    gc_heap_walk_(h, foreach_gather, &a);
    if (a.failed)
      gc_fatal_("foreach", "out of memory listing %zu live objects", a.n);
    for (size_t i = 0; i < a.n; i++) fn(a.v[i], arg);
    free(a.v);
    return;
  }
  for (int g = 0; g <= GC_NGENS; g++) {
    gc_link *l = g < GC_NGENS ? &h->gens[g] : &h->untracked;
    for (gc_link *p = l->next; p != l;) {
      gc_link *next = p->next;
      fn(gc_obj(p), arg);
      p = next;
    }
  }
}

uint64_t gc_heap_buffer_all(gc_heap *h) {
  if (!h->hot.wants_roots) return 0;
  /* Take out what the workload buffered, so that the order is the lists'
   * whatever the workload did (the root order changes how a collection
   * walks the heap); forget() keeps the colour, the invariant wants it
   * BLACK outside the buffer. */
  if (h->collector->forget)
    for (int g = 0; g <= GC_NGENS; g++) { /* buffered untracked ones too */
      gc_link *l = g < GC_NGENS ? &h->gens[g] : &h->untracked;
      for (gc_link *p = l->next; p != l; p = p->next) {
        gc_object *o = gc_obj(p);
        if (!(o->info & GC_F_BUFFERED)) continue;
        h->collector->forget(h, o);
        gc_set_color(o, GC_BLACK);
      }
    }
  uint64_t offered = 0;
  for (int g = 0; g < GC_NGENS; g++) {
    gc_link *l = &h->gens[g];
    for (gc_link *p = l->next; p != l; p = p->next) {
      gc_object *o = gc_obj(p);
      if (o->info & GC_F_BUFFERED) continue;
      h->collector->possible_root(h, o);
      offered++;
    }
  }
  return offered;
}

int gc_collector_walks_heap(const char *name) {
  const gc_collector *c = gc_collector_resolve_(name, NULL);
  return c && c->heap_walk;
}

int gc_collector_has_root_buffer(const char *name) {
  const gc_collector *c = gc_collector_resolve_(name, NULL);
  return c && c->possible_root != NULL;
}

/* ======================================================================
 * Validation of the untracked objects
 * ==================================================================== */

static int check_untracked(gc_object *o, void *arg) {
  const gc_heap *h = ((void **)arg)[0];
  const char *where = ((void **)arg)[1];
  if (!o->untracked) return 1;
  gc_color c = gc_get_color(o);
  int buffered = gc_has_flag(o, GC_F_BUFFERED);
  if (!(c == GC_BLACK && !buffered) &&
      !(h->buffer_untracked && c == GC_PURPLE && buffered))
    gc_fatal_(where, "untracked object %p has colour %d%s", (void *)o, c,
              buffered ? ", buffered" : "");
  if (gc_has_flag(o, GC_F_COLLECTING) || gc_get_gen(o))
    gc_fatal_(where, "untracked object %p has collection flags 0x%x",
              (void *)o, o->info & GC_INFO_FLAGS);
  gc_object **s = gc_slots(o);
  for (uint32_t i = 0, n = o->nslots; i < n; i++)
    if (s[i] && !s[i]->untracked)
      gc_fatal_(where,
                "untracked object %p slot %u holds tracked object %p",
                (void *)o, i, (void *)s[i]);
  return 1;
}

void gc_validate_untracked_(gc_heap *h, const char *where) {
  void *arg[2] = {h, (void *)where};
  if (!h->link_bytes) {
    gc_heap_walk_(h, check_untracked, arg);
    return;
  }
  uint64_t n = 0;
  for (gc_link *p = h->untracked.next; p != &h->untracked; p = p->next) {
    gc_object *o = gc_obj(p);
    if (!o->untracked)
      gc_fatal_(where, "tracked object %p is on the untracked list",
                (void *)o);
    check_untracked(o, arg);
    n++;
  }
  if (n != h->stats.live_untracked)
    gc_fatal_(where, "%llu objects on the untracked list, %llu untracked",
              (unsigned long long)n,
              (unsigned long long)h->stats.live_untracked);
}

/* The object at cursor q: q moves on to its successor first (read, and
 * prefetched), and the object is returned. */
static inline gc_object *ways_take(gc_link **q) {
  gc_link *t = *q;
  *q = t->next;
  __builtin_prefetch(*q);
  return gc_obj(t);
}

uint64_t gc_free_garbage_ways_(gc_heap *h, gc_link *g, int closed) {
  _Static_assert(GC_GARBAGE_WAYS == 4, "four cursors below");
  uint64_t freed = 0;
  gc_link *a, *b, *c, *d;
  closed &= !h->hot.has_finalizable; /* as gc_free_garbage_ */
#ifndef GC_DEBUG
  if (!closed || gc_unlikely(h->cookie))
#endif
  {
    a = g[0].next, b = g[1].next, c = g[2].next, d = g[3].next;
    /* four walks in step while every list has objects left, then each
     * list's rest alone (a list filled in allocation order: one walk) */
    while (a != &g[0] && b != &g[1] && c != &g[2] && d != &g[3]) {
      drop_survivor_refs(h, ways_take(&a), closed);
      drop_survivor_refs(h, ways_take(&b), closed);
      drop_survivor_refs(h, ways_take(&c), closed);
      drop_survivor_refs(h, ways_take(&d), closed);
    }
    gc_link *rest[4] = {a, b, c, d};
    for (int w = 0; w < 4; w++)
      for (gc_link *p = rest[w]; p != &g[w]; p = p->next)
        drop_survivor_refs(h, gc_obj(p), closed);
  }
  /* Every member goes: no need to unlink them one by one. */
  a = g[0].next, b = g[1].next, c = g[2].next, d = g[3].next;
  while (a != &g[0] && b != &g[1] && c != &g[2] && d != &g[3]) {
    free_object(h, ways_take(&a));
    free_object(h, ways_take(&b));
    free_object(h, ways_take(&c));
    free_object(h, ways_take(&d));
    freed += 4;
  }
  gc_link *rest[4] = {a, b, c, d};
  for (int w = 0; w < 4; w++) {
    freed += free_listed(h, rest[w], &g[w]);
    gc_list_init(&g[w]);
  }
  return freed;
}
