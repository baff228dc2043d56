/* plan.c - where `mph run` carries a scenario out: here, in a guest, or on each of
 * --kernel. */
#include "plan.h"
#include "../scenario/scenario.h"
#include "../runner/vm.h"

/* Does the scenario ask for a guest? Its validation comes later, for the target. */
static bool wants_machine(const char *path)
{
	struct scen_target t = { CG_V2, false, MACHINE_MAX_NODES, true, NULL };
	struct scenario sc;
	struct diags d;
	(void)scenario_load(path, &t, &sc, &d);
	bool yes = sc.machine;
	scenario_free(&sc);
	diags_free(&d);
	return yes;
}

int plan_run(const struct run_opts *o, const char *scenario)
{
	if (!o->in_guest && (o->nkernels || o->nvm || wants_machine(scenario)))
		return vm_main(o, scenario);
	/* the static build that runs inside guests has no VM target of its own */
	return run_local(o, scenario, o->run_dir);
}
