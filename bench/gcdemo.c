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
#include "outfile.h"

/* A.__del__: says that it runs. */
static void del_a(gc_heap *h, gc_object *o, void *arg) {
  (void)h, (void)o, (void)arg;
  printf("    A.__del__() runs\n");
}

/* The pair again, A with a destructor, under the modern (PEP 442) and the
 * legacy (Python < 3.4) behaviour.  Returns 0, 2 or 3 like demo(). */
static int demo_del(const char *collector, int legacy) {
  char err[256];
  gc_heap *h = gc_heap_new(collector, legacy ? "auto=0,legacy_finalizers=1"
                                             : "auto=0",
                           err, sizeof err);
  if (!h) {
    fprintf(stderr, "gcdemo: %s\n", err);
    return 2;
  }
  gc_set_finalizer(h, del_a, NULL);
  gc_object *a = gc_new(h, 1, 0);
  gc_object *b = a ? gc_new(h, 1, 0) : NULL;
  if (!a || !b) {
    fprintf(stderr, "gcdemo: out of memory\n");
    gc_heap_free(h);
    return 3;
  }
  gc_object_add_finalizer(h, a); /* class A: def __del__(self): ... */
  gc_slot_steal(h, a, 0, b);
  gc_slot_set(h, b, 0, a);
  gc_decref(h, a); /* del my_var */
  printf("  %s, %s: A has __del__; del my_var; gc.collect()\n", collector,
         legacy ? "legacy (Python < 3.4)" : "modern (PEP 442, Python >= 3.4)");
  gc_collect(h, GC_FULL);
  const gc_heap_stats *st = gc_heap_get_stats(h);
  printf("    live objects %llu, finalizers run %llu, uncollectable %llu, "
         "len(gc.garbage) = %zu\n",
         (unsigned long long)st->live_objects,
         (unsigned long long)st->finalizers_run,
         (unsigned long long)st->uncollectable, gc_garbage_count(h));
  if (st->live_objects == 0)
    printf("    -> __del__ ran first, then the collector saw the pair was "
           "still unreachable\n       and freed it.\n");
  else if (gc_garbage_count(h))
    printf("    -> the collector cannot know in which order to run the "
           "destructors, so it\n       runs none: the cycle is moved to "
           "gc.garbage and stays forever.\n");
  else
    printf("    -> no cycle collector: the pair leaks, __del__ never runs.\n");
  gc_heap_free(h);
  return 0;
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: gcdemo [-C NAME | --all] [--del] [--help]\n"
          "\n"
          "The seed example: my_var refers to A, A holds B, B refers back to "
          "A.\n"
          "Prints the reference counts, drops my_var, prints them again, "
          "runs a full\n"
          "collection and explains what happened.\n"
          "\n"
          "  -C, --collector NAME  collector or profile to run (default: "
          "none), as in gcrun\n"
          "                        (-c NAME still works but is deprecated: "
          "in gcrun, -c\n"
          "                        sets a tunable)\n"
          "  -a, --all             run the demo under every collector\n"
          "  -d, --del             the notebook's EXTRAS: A gets a destructor "
          "(__del__);\n"
          "                        legacy (Python < 3.4) and modern (PEP 442) "
          "side by side\n"
          "  -h, --help            this text\n"
          "\n"
          "Collectors:\n");
  for (size_t i = 0; i < gc_collector_count(); i++)
    fprintf(f, "  %-13s %s\n", gc_collector_name(i), gc_collector_summary(i));
  size_t np;
  const gc_profile *prof = gc_profile_list(&np);
  fprintf(f, "Profiles (a runtime's shipped policy, accepted by -C):\n");
  for (size_t i = 0; i < np; i++)
    fprintf(f, "  %-13s %s with %s\n", prof[i].name, prof[i].collector,
            prof[i].tunables);
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
  static const struct option opts[] = {{"collector", required_argument, 0, 'C'},
                                       {"all", no_argument, 0, 'a'},
                                       {"del", no_argument, 0, 'd'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *collector = "none";
  int all = 0, del = 0, c;
  while ((c = getopt_long(argc, argv, "C:c:adh", opts, NULL)) != -1) {
    switch (c) {
      case 'C': collector = optarg; break;
      case 'c': /* the old spelling; gcrun's -c sets a tunable */
        fprintf(stderr, "gcdemo: -c is deprecated, use -C (--collector) as "
                        "gcrun does\n");
        collector = optarg;
        break;
      case 'a': all = 1; break;
      case 'd': del = 1; break;
      case 'h':
        usage(stdout);
        return gc_out_flush_stdout("gcdemo") ? 2 : 0;
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
  int rc = 0;
  for (size_t i = 0; i < gc_collector_count(); i++) {
    const char *name = all ? gc_collector_name(i) : collector;
    rc = demo(name);
    if (!rc && del) {
      printf("== the same pair with a destructor\n");
      rc = demo_del(name, 1);
      if (!rc) rc = demo_del(name, 0);
      printf("\n");
    }
    if (rc || !all) break;
  }
  /* gcdemo > /dev/full: say so instead of exiting 0 with nothing written */
  if (gc_out_flush_stdout("gcdemo") != 0 && !rc) rc = 2;
  return rc;
}
