/*
 * heapfile.c -- the "gcheap 1" parser (format in heapfile.h).
 *
 * One pass over the lines fills growing arrays (objects' payload and
 * external counts, then the references as (from, to) pairs); the pairs are
 * then bucketed by source into a compressed adjacency list.  Every check
 * happens while reading, where the line number is known, so that nothing is
 * built from a file that is wrong anywhere.
 */
#define _POSIX_C_SOURCE 200809L /* getline */
#include "heapfile.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- lines from memory or from a stream ----------------------------------- */

typedef struct reader {
  const char *buf; /* memory source, or NULL */
  size_t len, pos;
  FILE *f; /* stream source */
  char *line;
  size_t cap;
  int read_error;
} reader;

/* Next line without its '\n'.  1 and (*s, *n), or 0 at the end. */
static int next_line(reader *r, const char **s, size_t *n) {
  if (r->buf) {
    if (r->pos >= r->len) return 0;
    const char *p = r->buf + r->pos;
    const char *nl = memchr(p, '\n', r->len - r->pos);
    size_t k = nl ? (size_t)(nl - p) : r->len - r->pos;
    r->pos += k + (nl != NULL);
    *s = p, *n = k;
    return 1;
  }
  ssize_t k = getline(&r->line, &r->cap, r->f);
  if (k < 0) {
    if (ferror(r->f)) r->read_error = errno ? errno : EIO;
    return 0;
  }
  if (k > 0 && r->line[k - 1] == '\n') k--;
  *s = r->line, *n = (size_t)k;
  return 1;
}

/* ---- parser state ----------------------------------------------------------- */

typedef struct parser {
  const char *name;
  uint64_t lineno;
  char *err;
  size_t errlen;
  heapfile *hf;
  uint64_t ocap;       /* capacity of payload/external */
  uint32_t *from, *to; /* the references, in file order */
  uint64_t rcap;
  uint64_t *outdeg; /* [N], allocated at the first `r` line */
  int in_refs;
} parser;

#define MAX_FIELDS 4

typedef struct field {
  const char *s;
  size_t n;
} field;

static int fail(parser *p, int rc, const char *fmt, ...) {
  int k = snprintf(p->err, p->errlen, "%s:%llu: ", p->name,
                   (unsigned long long)p->lineno);
  if (k < 0 || (size_t)k >= p->errlen) return rc;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->err + k, p->errlen - (size_t)k, fmt, ap);
  va_end(ap);
  return rc;
}

/* A printable excerpt of a field, for messages (bytes outside printable
 * ASCII become '?', so a binary file cannot garble the error line). */
static const char *excerpt(const char *s, size_t n, char *out, size_t cap) {
  size_t k = 0;
  for (; k < n && k + 4 < cap; k++)
    out[k] = isprint((unsigned char)s[k]) ? s[k] : '?';
  if (k < n && cap > 4) memcpy(out + k, "...", 3), k += 3;
  out[k] = '\0';
  return out;
}

/* Split on blanks into at most MAX_FIELDS + 1 fields (one more than any
 * record has, so extra fields are noticed). */
static size_t split(const char *s, size_t n, field *f) {
  size_t nf = 0, i = 0;
  while (i < n && nf <= MAX_FIELDS) {
    while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
    if (i == n) break;
    size_t b = i;
    while (i < n && s[i] != ' ' && s[i] != '\t') i++;
    f[nf++] = (field){s + b, i - b};
  }
  return nf;
}

