# scaling.gp -- full-collection time vs heap size, log-log, one line per
# collector, error bars from the fastest to the slowest repetition.
# Variables: data (blocks: n median_ms min_ms max_ms, one per collector, in
# the order of `names`), names, label.
load dir.'/common.gp'
set title 'Full collection time vs heap size: '.label
set xlabel 'heap size (objects)'
set ylabel 'time per collection (ms)'
set logscale xy
set format x '10^{%L}'
set format y '10^{%L}'
plot for [i=1:words(names)] data index (i-1) using 1:2:3:4 \
     with yerrorlines lw 2 pt 7 ps 0.8 lc rgb color(word(names,i)) \
     title word(names,i)
