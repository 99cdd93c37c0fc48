# shapes.nim -- one repetition of one shape under Nim's ORC cycle collector
# (lib/system/orc.nim), for scripts/peer-nim, which builds it with
# `nim c --mm:orc -d:release` and runs it once per repetition:
#
#   shapes SHAPE N PROTOCOL WARMUP_N
#
# SHAPE: rings rings2 rings_live chains graphs levels, or a row of
# gcbench's shapes grid, shapes/size:S/degree:D/back:B[/share:F]/order:O/
# held:H (scripts/peers.d/peerlib.py lists them); PROTOCOL: all or
# workload (scripts/peer-nim --help says what they buffer).  Prints one
# JSON object: ns (one timed GC_fullCollect()), objects, collected,
# expected, roots (GC_prepareOrc(): the buffered roots when the timed
# collection started), warmup_ns.  Exit 1 if the count collected or the
# roots buffered are not the expected ones.
#
# How a vertex enters ORC's root buffer: a decrement of a cyclic ref that
# leaves its count above zero calls rememberCycle, which buffers it unless
# it is buffered already (rootIdx != 0).  Moves and cursors make idiomatic
# building buffer almost nothing, and copies buffer something, so every
# heap here is built, then collected once untimed while everything is
# still reachable (this empties the buffer and frees nothing), and then
# exactly the protocol's vertices are buffered by destroying one seq
# holding a second reference to each of them.
#
# Counting what is collected: each vertex type has a destructor that counts
# (one increment per freed vertex, inside the timed collection; ORC calls
# a destructor for every freed object whether or not it counts).

import std/[monotimes, times, os, strutils, random, json, math]

type
  V1Obj = object
    next: V1
  V1 = ref V1Obj
  V2Obj = object
    next, prev: V2
  V2 = ref V2Obj
  G2Obj = object
    e0, e1: G2
  G2 = ref G2Obj
  LObj = object
    kids: seq[L]
  L = ref LObj

  # a grid vertex: D children, a back edge when B, a share edge when H (the
  # shapes workload's slots: degree + back + share)
  SObj[D: static int; B, H: static bool] = object
    kids: array[D, ref SObj[D, B, H]]
    when B:
      back: ref SObj[D, B, H]
    when H:
      share: ref SObj[D, B, H]

var freed = 0

proc `=destroy`[D: static int; B, H: static bool](x: var SObj[D, B, H]) =
  inc freed
  for i in 0 ..< D: `=destroy`(x.kids[i])
  when B: `=destroy`(x.back)
  when H: `=destroy`(x.share)

proc `=destroy`(x: var V1Obj) =
  inc freed
  `=destroy`(x.next)
proc `=destroy`(x: var V2Obj) =
  inc freed
  `=destroy`(x.next)
  `=destroy`(x.prev)
proc `=destroy`(x: var G2Obj) =
  inc freed
  `=destroy`(x.e0)
  `=destroy`(x.e1)
proc `=destroy`(x: var LObj) =
  inc freed
  `=destroy`(x.kids)

type Outcome = object
  ns, objects, collected, expected, roots, expectedRoots, untimed: int

# The protocol, then the timed collection.  `drop` holds a second reference
# to exactly the vertices to buffer; `keep` what the shape keeps live.
proc measure[T](keep, drop: var seq[T]; objects, expected: int): Outcome =
  GC_fullCollect() # untimed: empties the buffer, frees nothing
  GC_disableOrc()  # collectCycles moves the threshold; keep it off
  result.untimed = freed
  result.expectedRoots = drop.len
  drop = @[]       # buffers the protocol's roots
  result.roots = GC_prepareOrc()
  freed = 0
  let t0 = getMonoTime()
  GC_fullCollect()
  let t1 = getMonoTime()
  result.collected = freed
  GC_disableOrc()
  result.ns = int((t1 - t0).inNanoseconds)
  result.objects = objects
  result.expected = expected
  keep = @[]
  GC_fullCollect()
  GC_disableOrc()

