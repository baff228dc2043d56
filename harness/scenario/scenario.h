/* scenario.h - scenario files (INI) parsed with libinih and validated completely
 * before mph touches the machine. Every setting is also kept raw, in file order, with
 * its line, so run.json carries the scenario as written and later sweeps can vary any
 * key as data. */
#ifndef MPH_SCENARIO_H
#define MPH_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "../host/cgroup.h"
#include "../host/sysctl.h"

struct workload;

/* One problem found in a scenario file: file:line: [section] key: message */
struct diag {
	int line;
	char *section, *key, *msg;
};

struct diags {
	char *file;
	struct diag *v;
	size_t n;
};

void diags_add(struct diags *d, int line, const char *section, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* "file:line: [section] key: message" for diagnostic i (malloc'd). */
char *diag_format(const struct diags *d, size_t i);
void diags_free(struct diags *d);
/* Every diagnostic, one line each, to stderr. */
void diags_print(const struct diags *d);

struct setting {
	char *section, *key, *value;
	int line;               /* SET_CMDLINE: given on the command line (mph run --set) */
};
#define SET_CMDLINE (-1)

/* [scenario], [prepare], [swap]: filled through option tables. */
struct scen_main {
	char *name;
	char *description;
	uint64_t duration_ms;   /* 0: until the workloads end */
	uint64_t timeout_ms;    /* hard limit; workloads still running are killed */
	uint64_t repeat;
	int sweep;              /* 0 product, 1 zip: how lists combine into variants */
	bool drop_caches;
	bool compact_memory;
	uint64_t swap_size;     /* 0: no swap file */
	uint64_t record_interval_ms;
	bool record_pss;
	bool record_stalls;      /* reclaim stalls and OOM victims from a tracefs instance */
	uint64_t record_stall_event_ms; /* a stall at least this long is also an event */
	int record_proc;        /* 0 status, 1 statm */
	char *record_slow;      /* sources read at most every record_slow_ms ("node, psi.io") */
	unsigned record_slow_set; /* ... parsed: REC_SLOW_* (host/recorder.h) */
	uint64_t record_slow_ms;
	uint64_t record_stdout_max;  /* bytes kept of each <workload>.stdout */
	uint64_t record_reports_max; /* bytes of reports.jsonl per workload */
	/* [machine]: the qemu guest the scenario runs in (see vm.h) */
	char *machine_kernel;   /* a Debian kernel ("6.12", a release, a package) or an image path */
	uint64_t machine_memory;
	uint64_t machine_cpus;
	char *machine_numa;     /* "512M,512M": parsed into scenario.numa[] */
	char *machine_swap;     /* none | disk:SIZE | zram:SIZE: parsed into scenario.swap_* */
	char *machine_disk;     /* auto | none | SIZE: parsed into scenario.disk_size */
	int machine_cgroup;     /* 0 v2, 1 v1 */
	uint64_t machine_timeout_ms; /* after boot; 0: derived from the scenario's own bounds */
	uint64_t machine_boot_timeout_ms; /* boot, up to /init's MPH-GUEST-BOOTED marker */
};

enum machine_swap { MSWAP_NONE, MSWAP_DISK, MSWAP_ZRAM };
#define MACHINE_MAX_NODES 8

struct scen_cg {
	const struct cg_knob *knob;
	const char *file;     /* the file it maps to on the target hierarchy */
	char *value;          /* what mph writes there (bytes, "max"/"-1", an int) */
	long long bytes;      /* for byte knobs: the value, -1 for max */
	int line;
};

struct scen_sysctl {
	const struct sysctl_def *def;
	char *value;
	int line;
};

struct scen_wl {
	char *name;                   /* from [workload NAME] */
	const struct workload *type;
	int line;                     /* of the section header */
	char **argv;                  /* --opt=value, percentages resolved to bytes; NULL-terminated */
	size_t argc;
	bool oom_adj_set;             /* oom_score_adj = N: mph writes it in the child before exec */
	int oom_adj;                  /* -1000..1000 */
	int oom_adj_line;
	uint64_t disk_bytes;          /* it needs free on disk (workload.disk_bytes) */
};

/* [action NAME]: something mph does at a time during the run (docs/scenarios.md). */
enum scen_action_kind { ACT_DROP_CACHES, ACT_COMPACT, ACT_SIGNAL };

struct scen_action {
	char *name;                   /* from [action NAME]; unique among actions and workloads */
	int line;                     /* of the section header */
	int do_line, at_line;
	uint64_t at_ms;               /* from the first workload's start */
	uint64_t after_ms;            /* the "after" memory.stat snapshot this long after it is done */
	enum scen_action_kind kind;
	int drop_level;               /* drop_caches: 1, 2 or 3 */
	size_t wl;                    /* signal: index into scenario.wl */
	int signo;                    /* signal */
	char *text;                   /* do as written, blanks normalised: "signal pool SIGUSR2" */
};

struct scenario {
	char *file;
	struct scen_main m;
	struct scen_cg cg[16];
	size_t ncg;
	struct scen_sysctl *sysctl;
	size_t nsysctl;
	struct scen_wl *wl;
	size_t nwl;
	struct scen_action *act;      /* sorted by at_ms (stable: file order for equal times) */
	size_t nact;
	struct setting *set;
	size_t nset;
	long long memory_max;   /* bytes, -1 when not set or "max" */
	bool machine;           /* has a [machine] section */
	int machine_line;       /* of its header */
	uint64_t numa[MACHINE_MAX_NODES]; /* node sizes; nnuma 0: one node of machine_memory */
	size_t nnuma;
	enum machine_swap swap_kind;
	uint64_t swap_dev_size;
	uint64_t disk_size;     /* a guest's scratch disk (ext4 at /var/tmp); 0: none */
};

/* Where the scenario will run: the validation depends on it. */
struct scen_target {
	enum cg_version cgv;
	bool memsw;             /* v1: memory.memsw.* available */
	int nodes;              /* NUMA nodes of a guest; 0: this machine's (checked with libnuma) */
	bool guest;             /* a VM-target guest: guest-only sysctls allowed */
};

/* Bounds on a scenario file, checked while it is read (docs/scenarios.md, "Limits"). */
#define SCEN_MAX_BYTES (1 << 20)   /* the file is read once, whole, into memory */
#define SCEN_MAX_LINES 10000
#define SCEN_MAX_WORKLOADS 64
/* Scenario and workload names: 1..SCEN_NAME_MAX of [A-Za-z0-9._-], not starting with '.' */
#define SCEN_NAME_MAX 40
#define SCEN_NAME_MAX_STR "40"

/* NULL when name is a valid scenario, workload or action name, else what is wrong with it. */
const char *scenario_name_problem(const char *name);

/* A scenario file as text: every key raw (section, key, value, line) in file order,
 * and every section header with its line. What a sweep varies and what is validated. */
struct scen_header {
	char *name;
	int line;
};

struct scen_text {
	char *file;
	struct setting *set;
	size_t nset;
	struct scen_header *hdr;
	size_t nhdr;
	bool unread;            /* the file could not be read as a scenario at all */
};

/* Parse (INI -> settings). Returns 0; -EINVAL with the syntax errors in d (the keys
 * around them are still collected); -errno when the file cannot be read. */
int scenario_parse(const char *path, struct scen_text *tx, struct diags *d);
void scen_text_free(struct scen_text *tx);
void scen_text_copy(struct scen_text *dst, const struct scen_text *src);
/* The value of [section] key as written, or NULL (a key is there once: validation
 * refuses a second). */
const char *scen_text_value(const struct scen_text *tx, const char *section, const char *key);
/* The line of a section's header, 0 when there is none. */
int scen_header_line(const struct scen_text *tx, const char *section);
/* Validate (settings -> scenario) for where it will run, from the settings alone.
 * Returns 0, or -EINVAL with every problem added to d (file:line each). */
int scenario_validate(const struct scen_text *tx, const struct scen_target *t, struct scenario *sc, struct diags *d);
/* Parse and validate. Returns 0, or -EINVAL with every problem in d (file:line
 * each); -errno when the file cannot be read. */
int scenario_load(const char *path, const struct scen_target *t, struct scenario *sc, struct diags *d);
void scenario_free(struct scenario *sc);
/* Write the settings back as an INI file (for a guest's mph, or a variant to rerun);
 * [expect] sections only when with_expect. -errno. */
int scenario_write_ini(const struct scen_text *tx, const char *path, bool with_expect);
/* A signal by name or number: SIGUSR2, USR2, usr2, 12. 0, or -EINVAL. */
int scen_parse_signal(const char *s, int *signo);
/* run.json's "scenario": file, name, description, repeat rep of repeats, settings. */
json_t *scenario_json(const struct scenario *sc, unsigned rep);

#endif
