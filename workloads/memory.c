/*
 * memory.c -- refusing a run before its memory is spent (workload.h).
 *
 * A workload works out, from its parameters (or a loader from the sizes a
 * file declares), the bytes it will hold at once at the least: each object
 * at its size class in the heap's allocator (header, list links where the
 * collector keeps lists, slots, payload: gc_heap_object_cost, the figure
 * the heap's budget counts), plus the workload's own arrays.  Before
 * allocating anything it compares that with its budget, the smaller of
 *
 *   - the heap's max_bytes (-c max_bytes; by default 80% of physical
 *     memory) less the live bytes already in the heap, and
 *   - the room this process has left: the smallest of MemAvailable
 *     (/proc/meminfo), RLIMIT_AS less the address space already mapped,
 *     RLIMIT_DATA less the data already mapped, and, for the process's
 *     cgroup and each cgroup above it, memory.max (v2) or
 *     memory.limit_in_bytes (v1) less what the cgroup already uses.
 *     GCBENCH_MEMORY=SIZE in the environment (bytes, or with K, M, G, T:
 *     512M, 1.5G) replaces that reading.
 *
 * (the first is left out after wl_memory_room_only(1): a heap sweep's
 * max_bytes is what it measures, running out of it is its result)
 * and refuses (WL_ENOMEM, one line: what it needs, the limit and which one
 * it is, a smaller n) when the need is larger.  The need is a lower bound
 * (garbage a collector has not reached yet, the allocator's own metadata
 * and the collector's arrays come on top), so a run it lets through can
 * still run out of memory later; one it refuses could not have finished.
 *
 * The machine's figures take a few file reads: they are read on the first
 * check and again only when a run needs more than a quarter of what was
 * left then, so a run that needs little costs no system call (gcbench
 * times whole runs).  GCBENCH_MEMORY is read at every check.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "collector.h" /* the heap's collector, by name */
#include "workload.h"

/* ======================================================================
 * Reading the machine's figures (no allocation: open/read into a buffer)
 * ==================================================================== */

/* The file's first len-1 bytes, NUL-terminated; -1 if it cannot be read. */
static ssize_t read_small(const char *path, char *buf, size_t len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t got = 0;
  while (got + 1 < len) {
    ssize_t k = read(fd, buf + got, len - 1 - got);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break;
    got += (size_t)k;
  }
  close(fd);
  buf[got] = 0;
  return (ssize_t)got;
}

/* A whole number at the start of a file ("max" or absent: UINT64_MAX). */
static uint64_t read_u64(const char *path) {
  char buf[64];
  if (read_small(path, buf, sizeof buf) <= 0) return UINT64_MAX;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(buf, &end, 10);
  if (end == buf || errno) return UINT64_MAX;
  return (uint64_t)v;
}

static void lower(wl_room *r, uint64_t bytes, const char *why) {
  if (bytes < r->bytes) {
    r->bytes = bytes;
    snprintf(r->why, sizeof r->why, "%s", why);
  }
}

static uint64_t less(uint64_t limit, uint64_t used) {
  return limit > used ? limit - used : 0;
}

static void room_meminfo(wl_room *r) {
  char buf[4096];
  if (read_small("/proc/meminfo", buf, sizeof buf) <= 0) return;
  const char *p = strstr(buf, "MemAvailable:");
  if (p) lower(r, (uint64_t)strtoull(p + 13, NULL, 10) * 1024, "MemAvailable");
}

