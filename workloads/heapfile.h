/*
 * heapfile.h -- the "gcheap" heap snapshot format (versions 1, 2 and 3):
 * parser and loader.
 *
 * Text, one record per line:
 *
 *     gcheap 1                                   magic and version, line 1
 *     o <id> <payload_bytes> <external_refs>     objects, ids 0..N-1 in order
 *     r <from_id> <to_id>                        references, after all objects
 *
 * Version 2 is version 1 plus one optional last field on object records:
 *
 *     gcheap 2
 *     o <id> <payload_bytes> <external_refs> immortal
 *
 * "immortal" marks an object the interpreter never frees (CPython 3.12+'s
 * immortal objects: None, small ints, interned strings, static types); its
 * external_refs is the interpreter's count less the file's references to it,
 * typically near 2^30..2^32.  The `drop` parameter leaves an immortal
 * object's external references alone, as CPython would.  A version 1 file
 * has no such field (a fifth field there is refused, as before).
 *
 * Version 3 is version 2 plus one last record, required:
 *
 *     gcheap 3
 *     ...
 *     end <objects> <references>     the number of `o` and of `r` lines
 *
 * so that a file cut short (between lines or inside one: a prefix of a
 * decimal count is another number) is refused instead of loaded as a
 * smaller, wrong heap.  After it, only comments and blank lines.  Versions
 * 1 and 2 have no such check; they load with hf->checked = 0 and the
 * snapshot workload warns once on stderr.
 *
 * Fields are separated by spaces or tabs; a line may end in "\r\n".  Lines
 * whose first non-blank character is '#' are comments and blank lines are
 * ignored, anywhere after line 1 (tools put their metadata there, e.g.
 * "# cpython_gc_collect_ns 1234").  Numbers are unsigned decimal.  Self
 * references and repeated references are allowed: each `r` line is one slot
 * of its source object, in file order.  `external_refs` is how many
 * references to the object are held from outside the file: loaded as one
 * root-table entry holding that many (gc_root_push_n), so loading costs
 * O(objects + references) whatever the counts.
 *
 * Limits (the object model's): payload_bytes <= GC_MAX_PAYLOAD, at most
 * GC_MAX_SLOTS references from one object, and for every object
 * max(external_refs, 1) + incoming references <= 2^32 - 1, since reference
 * counts are 32-bit (the 1: the loader's own reference while it stores the
 * slots).  A file past a limit is refused at the line that passes it, never
 * wrapped.
 *
 * A file may be gzip-compressed (as scripts/bench --peers writes it),
 * whatever its name: the gzip magic bytes decide.
 *
 * The parser reads the whole file into arrays and checks everything before
 * anything is built, so a bad file allocates no gc object; on error it frees
 * all it allocated and writes one line "FILE:LINE: reason (how to fix)",
 * with the file's bytes that are not printable text shown as \xNN escapes
 * (or summarised, for binary data), never echoed raw.
 */
#ifndef GC_HEAPFILE_H
#define GC_HEAPFILE_H

#include <stddef.h>
#include <stdint.h>

#include "workload.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HEAPFILE_VERSION 3 /* the newest version read (1, 2 and 3) */
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
  uint64_t nimmortal;  /* objects flagged immortal (version 2) */
  unsigned version;    /* the file's, 1, 2 or 3 */
  int checked;         /* 1: its `end` line matched (version 3) */
  uint32_t *payload;   /* [N] payload bytes */
  uint32_t *external;  /* [N] external references */
  unsigned char *immortal; /* [N] 1 if flagged immortal; NULL if none is */
  uint32_t *indegree;  /* [N] `r` lines naming the object as target */
  uint64_t *first;     /* [N+1] object i's slots are target[first[i]..first[i+1]) */
  uint32_t *target;    /* [nrefs] slot targets, in file order per source */
} heapfile;

/* Parse the file at `path` (plain or gzip-compressed).  HEAPFILE_OK, or an
 * error with err set and hf left empty (nothing to free). */
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

/* How many of the file's external references to keep.  Immortal objects
 * keep theirs under every mode.  A fraction f drops each reference
 * independently with probability f: per object, one binomial draw
 * (heapfile_binomial), so the cost does not depend on the counts. */
typedef struct heapfile_drop {
  enum { HEAPFILE_KEEP_ALL, HEAPFILE_DROP_ALL, HEAPFILE_DROP_FRACTION } mode;
  double fraction; /* for DROP_FRACTION, in [0, 1] */
} heapfile_drop;

/* Parse the `drop` parameter: "none", "all" or a fraction in 0..1.
 * 0, or -1 with err set. */
int heapfile_parse_drop(const char *text, heapfile_drop *out, char *err,
                        size_t errlen);

/* A Binomial(n, p) variate from r: exact (inversion when n * min(p, 1-p)
 * is small, else Hormann's BTRD transformed rejection), O(1) expected
 * time for any n; deterministic for a given r state. */
struct wl_rng;
uint32_t heapfile_binomial(struct wl_rng *r, uint32_t n, double p);

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
