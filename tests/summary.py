"""Count the checks in a meson testlog.json: every TAP line of a TAP test,
one check for any other test. Prints "NAME PASSED FAILED"."""
import json
import re
import sys

TAP = re.compile(r"^(not ok|ok)\b(.*)$")


def main(name, path):
    passed = failed = 0
    with open(path) as f:
        for line in f:
            t = json.loads(line)
            ok_result = t["result"] in ("OK", "EXPECTEDFAIL", "SKIP")
            tap = [TAP.match(l) for l in (t.get("stdout") or "").splitlines()]
            tap = [m for m in tap if m]
            if tap:
                for m in tap:
                    if m.group(1) == "ok":
                        passed += 1
                    else:
                        failed += 1
                # A TAP test that crashed after its last line still fails.
                if not ok_result and all(m.group(1) == "ok" for m in tap):
                    failed += 1
            elif ok_result:
                passed += 1
            else:
                failed += 1
    print(f"{name.replace(' ', '_')} {passed} {failed}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
