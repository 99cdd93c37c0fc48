<?php
/*
 * shapes.php -- one repetition of one shape under PHP's cycle collector
 * (Zend's zend_gc.c), for scripts/peer-php.  Run by it, one process per
 * repetition:
 *
 *   php -d memory_limit=-1 shapes.php SHAPE N PROTOCOL WARMUP_N
 *
 * SHAPE: rings rings2 rings_live chains graphs levels, or a row of
 * gcbench's shapes grid, shapes/size:S/degree:D/back:B[/share:F]/order:O/
 * held:H (scripts/peers.d/peerlib.py lists them); PROTOCOL: all or
 * workload (scripts/peer-php --help says what they buffer).  Prints one
 * JSON object: ns (one timed gc_collect_cycles()), objects, collected,
 * expected, roots (gc_status()'s buffered roots when the timed collection
 * started), warmup_ns.  Exit 1 if the count collected or the roots
 * buffered are not the expected ones.
 *
 * How a vertex enters PHP's root buffer: a decrement that leaves the count
 * of an object or array above zero calls gc_possible_root (unless it is
 * buffered already).  Building buffers vertices as a side effect of
 * ordinary assignments, so every heap here is built, then collected once
 * untimed while everything is still reachable (this empties the buffer and
 * frees nothing), and then exactly the protocol's vertices are buffered by
 * destroying one array holding a second reference to each of them.
 */

final class V1 { public $next; }
final class V2 { public $next; public $prev; }
final class G2 { public $e0; public $e1; }
/* grid vertices: degree children c0.., a back edge b, a share edge s, as
 * the shapes workload's slots (degree + back + share) */
final class S1 { public $c0; }
final class S1b { public $c0, $b; }
final class S1s { public $c0, $s; }
final class S1bs { public $c0, $b, $s; }
final class S2 { public $c0, $c1; }
final class S2b { public $c0, $c1, $b; }
final class S2s { public $c0, $c1, $s; }
final class S2bs { public $c0, $c1, $b, $s; }
final class S3 { public $c0, $c1, $c2; }
final class S3b { public $c0, $c1, $c2, $b; }
final class S3s { public $c0, $c1, $c2, $s; }
final class S3bs { public $c0, $c1, $c2, $b, $s; }
final class S4 { public $c0, $c1, $c2, $c3; }
final class S4b { public $c0, $c1, $c2, $c3, $b; }
final class S4s { public $c0, $c1, $c2, $c3, $s; }
final class S4bs { public $c0, $c1, $c2, $c3, $b, $s; }

/* Each builder returns [keep, drop, objects, expected]: `keep` holds what
 * the shape keeps live; destroying `drop` buffers the protocol's roots. */

function rings($n, $k, $links, $held, $all) {
    $keep = []; $drop = [];
    for ($r = 0, $nr = intdiv($n, $k); $r < $nr; $r++) {
        $first = $links == 2 ? new V2 : new V1;
        $prev = $first;
        $drop[] = $first;
        for ($i = 1; $i < $k; $i++) {
            $o = $links == 2 ? new V2 : new V1;
            if ($links == 2) $o->prev = $prev;
            $prev->next = $o;
            $prev = $o;
            if ($all) $drop[] = $o;
        }
        $prev->next = $first;
        if ($links == 2) $first->prev = $prev;
        if ($held) $keep[] = $first;
    }
    $objects = intdiv($n, $k) * $k;
    return [$keep, $drop, $objects, $held ? 0 : $objects];
}

function chains($n, $len, $all) {
    $keep = []; $drop = [];
    for ($c = 0, $nc = intdiv($n, $len); $c < $nc; $c++) {
        $head = new V1;
        $cur = $head;
        $drop[] = $head;
        for ($i = 1; $i < $len; $i++) {
            $o = new V1;
            $cur->next = $o;
            $cur = $o;
            if ($all) $drop[] = $o;
        }
        $keep[] = $head;
    }
    return [$keep, $drop, intdiv($n, $len) * $len, 0];
}

