# memory.gp -- bytes allocated per collector against time or against
# objects allocated: `none` climbs (the leak), collectors stay flat.
# Variables: data (blocks: seconds MiB millions_allocated), names, label,
# against ('time' or 'allocations').
load dir.'/common.gp'
set title 'Memory: '.label.(against eq 'time' ? ', against time' : ', against allocations') noenhanced
set xlabel against eq 'time' ? 'time since the run started (s)' : 'objects allocated (millions)'
set ylabel 'allocated (MiB, jemalloc, this thread)'
set yrange [0:*]
col = against eq 'time' ? 1 : 3
plot for [i=1:words(names)] data index (i-1) using col:2 \
     with lines lw 2 lc rgb color(word(names,i)) title word(names,i)
