# programs.gp -- real Python programs replayed (scripts/bench-programs):
# pause p99 and total time per collector, one cluster per program.
# Variables: data (two blocks, index 0 the p99 pause in ms, index 1 the
# total time in s; rows: program, then one column per name in the order of
# `names`, NaN where a name has no figure), names (collectors and profiles,
# then `cpython`, last: CPython's own p99 time per collection, from the
# capture, in the pause panel only).
height = 600
load dir.'/common.gp'
# the profiles common.gp leaves to its default colour, told apart here
pcolor(name) = name eq 'cpython-3.14' ? '#ffbb78' : \
               name eq 'cpython-3.14.5' ? '#98df8a' : color(name)
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key outside below center horizontal maxcols 6 noenhanced font ',9' samplen 1.5
set multiplot layout 1, 2 title 'Real programs replayed: pauses and total time per collector'
set title 'pause p99 (CPython: its own, captured)'
set ylabel 'ms (log scale; lower is better)'
set logscale y
plot for [i=1:words(names)] data index 0 using (column(i+1)):xtic(1) \
     lc rgb pcolor(word(names,i)) title word(names,i)
set title 'total time of the replay'
set ylabel 's (lower is better)'
unset logscale y
set yrange [0:*]
plot for [i=1:words(names)-1] data index 1 using (column(i+1)):xtic(1) \
     lc rgb pcolor(word(names,i)) title word(names,i)
unset multiplot
