/*
 * params.h -- named parameters declared once as a table.
 *
 * Collector tunables and workload parameters are both a table of gc_param_def;
 * everything else (parsing "key=value", defaults, range checks, --list, the
 * JSON "params" object) is generated from the table.
 */
#ifndef GC_PARAMS_H
#define GC_PARAMS_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gc_param_kind {
  GC_P_INT,  /* whole number in [min, max] */
  GC_P_REAL, /* real number in [min, max] */
  GC_P_STR   /* free text (a file name, a choice checked by the owner) */
} gc_param_kind;

typedef struct gc_param_def {
  const char *name;
  gc_param_kind kind;
  const char *def; /* default, as text */
  double min, max; /* inclusive range for INT and REAL */
  const char *doc; /* one line: meaning, unit, trade-off */
} gc_param_def;

#define GC_PARAMS_MAX 32

typedef struct gc_param_set {
  const gc_param_def *defs;
  size_t n;
  double num[GC_PARAMS_MAX];
  char *str[GC_PARAMS_MAX]; /* owned copies, for every kind (as given) */
  unsigned char given[GC_PARAMS_MAX];
} gc_param_set;

/* Fill set with the table's defaults.  Returns 0, or -1 if the table is too
 * big or a default does not parse (a programming error). */
int gc_params_init(gc_param_set *set, const gc_param_def *defs, size_t n);
void gc_params_free(gc_param_set *set);
/* Index of `name` in the table, or -1. */
int gc_params_find(const gc_param_set *set, const char *name);
/* Set one parameter from "key=value" text.  On error returns -1 and writes
 * one line into err ("unknown parameter 'x' (known: a, b)", "parameter 'n'
 * wants a whole number, got 'abc'", "... out of range [1, 1e9]"). */
int gc_params_assign(gc_param_set *set, const char *kv, char *err,
                     size_t errlen);
/* Set `name` to text `value`, with the same checks. */
int gc_params_set(gc_param_set *set, const char *name, const char *value,
                  char *err, size_t errlen);
/* Several, separated by commas. */
int gc_params_assign_list(gc_param_set *set, const char *list, char *err,
                          size_t errlen);

double gc_params_num(const gc_param_set *set, const char *name);
long long gc_params_int(const gc_param_set *set, const char *name);
const char *gc_params_str(const gc_param_set *set, const char *name);

/* {"n": 1000, "file": "x"} */
void gc_params_json(const gc_param_set *set, FILE *f);
/* One indented line per parameter: name, default, range, doc. */
void gc_params_describe(const gc_param_def *defs, size_t n, FILE *f,
                        const char *indent);

#ifdef __cplusplus
}
#endif
#endif
