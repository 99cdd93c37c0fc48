# pauses.gp -- cumulative distribution of pause times on churn, per
# collector with pauses.  Variables: data (blocks: pause_ms fraction),
# names, titles (one quoted legend entry per name: p99, p99.9, count).
load dir.'/common.gp'
set title 'Pause-time distribution (churn)'
set xlabel 'pause (ms, log scale)'
set ylabel 'fraction of pauses <= x'
set logscale x
set yrange [0:1.02]
# the legend outside, under the x axis and its label
set key outside below center horizontal maxrows 3 noenhanced
set key at screen 0.5, screen 0.01 center bottom
set bmargin 8
n = words(names)
plot for [i=1:n] data index (i-1) using 1:2 \
     with steps lw width(i, n) dt dash(i) lc rgb colour(i) title word(titles,i)
