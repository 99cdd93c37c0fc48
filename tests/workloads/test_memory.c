/* test_memory.c -- the room the process has left (workloads/memory.c),
 * read from cgroup files: this test includes memory.c and points its
 * paths at a folder of its own, so the v2 and v1 hierarchies, the walk up
 * to the root and a cgroup namespace are checked on any machine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "../../workloads/memory.c"

static char base[256], root[320];

static void put(const char *rel, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", root, rel);
  for (char *p = path + strlen(root) + 1; *p; p++)
    if (*p == '/') {
      *p = 0;
      mkdir(path, 0755);
      *p = '/';
    }
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static char self[512], v2[512], v1[512];

/* A fresh folder for one case, under a temporary folder of the test's
 * own: the paths point into it. */
static void fresh(const char *name) {
  snprintf(root, sizeof root, "%s/%s", base, name);
  assert_int_equal(mkdir(root, 0755), 0);
  snprintf(self, sizeof self, "%s/self-cgroup", root);
  snprintf(v2, sizeof v2, "%s/fs", root);
  snprintf(v1, sizeof v1, "%s/fs/memory", root);
  proc_self_cgroup = self;
  cgroup_v2 = v2;
  cgroup_v1 = v1;
  unsetenv("GCBENCH_MEMORY");
}

/* The limits here are far below any machine's MemAvailable and rlimits. */
#define MiB (1024ull * 1024)

static void test_v2_walk(void **state) {
  (void)state;
  fresh("v2");
  put("self-cgroup", "0::/a/b\n");
  put("fs/a/b/memory.max", "max\n");
  put("fs/a/b/memory.current", "1000\n");
  put("fs/a/memory.max", "268435456\n"); /* 256 MiB, 64 used */
  put("fs/a/memory.current", "67108864\n");
  wl_room r;
  assert_int_equal(wl_memory_room(&r), 0);
  assert_int_equal(r.bytes, 192 * MiB);
  assert_string_equal(r.why, "the cgroup's memory.max");
  /* the tighter one below wins */
  put("fs/a/b/memory.max", "104857600\n"); /* 100 MiB, 1000 bytes used */
  assert_int_equal(wl_memory_room(&r), 0);
  assert_int_equal(r.bytes, 100 * MiB - 1000);
}

static void test_v1(void **state) {
  (void)state;
  fresh("v1");
  put("self-cgroup", "5:cpu,cpuacct:/\n4:blkio,memory:/job\n0::/\n");
  put("fs/memory/job/memory.limit_in_bytes", "134217728\n"); /* 128 MiB */
  put("fs/memory/job/memory.usage_in_bytes", "33554432\n");  /* 32 used */
  put("fs/memory/memory.limit_in_bytes", "9223372036854771712\n"); /* none */
  wl_room r;
  assert_int_equal(wl_memory_room(&r), 0);
  assert_int_equal(r.bytes, 96 * MiB);
  assert_string_equal(r.why, "the cgroup's memory.limit_in_bytes");
}

/* Inside a cgroup namespace /proc/self/cgroup names a path the mount does
 * not have: the mount's own files are the process's cgroup. */
static void test_namespace(void **state) {
  (void)state;
  fresh("ns");
  put("self-cgroup", "0::/outside/job\n");
  put("fs/memory.max", "52428800\n"); /* 50 MiB */
  put("fs/memory.current", "0\n");
  wl_room r;
  assert_int_equal(wl_memory_room(&r), 0);
  assert_int_equal(r.bytes, 50 * MiB);
  /* GCBENCH_MEMORY replaces the reading */
  setenv("GCBENCH_MEMORY", "1G", 1);
  assert_int_equal(wl_memory_room(&r), 0);
  assert_int_equal(r.bytes, 1024 * MiB);
  unsetenv("GCBENCH_MEMORY");
}

/* No cgroup limit: the machine's own figures (some positive number). */
static void test_no_limit(void **state) {
  (void)state;
  fresh("none");
  put("self-cgroup", "0::/\n");
  wl_room r;
  assert_int_equal(wl_memory_room(&r), 0);
  assert_true(r.bytes > 0);
  assert_null(strstr(r.why, "cgroup"));
}

int main(void) {
  const char *tmp = getenv("TMPDIR");
  snprintf(base, sizeof base, "%s/test_memory.XXXXXX",
           tmp && *tmp && strlen(tmp) < 200 ? tmp : "/tmp");
  if (!mkdtemp(base)) {
    perror(base);
    return 1;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_v2_walk),
      cmocka_unit_test(test_v1),
      cmocka_unit_test(test_namespace),
      cmocka_unit_test(test_no_limit),
  };
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", base);
  return failed;
}
