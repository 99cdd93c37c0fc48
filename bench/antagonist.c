/*
 * antagonist.c -- a memory-bandwidth load for scripts/bench --antagonist:
 * two buffers of MB megabytes copied into each other in a loop until the
 * process is killed, pinned to the CPUs given (the ones the benchmark does
 * not use), so that a run can be measured with and without a neighbour
 * that takes the memory bus.
 *
 *   antagonist [--mb MB] --cpus LIST     LIST: 1 or 1,2,3
 *
 * Exit codes: 2 bad usage, 3 out of memory; otherwise it runs until killed.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  long mb = 512;
  const char *cpus = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--mb") && i + 1 < argc) {
      char *end;
      mb = strtol(argv[++i], &end, 10);
      if (*end || mb < 1 || mb > 65536) {
        fprintf(stderr, "antagonist: --mb wants 1..65536, got '%s'\n", argv[i]);
        return 2;
      }
    } else if (!strcmp(argv[i], "--cpus") && i + 1 < argc) {
      cpus = argv[++i];
    } else {
      fprintf(stderr, "usage: antagonist [--mb MB] --cpus LIST\n");
      return !strcmp(argv[i], "--help") ? 0 : 2;
    }
  }
  if (!cpus) {
    fprintf(stderr, "antagonist: --cpus LIST is required (e.g. --cpus 1)\n");
    return 2;
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  char buf[256];
  snprintf(buf, sizeof buf, "%s", cpus);
  for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
    char *end;
    long c = strtol(t, &end, 10);
    if (*end || c < 0 || c >= CPU_SETSIZE) {
      fprintf(stderr, "antagonist: --cpus wants CPU numbers, got '%s'\n", t);
      return 2;
    }
    CPU_SET((int)c, &set);
  }
  if (sched_setaffinity(0, sizeof set, &set) != 0) {
    perror("antagonist: sched_setaffinity");
    return 2;
  }
  size_t n = (size_t)mb << 20;
  char *a = malloc(n), *b = malloc(n);
  if (!a || !b) {
    fprintf(stderr, "antagonist: out of memory for 2 x %ld MB\n", mb);
    return 3;
  }
  memset(a, 1, n);
  memset(b, 2, n);
  for (volatile unsigned long round = 0;; round++) {
    memcpy(b, a, n);
    memcpy(a, b, n);
  }
}
