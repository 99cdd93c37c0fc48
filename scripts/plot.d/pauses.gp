# pauses.gp -- cumulative distribution of pause times on churn, per
# collector with pauses.  Variables: data (blocks: pause_ms fraction),
# names, titles (one quoted legend entry per name: p99, p99.9, count).
load dir.'/common.gp'
set title 'Pause-time distribution (churn)'
set xlabel 'pause (ms, log scale)'
set ylabel 'fraction of pauses <= x'
set logscale x
set yrange [0:1.02]
set key inside bottom right noenhanced
plot for [i=1:words(names)] data index (i-1) using 1:2 \
     with steps lw 2 lc rgb color(word(names,i)) title word(titles,i)
