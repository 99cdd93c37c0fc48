# memory.gp -- bytes allocated over time, per collector: `none` climbs (the
# leak), collectors stay flat.  Variables: data (blocks: seconds MiB), names,
# label.
load dir.'/common.gp'
set title 'Memory over time: '.label
set xlabel 'time since the run started (s)'
set ylabel 'allocated (MiB, jemalloc, this thread)'
set yrange [0:*]
plot for [i=1:words(names)] data index (i-1) using 1:2 \
     with lines lw 2 lc rgb color(word(names,i)) title word(names,i)
