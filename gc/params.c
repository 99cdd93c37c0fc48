/* params.c -- parsing and checking of named parameter tables. */
#include "params.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static char *dupstr(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

int gc_params_find(const gc_param_set *set, const char *name) {
  for (size_t i = 0; i < set->n; i++)
    if (strcmp(set->defs[i].name, name) == 0) return (int)i;
  return -1;
}

static void known_list(const gc_param_set *set, char *buf, size_t len) {
  size_t used = 0;
  buf[0] = 0;
  for (size_t i = 0; i < set->n && used < len; i++) {
    int w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
                     set->defs[i].name);
    if (w < 0) break;
    used += (size_t)w;
  }
  if (set->n == 0) snprintf(buf, len, "none");
}

/* Parse text as a number of the definition's kind, within its range. */
static int parse_value(const gc_param_def *d, const char *value, double *out,
                       char *err, size_t errlen) {
  if (d->kind == GC_P_STR) {
    *out = 0;
    return 0;
  }
  char *end = NULL;
  errno = 0;
  double v = strtod(value, &end);
  if (end == value || *end != 0 || errno == ERANGE || !isfinite(v)) {
    snprintf(err, errlen, "parameter '%s' wants %s, got '%s'", d->name,
             d->kind == GC_P_INT ? "a whole number" : "a number", value);
    return -1;
  }
  if (d->kind == GC_P_INT && v != floor(v)) {
    snprintf(err, errlen, "parameter '%s' wants a whole number, got '%s'",
             d->name, value);
    return -1;
  }
  if (v < d->min || v > d->max) {
    snprintf(err, errlen, "parameter '%s' = %s is out of range [%.10g, %.10g]",
             d->name, value, d->min, d->max);
    return -1;
  }
  *out = v;
  return 0;
}

int gc_params_set(gc_param_set *set, const char *name, const char *value,
                  char *err, size_t errlen) {
  int i = gc_params_find(set, name);
  if (i < 0) {
    char known[512];
    known_list(set, known, sizeof known);
    snprintf(err, errlen, "unknown parameter '%s' (known: %s)", name, known);
    return -1;
  }
  double v;
  if (parse_value(&set->defs[i], value, &v, err, errlen) != 0) return -1;
  char *copy = dupstr(value);
  if (!copy) {
    snprintf(err, errlen, "out of memory parsing parameter '%s'", name);
    return -1;
  }
  free(set->str[i]);
  set->str[i] = copy;
  set->num[i] = v;
  set->given[i] = 1;
  return 0;
}

int gc_params_init(gc_param_set *set, const gc_param_def *defs, size_t n) {
  memset(set, 0, sizeof *set);
  if (n > GC_PARAMS_MAX) return -1;
  set->defs = defs;
  set->n = n;
  char err[256];
  for (size_t i = 0; i < n; i++) {
    if (gc_params_set(set, defs[i].name, defs[i].def, err, sizeof err) != 0) {
      gc_params_free(set);
      return -1;
    }
    set->given[i] = 0;
  }
  return 0;
}

void gc_params_free(gc_param_set *set) {
  for (size_t i = 0; i < GC_PARAMS_MAX; i++) {
    free(set->str[i]);
    set->str[i] = NULL;
  }
}

int gc_params_assign(gc_param_set *set, const char *kv, char *err,
                     size_t errlen) {
  const char *eq = strchr(kv, '=');
  if (!eq || eq == kv) {
    snprintf(err, errlen, "'%s' is not of the form key=value", kv);
    return -1;
  }
  char name[64];
  size_t len = (size_t)(eq - kv);
  if (len >= sizeof name) {
    snprintf(err, errlen, "parameter name too long in '%s'", kv);
    return -1;
  }
  memcpy(name, kv, len);
  name[len] = 0;
  return gc_params_set(set, name, eq + 1, err, errlen);
}

int gc_params_assign_list(gc_param_set *set, const char *list, char *err,
                          size_t errlen) {
  if (!list || !*list) return 0;
  char *copy = dupstr(list);
  if (!copy) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  int rc = 0;
  char *save = NULL;
  for (char *tok = strtok_r(copy, ",", &save); tok && rc == 0;
       tok = strtok_r(NULL, ",", &save))
    rc = gc_params_assign(set, tok, err, errlen);
  free(copy);
  return rc;
}

static int must_find(const gc_param_set *set, const char *name) {
  int i = gc_params_find(set, name);
  if (i < 0) {
    /* A programming error: code asked for a parameter its table lacks. */
    fprintf(stderr, "gcbench: internal error: no parameter '%s'\n", name);
    abort();
  }
  return i;
}

double gc_params_num(const gc_param_set *set, const char *name) {
  return set->num[must_find(set, name)];
}
long long gc_params_int(const gc_param_set *set, const char *name) {
  return (long long)set->num[must_find(set, name)];
}
const char *gc_params_str(const gc_param_set *set, const char *name) {
  return set->str[must_find(set, name)];
}

static void json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(f, "\\%c", c);
    else if (c < 0x20)
      fprintf(f, "\\u%04x", c);
    else
      fputc(c, f);
  }
  fputc('"', f);
}

void gc_params_json(const gc_param_set *set, FILE *f) {
  fputc('{', f);
  for (size_t i = 0; i < set->n; i++) {
    if (i) fputs(", ", f);
    json_string(f, set->defs[i].name);
    fputs(": ", f);
    if (set->defs[i].kind == GC_P_STR)
      json_string(f, set->str[i]);
    else
      fprintf(f, "%.17g", set->num[i]);
  }
  fputc('}', f);
}

void gc_params_describe(const gc_param_def *defs, size_t n, FILE *f,
                        const char *indent) {
  for (size_t i = 0; i < n; i++) {
    const gc_param_def *d = &defs[i];
    char range[64] = "";
    if (d->kind != GC_P_STR)
      snprintf(range, sizeof range, " [%.10g..%.10g]", d->min, d->max);
    fprintf(f, "%s%-14s = %-10s%s  %s\n", indent, d->name, d->def, range,
            d->doc);
  }
}
