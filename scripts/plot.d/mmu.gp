# mmu.gp -- minimum mutator utilisation vs window size on churn: the worst
# fraction of any window of that length left to the mutator.  Variables:
# data (blocks: window_ms mmu), names.
load dir.'/common.gp'
set title 'Minimum mutator utilisation (churn)'
set xlabel 'window (ms)'
set ylabel 'minimum mutator utilisation (higher is better)'
set logscale x
set xrange [1:1000]
set yrange [0:1.02]
set key noenhanced
n = words(names)
plot for [i=1:n] data index (i-1) using 1:2 \
     with linespoints lw width(i, n) dt dash(i) pt ptype(i) ps 0.9 \
     lc rgb colour(i) title word(names,i)