static int parse_u64(parser *p, field f, const char *what, uint64_t *out) {
  char ex[32];
  if (f.n > 0 && f.s[0] == '-')
    return fail(p, HEAPFILE_EINPUT,
                "%s '%s' is negative (counts and ids are unsigned)", what,
                excerpt(f.s, f.n, ex, sizeof ex));
  uint64_t v = 0;
  for (size_t i = 0; i < f.n; i++) {
    unsigned d = (unsigned)(unsigned char)f.s[i] - '0';
    if (d > 9)
      return fail(p, HEAPFILE_EINPUT,
                  "%s '%s' is not a whole number (write unsigned decimal "
                  "digits)",
                  what, excerpt(f.s, f.n, ex, sizeof ex));
    if (v > (UINT64_MAX - d) / 10)
      return fail(p, HEAPFILE_EINPUT, "%s '%s' is too large", what,
                  excerpt(f.s, f.n, ex, sizeof ex));
    v = v * 10 + d;
  }
  *out = v;
  return HEAPFILE_OK;
}

/* Grow *arr (elements of `size` bytes) to hold at least need elements. */
static int grow(void **arr, uint64_t *cap, uint64_t need, size_t size) {
  if (need <= *cap) return 0;
  uint64_t c = *cap ? *cap : 1024;
  while (c < need) c *= 2;
  if (c > SIZE_MAX / size) return -1;
  void *a = realloc(*arr, (size_t)c * size);
  if (!a) return -1;
  *arr = a;
  *cap = c;
  return 0;
}

static int out_of_memory(parser *p) {
  return fail(p, HEAPFILE_ENOMEM,
              "out of memory reading the snapshot (try a smaller file)");
}

/* ---- records ----------------------------------------------------------------- */

static int parse_header(parser *p, const char *s, size_t n) {
  field f[MAX_FIELDS + 1];
  char ex[40];
  size_t nf = split(s, n, f);
  if (nf == 0 || f[0].n != 6 || memcmp(f[0].s, "gcheap", 6) != 0)
    return fail(p, HEAPFILE_EINPUT,
                "not a gcheap file: line 1 is '%s' (want 'gcheap %d')",
                excerpt(s, n, ex, sizeof ex), HEAPFILE_VERSION);
  if (nf != 2)
    return fail(p, HEAPFILE_EINPUT,
                "bad header '%s' (want 'gcheap %d')",
                excerpt(s, n, ex, sizeof ex), HEAPFILE_VERSION);
  uint64_t v;
  int rc = parse_u64(p, f[1], "version", &v);
  if (rc) return rc;
  if (v != HEAPFILE_VERSION)
    return fail(p, HEAPFILE_EINPUT,
                "unsupported version %llu (this loader reads gcheap %d; "
                "write the file with a matching tool)",
                (unsigned long long)v, HEAPFILE_VERSION);
  return HEAPFILE_OK;
}

static int parse_object(parser *p, const field *f, size_t nf) {
  heapfile *hf = p->hf;
  uint64_t id, payload, ext;
  int rc;
  if (p->in_refs)
    return fail(p, HEAPFILE_EINPUT,
                "object after references (put every 'o' line before the "
                "first 'r' line)");
  if (nf != 4)
    return fail(p, HEAPFILE_EINPUT,
                "%s object record: %zu fields (want 'o <id> <payload_bytes> "
                "<external_refs>')",
                nf < 4 ? "truncated" : "garbled", nf - 1);
  if ((rc = parse_u64(p, f[1], "id", &id)) ||
      (rc = parse_u64(p, f[2], "payload_bytes", &payload)) ||
      (rc = parse_u64(p, f[3], "external_refs", &ext)))
    return rc;
  if (id != hf->nobjects)
    return fail(p, HEAPFILE_EINPUT,
                "object id %llu out of order, want %llu (ids are 0..N-1 in "
                "order)",
                (unsigned long long)id, (unsigned long long)hf->nobjects);
  if (hf->nobjects >= HEAPFILE_MAX_OBJECTS)
    return fail(p, HEAPFILE_EINPUT, "more than %llu objects",
                (unsigned long long)HEAPFILE_MAX_OBJECTS);
  if (payload > GC_MAX_PAYLOAD)
    return fail(p, HEAPFILE_EINPUT,
                "payload %llu bytes is more than the model's %u per object "
                "(clamp it)",
                (unsigned long long)payload, (unsigned)GC_MAX_PAYLOAD);
  if (ext > UINT32_MAX - 1u)
    return fail(p, HEAPFILE_EINPUT,
                "external_refs %llu overflows a 32-bit reference count",
                (unsigned long long)ext);
  uint64_t c = p->ocap;
  if (grow((void **)&hf->payload, &c, id + 1, sizeof *hf->payload) ||
      grow((void **)&hf->external, &p->ocap, id + 1, sizeof *hf->external))
    return out_of_memory(p);
  hf->payload[id] = (uint32_t)payload;
  hf->external[id] = (uint32_t)ext;
  hf->nexternal += ext;
  hf->nobjects++;
  return HEAPFILE_OK;
}

