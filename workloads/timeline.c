/*
 * timeline.c -- replays a real Python program's heap evolution, captured at
 * each of CPython's collections by scripts/trace-python (timeline.h).
 *
 * The replay runs the capture's records in order; for record k:
 *
 *   1. the objects gone before collection k (`d`: reference counting freed
 *      them in CPython) lose their root-table entry;
 *   2. the objects first seen at collection k are allocated, each held by
 *      one counted root entry of max(external, 1) references, and their
 *      references are stored;
 *   3. the objects collection k freed (`u`) take the references they had
 *      when it started (their `r` records, for those seen before), then
 *      lose their entry, so they become garbage here too.
 *
 * With schedule=own (the default) the heap's own collector runs its own
 * schedule over this mutator, and only CPython's explicit collections
 * (gc.collect, kind e) are run, after step 3 of their record.  With
 * schedule=capture automatic collection is off and every one of CPython's
 * collections runs there with its generation, so collection k can free
 * what CPython's collection k freed; the u objects that reference counting
 * frees and that keep no reference lose their entries just after it
 * (after()), so it examines them as CPython did.  Every object the capture
 * says is alive is held by the root table (at least one reference, even
 * when CPython saw none from outside the tracked heap), so the replay never
 * frees an object CPython kept.
 *
 * Last, the objects collection k untracked (`x`, version 3) leave the
 * collector's view (gc_untrack), their slots emptied: alive, held by their
 * root entries until their d record, never examined again, as in CPython.
 *
 * Exactness.  A reference A -> B is stored only when B outlives the capture
 * or dies in the same step as A; the others (a long-lived container's
 * stale reference to an object it no longer holds, a short-lived object's
 * reference to one that dies later) are left out.  So the objects dying in
 * one step form a closed group: dropping its entries frees by reference
 * counting exactly what peeling it frees, and the rest is cyclic garbage
 * whatever any collector did before, which gives the answer and
 * gc_note_garbage its exact figure at every step.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "timeline.h"
#include "workload.h"

static const gc_param_def timeline_params[] = {
    {"file", GC_P_STR, "", 0, 0,
     "gctimeline capture to replay, gzipped or plain (required; written by "
     "scripts/trace-python)"},
    {"payload_scale", GC_P_REAL, "1", 0, 1e6,
     "multiply every object's size by this for its payload (0: none)"},
    {"schedule", GC_P_STR, "own", 0, 0,
     "own: the collector's own schedule, CPython's explicit collections "
     "(gc.collect) forced at their points; capture: automatic collection "
     "off, each of CPython's collections run at its point with its "
     "generation"},
    {"untracked_csv", GC_P_STR, "", 0, 0,
     "write here, after the replay, per collection the objects its x "
     "records untracked and how many of them the replay's heap holds "
     "untracked just after (scripts/trace-python --check reads it; "
     "empty: none)"},
};

/* ---- the parser --------------------------------------------------------- */

#define MAX_EXTERNAL (1u << 30)

typedef struct parser {
  const char *name;
  char *err;
  size_t errlen;
  uint64_t line;
  timeline *tl;
  uint32_t *line_of; /* [N] line of each n record, for reference errors */
  uint32_t *r_line, *r_rec; /* [R] line and record of each r record */
  uint64_t ndead;
  int state; /* -1 before the first record, in a record: 0 d, 1 n, 2 r, 3 u,
                4 x */
  int trailer;
  int version; /* 1 or 2: the c record's fields; 3: x records */
} parser;

static int fail(parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int fail(parser *p, const char *fmt, ...) {
  int k = snprintf(p->err, p->errlen, "%s:%llu: ", p->name,
                   (unsigned long long)p->line);
  if (k < 0 || (size_t)k >= p->errlen) return -1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->err + k, p->errlen - (size_t)k, fmt, ap);
  va_end(ap);
  return -1;
}

/* Next blank-separated unsigned decimal on the line: 1 found, 0 none
 * left, -1 malformed. */
static int next_u64(const char **s, const char *end, uint64_t *v) {
  while (*s < end && (**s == ' ' || **s == '\t' || **s == '\r')) (*s)++;
  if (*s == end) return 0;
  uint64_t x = 0;
  const char *q = *s;
  while (q < end && *q >= '0' && *q <= '9') {
    if (x > (UINT64_MAX - 9) / 10) return -1;
    x = x * 10 + (uint64_t)(*q++ - '0');
  }
  if (q == *s || (q < end && *q != ' ' && *q != '\t' && *q != '\r'))
    return -1;
  *s = q;
  *v = x;
  return 1;
}

static int want(parser *p, const char **s, const char *end, uint64_t max,
                const char *what, uint64_t *v) {
  int r = next_u64(s, end, v);
  if (r <= 0)
    return fail(p, "%s %s (expected an unsigned decimal number)",
                r < 0 ? "bad" : "missing", what);
  if (*v > max)
    return fail(p, "%s %llu is too large (at most %llu)", what,
                (unsigned long long)*v, (unsigned long long)max);
  return 0;
}

static int line_end(parser *p, const char *s, const char *end) {
  uint64_t v;
  if (next_u64(&s, end, &v) != 0)
    return fail(p, "unexpected text after the fields (one record per line)");
  return 0;
}

/* ---- pass 1: sizes ------------------------------------------------------ */

