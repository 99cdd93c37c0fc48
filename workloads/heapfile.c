/*
 * heapfile.c -- the "gcheap" parser (format in heapfile.h).
 *
 * Files are read through zlib, which passes plain bytes through and
 * decompresses gzip data (by its magic bytes).  One pass over the lines
 * fills growing arrays (objects' payload and external counts, then the
 * references as (from, to) pairs); the pairs are then bucketed by source into a compressed adjacency list.  Every check
 * happens while reading, where the line number is known, so that nothing is
 * built from a file that is wrong anywhere.  A version 3 file must end with
 * its `end` record, whose counts must match what was read: a file cut short
 * anywhere (between lines or inside one) is refused, never built.
 */
#define _POSIX_C_SOURCE 200809L /* fstat, open */
#include "heapfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* ---- lines from memory or from a (possibly gzipped) stream --------------- */

#define CHUNK (1u << 17)

typedef struct reader {
  const char *buf; /* memory source, or NULL */
  size_t len, pos;
  gzFile gz;   /* stream source: zlib reads gzip, or plain bytes as they are */
  char *chunk; /* [CHUNK] decompressed bytes, chunk[cpos..clen) unread */
  size_t cpos, clen;
  char *line; /* a line that straddles chunks */
  size_t cap;
  const char *read_error; /* set when reading failed, at the line it did */
  char why[160];
} reader;

/* Refill the chunk.  0 at the end of the data (or on an error, which sets
 * read_error: zlib reports a cut gzip stream as its end, so ask it). */
static size_t refill(reader *r) {
  r->cpos = r->clen = 0;
  int k = gzread(r->gz, r->chunk, CHUNK);
  int errnum = Z_OK;
  const char *msg = gzerror(r->gz, &errnum);
  if (k < 0 || (k == 0 && errnum != Z_OK)) {
    if (errnum == Z_ERRNO)
      snprintf(r->why, sizeof r->why, "%s", strerror(errno ? errno : EIO));
    else if (errnum == Z_BUF_ERROR)
      snprintf(r->why, sizeof r->why,
               "the gzip data is cut short (an incomplete download or copy? "
               "check it with gzip -t)");
    else {
      const char *colon = strstr(msg, ": "); /* zlib prefixes "<fd:N>: " */
      snprintf(r->why, sizeof r->why,
               "the gzip data is corrupt (%s; check it with gzip -t)",
               colon && msg[0] == '<' ? colon + 2 : msg);
    }
    r->read_error = r->why;
    return 0;
  }
  r->clen = (size_t)k;
  return r->clen;
}

/* Append n bytes to the straddling line.  0, or -1 when out of memory. */
static int line_append(reader *r, size_t *have, const char *s, size_t n) {
  if (*have + n + 1 > r->cap) {
    size_t c = r->cap ? r->cap : 256;
    while (c < *have + n + 1) c *= 2;
    char *l = realloc(r->line, c);
    if (!l) return -1;
    r->line = l, r->cap = c;
  }
  memcpy(r->line + *have, s, n);
  *have += n;
  return 0;
}

/* Next line without its '\n'.  1 and (*s, *n), or 0 at the end (or on a
 * read error, with read_error set). */
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
  size_t have = 0;
  int partial = 0;
  for (;;) {
    if (r->cpos == r->clen && !refill(r)) {
      if (r->read_error || !partial) return 0;
      *s = r->line, *n = have; /* the last line has no '\n' */
      return 1;
    }
    const char *p = r->chunk + r->cpos;
    size_t avail = r->clen - r->cpos;
    const char *nl = memchr(p, '\n', avail);
    size_t k = nl ? (size_t)(nl - p) : avail;
    r->cpos += k + (nl != NULL);
    if (nl && !partial) { /* the whole line is in the chunk */
      *s = p, *n = k;
      return 1;
    }
    if (line_append(r, &have, p, k) != 0) {
      r->read_error = "out of memory for one line";
      return 0;
    }
    partial = 1;
    if (nl) {
      *s = r->line, *n = have;
      return 1;
    }
  }
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
  uint64_t icap;    /* capacity of hf->immortal */
  int in_refs;
  uint64_t end_line; /* the `end` record's line, 0 before it */
} parser;

