/* plan.c - see plan.h.
 *
 * Order of work: parse the file once (settings), apply --set, expand the sweep, then
 * validate every variant for every kind of target it will run on, check the
 * expectations' metric names, check this machine (preflight) and resolve each
 * kernel once: all before the first job changes anything. A mistake anywhere is
 * exit 2 (or 3 for what this machine lacks) with every problem at its file:line.
 *
 * Results: <results>/<name>/<stamp>/plan.json, and one directory per job:
 * [<kernel>/][<variant>/]r<N>/ holding its run.json. With --run-dir and a plan of one
 * job (what a guest's mph is given), the job's directory is exactly --run-dir and no
 * plan.json is written. plan.json is rewritten after every job, so an interrupted
 * plan can be resumed (--resume DIR) from what is on disk. */
#define _GNU_SOURCE
#include "plan.h"
#include "../core/json.h"
#include "../core/units.h"
#include "../core/util.h"
#include "../host/cgroup.h"
#include "../host/supervise.h"
#include "../host/sysctl.h"
#include "../report/plot.h"
#include "../report/report.h"
#include "../runner/kernel.h"
#include "../runner/vm.h"
#include "../scenario/expect.h"
#include "../scenario/scenario.h"
#include "../scenario/sweep.h"
#include "../../workloads/workload.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#define PLAN_SCHEMA "mph-plan/1"
#define MAX_AT_ONCE 8

struct ptarget {
	const char *spec;       /* "host", or a kernel spec */
	bool host;
	struct kernel k;
	char *label;            /* "host" or the kernel's release: a directory name */
};

struct pvariant {
	const struct variant *v;
	struct scen_text tx;    /* the variant's settings */
	struct scenario sc_host, sc_guest;
	bool host, guest;       /* validated for this machine, for a guest */
	char *ini;              /* the variant as a file, for guests */
};

enum jstatus { J_PENDING, J_DONE, J_FAILED, J_NOT_RUN, J_SKIPPED, J_INTERRUPTED };
static const char *const jstatus_names[] = { "pending", "done", "failed", "not-run", "skipped", "interrupted" };

struct pjob {
	size_t vi, ti;
	unsigned rep;
	char *rel, *dir;        /* the run directory, relative to the plan's and as a path */
	enum jstatus status;
	int code;
	double elapsed, t0;
	double lock_wait;       /* of elapsed's start: waited for another run's lock (host jobs) */
	char *reason;
	char *run_json;         /* where its run.json went, when not in dir (a full disk) */
	json_t *assertions;     /* this job's run-scope verdicts */
	struct vm_guest *g;
};

struct plan {
	struct plan_opts *po;
	FILE *out;              /* the human summary */
	struct scen_text tx;
	struct sweep sw;
	struct pvariant *pv;
	size_t npv;
	struct ptarget *t;
	size_t nt;
	struct pjob *j;
	size_t nj;
	struct expect_set ex;
	struct cg_env env;
	bool have_env;
	struct scen_target local;
	struct vm_ctx *vc;
	char *dir;              /* the plan's directory; NULL in job mode */
	char *started;
	json_t *aggregates;
	bool interrupted;
	bool tty;               /* the human summary is a terminal: a live status line */
	bool saved;             /* plan.json was written (its last version) */
	bool save_warned;
	size_t cur;             /* the local job running */
};

static bool has_machine(const struct scen_text *tx)
{
	if (scen_header_line(tx, "machine") > 0)
		return true;
	for (size_t i = 0; i < tx->nset; i++)
		if (strcmp(tx->set[i].section, "machine") == 0)
			return true;
	return false;
}

/* Problems of one variant, once each: the same mistake in every variant of a sweep is
 * reported once, naming the first variant it was found in. */
static void print_diags(const struct diags *d, const char *variant, char ***seen, size_t *nseen)
{
	for (size_t i = 0; i < d->n; i++) {
		char *s = diag_format(d, i);
		bool dup = false;
		for (size_t k = 0; k < *nseen && !dup; k++)
			dup = strcmp((*seen)[k], s) == 0;
		if (dup) {
			free(s);
			continue;
		}
		if (variant && *variant)
			fprintf(stderr, "%s (variant %s)\n", s, variant);
		else
			fprintf(stderr, "%s\n", s);
		*seen = xrealloc(*seen, (*nseen + 1) * sizeof(char *));
		(*seen)[(*nseen)++] = s;
	}
}

static void seen_free(char **seen, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(seen[i]);
	free(seen);
}

/* ---- building the plan ---------------------------------------------------------- */

static int apply_sets(struct plan *p)
{
	struct setting over[PLAN_MAX_SETS];
	size_t n = 0;
	int bad = 0;
	for (size_t i = 0; i < p->po->nsets; i++) {
		char err[256];
		if (sweep_parse_set(p->po->sets[i], &over[n], err, sizeof(err)) < 0) {
			fprintf(stderr, "mph run: --set %s: %s\n", p->po->sets[i], err);
			bad++;
			continue;
		}
		n++;
	}
	if (!bad)
		sweep_apply_sets(&p->tx.set, &p->tx.nset, over, n);
	for (size_t i = 0; i < n; i++) {
		free(over[i].section);
		free(over[i].key);
		free(over[i].value);
	}
	return bad ? -EINVAL : 0;
}

static void targets(struct plan *p)
{
	const struct run_opts *o = &p->po->run;
	if (o->nkernels && !o->in_guest) {
		p->nt = o->nkernels;
		p->t = xcalloc(p->nt, sizeof(*p->t));
		for (size_t i = 0; i < p->nt; i++) {
			p->t[i].spec = o->kernels[i];
			p->t[i].host = strcmp(o->kernels[i], "host") == 0;
		}
		return;
	}
	p->nt = 1;
	p->t = xcalloc(1, sizeof(*p->t));
	/* a [machine] section asks for a guest; inside a guest, the guest is the machine */
	p->t[0].host = o->in_guest || !has_machine(&p->tx);
	p->t[0].spec = p->t[0].host ? "host" : NULL; /* the guest's: [machine] kernel, below */
}

