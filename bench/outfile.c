/* outfile.c -- result files: temporary name then rename, or in place (see
 * outfile.h). */
#define _GNU_SOURCE
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The descriptor a name of this process's own descriptors refers to, or -1. */
static int own_fd(const char *path) {
  static const char *const prefix[] = {"/dev/fd/", "/proc/self/fd/"};
  if (!strcmp(path, "/dev/stdout")) return 1;
  if (!strcmp(path, "/dev/stderr")) return 2;
  for (int i = 0; i < 2; i++) {
    size_t n = strlen(prefix[i]);
    if (strncmp(path, prefix[i], n) || !path[n]) continue;
    char *end;
    long fd = strtol(path + n, &end, 10);
    if (*end || fd < 0 || fd > INT_MAX) return -1;
    return (int)fd;
  }
  return -1;
}

/* 1 if `dir` resolves to /dev or /proc or a folder under them. */
static int system_folder(const char *dir) {
  char buf[PATH_MAX];
  const char *d = realpath(dir, buf) ? buf : dir;
  return !strncmp(d, "/dev", 4) && (d[4] == 0 || d[4] == '/')
             ? 1
             : !strncmp(d, "/proc", 5) && (d[5] == 0 || d[5] == '/');
}

static char *parent_of(const char *path) {
  char *copy = strdup(path);
  if (!copy) return NULL;
  char *d = strdup(dirname(copy));
  free(copy);
  return d;
}

/* The file a regular output ends up as, spelled canonically, so that two
 * spellings of one new file (a/./x, a link to a's folder) compare equal:
 * an existing name resolves whole (a symbolic link to its target); a
 * dangling link is followed to the name its chain ends at (written through:
 * the target is created, the link stays); a new name is its parent folder
 * resolved plus its own last component.  NULL when out of memory or when
 * the folder does not exist (errno set; *missing names it). */
static char *resolve_dest(const char *path, char **missing) {
  char buf[PATH_MAX], link[PATH_MAX], name[PATH_MAX];
  *missing = NULL;
  if (realpath(path, buf)) return strdup(buf);
  if (snprintf(name, sizeof name, "%s", path) >= (int)sizeof name) {
    errno = ENAMETOOLONG;
    return NULL;
  }
  for (int hops = 0;; hops++) { /* follow a dangling chain, as open() would */
    ssize_t n = readlink(name, link, sizeof link - 1);
    if (n < 0) break; /* not a link: the name to create */
    if (hops == 40) {
      errno = ELOOP;
      return NULL;
    }
    link[n] = 0;
    if (link[0] == '/') {
      memcpy(name, link, (size_t)n + 1);
    } else {
      char *d = parent_of(name);
      if (!d) return NULL;
      int w = snprintf(buf, sizeof buf, "%s/%s", d, link);
      free(d);
      if (w >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        return NULL;
      }
      memcpy(name, buf, (size_t)w + 1);
    }
  }
  char *d = parent_of(name), *copy = strdup(name);
  if (!d || !copy) {
    free(d);
    free(copy);
    errno = ENOMEM;
    return NULL;
  }
  char *out = NULL;
  if (realpath(d, buf)) {
    const char *base = basename(copy);
    size_t len = strlen(buf) + strlen(base) + 2;
    out = malloc(len);
    if (out) snprintf(out, len, "%s%s%s", buf, strcmp(buf, "/") ? "/" : "", base);
    free(d);
  } else {
    *missing = d;
  }
  free(copy);
  return out;
}

static void note_id(gc_out *o) {
  struct stat st;
  if (fstat(fileno(o->f), &st) != 0) return;
  o->have_id = 1;
  o->dev = st.st_dev;
  o->ino = st.st_ino;
  o->mode = st.st_mode;
}

#define FAIL(...)                          \
  do {                                     \
    snprintf(err, errlen, __VA_ARGS__);    \
    goto fail;                             \
  } while (0)

