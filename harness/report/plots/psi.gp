# psi.gp - memory pressure (PSI): the share of each sampling interval in which some
# task / all non-idle tasks waited for memory, from the growth of the totals; the
# kernel's own avg10 thin. Variables: psi_scope.
set title "memory pressure (PSI, " . psi_scope . ")" noenhanced
set ylabel "% of time stalled" noenhanced
set xlabel (panel == npanels - 1 ? "seconds since the run started" : "") noenhanced
set yrange [0:*]
plot $tl using "t":"psi_some" with steps lc rgb "#e08214" lw 2 title "some" noenhanced, \
     $tl using "t":"psi_full" with steps lc rgb "#b2182b" lw 2 title "full" noenhanced, \
     $tl using "t":"psi_some10" with lines lc rgb "#e08214" dt 3 lw 1 title "some avg10" noenhanced, \
     $tl using "t":"psi_full10" with lines lc rgb "#b2182b" dt 3 lw 1 title "full avg10" noenhanced \
     @markers_key
set yrange [*:*]
@after_panel