function graphs($n) {
    mt_srand(1);
    $keep = [];
    for ($i = 0; $i < $n; $i++) $keep[] = new G2;
    $drop = [];
    for ($i = 0; $i < $n; $i++) {
        $v = $keep[$i];
        $v->e0 = $keep[mt_rand(0, $n - 1)];
        $v->e1 = $keep[mt_rand(0, $n - 1)];
        $drop[] = $v;
    }
    /* every vertex is both held and a workload root: the protocols agree */
    return [$keep, $drop, $n, 0];
}

/* pyperformance's gc_traversal: level i is an array of i references to
 * level i-1, until the arrays hold n references in all. */
function levels($n, $all) {
    $cur = []; $refs = 0; $count = 0; $drop = [];
    for ($level = 1; $refs + $level <= $n; $level++) {
        $next = array_fill(0, $level, $cur);
        if ($count > 0) $drop[] = $cur; /* level 0 ([]) is not refcounted */
        $cur = $next;
        $refs += $level;
        $count++;
    }
    if ($all) $drop[] = $cur;
    return [[$cur], $drop, $count, 0];
}

/* gcbench's shapes workload (workloads/shapes.c): components that are
 * complete degree-ary trees of `size` vertices numbered breadth-first, a
 * back edge on every vertex but the start (parent, start, or a random
 * earlier vertex: across), a share edge to a random later vertex on a
 * `share` fraction of them; each component's vertices allocated first, in
 * the allocation order (bfs, dfs preorder, scatter: a fresh random
 * permutation per component, interleave: four components at once, one
 * vertex of each in turn), then linked.  Component c is held when
 * floor((c+1) held) > floor(c held).  A dropped component with a back edge
 * and size >= 2 is cyclic garbage; one without is freed by reference
 * counting as it is dropped, and buffers nothing.  Random choices come from
 * mt_rand (seeded): the distribution is gcbench's, not the exact graph.
 * No recursion: dfs order uses an explicit stack. */
function grid($spec, $n, $all) {
    $p = ['size' => '1000', 'degree' => '2', 'back' => 'parent', 'share' => '0',
          'order' => 'bfs', 'held' => '0'];
    foreach (array_slice(explode('/', $spec), 1) as $kv) {
        $kv = explode(':', $kv, 2);
        if (count($kv) != 2 || !isset($p[$kv[0]])) {
            fwrite(STDERR, "shapes.php: bad grid shape '$spec'\n");
            exit(2);
        }
        $p[$kv[0]] = $kv[1];
    }
    $size = min((int)$p['size'], $n);
    $deg = (int)$p['degree'];
    $back = $p['back'];
    $share = (float)$p['share'];
    $order = $p['order'];
    $held = (float)$p['held'];
    if ($deg < 1 || $deg > 4 || $size < 1 ||
        !in_array($back, ['none', 'parent', 'start', 'across'], true) ||
        !in_array($order, ['bfs', 'dfs', 'scatter', 'interleave'], true)) {
        fwrite(STDERR, "shapes.php: bad grid shape '$spec'\n");
        exit(2);
    }
    $hasback = $back !== 'none';
    $class = "S$deg" . ($hasback ? 'b' : '') . ($share > 0 ? 's' : '');
    $kid = ['c0', 'c1', 'c2', 'c3'];
    mt_srand(1);
    $unit = 1.0 / (mt_getrandmax() + 1.0);
    if ($order === 'dfs') { /* preorder, first child on top of the stack */
        $ord = []; $stack = [0];
        while ($stack) {
            $i = array_pop($stack);
            $ord[] = $i;
            for ($c = $deg; $c >= 1; $c--)
                if ($deg * $i + $c < $size) $stack[] = $deg * $i + $c;
        }
    } else {
        $ord = range(0, $size - 1);
    }
    $ways = $order === 'interleave' ? 4 : 1;
    $comps = intdiv($n, $size);
    $keep = []; $drop = []; $expected = 0;
    for ($comp = 0; $comp < $comps; ) {
        $w = min($ways, $comps - $comp);
        if ($order === 'scatter') /* Fisher-Yates */
            for ($i = $size; $i > 1; $i--) {
                $j = mt_rand(0, $i - 1);
                $t = $ord[$i - 1]; $ord[$i - 1] = $ord[$j]; $ord[$j] = $t;
            }
        $vs = [];
        for ($x = 0; $x < $w; $x++) $vs[] = array_fill(0, $size, null);
        for ($k = 0; $k < $size; $k++)
            for ($x = 0; $x < $w; $x++) $vs[$x][$ord[$k]] = new $class;
        $listed = [];
        for ($x = 0; $x < $w; $x++, $comp++) {
            $v = $vs[$x];
            for ($i = 0; $i < $size; $i++) {
                $o = $v[$i];
                for ($c = 1; $c <= $deg; $c++) {
                    $j = $deg * $i + $c;
                    if ($j < $size) $o->{$kid[$c - 1]} = $v[$j];
                }
                if ($i > 0 && $hasback)
                    $o->b = $v[$back === 'parent' ? intdiv($i - 1, $deg)
                               : ($back === 'start' ? 0 : mt_rand(0, $i - 1))];
                if ($share > 0 && $i + 1 < $size && mt_rand() * $unit < $share)
                    $o->s = $v[$i + 1 + mt_rand(0, $size - $i - 2)];
            }
            $held_c = (int)floor(($comp + 1) * $held) > (int)floor($comp * $held);
            if ($held_c) $keep[] = $v[0];
            else if ($hasback && $size >= 2) $expected += $size;
            else continue; /* freed by reference counting below */
            if (!$all) $drop[] = $v[0];
            $listed[] = $x;
        }
        if ($all) /* every vertex, in allocation order */
            for ($k = 0; $k < $size; $k++)
                foreach ($listed as $x) $drop[] = $vs[$x][$ord[$k]];
        $v = $o = null;
        $vs = null;
    }
    return [$keep, $drop, $comps * $size, $expected];
}

