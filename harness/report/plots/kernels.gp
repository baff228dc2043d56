# kernels.gp - one metric across kernels: per kernel, each variant's mean over its
# repeats with error bars of one standard deviation, the variants side by side. mph
# defines fmt, name, width, height, title, yname, nseries, series_name[]; $kn has x
# (the kernel's index), label (its release), and per series mean, sd, n.
if (fmt eq "png") {
	set terminal pngcairo size width,height font "sans,9" background "white"
} else {
	set terminal svg size width,height font "sans,11" name name background "white"
}
set datafile columnheaders
set datafile missing "NaN"
set title title noenhanced
set xlabel "kernel" noenhanced
set ylabel yname noenhanced
set grid ytics lc rgb "#dddddd"
set border 3
set tics nomirror out
set key outside right top vertical Left reverse samplen 2
set offsets graph 0.1, graph 0.1, graph 0.1, graph 0.05
set style fill solid 0.6 noborder
w = 0.6 / nseries
plot for [i=1:nseries] $kn using ($1 + (i - (nseries + 1) / 2.0) * w):(column(3*i)):(column(3*i+1)):xtic(2) with yerrorbars lc i lw 2 pt 7 ps 1 title series_name[i] noenhanced
unset output