/* Every variant validated for every kind of target it runs on. */
static int validate(struct plan *p)
{
	bool want_host = false, want_guest = false;
	for (size_t i = 0; i < p->nt; i++) {
		want_host |= p->t[i].host;
		want_guest |= !p->t[i].host;
	}
	if (want_host) {
		int code = local_target(&p->po->run, &p->local, &p->env);
		if (code != EXIT_OK)
			return code;
		p->have_env = true;
	}
	char **seen = NULL;
	size_t nseen = 0;
	int bad = 0;
	p->npv = p->sw.nv;
	p->pv = xcalloc(p->npv, sizeof(*p->pv));
	for (size_t i = 0; i < p->npv; i++) {
		struct pvariant *v = &p->pv[i];
		v->v = &p->sw.v[i];
		/* the variant's settings, with the file's headers */
		struct scen_text copy = p->tx;
		copy.set = v->v->set;
		copy.nset = v->v->nset;
		scen_text_copy(&v->tx, &copy);
		struct diags d = { 0 };
		if (want_host) {
			if (scenario_validate(&v->tx, &p->local, &v->sc_host, &d) == 0)
				v->host = true;
			else {
				scenario_free(&v->sc_host);
				bad++;
			}
		}
		if (want_guest) {
			if (vm_validate(&v->tx, &v->sc_guest, &d) == 0)
				v->guest = true;
			else {
				scenario_free(&v->sc_guest);
				bad++;
			}
		}
		print_diags(&d, v->v->name, &seen, &nseen);
		diags_free(&d);
	}
	seen_free(seen, nseen);
	if (bad) {
		fprintf(stderr, "mph: %s: %zu problem(s); nothing was changed\n", p->tx.file, nseen);
		return EXIT_BAD_INPUT;
	}
	/* the guest's kernel: --kernel, else [machine] kernel */
	for (size_t i = 0; i < p->nt; i++)
		if (!p->t[i].spec)
			p->t[i].spec = p->pv[0].sc_guest.m.machine_kernel;
	if (p->nt && !p->t[0].spec) {
		fprintf(stderr, "%s: [machine] kernel: required to run in a guest (or give --kernel)\n", p->tx.file);
		return EXIT_BAD_INPUT;
	}
	return EXIT_OK;
}

/* The name a swept key has in expectations (trends, selectors): the key as written
 * for [sysctl], [cgroup] and [machine], NAME.key for a workload's. */
static char *var_name(const struct sweep_key *k)
{
	if (strncmp(k->section, "workload ", 9) == 0) {
		const char *n = k->section + 9;
		while (*n == ' ')
			n++;
		return xasprintf("%s.%s", n, k->key);
	}
	return xstrdup(k->key);
}

static int match_variant(void *ctx, const char *spec)
{
	return sweep_match(ctx, spec);
}

/* [expect] sections: metric names checked against run.json's schema, workload names
 * against the scenario, selectors and trend keys against the sweep's keys. */
static int load_expectations(struct plan *p)
{
	/* a guest's mph runs one job for a host that checks the expectations itself */
	if (p->po->run.in_guest && p->po->run.run_dir)
		return EXIT_OK;
	const struct scenario *sc = p->pv[0].host ? &p->pv[0].sc_host : &p->pv[0].sc_guest;
	struct diags d = { .file = xstrdup(p->tx.file) };
	/* actions are named like workloads (drop.result): one name space, type "action" */
	struct schema_wl *wls = xcalloc(sc->nwl + sc->nact + 1, sizeof(*wls));
	for (size_t i = 0; i < sc->nwl; i++)
		wls[i] = (struct schema_wl){ sc->wl[i].name, sc->wl[i].type->name };
	for (size_t i = 0; i < sc->nact; i++)
		wls[sc->nwl + i] = (struct schema_wl){ sc->act[i].name, SCHEMA_ACTION };
	for (size_t i = 0; i < p->tx.nset; i++) {
		const struct setting *s = &p->tx.set[i];
		const char *sel = NULL;
		if (!expect_section(s->section, &sel))
			continue;
		if (expect_add(&p->ex, p->tx.file, s->line, s->section, s->key, s->value, wls, sc->nwl + sc->nact, &d) < 0)
			continue;
		const struct expectation *e = &p->ex.v[p->ex.n - 1];
		if (sel && sweep_match(&p->sw.v[0], sel) < 0)
			diags_add(&d, s->line, s->section, s->key,
				  "[expect %s]: select variants with KEY=VALUE of the swept keys (%zu swept here)", sel, p->sw.naxes);
		if (e->trend_key) {
			bool found = false;
			for (size_t k = 0; k < p->sw.naxes && !found; k++) {
				struct sweep_key sk = { .section = p->sw.axes[k].section, .key = p->sw.axes[k].key };
				char *vn = var_name(&sk);
				found = strcmp(vn, e->trend_key) == 0;
				free(vn);
			}
			if (!found)
				diags_add(&d, s->line, s->section, s->key, "'%s' is not a swept key: a trend needs a list of its values",
					  e->trend_key);
		}
	}
	free(wls);
	if (d.n) {
		char **seen = NULL;
		size_t nseen = 0;
		print_diags(&d, NULL, &seen, &nseen);
		fprintf(stderr, "mph: %s: %zu problem(s) in [expect]; nothing was changed\n", p->tx.file, nseen);
		seen_free(seen, nseen);
		diags_free(&d);
		return EXIT_BAD_INPUT;
	}
	diags_free(&d);
	return EXIT_OK;
}

/* A job's swept keys as the evaluator sees them; with several kernels, the kernel too
 * (so a variant's repeats and a trend are taken per kernel). */
static struct expect_kv *job_vars(const struct plan *p, const struct pjob *j, size_t *n, char ***names)
{
	const struct variant *v = p->pv[j->vi].v;
	struct expect_kv *kv = xcalloc(v->nkeys + 2, sizeof(*kv));
	*names = xcalloc(v->nkeys + 1, sizeof(char *));
	for (size_t k = 0; k < v->nkeys; k++) {
		(*names)[k] = var_name(&v->keys[k]);
		kv[k] = (struct expect_kv){ (*names)[k], v->keys[k].value };
	}
	*n = v->nkeys;
	if (p->nt > 1)
		kv[(*n)++] = (struct expect_kv){ "kernel", p->t[j->ti].label };
	return kv;
}

