# vs-peers.gp -- ns per vertex of one full collection on each shape: every
# gcbench collector beside CPython's, PHP's and Nim ORC's cycle collectors,
# median bars and min-max whiskers, log y.  Series named NAME:all are the
# protocol "every vertex buffered once" (light fill); the others the
# workload's own roots.  Variables: data (rows: shape, then median min max
# per name in `names`), names, nplain, absent (a note, or '').
load dir.'/common.gp'
if (term eq 'svg') {
  set terminal svg size 1000,520 dynamic font 'sans,11' background '#ffffff'
} else {
  set terminal pngcairo size 1000,520 font 'sans,10' background '#ffffff'
}
set output out
set title "Full cycle collection, ns per vertex: gcbench beside CPython, PHP, Nim ORC".\
          (absent eq '' ? '' : ' ('.absent.')') noenhanced
set ylabel 'ns per vertex (log scale; lower is better)'
set xlabel 'shape and vertices (plain: workload roots buffered; light: every vertex)'
set logscale y
set yrange [0.5:*]
set style data histograms
set style histogram errorbars gap 1 lw 1
set boxwidth 0.9
set xtics noenhanced font ',9'
set key outside right top vertical noenhanced
# names lists the plain series first, then the :all ones (a lighter fill,
# the colour of the plain one); nplain counts the plain ones
plot for [i=1:words(names)] data \
       using (column(3*i-1)):(column(3*i)):(column(3*i+1)):xtic(1) \
       fs solid (i > nplain ? 0.3 : 0.85) border lc rgb colour(i) \
       lc rgb colour(i) title word(names,i)
