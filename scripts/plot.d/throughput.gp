# throughput.gp -- total time per workload per collector, normalised to the
# fastest collector on that workload (1 = fastest).  Variables: data (rows:
# workload, then one column per collector in the order of `names`), names.
load dir.'/common.gp'
set title 'Time per workload, relative to the fastest collector'
set ylabel 'time / fastest (log scale; lower is better)'
set xlabel 'workload (whole run, largest size)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set yrange [0.8:*]
set xtics rotate by -20
set key noenhanced
plot for [i=1:words(names)] data using (column(i+1)):xtic(1) \
     lc rgb colour(i) title word(names,i)