static json_t *eval_run(const struct plan *p, const struct pjob *j, const json_t *run)
{
	json_t *out = json_array();
	for (size_t i = 0; i < p->ex.n; i++) {
		const struct expectation *e = &p->ex.v[i];
		if (e->scope != ESCOPE_RUN || expect_applies(e, match_variant, (void *)p->pv[j->vi].v) != 1)
			continue;
		struct verdict v;
		if (expect_eval_run(e, run, &v) < 0)
			continue;
		json_t *vj = verdict_json(&v);
		json_object_set_new(vj, "repeat", json_integer(j->rep));
		json_object_set_new(vj, "kernel", json_string(p->t[j->ti].label ? p->t[j->ti].label : ""));
		json_array_append_new(out, vj);
		verdict_free(&v);
	}
	return out;
}

/* Variant and trend expectations, over every job that ran. */
static json_t *eval_aggregates(const struct plan *p)
{
	json_t *out = json_array();
	bool any = false;
	for (size_t i = 0; i < p->ex.n; i++)
		any |= p->ex.v[i].scope != ESCOPE_RUN;
	if (!any)
		return out;
	struct expect_job *jobs = xcalloc(p->nj + 1, sizeof(*jobs));
	json_t **runs = xcalloc(p->nj + 1, sizeof(json_t *));
	struct expect_kv **kvs = xcalloc(p->nj + 1, sizeof(*kvs));
	char ***names = xcalloc(p->nj + 1, sizeof(*names));
	size_t *nn = xcalloc(p->nj + 1, sizeof(size_t));
	for (size_t i = 0; i < p->nj; i++) {
		const struct pjob *j = &p->j[i];
		char *rj = xasprintf("%s/run.json", j->dir);
		runs[i] = j->status == J_DONE ? json_load_file(rj, 0, NULL) : NULL;
		free(rj);
		size_t n;
		kvs[i] = job_vars(p, j, &n, &names[i]);
		nn[i] = p->pv[j->vi].v->nkeys;
		jobs[i] = (struct expect_job){ runs[i], kvs[i], n, j->rep, (void *)p->pv[j->vi].v };
	}
	struct expect_set only = { 0 };
	only.v = xcalloc(p->ex.n + 1, sizeof(*only.v));
	for (size_t i = 0; i < p->ex.n; i++)
		if (p->ex.v[i].scope != ESCOPE_RUN)
			only.v[only.n++] = p->ex.v[i]; /* shallow: the verdicts point at these */
	struct verdict *v = NULL;
	size_t nv = 0;
	if (expect_eval_jobs(&only, jobs, p->nj, match_variant, &v, &nv) == 0)
		for (size_t i = 0; i < nv; i++)
			json_array_append_new(out, verdict_json(&v[i]));
	verdicts_free(v, nv);
	free(only.v);
	for (size_t i = 0; i < p->nj; i++) {
		json_decref(runs[i]);
		for (size_t k = 0; k < nn[i]; k++)
			free(names[i][k]);
		free(names[i]);
		free(kvs[i]);
	}
	free(nn);
	free(names);
	free(kvs);
	free(runs);
	free(jobs);
	return out;
}

static unsigned repeats(const struct plan *p, size_t vi)
{
	const struct pvariant *v = &p->pv[vi];
	return (unsigned)(v->host ? v->sc_host.m.repeat : v->sc_guest.m.repeat);
}

static int make_jobs(struct plan *p)
{
	const struct run_opts *o = &p->po->run;
	for (size_t vi = 0; vi < p->npv; vi++)
		if (o->only_repeat > repeats(p, vi)) {
			fprintf(stderr, "mph: --repeat %u: %s has %u repeat(s)\n", o->only_repeat, p->tx.file, repeats(p, vi));
			return EXIT_BAD_INPUT;
		}
	size_t cap = 0;
	for (size_t vi = 0; vi < p->npv; vi++)
		cap += p->nt * repeats(p, vi);
	p->j = xcalloc(cap + 1, sizeof(*p->j));
	/* variant-major: a variant's kernels and repeats side by side, as guests run them */
	for (size_t vi = 0; vi < p->npv; vi++)
		for (size_t ti = 0; ti < p->nt; ti++)
			for (unsigned r = 1; r <= repeats(p, vi); r++) {
				if (o->only_repeat && r != o->only_repeat)
					continue;
				struct pjob *j = &p->j[p->nj++];
				j->vi = vi;
				j->ti = ti;
				j->rep = r;
				j->code = -1;
				j->assertions = json_array();
			}
	return EXIT_OK;
}

/* This machine's checks, and each kernel resolved (downloaded) once for the plan. */
static int preflight(struct plan *p)
{
	const struct run_opts *o = &p->po->run;
	char **seen = NULL;
	size_t nseen = 0;
	int code = EXIT_OK;
	size_t nguests = 0;
	for (size_t i = 0; i < p->nj; i++)
		nguests += !p->t[p->j[i].ti].host;
	for (size_t vi = 0; vi < p->npv; vi++) {
		struct diags d = { .file = xstrdup(p->tx.file) };
		struct pvariant *v = &p->pv[vi];
		if (v->host && local_preflight(o, &v->sc_host, &d) != EXIT_OK)
			code = EXIT_UNSUPPORTED;
		if (v->guest && nguests) {
			if (!p->vc)
				p->vc = vm_begin(o);
			if (vm_preflight(p->vc, &v->sc_guest, vm_at_once(o, &v->sc_guest, nguests), &d) < 0)
				code = EXIT_UNSUPPORTED;
		}
		print_diags(&d, v->v->name, &seen, &nseen);
		diags_free(&d);
	}
	seen_free(seen, nseen);
	if (code != EXIT_OK) {
		fprintf(stderr, "mph: %s cannot run on this machine; nothing was changed\n", p->tx.file);
		return code;
	}
	for (size_t i = 0; i < p->nt; i++) {
		struct ptarget *t = &p->t[i];
		if (t->host) {
			t->label = xstrdup("host");
			continue;
		}
		char err[512];
		fprintf(stderr, "mph: kernel %s ...\n", t->spec);
		int r = kernel_resolve(t->spec, o->cache_dir, !p->po->dry_run, &t->k, err, sizeof(err));
		if (r < 0) {
			if (o->nkernels)
				fprintf(stderr, "mph: --kernel %s: %s\n", t->spec, err);
			else
				fprintf(stderr, "%s: [machine] kernel: %s\n", p->tx.file, err);
			return r == -ENOENT || r == -EINVAL ? EXIT_BAD_INPUT : EXIT_UNSUPPORTED;
		}
		t->label = xstrdup(t->k.release);
		for (size_t k = 0; k < i; k++)
			if (p->t[k].label && strcmp(p->t[k].label, t->label) == 0) {
				fprintf(stderr, "mph: --kernel %s and --kernel %s are the same kernel %s\n", p->t[k].spec, t->spec,
					t->label);
				return EXIT_BAD_INPUT;
			}
	}
	return EXIT_OK;
}

