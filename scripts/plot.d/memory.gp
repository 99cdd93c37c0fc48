# memory.gp -- bytes allocated per collector against time or against
# objects allocated: `none` climbs (the leak), collectors stay flat.
# Variables: data (blocks: seconds MiB millions_allocated), names, titles
# (one quoted legend entry per name: the allocator and the peak),
# label, against ('time' or 'allocations'), ylabel and ylabel2 (its two
# lines), pis (one point interval per name: about ten markers a line,
# never at the same rows as the next line's).
load dir.'/common.gp'
set title 'Memory: '.label.(against eq 'time' ? ', against time' : ', against allocations') noenhanced
set xlabel against eq 'time' ? 'time since the run started (s)' : 'objects allocated (millions)'
set ylabel ylabel."\n".ylabel2 noenhanced
set yrange [0:*]
col = against eq 'time' ? 1 : 3
# the legend outside, under the x axis and its label
set key outside below center horizontal maxrows 3 noenhanced
set key at screen 0.5, screen 0.01 center bottom
set bmargin 8
n = words(names)
plot for [i=1:n] data index (i-1) using col:2 \
     with linespoints lw width(i, n) dt dash(i) pt ptype(i) ps 0.9 \
     pi word(pis, i) + 0 lc rgb colour(i) title word(titles, i)
