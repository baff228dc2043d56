#!/usr/bin/python3
"""run-testdef.py - run a Lava-Test Test Definition's steps outside LAVA, the way
LAVA's test shell runs them: the definition's params as shell variables (then the
job's parameters, given here as NAME=VALUE arguments), `set -e`, the run steps in
order, in the directory of the definition's checkout (the current one).

Usage: run-testdef.py DEFINITION.yaml [NAME=VALUE ...]
Exits with the shell's status. Used by tests/integration/test_lava_job.c with a
stand-in lava-test-case on PATH (tests/lava/bin)."""
import shlex
import subprocess
import sys

import yaml
from lava_common.schemas.test.testdef import validate


def main():
    with open(sys.argv[1]) as f:
        definition = yaml.safe_load(f)
    validate(definition)
    params = dict(definition.get("params") or definition.get("parameters") or {})
    for arg in sys.argv[2:]:
        name, _, value = arg.partition("=")
        params[name] = value
    lines = ["###default parameters from test definition###"]
    lines += ["%s=%s" % (k, shlex.quote(str(v))) for k, v in params.items()]
    lines += ["######", "set -e"]
    lines += definition["run"]["steps"]
    return subprocess.call(["/bin/sh", "-c", "\n".join(lines) + "\n"])


if __name__ == "__main__":
    sys.exit(main())
