/* vm.c - see vm.h. */
#define _GNU_SOURCE
#include "vm.h"
#include "initramfs.h"
#include "kernel.h"
#include "../core/probe.h"
#include "../core/units.h"
#include "../core/util.h"
#include "../host/result.h"
#include "../host/supervise.h"
#include "../report/report.h"
#include "../scenario/scenario.h"
#include "../../workloads/workload.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/statfs.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* /init, assembled in from harness/guest-init.sh (guest_init.S) */
extern const char mph_guest_init[];
extern const unsigned int mph_guest_init_len;

#define QEMU "qemu-system-x86_64"
#define BUSYBOX "/bin/busybox"
#define SETUP_ALLOWANCE_MS (60ULL * 1000) /* the guest mph's own setup and teardown around the run */
#define BOOT_MARKER "MPH-GUEST-BOOTED"
#define QEMU_OVERHEAD (320ULL << 20)      /* qemu's own memory beside the guest's (vm.md: about 250 MB) */
#define MAX_JOBS 8
/* <cache>/guests/<pid>-XXXXXX: a guest's image, modules, swap disk and logs while it
 * runs, locked (flock on its "lock" file) by the mph that made it. On the cache's
 * file system, not /tmp: a swap disk there must not be RAM (tmpfs). */
#define GUESTS_DIR "guests"

static const char *const result_names[] = {
	[VM_OK] = "ok", [VM_PANIC] = "panic", [VM_HANG] = "hang",
	[VM_SETUP] = "setup-failed", [VM_NO_MARKER] = "no-marker", [VM_QEMU] = "qemu-failed",
	[VM_NOT_STARTED] = "not-started", [VM_INTERRUPTED] = "interrupted",
};

const char *vm_result_name(enum vm_result r)
{
	return result_names[r];
}

/* The line of text that starts at the first occurrence of needle, malloc'd. */
static char *line_at(const char *text, const char *needle)
{
	const char *p = strstr(text, needle);
	if (!p)
		return NULL;
	size_t n = strcspn(p, "\r\n");
	return strndup(p, n);
}

/* The last line that starts with prefix (what /init prints is a line of its own;
 * anything else on the console, a workload's stderr or the kernel's, could contain
 * the same words mid-line or earlier). */
static const char *last_line_with(const char *log, const char *prefix)
{
	const char *found = NULL;
	size_t n = strlen(prefix);
	for (const char *p = log; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, prefix, n) == 0)
			found = p;
	return found;
}

enum vm_result vm_classify(int status, bool timed_out, const char *serial, int *rc, char **why)
{
	const char *log = serial ? serial : "";
	char *panic = line_at(log, "Kernel panic - not syncing");
	const char *fail = last_line_with(log, "MPH-GUEST-FAIL: ");
	const char *done = last_line_with(log, "MPH-GUEST-DONE rc=");
	long code = -1;
	if (done) { /* "MPH-GUEST-DONE rc=N" and the line ends: anything else is not /init's */
		char *end;
		const char *num = done + strlen("MPH-GUEST-DONE rc=");
		errno = 0;
		code = isdigit((unsigned char)*num) ? strtol(num, &end, 10) : -1;
		if (code < 0 || code > 255 || errno || (*end && *end != '\n' && *end != '\r'))
			done = NULL;
	}
	enum vm_result res;
	*why = NULL;
	/* a panic is named even when it came after a timeout or a marker (panic=-1 makes
	 * qemu exit 0: the exit status alone would hide it) */
	if (panic) {
		res = VM_PANIC;
		*why = xasprintf("the guest kernel panicked: %s", panic);
	} else if (timed_out) {
		res = VM_HANG;
		*why = xstrdup(done ? "qemu did not exit after the guest finished: killed at the timeout"
			       : !strstr(log, BOOT_MARKER)
				       ? "the guest did not boot within the boot timeout (hang): qemu was killed"
				       : "the guest did not finish within the timeout (hang): qemu was killed");
	} else if (fail) {
		res = VM_SETUP;
		*why = xasprintf("the guest's setup failed: %.*s", (int)strcspn(fail + 16, "\r\n"), fail + 16);
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		res = VM_QEMU;
		*why = WIFEXITED(status) ? xasprintf("qemu exited with status %d (see qemu.log)", WEXITSTATUS(status))
					 : xasprintf("qemu was killed by signal %d", WTERMSIG(status));
	} else if (!done) {
		res = VM_NO_MARKER;
		*why = xstrdup("the guest powered off without its completion marker (init died or the console was cut)");
	} else {
		res = VM_OK;
		*rc = (int)code;
	}
	free(panic);
	return res;
}

/* ---- the guest's pieces ---------------------------------------------------- */

/* Static builds of mph and the workloads: $MPH_GUEST_DIR, else <dir of mph>/build/guest. */
static char *guest_dir(void)
{
	return path_beside_self("MPH_GUEST_DIR", "build/guest");
}

static bool in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char *copy = xstrdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"), *save = NULL;
	bool found = false;
	for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char *p = xasprintf("%s/%s", d, prog);
		found = access(p, X_OK) == 0;
		free(p);
	}
	free(copy);
	return found;
}