typedef struct sizes {
  uint64_t lines, c, n, refs, dead, r, rrefs, x;
} sizes;

/* Upper bounds on every array, from the record letters and word counts. */
static void count(const char *buf, size_t len, sizes *z) {
  *z = (sizes){0};
  const char *s = buf, *end = buf + len;
  while (s < end) {
    const char *e = memchr(s, '\n', (size_t)(end - s));
    if (!e) e = end;
    uint64_t words = 0;
    for (const char *q = s; q < e; q++)
      if ((*q != ' ' && *q != '\t') && (q == s || q[-1] == ' ' || q[-1] == '\t'))
        words++;
    z->lines++;
    /* the record's letter as parse_line finds it: after blanks */
    const char *k = s;
    while (k < e && (*k == ' ' || *k == '\t' || *k == '\r')) k++;
    if (k < e) {
      if (*k == 'c') z->c++;
      if (*k == 'n') z->n++, z->refs += words;
      if (*k == 'r') z->r++, z->rrefs += words;
      if (*k == 'd' || *k == 'u') z->dead += words;
      if (*k == 'x') z->x += words;
    }
    s = e + 1;
  }
}

/* ---- pass 2: records ----------------------------------------------------- */

static void end_record(parser *p) {
  timeline *tl = p->tl;
  if (p->state < 0) return;
  uint32_t k = tl->ncollections - 1;
  if (p->state < 3) tl->dead_start[2 * k + 1] = p->ndead; /* no u */
  tl->dead_start[2 * k + 2] = p->ndead;
  tl->obj_start[k + 1] = tl->nobjects;
  tl->unt_start[k + 1] = tl->nuntracked;
}

static int parse_c(parser *p, const char *s, const char *end) {
  timeline *tl = p->tl;
  uint64_t k, g, ns, coll, unc, exam = 0;
  int expl = 0;
  if (want(p, &s, end, UINT32_MAX - 2, "collection number", &k) ||
      want(p, &s, end, 2, "generation", &g) ||
      want(p, &s, end, UINT64_MAX, "time", &ns) ||
      want(p, &s, end, UINT64_MAX, "collected count", &coll) ||
      want(p, &s, end, UINT64_MAX, "uncollectable count", &unc))
    return -1;
  if (p->version >= 2) {
    if (want(p, &s, end, UINT64_MAX, "examined count", &exam)) return -1;
    while (s < end && (*s == ' ' || *s == '\t')) s++;
    const char *q = s;
    while (q < end && *q != ' ' && *q != '\t' && *q != '\r') q++;
    if (q - s != 1 || (*s != 'a' && *s != 'e'))
      return fail(p, "%s kind (expected a: automatic or e: explicit, "
                     "gc.collect)", q == s ? "missing" : "bad");
    expl = *s == 'e';
    s = q;
  }
  if (line_end(p, s, end)) return -1;
  if (k != tl->ncollections)
    return fail(p,
                "collection %llu where %u was expected (records are numbered "
                "0, 1, ... in order)",
                (unsigned long long)k, tl->ncollections);
  end_record(p);
  tl->gen[k] = (uint32_t)g;
  tl->collected[k] = coll;
  tl->examined[k] = exam;
  tl->explicit_[k] = (unsigned char)expl;
  tl->obj_start[k] = tl->nobjects;
  tl->dead_start[2 * k] = p->ndead;
  tl->unt_start[k] = tl->nuntracked;
  tl->ncollections++;
  p->state = 0;
  return 0;
}

/* The serial must name a born object that is still alive. */
static int kill(parser *p, uint64_t s, uint32_t step) {
  timeline *tl = p->tl;
  if (s >= tl->nobjects)
    return fail(p, "object %llu has no n record before this line",
                (unsigned long long)s);
  if (tl->death[s] != TIMELINE_NEVER)
    return fail(p, "object %llu dies twice", (unsigned long long)s);
  if ((step & 1) && tl->untrack[s] != TIMELINE_NEVER)
    return fail(p, "object %llu, untracked (x) at collection %u, freed by "
                   "a collection (a collection never sees an untracked "
                   "object; it dies by d)",
                (unsigned long long)s, tl->untrack[s]);
  tl->death[s] = step;
  tl->dead[p->ndead++] = (uint32_t)s;
  return 0;
}

static int parse_d(parser *p, const char *s, const char *end, int u) {
  timeline *tl = p->tl;
  if (p->state < 0)
    return fail(p, "%c record before the first c record", u ? 'u' : 'd');
  if (!u && p->state > 0)
    return fail(p, "d record after n, r, u or x records (a record's lines "
                   "come in the order d, n, r, u, x)");
  if (u && p->state > 3)
    return fail(p, "u record after an x record (a record's lines come in "
                   "the order d, n, r, u, x)");
  if (u && p->state < 3) {
    tl->dead_start[2 * (tl->ncollections - 1) + 1] = p->ndead;
    p->state = 3;
  }
  uint32_t step = 2 * (tl->ncollections - 1) + (u ? 1 : 0);
  uint64_t v, n = 0;
  int r;
  while ((r = next_u64(&s, end, &v)) > 0) {
    n++;
    if (kill(p, v, step)) return -1;
  }
  if (r < 0) return fail(p, "bad serial (expected unsigned decimals)");
  if (!n) return fail(p, "%c record without a serial", u ? 'u' : 'd');
  return 0;
}

