# tradeoff.gp -- pause p99 against peak unreclaimed garbage, one panel per
# workload, one point per collector (or collector + tunables), log-log.
# Variables: data (one block per workload, in the order of `workloads`;
# rows: p99_ms unreclaimed_max collector "label"), names (collectors, for
# colours), workloads.
load dir.'/common.gp'
set logscale xy
set format x '10^{%L}'
set format y '10^{%L}'
set xtics 100
set key off
set grid
set offsets graph 0.15, graph 0.15, graph 0.15, graph 0.15
nw = words(workloads)
set multiplot layout 1, nw title 'Pauses vs unreclaimed garbage (lower left is better)'
do for [k=1:nw] {
  set title word(workloads, k)
  set xlabel 'pause p99 (ms)'
  if (k == 1) { set ylabel 'peak unreclaimed (objects)' } else { unset ylabel }
  plot for [i=1:words(names)] data index (k-1) \
         using ((strcol(3) eq word(names,i)) ? $1 : NaN):2 \
         with points pt 7 ps 1.4 lc rgb color(word(names,i)), \
       data index (k-1) using 1:2:4 with labels offset 0,0.9 font ',7' noenhanced
}
unset multiplot
