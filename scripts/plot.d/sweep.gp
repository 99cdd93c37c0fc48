# sweep.gp -- one strategy axis (scripts/bench --sweep): total time above,
# peak allocated memory below, against the swept value, one line per
# collector.  Variables: data (blocks: x ms MiB, one per collector in the
# order of `names`; x is the value, or its position when `xtics` is set),
# names, key (the swept key), label (the row), logx (1: log x axis), xtics
# (gnuplot xtics for non-numeric values, or ''), xlabel.
height = 700
load dir.'/common.gp'
set multiplot layout 2,1 title 'Sweep of '.key.': '.label noenhanced
set lmargin 12
set rmargin 22
if (logx) set logscale x
if (strlen(xtics) > 0) eval 'set xtics ('.xtics.')'
set offsets graph 0.03, graph 0.03, 0, 0
set ylabel 'total time (ms, log scale)'
set logscale y
set format x ''
set key outside right top noenhanced
n = words(names)
plot for [i=1:n] data index (i-1) using 1:2 \
     with linespoints lw width(i, n) dt dash(i) pt ptype(i) ps 0.9 \
     lc rgb colour(i) title word(names,i)
set format x '%g'
set xlabel xlabel noenhanced
unset logscale y
set offsets graph 0.03, graph 0.03, graph 0.08, 0
set ylabel 'peak allocated (MiB)'
set yrange [0:*]
set key off
plot for [i=1:n] data index (i-1) using 1:3 \
     with linespoints lw width(i, n) dt dash(i) pt ptype(i) ps 0.9 \
     lc rgb colour(i) notitle
unset multiplot
