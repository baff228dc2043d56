/* vm.h - the VM target: a scenario run inside a qemu guest booting a stock Debian kernel
 * (cgroup v2, several NUMA nodes, swap devices, other kernels, global pressure that
 * cannot hurt the host). The host builds an initramfs (busybox, mph and the workloads
 * linked statically, the kernel modules the run needs, /init), boots it under TCG with
 * the run directory shared over 9p, and the guest runs the same `mph run` into it.
 *
 * A guest run counts only when qemu exited 0 AND the serial console carries /init's
 * completion marker AND run.json is there: a panic, a hang (the timeout), a setup
 * failure or a missing result is an error naming the cause; serial.log stays in the
 * run directory. */
#ifndef MPH_VM_H
#define MPH_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runner.h"

/* How a guest run ended, from qemu's wait status and the serial log. */
enum vm_result {
	VM_OK,          /* marker seen, qemu exited 0: the guest's mph exit code is in rc */
	VM_PANIC,       /* "Kernel panic" on the console */
	VM_HANG,        /* no end within the timeout: qemu was killed */
	VM_SETUP,       /* /init failed before the scenario (MPH-GUEST-FAIL) */
	VM_NO_MARKER,   /* qemu ended without the marker and without a panic message */
	VM_QEMU,        /* qemu itself failed (bad option, missing firmware...) */
	VM_NOT_STARTED, /* the guest could not be prepared or qemu not started */
	VM_INTERRUPTED, /* mph was interrupted (SIGINT/SIGTERM/SIGHUP): qemu was killed */
};

const char *vm_result_name(enum vm_result r);

/* Classify a finished guest. status: waitpid status of qemu (ignored when timed_out).
 * serial: the console log (may be NULL). Sets *rc to the guest mph's exit code for
 * VM_OK, and *why to a malloc'd one-line explanation for every other result. */
enum vm_result vm_classify(int status, bool timed_out, const char *serial, int *rc, char **why);

/* `mph doctor`'s lines about the VM target: qemu, busybox, the static guest build,
 * the kernels 6.1 and 6.12 (cached, or what would be downloaded). Reads only. */
void vm_doctor(const char *cache_dir);

/* Run a scenario on the guests --kernel names (or its [machine] kernel), and on the
 * host for `--kernel host`. Returns an mph exit code. */
int vm_main(const struct run_opts *o, const char *scenario);

#endif
