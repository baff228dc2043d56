# sweep.gp - one metric against the swept key: the mean over a variant's repeats with
# error bars of one standard deviation (none with a single repeat), one line per
# combination of the other swept keys and kernels. mph defines fmt, name, width, height,
# title, xname (the swept key), yname (metric and unit), xcat (1: the values are not
# numbers and are shown as written), nseries, series_name[]; $sw has x, label, and per
# series mean, sd, n.
if (fmt eq "png") {
	set terminal pngcairo size width,height font "sans,9" background "white"
} else {
	set terminal svg size width,height font "sans,11" name name background "white"
}
set datafile columnheaders
set datafile missing "NaN"
set title title noenhanced
set xlabel xname noenhanced
set ylabel yname noenhanced
set grid lc rgb "#dddddd"
set border 3
set tics nomirror out
set key outside right top vertical Left reverse samplen 2
set offsets graph 0.05, graph 0.05, graph 0.1, graph 0.05
xt = xcat ? ":xtic(2)" : ""
plot for [i=1:nseries] $sw using 1:(column(3*i)):(column(3*i+1))@xt with yerrorlines lc i lw 2 pt 7 ps 0.8 title series_name[i] noenhanced
unset output
