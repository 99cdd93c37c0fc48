# tradeoff.gp -- pause p99 against peak unreclaimed garbage, one panel per
# workload, one point per collector (or collector:tunables), log-log, and
# a legend panel: colour the collector, symbol the setting.
# Variables: data (one block per workload, in the order of `workloads`;
# rows: p99_ms unreclaimed_max collector "label"), labels (collector or
# collector:tunables, no spaces), colors (one per label: its collector's),
# workloads.
load dir.'/common.gp'
set logscale xy
set format x '10^{%L}'
set format y '10^{%L}'
set key off
set grid
set offsets graph 0.1, graph 0.1, graph 0.1, graph 0.1
sym(i) = 5 + 2 * ((i - 1) % 4) + ((i - 1) / 4 % 2)
nw = words(workloads)
nl = words(labels)
set multiplot layout 1, nw + 1 title 'Pauses vs unreclaimed garbage (lower left is better)'
do for [k=1:nw] {
  set title word(workloads, k)
  set xlabel 'pause p99 (ms)'
  if (k == 1) { set ylabel 'peak unreclaimed (objects)' } else { unset ylabel }
  plot for [i=1:nl] data index (k-1) \
         using ((strcol(4) eq word(labels,i)) ? $1 : NaN):2 \
         with points pt sym(i) ps 1.4 lc rgb colour(i)
}
# the legend panel
unset title
unset xlabel
unset ylabel
unset border
unset tics
unset grid
unset logscale
set xrange [0:1]
set yrange [0:1]
set key center center vertical Left reverse noenhanced font ',8' samplen 1 nobox
plot for [i=1:nl] NaN with points pt sym(i) ps 1.4 lc rgb colour(i) \
       title word(labels,i)
unset multiplot
