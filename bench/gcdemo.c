/*
 * gcdemo -- why reference counting leaks cycles, in a dozen lines of output.
 *
 *     my_var = A()        # A's count: 1
 *     A.b = B()           # B's count: 1
 *     B.a = A             # A's count: 2 (my_var and B.a)
 *     del my_var          # A's count: 1 -- B still holds it; A holds B
 *     gc.collect()        # only a cycle collector frees the pair
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gc.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: gcdemo [--collector NAME | --all] [--help]\n"
          "\n"
          "The seed example: my_var refers to A, A holds B, B refers back to "
          "A.\n"
          "Prints the reference counts, drops my_var, prints them again, "
          "runs a full\n"
          "collection and explains what happened.\n"
          "\n"
          "  -c, --collector NAME  collector to run (default: none)\n"
          "  -a, --all             run the demo under every collector\n"
          "  -h, --help            this text\n"
          "\n"
          "Collectors:\n");
  for (size_t i = 0; i < gc_collector_count(); i++)
    fprintf(f, "  %-13s %s\n", gc_collector_name(i), gc_collector_summary(i));
}

/* Returns 0, or 3 when out of memory. */
static int demo(const char *collector) {
  char err[256];
  gc_heap *h = gc_heap_new(collector, "auto=0", err, sizeof err);
  if (!h) {
    fprintf(stderr, "gcdemo: %s\n", err);
    return 2;
  }
  printf("== collector: %s\n", collector);
  gc_object *a = gc_new(h, 1, 0); /* my_var = A() */
  gc_object *b = a ? gc_new(h, 1, 0) : NULL;
  if (!a || !b) {
    fprintf(stderr, "gcdemo: out of memory\n");
    gc_heap_free(h);
    return 3;
  }
  gc_slot_steal(h, a, 0, b); /* A.b = B(): the new B's reference moves in */
  gc_slot_set(h, b, 0, a);   /* B.a = A */
  printf("my_var = A(); A.b = B(); B.a = A\n");
  printf("  refcount(A) = %u   (my_var and B.a)\n", a->refcnt);
  printf("  refcount(B) = %u   (A.b)\n", b->refcnt);

  gc_decref(h, a); /* del my_var */
  printf("del my_var\n");
  printf("  refcount(A) = %u   (B.a: the circular reference)\n", a->refcnt);
  printf("  refcount(B) = %u   (A.b)\n", b->refcnt);
  printf("  nothing outside the pair refers to it, yet neither count is 0\n");
  /* From here on, A and B may be freed: only the statistics are read. */
  a = b = NULL;

  uint64_t live_before = gc_heap_get_stats(h)->live_objects;
  uint64_t freed = gc_collect(h, GC_FULL);
  const gc_heap_stats *st = gc_heap_get_stats(h);
  size_t nrec;
  const gc_collection_record *rec = gc_heap_records(h, &nrec);
  printf("gc.collect()  [%s]\n", collector);
  printf("  live objects: %llu before, %llu after; freed %llu; examined "
         "%llu in %.1f us\n",
         (unsigned long long)live_before,
         (unsigned long long)st->live_objects, (unsigned long long)freed,
         (unsigned long long)(nrec ? rec[nrec - 1].examined : 0),
         nrec ? rec[nrec - 1].pause_ns / 1000.0 : 0.0);
  if (st->live_objects == 0)
    printf("  -> the pair was freed: the collector found that every reference "
           "to A and B\n     comes from inside the pair, so nothing outside "
           "can reach them.\n");
  else
    printf("  -> LEAK: %llu objects stay allocated forever.  Reference "
           "counting frees an\n     object only when its count reaches 0, "
           "and each object of the cycle keeps\n     the other's count at 1. "
           " A cycle collector is needed (try --all).\n",
           (unsigned long long)st->live_objects);
  printf("\n");
  gc_heap_free(h);
  return 0;
}

int main(int argc, char **argv) {
  static const struct option opts[] = {{"collector", required_argument, 0, 'c'},
                                       {"all", no_argument, 0, 'a'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *collector = "none";
  int all = 0, c;
  while ((c = getopt_long(argc, argv, "c:ah", opts, NULL)) != -1) {
    switch (c) {
      case 'c': collector = optarg; break;
      case 'a': all = 1; break;
      case 'h': usage(stdout); return 0;
      default:
        fprintf(stderr, "gcdemo: try 'gcdemo --help'\n");
        return 2;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "gcdemo: unexpected argument '%s'; try 'gcdemo --help'\n",
            argv[optind]);
    return 2;
  }
  if (!all) return demo(collector);
  for (size_t i = 0; i < gc_collector_count(); i++) {
    int rc = demo(gc_collector_name(i));
    if (rc) return rc;
  }
  return 0;
}