int gc_out_open(gc_out *o, const char *opt, const char *path, char *err,
                size_t errlen) {
  memset(o, 0, sizeof *o);
  o->opt = opt;
  o->path = path;
  if (!path) return 0;
  char *parent = NULL;
  int fd = -1;
  if (!strcmp(path, "-")) {
    o->f = stdout;
    o->in_place = 1;
    note_id(o);
    return 0;
  }
  if (!*path) FAIL("%s wants a file name, got ''", opt);
  int own = own_fd(path);
  if (own >= 0) {
    fd = fcntl(own, F_DUPFD_CLOEXEC, 3);
    if (fd < 0)
      FAIL("%s '%s': %s; that descriptor is not open", opt, path,
           strerror(errno));
    o->in_place = 1;
  } else {
    struct stat st;
    parent = parent_of(path);
    if (!parent) FAIL("out of memory");
    int regular = 0;
    if (stat(path, &st) == 0) {
      regular = S_ISREG(st.st_mode);
      if (S_ISDIR(st.st_mode))
        FAIL("%s '%s' is a folder; give a file name, e.g. '%s/out'", opt,
             path, strcmp(path, "/") ? path : "");
      o->in_place = !S_ISREG(st.st_mode) || system_folder(parent);
    } else if (errno != ENOENT) {
      FAIL("%s '%s': %s", opt, path, strerror(errno));
    } else {
      struct stat pst;
      size_t len = strlen(path);
      if (path[len - 1] == '/')
        FAIL("%s '%s' names a folder that does not exist; give a file name",
             opt, path);
      if (stat(parent, &pst) != 0)
        FAIL("%s '%s': folder '%s' %s; create it first", opt, path, parent,
             errno == ENOENT ? "does not exist" : strerror(errno));
      if (!S_ISDIR(pst.st_mode))
        FAIL("%s '%s': '%s' is not a folder", opt, path, parent);
      o->in_place = system_folder(parent);
    }
    if (o->in_place) {
      /* a device or FIFO has nothing to truncate; a regular file that a
       * name in /dev or /proc leads to is rewritten in place */
      int flags = O_WRONLY | O_CREAT | O_NOCTTY | O_CLOEXEC;
      fd = open(path, flags | (regular ? O_TRUNC : 0), 0666);
      if (fd < 0) FAIL("%s '%s': %s", opt, path, strerror(errno));
    } else {
      /* follow a symbolic link: the link stays, its target is replaced
       * (or created, when the link dangles) */
      char *missing;
      o->dest = resolve_dest(path, &missing);
      if (!o->dest) {
        int e = errno;
        if (missing) {
          snprintf(err, errlen, "%s '%s' is a link into folder '%s', "
                   "which does not exist; create it or fix the link", opt,
                   path, missing);
          free(missing);
          goto fail;
        }
        FAIL("%s '%s': %s", opt, path, strerror(e));
      }
      size_t n = strlen(o->dest) + 32;
      o->tmp = malloc(n);
      if (!o->tmp) FAIL("out of memory");
      snprintf(o->tmp, n, "%s.tmp.%ld", o->dest, (long)getpid());
      fd = open(o->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
      if (fd < 0) {
        int e = errno;
        free(o->tmp);
        o->tmp = NULL;
        FAIL("%s '%s': cannot create a file in '%s': %s", opt, path, parent,
             strerror(e));
      }
    }
  }
  o->f = fdopen(fd, "w");
  if (!o->f) FAIL("out of memory");
  fd = -1;
  note_id(o);
  if (o->tmp) { /* the temporary file is new: name the destination */
    struct stat st;
    o->have_id = stat(o->dest, &st) == 0;
    if (o->have_id) {
      o->dev = st.st_dev;
      o->ino = st.st_ino;
      o->mode = st.st_mode;
    }
  }
  free(parent);
  return 0;
fail:
  if (fd >= 0) close(fd);
  free(parent);
  gc_out_abandon(o);
  return -1;
}

int gc_out_commit(gc_out *o, char *err, size_t errlen) {
  if (!o->f) return 0;
  errno = 0;
  int bad = fflush(o->f) != 0;
  int e = errno;
  bad |= ferror(o->f) != 0;
  if (o->f == stdout) {
    o->f = NULL;
  } else {
    if (fclose(o->f) != 0 && !bad) {
      bad = 1;
      e = errno;
    }
    o->f = NULL;
  }
  if (!bad && o->tmp && rename(o->tmp, o->dest) != 0) {
    bad = 1;
    e = errno;
  }
  if (bad)
    snprintf(err, errlen, "could not write %s '%s': %s", o->opt, o->path,
             e ? strerror(e) : "write error");
  gc_out_abandon(o);
  return bad ? -1 : 0;
}

void gc_out_abandon(gc_out *o) {
  if (o->f && o->f != stdout) fclose(o->f);
  o->f = NULL;
  if (o->tmp) remove(o->tmp);
  free(o->tmp);
  free(o->dest);
  o->tmp = o->dest = NULL;
}

int gc_out_same(const gc_out *a, const gc_out *b) {
  if (!a->path || !b->path) return 0;
  if (a->dest && b->dest && !strcmp(a->dest, b->dest)) return 1;
  return a->have_id && b->have_id && a->dev == b->dev && a->ino == b->ino &&
         !S_ISCHR(a->mode);
}

/* What names one file, for gc_out_check_inputs. */
typedef struct path_id {
  int have_id; /* the file exists: dev/ino/mode */
  dev_t dev;
  ino_t ino;
  mode_t mode;
  char *name; /* resolve_dest's name, or NULL */
} path_id;

/* `output`: "-" is standard output and /dev/stdout this process's own; an
 * input named "-" is a file of that name. */
static void path_identify(const char *path, int output, path_id *id) {
  struct stat st;
  memset(id, 0, sizeof *id);
  int own = !output ? -1 : !strcmp(path, "-") ? 1 : own_fd(path);
  if (own >= 0 ? fstat(own, &st) == 0 : stat(path, &st) == 0) {
    id->have_id = 1;
    id->dev = st.st_dev;
    id->ino = st.st_ino;
    id->mode = st.st_mode;
  }
  if (own < 0) {
    char *missing;
    id->name = resolve_dest(path, &missing);
    free(missing);
  }
}

static int path_same(const path_id *a, const path_id *b) {
  if ((a->have_id && S_ISCHR(a->mode)) || (b->have_id && S_ISCHR(b->mode)))
    return 0; /* /dev/null, a terminal: reading one does not lose it */
  if (a->have_id && b->have_id)
    return a->dev == b->dev && a->ino == b->ino;
  return a->name && b->name && !strcmp(a->name, b->name);
}

int gc_out_check_inputs(const char *const *out_opt,
                        const char *const *out_path, size_t nout,
                        const char *const *in_opt, const char *const *in_path,
                        size_t nin, char *err, size_t errlen) {
  for (size_t i = 0; i < nin; i++) {
    if (!in_path[i] || !*in_path[i]) continue;
    path_id in;
    path_identify(in_path[i], 0, &in);
    for (size_t j = 0; j < nout; j++) {
      if (!out_path[j] || !*out_path[j]) continue;
      path_id out;
      path_identify(out_path[j], 1, &out);
      int same = path_same(&in, &out);
      free(out.name);
      if (same) {
        snprintf(err, errlen,
                 "%s '%s' names the input %s '%s', which it would "
                 "overwrite; write the output to another file",
                 out_opt[j], out_path[j], in_opt[i], in_path[i]);
        free(in.name);
        return -1;
      }
    }
    free(in.name);
  }
  return 0;
}

int gc_out_flush_stdout(const char *prog) {
  errno = 0;
  if (fflush(stdout) == 0 && !ferror(stdout)) return 0;
  int e = errno;
  fprintf(stderr, "%s: cannot write standard output: %s\n", prog,
          e ? strerror(e) : "write error");
  return -1;
}