static int parse_n(parser *p, const char *s, const char *end) {
  timeline *tl = p->tl;
  if (p->state < 0) return fail(p, "n record before the first c record");
  if (p->state > 1)
    return fail(p, "n record after an r, u or x record (a record's lines "
                   "come in the order d, n, r, u, x)");
  if (p->state == 0) {
    tl->dead_start[2 * (tl->ncollections - 1) + 1] = p->ndead;
    p->state = 1;
  }
  uint64_t id, size, ext, to;
  if (want(p, &s, end, UINT32_MAX - 1, "serial", &id) ||
      want(p, &s, end, UINT32_MAX, "size", &size) ||
      want(p, &s, end, MAX_EXTERNAL, "external count", &ext))
    return -1;
  if (id != tl->nobjects)
    return fail(p, "object %llu where %u was expected (serials are 0, 1, "
                   "... in order)",
                (unsigned long long)id, tl->nobjects);
  uint32_t i = tl->nobjects++;
  tl->size[i] = (uint32_t)size;
  tl->external[i] = (uint32_t)ext;
  tl->birth[i] = tl->ncollections - 1;
  tl->death[i] = TIMELINE_NEVER;
  p->line_of[i] = p->line > UINT32_MAX ? UINT32_MAX : (uint32_t)p->line;
  int r;
  while ((r = next_u64(&s, end, &to)) > 0) {
    if (to > UINT32_MAX - 1)
      return fail(p, "reference to %llu: no such serial",
                  (unsigned long long)to);
    if (tl->first[i + 1] >= GC_MAX_SLOTS) /* a count until the end */
      return fail(p, "more than %u references from one object",
                  (unsigned)GC_MAX_SLOTS);
    tl->target[tl->nrefs++] = (uint32_t)to;
    tl->first[i + 1]++;
  }
  if (r < 0) return fail(p, "bad reference (expected unsigned decimals)");
  return 0;
}

/* r <serial> [<to>...]: the references of an object collection k frees,
 * as they were when it started; they replace its n record's at its death
 * (check_refs checks it dies there). */
static int parse_r(parser *p, const char *s, const char *end) {
  timeline *tl = p->tl;
  if (p->state < 0) return fail(p, "r record before the first c record");
  if (p->state > 2)
    return fail(p, "r record after a u or x record (a record's lines come "
                   "in the order d, n, r, u, x)");
  p->state = 2;
  uint64_t id, to;
  if (want(p, &s, end, UINT32_MAX - 1, "serial", &id)) return -1;
  if (id >= tl->nobjects)
    return fail(p, "r record for object %llu, which has no n record before "
                   "this line",
                (unsigned long long)id);
  if (tl->rix[id] != UINT32_MAX)
    return fail(p, "a second r record for object %llu",
                (unsigned long long)id);
  uint32_t j = tl->nr++;
  tl->rix[id] = j;
  tl->r_obj[j] = (uint32_t)id;
  p->r_line[j] = p->line > UINT32_MAX ? UINT32_MAX : (uint32_t)p->line;
  p->r_rec[j] = tl->ncollections - 1;
  tl->r_first[j] = tl->nrrefs;
  int r;
  while ((r = next_u64(&s, end, &to)) > 0) {
    if (to > UINT32_MAX - 1)
      return fail(p, "reference to %llu: no such serial",
                  (unsigned long long)to);
    if (tl->nrrefs - tl->r_first[j] >= GC_MAX_SLOTS)
      return fail(p, "more than %u references from one object",
                  (unsigned)GC_MAX_SLOTS);
    tl->r_target[tl->nrrefs++] = (uint32_t)to;
  }
  if (r < 0) return fail(p, "bad reference (expected unsigned decimals)");
  tl->r_first[j + 1] = tl->nrrefs;
  return 0;
}

/* x <serial>...: objects collection k untracked, alive after it. */
static int parse_x(parser *p, const char *s, const char *end) {
  timeline *tl = p->tl;
  if (p->version < 3)
    return fail(p, "x record in a version-%d file (x records came with "
                   "\"gctimeline 3\")",
                p->version);
  if (p->state < 0) return fail(p, "x record before the first c record");
  uint32_t k = tl->ncollections - 1;
  if (p->state < 3) tl->dead_start[2 * k + 1] = p->ndead; /* no u */
  p->state = 4;
  uint64_t v, n = 0;
  int r;
  while ((r = next_u64(&s, end, &v)) > 0) {
    n++;
    if (v >= tl->nobjects)
      return fail(p, "object %llu has no n record before this line",
                  (unsigned long long)v);
    if (tl->death[v] != TIMELINE_NEVER)
      return fail(p, "object %llu is untracked after it died",
                  (unsigned long long)v);
    if (tl->untrack[v] != TIMELINE_NEVER)
      return fail(p, "object %llu is untracked twice (a tracked-again "
                     "object comes back with a new serial)",
                  (unsigned long long)v);
    tl->untrack[v] = k;
    tl->unt[tl->nuntracked++] = (uint32_t)v;
  }
  if (r < 0) return fail(p, "bad serial (expected unsigned decimals)");
  if (!n) return fail(p, "x record without a serial");
  return 0;
}

