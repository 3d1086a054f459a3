"""Count the checks of one `meson test` run honestly.

    summary.py NAME TESTLOG --registered INTROSPECT_JSON --meson-status N [--skips FILE]

Prints one line "NAME PASSED FAILED SKIPPED" on stdout (tests/runner.sh adds
them up). On stderr it shows what a person must see: for every failed test
its failing TAP lines and the end of its output (where a sanitizer report
is), and a line for every skip, which is also appended to FILE.

The rules:
- a TAP test counts its lines: "ok" passes, "not ok" fails (a TODO
  directive excuses nothing: this project writes none), "ok ... # SKIP" is a
  skip, never a pass; a plan of "1..0" is the whole test skipped; "Bail out!"
  fails;
- any other test is one check; meson's SKIP result (exit status 77) is a skip;
- a test whose result is not OK fails even if every line it printed passed
  (a crash or a leak report after the last check);
- a passing test whose output holds a sanitizer report fails;
- every test meson registered must have run: a missing one fails;
- meson's own exit status must agree: a failing run with nothing counted as
  failed is one failure.
"""
import argparse
import collections
import json
import re
import sys

TAP_LINE = re.compile(r"^(not ok|ok)\b\s*(?:\d+)?\s*(?:-\s*)?(.*)$")
TAP_PLAN = re.compile(r"^1\.\.(\d+)\s*(?:#\s*(.*))?$")
DIRECTIVE = re.compile(r"#\s*(SKIP|TODO)\S*\s*(.*)$", re.I)
# The lines sanitizers print when they find something (kept in step with
# tests/integration/harness.py and the fuzz phase of tests/runner.sh).
SANITIZER = re.compile(r"runtime error: |ERROR: (?:Address|Leak|UndefinedBehavior|Thread|Memory)"
                       r"Sanitizer|SUMMARY: (?:Address|Leak|UndefinedBehavior)Sanitizer")
PASSING = ("OK", "EXPECTEDFAIL")
TAIL_LINES = 60
NOT_OK_LINES = 200


def short_name(meson_name):
    """'skillserver:unit / request' -> 'request'."""
    return meson_name.split(" / ", 1)[-1]


class Count:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.skips = []  # (test, what, reason)
        self.failures = []  # (test, why, excerpt lines)


def excerpt(t):
    """The not-ok lines with their diagnostics, then the end of the output."""
    out = []
    lines = (t.get("stdout") or "").splitlines()
    for i, line in enumerate(lines):
        if line.startswith("not ok") or line.startswith("Bail out!"):
            out.append(line)
            for more in lines[i + 1:]:
                if not more.startswith("#"):
                    break
                out.append(more)
    out = out[:NOT_OK_LINES]
    stderr = (t.get("stderr") or "").splitlines()
    rest = stderr if stderr else [l for l in lines if not TAP_LINE.match(l)]
    if rest:
        if len(rest) > TAIL_LINES:
            out.append(f"[... {len(rest) - TAIL_LINES} lines before these ...]")
        out += rest[-TAIL_LINES:]
    return out


def count_test(t, c):
    name = short_name(t["name"])
    result = t["result"]
    text = (t.get("stdout") or "") + "\n" + (t.get("stderr") or "")
    lines = (t.get("stdout") or "").splitlines()
    failed_before = c.failed
    tap = [m for m in (TAP_LINE.match(l) for l in lines) if m]
    plans = [m for m in (TAP_PLAN.match(l) for l in lines) if m]
    bailed = any(l.startswith("Bail out!") for l in lines)

    for m in tap:
        status, desc = m.group(1), m.group(2)
        d = DIRECTIVE.search(desc)
        if status == "ok" and d and d.group(1).upper() == "SKIP":
            c.skipped += 1
            c.skips.append((name, desc[:d.start()].strip(), d.group(2).strip() or "no reason"))
        elif status == "ok":
            c.passed += 1
        else:
            c.failed += 1

    if not tap and plans and plans[0].group(1) == "0" and result in PASSING + ("SKIP",):
        # "1..0": the test ran nothing. That is a skip, never a pass.
        c.skipped += 1
        reason = re.sub(r"^SKIP\S*\s*", "", (plans[0].group(2) or "").strip(), flags=re.I)
        c.skips.append((name, "the whole test", reason or "1..0"))
    elif not tap and result == "SKIP":
        c.skipped += 1
        c.skips.append((name, "the whole test", "exit status 77"))
    elif not tap and result in PASSING:
        c.passed += 1
    elif result not in PASSING + ("SKIP",) and c.failed == failed_before:
        # Failed with every printed check passing: a crash, a leak report at
        # exit, a timeout, or no TAP at all.
        c.failed += 1
    if bailed and c.failed == failed_before:
        c.failed += 1
    if SANITIZER.search(text) and c.failed == failed_before:
        c.failed += 1
        result += ", with a sanitizer report in its output"

    if c.failed > failed_before:
        rc = t.get("returncode")
        why = f"{result} (exit status {rc})" if rc is not None else result
        c.failures.append((name, why, excerpt(t)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("name")
    ap.add_argument("testlog")
    ap.add_argument("--registered", required=True,
                    help="`meson introspect --tests` of the build, as a file")
    ap.add_argument("--meson-status", type=int, required=True)
    ap.add_argument("--skips", help="append a line per skip here")
    args = ap.parse_args()
    label = args.name.replace(" ", "_")
    c = Count()
    problems = []

    try:
        with open(args.registered) as f:
            registered = collections.Counter(t["name"] for t in json.load(f))
    except (OSError, ValueError) as e:
        registered = collections.Counter()
        problems.append(f"the list of registered tests cannot be read: {e}")

    ran = collections.Counter()
    try:
        with open(args.testlog) as f:
            for line in f:
                t = json.loads(line)
                ran[short_name(t["name"])] += 1
                count_test(t, c)
    except (OSError, ValueError) as e:
        problems.append(f"{args.testlog} cannot be read ({e}): meson test did not finish")

    for name, n in sorted((registered - ran).items()):
        times = f" ({n} times)" if n > 1 else ""
        problems.append(f"{name} is registered but did not run{times}")
    if not registered and not problems:
        problems.append("no tests are registered at all")
    if args.meson_status != 0 and c.failed == 0 and not problems:
        problems.append(f"meson test exited with status {args.meson_status} "
                        "although no test failed")
    c.failed += len(problems)

    for name, why, lines in c.failures:
        print(f"   FAILED {name}: {why}", file=sys.stderr)
        for line in lines:
            print(f"   | {line}", file=sys.stderr)
    for p in problems:
        print(f"   FAILED {p}", file=sys.stderr)
    skip_lines = [f"SKIP {args.name} / {test}: {what}: {reason}" for test, what, reason in c.skips]
    for line in skip_lines:
        print("   " + line, file=sys.stderr)
    if args.skips and skip_lines:
        with open(args.skips, "a") as f:
            f.write("".join(line + "\n" for line in skip_lines))
    print(f"{label} {c.passed} {c.failed} {c.skipped}")


if __name__ == "__main__":
    main()
