/* registry.c -- every collector, by name.  Add a collector here. */
#include <string.h>

#include "collector.h"

extern const gc_collector gc_collector_none;
extern const gc_collector gc_collector_naive;
extern const gc_collector gc_collector_trial;
extern const gc_collector gc_collector_generational;
extern const gc_collector gc_collector_incremental;

static const gc_collector *const collectors[] = {
    &gc_collector_none,
    &gc_collector_naive,
    &gc_collector_trial,
    &gc_collector_generational,
    &gc_collector_incremental,
};

const gc_collector *const *gc_collector_list(size_t *n) {
  *n = sizeof collectors / sizeof collectors[0];
  return collectors;
}

const gc_collector *gc_collector_find(const char *name) {
  for (size_t i = 0; i < sizeof collectors / sizeof collectors[0]; i++)
    if (strcmp(collectors[i]->name, name) == 0) return collectors[i];
  return NULL;
}

size_t gc_collector_count(void) {
  return sizeof collectors / sizeof collectors[0];
}
const char *gc_collector_name(size_t i) {
  return i < gc_collector_count() ? collectors[i]->name : NULL;
}
const char *gc_collector_summary(size_t i) {
  return i < gc_collector_count() ? collectors[i]->summary : NULL;
}
const gc_param_def *gc_collector_tunables(size_t i, size_t *n) {
  *n = i < gc_collector_count() ? collectors[i]->ntunables : 0;
  return i < gc_collector_count() ? collectors[i]->tunables : NULL;
}
const gc_param_def *gc_common_tunables(size_t *n) {
  return gc_heap_tunables(n);
}
