# scaling.gp -- ns per vertex of one full collection against the vertices,
# log x, one line per collector (`none` left out: it does nothing), error
# bars from the fastest to the slowest repetition.  Variables: data
# (blocks: vertices median_ns min_ns max_ns, one per collector, in the order
# of `names`), names, label, unit ('vertex', or 'level list' for levels).
load dir.'/common.gp'
set title 'One full collection: '.label noenhanced
set xlabel unit eq 'vertex' ? 'vertices' : unit.'s'
set ylabel 'ns per '.unit.' (lower is better)'
set logscale x
set logscale y
set format x '10^{%L}'
set key noenhanced
n = words(names)
plot for [i=1:n] data index (i-1) using 1:2:3:4 \
     with yerrorlines lw width(i, n) dt dash(i) pt ptype(i) ps 0.9 \
     lc rgb colour(i) title word(names,i)
