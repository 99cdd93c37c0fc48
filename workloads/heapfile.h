/*
 * heapfile.h -- the "gcheap 1" heap snapshot format: parser and loader.
 *
 * Text, one record per line:
 *
 *     gcheap 1                                   magic and version, line 1
 *     o <id> <payload_bytes> <external_refs>     objects, ids 0..N-1 in order
 *     r <from_id> <to_id>                        references, after all objects
 *
 * Fields are separated by spaces or tabs; a line may end in "\r\n".  Lines
 * whose first non-blank character is '#' are comments and blank lines are
 * ignored, anywhere after line 1 (tools put their metadata there, e.g.
 * "# cpython_gc_collect_ns 1234").  Numbers are unsigned decimal.  Self
 * references and repeated references are allowed: each `r` line is one slot
 * of its source object, in file order.  `external_refs` is how many
 * references to the object are held from outside the file (root-table
 * entries when loaded).
 *
 * Limits (the object model's): payload_bytes <= GC_MAX_PAYLOAD, at most
 * GC_MAX_SLOTS references from one object, and for every object
 * external_refs + incoming references + 1 (the loader's own, while
 * building) <= UINT32_MAX, since reference counts are 32-bit.
 *
 * The parser reads the whole file into arrays and checks everything before
 * anything is built, so a bad file allocates no gc object; on error it frees
 * all it allocated and writes one line "FILE:LINE: reason (how to fix)".
 */
#ifndef GC_HEAPFILE_H
#define GC_HEAPFILE_H

#include <stddef.h>
#include <stdint.h>

#include "workload.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HEAPFILE_VERSION 1
#define HEAPFILE_MAX_OBJECTS ((uint64_t)UINT32_MAX) /* ids fit in 32 bits */

enum {
  HEAPFILE_OK = 0,
  HEAPFILE_EINPUT = -1, /* malformed or unreadable file: err says where */
  HEAPFILE_ENOMEM = -2  /* the parser's own arrays did not fit */
};

/* A parsed snapshot: a compressed adjacency list (CSR). */
typedef struct heapfile {
  uint64_t nobjects;   /* N */
  uint64_t nrefs;      /* number of `r` lines */
  uint64_t nexternal;  /* sum of external_refs */
  uint32_t *payload;   /* [N] payload bytes */
  uint32_t *external;  /* [N] external references */
  uint32_t *indegree;  /* [N] `r` lines naming the object as target */
  uint64_t *first;     /* [N+1] object i's slots are target[first[i]..first[i+1]) */
  uint32_t *target;    /* [nrefs] slot targets, in file order per source */
} heapfile;

/* Parse the file at `path`.  HEAPFILE_OK, or an error with err set and hf
 * left empty (nothing to free). */
int heapfile_load(const char *path, heapfile *hf, char *err, size_t errlen);

/* Parse `len` bytes at `buf` (not NUL-terminated; NUL bytes are garbled
 * input); `name` stands for the file name in messages. */
int heapfile_parse(const char *buf, size_t len, const char *name,
                   heapfile *hf, char *err, size_t errlen);

void heapfile_free(heapfile *hf);

/* Slots of object i. */
static inline uint32_t heapfile_nslots(const heapfile *hf, uint64_t i) {
  return (uint32_t)(hf->first[i + 1] - hf->first[i]);
}

/* ---- loading into a heap (workloads/snapshot.c) -------------------------- */

/* How many of the file's external references to keep. */
typedef struct heapfile_drop {
  enum { HEAPFILE_KEEP_ALL, HEAPFILE_DROP_ALL, HEAPFILE_DROP_FRACTION } mode;
  double fraction; /* for DROP_FRACTION, in [0, 1] */
} heapfile_drop;

/* Parse the `drop` parameter: "none", "all" or a fraction in 0..1.
 * 0, or -1 with err set. */
int heapfile_parse_drop(const char *text, heapfile_drop *out, char *err,
                        size_t errlen);

/* Build hf on h (payloads multiplied by payload_scale) keeping the external
 * references `drop` leaves (fractions chosen from seed), and fill *ans from
 * an independent reachability pass over hf.  WL_OK, WL_EINPUT (a scaled
 * payload too big) or WL_ENOMEM (the heap is left consistent). */
int heapfile_build(gc_heap *h, const heapfile *hf, const heapfile_drop *drop,
                   double payload_scale, uint64_t seed, wl_answer *ans,
                   char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
