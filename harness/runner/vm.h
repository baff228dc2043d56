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

struct scenario;
struct scen_text;
struct diags;
struct kernel;
struct vm_ctx;   /* what the guests of one plan share */
struct vm_guest; /* one guest run */

/* Validate settings for a guest: [machine] decides the cgroup version and the NUMA
 * nodes workload options may name. 0, or -EINVAL with the problems in d. */
int vm_validate(const struct scen_text *tx, struct scenario *sc, struct diags *d);

struct vm_ctx *vm_begin(const struct run_opts *o);   /* removes guests whose mph died */
/* Remove the directories (images, swap and scratch disks) of guests whose mph died,
 * in cache_dir/guests (NULL: $MPH_CACHE_DIR or /var/cache/mph): those nobody holds
 * locked. How many. */
size_t vm_rm_stale(const char *cache_dir);
void vm_end(struct vm_ctx *vc);                      /* accepts NULL */
/* How many guests of sc may run at once (--jobs, capped by cores and guests). */
size_t vm_at_once(const struct run_opts *o, const struct scenario *sc, size_t nguests);
/* Checks of this host for guests of sc, at_once at a time; nothing is changed.
 * 0, or -EINVAL with what is missing in d. */
int vm_preflight(struct vm_ctx *vc, const struct scenario *sc, size_t at_once, struct diags *d);

/* Boot kernel k on the scenario file ini (one variant, no lists), repeat rep, with
 * dir (empty) as the guest's run directory. Never NULL: a guest that could not start
 * is judged by its first vm_guest_poll. sc must outlive the guest. */
struct vm_guest *vm_guest_start(struct vm_ctx *vc, const struct scenario *sc, const char *ini, const struct kernel *k,
				unsigned rep, const char *dir);
/* qemu's pidfd (readable when it exits), -1 when it is not running. */
int vm_guest_pidfd(const struct vm_guest *g);
/* When the guest must be judged a hang: the boot deadline until /init's boot marker
 * shows on the console, the run's own after it. */
uint64_t vm_guest_deadline(struct vm_guest *g, uint64_t now);
/* -1 while it runs. Else it ended (or was killed: at its deadline, or interrupted):
 * run.json is complete, the guest freed, and its exit code returned. */
int vm_guest_poll(struct vm_guest *g, uint64_t now, bool interrupted);

#endif