#define MAX_FIELDS 5

typedef struct field {
  const char *s;
  size_t n;
} field;

/* Bytes for messages: printable ASCII as it is, anything else as \xNN, at
 * most about cap - 1 characters ("..." when cut), so a binary file or an
 * odd file name cannot garble the error line. */
static const char *escape(const char *s, size_t n, char *out, size_t cap) {
  static const char hex[] = "0123456789abcdef";
  size_t k = 0, i = 0;
  for (; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    int plain = c >= 0x20 && c < 0x7f && c != '\\';
    size_t w = plain ? 1 : 4;
    if (k + w + 4 > cap) break; /* keep room for "..." and the NUL */
    if (plain) {
      out[k++] = (char)c;
    } else {
      out[k++] = '\\', out[k++] = 'x';
      out[k++] = hex[c >> 4], out[k++] = hex[c & 15];
    }
  }
  if (i < n && k + 4 <= cap) memcpy(out + k, "...", 3), k += 3;
  if (cap) out[k < cap ? k : cap - 1] = '\0';
  return out;
}

/* A field or line for messages: escaped text, or for binary data (a NUL,
 * or at least 16 bytes of which more than a quarter are outside printable
 * ASCII) a summary: its length and first bytes in hex. */
static const char *excerpt(const char *s, size_t n, char *out, size_t cap) {
  size_t odd = 0, nul = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    nul += c == 0;
    odd += (c < 0x20 && c != '\t') || c >= 0x7f;
  }
  if (!nul && (n < 16 || odd * 4 <= n)) return escape(s, n, out, cap);
  int k = snprintf(out, cap, "binary data, %zu bytes:", n);
  for (size_t i = 0; i < n && i < 4 && k > 0 && (size_t)k + 4 < cap; i++)
    k += snprintf(out + k, cap - (size_t)k, " %02x", (unsigned char)s[i]);
  return out;
}

static int fail(parser *p, int rc, const char *fmt, ...) {
  char name[200];
  int k = snprintf(p->err, p->errlen, "%s:%llu: ",
                   escape(p->name, strlen(p->name), name, sizeof name),
                   (unsigned long long)p->lineno);
  if (k < 0 || (size_t)k >= p->errlen) return rc;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->err + k, p->errlen - (size_t)k, fmt, ap);
  va_end(ap);
  return rc;
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
  char ex[64];
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

/* Compressed data zlib does not read, by its magic bytes. */
static const char *compressor(const char *s, size_t n) {
  static const struct {
    const char *magic;
    size_t n;
    const char *name;
  } known[] = {{"\xfd" "7zXZ", 5, "xz (decompress it first: xz -d FILE)"},
               {"\x28\xb5\x2f\xfd", 4, "zstd (decompress it first: zstd -d FILE)"},
               {"BZh", 3, "bzip2 (decompress it first: bzip2 -d FILE)"},
               {"\x1f\x8b", 2, "gzip (give gcrun the file itself)"}};
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
    if (n >= known[i].n && memcmp(s, known[i].magic, known[i].n) == 0)
      return known[i].name;
  return NULL;
}

static int parse_header(parser *p, const char *s, size_t n) {
  field f[MAX_FIELDS + 1];
  char ex[64];
  const char *z = compressor(s, n);
  if (z)
    return fail(p, HEAPFILE_EINPUT, "not a gcheap file: compressed with %s",
                z);
  size_t nf = split(s, n, f);
  if (nf == 0 || f[0].n != 6 || memcmp(f[0].s, "gcheap", 6) != 0)
    return fail(p, HEAPFILE_EINPUT,
                "not a gcheap file: line 1 is '%s' (want 'gcheap 3', or "
                "1 or 2)",
                excerpt(s, n, ex, sizeof ex));
  if (nf != 2)
    return fail(p, HEAPFILE_EINPUT,
                "bad header '%s' (want 'gcheap 3', or 1 or 2)",
                excerpt(s, n, ex, sizeof ex));
  uint64_t v;
  int rc = parse_u64(p, f[1], "version", &v);
  if (rc) return rc;
  if (v < 1 || v > HEAPFILE_VERSION)
    return fail(p, HEAPFILE_EINPUT,
                "unsupported version %llu (this loader reads gcheap 1 to "
                "%d; write the file with a matching tool)",
                (unsigned long long)v, HEAPFILE_VERSION);
  p->hf->version = (unsigned)v;
  return HEAPFILE_OK;
}