/* ---- directories ---------------------------------------------------------------- */

/* results/<name>/<stamp>, unique: .2, .3 ... when another mph took it this second. */
static char *unique_dir(const char *results, const char *name)
{
	char *stamp = utc_stamp(false), *parent = xasprintf("%s/%s", results, name);
	int e = 0;
	char *out = mkdir_unique(parent, stamp, &e);
	if (!out)
		fprintf(stderr, "mph: cannot make a run directory under %s: %s\n", parent, strerror(-e));
	free(parent);
	free(stamp);
	return out;
}

static int directories(struct plan *p)
{
	const struct run_opts *o = &p->po->run;
	const char *name = p->pv[0].host ? p->pv[0].sc_host.m.name : p->pv[0].sc_guest.m.name;
	if (o->run_dir && p->nj == 1 && !p->po->resume) {
		/* job mode: exactly this directory (a guest's share), no plan.json */
		p->j[0].dir = xstrdup(o->run_dir);
		p->j[0].rel = xstrdup(".");
		return EXIT_OK;
	}
	if (p->po->resume) {
		p->dir = xstrdup(p->po->resume);
	} else if (o->run_dir) {
		int e = mkdir_p(o->run_dir);
		if (e < 0 || !dir_is_empty(o->run_dir)) {
			fprintf(stderr, "mph: cannot use %s as the plan's directory: %s\n", o->run_dir, e < 0 ? strerror(-e) : "not empty");
			return EXIT_RUN_FAILED;
		}
		p->dir = xstrdup(o->run_dir);
	} else if (!(p->dir = unique_dir(o->results, name))) {
		return EXIT_RUN_FAILED;
	}
	bool kernels = p->nt > 1 || o->nkernels;
	for (size_t i = 0; i < p->nj; i++) {
		struct pjob *j = &p->j[i];
		const char *vn = p->pv[j->vi].v->name;
		char *k = kernels ? xasprintf("%s/", p->t[j->ti].label) : xstrdup("");
		char *v = *vn ? xasprintf("%s/", vn) : xstrdup("");
		j->rel = xasprintf("%s%sr%u", k, v, j->rep);
		j->dir = xasprintf("%s/%s", p->dir, j->rel);
		free(k);
		free(v);
	}
	/* each variant as a file: what a guest's mph is given, and a way to rerun one */
	for (size_t vi = 0; vi < p->npv; vi++) {
		struct pvariant *v = &p->pv[vi];
		v->ini = *v->v->name ? xasprintf("%s/%s.ini", p->dir, v->v->name) : xasprintf("%s/scenario.ini", p->dir);
		int r = scenario_write_ini(&v->tx, v->ini, true);
		if (r < 0) {
			fprintf(stderr, "mph: cannot write %s: %s\n", v->ini, strerror(-r));
			if (v->guest) /* a guest's mph is given this file */
				return EXIT_RUN_FAILED;
		}
	}
	return EXIT_OK;
}

/* ---- plan.json ------------------------------------------------------------------ */

static json_t *job_json(const struct plan *p, const struct pjob *j, size_t id)
{
	json_t *keys = json_object();
	const struct variant *v = p->pv[j->vi].v;
	for (size_t k = 0; k < v->nkeys; k++)
		json_object_set_new(keys, v->keys[k].key, json_string(v->keys[k].value));
	json_t *o = json_pack("{s:I, s:s, s:o, s:s, s:s, s:i, s:s, s:s, s:o, s:f, s:o, s:O}", "id", (json_int_t)id, "variant",
			      v->name, "keys", keys, "kernel", p->t[j->ti].label ? p->t[j->ti].label : p->t[j->ti].spec,
			      "target", p->t[j->ti].host ? "host" : "qemu", "repeat", (int)j->rep, "dir", j->rel, "status",
			      jstatus_names[j->status], "exit_code", j->code >= 0 ? json_integer(j->code) : json_null(), "elapsed_s",
			      j->elapsed, "reason", j->reason ? json_string(j->reason) : json_null(), "assertions", j->assertions);
	/* run.json elsewhere: the state directory's fallback when dir's file system was full */
	json_object_set_new(o, "run_json", j->run_json ? json_string(j->run_json) : json_null());
	json_object_set_new(o, "lock_wait_s", json_real(j->lock_wait));
	return o;
}

/* The verdict and exit code of the plan, from the counts the report library takes
 * from plan.json itself (report_plan_counts: the same numbers JUnit, TAP and the
 * table print), and what only the plan knows (a signal, a refused lock). */
static void verdict(const struct plan *p, const json_t *counts, const char **verd, int *code)
{
	bool refused = false;
	for (size_t i = 0; i < p->nj; i++)
		refused |= p->j[i].code == EXIT_REFUSED;
#define C(k) json_integer_value(json_object_get(counts, k))
	if (p->interrupted || C("interrupted")) {
		*verd = "interrupted";
		*code = EXIT_INTERRUPTED;
	} else if (C("jobs") && C("skipped") == C("jobs")) {
		*verd = "skipped";
		*code = EXIT_UNSUPPORTED;
	} else if (refused && !C("done")) {
		*verd = "error";
		*code = EXIT_REFUSED;
	} else if (C("done") < C("jobs") || C("error_assertions")) {
		*verd = "error";
		*code = EXIT_RUN_FAILED;
	} else if (C("failed_assertions")) {
		*verd = "fail";
		*code = EXIT_RUN_FAILED;
	} else {
		*verd = "pass";
		*code = EXIT_OK;
	}
#undef C
}

