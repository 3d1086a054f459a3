#!/bin/sh
# tests/lint.sh SOURCE_ROOT - checks that keep the code as STYLE.md wants it,
# in TAP: only server/worker/python.c includes Python.h (one owner of every CPython
# call), every C file is formatted by the project's .clang-format (the
# two X-macro headers, laid out by hand, are left out), and pyflakes finds no
# undefined name or unused import in the project's Python (skillkit, the
# bundled skills, the tests and their tools; the skills under tests/data/skills are broken on
# purpose, so they are left out).
set -u
root=${1:-.}
cd "$root" || exit 1
n=0
fail=0
check() {
    n=$((n + 1))
    if [ "$1" = 0 ]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"
        fail=1
    fi
}

c_files=$(find server ssml tests -name node_modules -prune -o -type f \( -name '*.c' -o -name '*.h' \) -print | sort)
outside=$(grep -l -E '#include *[<"]Python\.h[>"]' $c_files 2>/dev/null | grep -v '^server/worker/python\.c$' || true)
[ -z "$outside" ]
check $? "Python.h is included only by server/worker/python.c${outside:+ (also: $outside)}"

if command -v clang-format >/dev/null 2>&1; then
    for f in $c_files; do
        case $f in server/base/error.h | server/alexa/request.h) continue ;; esac
        clang-format --dry-run -Werror "$f" >/dev/null 2>&1
        check $? "$f is formatted (clang-format -i $f)"
    done
else
    check 1 "clang-format is installed (apt-get install clang-format)"
fi
py_files=$(find server skills ssml tests -name node_modules -prune -o -path tests/data/skills -prune -o \
    -type f -name '*.py' -print | sort)
if command -v pyflakes3 >/dev/null 2>&1; then
    for f in $py_files; do
        out=$(pyflakes3 "$f" 2>&1)
        check $? "$f: pyflakes finds nothing${out:+ ($(echo "$out" | head -3 | tr '\n' ';'))}"
    done
else
    check 1 "pyflakes is installed (apt-get install python3-pyflakes)"
fi
echo "1..$n"
exit $fail
