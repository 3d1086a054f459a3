#!/usr/bin/env python3
"""tests/layers.py BUILD_ROOT - the parts of server/ are layered, and the
build enforces it.

Each part is one static library compiled with its own headers and those of
the parts below it (server/meson.build). This test takes the real compile
command of one file of each part from the build's compile_commands.json and
compiles, with exactly those flags, a file that includes one header of every
part: the headers of the part and the parts below must be found, every
header of a part above must not. A part that could include upward would make
this fail, and so would a part that could not see what lies below it.

Speaks TAP.
"""
import json
import os
import shlex
import subprocess
import sys
import tempfile

# Bottom to top, with one header each part owns. ssml/ sits on base and is
# seen from the pipeline up.
LAYERS = [
    ("base", "server/base/", "error.h"),
    ("ssml", "ssml/", "ssml.h"),
    ("alexa", "server/alexa/", "request.h"),
    ("catalog", "server/catalog/", "skill.h"),
    ("verify", "server/verify/", "verify.h"),
    ("worker", "server/worker/", "pool.h"),
    ("pipeline", "server/pipeline/", "dispatch.h"),
    ("classroom", "server/classroom/", "say.h"),
    ("class", "server/class/", "class.h"),
    ("front", "server/front/", "http.h"),
]
# What each part may see besides itself: everything below it, except that
# ssml is not seen by the parts between base and the pipeline.
SEES = {
    "base": {"base"},
    "ssml": {"base", "ssml"},
    "alexa": {"base", "alexa"},
    "catalog": {"base", "alexa", "catalog"},
    "verify": {"base", "alexa", "catalog", "verify"},
    "worker": {"base", "alexa", "catalog", "verify", "worker"},
    "pipeline": {"base", "ssml", "alexa", "catalog", "verify", "worker", "pipeline"},
    "classroom": {"base", "ssml", "alexa", "catalog", "verify", "worker", "pipeline",
                  "classroom"},
    "class": {"base", "ssml", "alexa", "catalog", "verify", "worker", "pipeline",
              "classroom", "class"},
    "front": {name for name, _, _ in LAYERS},
}


def flags_of(entry):
    """The preprocessor flags of one compile command."""
    args = entry["arguments"] if "arguments" in entry else shlex.split(entry["command"])
    keep, i = [args[0]], 1
    while i < len(args):
        a = args[i]
        if a in ("-I", "-isystem", "-D"):
            keep += [a, args[i + 1]]
            i += 2
            continue
        if a.startswith(("-I", "-D", "-std=", "-isystem")):
            keep.append(a)
        i += 1
    return keep


def main():
    build = os.path.abspath(sys.argv[1])
    source = os.path.abspath(os.environ.get("SOURCE_ROOT", os.path.join(build, "..")))
    with open(os.path.join(build, "compile_commands.json")) as f:
        commands = json.load(f)
    n, failed = 0, False
    with tempfile.TemporaryDirectory() as tmp:
        for part, folder, _ in LAYERS:
            entry = next((e for e in commands
                          if os.path.relpath(os.path.join(e["directory"], e["file"]),
                                             source).startswith(folder)
                          and e["file"].endswith(".c")), None)
            n += 1
            if entry is None:
                print(f"not ok {n} - a compile command for a file of {folder}")
                failed = True
                continue
            print(f"ok {n} - a compile command for a file of {folder}")
            flags = flags_of(entry)
            for other, other_folder, header in LAYERS:
                probe = os.path.join(tmp, f"{part}_{other}.c")
                with open(probe, "w") as f:
                    f.write(f'#include "{header}"\nint layers_probe(void);\n'
                            'int layers_probe(void) { return 0; }\n')
                r = subprocess.run(flags + ["-fsyntax-only", probe], cwd=entry["directory"],
                                   capture_output=True, text=True)
                n += 1
                want = other in SEES[part]
                if want and r.returncode == 0:
                    print(f"ok {n} - {part} can include {other_folder}{header}")
                elif not want and r.returncode != 0 and "No such file" in r.stderr:
                    print(f"ok {n} - {part} cannot include {other_folder}{header} (above it)")
                else:
                    failed = True
                    print(f"not ok {n} - {part} {'can' if want else 'cannot'} include "
                          f"{other_folder}{header}")
                    for line in r.stderr.splitlines()[:5]:
                        print(f"# {line}")
    print(f"1..{n}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