static int parse_t(parser *p, const char *s, const char *end) {
  timeline *tl = p->tl;
  uint64_t c, n;
  if (want(p, &s, end, UINT64_MAX, "collection count", &c) ||
      want(p, &s, end, UINT64_MAX, "object count", &n) ||
      line_end(p, s, end))
    return -1;
  if (c != tl->ncollections || n != tl->nobjects)
    return fail(p,
                "the trailer says %llu collections and %llu objects, the "
                "file has %u and %u (a damaged capture: record it again)",
                (unsigned long long)c, (unsigned long long)n,
                tl->ncollections, tl->nobjects);
  end_record(p);
  p->state = -2;
  p->trailer = 1;
  return 0;
}

static int parse_line(parser *p, const char *s, const char *end) {
  while (s < end && (*s == ' ' || *s == '\t' || *s == '\r')) s++;
  if (s == end || *s == '#') return 0;
  if (p->trailer) return fail(p, "a record after the trailer (t) line");
  char kind = *s++;
  if (s < end && *s != ' ' && *s != '\t' && *s != '\r')
    return fail(p, "unknown record (expected c, d, n, r, u, x, p or t)");
  switch (kind) {
  case 'p': return p->state == -1 ? 0
                   : fail(p, "p line after the first record (the header "
                             "comes first)");
  case 'c': return parse_c(p, s, end);
  case 'd': return parse_d(p, s, end, 0);
  case 'u': return parse_d(p, s, end, 1);
  case 'n': return parse_n(p, s, end);
  case 'r': return parse_r(p, s, end);
  case 'x': return parse_x(p, s, end);
  case 't': return parse_t(p, s, end);
  default:
    return fail(p, "unknown record (expected c, d, n, r, u, x, p or t)");
  }
}

/* Every reference names an object born by the end of its record and alive
 * there (not dead in an earlier step nor by d in the same record). */
static int check_refs(parser *p) {
  timeline *tl = p->tl;
  for (uint32_t i = 0; i < tl->nobjects; i++) {
    uint32_t k = tl->birth[i];
    for (uint64_t e = tl->first[i]; e < tl->first[i + 1]; e++) {
      uint32_t t = tl->target[e];
      p->line = p->line_of[i];
      if (t >= tl->obj_start[k + 1])
        return fail(p, "reference to object %u, which has no n record by "
                       "the end of this collection",
                    t);
      if (tl->death[t] != TIMELINE_NEVER && tl->death[t] < 2 * k + 1)
        return fail(p, "reference to object %u, which died before this "
                       "collection",
                    t);
    }
  }
  for (uint32_t j = 0; j < tl->nr; j++) {
    uint32_t i = tl->r_obj[j], k = p->r_rec[j];
    p->line = p->r_line[j];
    if (tl->death[i] != 2 * k + 1)
      return fail(p, "r record for object %u, which this collection does "
                     "not free (an r line belongs to a u object)",
                  i);
    for (uint64_t e = tl->r_first[j]; e < tl->r_first[j + 1]; e++) {
      uint32_t t = tl->r_target[e];
      if (t >= tl->obj_start[k + 1])
        return fail(p, "reference to object %u, which has no n record by "
                       "the end of this collection",
                    t);
      if (tl->death[t] != TIMELINE_NEVER && tl->death[t] < 2 * k + 1)
        return fail(p, "reference to object %u, which died before this "
                       "collection",
                    t);
    }
  }
  return 0;
}

static int alloc_arrays(timeline *tl, const sizes *z) {
  size_t n = (size_t)z->n + 1, c = (size_t)z->c + 1;
  tl->size = malloc(n * sizeof *tl->size);
  tl->external = malloc(n * sizeof *tl->external);
  tl->birth = malloc(n * sizeof *tl->birth);
  tl->death = malloc(n * sizeof *tl->death);
  tl->first = calloc(n + 1, sizeof *tl->first);
  tl->target = malloc(((size_t)z->refs + 1) * sizeof *tl->target);
  tl->obj_start = calloc(c + 1, sizeof *tl->obj_start);
  tl->dead = malloc(((size_t)z->dead + 1) * sizeof *tl->dead);
  tl->dead_start = calloc(2 * c + 1, sizeof *tl->dead_start);
  tl->gen = calloc(c, sizeof *tl->gen);
  tl->collected = calloc(c, sizeof *tl->collected);
  tl->examined = calloc(c, sizeof *tl->examined);
  tl->explicit_ = calloc(c, sizeof *tl->explicit_);
  size_t r = (size_t)z->r + 1;
  tl->rix = malloc(n * sizeof *tl->rix);
  tl->r_obj = malloc(r * sizeof *tl->r_obj);
  tl->r_first = calloc(r + 1, sizeof *tl->r_first);
  tl->r_target = malloc(((size_t)z->rrefs + 1) * sizeof *tl->r_target);
  tl->untrack = malloc(n * sizeof *tl->untrack);
  tl->unt = malloc(((size_t)z->x + 1) * sizeof *tl->unt);
  tl->unt_start = calloc(c + 1, sizeof *tl->unt_start);
  if (tl->rix)
    for (size_t i = 0; i < n; i++) tl->rix[i] = UINT32_MAX;
  if (tl->untrack)
    for (size_t i = 0; i < n; i++) tl->untrack[i] = TIMELINE_NEVER;
  return tl->untrack && tl->unt && tl->unt_start && tl->rix && tl->r_obj && tl->r_first && tl->r_target && tl->size && tl->external && tl->birth && tl->death && tl->first &&
                 tl->target && tl->obj_start && tl->dead && tl->dead_start &&
                 tl->gen && tl->collected && tl->examined && tl->explicit_
             ? 0
             : -1;
}