/* The first `r` line: the object count is final, size the degree arrays. */
static int start_refs(parser *p) {
  heapfile *hf = p->hf;
  size_t n = (size_t)hf->nobjects + 1; /* never 0 bytes */
  p->in_refs = 1;
  p->outdeg = calloc(n, sizeof *p->outdeg);
  hf->indegree = calloc(n, sizeof *hf->indegree);
  if (!p->outdeg || !hf->indegree) return out_of_memory(p);
  return HEAPFILE_OK;
}

static int parse_ref(parser *p, const field *f, size_t nf) {
  heapfile *hf = p->hf;
  uint64_t from, to;
  int rc;
  if (!p->in_refs && (rc = start_refs(p))) return rc;
  if (nf != 3)
    return fail(p, HEAPFILE_EINPUT,
                "%s reference record: %zu fields (want 'r <from_id> "
                "<to_id>')",
                nf < 3 ? "truncated" : "garbled", nf - 1);
  if ((rc = parse_u64(p, f[1], "from_id", &from)) ||
      (rc = parse_u64(p, f[2], "to_id", &to)))
    return rc;
  uint64_t bad = from >= hf->nobjects ? from : to;
  if (from >= hf->nobjects || to >= hf->nobjects) {
    if (hf->nobjects == 0)
      return fail(p, HEAPFILE_EINPUT,
                  "reference to unknown object %llu (the file has no objects)",
                  (unsigned long long)bad);
    return fail(p, HEAPFILE_EINPUT,
                "reference to unknown object %llu (the file has objects "
                "0..%llu)",
                (unsigned long long)bad,
                (unsigned long long)(hf->nobjects - 1));
  }
  if (p->outdeg[from] >= GC_MAX_SLOTS)
    return fail(p, HEAPFILE_EINPUT,
                "object %llu has more than %u references (the model's "
                "maximum)",
                (unsigned long long)from, (unsigned)GC_MAX_SLOTS);
  /* refcnt = incoming + external + the loader's own while building */
  if ((uint64_t)hf->indegree[to] + hf->external[to] + 2 > UINT32_MAX)
    return fail(p, HEAPFILE_EINPUT,
                "object %llu has too many references for a 32-bit count",
                (unsigned long long)to);
  uint64_t c = p->rcap;
  if (grow((void **)&p->from, &c, hf->nrefs + 1, sizeof *p->from) ||
      grow((void **)&p->to, &p->rcap, hf->nrefs + 1, sizeof *p->to))
    return out_of_memory(p);
  p->from[hf->nrefs] = (uint32_t)from;
  p->to[hf->nrefs] = (uint32_t)to;
  hf->nrefs++;
  p->outdeg[from]++;
  hf->indegree[to]++;
  return HEAPFILE_OK;
}

static int parse_record(parser *p, const char *s, size_t n) {
  field f[MAX_FIELDS + 1];
  char ex[40];
  size_t nf = split(s, n, f);
  if (nf == 0 || f[0].s[0] == '#') return HEAPFILE_OK; /* blank, comment */
  if (f[0].n == 1 && f[0].s[0] == 'o') return parse_object(p, f, nf);
  if (f[0].n == 1 && f[0].s[0] == 'r') return parse_ref(p, f, nf);
  return fail(p, HEAPFILE_EINPUT,
              "unknown record '%s' (want 'o', 'r' or a '#' comment)",
              excerpt(f[0].s, f[0].n, ex, sizeof ex));
}

