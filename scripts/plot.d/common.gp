# common.gp -- shared by every figure: terminal, fonts, grid, the legend
# outside the data, and each series' style.
# Variables from the caller: term ('png' or 'svg'), out (file name),
# colors (one '#rrggbb' per series: scripts/plot gives every collector and
# profile its own, from its position in the registry, the same in every
# figure), and optionally height (pixels, default 500).
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
# series i of n: its colour, and a dash type, a width and a point type
# by position, so that a line drawn over another still shows (the first
# drawn is the widest)
set dashtype 11 solid
set dashtype 12 (16,6)
set dashtype 13 (5,4)
set dashtype 14 (16,5,3,5)
set dashtype 15 (2,3)
colour(i) = word(colors, i)
dash(i) = 11 + (i - 1) % 5
width(i, n) = n > 1 ? 1.2 + 1.8 * (n - i) / (n - 1) : 2
ptype(i) = word('7 5 9 11 13 4 6 8 10 12', (i - 1) % 10 + 1) + 0