int timeline_parse(const char *buf, size_t len, const char *name,
                   timeline *tl, char *err, size_t errlen) {
  memset(tl, 0, sizeof *tl);
  parser p = {.name = name, .err = err, .errlen = errlen, .tl = tl,
              .state = -1};
  sizes z;
  count(buf, len, &z);
  if (z.n > UINT32_MAX - 2 || z.c > UINT32_MAX / 2 - 2) {
    p.line = 1;
    fail(&p, "more objects or collections than the replay holds (2^32)");
    return -1;
  }
  p.line_of = malloc(((size_t)z.n + 1) * sizeof *p.line_of);
  p.r_line = malloc(((size_t)z.r + 1) * sizeof *p.r_line);
  p.r_rec = malloc(((size_t)z.r + 1) * sizeof *p.r_rec);
  if (!p.line_of || !p.r_line || !p.r_rec || alloc_arrays(tl, &z)) {
    free(p.line_of), free(p.r_line), free(p.r_rec);
    timeline_free(tl);
    snprintf(err, errlen,
             "%s: out of memory reading the capture (a smaller capture, or "
             "more memory)",
             name);
    return -2;
  }
  const char *s = buf, *end = buf + len;
  int rc = 0;
  while (s < end && rc == 0) {
    const char *e = memchr(s, '\n', (size_t)(end - s));
    if (!e) e = end;
    p.line++;
    if (p.line == 1) {
      /* 3; 2: no x records; 1: no examined, kind */
      const char magic[] = "gctimeline 3";
      size_t m = (size_t)(e - s);
      while (m > 0 && (s[m - 1] == '\r' || s[m - 1] == ' ')) m--;
      if (m != sizeof magic - 1 || memcmp(s, magic, m - 1) != 0 ||
          s[m - 1] < '1' || s[m - 1] > '3')
        rc = fail(&p, "not a gctimeline file (the first line must be "
                      "\"gctimeline 3\", 2 or 1; write one with "
                      "scripts/trace-python)");
      else
        p.version = s[m - 1] - '0';
    } else {
      rc = parse_line(&p, s, e);
    }
    s = e + 1;
  }
  if (rc == 0 && p.line == 0) {
    p.line = 1;
    rc = fail(&p, "empty file (write a capture with scripts/trace-python)");
  }
  if (rc == 0 && !p.trailer)
    rc = fail(&p, "truncated: no trailer (t) line at the end (an "
                  "interrupted capture? record it again)");
  if (rc == 0) {
    for (uint32_t i = 0; i < tl->nobjects; i++)
      tl->first[i + 1] += tl->first[i];
    rc = check_refs(&p);
  }
  free(p.line_of), free(p.r_line), free(p.r_rec);
  if (rc) timeline_free(tl);
  return rc;
}
void timeline_free(timeline *tl) {
  free(tl->size), free(tl->external), free(tl->birth), free(tl->death);
  free(tl->first), free(tl->target), free(tl->obj_start), free(tl->dead);
  free(tl->dead_start), free(tl->gen), free(tl->collected);
  free(tl->examined), free(tl->explicit_);
  free(tl->rix), free(tl->r_obj), free(tl->r_first), free(tl->r_target);
  free(tl->untrack), free(tl->unt), free(tl->unt_start);
  memset(tl, 0, sizeof *tl);
}

int timeline_load(const char *path, timeline *tl, char *err, size_t errlen) {
  memset(tl, 0, sizeof *tl);
  gzFile gz = gzopen(path, "rb"); /* gzip, or plain bytes as they are */
  if (!gz) {
    snprintf(err, errlen, "%s: cannot open (check the path)", path);
    return -1;
  }
  size_t cap = 1 << 20, len = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (!buf) {
      gzclose(gz);
      snprintf(err, errlen, "%s: out of memory reading the capture", path);
      return -2;
    }
    if (cap - len < (1 << 16)) {
      char *q = realloc(buf, cap * 2);
      if (!q) {
        free(buf);
        buf = NULL;
        continue;
      }
      buf = q, cap *= 2;
    }
    int k = gzread(gz, buf + len, (unsigned)(cap - len));
    if (k < 0) {
      int errnum;
      const char *msg = gzerror(gz, &errnum);
      snprintf(err, errlen, "%s: unreadable (%s; check it with gzip -t)",
               path, msg ? msg : "read error");
      free(buf);
      gzclose(gz);
      return -1;
    }
    if (k == 0) break;
    len += (size_t)k;
  }
  int errnum = 0;
  gzerror(gz, &errnum); /* zlib ends a cut stream quietly: ask it */
  gzclose(gz);
  if (errnum == Z_BUF_ERROR) {
    snprintf(err, errlen,
             "%s: the gzip data is cut short (an incomplete copy? check it "
             "with gzip -t)",
             path);
    free(buf);
    return -1;
  }
  int rc = timeline_parse(buf, len, path, tl, err, errlen);
  free(buf);
  return rc;
}

/* ---- the answer ------------------------------------------------------------ */

