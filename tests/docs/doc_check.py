#!/usr/bin/env python3
"""doc_check.py SRC BIN WORK -- the Markdown pages against the programs.

Checks, for every README of the repository (README.md and */README.md):

  commands  every command line of a ```sh or ```console block that invokes
            a gcbench program (gcrun, gcbench, gcdemo, antagonist, or
            scripts/NAME) runs against the build in BIN and exits 0, or
            the code a `<!-- doc-check: exit N -->` marker gives; in a
            ```console block, the lines after a `$ ` command are its
            output, and each of them must appear, in order, in what the
            command prints (a line ending in `...` is a prefix);
  options   every option that `--help` lists is named in the program's
            folder README: gcrun, gcdemo, antagonist and gcbench's own
            --gcbench_* flags in bench/README.md, every script of scripts/
            (and its name) in scripts/README.md;
  links     every relative link of a page names a file that exists, and
            an #anchor into a Markdown page names one of its headings;
  lists     below `<!-- doc-check: names collectors profiles -->`, every
            collector (profile) of `gcrun --list` is named as `name`
            (with `row=TEXT`: in the table row that contains TEXT);
  counts    below `<!-- doc-check: counts tests -->`, a table's rows
            `FOLDER` | N | Q give each tests/ folder's number of CTest
            tests and of those not labelled `full`, as `ctest -N` counts
            them in the build (a row **all** the totals; every folder
            must have a row).

Markers, HTML comments on the lines just above a block's opening fence
(tests/README.md documents them):

  <!-- doc-check: skip -->           the block is not run
  <!-- doc-check: exit N -->         its commands must exit N
  <!-- doc-check: replace OLD NEW --> OLD becomes NEW in its commands
  <!-- doc-check: append ARGS -->    ARGS are added to each command
  <!-- doc-check: names KINDS -->    the list below names every one
  <!-- doc-check: counts tests -->   the table below counts the tests

The commands run one after another in WORK (emptied first), where
build/release, build/debug and build/asan lead to BIN, and scripts, tests
and results/reference to the source tree, so the paths quoted in the pages
work as written.  Exit 0 when everything holds, 1 with one line per
problem, 2 bad usage.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time

PROGRAMS = ("gcrun", "gcbench", "gcdemo", "antagonist")
# Never run from a page, whatever it says: they build, install or run for
# minutes.  A block quoting them needs `<!-- doc-check: skip -->`.
LONG = ("bench", "test", "bench-programs", "compare-commits")
MARKER = re.compile(r"^\s*<!--\s*doc-check:\s*(.*?)\s*-->\s*$")
FENCE = re.compile(r"^(\s*)(```+|~~~+)\s*([\w-]*)\s*$")


def pages(src):
    """The Markdown pages: README.md and each folder's README.md."""
    out = []
    for name in sorted(os.listdir(src)):
        p = os.path.join(src, name)
        if name.endswith(".md") and os.path.isfile(p):
            out.append(p)
        elif os.path.isdir(p) and name not in ("build", ".git"):
            r = os.path.join(p, "README.md")
            if os.path.isfile(r):
                out.append(r)
    return out


