# memory.gp - memory composition over time, stacked: anon, file (page cache without
# shmem), shmem, and what is left up to the limit (free); swap beside it as a line, the
# limits dashed. $tl holds the stack's cumulative tops in bytes (mph computes them
# from samples.csv: a component not measured leaves its row out). Variables: scope
# ("the run cgroup" or "the machine (meminfo)"), has_max, has_high, limit_name.
set title "memory of " . scope noenhanced
set ylabel "MiB" noenhanced
set xlabel (panel == npanels - 1 ? "seconds since the run started" : "") noenhanced
set style fill solid 0.75 noborder
lim = ""
if (has_max) { lim = lim . ", $tl using \"t\":(column(\"max\")/MiB) with lines lc rgb \"#000000\" dt 2 lw 1.5 title limit_name noenhanced" }
if (has_high) { lim = lim . ", $tl using \"t\":(column(\"high\")/MiB) with lines lc rgb \"#e08214\" dt 4 lw 1.5 title \"memory.high\" noenhanced" }
plot $tl using "t":(0):(column("anon_top")/MiB) with filledcurves lc rgb "#d6604d" title "anon" noenhanced, \
     $tl using "t":(column("anon_top")/MiB):(column("file_top")/MiB) with filledcurves lc rgb "#4393c3" title "file" noenhanced, \
     $tl using "t":(column("file_top")/MiB):(column("shmem_top")/MiB) with filledcurves lc rgb "#9970ab" title "shmem" noenhanced, \
     $tl using "t":(column("shmem_top")/MiB):(column("free_top")/MiB) with filledcurves lc rgb "#e0e0e0" title "free" noenhanced, \
     $tl using "t":(column("swap")/MiB) with lines lc rgb "#1b7837" lw 2.5 title "swap" noenhanced \
     @lim @markers_key
@after_panel
