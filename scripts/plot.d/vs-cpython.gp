# vs-cpython.gp -- ns per vertex of a full collection on each shape, every
# gcbench collector beside CPython's own gc (scripts/peer-cpython) and the
# floor (one bare pass), log y.  Variables: data (rows: shape, then one
# column per name in `names`), names.
load dir.'/common.gp'
set title "Full collection, ns per vertex: gcbench's collectors beside CPython's gc"
set ylabel 'ns per vertex (log scale; lower is better)'
set xlabel 'shape and vertices (the largest size both measured)'
set logscale y
set yrange [1:30000]
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set xtics noenhanced font ',9' rotate by -25
set key noenhanced
plot for [i=1:words(names)] data using (column(i+1)):xtic(1) \
     lc rgb colour(i) title word(names,i)