proc rings[T: V1 | V2](n, k: int; held, all: bool): Outcome =
  var keep, drop: seq[T]
  for r in 0 ..< n div k:
    let first = T()
    var prev = first
    drop.add first
    for i in 1 ..< k:
      let o = T()
      when T is V2: o.prev = prev
      prev.next = o
      prev = o
      if all: drop.add o
    prev.next = first
    when T is V2: first.prev = prev
    if held: keep.add first
  let objects = n div k * k
  measure(keep, drop, objects, if held: 0 else: objects)

proc chains(n, length: int; all: bool): Outcome =
  var keep, drop: seq[V1]
  for c in 0 ..< n div length:
    let head = V1()
    var cur = head
    drop.add head
    for i in 1 ..< length:
      let o = V1()
      cur.next = o
      cur = o
      if all: drop.add o
    keep.add head
  measure(keep, drop, n div length * length, 0)

proc graphs(n: int): Outcome =
  var r = initRand(1)
  var keep, drop: seq[G2]
  for i in 0 ..< n: keep.add G2()
  for i in 0 ..< n:
    let v = keep[i]
    v.e0 = keep[r.rand(n - 1)]
    v.e1 = keep[r.rand(n - 1)]
    drop.add v
  # every vertex is both held and a workload root: the protocols agree
  measure(keep, drop, n, 0)

# pyperformance's gc_traversal: level i holds i references to level i-1,
# until the levels hold n references in all.
proc levels(n: int; all: bool): Outcome =
  var cur = L()
  var drop: seq[L]
  var refs, count = 0
  var level = 1
  while refs + level <= n:
    let next = L(kids: newSeq[L](level))
    for j in 0 ..< level: next.kids[j] = cur
    drop.add cur
    cur = next
    refs += level
    inc count
    inc level
  if all: drop.add cur
  var keep = @[cur]
  cur = nil
  # level 0 (an empty level) is a vertex here, unlike PHP's empty array
  measure(keep, drop, count + 1, 0)

# gcbench's shapes workload (workloads/shapes.c): components that are
# complete degree-ary trees of `size` vertices numbered breadth-first, a
# back edge on every vertex but the start (parent, start, or a random
# earlier vertex: across), a share edge to a random later vertex on a
# `share` fraction of them; each component's vertices allocated first, in
# the allocation order (bfs, dfs preorder, scatter: a fresh random
# permutation per component, interleave: four components at once, one
# vertex of each in turn), then linked.  Component c is held when
# floor((c+1) held) > floor(c held).  A dropped component with a back edge
# and size >= 2 is cyclic garbage; one without is freed by reference
# counting as it is dropped, and buffers nothing.  Random choices come from
# std/random (seeded): the distribution is gcbench's, not the exact graph.
# No recursion: dfs order uses an explicit stack.
type GridSpec = object
  size, degree: int
  back, order: string
  share, held: float

proc parseGrid(spec: string): GridSpec =
  result = GridSpec(size: 1000, degree: 2, back: "parent", order: "bfs")
  let parts = spec.split('/')
  for kv in parts[1 .. ^1]:
    let f = kv.split(':', 1)
    if f.len != 2: raise newException(ValueError, kv)
    case f[0]
    of "size": result.size = parseInt(f[1])
    of "degree": result.degree = parseInt(f[1])
    of "back": result.back = f[1]
    of "share": result.share = parseFloat(f[1])
    of "order": result.order = f[1]
    of "held": result.held = parseFloat(f[1])
    else: raise newException(ValueError, kv)
  if result.degree notin 1 .. 4 or result.size < 1 or
      result.back notin ["none", "parent", "start", "across"] or
      result.order notin ["bfs", "dfs", "scatter", "interleave"]:
    raise newException(ValueError, spec)