function build($shape, $n, $all) {
    if (strncmp($shape, 'shapes/', 7) == 0) return grid($shape, $n, $all);
    switch ($shape) {
    case 'rings': return rings($n, 10, 1, false, $all);
    case 'rings2': return rings($n, 10, 2, false, $all);
    case 'rings_live': return rings($n, 10, 1, true, $all);
    case 'chains': return chains($n, 100, $all);
    case 'graphs': return graphs($n);
    case 'levels': return levels($n, $all);
    }
    fwrite(STDERR, "shapes.php: unknown shape '$shape'\n");
    exit(2);
}

function one($shape, $n, $all) {
    [$keep, $drop, $objects, $expected] = build($shape, $n, $all);
    $left = gc_collect_cycles(); /* untimed: empties the buffer, frees nothing */
    $want_roots = count($drop);
    $drop = null; /* buffers the protocol's roots */
    $roots = gc_status()['roots'];
    $t0 = hrtime(true);
    $collected = gc_collect_cycles();
    $t1 = hrtime(true);
    $keep = null;
    gc_collect_cycles();
    return [$t1 - $t0, $objects, $collected, $expected, $roots, $want_roots, $left];
}

if ($argc != 5) {
    fwrite(STDERR, "usage: php shapes.php SHAPE N all|workload WARMUP_N\n");
    exit(2);
}
[, $shape, $n, $protocol, $warm] = $argv;
if ($protocol !== 'all' && $protocol !== 'workload') {
    fwrite(STDERR, "shapes.php: protocol must be all or workload, got '$protocol'\n");
    exit(2);
}
gc_disable();
$all = $protocol === 'all';
$w0 = hrtime(true);
if ((int)$warm > 0) one($shape, (int)$warm, $all);
$w1 = hrtime(true);
[$ns, $objects, $collected, $expected, $roots, $want_roots, $left] = one($shape, (int)$n, $all);
echo json_encode(['ns' => $ns, 'objects' => $objects, 'collected' => $collected,
                  'expected' => $expected, 'roots' => $roots,
                  'expected_roots' => $want_roots, 'untimed_collected' => $left,
                  'warmup_ns' => $w1 - $w0, 'php' => PHP_VERSION]), "\n";
exit($collected == $expected && $roots == $want_roots && $left == 0 ? 0 : 1);
