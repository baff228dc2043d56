# head.gp - what every timeline panel shares: the terminal, the layout, the markers.
# mph defines before it: fmt ("svg" or "png"), name (prefix of the SVG's ids), width,
# height, title, npanels, tmax, and the markers nmk, mk_t[], mk_kind[] (1 OOM kill,
# 2 workload phase, 3 timed action), mk_label[]; the data follow as datablocks.
if (fmt eq "png") {
	set terminal pngcairo size width,height font "sans,9" background "white"
} else {
	set terminal svg size width,height font "sans,11" name name background "white"
}
set datafile columnheaders
set datafile missing "NaN"
MiB = 1048576.0
mk_color(k) = k == 1 ? "#b2182b" : k == 2 ? "#2166ac" : "#1b7837"
mk_what(k) = k == 1 ? "OOM kill" : k == 2 ? "workload phase" : "timed action"
mk_has(k) = sum [i=1:nmk] (mk_kind[i] == k ? 1 : 0)
set grid ytics lc rgb "#dddddd"
set border 3
set tics nomirror out
set key outside right top vertical Left reverse noautotitle samplen 2 width 1
set lmargin 12
set rmargin 26
set xrange [0:tmax]
set format y "%.4g"
do for [i=1:nmk] {
	set arrow i from mk_t[i], graph 0 to mk_t[i], graph 1 nohead lc rgb mk_color(mk_kind[i]) dt 2 lw 1.5 front
	set label i mk_label[i] at mk_t[i], graph 0.98 right rotate by 90 offset -0.6,0 front noenhanced font ",8" tc rgb mk_color(mk_kind[i])
}
# each marker kind once in the first panel's key
markers_key = ""
do for [k=1:3] {
	if (mk_has(k) > 0) {
		markers_key = markers_key . sprintf(", keyentry with lines lc rgb \"%s\" dt 2 lw 1.5 title \"%s\" noenhanced", mk_color(k), mk_what(k))
	}
}
if (npanels > 1) {
	set multiplot layout npanels,1 title title noenhanced font ",12"
	panel = 0
} else {
	panel = 0
}
# after_panel: called by each panel's template; labels stay on the first panel only
after_panel = "panel = panel + 1; unset label; markers_key = \"\""
