# pauses.gp -- cumulative distribution of pause times on churn, per
# collector.  Variables: data (blocks: pause_ms fraction), names.
load dir.'/common.gp'
set title 'Pause-time distribution (churn)'
set xlabel 'pause (ms)'
set ylabel 'fraction of collections with pause <= x'
set logscale x
set yrange [0:1.02]
set key bottom right
plot for [i=1:words(names)] data index (i-1) using 1:2 \
     with steps lw 2 lc rgb color(word(names,i)) title word(names,i)
