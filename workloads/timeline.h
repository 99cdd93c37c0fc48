/*
 * timeline.h -- the "gctimeline" format (scripts/trace-python): a real
 * Python program's heap, recorded at each of CPython's collections.
 *
 * Gzip-compressed (or plain) text, one record per line:
 *
 *     gctimeline 3                          magic and version, line 1
 *     p <key> <text...>                     header: python, thresholds, program
 *     c <k> <gen> <ns> <collected> <uncollectable> <examined> <kind>
 *                                           collection k (0, 1, ...) starts;
 *                                           kind a (automatic) or e
 *                                           (explicit: gc.collect)
 *     d <serial>                            an object gone before it
 *                                           (freed by reference counting)
 *     n <serial> <size> <external> [<to>...]
 *                                           an object first seen by it, with
 *                                           its references to known objects
 *     r <serial> [<to>...]                  an older object collection k
 *                                           frees: its references then
 *     u <serial> [<serial>...]              objects collection k freed
 *     x <serial> [<serial>...]              objects collection k untracked
 *                                           (alive, on no generation list
 *                                           after it: a tuple or dict of
 *                                           atoms); they die later by d
 *     t <collections> <objects>             trailer, the last record
 *
 * Version 2 files (no x records: an untracked object was listed as freed,
 * u) and version 1 files (c records without examined and kind:
 * automatic, 0) are read too.
 * Within a collection's record the lines come in the order d, n, r, u, x;
 * an r record names an object of that record's u lines; an untracked
 * object is never freed by a collection (u) and is untracked once.
 * Serials are given by `n` lines in order 0, 1, ...; a reference names an
 * object defined by the end of its record and alive then; an object dies
 * (d or u) at most once, after it was born.  '#' lines are comments.  A
 * file without its trailer, or whose trailer disagrees, is refused as
 * truncated.  Errors: one line "FILE:LINE: reason (hint)", nothing kept.
 */
#ifndef GC_TIMELINE_H
#define GC_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#include "workload.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TIMELINE_NEVER UINT32_MAX /* death step of an object that outlives
                                     the capture */

typedef struct timeline {
  uint32_t nobjects, ncollections;
  uint64_t nrefs;       /* references in the file */
  uint32_t *size;       /* [N] sys.getsizeof */
  uint32_t *external;   /* [N] external references at first sight */
  uint32_t *birth;      /* [N] record that first saw it */
  uint32_t *death;      /* [N] step: 2k (d at record k), 2k + 1 (u), NEVER */
  uint64_t *first;      /* [N + 1] CSR into target */
  uint32_t *target;     /* [nrefs] */
  uint32_t *obj_start;  /* [C + 1] first serial of each record */
  uint32_t *dead;       /* serials in death order (d then u per record) */
  uint64_t *dead_start; /* [2C + 1] into dead, per step */
  uint32_t *gen;        /* [C] generation of each collection */
  uint64_t *collected;  /* [C] CPython's collected count */
  uint64_t *examined;   /* [C] objects it examined (0 in version 1) */
  unsigned char *explicit_; /* [C] 1: gc.collect() ran it (0 in version 1) */
  uint32_t nr;          /* r records */
  uint64_t nrrefs;      /* references in them */
  uint32_t *rix;        /* [N] index of the object's r record, or UINT32_MAX */
  uint32_t *r_obj;      /* [R] its object */
  uint64_t *r_first;    /* [R + 1] into r_target */
  uint32_t *r_target;   /* [nrrefs] */
  uint32_t *untrack;    /* [N] collection that untracked it, or NEVER */
  uint32_t *unt;        /* serials of the x records, in order */
  uint64_t *unt_start;  /* [C + 1] into unt, per collection */
  uint64_t nuntracked;  /* objects in x records */
} timeline;

/* 0, or -1 with err "NAME:LINE: reason", or -2 (out of memory). */
int timeline_parse(const char *buf, size_t len, const char *name,
                   timeline *tl, char *err, size_t errlen);
int timeline_load(const char *path, timeline *tl, char *err, size_t errlen);
void timeline_free(timeline *tl);

/* Replay on h; fills *ans.  WL_OK, WL_ENOMEM. */
int timeline_build(gc_heap *h, const timeline *tl, double payload_scale,
                   wl_answer *ans);

#ifdef __cplusplus
}
#endif
#endif