/* A reference is replayed when its target outlives the capture or dies in
 * the same step as its source (the header comment says why). */
static inline int kept(const timeline *tl, uint32_t from, uint32_t to) {
  return tl->death[to] == TIMELINE_NEVER || tl->death[to] == tl->death[from];
}

/* The references object i has when it dies: its r record's if it has
 * one, none if a collection untracked it, else its n record's. */
static const uint32_t *final_refs(const timeline *tl, uint32_t i,
                                  uint64_t *n) {
  if (tl->untrack[i] != TIMELINE_NEVER) { /* cleared when untracked */
    *n = 0;
    return tl->target;
  }
  uint32_t j = tl->rix[i];
  if (j == UINT32_MAX) {
    *n = tl->first[i + 1] - tl->first[i];
    return tl->target + tl->first[i];
  }
  *n = tl->r_first[j + 1] - tl->r_first[j];
  return tl->r_target + tl->r_first[j];
}

/* Slots: room for the kept references of its n record and of its r
 * record. */
static uint32_t nslots(const timeline *tl, uint32_t i) {
  uint32_t n = 0, m = 0;
  for (uint64_t e = tl->first[i]; e < tl->first[i + 1]; e++)
    n += (uint32_t)kept(tl, i, tl->target[e]);
  uint64_t nr;
  const uint32_t *to = final_refs(tl, i, &nr);
  for (uint64_t e = 0; e < nr; e++) m += (uint32_t)kept(tl, i, to[e]);
  return n > m ? n : m;
}

/* cyclic[i] = 1 if object i dies and reference counting cannot free it:
 * peel the dead objects no dead object refers to (Kahn's algorithm over
 * the kept references; a dead object is referred to only from its own
 * step's group). */
static int classify(const timeline *tl, unsigned char *cyclic,
                    wl_answer *ans) {
  size_t n = (size_t)tl->nobjects + 1;
  uint32_t *in = calloc(n, sizeof *in), *work = malloc(n * sizeof *work);
  if (!in || !work) {
    free(in), free(work);
    return -1;
  }
  for (uint32_t i = 0; i < tl->nobjects; i++) {
    uint64_t nr;
    const uint32_t *to = final_refs(tl, i, &nr);
    for (uint64_t e = 0; e < nr; e++)
      if (kept(tl, i, to[e])) in[to[e]]++;
  }
  size_t sp = 0;
  uint64_t live = 0, rc = 0;
  for (uint32_t i = 0; i < tl->nobjects; i++) {
    cyclic[i] = tl->death[i] != TIMELINE_NEVER;
    live += !cyclic[i];
    if (cyclic[i] && in[i] == 0) work[sp++] = i;
  }
  while (sp > 0) {
    uint32_t o = work[--sp];
    cyclic[o] = 0, rc++;
    uint64_t nr;
    const uint32_t *to = final_refs(tl, o, &nr);
    for (uint64_t e = 0; e < nr; e++) {
      uint32_t t = to[e];
      if (kept(tl, o, t) && --in[t] == 0 && tl->death[t] != TIMELINE_NEVER)
        work[sp++] = t;
    }
  }
  free(in), free(work);
  *ans = (wl_answer){0};
  ans->allocated = tl->nobjects;
  ans->live = live;
  ans->freed_by_rc = rc;
  ans->cyclic = tl->nobjects - live - rc;
  return 0;
}

/* ---- the replay ---------------------------------------------------------- */

typedef struct replay {
  gc_heap *h;
  const timeline *tl;
  const unsigned char *cyclic;
  long *root;  /* [N] root entry of each object, -1 before birth */
  uint32_t *slots; /* [N] slots of each object */
  double scale;
  int capture; /* schedule=capture */
  uint64_t *unt_count; /* [C] x objects untracked in the heap, or NULL */
} replay;

static uint32_t payload(const replay *r, uint32_t i) {
  double b = (double)r->tl->size[i] * r->scale;
  return b > (double)GC_MAX_PAYLOAD ? GC_MAX_PAYLOAD : (uint32_t)b;
}

/* With schedule=capture, a u object that reference counting frees and
 * that keeps no reference (a leaf; in a version-2 capture, also a tuple
 * of atoms CPython only untracked) dies just after its collection, not
 * before: CPython's collection examined it, and it keeps nothing alive. */
static int after(const replay *r, uint32_t step, uint32_t i) {
  if (!r->capture || !(step & 1) || r->cyclic[i]) return 0;
  uint64_t nr;
  const uint32_t *to = final_refs(r->tl, i, &nr);
  for (uint64_t e = 0; e < nr; e++)
    if (kept(r->tl, i, to[e])) return 0;
  return 1;
}

/* Step s's objects lose their entries (part 0: all; 1: those not dying
 * after the collection; 2: those); its cyclic garbage is noted. */
