# refaults.gp - workingset refaults (pages reclaimed and soon needed again: the cost
# of reclaiming the wrong pages) and swap traffic, per second. Variables: refault_scope.
set title "refaults (" . refault_scope . ") and swap I/O (machine-wide)" noenhanced
set ylabel "pages/s" noenhanced
set format y "%.1s%c"
set xlabel (panel == npanels - 1 ? "seconds since the run started" : "") noenhanced
plot $tl using "t":"refault_anon" with lines lc rgb "#d6604d" lw 2 title "refault anon" noenhanced, \
     $tl using "t":"refault_file" with lines lc rgb "#4393c3" lw 2 title "refault file" noenhanced, \
     $tl using "t":"swapout" with lines lc rgb "#1b7837" dt 2 lw 1.5 title "swap out" noenhanced, \
     $tl using "t":"swapin" with lines lc rgb "#762a83" dt 2 lw 1.5 title "swap in" noenhanced \
     @markers_key
@after_panel
set format y "%.4g"