/* Bucket the references by source, keeping file order within a source
 * (a counting sort: the slot order is the order of the `r` lines). */
static int build_csr(parser *p) {
  heapfile *hf = p->hf;
  uint64_t n = hf->nobjects;
  hf->first = malloc(((size_t)n + 1) * sizeof *hf->first);
  hf->target = malloc(((size_t)hf->nrefs + 1) * sizeof *hf->target);
  if (!hf->indegree) hf->indegree = calloc((size_t)n + 1, sizeof *hf->indegree);
  if (!hf->first || !hf->target || !hf->indegree) return out_of_memory(p);
  uint64_t sum = 0;
  for (uint64_t i = 0; i < n; i++) {
    hf->first[i] = sum;
    sum += p->outdeg ? p->outdeg[i] : 0;
  }
  hf->first[n] = sum;
  for (uint64_t k = 0; k < hf->nrefs; k++)
    hf->target[hf->first[p->from[k]]++] = p->to[k];
  /* first[i] now holds the end of i, which is the start of i + 1 */
  for (uint64_t i = n; i > 0; i--) hf->first[i] = hf->first[i - 1];
  hf->first[0] = 0;
  return HEAPFILE_OK;
}

static void parser_done(parser *p) {
  free(p->from);
  free(p->to);
  free(p->outdeg);
}

static int parse_lines(parser *p, reader *r) {
  const char *s;
  size_t n;
  int rc;
  if (!next_line(r, &s, &n)) {
    p->lineno = 1;
    if (r->read_error)
      return fail(p, HEAPFILE_EINPUT, "cannot read: %s",
                  strerror(r->read_error));
    return fail(p, HEAPFILE_EINPUT,
                "empty file (want 'gcheap %d' on the first line)",
                HEAPFILE_VERSION);
  }
  p->lineno = 1;
  if (n > 0 && s[n - 1] == '\r') n--;
  if ((rc = parse_header(p, s, n))) return rc;
  while (next_line(r, &s, &n)) {
    p->lineno++;
    if (n > 0 && s[n - 1] == '\r') n--;
    if ((rc = parse_record(p, s, n))) return rc;
  }
  if (r->read_error)
    return fail(p, HEAPFILE_EINPUT, "cannot read: %s",
                strerror(r->read_error));
  return build_csr(p);
}

static int parse_from(reader *r, const char *name, heapfile *hf, char *err,
                      size_t errlen) {
  memset(hf, 0, sizeof *hf);
  if (errlen) err[0] = '\0';
  parser p = {.name = name, .err = err, .errlen = errlen, .hf = hf};
  int rc = parse_lines(&p, r);
  parser_done(&p);
  if (rc) heapfile_free(hf);
  return rc;
}

int heapfile_parse(const char *buf, size_t len, const char *name,
                   heapfile *hf, char *err, size_t errlen) {
  reader r = {.buf = buf ? buf : "", .len = buf ? len : 0};
  return parse_from(&r, name, hf, err, errlen);
}

int heapfile_load(const char *path, heapfile *hf, char *err, size_t errlen) {
  memset(hf, 0, sizeof *hf);
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errlen, "%s: cannot open: %s (check the path)", path,
             strerror(errno));
    return HEAPFILE_EINPUT;
  }
  reader r = {.f = f};
  int rc = parse_from(&r, path, hf, err, errlen);
  free(r.line);
  fclose(f);
  return rc;
}

void heapfile_free(heapfile *hf) {
  free(hf->payload);
  free(hf->external);
  free(hf->indegree);
  free(hf->first);
  free(hf->target);
  memset(hf, 0, sizeof *hf);
}