static void die(replay *r, uint32_t step, int part) {
  const timeline *tl = r->tl;
  uint64_t objs = 0, bytes = 0;
  /* first the references the dying objects had at their death (targets
   * in the same step, still held, or never dying) */
  for (uint64_t j = tl->dead_start[step]; j < tl->dead_start[step + 1]; j++) {
    uint32_t i = tl->dead[j];
    if (part && after(r, step, i) != (part == 2)) continue;
    if (tl->rix[i] == UINT32_MAX) continue;
    gc_object *o = gc_root_get(r->h, (size_t)r->root[i]);
    uint64_t nr;
    const uint32_t *to = final_refs(tl, i, &nr);
    uint32_t slot = 0;
    for (uint64_t e = 0; e < nr; e++)
      if (kept(tl, i, to[e]))
        gc_slot_set(r->h, o, slot++, gc_root_get(r->h, (size_t)r->root[to[e]]));
    while (slot < r->slots[i]) gc_slot_set(r->h, o, slot++, NULL);
  }
  for (uint64_t j = tl->dead_start[step]; j < tl->dead_start[step + 1]; j++) {
    uint32_t i = tl->dead[j];
    if (part && after(r, step, i) != (part == 2)) continue;
    gc_root_set(r->h, (size_t)r->root[i], NULL);
    if (r->cyclic[i])
      objs++, bytes += wl_object_bytes(r->h, r->slots[i], payload(r, i));
  }
  if (objs) gc_note_garbage(r->h, objs, bytes);
}

/* The objects collection k untracked leave the collector's view, as in
 * CPython: their slots emptied first (an untracked object holds no
 * tracked one; the references it keeps are to objects each held by its
 * own root entry until it dies, so emptying them frees nothing, and its
 * n record's references to containers are stale by then). */
static int untrack(replay *r, uint32_t k) {
  const timeline *tl = r->tl;
  uint64_t n = 0;
  for (uint64_t j = tl->unt_start[k]; j < tl->unt_start[k + 1]; j++) {
    uint32_t i = tl->unt[j];
    gc_object *o = gc_root_get(r->h, (size_t)r->root[i]);
    for (uint32_t slot = 0; slot < r->slots[i]; slot++)
      gc_slot_set(r->h, o, slot, NULL);
    if (gc_untrack(r->h, o) != GC_OK) return WL_EINPUT;
  }
  if (r->unt_count) { /* read back from the heap, once all are done */
    for (uint64_t j = tl->unt_start[k]; j < tl->unt_start[k + 1]; j++)
      n += !gc_is_tracked(gc_root_get(r->h, (size_t)r->root[tl->unt[j]]));
    r->unt_count[k] = n;
  }
  return WL_OK;
}

/* The untracked_csv file: collection,cpython_untracked,replay_untracked;
 * written to a temporary file renamed over PATH (a FIFO or a device is
 * written in place). */
static int write_untracked(const char *path, const timeline *tl,
                           const uint64_t *n, char *err, size_t errlen) {
  char tmp[4096];
  FILE *f = NULL;
  struct stat st;
  int direct = stat(path, &st) == 0 && !S_ISREG(st.st_mode);
  if (direct) {
    f = fopen(path, "w");
  } else if (snprintf(tmp, sizeof tmp, "%s.tmp", path) < (int)sizeof tmp) {
    f = fopen(tmp, "w");
  }
  if (!f) {
    snprintf(err, errlen, "untracked_csv %s: cannot write (check the "
             "folder)", path);
    return WL_EINPUT;
  }
  fprintf(f, "collection,cpython_untracked,replay_untracked\n");
  for (uint32_t k = 0; k < tl->ncollections; k++)
    fprintf(f, "%u,%llu,%llu\n", k,
            (unsigned long long)(tl->unt_start[k + 1] - tl->unt_start[k]),
            (unsigned long long)n[k]);
  int bad = ferror(f);
  bad |= fclose(f) != 0;
  if (!bad && !direct && rename(tmp, path) != 0) bad = 1;
  if (bad) {
    if (!direct) remove(tmp);
    snprintf(err, errlen, "untracked_csv %s: cannot write (check the "
             "folder and the space left)", path);
    return WL_EINPUT;
  }
  return WL_OK;
}

/* Record k's new objects: allocated and held first, then their slots. */
static int born(replay *r, uint32_t k) {
  const timeline *tl = r->tl;
  for (uint32_t i = tl->obj_start[k]; i < tl->obj_start[k + 1]; i++) {
    gc_object *o = gc_new(r->h, r->slots[i], payload(r, i));
    if (!o) return WL_ENOMEM;
    uint32_t ext = tl->external[i] ? tl->external[i] : 1;
    long e = gc_root_push_n_steal(r->h, o, ext);
    if (e < 0) {
      gc_decref(r->h, o);
      return WL_ENOMEM;
    }
    r->root[i] = e;
  }
  for (uint32_t i = tl->obj_start[k]; i < tl->obj_start[k + 1]; i++) {
    gc_object *o = gc_root_get(r->h, (size_t)r->root[i]);
    uint32_t slot = 0;
    for (uint64_t e = tl->first[i]; e < tl->first[i + 1]; e++) {
      uint32_t t = tl->target[e];
      if (kept(tl, i, t))
        gc_slot_set(r->h, o, slot++, gc_root_get(r->h, (size_t)r->root[t]));
    }
  }
  return WL_OK;
}

/* The most bytes of objects the replay holds at once, at the least: after
 * each record's births, every object born and not dead yet at its size
 * class (a dead one still counts when it is cyclic and no collection
 * runs). */
