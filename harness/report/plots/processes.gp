# processes.gp - the largest processes' resident memory (solid) and swap (dashed).
# $procs has t, then per process rss and swap in bytes; variables nproc, proc_name[],
# proc_scope (processes.csv, or the workloads' columns of samples.csv).
set title "largest processes (" . proc_scope . ")" noenhanced
set ylabel "MiB" noenhanced
set xlabel (panel == npanels - 1 ? "seconds since the run started" : "") noenhanced
plot for [i=1:nproc] $procs using 1:(column(2*i)/MiB) with lines lc i lw 2 title proc_name[i] . " RSS" noenhanced, \
     for [i=1:nproc] $procs using 1:(column(2*i+1)/MiB) with lines lc i dt 2 lw 1.5 title proc_name[i] . " swap" noenhanced \
     @markers_key
@after_panel