static void room_rlimits(wl_room *r) {
  /* statm: size resident shared text lib data dt, in pages */
  char buf[256];
  unsigned long long size = 0, data = 0, skip;
  long page = sysconf(_SC_PAGESIZE);
  if (read_small("/proc/self/statm", buf, sizeof buf) > 0)
    if (sscanf(buf, "%llu %llu %llu %llu %llu %llu", &size, &skip, &skip,
               &skip, &skip, &data) != 6)
      size = data = 0;
  struct rlimit rl;
  if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
    lower(r, less(rl.rlim_cur, size * (uint64_t)page),
          "RLIMIT_AS (ulimit -v) less the address space in use");
  if (getrlimit(RLIMIT_DATA, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
    lower(r, less(rl.rlim_cur, data * (uint64_t)page),
          "RLIMIT_DATA (ulimit -d) less the data in use");
}

/* Where the cgroup figures are read (tests/workloads/test_memory.c points
 * them at a folder of its own). */
static const char *proc_self_cgroup = "/proc/self/cgroup";
static const char *cgroup_v2 = "/sys/fs/cgroup";
static const char *cgroup_v1 = "/sys/fs/cgroup/memory";

/* The cgroup at `dir` (under its hierarchy's mount) and every one above
 * it: limit less usage. */
static void room_cgroup_walk(wl_room *r, const char *mount, const char *path,
                             const char *limit_file, const char *usage_file,
                             const char *why) {
  char dir[512], file[600];
  snprintf(dir, sizeof dir, "%s", path);
  for (;;) {
    snprintf(file, sizeof file, "%s%s/%s", mount, dir, limit_file);
    uint64_t limit = read_u64(file);
    if (limit != UINT64_MAX && limit < ((uint64_t)1 << 62)) {
      snprintf(file, sizeof file, "%s%s/%s", mount, dir, usage_file);
      uint64_t used = read_u64(file);
      lower(r, less(limit, used == UINT64_MAX ? 0 : used), why);
    }
    char *slash = strrchr(dir, '/');
    if (!slash || !dir[0]) break;
    *slash = 0; /* the parent; "" is the hierarchy's root */
  }
}

/* Does the controller list "a,b,c" (c1 up to c2) name the memory one? */
static int names_memory(const char *c1, const char *c2) {
  for (const char *p = c1; p < c2;) {
    size_t l = strcspn(p, ",:");
    if (l == 6 && !strncmp(p, "memory", 6)) return 1;
    p += l + 1;
  }
  return 0;
}

static void room_cgroup(wl_room *r) {
  char buf[2048];
  if (read_small(proc_self_cgroup, buf, sizeof buf) <= 0) return;
  for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2) continue;
    const char *path = c2 + 1;
    if (!strcmp(path, "/")) path = "";
    if (c2 == c1 + 1 && !strncmp(line, "0:", 2)) /* v2: "0::/path" */
      room_cgroup_walk(r, cgroup_v2, path, "memory.max", "memory.current",
                       "the cgroup's memory.max");
    else if (names_memory(c1 + 1, c2)) /* v1: "4:memory:/path" */
      room_cgroup_walk(r, cgroup_v1, path,
                       "memory.limit_in_bytes", "memory.usage_in_bytes",
                       "the cgroup's memory.limit_in_bytes");
  }
  /* inside a cgroup namespace the paths above may not exist: the mount's
   * own files are this process's cgroup */
  room_cgroup_walk(r, cgroup_v2, "", "memory.max", "memory.current",
                   "the cgroup's memory.max");
  room_cgroup_walk(r, cgroup_v1, "", "memory.limit_in_bytes",
                   "memory.usage_in_bytes",
                   "the cgroup's memory.limit_in_bytes");
}

int wl_parse_size(const char *s, uint64_t *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || errno || !(v >= 0)) return -1;
  double unit = 1;
  switch (*end) {
    case 'k': case 'K': unit = 1024.0; end++; break;
    case 'm': case 'M': unit = 1024.0 * 1024; end++; break;
    case 'g': case 'G': unit = 1024.0 * 1024 * 1024; end++; break;
    case 't': case 'T': unit = 1024.0 * 1024 * 1024 * 1024; end++; break;
    default: break;
  }
  if (*end == 'i' && unit > 1) end++; /* KiB, MiB, ... */
  if (*end == 'B' && unit > 1) end++;
  if (*end || v * unit >= 1.8e19) return -1;
  *out = (uint64_t)(v * unit);
  return 0;
}

