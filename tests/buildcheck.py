"""Check that a build folder is configured the way tests/runner.sh names it.

    buildcheck.py DIR KIND      KIND: plain, asan or fuzz

A build folder is set up once and then reused, so one set up by hand (or by
an older Makefile) with other options would otherwise be tested under the
wrong name: "tests under ASan" without ASan, or a memory-limit test run in a
sanitized "normal" build. Exits 1 with a sentence saying what is wrong and
how to fix it.
"""
import json
import subprocess
import sys

WANT = {
    # kind: (sanitizers that must be on, value of the fuzz option or None)
    "plain": (set(), False),
    "asan": ({"address", "undefined"}, False),
    "fuzz": ({"address", "undefined"}, True),
}


def main(folder, kind):
    sanitizers, fuzz = WANT[kind]
    p = subprocess.run(["meson", "introspect", "--buildoptions", folder], capture_output=True,
                       text=True)
    if p.returncode != 0:
        print(f"{folder}: meson introspect failed: {p.stderr.strip()}")
        return 1
    options = {o["name"]: o["value"] for o in json.loads(p.stdout)}
    problems = []
    have = set(options.get("b_sanitize", "none").split(",")) - {"none"}
    if have != sanitizers:
        problems.append(f"b_sanitize is {options.get('b_sanitize')!r}, should be "
                        f"{','.join(sorted(sanitizers)) or 'none'!r}")
    # Projects without a fuzz option (the runner's self-test) skip that check.
    if "fuzz" in options and options["fuzz"] != fuzz:
        problems.append(f"fuzz is {options['fuzz']}, should be {fuzz}")
    if problems:
        print(f"{folder} should be a {kind!r} build but is not: {'; '.join(problems)}. "
              f"Remove it (rm -rf {folder}) and run again to set it up afresh.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
