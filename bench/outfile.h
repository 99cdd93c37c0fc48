/*
 * outfile.h -- how gcbench's programs write their result files.
 *
 *   - A regular file, or a name that does not exist yet, is written under
 *     a temporary name in the same folder (NAME.tmp.PID) and renamed over
 *     NAME when complete: a failed run never leaves a half-written or
 *     clobbered file.  A symbolic link to a regular file is followed, so
 *     the link stays and its target is replaced; a dangling link is
 *     written through (its target is created, the link stays).
 *   - Anything else is written in place and never replaced: "-" (standard
 *     output), a device (/dev/null, /dev/full), a FIFO, a socket, and every
 *     name in /dev or /proc (/dev/stdout, /dev/fd/N, bash's >(...)).
 *     Names of this process's own descriptors (/dev/stdout, /dev/stderr,
 *     /dev/fd/N, /proc/self/fd/N) write to that descriptor.
 *   - gc_out_open checks the name before the run: a folder, a missing or
 *     unwritable parent folder are refused with one line, and
 *     gc_out_check_inputs refuses an output that names an input; gc_out_commit
 *     reports any write error (a full disk, /dev/full) instead of losing it.
 */
#ifndef GC_OUTFILE_H
#define GC_OUTFILE_H

#include <stdio.h>
#include <sys/types.h>

typedef struct gc_out {
  const char *opt;  /* the option that named it, for messages ("--json") */
  const char *path; /* as given; NULL: not requested */
  char *dest;       /* the file renamed over (regular files only) */
  char *tmp;        /* the temporary file, or NULL when written in place */
  FILE *f;          /* where to write; stdout for "-" */
  int in_place;
  int have_id;      /* dev/ino/mode name the file (the same-file check) */
  dev_t dev;
  ino_t ino;
  mode_t mode;
} gc_out;

/* Check `path` and open it for writing (path NULL: o->f stays NULL).
 * 0, or -1 with err holding one line "OPT 'PATH': problem; hint". */
int gc_out_open(gc_out *o, const char *opt, const char *path, char *err,
                size_t errlen);

/* Flush and close; a temporary file is renamed over its destination.  0, or
 * -1 with err naming the problem (the temporary file is removed). */
int gc_out_commit(gc_out *o, char *err, size_t errlen);

/* Give up: close, remove the temporary file, leave the destination as it
 * was. */
void gc_out_abandon(gc_out *o);

/* 1 when a and b name the same file: the same device and inode, or, for
 * a file not created yet, the same resolved folder and name (a/./x, a
 * link to a's folder, a dangling link to it).  Character devices such as
 * /dev/null or a terminal may be named twice. */
int gc_out_same(const gc_out *a, const gc_out *b);

/* Refuse an output that would overwrite an input, before anything is
 * opened: 0 when none of the outputs out_path[0..nout) names a file that
 * one of the inputs in_path[0..nin) names (NULL entries skipped), else -1
 * with err holding one line naming both, e.g. "--json 'x' is the input
 * -p file 'y'; ...".  Same file: the same device and inode where the file
 * exists (a symbolic link, a hard link, /dev/fd/N, "-" as standard
 * output), or the same resolved name (a/./x, a link to a's folder).
 * Character devices such as /dev/null may be both.  out_opt and in_opt
 * name the options, for the message.  For every program with inputs
 * (gcrun's snapshot and capture files). */
int gc_out_check_inputs(const char *const *out_opt,
                        const char *const *out_path, size_t nout,
                        const char *const *in_opt, const char *const *in_path,
                        size_t nin, char *err, size_t errlen);

/* Flush standard output and report a write error (`prog: cannot write
 * standard output: REASON`).  0, or -1 after printing the line. */
int gc_out_flush_stdout(const char *prog);

#endif