static json_t *plan_json(const struct plan *p, int *code)
{
	json_t *axes = json_array(), *jobs = json_array(), *sets = json_array(), *kernels = json_array();
	for (size_t i = 0; i < p->sw.naxes; i++) {
		const struct sweep_axis *a = &p->sw.axes[i];
		json_t *vals = json_array();
		for (size_t k = 0; k < a->nvalues; k++)
			json_array_append_new(vals, json_string(a->values[k]));
		json_array_append_new(axes, json_pack("{s:s, s:s, s:s, s:o, s:i}", "section", a->section, "key", a->key, "name",
						      a->name, "values", vals, "line", a->line));
	}
	for (size_t i = 0; i < p->nj; i++)
		json_array_append_new(jobs, job_json(p, &p->j[i], i + 1));
	for (size_t i = 0; i < p->po->nsets; i++)
		json_array_append_new(sets, json_string(p->po->sets[i]));
	for (size_t i = 0; i < p->po->run.nkernels; i++)
		json_array_append_new(kernels, json_string(p->po->run.kernels[i]));
	const struct scenario *sc = p->pv[0].host ? &p->pv[0].sc_host : &p->pv[0].sc_guest;
	char *now = utc_stamp(true), *abs = realpath(p->tx.file, NULL);
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:O}", "schema", PLAN_SCHEMA,
			      "mph_version", MPH_VERSION, "scenario", sc->m.name, "file", p->tx.file, "started_at", p->started,
			      "ended_at", now, "sweep", p->sw.zip ? "zip" : "product", "axes", axes, "sets", sets, "kernels",
			      kernels, "jobs", jobs, "aggregates", p->aggregates);
	json_t *counts = report_plan_counts(j);
	const char *verd;
	verdict(p, counts, &verd, code);
	json_object_set_new(j, "verdict", json_string(verd));
	json_object_set_new(j, "exit_code", json_integer(*code));
	json_object_set_new(j, "counts", counts);
	/* where --resume finds the file again, from any directory */
	json_object_set_new(j, "file_path", abs ? json_string(abs) : json_null());
	free(abs);
	free(now);
	return j;
}

static int save_plan(struct plan *p, int *code)
{
	int c = 0;
	json_t *j = plan_json(p, &c);
	if (code)
		*code = c;
	if (!p->dir) {
		json_decref(j);
		return 0;
	}
	char *path = xasprintf("%s/plan.json", p->dir);
	int r = json_save(path, j);
	if (r < 0 && !p->save_warned) { /* once: it is rewritten after every job */
		fprintf(stderr, "mph: cannot write %s: %s\n", path, strerror(-r));
		p->save_warned = true;
	}
	p->saved = r == 0;
	free(path);
	json_decref(j);
	return r;
}

/* ---- running ---------------------------------------------------------------------- */

static void progress(const struct plan *p, size_t i, const char *what)
{
	if (p->po->quiet)
		return;
	const struct pjob *j = &p->j[i];
	const char *vn = p->pv[j->vi].v->name;
	fprintf(p->out, "[%zu/%zu] %s%s%sr%u on %s: %s\n", i + 1, p->nj, vn, *vn ? " " : "", "", j->rep,
		p->t[j->ti].label ? p->t[j->ti].label : p->t[j->ti].spec, what);
	fflush(p->out);
}

/* A job ended with code: its status, its expectations, its summary. */
static void job_done(struct plan *p, size_t i, int code)
{
	struct pjob *j = &p->j[i];
	j->code = code;
	j->elapsed = now_s() - j->t0;
	j->g = NULL;
	j->status = code == EXIT_OK ? J_DONE
		    : code == EXIT_INTERRUPTED ? J_INTERRUPTED
		    : code == EXIT_UNSUPPORTED ? J_SKIPPED
						: J_FAILED;
	char *rj = j->run_json ? xstrdup(j->run_json) : xasprintf("%s/run.json", j->dir);
	json_t *run = json_load_file(rj, 0, NULL);
	if (run) {
		json_t *errs = json_object_get(run, "errors");
		if (code != EXIT_OK && json_array_size(errs) && !j->reason)
			j->reason = xstrdup(json_string_value(json_array_get(errs, 0)));
		if (j->status == J_DONE) {
			json_t *verdicts = eval_run(p, j, run);
			json_array_extend(j->assertions, verdicts);
			json_object_set_new(run, "expectations", verdicts);
			if (json_save(rj, run) < 0)
				fprintf(stderr, "mph: cannot record the expectations in %s\n", rj);
		}
		if (!p->po->quiet)
			report_run_summary_to(p->out, run, rj);
	} else if (!j->reason) {
		j->reason = xasprintf("no run.json (exit code %d)", code);
	}
	json_decref(run);
	free(rj);
	size_t failed = 0, k;
	json_t *a;
	json_array_foreach(j->assertions, k, a)
		failed += strcmp(json_string_value(json_object_get(a, "verdict")), "pass") != 0;
	char what[160];
	snprintf(what, sizeof(what), "%s in %.1fs%s", jstatus_names[j->status], j->elapsed,
		 json_array_size(j->assertions) ? (failed ? ", expectations FAILED" : ", expectations held") : "");
	progress(p, i, what);
	(void)save_plan(p, NULL);
}

/* The live status line of the local job: rewritten in place on a terminal. */
static void live(void *ctx, const struct run_progress *pr)
{
	struct plan *p = ctx;
	const struct pjob *j = &p->j[p->cur];
	char u[32] = "?", l[32] = "max", sw[32] = "-", t[32] = "";
	if (pr->usage >= 0)
		format_size((uint64_t)pr->usage, u, sizeof(u));
	if (pr->limit >= 0)
		format_size((uint64_t)pr->limit, l, sizeof(l));
	if (pr->swap >= 0)
		format_size((uint64_t)pr->swap, sw, sizeof(sw));
	if (pr->timeout_s > 0)
		snprintf(t, sizeof(t), "/%.0fs", pr->timeout_s);
	const char *vn = p->pv[j->vi].v->name;
	fprintf(p->out, "\r\033[K[%zu/%zu] %s%sr%u  %.1fs%s  memory %s/%s  swap %s  OOM kills %zu", p->cur + 1, p->nj, vn,
		*vn ? " " : "", j->rep, pr->elapsed_s, t, u, l, sw, pr->oom_kills);
	fflush(p->out);
}

