/* assets.S - the gnuplot templates (one per plot) and the report's style sheet,
 * assembled into mph from harness/report/plots/ (as runner/guest_init.S does with the
 * guest's /init): each stays a file in its own language, editable and runnable with
 * gnuplot itself, and the binary alone can plot. Each is NUL-terminated; its length
 * leaves the NUL out. The list of names is in assets.c. */
#define ASSET(sym, file)          \
	.global sym;              \
	.global sym##_len;        \
	.type sym, @object;       \
sym:                              \
	.incbin file;             \
sym##_end:                        \
	.byte 0;                  \
	.balign 4;                \
	.type sym##_len, @object; \
sym##_len:                        \
	.int sym##_end - sym

	.section .rodata
ASSET(mph_gp_head, "harness/report/plots/head.gp")
ASSET(mph_gp_memory, "harness/report/plots/memory.gp")
ASSET(mph_gp_reclaim, "harness/report/plots/reclaim.gp")
ASSET(mph_gp_psi, "harness/report/plots/psi.gp")
ASSET(mph_gp_refaults, "harness/report/plots/refaults.gp")
ASSET(mph_gp_processes, "harness/report/plots/processes.gp")
ASSET(mph_gp_tail, "harness/report/plots/tail.gp")
ASSET(mph_gp_sweep, "harness/report/plots/sweep.gp")
ASSET(mph_gp_kernels, "harness/report/plots/kernels.gp")
ASSET(mph_report_css, "harness/report/plots/report.css")
	.section .note.GNU-stack,"",@progbits