/* The machine shape a guest run asks for, from [machine]. */
struct shape {
	uint64_t memory;
	unsigned cpus;
	uint64_t numa[MACHINE_MAX_NODES];
	size_t nnuma;
	enum machine_swap swap;
	uint64_t swap_size;
	uint64_t disk;            /* the scratch disk (ext4 at /var/tmp); 0: none */
	bool v1;
	uint64_t timeout_ms;      /* from the boot marker on */
	uint64_t boot_timeout_ms; /* from qemu's start to the boot marker */
};

static void shape_from(struct shape *s, const struct scenario *sc)
{
	memset(s, 0, sizeof(*s));
	s->memory = sc->m.machine_memory;
	s->cpus = (unsigned)sc->m.machine_cpus;
	memcpy(s->numa, sc->numa, sizeof(s->numa));
	s->nnuma = sc->nnuma;
	s->swap = sc->swap_kind;
	s->swap_size = sc->swap_dev_size;
	s->disk = sc->disk_size;
	s->v1 = sc->m.machine_cgroup == 1;
	/* Two clocks: booting (how long depends on the host: TCG on a busy machine boots
	 * slowly) and the run after /init's boot marker (the scenario's own bounds). A
	 * bound on both together would make a slow host look like a hung guest. */
	s->boot_timeout_ms = sc->m.machine_boot_timeout_ms;
	s->timeout_ms = sc->m.machine_timeout_ms;
	if (!s->timeout_ms) {
		uint64_t bound = sc->m.timeout_ms != DURATION_FOREVER ? sc->m.timeout_ms : 10ULL * 60 * 1000;
		s->timeout_ms = SETUP_ALLOWANCE_MS + bound; /* each repeat boots a guest of its own */
	}
}

static json_t *shape_json(const struct shape *s)
{
	json_t *nodes = json_array();
	for (size_t i = 0; i < s->nnuma; i++)
		json_array_append_new(nodes, json_integer((json_int_t)s->numa[i]));
	static const char *const swaps[] = { "none", "disk", "zram" };
	return json_pack("{s:I, s:i, s:o, s:{s:s, s:I}, s:I, s:s, s:I, s:I}", "memory_bytes", (json_int_t)s->memory, "cpus",
			 (int)s->cpus, "numa_node_bytes", nodes, "swap", "kind", swaps[s->swap], "size_bytes",
			 (json_int_t)s->swap_size, "disk_bytes", (json_int_t)s->disk, "cgroup", s->v1 ? "v1" : "v2", "timeout_ms", (json_int_t)s->timeout_ms,
			 "boot_timeout_ms", (json_int_t)s->boot_timeout_ms);
}

struct argv {
	char **v;
	size_t n;
};

