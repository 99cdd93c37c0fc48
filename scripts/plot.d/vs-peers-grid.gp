# vs-peers-grid.gp -- ns per vertex of one full collection on each cell of
# the shapes grid: trial beside PHP's and Nim ORC's cycle collectors, with
# generational and the floor for scale; horizontal bars (median) with
# min-max whiskers, log x, one group of bars per cell, the first at the
# top.  Series named NAME:all are the protocol "every vertex buffered
# once" (light fill); the others the workload's own roots.  Variables:
# data (rows: label, then median min max per name in `names`), names,
# nplain, groups (rows of data), xmin (the x axis' start, a power of
# ten), height (pixels), absent (a note, or '').
load dir.'/common.gp'
if (term eq 'svg') {
  set terminal svg size 1000,height dynamic font 'sans,11' background '#ffffff'
} else {
  set terminal pngcairo size 1000,height font 'sans,10' background '#ffffff'
}
set output out
set title "Shapes grid, full cycle collection, ns per vertex: trial beside PHP, Nim ORC".\
          (absent eq '' ? '' : ' ('.absent.')') noenhanced
set xlabel 'ns per vertex, log scale (lower is better); light bars: every vertex buffered'
set logscale x
set xrange [xmin + 0:*]
set grid noytics nomytics
# the first row at the top; its label at the group's centre (ytic)
set yrange [groups - 0.5:-0.5]
set ytics nomirror scale 0 font ',9' noenhanced
set key outside right top vertical noenhanced
set errorbars small
n = words(names)
h = 0.9 / n                  # one bar's share of a group
off(i) = (i - (n + 1) / 2.0) * h
# names lists the plain series first, then the :all ones (a lighter fill,
# the colour of the plain one); nplain counts the plain ones
plot data using (NaN):($0):ytic(1) notitle, \
     for [i=1:n] data \
       using (column(3*i-1)):($0 + off(i)):(xmin + 0):(column(3*i-1)):($0 + off(i) - 0.42*h):($0 + off(i) + 0.42*h) \
       with boxxyerror fs solid (i > nplain ? 0.3 : 0.85) border lc rgb colour(i) \
       lc rgb colour(i) title word(names,i), \
     for [i=1:n] data using (column(3*i-1)):($0 + off(i)):(column(3*i)):(column(3*i+1)) \
       with xerrorbars pt 7 ps 0 lw 1 lc rgb '#333333' notitle