/* Grow the immortal flags (zeroed) to at least n. */
static int immortal_grow(parser *p, uint64_t n) {
  uint64_t had = p->icap;
  if (grow((void **)&p->hf->immortal, &p->icap, n, 1)) return -1;
  memset(p->hf->immortal + had, 0, (size_t)(p->icap - had));
  return 0;
}

/* A record after the `end` line (two files joined?). */
static int after_end(parser *p) {
  return fail(p, HEAPFILE_EINPUT,
              "record after the 'end' line of line %llu (the 'end' line is "
              "the last record; are two files joined?)",
              (unsigned long long)p->end_line);
}

/* Version 2's optional last field of an object record. */
static int parse_flags(parser *p, field f, uint64_t id) {
  heapfile *hf = p->hf;
  char ex[64];
  if (hf->version < 2)
    return fail(p, HEAPFILE_EINPUT,
                "garbled object record: 4 fields (gcheap 1 wants 'o <id> "
                "<payload_bytes> <external_refs>'; the 'immortal' flag needs "
                "'gcheap 2' on line 1)");
  if (f.n != 8 || memcmp(f.s, "immortal", 8) != 0)
    return fail(p, HEAPFILE_EINPUT,
                "unknown object flag '%s' (the only flag is 'immortal')",
                excerpt(f.s, f.n, ex, sizeof ex));
  if (immortal_grow(p, id + 1)) return out_of_memory(p);
  hf->immortal[id] = 1;
  hf->nimmortal++;
  return HEAPFILE_OK;
}