proc grid[D: static int; B, H: static bool](g: GridSpec; n: int;
                                            all: bool): Outcome =
  type S = ref SObj[D, B, H]
  let size = min(g.size, n)
  var r = initRand(1)
  var ord = newSeq[int](size)
  if g.order == "dfs": # preorder, first child on top of the stack
    var stack = @[0]
    var k = 0
    while stack.len > 0:
      let i = stack.pop()
      ord[k] = i
      inc k
      for c in countdown(D, 1):
        if D * i + c < size: stack.add D * i + c
  else:
    for i in 0 ..< size: ord[i] = i
  let ways = if g.order == "interleave": 4 else: 1
  let comps = n div size
  var keep, drop: seq[S]
  var expected = 0
  var comp = 0
  while comp < comps:
    let w = min(ways, comps - comp)
    if g.order == "scatter": # Fisher-Yates
      for i in countdown(size, 2):
        let j = r.rand(i - 1)
        swap(ord[i - 1], ord[j])
    var vs = newSeq[seq[S]](w)
    for x in 0 ..< w: vs[x] = newSeq[S](size)
    for k in 0 ..< size:
      for x in 0 ..< w: vs[x][ord[k]] = S()
    var listed: seq[int]
    for x in 0 ..< w:
      for i in 0 ..< size:
        for c in 1 .. D:
          let j = D * i + c
          if j < size: vs[x][i].kids[c - 1] = vs[x][j]
        when B:
          if i > 0:
            let t = if g.back == "parent": (i - 1) div D
                    elif g.back == "start": 0
                    else: r.rand(i - 1)
            vs[x][i].back = vs[x][t]
        when H:
          if i + 1 < size and r.rand(1.0) < g.share:
            vs[x][i].share = vs[x][i + 1 + r.rand(size - i - 2)]
      let c = float(comp)
      inc comp
      if int(floor((c + 1) * g.held)) > int(floor(c * g.held)):
        keep.add vs[x][0]
      elif B and size >= 2:
        expected += size
      else:
        continue # freed by reference counting below
      if not all: drop.add vs[x][0]
      listed.add x
    if all: # every vertex, in allocation order
      for k in 0 ..< size:
        for x in listed: drop.add vs[x][ord[k]]
    vs = @[]
  freed = 0 # the components reference counting freed are not the collector's
  measure(keep, drop, comps * size, expected)

proc gridOne(spec: string; n: int; all: bool): Outcome =
  var g: GridSpec
  try:
    g = parseGrid(spec)
  except ValueError:
    stderr.writeLine "shapes: bad grid shape '" & spec & "'"
    quit 2
  let b = g.back != "none"
  let h = g.share > 0
  template by(d: static int): untyped =
    (if b and h: grid[d, true, true](g, n, all)
     elif b: grid[d, true, false](g, n, all)
     elif h: grid[d, false, true](g, n, all)
     else: grid[d, false, false](g, n, all))
  case g.degree
  of 1: by(1)
  of 2: by(2)
  of 3: by(3)
  else: by(4)

proc one(shape: string; n: int; all: bool): Outcome =
  freed = 0
  case shape
  of "rings": rings[V1](n, 10, false, all)
  of "rings2": rings[V2](n, 10, false, all)
  of "rings_live": rings[V1](n, 10, true, all)
  of "chains": chains(n, 100, all)
  of "graphs": graphs(n)
  of "levels": levels(n, all)
  elif shape.startsWith("shapes/"): gridOne(shape, n, all)
  else:
    stderr.writeLine "shapes: unknown shape '" & shape & "'"
    quit 2

proc main() =
  if paramCount() != 4:
    stderr.writeLine "usage: shapes SHAPE N all|workload WARMUP_N"
    quit 2
  let shape = paramStr(1)
  let protocol = paramStr(3)
  if protocol notin ["all", "workload"]:
    stderr.writeLine "shapes: protocol must be all or workload, got '" & protocol & "'"
    quit 2
  let n = parseInt(paramStr(2))
  let warm = parseInt(paramStr(4))
  GC_disableOrc()
  let w0 = getMonoTime()
  if warm > 0: discard one(shape, warm, protocol == "all")
  let w1 = getMonoTime()
  let o = one(shape, n, protocol == "all")
  echo $(%*{"ns": o.ns, "objects": o.objects, "collected": o.collected,
            "expected": o.expected, "roots": o.roots,
            "expected_roots": o.expectedRoots, "untimed_collected": o.untimed,
            "warmup_ns": int((w1 - w0).inNanoseconds), "nim": NimVersion})
  quit(if o.collected == o.expected and o.roots == o.expectedRoots and
          o.untimed == 0: 0 else: 1)

main()
