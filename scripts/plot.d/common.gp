# common.gp -- shared by every figure: terminal, fonts, grid, and one colour
# per collector, the same in every figure.
# Variables from the caller: term ('png' or 'svg'), out (file name), and
# optionally height (pixels, default 500).
if (!exists('height')) height = 500
if (term eq 'svg') {
  set terminal svg size 800,height dynamic font 'sans,11' background '#ffffff'
} else {
  set terminal pngcairo size 800,height font 'sans,10' background '#ffffff'
}
set output out
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set key outside right top box opaque
set border lw 1
color(name) = name eq 'none' ? '#7f7f7f' : \
              name eq 'naive' ? '#d62728' : \
              name eq 'trial' ? '#1f77b4' : \
              name eq 'generational' ? '#2ca02c' : \
              name eq 'floor' ? '#000000' : \
              name eq 'floor-free' ? '#555555' : \
              name eq 'cpython' ? '#9467bd' : \
              name eq 'incremental' ? '#ff7f0e' : \
              name eq 'heapwalk' ? '#006d5b' : \
              name eq 'cpython-3.14t' ? '#4daf4a' : \
              name eq 'cpython-3.15t' ? '#006d5b' : \
              name eq 'php' ? '#8c564b' : \
              name eq 'php-8' ? '#17becf' : \
              name eq 'nim-orc' ? '#e377c2' : \
              name eq 'cpython-3.13' ? '#bcbd22' : '#ff7f0e'
