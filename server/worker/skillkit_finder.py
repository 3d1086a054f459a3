"""The finder of skillkit's bundled bytecode (see skillkit_bundle.py).

The worker runs this file's code, compiled into its bundle, right after
CPython starts, and calls install(). It uses only what CPython has loaded by
then (no os, no importlib package).

A module comes from the bundle only while its source file in the worker's
skillkit folder has the size and mtime it was compiled from; otherwise
find_spec answers None and the path finder reads it as before. Modules get
the same attributes as from a source file (``__file__`` and
``__spec__.origin`` the source's path, ``__cached__``, a package's
``__path__``), and their code names that path, so tracebacks, linecache and
skillkit's own frame filters see no difference.
"""
import _imp
import marshal
import posix
import sys
from _frozen_importlib import ModuleSpec


class BundleFinder:
    """A meta path finder and loader for the bundled skillkit modules."""

    def __init__(self, modules, folder):
        self._modules = modules
        self._package = folder.rstrip("/") + "/skillkit"

    def _origin(self, name, is_package):
        if is_package:
            return self._package + "/__init__.py"
        return self._package + "/" + name.rpartition(".")[2] + ".py"

    def find_spec(self, name, path=None, target=None):
        entry = self._modules.get(name)
        if entry is None:
            return None
        is_package, size, mtime_ns = entry[0], entry[1], entry[2]
        origin = self._origin(name, is_package)
        try:
            st = posix.stat(origin)
        except OSError:
            return None
        if st.st_size != size or st.st_mtime_ns != mtime_ns:
            return None
        spec = ModuleSpec(name, self, origin=origin, is_package=is_package)
        spec.has_location = True
        if is_package:
            spec.submodule_search_locations = [self._package]
        return spec

    def create_module(self, spec):
        return None

    def get_code(self, name):
        entry = self._modules[name]
        code = marshal.loads(entry[3])
        _imp._fix_co_filename(code, self._origin(name, entry[0]))
        return code

    def exec_module(self, module):
        exec(self.get_code(module.__spec__.name), module.__dict__)

    def is_package(self, name):
        return self._modules[name][0]

    def get_filename(self, name):
        return self._origin(name, self._modules[name][0])

    def get_source(self, name):
        with open(self.get_filename(name), encoding="utf-8") as f:
            return f.read()


def install(modules, folder):
    """Put a BundleFinder for modules, whose sources are in folder/skillkit,
    first on sys.meta_path."""
    sys.meta_path.insert(0, BundleFinder(modules, folder))