static void arg(struct argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void arg(struct argv *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	a->v = xrealloc(a->v, (a->n + 2) * sizeof(char *));
	a->v[a->n++] = xvasprintf(fmt, ap);
	a->v[a->n] = NULL;
	va_end(ap);
}

static void argv_free(struct argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
}

/* qemu's command line for one guest run. */
/* A path inside a qemu option value: qemu separates suboptions with ',' and reads ",,"
 * as a literal comma (a sweep's directories are named like "swappiness=1,max=64M"). */
static char *qemu_quote(const char *path)
{
	char *out = xcalloc(2 * strlen(path) + 1, 1), *o = out;
	for (const char *p = path; *p; p++) {
		*o++ = *p;
		if (*p == ',')
			*o++ = ',';
	}
	return out;
}

static void qemu_argv(struct argv *a, const struct shape *s, const struct kernel *k, const char *initrd,
		      const char *swapimg, const char *diskimg, const char *share, const char *serial, unsigned rep)
{
	char *qshare = qemu_quote(share), *qserial = qemu_quote(serial), *qswap = swapimg ? qemu_quote(swapimg) : NULL;
	char *qdisk = diskimg ? qemu_quote(diskimg) : NULL;
	arg(a, QEMU);
	arg(a, "-M");
	arg(a, "q35");
	arg(a, "-accel");
	arg(a, "tcg");
	arg(a, "-cpu");
	arg(a, "max");
	arg(a, "-m");
	arg(a, "%lluM", (unsigned long long)(s->memory >> 20));
	arg(a, "-smp");
	arg(a, "%u", s->cpus);
	for (size_t i = 0; i < s->nnuma; i++) {
		arg(a, "-object");
		arg(a, "memory-backend-ram,id=m%zu,size=%lluM", i, (unsigned long long)(s->numa[i] >> 20));
		arg(a, "-numa");
		/* CPUs round-robin over the nodes; a node left without one is memory-only */
		char *cpus = xstrdup("");
		for (unsigned c = (unsigned)i; c < s->cpus; c += (unsigned)s->nnuma) {
			char *t = xasprintf("%s,cpus=%u", cpus, c);
			free(cpus);
			cpus = t;
		}
		arg(a, "node,nodeid=%zu%s,memdev=m%zu", i, cpus, i);
		free(cpus);
	}
	arg(a, "-display");
	arg(a, "none");
	arg(a, "-nodefaults");
	arg(a, "-no-reboot");
	arg(a, "-monitor");
	arg(a, "none");
	arg(a, "-serial");
	arg(a, "file:%s", qserial);
	arg(a, "-device");
	arg(a, "isa-debug-exit,iobase=0xf4,iosize=0x04");
	arg(a, "-kernel");
	arg(a, "%s", k->vmlinux ? k->vmlinux : k->image);
	arg(a, "-initrd");
	arg(a, "%s", initrd);
	arg(a, "-virtfs");
	arg(a, "local,path=%s,mount_tag=host,security_model=none,multidevs=remap", qshare);
	/* /init finds each disk by its serial, whatever order the guest names them in */
	if (swapimg) {
		arg(a, "-drive");
		arg(a, "file=%s,if=none,id=swap,format=raw,cache=unsafe", qswap);
		arg(a, "-device");
		arg(a, "virtio-blk-pci,drive=swap,serial=mph-swap");
	}
	if (diskimg) {
		arg(a, "-drive");
		arg(a, "file=%s,if=none,id=scratch,format=raw,cache=unsafe", qdisk);
		arg(a, "-device");
		arg(a, "virtio-blk-pci,drive=scratch,serial=mph-scratch");
	}
	free(qshare);
	free(qserial);
	free(qswap);
	free(qdisk);
	arg(a, "-append");
	/* psi=1: Debian builds PSI in but switched off. no_timer_check: on a busy host the
	 * TCG guest's timer can miss the kernel's IO-APIC timer check at boot, which then
	 * panics ("IO-APIC + timer doesn't work!", seen on 6.12 under load); the check
	 * proves nothing about an emulated machine. */
	arg(a, "console=ttyS0 quiet panic=-1 psi=1 no_timer_check mph_guest=1 mph_repeat=%u mph_cgroup=%s mph_disk=%s mph_swap=%s%.0llu", rep, s->v1 ? "v1" : "v2", diskimg ? "ext4" : "none", s->swap == MSWAP_DISK ? "disk" : s->swap == MSWAP_ZRAM ? "zram:" : "none",
	    s->swap == MSWAP_ZRAM ? (unsigned long long)s->swap_size : 0ULL);
}

/* The initramfs: busybox, /init, mph and the workloads, the scenario, the modules. */
static int build_initrd(const char *path, const char *gdir, const char *scenario, const char *moddir,
			char **modfiles, char *err, size_t errlen)
{
	struct cpio *c;
	int r = cpio_open(&c, path, err, errlen);
	if (r < 0)
		return r;
	static const char *const dirs[] = { "bin", "dev", "proc", "sys", "run", "tmp", "host", "mph", "mph/workloads",
					    "modules", "var", "var/lib", "var/tmp", "etc" };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		cpio_dir(c, dirs[i], 0755);
	cpio_chardev(c, "dev/console", 0600, 5, 1);
	cpio_chardev(c, "dev/null", 0666, 1, 3);
	cpio_bytes(c, "init", 0755, mph_guest_init, mph_guest_init_len);
	cpio_file(c, "bin/busybox", 0755, BUSYBOX);
	char *p = xasprintf("%s/mph", gdir);
	cpio_file(c, "mph/mph", 0755, p);
	free(p);
	for (size_t i = 0; workloads[i]; i++) {
		char *src = xasprintf("%s/workloads/%s", gdir, workloads[i]->name);
		char *dst = xasprintf("mph/workloads/%s", workloads[i]->name);
		cpio_file(c, dst, 0755, src);
		free(src);
		free(dst);
	}
	cpio_file(c, "mph/scenario.ini", 0644, scenario); /* the host writes run.json's scenario */
	char *order = xstrdup("");
	for (size_t i = 0; modfiles && modfiles[i]; i++) {
		char *src = xasprintf("%s/%s", moddir, modfiles[i]);
		char *d = xasprintf("modules/%s", modfiles[i]);
		cpio_file(c, d, 0644, src);
		char *t = xasprintf("%s%s\n", order, modfiles[i]);
		free(order);
		order = t;
		free(src);
		free(d);
	}
	cpio_bytes(c, "modules/order", 0644, order, strlen(order));
	free(order);
	return cpio_close(c, err, errlen);
}

/* Start qemu with its stdout and stderr in logpath. */
static pid_t spawn(char **argv, const char *logpath, int *err)
{
	int log = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (log < 0) {
		*err = errno;
		return -1;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		/* qemu dies with mph: a guest left running would hold a core and its memory */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(127);
		int null = open("/dev/null", O_RDONLY);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL); /* mph reads its signals from a signalfd */
		if (null < 0 || dup2(null, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
			_exit(127);
		execvp(argv[0], argv);
		dprintf(2, "mph: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	*err = errno;
	close(log);
	return pid;
}

/* Copy a log from the temporary directory into the run directory. */
static void keep_log(const char *src, const char *dir, const char *name)
{
	char *text = NULL;
	size_t len = 0;
	if (read_file(src, &text, &len) < 0)
		return;
	char *dst = xasprintf("%s/%s", dir, name);
	int r = write_file_atomic(dst, text, len);
	if (r < 0)
		fprintf(stderr, "mph: cannot keep %s: %s\n", dst, strerror(-r));
	free(dst);
	free(text);
}

/* Directories of guest runs whose mph was killed (SIGKILL leaves no chance to clean
 * up): those whose lock nobody holds. How many were removed. */
static size_t rm_stale_guests(const char *cache_dir)
{
	size_t n = 0;
	char *top = xasprintf("%s/" GUESTS_DIR, cache_dir);
	DIR *d = opendir(top);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *p = xasprintf("%s/%s", top, e->d_name), *lk = xasprintf("%s/lock", p);
		int fd = open(lk, O_RDWR | O_CLOEXEC);
		if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
			n += rm_rf(p) == 0;
		if (fd >= 0)
			close(fd);
		free(lk);
		free(p);
	}
	if (d)
		closedir(d);
	free(top);
	return n;
}

size_t vm_rm_stale(const char *cache_dir)
{
	const char *env = getenv("MPH_CACHE_DIR");
	return rm_stale_guests(cache_dir ? cache_dir : env && *env ? env : "/var/cache/mph");
}

/* ---- one guest run ----------------------------------------------------------- */

/* What the guests of one plan share. */
struct vm_ctx {
	const struct run_opts *o;
	char *gdir;                /* the static guest build */
};

/* One guest run: prepared and started by guest_start, judged by guest_finish. */
struct vm_guest {
	struct vm_ctx *vc;
	const struct scenario *sc; /* the job's scenario, validated for the guest */
	char *ini;                 /* the job's scenario as a file, without lists */
	struct shape shape;
	const struct kernel *k;
	unsigned rep;
	char *dir;             /* the run directory, the guest's 9p share */
	char *tmp;             /* initramfs, modules, swap disk, logs while running */
	char *serial, *qlog, *initrd, *swapimg, *diskimg;
	struct argv a;
	pid_t pid;             /* qemu, -1 when it never started */
	int pidfd;
	int lockfd;            /* flock on tmp/lock while the guest's files are in use */
	uint64_t deadline_ms;  /* the boot deadline until the boot marker, then the run's */
	bool booted;           /* the serial log shows /init's boot marker */
	off_t scanned;         /* how far the serial log was searched for it */
	char *boot_panic;      /* the kernel panicked before the marker once: its panic line, and the
				* guest was booted again (logs of that attempt: boot1_logs) */
	double t0;
	char *why;             /* why it could not start */
};
/* a first boot's serial and qemu logs, kept in tmp while the second runs */
static const char *const boot1_logs[] = { "boot-1.serial.log", "boot-1.qemu.log" };
#define guest vm_guest

/* A sparse file of size bytes at path (must not exist). 0, or -errno with err. */
static int sparse_image(const char *path, uint64_t size, const char *what, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600), r = 0;
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot make the %s %s: %s", what, path, strerror(errno));
	}
	if (fd >= 0)
		close(fd);
	return r;
}

static void guest_start(struct vm_ctx *vc, struct guest *g)
{
	const struct shape *s = &g->shape;
	char err[512] = "";
	char *top = xasprintf("%s/" GUESTS_DIR, vc->o->cache_dir);
	char *tmpl = xasprintf("%s/%d-XXXXXX", top, (int)getpid());
	g->pid = g->pidfd = g->lockfd = -1;
	g->t0 = now_s();
	int r = mkdir_p(top);
	free(top);
	if (r < 0 || !mkdtemp(tmpl)) {
		g->why = xasprintf("cannot make a directory for the guest (%s): %s", tmpl, strerror(r < 0 ? -r : errno));
		free(tmpl);
		return;
	}
	g->tmp = tmpl;
	char *lk = xasprintf("%s/lock", g->tmp);
	g->lockfd = open(lk, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(lk);
	if (g->lockfd < 0 || flock(g->lockfd, LOCK_EX) < 0) {
		g->why = xasprintf("cannot lock %s: %s", g->tmp, strerror(errno));
		return;
	}
	/* modules: the 9p share always; the swap device when asked for */
	const char *mods[8] = { "virtio_pci", "9p", "9pnet_virtio" };
	size_t nm = 3;
	if (s->swap == MSWAP_DISK || s->disk)
		mods[nm++] = "virtio_blk";
	if (s->disk)
		mods[nm++] = "ext4";
	if (s->swap == MSWAP_ZRAM)
		mods[nm++] = "zram";
	mods[nm] = NULL;
	char **files = NULL;
	char *moddir = xasprintf("%s/modules", g->tmp);
	g->initrd = xasprintf("%s/initrd.cpio", g->tmp);
	g->swapimg = s->swap == MSWAP_DISK ? xasprintf("%s/swap.img", g->tmp) : NULL;
	g->diskimg = s->disk ? xasprintf("%s/scratch.img", g->tmp) : NULL;
	/* the logs stay in tmp while the guest runs: the run directory is the guest's
	 * share and must be empty when its mph starts */
	g->serial = xasprintf("%s/serial.log", g->tmp);
	g->qlog = xasprintf("%s/qemu.log", g->tmp);
	r = g->k->modroot ? kernel_modules(g->k, mods, moddir, &files, err, sizeof(err)) : 0;
	if (r == 0)
		r = build_initrd(g->initrd, vc->gdir, g->ini, moddir, files, err, sizeof(err));
	/* the disks are sparse files in tmp: removed with it when the guest ends, or by
	 * the next run or `mph restore` when this mph was killed (rm_stale_guests) */
	if (r == 0 && g->swapimg)
		r = sparse_image(g->swapimg, s->swap_size, "swap disk", err, sizeof(err));
	if (r == 0 && g->diskimg && (r = sparse_image(g->diskimg, s->disk, "scratch disk", err, sizeof(err))) == 0)
		r = kernel_mkfs_ext4(g->diskimg, err, sizeof(err));
	kernel_files_free(files);
	free(moddir);
	if (r < 0) {
		g->why = xasprintf("preparing the guest failed: %s", err);
		return;
	}
	qemu_argv(&g->a, s, g->k, g->initrd, g->swapimg, g->diskimg, g->dir, g->serial, g->rep);
	int e = 0;
	g->t0 = now_s();
	g->pid = spawn(g->a.v, g->qlog, &e);
	if (g->pid < 0) {
		g->why = xasprintf("cannot start qemu: %s", strerror(e));
		return;
	}
	g->pidfd = (int)syscall(SYS_pidfd_open, g->pid, 0);
	g->deadline_ms = now_ms() + s->boot_timeout_ms;
}

/* Look for /init's boot marker in what the serial log gained since the last look
 * (bounded per call; the marker's length is kept as overlap across reads). Once it is
 * there, the run's own timeout starts. */
static void guest_watch_boot(struct guest *g, uint64_t timeout_ms, uint64_t now)
{
	if (g->booted || g->pid <= 0)
		return;
	int fd = open(g->serial, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	char buf[64 * 1024 + 1];
	const off_t overlap = (off_t)strlen(BOOT_MARKER) - 1;
	for (int rounds = 0; rounds < 16 && !g->booted; rounds++) {
		off_t from = g->scanned > overlap ? g->scanned - overlap : 0;
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, from);
		if (n <= 0)
			break;
		buf[n] = '\0';
		/* the console may carry NUL bytes: search each stretch between them */
		for (char *p = buf; p < buf + n && !g->booted; p += strlen(p) + 1)
			g->booted = strstr(p, BOOT_MARKER) != NULL;
		if (from + n <= g->scanned)
			break;
		g->scanned = from + n;
	}
	close(fd);
	if (g->booted)
		g->deadline_ms = now + timeout_ms;
}

/* Judge a guest that ended (ended: 0 exited with status, -ETIMEDOUT, -EINTR: qemu was
 * killed), complete its run.json, print its summary. Returns the run's exit code. */
static int guest_finish(struct vm_ctx *vc, struct guest *g, int ended, int status)
{
	const struct shape *s = &g->shape;
	const struct kernel *k = g->k;
	int code = EXIT_RUN_FAILED, grc = -1;
	double elapsed = g->pid > 0 ? now_s() - g->t0 : 0;
	enum vm_result res = VM_NOT_STARTED;
	char *why = g->why;
	g->why = NULL;
	if (g->pid > 0) {
		char *log = NULL;
		(void)read_file(g->serial, &log, NULL);
		if (ended == -EINTR) {
			res = VM_INTERRUPTED;
			why = xstrdup("interrupted: qemu was killed");
			code = EXIT_INTERRUPTED;
		} else {
			res = vm_classify(status, ended == -ETIMEDOUT, log, &grc, &why);
		}
		free(log);
		keep_log(g->serial, g->dir, "serial.log");
		keep_log(g->qlog, g->dir, "qemu.log");
		for (size_t i = 0; g->boot_panic && i < ARRAY_SIZE(boot1_logs); i++) {
			char *src = xasprintf("%s/%s", g->tmp, boot1_logs[i]);
			keep_log(src, g->dir, boot1_logs[i]);
			free(src);
		}
	}
	char *rj = xasprintf("%s/run.json", g->dir);
	json_t *out = json_load_file(rj, 0, NULL);
	if (res == VM_OK && !out) {
		res = VM_NO_MARKER;
		why = xasprintf("the guest's mph ended (exit code %d) but wrote no run.json", grc);
	}
	if (res == VM_OK) /* the guest mph's exit code is one of mph's own, or the run failed */
		code = grc == EXIT_OK || grc == EXIT_RUN_FAILED || grc == EXIT_BAD_INPUT || grc == EXIT_UNSUPPORTED ||
				       grc == EXIT_REFUSED || grc == EXIT_INTERRUPTED
			       ? grc : EXIT_RUN_FAILED;
	if (!out) { /* the guest wrote nothing usable: run.json says why */
		out = json_pack("{s:s, s:s, s:o, s:[], s:[]}", "schema", RUN_SCHEMA, "mph_version", MPH_VERSION, "scenario",
				scenario_json(g->sc, g->rep), "workloads", "errors");
	}
	/* the scenario as the host read it: its path, and --vm keys among the settings */
	json_object_set_new(out, "scenario", scenario_json(g->sc, g->rep));
	/* the host's side of the machine: what was asked for and how qemu ended */
	json_t *m = json_object_get(out, "machine");
	if (!json_is_object(m)) {
		m = json_pack("{s:s}", "target", "qemu");
		json_object_set_new(out, "machine", m);
	}
	json_t *kj = json_object_get(m, "kernel");
	if (!json_is_object(kj)) {
		kj = json_object();
		json_object_set_new(m, "kernel", kj);
	}
	json_object_set_new(kj, "spec", json_string(k->spec));
	if (!json_object_get(kj, "release"))
		json_object_set_new(kj, "release", json_string(k->release));
	json_object_set_new(kj, "package", k->package ? json_string(k->package) : json_null());
	json_object_set_new(kj, "package_version", k->version ? json_string(k->version) : json_null());
	json_object_set_new(kj, "booted", json_string(k->vmlinux ? k->vmlinux : k->image));
	if (!json_object_get(m, "cgroup"))
		json_object_set_new(m, "cgroup", json_string(s->v1 ? "v1" : "v2"));
	json_object_set_new(m, "requested", shape_json(s));
	json_t *args = json_array();
	for (size_t i = 0; i < g->a.n; i++)
		json_array_append_new(args, json_string(g->a.v[i]));
	json_object_set_new(m, "qemu", json_pack("{s:s, s:s, s:o, s:o, s:f, s:s, s:s}", "accel", "tcg", "result",
						 vm_result_name(res), "exit_status",
						 g->pid > 0 && ended == 0 && WIFEXITED(status) ? json_integer(WEXITSTATUS(status)) : json_null(),
						 "argv", args, "elapsed_s", elapsed, "serial_log", "serial.log", "qemu_log",
						 "qemu.log"));
	json_object_set_new(json_object_get(m, "qemu"), "boot_panic", g->boot_panic ? json_string(g->boot_panic) : json_null());
	if (why) {
		json_t *errs = json_object_get(out, "errors");
		if (!json_is_array(errs)) {
			errs = json_array();
			json_object_set_new(out, "errors", errs);
		}
		json_array_append_new(errs, json_string(why));
		if (g->pid > 0)
			fprintf(stderr, "mph: guest %s: %s (serial log: %s/serial.log)\n", k->release, why, g->dir);
		else
			fprintf(stderr, "mph: guest %s: %s\n", k->release, why);
	}
	int wr = json_save(rj, out);
	FILE *hf = vc->o->out ? vc->o->out : stdout;
	fprintf(hf, "guest %s: %s, %u cpu(s), %llu MiB%s%s, qemu %s after %.1fs\n", k->release,
		s->v1 ? "cgroup v1" : "cgroup v2", s->cpus, (unsigned long long)(s->memory >> 20),
		s->nnuma ? ", NUMA nodes " : "", s->nnuma ? g->sc->m.machine_numa : "", vm_result_name(res), elapsed);
	if (wr < 0)
		fprintf(stderr, "mph: cannot write %s: %s\n", rj, strerror(-wr));
	fflush(hf);
	json_decref(out);
	argv_free(&g->a);
	free(why);
	free(rj);
	free(g->serial);
	free(g->qlog);
	free(g->boot_panic);
	free(g->initrd);
	free(g->swapimg);
	free(g->diskimg);
	(void)rm_rf(g->tmp);
	free(g->tmp);
	if (g->lockfd >= 0)
		close(g->lockfd);
	free(g->dir);
	free(g->ini);
	if (g->pidfd >= 0)
		close(g->pidfd);
	free(g);
	if (wr < 0 && code == EXIT_OK)
		code = EXIT_RUN_FAILED;
	return res == VM_OK ? code : res == VM_INTERRUPTED ? EXIT_INTERRUPTED : EXIT_RUN_FAILED;
}


/* ---- the guests of a plan ------------------------------------------------------ */

struct vm_ctx *vm_begin(const struct run_opts *o)
{
	struct vm_ctx *vc = xcalloc(1, sizeof(*vc));
	vc->o = o;
	vc->gdir = guest_dir();
	rm_stale_guests(o->cache_dir);
	return vc;
}

void vm_end(struct vm_ctx *vc)
{
	if (!vc)
		return;
	free(vc->gdir);
	free(vc);
}

/* Guests at once: --jobs, but no more than the host has cores for their vCPUs (TCG
 * runs a thread per vCPU; more would slow every guest) nor than there are guests. */
size_t vm_at_once(const struct run_opts *o, const struct scenario *sc, size_t nguests)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = o->jobs ? o->jobs : 1, cpus = sc->m.machine_cpus ? (size_t)sc->m.machine_cpus : 1;
	if (ncpu > 0 && n * cpus > (size_t)ncpu)
		n = (size_t)ncpu / cpus;
	if (n > nguests)
		n = nguests;
	return n ? n : 1;
}

/* Checks of this host for guest runs of sc, at_once at a time; nothing is changed. */
int vm_preflight(struct vm_ctx *vc, const struct scenario *sc, size_t at_once, struct diags *d)
{
	const struct run_opts *o = vc->o;
	struct shape shape;
	shape_from(&shape, sc);
	if (!in_path(QEMU))
		diags_add(d, 0, NULL, NULL, "%s not found (Debian package qemu-system-x86; `make deps` installs it)", QEMU);
	if (access(BUSYBOX, X_OK) < 0)
		diags_add(d, 0, NULL, NULL, "%s not found (Debian package busybox-static)", BUSYBOX);
	static const char *const kmod[] = { "depmod", "modprobe", "dpkg-deb" };
	if (shape.disk && !in_path("mkfs.ext4"))
		diags_add(d, sc->machine_line, "machine", "disk", "mkfs.ext4 not found (Debian package e2fsprogs): it makes the guest's scratch disk");
	for (size_t i = 0; i < ARRAY_SIZE(kmod); i++)
		if (!in_path(kmod[i]))
			diags_add(d, 0, NULL, NULL, "%s not found (Debian packages kmod, dpkg; `make deps`)", kmod[i]);
	for (size_t i = 0; i == 0 || workloads[i - 1]; i++) { /* mph, then each workload */
		char *p = i == 0 ? xasprintf("%s/mph", vc->gdir) : xasprintf("%s/workloads/%s", vc->gdir, workloads[i - 1]->name);
		if (access(p, X_OK) < 0)
			diags_add(d, 0, NULL, NULL, "static guest build %s missing (run `make`, or set MPH_GUEST_DIR)", p);
		free(p);
	}
	/* guests at once: each takes its memory (plus qemu's own) and a core per vCPU */
	long long avail = meminfo_bytes("MemAvailable");
	uint64_t need = (shape.memory + QEMU_OVERHEAD) * at_once;
	if (avail > 0 && need > (uint64_t)avail / 2)
		diags_add(d, sc->machine_line, "machine", "memory",
			  "%zu guest(s) of %llu MiB at once need about %llu MiB of the host, more than half of MemAvailable (%lld MiB)",
			  at_once, (unsigned long long)(shape.memory >> 20), (unsigned long long)(need >> 20), avail >> 20);
	/* the guest's files, and a swap disk, go to the cache's file system: not RAM */
	struct statfs fs;
	if (mkdir_p(o->cache_dir) < 0 || statfs(o->cache_dir, &fs) < 0) {
		diags_add(d, 0, NULL, NULL, "cache directory %s: %s", o->cache_dir, strerror(errno));
	} else {
		/* sparse, but the guest may fill them */
		uint64_t disk = (shape.swap == MSWAP_DISK ? shape.swap_size : 0) + shape.disk + (64ULL << 20);
		if ((uint64_t)fs.f_bavail * (uint64_t)fs.f_bsize < disk * at_once)
			diags_add(d, sc->machine_line, "machine", shape.disk ? "disk" : "swap",
				  "not enough free space in %s for %zu guest(s) (%llu MiB each)", o->cache_dir, at_once,
				  (unsigned long long)(disk >> 20));
		if ((shape.swap == MSWAP_DISK || shape.disk) && fs.f_type == TMPFS_MAGIC)
			diags_add(d, sc->machine_line, "machine", shape.disk ? "disk" : "swap",
				  "%s is a tmpfs: a %s there would be host RAM (set --cache-dir or $MPH_CACHE_DIR)", o->cache_dir,
				  shape.disk ? "scratch disk" : "swap disk");
	}
	return d->n ? -EINVAL : 0;
}

int vm_validate(const struct scen_text *tx, struct scenario *sc, struct diags *d)
{
	/* [machine] decides the cgroup version and the nodes that workload options may
	 * name: it is read first, and the settings validated again for that guest */
	struct scen_target t = { CG_V2, false, MACHINE_MAX_NODES, true };
	struct diags first = { 0 };
	int r = scenario_validate(tx, &t, sc, &first);
	bool v1 = sc->m.machine_cgroup == 1;
	int nodes = sc->nnuma ? (int)sc->nnuma : 1;
	scenario_free(sc);
	if (r < 0) { /* the same problems, reported once, against the widest target */
		r = scenario_validate(tx, &t, sc, d);
		diags_free(&first);
		return r;
	}
	diags_free(&first);
	t.cgv = v1 ? CG_V1 : CG_V2;
	t.memsw = v1;
	t.nodes = nodes;
	return scenario_validate(tx, &t, sc, d);
}

struct vm_guest *vm_guest_start(struct vm_ctx *vc, const struct scenario *sc, const char *ini, const struct kernel *k,
				unsigned rep, const char *dir)
{
	struct guest *g = xcalloc(1, sizeof(*g));
	g->vc = vc;
	g->sc = sc;
	g->ini = xstrdup(ini);
	shape_from(&g->shape, sc);
	g->k = k;
	g->rep = rep;
	g->dir = xstrdup(dir);
	guest_start(vc, g);
	return g;
}

int vm_guest_pidfd(const struct vm_guest *g)
{
	return g->pid > 0 ? g->pidfd : -1;
}

uint64_t vm_guest_deadline(struct vm_guest *g, uint64_t now)
{
	guest_watch_boot(g, g->shape.timeout_ms, now);
	return g->pid > 0 ? g->deadline_ms : now;
}

/* A guest whose kernel panicked before /init's boot marker never ran the scenario:
 * under TCG a boot has crashed now and then (a double fault in early kmalloc, once in
 * about 50 boots here). It is booted once more, and run.json says so
 * (machine.qemu.boot_panic, the first attempt's logs as boot-1.serial.log and
 * boot-1.qemu.log); a kernel that panics at every boot still fails, on its second. */
static bool boot_again(struct guest *g)
{
	if (g->boot_panic)
		return false;
	guest_watch_boot(g, g->shape.timeout_ms, now_ms()); /* the log's last lines */
	char *log = NULL;
	/* booted: the scenario ran, and what it did stands; a share not empty: the guest
	 * wrote something, and a second boot must start where the first did */
	if (g->booted || !dir_is_empty(g->dir) || read_file(g->serial, &log, NULL) < 0)
		return false;
	char *panic = line_at(log, "Kernel panic - not syncing");
	free(log);
	if (!panic)
		return false;
	char *s1 = xasprintf("%s/%s", g->tmp, boot1_logs[0]), *q1 = xasprintf("%s/%s", g->tmp, boot1_logs[1]);
	bool moved = rename(g->serial, s1) == 0;
	if (moved && rename(g->qlog, q1) < 0) {
		(void)rename(s1, g->serial); /* put back: the panic is this boot's result */
		moved = false;
	}
	int e = 0;
	pid_t pid = moved ? spawn(g->a.v, g->qlog, &e) : -1;
	if (pid < 0 && moved) { /* the first boot's logs are the result after all */
		(void)rename(s1, g->serial);
		(void)rename(q1, g->qlog);
	}
	free(s1);
	free(q1);
	if (pid < 0) {
		free(panic);
		return false;
	}
	fprintf(stderr, "mph: guest %s: the kernel panicked while booting (%s); booting it once more\n", g->k->release,
		panic);
	g->boot_panic = panic;
	if (g->pidfd >= 0)
		close(g->pidfd);
	g->pid = pid;
	g->pidfd = (int)syscall(SYS_pidfd_open, g->pid, 0);
	g->booted = false;
	g->scanned = 0;
	g->deadline_ms = now_ms() + g->shape.boot_timeout_ms;
	return true;
}

int vm_guest_poll(struct vm_guest *g, uint64_t now, bool interrupted)
{
	struct vm_ctx *vc = g->vc;
	if (g->pid <= 0) /* never started: judged at once */
		return guest_finish(vc, g, 0, 0);
	int status = 0, ended = 1;
	if (waitpid(g->pid, &status, WNOHANG) == g->pid) {
		ended = 0;
		if (!interrupted && boot_again(g))
			return -1;
	} else if (interrupted || now >= g->deadline_ms) {
		/* SIGKILL: the guest holds nothing of the host's */
		kill(g->pid, SIGKILL);
		waitpid(g->pid, &status, 0);
		ended = interrupted ? -EINTR : -ETIMEDOUT;
	}
	return ended == 1 ? -1 : guest_finish(vc, g, ended, status);
}

void vm_doctor(const char *cache_dir)
{
	bool q = in_path(QEMU);
	probe_line(q ? "ok" : "no", "  qemu", q ? "%s present; guests run under TCG (software: about 5x slower on memory-heavy work)"
						 : "%s missing (Debian package qemu-system-x86; `make deps`)", QEMU);
	bool bb = access(BUSYBOX, X_OK) == 0;
	probe_line(bb ? "ok" : "no", "  busybox", bb ? "%s present (the guest's userland)" : "%s missing (Debian package busybox-static)",
		    BUSYBOX);
	char *g = guest_dir(), *p = xasprintf("%s/mph", g);
	bool gb = access(p, X_OK) == 0;
	probe_line(gb ? "ok" : "no", "  guest build", gb ? "%s (static)" : "%s missing: run `make`", p);
	free(p);
	free(g);
	static const char *const specs[] = { "6.1", "6.12" };
	for (size_t i = 0; i < ARRAY_SIZE(specs); i++) {
		bool cached = false;
		char *pkg = NULL, *ver = NULL, err[512] = "";
		long long bytes = 0;
		char *what = xasprintf("  kernel %s", specs[i]);
		int r = kernel_plan(specs[i], cache_dir, &cached, &pkg, &ver, &bytes, err, sizeof(err));
		if (r < 0)
			probe_line("no", what, "%s", err);
		else if (cached)
			probe_line("ok", what, "cached in %s/kernels", cache_dir);
		else
			probe_line("--", what, "not cached: the first run downloads %s %s (%lld MB) with apt-get download",
				    pkg ? pkg : "?", ver ? ver : "?", bytes >> 20);
		free(what);
		free(pkg);
		free(ver);
	}
}
