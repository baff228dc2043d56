# reclaim.gp - reclaim rates: pages scanned (solid) and reclaimed (stolen, dashed) per
# second by kswapd, by direct reclaim and at cgroup limits (all scans, pgscan_anon +
# pgscan_file, less the per-reclaimer ones: reclaim a cgroup does for itself at its
# memory.max or above memory.high is counted only there; docs/recorder.md). Machine-wide
# (/proc/vmstat). Variables: has_limit_reclaim.
set title "reclaim (machine-wide /proc/vmstat)" noenhanced
set ylabel "pages/s" noenhanced
set format y "%.1s%c"
set xlabel (panel == npanels - 1 ? "seconds since the run started" : "") noenhanced
lr = ""
if (has_limit_reclaim) {
	lr = ", $tl using \"t\":\"limit_scan\" with lines lc rgb \"#7b3294\" lw 2 title \"limit scan\" noenhanced, $tl using \"t\":\"limit_steal\" with lines lc rgb \"#7b3294\" dt 2 lw 1.5 title \"limit steal\" noenhanced"
}
plot $tl using "t":"kswapd_scan" with lines lc rgb "#e66101" lw 2 title "kswapd scan" noenhanced, \
     $tl using "t":"kswapd_steal" with lines lc rgb "#e66101" dt 2 lw 1.5 title "kswapd steal" noenhanced, \
     $tl using "t":"direct_scan" with lines lc rgb "#0571b0" lw 2 title "direct scan" noenhanced, \
     $tl using "t":"direct_steal" with lines lc rgb "#0571b0" dt 2 lw 1.5 title "direct steal" noenhanced \
     @lr @markers_key
@after_panel
set format y "%.4g"
