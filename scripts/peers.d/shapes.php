<?php
/*
 * shapes.php -- one repetition of one shape under PHP's cycle collector
 * (Zend's zend_gc.c), for scripts/peer-php.  Run by it, one process per
 * repetition:
 *
 *   php -d memory_limit=-1 shapes.php SHAPE N PROTOCOL WARMUP_N
 *
 * SHAPE: rings rings2 rings_live chains graphs levels; PROTOCOL: all or
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

function build($shape, $n, $all) {
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
