# shapes.nim -- one repetition of one shape under Nim's ORC cycle collector
# (lib/system/orc.nim), for scripts/peer-nim, which builds it with
# `nim c --mm:orc -d:release` and runs it once per repetition:
#
#   shapes SHAPE N PROTOCOL WARMUP_N
#
# SHAPE: rings rings2 rings_live chains graphs levels; PROTOCOL: all or
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

import std/[monotimes, times, os, strutils, random, json]

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

var freed = 0

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

proc one(shape: string; n: int; all: bool): Outcome =
  freed = 0
  case shape
  of "rings": rings[V1](n, 10, false, all)
  of "rings2": rings[V2](n, 10, false, all)
  of "rings_live": rings[V1](n, 10, true, all)
  of "chains": chains(n, 100, all)
  of "graphs": graphs(n)
  of "levels": levels(n, all)
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