def blocks(text):
    """Yield (line number, language, markers, lines) per fenced block."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = m.group(1), m.group(2), m.group(3)
        markers, j = [], i - 1
        while j >= 0 and (not lines[j].strip() or MARKER.match(lines[j])):
            mm = MARKER.match(lines[j])
            if mm:
                markers.insert(0, mm.group(1))
            j -= 1
        body, k = [], i + 1
        while k < len(lines) and not lines[k].strip().startswith(fence[:3]):
            body.append(lines[k][len(indent):] if lines[k].startswith(indent)
                        else lines[k])
            k += 1
        yield i + 1, lang, markers, body
        i = k + 1


def strip_comment(line):
    """The line without a trailing shell comment (quotes respected)."""
    quote = None
    for n, c in enumerate(line):
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "#" and (n == 0 or line[n - 1].isspace()):
            return line[:n].rstrip()
    return line.rstrip()


def commands(lang, body):
    """[(command, expected output lines)] of a sh or console block."""
    out = []
    if lang == "console":
        for line in body:
            if line.startswith("$ "):
                out.append([strip_comment(line[2:]), []])
            elif out and line.strip():
                out[-1][1].append(line.strip())
        return out
    joined, cur = [], ""
    for line in body:
        if line.rstrip().endswith("\\"):
            cur += line.rstrip()[:-1] + " "
            continue
        joined.append(cur + line)
        cur = ""
    for line in joined:
        c = strip_comment(line).strip()
        if c and not c.startswith("#"):
            out.append([c, []])
    return out


def invokes_gcbench(cmd, scripts):
    for tok in re.split(r"[\s;|&()]+", cmd):
        base = tok.rsplit("/", 1)[-1]
        if base in PROGRAMS and (tok == base or tok.startswith("build/")):
            return True
        if tok.startswith("scripts/") and tok[8:] in scripts:
            return True
    return False


def parse_markers(markers, where, problems):
    m = {"skip": False, "exit": 0, "replace": [], "append": []}
    for spec in markers:
        word, _, rest = spec.partition(" ")
        if word == "skip" and not rest:
            m["skip"] = True
        elif word == "exit" and rest.strip().isdigit():
            m["exit"] = int(rest)
        elif word == "replace" and len(rest.split()) == 2:
            m["replace"].append(tuple(rest.split()))
        elif word == "append" and rest.strip():
            m["append"].append(rest.strip())
        elif word in ("names", "counts"):
            pass  # check_lists, check_counts
        else:
            problems.append("%s: unknown doc-check marker '%s'" % (where, spec))
    return m


def normal(s):
    return " ".join(s.split())


def check_output(expected, actual):
    """The first expected line not found, in order, in actual; or None."""
    got = [normal(l) for l in actual.split("\n")]
    pos = 0
    for e in expected:
        e = normal(e)
        prefix = e.endswith("...")
        if prefix:
            e = e[:-3].rstrip()
        while pos < len(got) and not (got[pos].startswith(e) if prefix
                                      else got[pos] == e):
            pos += 1
        if pos == len(got):
            return e
        pos += 1
    return None


def make_work(src, bindir, work):
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(work, "build"))
    os.makedirs(os.path.join(work, "results"))
    for preset in ("release", "debug", "asan"):
        os.symlink(bindir, os.path.join(work, "build", preset))
    for d in ("scripts", "tests", "gc", "workloads", "bench"):
        os.symlink(os.path.join(src, d), os.path.join(work, d))
    os.symlink(os.path.join(src, "results", "reference"),
               os.path.join(work, "results", "reference"))


def run_commands(src, bindir, work, problems):
    scripts = set(os.listdir(os.path.join(src, "scripts")))
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ["PATH"])
    ran = 0
    for page in pages(src):
        rel = os.path.relpath(page, src)
        for line, lang, markers, body in blocks(open(page).read()):
            where = "%s:%d" % (rel, line)
            m = parse_markers(markers, where, problems)
            if lang not in ("sh", "console") or m["skip"]:
                continue
            for cmd, expected in commands(lang, body):
                if not invokes_gcbench(cmd, scripts):
                    continue
                long = [s for s in LONG if re.search(
                    r"(^|[\s;|&(])scripts/%s(\s|$)" % re.escape(s), cmd)]
                if long and "--help" not in cmd.split():
                    problems.append("%s: '%s' is not run here (it takes "
                                    "minutes or installs): mark the block "
                                    "<!-- doc-check: skip -->" % (where, cmd))
                    continue
                for old, new in m["replace"]:
                    cmd = cmd.replace(old, new)
                for extra in m["append"]:
                    cmd += " " + extra
                # No time limit: a verdict never depends on the machine's
                # load (CTest's TIMEOUT on docs_check only guards against a
                # hang).  The time is printed, so a slow quote shows.
                t0 = time.monotonic()
                p = subprocess.run(cmd, shell=True, executable="/bin/bash",
                                   cwd=work, env=env,
                                   stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True,
                                   errors="replace")
                ran += 1
                print("%s: %.1f s, exit %d: %s" % (where,
                                                   time.monotonic() - t0,
                                                   p.returncode, cmd))
                if p.returncode != m["exit"]:
                    last = (p.stderr.strip() or p.stdout.strip()).split("\n")
                    problems.append("%s: '%s' exited %d, the page says %d (%s)"
                                    % (where, cmd, p.returncode, m["exit"],
                                       last[-1][:200]))
                    continue
                miss = check_output(expected, p.stdout)
                if miss is not None:
                    problems.append("%s: '%s' did not print '%s'"
                                    % (where, cmd, miss))
    return ran


OPTION = re.compile(r"(?<![\w/.=:-])(--?[A-Za-z][\w-]*)")


def listed_options(text, prog):
    """The options a --help text lists: every option on a line that starts
    with one (an option's own line) or with the program's name or "usage:"
    (a synopsis), and every option right after a '[' (a synopsis going on);
    not the ones its prose mentions in passing (`ulimit -s`)."""
    opts = set()
    for line in text.split("\n"):
        s = line.strip()
        if s.startswith("-") or s.startswith("usage:") or \
                s.split(" ", 1)[0].endswith(prog):
            opts.update(OPTION.findall(s))
        opts.update(re.findall(r"\[(--?[A-Za-z][\w-]*)", s))
    return opts - {"-h", "--help"}


def help_options(argv, only=None):
    p = subprocess.run(argv + ["--help"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, errors="replace")
    opts = listed_options(p.stdout, os.path.basename(argv[0]))
    if only:
        opts = {o for o in opts if o.startswith(only)}
    return p.stdout, opts


def named(text, word):
    return re.search(r"(?<![\w-])" + re.escape(word) + r"(?![\w-])", text)


def check_options(src, bindir, problems):
    checked = 0
    bench = open(os.path.join(src, "bench", "README.md")).read()
    for prog, only in (("gcrun", None), ("gcdemo", None),
                       ("antagonist", None), ("gcbench", "--gcbench_")):
        out, opts = help_options([os.path.join(bindir, prog)], only)
        if not opts:
            problems.append("%s --help lists no option (%s)"
                            % (prog, out.strip()[:100]))
        for o in sorted(opts):
            checked += 1
            if not named(bench, o):
                problems.append("bench/README.md does not mention %s's "
                                "option %s" % (prog, o))
    sdir = os.path.join(src, "scripts")
    text = open(os.path.join(sdir, "README.md")).read()
    env = dict(os.environ, GCBENCH_BUILD=bindir)
    for name in sorted(os.listdir(sdir)):
        path = os.path.join(sdir, name)
        if not os.path.isfile(path) or not os.access(path, os.X_OK):
            continue
        if not named(text, name):
            problems.append("scripts/README.md does not mention scripts/%s"
                            % name)
        p = subprocess.run([path, "--help"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, errors="replace", env=env)
        opts = listed_options(p.stdout, name)
        if p.returncode != 0 or not opts:
            problems.append("scripts/%s --help: exit %d, %d options"
                            % (name, p.returncode, len(opts)))
        for o in sorted(opts):
            checked += 1
            if not named(text, o):
                problems.append("scripts/README.md does not mention "
                                "scripts/%s's option %s" % (name, o))
    return checked


def slug(heading):
    """GitHub's anchor for a heading."""
    s = heading.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


def anchors(path):
    out, fenced = set(), False
    for line in open(path).read().split("\n"):
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            out.add(slug(line.lstrip("#")))
    return out


LINK = re.compile(r"\]\(([^)\s]+)\)")


def check_links(src, problems):
    checked = 0
    for page in pages(src):
        rel = os.path.relpath(page, src)
        fenced = False
        for n, line in enumerate(open(page).read().split("\n"), 1):
            if FENCE.match(line):
                fenced = not fenced
            if fenced:
                continue
            for target in LINK.findall(line):
                if re.match(r"^[a-z]+:", target):
                    continue
                checked += 1
                path, _, anchor = target.partition("#")
                full = (os.path.normpath(os.path.join(os.path.dirname(page),
                                                      path))
                        if path else page)
                if not os.path.exists(full):
                    problems.append("%s:%d: link to %s: no such file"
                                    % (rel, n, path))
                elif anchor and full.endswith(".md") and \
                        anchor not in anchors(full):
                    problems.append("%s:%d: link to %s: no heading #%s"
                                    % (rel, n, path or rel, anchor))
    return checked


def registry(bindir):
    """{"collectors": [...], "profiles": [...]}: gcrun --list's names."""
    p = subprocess.run([os.path.join(bindir, "gcrun"), "--list"],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, errors="replace")
    out, section = {"collectors": [], "profiles": []}, None
    for line in p.stdout.split("\n"):
        head = line.split(" ", 1)[0]
        if line and not line.startswith(" "):
            section = head if head in out else None
            continue
        m = re.match(r"^  ([a-z0-9_.-]+)  *[^ ]", line)
        if section and m and not line.startswith("  every "):
            out[section].append(m.group(1))
    return out


def marked_units(text, word):
    """Yield (line number, marker arguments, text) for each
    `<!-- doc-check: WORD ARGS -->` marker and the paragraph, list, table
    or fenced block that follows it."""
    lines = text.split("\n")
    for n, line in enumerate(lines):
        m = MARKER.match(line)
        if not m or m.group(1).split(" ", 1)[0] != word:
            continue
        k = n + 1
        while k < len(lines) and (not lines[k].strip() or MARKER.match(lines[k])):
            k += 1
        unit, fence = [], FENCE.match(lines[k]) if k < len(lines) else None
        while k < len(lines):
            unit.append(lines[k])
            k += 1
            if fence:
                if len(unit) > 1 and FENCE.match(lines[k - 1]):
                    break
            elif k < len(lines) and not lines[k].strip():
                break
        yield n + 1, m.group(1).split()[1:], "\n".join(unit)


def check_lists(src, bindir, problems):
    """`<!-- doc-check: names collectors profiles -->`: the unit below names
    every registered collector (and profile), each as `name`; with
    `row=TEXT`, the table row or line of the unit that contains TEXT."""
    names, checked = registry(bindir), 0
    if not names["collectors"]:
        problems.append("gcrun --list names no collector")
        return 0
    for page in pages(src):
        rel = os.path.relpath(page, src)
        for line, args, unit in marked_units(open(page).read(), "names"):
            rows = [a[4:] for a in args if a.startswith("row=")]
            args = [a for a in args if not a.startswith("row=")]
            if rows:
                unit = "\n".join(l for l in unit.split("\n")
                                 if any(r in l for r in rows))
                if not unit:
                    problems.append("%s:%d: no line below contains %s"
                                    % (rel, line, " or ".join(rows)))
                    continue
            if not args or any(a not in names for a in args):
                problems.append("%s:%d: 'names' wants collectors and/or "
                                "profiles" % (rel, line))
                continue
            for kind in args:
                checked += 1
                missing = [x for x in names[kind]
                           if "`%s`" % x not in unit]
                if missing:
                    problems.append("%s:%d: the list below does not name "
                                    "the %s %s (gcrun --list has them)"
                                    % (rel, line, kind, ", ".join(missing)))
    return checked


def test_counts(bindir):
    """{folder: (tests, tests not labelled full)} of the build's CTest
    tests, by the folder of tests/ that registers them, less the tests
    labelled valgrind (the release build's only), so that every build
    counts as the debug build does; None if ctest cannot say."""
    try:
        p = subprocess.run(["ctest", "--test-dir", bindir, "-N",
                            "--show-only=json-v1"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           text=True)
        tests = json.loads(p.stdout)["tests"]
    except (OSError, ValueError, KeyError):
        return None
    counts = {}
    for t in tests:
        props = {q["name"]: q["value"] for q in t.get("properties", [])}
        where = props.get("WORKING_DIRECTORY", "")
        folder = os.path.relpath(where, os.path.join(bindir, "tests"))
        labels = props.get("LABELS", [])
        if "valgrind" in labels:
            continue
        full = "full" in labels
        n, quick = counts.get(folder, (0, 0))
        counts[folder] = (n + 1, quick + (not full))
    return counts


def check_counts(src, bindir, problems):
    """`<!-- doc-check: counts tests -->`: in the table below, a row whose
    first cell is `FOLDER` (or **all**) gives that folder's number of CTest
    tests in its second cell and, when there is one, the number not
    labelled `full` (the quick tier) in its third: as `ctest -N` counts
    them in this build."""
    counts, checked = None, 0
    for page in pages(src):
        rel = os.path.relpath(page, src)
        for line, args, unit in marked_units(open(page).read(), "counts"):
            if args != ["tests"]:
                problems.append("%s:%d: 'counts' wants 'tests'" % (rel, line))
                continue
            if counts is None:
                counts = test_counts(bindir)
                if not counts:
                    problems.append("ctest -N lists no test in %s" % bindir)
                    return checked
            seen = set()
            for row in unit.split("\n"):
                cells = [c.strip() for c in row.strip().strip("|").split("|")]
                m = re.match(r"^(`([\w-]+)`|\*\*all\*\*)$", cells[0])
                if not m or len(cells) < 2:
                    continue
                folder = m.group(2)
                if folder:
                    seen.add(folder)
                    want = counts.get(folder, (0, 0))
                else:
                    want = tuple(sum(c[i] for c in counts.values())
                                 for i in (0, 1))
                got = [re.sub(r"[,\s]", "", c) for c in cells[1:3]]
                for i, what in ((0, "tests"), (1, "quick-tier tests")):
                    if i >= len(got) or not got[i].isdigit():
                        continue
                    checked += 1
                    if int(got[i]) != want[i]:
                        problems.append("%s:%d: %s: %s %s, ctest -N counts %d"
                                        % (rel, line, cells[0], got[i], what,
                                           want[i]))
            for folder in sorted(set(counts) - seen):
                problems.append("%s:%d: the table has no row for tests/%s "
                                "(%d tests)" % (rel, line, folder,
                                                counts[folder][0]))
    return checked


def main(argv):
    if len(argv) != 4:
        sys.stderr.write("usage: doc_check.py SRC BIN WORK\n")
        return 2
    src, bindir, work = (os.path.abspath(a) for a in argv[1:])
    problems = []
    make_work(src, bindir, work)
    ran = run_commands(src, bindir, work, problems)
    opts = check_options(src, bindir, problems)
    links = check_links(src, problems)
    lists = check_lists(src, bindir, problems)
    counts = check_counts(src, bindir, problems)
    for p in problems:
        print("doc-check: " + p)
    print("doc-check: %d commands run, %d options, %d links, %d lists and "
          "%d counts checked, %d problems" % (ran, opts, links, lists, counts,
                                             len(problems)))
    if ran == 0 or opts == 0 or lists == 0 or counts == 0:
        print("doc-check: nothing checked: is the build in %s?" % bindir)
        return 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
