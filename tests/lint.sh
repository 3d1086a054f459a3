#!/bin/sh
# tests/lint.sh SOURCE_ROOT - checks that keep the code as STYLE.md wants it,
# in TAP: only server/worker/python.c includes Python.h (one owner of every CPython
# call), and every C file is formatted by the project's .clang-format (the
# two X-macro headers, laid out by hand, are left out).
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
echo "1..$n"
exit $fail