static double replay_need(const replay *r) {
  const timeline *tl = r->tl;
  int keeps = wl_keeps_garbage(r->h);
  double live = 0, peak = 0;
  for (uint32_t k = 0; k < tl->ncollections; k++) {
    for (int u = 0; u < 2; u++) {
      uint32_t step = 2 * k + (uint32_t)u;
      for (uint64_t j = tl->dead_start[step]; j < tl->dead_start[step + 1];
           j++) {
        uint32_t i = tl->dead[j];
        if (!(keeps && r->cyclic[i]))
          live -= (double)gc_heap_object_cost(r->h, r->slots[i], payload(r, i));
      }
      if (u) continue;
      for (uint32_t i = tl->obj_start[k]; i < tl->obj_start[k + 1]; i++)
        live += (double)gc_heap_object_cost(r->h, r->slots[i], payload(r, i));
      if (live > peak) peak = live;
    }
  }
  return peak;
}

/* timeline_build, refusing first (err not NULL) a replay whose need does
 * not fit the memory budget (workload.h). */
static int build(gc_heap *h, const timeline *tl, double payload_scale,
                 int capture, const char *csv, wl_answer *ans, char *err,
                 size_t errlen) {
  size_t n = (size_t)tl->nobjects + 1;
  unsigned char *cyclic = malloc(n);
  long *root = malloc(n * sizeof *root);
  uint32_t *slots = malloc(n * sizeof *slots);
  int rc = WL_ENOMEM;
  if (cyclic && root && slots && classify(tl, cyclic, ans) == 0) {
    for (uint32_t i = 0; i < tl->nobjects; i++) slots[i] = nslots(tl, i);
    replay r = {h, tl, cyclic, root, slots, payload_scale, capture, NULL};
    rc = WL_OK;
    if (csv && *csv) {
      r.unt_count = calloc((size_t)tl->ncollections + 1, sizeof *r.unt_count);
      if (!r.unt_count) rc = WL_ENOMEM;
    }
    if (err) {
      char what[64];
      snprintf(what, sizeof what, "the timeline (%u objects)", tl->nobjects);
      rc = wl_memory_check(h, what, replay_need(&r),
                           (double)tl->nobjects * (1 + 8 + 4 + 16),
                           "lower -p payload_scale (0 leaves the payloads "
                           "out) or replay a smaller capture",
                           err, errlen);
    }
    if (rc == WL_OK && gc_root_reserve(h, tl->nobjects) != 0) rc = WL_ENOMEM;
    int was_auto = gc_get_auto(h);
    if (capture) gc_set_auto(h, 0);
    for (uint32_t k = 0; k < tl->ncollections && rc == WL_OK; k++) {
      die(&r, 2 * k, 0);
      rc = born(&r, k);
      if (rc == WL_OK) die(&r, 2 * k + 1, capture ? 1 : 0);
      /* collection k itself, where CPython ran it: its u objects are
       * garbage now, so it can free them */
      if (rc == WL_OK && (capture || tl->explicit_[k]))
        gc_collect(h, (int)tl->gen[k]);
      if (rc == WL_OK && capture) die(&r, 2 * k + 1, 2);
      if (rc == WL_OK) rc = untrack(&r, k);
    }
    gc_set_auto(h, was_auto);
    if (rc == WL_OK && r.unt_count)
      rc = write_untracked(csv, tl, r.unt_count, err, errlen);
    free(r.unt_count);
  }
  free(cyclic), free(root), free(slots);
  return rc;
}

int timeline_build(gc_heap *h, const timeline *tl, double payload_scale,
                   wl_answer *ans) {
  return build(h, tl, payload_scale, 0, NULL, ans, NULL, 0);
}

static int timeline_run(gc_heap *h, const gc_param_set *p, uint64_t seed,
                        wl_answer *ans, char *err, size_t errlen) {
  (void)seed;
  *ans = (wl_answer){0};
  const char *file = gc_params_str(p, "file");
  if (!file || !*file) {
    snprintf(err, errlen,
             "parameter 'file' is required (-p file=PATH to a capture "
             "written by scripts/trace-python)");
    return WL_EINPUT;
  }
  const char *sched = gc_params_str(p, "schedule");
  int capture = sched && strcmp(sched, "capture") == 0;
  if (!capture && !(sched && strcmp(sched, "own") == 0)) {
    snprintf(err, errlen,
             "parameter 'schedule' is '%s' (give own or capture)",
             sched ? sched : "");
    return WL_EINPUT;
  }
  timeline tl;
  int rc = timeline_load(file, &tl, err, errlen);
  if (rc == -2) return WL_ENOMEM;
  if (rc) return WL_EINPUT;
  err[0] = 0;
  rc = build(h, &tl, gc_params_num(p, "payload_scale"), capture,
             gc_params_str(p, "untracked_csv"), ans, err, errlen);
  if (rc == WL_ENOMEM && !err[0])
    snprintf(err, errlen,
             "the %u objects of %s do not fit (try -p payload_scale=0)",
             tl.nobjects, file);
  if (rc == WL_EINPUT && !err[0])
    snprintf(err, errlen,
             "%s: an object of an x record cannot be untracked (a damaged "
             "capture: record it again)",
             file);
  timeline_free(&tl);
  return rc;
}

const workload wl_timeline = {
    .name = "timeline",
    .summary = "a real Python program's heap evolution, captured at each of "
               "CPython's collections (scripts/trace-python) and replayed",
    .params = timeline_params,
    .nparams = sizeof timeline_params / sizeof timeline_params[0],
    .run = timeline_run,
    .notes_garbage = 1,
};