static int run_host_job(struct plan *p, size_t i)
{
	struct pjob *j = &p->j[i];
	j->t0 = now_s();
	p->cur = i;
	if (!p->tty)
		progress(p, i, "running");
	char *written = NULL;
	double waited = 0;
	int code = local_run_job(&p->po->run, &p->pv[j->vi].sc_host, &p->env, j->rep, j->dir, &written, &waited);
	j->lock_wait = waited;
	j->t0 += waited; /* the job's time is its own, not the other run's */
	char *here = xasprintf("%s/run.json", j->dir);
	if (written && strcmp(written, here) != 0)
		j->run_json = written;
	else
		free(written);
	free(here);
	if (p->tty) { /* the status line gives way to the job's summary */
		fprintf(p->out, "\r\033[K");
		fflush(p->out);
	}
	return code;
}

/* One scheduler for every job: this machine's alone (guests would disturb its
 * timing), guests up to --jobs at once, a signal stops what runs and starts nothing. */
static void schedule(struct plan *p)
{
	sigset_t old;
	int sigfd = sup_signals_begin(&old);
	size_t at_once = 1, nguests = 0;
	for (size_t i = 0; i < p->nj; i++)
		nguests += !p->t[p->j[i].ti].host;
	for (size_t vi = 0; vi < p->npv; vi++)
		if (p->pv[vi].guest && nguests) {
			size_t n = vm_at_once(&p->po->run, &p->pv[vi].sc_guest, nguests);
			at_once = vi == 0 || n < at_once ? n : at_once;
		}
	if (at_once > MAX_AT_ONCE)
		at_once = MAX_AT_ONCE;
	if (p->po->run.jobs > 1 && at_once < p->po->run.jobs && at_once < nguests)
		fprintf(stderr, "mph: --jobs %u: %zu guest(s) at once (the host's cores hold no more vCPUs)\n", p->po->run.jobs,
			at_once);
	size_t run[MAX_AT_ONCE], nrun = 0, next = 0;
	bool stop = sigfd < 0;
	while ((!stop && next < p->nj) || nrun) {
		while (!stop && next < p->nj && nrun < at_once) {
			struct pjob *j = &p->j[next];
			if (j->status != J_PENDING) { /* done before (--resume) */
				next++;
				continue;
			}
			if (p->t[j->ti].host) {
				if (nrun)
					break;
				/* the local run watches signals itself; one that came meanwhile stops the plan */
				if (sup_signals_end(sigfd, &old)) {
					stop = p->interrupted = true;
					sigfd = sup_signals_begin(&old);
					continue;
				}
				int code = run_host_job(p, next);
				job_done(p, next, code);
				next++;
				if (code == EXIT_INTERRUPTED)
					stop = p->interrupted = true;
				if ((sigfd = sup_signals_begin(&old)) < 0)
					stop = true;
				continue;
			}
			struct pvariant *v = &p->pv[j->vi];
			j->t0 = now_s();
			/* the guest's 9p share: its mph starts in an empty directory */
			int e = mkdir_p(j->dir);
			if (e < 0 || !dir_is_empty(j->dir)) {
				fprintf(stderr, "mph: cannot use %s as a run directory: %s\n", j->dir,
					e < 0 ? strerror(-e) : "not empty");
				j->reason = xstrdup("its run directory could not be made");
				job_done(p, next++, EXIT_RUN_FAILED);
				continue;
			}
			progress(p, next, "booting");
			j->g = vm_guest_start(p->vc, &v->sc_guest, v->ini, &p->t[j->ti].k, j->rep, j->dir);
			run[nrun++] = next++;
		}
		if (!nrun)
			continue;
		struct pollfd pf[MAX_AT_ONCE + 1];
		uint64_t now = now_ms(), soonest = UINT64_MAX;
		for (size_t k = 0; k < nrun; k++) {
			struct pjob *j = &p->j[run[k]];
			uint64_t dl = vm_guest_deadline(j->g, now);
			pf[k] = (struct pollfd){ vm_guest_pidfd(j->g), POLLIN, 0 };
			if (dl < soonest)
				soonest = dl;
		}
		pf[nrun] = (struct pollfd){ sigfd, POLLIN, 0 };
		int wait = soonest <= now ? 0 : soonest - now > 200 ? 200 : (int)(soonest - now);
		bool interrupted = false;
		if (poll(pf, nrun + 1, wait) > 0 && (pf[nrun].revents & POLLIN)) {
			struct signalfd_siginfo si;
			if (read(sigfd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo != SIGCHLD)
				interrupted = stop = p->interrupted = true;
		}
		now = now_ms();
		for (size_t k = 0; k < nrun;) {
			int code = vm_guest_poll(p->j[run[k]].g, now, interrupted);
			if (code < 0) {
				k++;
				continue;
			}
			job_done(p, run[k], code);
			run[k] = run[--nrun];
		}
	}
	/* what a stop left unstarted did not run */
	for (size_t i = 0; i < p->nj; i++)
		if (p->j[i].status == J_PENDING) {
			p->j[i].status = J_NOT_RUN;
			p->j[i].reason = xstrdup(p->interrupted ? "interrupted before it started" : "not started");
		}
	if (sigfd >= 0 && sup_signals_end(sigfd, &old))
		p->interrupted = true;
}

/* ---- --dry-run ------------------------------------------------------------------ */

static void dry_run(const struct plan *p)
{
	FILE *f = p->out;
	fprintf(f, "%s: %zu job(s), nothing changed (--dry-run)\n", p->tx.file, p->nj);
	for (size_t i = 0; i < p->nj; i++) {
		const struct pjob *j = &p->j[i];
		const char *vn = p->pv[j->vi].v->name;
		fprintf(f, "  job %zu: %s%srepeat %u on %s\n", i + 1, vn, *vn ? ", " : "", j->rep,
			p->t[j->ti].label ? p->t[j->ti].label : p->t[j->ti].spec);
	}
	for (size_t vi = 0; vi < p->npv; vi++) {
		const struct pvariant *v = &p->pv[vi];
		fprintf(f, "%s%s:\n", *v->v->name ? "variant " : "every job", v->v->name);
		for (int side = 0; side < 2; side++) {
			if ((side == 0 && !v->host) || (side == 1 && !v->guest))
				continue;
			const struct scenario *sc = side == 0 ? &v->sc_host : &v->sc_guest;
			const char *where = side == 0 ? "this machine" : "the guest";
			for (size_t i = 0; i < sc->nsysctl; i++) {
				char *cur = NULL;
				if (side == 0 && sysctl_read("/proc/sys", sc->sysctl[i].def->name, &cur) == 0)
					fprintf(f, "  sysctl %s: %s -> %s, restored after each run\n", sc->sysctl[i].def->name, strtrim(cur),
						sc->sysctl[i].value);
				else
					fprintf(f, "  sysctl %s: -> %s (in %s)\n", sc->sysctl[i].def->name, sc->sysctl[i].value, where);
				free(cur);
			}
			for (size_t i = 0; i < sc->ncg; i++)
				fprintf(f, "  cgroup %s (%s) = %s in a new cgroup below mph's own, removed after\n", sc->cg[i].knob->name,
					sc->cg[i].file, sc->cg[i].value);
			if (sc->m.swap_size) {
				char b[32];
				fprintf(f, "  swap file of %s, removed after\n", format_size(sc->m.swap_size, b, sizeof(b)));
			}
			if (sc->m.drop_caches || sc->m.compact_memory)
				fprintf(f, "  before each run:%s%s\n", sc->m.drop_caches ? " drop_caches" : "",
					sc->m.compact_memory ? " compact_memory" : "");
			for (size_t i = 0; i < sc->nwl; i++)
				fprintf(f, "  workload %s: %s\n", sc->wl[i].name, sc->wl[i].type->name);
			if (side == 1)
				fprintf(f, "  in a qemu guest: %llu MiB, %llu cpu(s), cgroup %s\n",
					(unsigned long long)(sc->m.machine_memory >> 20), (unsigned long long)sc->m.machine_cpus,
					sc->m.machine_cgroup == 1 ? "v1" : "v2");
		}
	}
	for (size_t i = 0; i < p->ex.n; i++)
		fprintf(f, "expect %s = %s (line %d)\n", p->ex.v[i].name, p->ex.v[i].text, p->ex.v[i].line);
	fflush(f);
}

/* ---- --resume --------------------------------------------------------------------- */

/* The jobs plan.json says are done keep their results; the rest run. */
static int resume_from(struct plan *p, const json_t *old)
{
	size_t i;
	json_t *oj;
	size_t kept = 0;
	json_array_foreach(json_object_get(old, "jobs"), i, oj) {
		const char *dir = json_string_value(json_object_get(oj, "dir"));
		const char *st = json_string_value(json_object_get(oj, "status"));
		for (size_t k = 0; dir && st && k < p->nj; k++) {
			struct pjob *j = &p->j[k];
			if (strcmp(j->rel, dir) != 0)
				continue;
			if (strcmp(st, "done") == 0) {
				j->status = J_DONE;
				j->code = EXIT_OK;
				json_array_clear(j->assertions);
				json_array_extend(j->assertions, json_object_get(oj, "assertions"));
				kept++;
			} else {
				/* a job that did not finish starts again from an empty directory */
				(void)rm_rf(j->dir);
			}
		}
	}
	fprintf(stderr, "mph: resuming %s: %zu of %zu job(s) already done\n", p->dir, kept, p->nj);
	return EXIT_OK;
}

/* ---- the whole -------------------------------------------------------------------- */

static void plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->npv; i++) {
		struct pvariant *v = &p->pv[i];
		scen_text_free(&v->tx);
		if (v->host)
			scenario_free(&v->sc_host);
		if (v->guest)
			scenario_free(&v->sc_guest);
		free(v->ini);
	}
	free(p->pv);
	for (size_t i = 0; i < p->nt; i++) {
		kernel_free(&p->t[i].k);
		free(p->t[i].label);
	}
	free(p->t);
	for (size_t i = 0; i < p->nj; i++) {
		free(p->j[i].rel);
		free(p->j[i].dir);
		free(p->j[i].reason);
		free(p->j[i].run_json);
		json_decref(p->j[i].assertions);
	}
	free(p->j);
	expect_set_free(&p->ex);
	sweep_free(&p->sw);
	scen_text_free(&p->tx);
	if (p->have_env)
		cg_env_free(&p->env);
	vm_end(p->vc);
	free(p->dir);
	free(p->started);
	json_decref(p->aggregates);
}

