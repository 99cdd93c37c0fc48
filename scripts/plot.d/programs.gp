# programs.gp -- real Python programs replayed (scripts/bench-programs):
# pause p99 and total time per collector, one cluster per program.
# Variables: data (two blocks: index 0 the p99 pause in ms, one column per
# name of `pnames` -- the collectors and profiles but none, then `cpython`,
# CPython's own p99 time per collection from the capture; index 1 the
# total time relative to the fastest collector on that program, one column
# per name of `tnames`; rows: program, then the columns, NaN where a name
# has no figure), pnames, tnames, and their colours pcolors, tcolors.
height = 600
load dir.'/common.gp'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key outside below center horizontal maxcols 6 noenhanced font ',9' samplen 1.5
set multiplot layout 1, 2 title 'Real programs replayed: pauses and total time per collector'
set title 'pause p99 (CPython: its own, captured)'
set ylabel 'ms (log scale; lower is better)'
set logscale y
plot for [i=1:words(pnames)] data index 0 using (column(i+1)):xtic(1) \
     lc rgb word(pcolors, i) title word(pnames,i)
set title 'total time, relative to the fastest'
set ylabel 'time / fastest (log scale; lower is better)'
set yrange [0.8:*]
plot for [i=1:words(tnames)] data index 1 using (column(i+1)):xtic(1) \
     lc rgb word(tcolors, i) title word(tnames,i)
unset multiplot