int wl_memory_room(wl_room *r) {
  r->bytes = UINT64_MAX;
  snprintf(r->why, sizeof r->why, "no limit found");
  const char *env = getenv("GCBENCH_MEMORY");
  if (env && *env) {
    if (wl_parse_size(env, &r->bytes) != 0) return -1;
    snprintf(r->why, sizeof r->why, "GCBENCH_MEMORY");
    return 0;
  }
  room_meminfo(r);
  room_rlimits(r);
  room_cgroup(r);
  return 0;
}

/* ======================================================================
 * The check
 * ==================================================================== */

static wl_room cached;
static int have_cached;
static int room_only;

void wl_memory_room_only(int on) { room_only = on; }

void wl_human_bytes(double b, char *out, size_t len) {
  if (b >= 1024.0 * 1024 * 1024)
    snprintf(out, len, "%.1f GiB", b / (1024.0 * 1024 * 1024));
  else if (b >= 1024.0 * 1024)
    snprintf(out, len, "%.1f MiB", b / (1024.0 * 1024));
  else
    snprintf(out, len, "%.0f KiB", ceil(b / 1024.0));
}

int wl_keeps_garbage(const gc_heap *h) {
  return !gc_get_auto(h) || !strcmp(gc_heap_collector(h)->name, "none");
}

/* The budget for `objects` bytes of objects plus `other` bytes of the
 * caller's own: the objects against the heap's max_bytes less its live
 * bytes, both together against the room.  *why names the binding one. */
static double budget(gc_heap *h, double objects, double other,
                     const char **why, double *need) {
  double heap_left = (double)gc_heap_budget(h) -
                     (double)gc_heap_get_stats(h)->live_bytes;
  if (heap_left < 0) heap_left = 0;
  double room = (double)cached.bytes;
  /* the one the need overshoots most, or else the smaller */
  if (!room_only && objects / heap_left > (objects + other) / room) {
    *why = "the heap's max_bytes budget (-c max_bytes; by default 80% of "
           "physical memory)";
    *need = objects;
    return heap_left;
  }
  *why = cached.why;
  *need = objects + other;
  return room;
}

int wl_memory_check(gc_heap *h, const char *what, double objects,
                    double other, const char *hint, char *err, size_t errlen) {
  const char *env = getenv("GCBENCH_MEMORY");
  double total = objects + other;
  if (!have_cached || total > (double)cached.bytes / 4 || (env && *env) ||
      strcmp(cached.why, "GCBENCH_MEMORY") == 0) {
    if (wl_memory_room(&cached) != 0) {
      snprintf(err, errlen,
               "GCBENCH_MEMORY='%s' is not a size; give bytes or a number "
               "with K, M, G or T (e.g. 512M, 4G), or unset it",
               env ? env : "");
      have_cached = 0;
      return WL_EINPUT;
    }
    have_cached = 1;
  }
  const char *why;
  double need, limit = budget(h, objects, other, &why, &need);
  if (need <= limit) return WL_OK;
  char n1[32], n2[32];
  wl_human_bytes(need, n1, sizeof n1);
  wl_human_bytes(limit, n2, sizeof n2);
  snprintf(err, errlen,
           "refused before allocating: %s needs about %s, more than the %s "
           "this process can have (%s); %s",
           what, n1, n2, why, hint ? hint : "lower n");
  return WL_ENOMEM;
}

int wl_memory_check_n(gc_heap *h, const char *what, double objects,
                      double other, double n, const char *param, char *err,
                      size_t errlen) {
  char hint[64];
  snprintf(hint, sizeof hint, "lower %s", param);
  int rc = wl_memory_check(h, what, objects, other, hint, err, errlen);
  if (rc != WL_ENOMEM) return rc;
  /* the need grows about as n does: suggest n x limit / need, less 10% */
  const char *why;
  double need, limit = budget(h, objects, other, &why, &need);
  double at_most = floor(n * limit / need * 0.9);
  size_t used = strlen(err);
  if (at_most >= 1 && used + 40 < errlen)
    snprintf(err + used, errlen - used, " (at most about %s=%.0f)", param,
             at_most);
  return rc;
}
