/* itest.h - shared helpers of the integration tests (see itest.c). */
#ifndef MPH_ITEST_H
#define MPH_ITEST_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "../../harness/host/cgroup.h"

struct proc_out {
	int code;
	char *out, *err;
};

extern const char *itest_skip_reason;  /* set by the group setup when tests cannot run */
extern char itest_tmpdir[64];
extern char *itest_results, *itest_statedir;
extern struct cg_env itest_env;

const char *itest_mph_bin(void);
/* Start mph with argv (argv[0] is filled in); output to <tmpdir>/<tag>.out/.err. */
pid_t itest_spawn(const char *tag, const char **argv);
/* Run mph with the NULL-terminated args, capture its output. */
struct proc_out itest_mph(const char *arg0, ...);
void itest_proc_free(struct proc_out *p);
/* The last line of mph's stdout, where run and record name their result file
 * (malloc'd; NULL when there is none). */
char *itest_last_line(const struct proc_out *p);
/* The directory of that file (malloc'd; NULL when there is none). */
char *itest_out_dir(const struct proc_out *p);
/* The run.json named on the last line of mph run's stdout (fails the test if none). */
json_t *itest_load_result(const struct proc_out *p);
/* `mph run --results <tmp> SCENARIO` must exit 0; its run.json. */
json_t *itest_run_ok(const char *scenario);
json_t *itest_workload0(json_t *r);
/* Values by dotted path ("report_final.status"); num fails the test if not an integer. */
const char *itest_str(json_t *o, const char *path);
long long itest_num(json_t *o, const char *path);
/* The machine is as it was before the tests (fails the test otherwise). */
void itest_check_clean(void);
/* Wait (bounded) until the file at path contains needle. */
bool itest_wait_for(const char *path, const char *needle, unsigned ms);
/* Run a group of tests: its setup first, outside cmocka, so that a machine that cannot
 * run them prints SKIP (with the reason) and passes. cmocka 1.1 counts a skip() in a
 * setup function as an error, which would fail `make check` where it should skip. */
#define itest_run_group(name, tests, setup, teardown)                                       \
	((setup)(NULL) != 0 ? 1                                                              \
	 : itest_skip_reason ? ((void)(teardown)(NULL), 0)                                   \
			     : cmocka_run_group_tests_name(name, tests, NULL, teardown))
/* cmocka group setup/teardown and per-test setup (skip when the machine cannot run them). */
int itest_group_setup(void **state);
int itest_group_teardown(void **state);
int itest_each_setup(void **state);

#endif
