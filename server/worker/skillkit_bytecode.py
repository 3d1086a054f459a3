"""Compile the installed skillkit package to bytecode (meson install).

Run by meson after copying the package: MESON_INSTALL_DESTDIR_PREFIX is
where the files are now (with DESTDIR), MESON_INSTALL_PREFIX where they
will be used; the bytecode names the latter, so tracebacks show the real
paths. The worker's Python never writes bytecode (its package is read-only
in the sandbox), so without these files every zygote would compile
skillkit again.
"""
import compileall
import os
import sys


def main():
    pythondir = sys.argv[1]
    staged = os.path.join(os.environ["MESON_INSTALL_DESTDIR_PREFIX"], pythondir, "skillkit")
    final = os.path.join(os.environ["MESON_INSTALL_PREFIX"], pythondir, "skillkit")
    if not compileall.compile_dir(staged, ddir=final, quiet=1, force=True):
        print("cannot compile skillkit's bytecode in " + staged, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