/* The outputs a plan ends in: JUnit, TAP, JSON, the verdict table. */
static void outputs(struct plan *p)
{
	int c = 0;
	json_t *pj = plan_json(p, &c);
	const json_t *plans[1] = { pj };
	if (p->po->junit && report_junit_file(p->po->junit, plans, 1) < 0)
		fprintf(stderr, "mph: cannot write %s\n", p->po->junit);
	if (p->po->prom) {
		/* job mode has no plan directory: the job's own is where its run.json is */
		const char *dirs[1] = { p->dir ? p->dir : p->nj ? p->j[0].dir : NULL };
		int r = report_prom_file(p->po->prom, plans, dirs, 1);
		if (r < 0)
			fprintf(stderr, "mph: cannot write %s: %s\n", p->po->prom, strerror(-r));
	}
	if (p->po->lava) {
		int r = report_lava_file(p->po->lava, plans, 1);
		if (r < 0)
			fprintf(stderr, "mph: cannot write %s: %s\n", p->po->lava, strerror(-r));
	}
	if (p->po->tap)
		report_tap(stdout, plans, 1);
	if (p->po->json) {
		json_t *s = report_plan_summary(pj);
		if (p->dir)
			json_object_set_new(s, "plan", json_sprintf("%s/plan.json", p->dir));
		json_dumpf(s, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(s);
	}
	report_plan_table(p->out, pj, p->dir);
	/* --report: the page is made from the files just written, like `mph report DIR` */
	if (p->po->report && p->dir && !p->po->dry_run) {
		char *html = xasprintf("%s/report.html", p->dir), err[512] = "";
		const char *dirs[1] = { p->dir };
		if (report_html_file(html, dirs, 1, NULL, err, sizeof(err)) < 0)
			fprintf(stderr, "mph: cannot write %s: %s\n", html, err);
		else
			fprintf(p->out, "%s%s%s\n", html, *err ? ": " : "", err);
		free(html);
	}
	if (p->dir && p->saved)
		fprintf(p->out, "%s/plan.json\n", p->dir);
	else if (p->nj == 1 && p->j[0].run_json) /* plan.json did not fit where run.json did not either */
		fprintf(p->out, "%s\n", p->j[0].run_json);
	fflush(p->out);
	fflush(stdout);
	json_decref(pj);
}

int plan_run(struct plan_opts *po, const char *scenario)
{
	struct plan p = { .po = po, .out = po->run.out ? po->run.out : stdout };
	struct diags d = { 0 };
	json_t *old = NULL;
	p.aggregates = json_array();
	p.started = utc_stamp(true);
	if (po->resume) {
		char *path = xasprintf("%s/plan.json", po->resume);
		json_error_t err;
		old = json_load_file(path, 0, &err);
		if (!old || strcmp(json_string_value(json_object_get(old, "schema")) ?: "", PLAN_SCHEMA) != 0) {
			fprintf(stderr, "mph: --resume %s: %s\n", po->resume, old ? "not an mph plan.json" : err.text);
			free(path);
			json_decref(old);
			plan_free(&p);
			return EXIT_BAD_INPUT;
		}
		free(path);
		/* the plan as it was made: its file, its --set and --kernel */
		scenario = json_string_value(json_object_get(old, "file_path"));
		if (!scenario)
			scenario = json_string_value(json_object_get(old, "file"));
		if (!scenario) {
			fprintf(stderr, "mph: --resume %s: plan.json names no scenario file\n", po->resume);
			json_decref(old);
			plan_free(&p);
			return EXIT_BAD_INPUT;
		}
		size_t i;
		json_t *v;
		if (!po->nsets)
			json_array_foreach(json_object_get(old, "sets"), i, v)
				if (po->nsets < PLAN_MAX_SETS)
					po->sets[po->nsets++] = json_string_value(v);
		if (!po->run.nkernels)
			json_array_foreach(json_object_get(old, "kernels"), i, v)
				if (po->run.nkernels < ARRAY_SIZE(po->run.kernels))
					po->run.kernels[po->run.nkernels++] = json_string_value(v);
	}
	int code = EXIT_OK;
	int r = scenario_parse(scenario, &p.tx, &d);
	if (r < 0) { /* syntax errors too: validation would only repeat them */
		if (r == -EINVAL)
			diags_print(&d);
		else
			fprintf(stderr, "mph: cannot read %s: %s\n", scenario, strerror(-r));
		if (r == -EINVAL)
			fprintf(stderr, "mph: %s: %zu problem(s); nothing was changed\n", scenario, d.n);
		code = EXIT_BAD_INPUT;
	}
	diags_free(&d);
	if (code == EXIT_OK && apply_sets(&p) < 0)
		code = EXIT_BAD_INPUT;
	if (code == EXIT_OK) {
		const char *mode = scen_text_value(&p.tx, "scenario", "sweep");
		struct diags sd = { .file = xstrdup(scenario) };
		if (sweep_expand(p.tx.set, p.tx.nset, mode && strcmp(mode, "zip") == 0, scenario_key_kind, &p.tx, &p.sw, &sd) < 0) {
			diags_print(&sd);
			fprintf(stderr, "mph: %s: %zu problem(s); nothing was changed\n", scenario, sd.n);
			code = EXIT_BAD_INPUT;
		}
		diags_free(&sd);
	}
	if (code == EXIT_OK && po->run.run_dir && po->run.nkernels) {
		fprintf(stderr, "mph: --run-dir and --kernel exclude each other: --kernel puts each kernel's runs in "
				"<results>/<scenario>/<time>/<kernel>\n");
		code = EXIT_BAD_INPUT;
	}
	if (code == EXIT_OK) {
		targets(&p);
		code = validate(&p);
	}
	if (code == EXIT_OK)
		code = load_expectations(&p);
	if (code == EXIT_OK)
		code = make_jobs(&p);
	if (code == EXIT_OK)
		code = preflight(&p);
	if (code == EXIT_OK && po->dry_run) {
		dry_run(&p);
		json_decref(old);
		plan_free(&p);
		return EXIT_OK;
	}
	if (code == EXIT_OK)
		code = directories(&p);
	if (code == EXIT_OK && old)
		code = resume_from(&p, old);
	json_decref(old);
	if (code == EXIT_UNSUPPORTED && p.nj && (po->junit || po->tap || po->json || po->prom || po->lava)) {
		/* this machine cannot run it: every job is reported as skipped */
		for (size_t i = 0; i < p.nj; i++) {
			p.j[i].status = J_SKIPPED;
			p.j[i].reason = xstrdup("this machine cannot run the scenario (see mph's diagnostics)");
		}
		outputs(&p);
	}
	if (code != EXIT_OK) {
		plan_free(&p);
		return code;
	}
	(void)save_plan(&p, NULL);
	/* in a guest stdout is the serial console: a log, not a screen */
	p.tty = !po->quiet && !po->run.in_guest && isatty(fileno(p.out));
	if (p.tty) {
		po->run.progress = live;
		po->run.progress_ctx = &p;
	}
	schedule(&p);
	json_decref(p.aggregates);
	p.aggregates = eval_aggregates(&p);
	(void)save_plan(&p, &code);
	if (p.dir || p.ex.n || po->junit || po->tap || po->json)
		outputs(&p);
	else if (p.nj == 1) /* job mode without expectations: as a single run always was */
		code = p.j[0].code;
	plan_free(&p);
	return code;
}