static int parse_object(parser *p, const field *f, size_t nf) {
  heapfile *hf = p->hf;
  uint64_t id, payload, ext;
  int rc;
  if (p->end_line)
    return after_end(p);
  if (p->in_refs)
    return fail(p, HEAPFILE_EINPUT,
                "object after references (put every 'o' line before the "
                "first 'r' line)");
  if (nf < 4 || nf > 5)
    return fail(p, HEAPFILE_EINPUT,
                "%s object record: %zu fields (want 'o <id> <payload_bytes> "
                "<external_refs>'%s)",
                nf < 4 ? "truncated" : "garbled", nf - 1,
                p->hf->version < 2 ? "" : " and optionally 'immortal'");
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
  if (ext > UINT32_MAX)
    return fail(p, HEAPFILE_EINPUT,
                "external_refs %llu of object %llu overflows a 32-bit "
                "reference count (at most %lu)",
                (unsigned long long)ext, (unsigned long long)id,
                (unsigned long)UINT32_MAX);
  if (nf == 5 && (rc = parse_flags(p, f[4], id))) return rc;
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
  if (p->end_line) return after_end(p);
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
  /* refcnt while building: incoming + max(external, the loader's own) */
  uint32_t ext = hf->external[to] ? hf->external[to] : 1;
  if ((uint64_t)hf->indegree[to] + 1 + ext > UINT32_MAX)
    return fail(p, HEAPFILE_EINPUT,
                "object %llu would have %llu references (%lu external_refs "
                "+ %llu incoming), more than a 32-bit reference count holds "
                "(%lu; lower its external_refs)",
                (unsigned long long)to,
                (unsigned long long)hf->indegree[to] + 1 + hf->external[to],
                (unsigned long)hf->external[to],
                (unsigned long long)hf->indegree[to] + 1,
                (unsigned long)UINT32_MAX);
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

/* Version 3's last record, `end <objects> <references>`: the counts of the
 * `o` and `r` lines before it.  A prefix of a decimal count is a different
 * number, so a file cut inside this line fails here too. */
static int parse_end(parser *p, const field *f, size_t nf) {
  heapfile *hf = p->hf;
  uint64_t nobj, nref;
  int rc;
  if (hf->version < 3)
    return fail(p, HEAPFILE_EINPUT,
                "an 'end' record needs 'gcheap 3' on line 1 (this file says "
                "gcheap %u)",
                hf->version);
  if (p->end_line) return after_end(p);
  if (nf != 3)
    return fail(p, HEAPFILE_EINPUT,
                "%s end record: %zu fields (want 'end <objects> "
                "<references>'%s)",
                nf < 3 ? "truncated" : "garbled", nf - 1,
                nf < 3 ? "; the file is cut short?" : "");
  if ((rc = parse_u64(p, f[1], "objects", &nobj)) ||
      (rc = parse_u64(p, f[2], "references", &nref)))
    return rc;
  if (nobj != hf->nobjects || nref != hf->nrefs)
    return fail(p, HEAPFILE_EINPUT,
                "the end line counts %llu objects and %llu references, the "
                "file has %llu and %llu (cut short or edited: copy or write "
                "it again)",
                (unsigned long long)nobj, (unsigned long long)nref,
                (unsigned long long)hf->nobjects,
                (unsigned long long)hf->nrefs);
  p->end_line = p->lineno;
  hf->checked = 1;
  return HEAPFILE_OK;
}

static int parse_record(parser *p, const char *s, size_t n) {
  field f[MAX_FIELDS + 1];
  char ex[40];
  size_t nf = split(s, n, f);
  if (nf == 0 || f[0].s[0] == '#') return HEAPFILE_OK; /* blank, comment */
  if (f[0].n == 1 && f[0].s[0] == 'o') return parse_object(p, f, nf);
  if (f[0].n == 1 && f[0].s[0] == 'r') return parse_ref(p, f, nf);
  if (f[0].n == 3 && memcmp(f[0].s, "end", 3) == 0)
    return parse_end(p, f, nf);
  return fail(p, HEAPFILE_EINPUT,
              "unknown record '%s' (want 'o', 'r', 'end' or a '#' comment)",
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
  if (!hf->first || !hf->target || !hf->indegree ||
      (hf->immortal && immortal_grow(p, n + 1)))
    return out_of_memory(p);
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
      return fail(p, HEAPFILE_EINPUT, "cannot read: %s", r->read_error);
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
  if (r->read_error) {
    p->lineno++; /* the line that could not be read */
    return fail(p, HEAPFILE_EINPUT, "cannot read: %s", r->read_error);
  }
  if (p->hf->version >= 3 && !p->end_line)
    return fail(p, HEAPFILE_EINPUT,
                "the file ends without its 'end' line: it is cut short (%llu "
                "objects and %llu references read; copy or write it again)",
                (unsigned long long)p->hf->nobjects,
                (unsigned long long)p->hf->nrefs);
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
  char name[200];
  int fd = open(path, O_RDONLY);
  struct stat st;
  const char *why = fd < 0 ? strerror(errno)
                    : fstat(fd, &st) != 0 ? strerror(errno)
                    : S_ISDIR(st.st_mode) ? "cannot read: it is a directory"
                                          : NULL;
  if (why) {
    snprintf(err, errlen, "%s: %s%s (check the path)",
             escape(path, strlen(path), name, sizeof name),
             fd < 0 ? "cannot open: " : "", why);
    if (fd >= 0) close(fd);
    return HEAPFILE_EINPUT;
  }
  /* gzdopen reads gzip data, or the bytes as they are ("transparent"):
   * the magic bytes decide, not the name */
  gzFile gz = gzdopen(fd, "rb");
  reader r = {.gz = gz, .chunk = malloc(CHUNK)};
  if (!gz || !r.chunk) {
    if (gz) gzclose(gz);
    else close(fd);
    free(r.chunk);
    snprintf(err, errlen, "%s: out of memory opening the file",
             escape(path, strlen(path), name, sizeof name));
    return HEAPFILE_ENOMEM;
  }
  gzbuffer(gz, CHUNK);
  int rc = parse_from(&r, path, hf, err, errlen);
  free(r.line);
  free(r.chunk);
  gzclose(gz);
  return rc;
}

void heapfile_free(heapfile *hf) {
  free(hf->payload);
  free(hf->external);
  free(hf->immortal);
  free(hf->indegree);
  free(hf->first);
  free(hf->target);
  memset(hf, 0, sizeof *hf);
}
