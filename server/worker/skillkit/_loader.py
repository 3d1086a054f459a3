"""Loading a skill: its file imported under a private name, with its folder on sys.path.

A skill's folder is looked over first (files the workers cannot read, a
requirements.txt whose packages are missing, siblings named like a standard
module); then its file is imported under the soft deadline, with the
decorators filling the skill's registry; then what the import left decides
the style: skillkit handlers, else a classic ``lambda_handler``. Every
failure is an ERROR of kind "load"; what works but is probably not meant is
a warning.
"""
from __future__ import annotations

import os
import sys

from . import _deadline, _defaults, _message, _model_check, _output, _sdk_store
from ._diagnose import describe_type, exception_error, missing_module, sentence, short, where
from ._registry import Handler, registering
from ._skill import PACKAGE_DIR, Skill, read_json
from .errors import SkillDefinitionError

try:
    # What importlib.util exports under these names, from the modules behind
    # importlib._bootstrap and _bootstrap_external, which every CPython has
    # loaded: importlib.util brings contextlib (and with it collections and
    # functools), and even the importlib package brings warnings (see _runner).
    from _frozen_importlib import module_from_spec
    from _frozen_importlib_external import spec_from_file_location
except ImportError:
    from importlib.util import module_from_spec, spec_from_file_location

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

__all__ = ["new_skill", "load", "unload"]

LOAD = _message.KIND_LOAD


def new_skill(name: str, path: str, dev: bool, handler: Optional[str] = None,
              model: Optional[str] = None) -> Skill:
    """A Skill for the file at path, not loaded yet; model as _runner.load() takes it."""
    skill = Skill(name, os.path.abspath(path), dev, handler)
    skill.model = model
    skill.defaults = _defaults.make(skill)
    return skill


def unload(old: Optional[Skill]) -> None:
    """Forget a loaded skill: its module, its folder on sys.path, its siblings."""
    if old is None:
        return
    sys.modules.pop(old.module_name, None)
    if not old.added_path:
        # Nothing of the skill ran, or its folder was on sys.path already
        # (then its modules are not the skill's alone): leave them be.
        return
    if old.folder in sys.path:
        sys.path.remove(old.folder)
    prefix = old.folder + os.sep
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if not isinstance(file, str):
            continue
        file = os.path.abspath(file)
        if file.startswith(prefix) and not file.startswith(PACKAGE_DIR + os.sep):
            del sys.modules[name]


def _invalidate_caches() -> None:
    """importlib.invalidate_caches(), without importing importlib."""
    for finder in sys.meta_path:
        if hasattr(finder, "invalidate_caches"):
            finder.invalidate_caches()


def _skill_locale(skill: Skill) -> str:
    try:
        manifest = read_json(os.path.join(skill.folder, "skill.json"))
    except (OSError, ValueError):
        return "en-US"
    locale = manifest.get("locale") if isinstance(manifest, dict) else None
    return locale if isinstance(locale, str) and locale else "en-US"


def _shadow_warnings(skill: Skill) -> list[str]:
    """Sibling modules that `import` would never find (stdlib comes first)."""
    warnings = []
    try:
        entries = sorted(os.listdir(skill.folder))
    except OSError:
        return warnings
    for entry in entries:
        stem, ext = os.path.splitext(entry)
        if ext != ".py" or stem == "skill":
            continue
        if stem in sys.stdlib_module_names or stem in ("skillkit", "_skillserver"):
            warnings.append(f"{entry} has the same name as Python's {stem} module, so "
                            f"'import {stem}' gets Python's, not yours. Rename the file.")
    return warnings



#: At most this many files and folders are looked at for unreadable ones at
#: load time (a vendored SDK has a few thousand).
READABLE_CHECK_ENTRIES = 20000


def _unreadable(folder: str) -> Optional[str]:
    """The first folder or Python file under folder this process cannot read."""
    seen = 0
    for top, dirs, files in os.walk(folder, onerror=None):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d != "__pycache__"]
        for d in dirs:
            full = os.path.join(top, d)
            if not os.access(full, os.R_OK | os.X_OK):
                return full
        for f in files:
            full = os.path.join(top, f)
            if f.endswith((".py", ".json", ".txt")) and not os.access(full, os.R_OK):
                return full
        seen += len(dirs) + len(files)
        if seen > READABLE_CHECK_ENTRIES:
            break
    if not os.access(folder, os.R_OK | os.X_OK):
        return folder
    return None


def _vendored_index() -> int:
    """Where the code folder goes on sys.path: before the first folder of
    installed packages (site-packages, dist-packages)."""
    for i, entry in enumerate(sys.path):
        if entry.endswith(("site-packages", "dist-packages")):
            return i
    return len(sys.path)


class _SitePackages:
    """The system's site packages, added the first time an import needs them.

    The worker starts Python without ``site`` (server/worker/python.c):
    adding the site-packages folders and running their .pth files and
    sitecustomize took a tenth of a zygote's start, and a skill that imports
    only the standard library, skillkit and its own files never needs them.
    This finder sits last on sys.meta_path, so it is asked only about a
    module that nothing else found (or, by importlib.metadata, about
    installed distributions): it then runs ``site.main()``, which is what
    python3 runs at start, takes itself off the list and looks again in the
    folders that site added. sys.path ends as python3 would have it: the
    standard library, skillkit, the skill's folder, then site packages.
    """

    @classmethod
    def install(cls) -> None:
        if sys.flags.no_site and "site" not in sys.modules and cls not in sys.meta_path:
            sys.meta_path.append(cls)

    @classmethod
    def _add(cls) -> list[str]:
        """Run site once; the sys.path entries it added."""
        if cls in sys.meta_path:
            sys.meta_path.remove(cls)
        before = set(sys.path)
        import site

        site.main()
        return [entry for entry in sys.path if entry not in before]

    #: Modules that the standard library tries to import and does without
    #: on Linux (pathlib, subprocess, copy...: Windows and Jython modules).
    #: Looking for them is no reason to add site packages, unless one of
    #: the usual site folders really holds one.
    PROBES = ("nt", "_winapi", "msvcrt", "org")

    @staticmethod
    def _in_usual_folders(name: str) -> bool:
        version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
        for prefix in {sys.prefix, sys.exec_prefix}:
            for folder in (os.path.join(prefix, "local", "lib", version, "dist-packages"),
                           os.path.join(prefix, "lib", "python3", "dist-packages"),
                           os.path.join(prefix, "lib", version, "dist-packages"),
                           os.path.join(prefix, "lib", version, "site-packages")):
                if os.path.exists(os.path.join(folder, name)) or \
                        os.path.exists(os.path.join(folder, name + ".py")):
                    return True
        return False

    @classmethod
    def find_spec(cls, name: str, path: Any = None, target: Any = None) -> Any:
        if path is not None:
            return None  # a submodule: its package's own folders decide
        if name in cls.PROBES and not cls._in_usual_folders(name):
            return None
        added = cls._add()
        from importlib.machinery import PathFinder

        return PathFinder.find_spec(name, added, target) if added else None

    @classmethod
    def find_distributions(cls, context: Any = None) -> Any:
        added = cls._add()
        from importlib.metadata import DistributionFinder, MetadataPathFinder

        name = getattr(context, "name", None)
        return MetadataPathFinder.find_distributions(
            DistributionFinder.Context(name=name, path=added))


#: Distributions whose module has another name than the distribution.
_MODULE_OF = {"python-dateutil": "dateutil", "pyyaml": "yaml", "beautifulsoup4": "bs4",
              "pillow": "PIL", "ask-sdk": "ask_sdk_core", "scikit-learn": "sklearn"}


def _requirements(folder: str) -> dict[str, str]:
    """requirements.txt beside the code: {module name: requirement name}."""
    found: dict[str, str] = {}
    try:
        with open(os.path.join(folder, "requirements.txt"), encoding="utf-8") as f:
            lines = f.read().splitlines()
    except (OSError, ValueError):
        return found
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        req = ""
        for ch in line:
            if not (ch.isalnum() or ch in "._-"):
                break
            req += ch
        if req:
            module = _MODULE_OF.get(req.lower(), req.replace("-", "_").replace(".", "_"))
            found[module] = req
    return found


def _pip_hint(skill: Skill) -> str:
    return (f"run pip install -r requirements.txt -t . in {skill.folder} on a machine that has "
            f"pip, so the package sits beside your code")


def _missing_warnings(skill: Skill, requirements: dict[str, str]) -> list[str]:
    """A warning for each requirement that cannot be imported."""
    warnings: list[str] = []
    if not requirements:
        return warnings
    import importlib.metadata  # costs more than the rest of a load: only when needed
    import importlib.util
    for module, req in requirements.items():
        try:
            importlib.metadata.distribution(req)
            continue
        except Exception:  # noqa: BLE001 - any failure means "not found"
            pass
        try:
            if importlib.util.find_spec(module) is not None:
                continue
        except (ImportError, ValueError):
            pass
        warnings.append(f"requirements.txt lists {req}, but it is not installed beside the "
                        f"code: {_pip_hint(skill)}")
    return warnings


def _explain_missing(skill: Skill, missing: str, requirements: dict[str, str],
                     error: dict) -> None:
    """Make a load error for a missing module say how to vendor it."""
    top = missing.split(".")[0]
    req = requirements.get(top) or next(
        (r for m, r in requirements.items() if m.lower() == top.lower()), None)
    if req is None:
        return
    error[_message.MESSAGE] = (f"No module named {missing!r}: requirements.txt lists {req}, "
                               f"but it is not installed: {_pip_hint(skill)}")
    error[_message.SPOKEN] = (f"{skill.name} needs the package {req}, which is not installed. "
                              f"The log says how to install it.")


def _failed(skill: Skill, error: dict) -> dict:
    """The HELLO of a skill that did not load; handle() answers with the same ERROR."""
    skill.load_error = error
    return _message.failed(error)


def load(skill: Skill, soft_seconds: float) -> dict:
    """Import skill (from new_skill) and return its HELLO as a dict.

    Module-level code of the skill runs under a soft deadline of
    soft_seconds. On failure skill.load_error is the ERROR.
    """
    name, path = skill.name, skill.path
    _output.install()
    # (text, JSON path in model.json or None), in the order they were found.
    warnings: list[tuple[str, Optional[str]]] = []
    alarm_warning = _deadline.install()
    if alarm_warning:
        warnings.append((alarm_warning, None))

    if not os.path.isfile(path):
        return _failed(skill, _message.error(
            LOAD, f"{path} does not exist or is not a file",
            f"{name} has no skill.py file. Put your skill in skills/{name}/skill.py.",
            type_="FileNotFoundError", file=path))
    skill.locale = _skill_locale(skill)
    unreadable = _unreadable(skill.folder)
    if unreadable:
        return _failed(skill, _message.error(
            LOAD, f"{unreadable} cannot be read by the skill's workers (they run as another "
            f"user, with only read access): let everyone read the skill's files, for example "
            f"with chmod -R a+rX {skill.folder}",
            f"{name} cannot be loaded: some of its files cannot be read. The log says which.",
            type_="PermissionError", file=unreadable))
    _SitePackages.install()
    _sdk_store.install()
    if skill.folder not in sys.path:
        # Before the system's packages, so that packages vendored beside the
        # code (pip install -t) win, as on Lambda; after the standard library
        # and skillkit, so that a sibling file sharing a name with them does
        # not break the skill.
        sys.path.insert(_vendored_index(), skill.folder)
        skill.added_path = True
    requirements = _requirements(skill.folder)
    warnings.extend((text, None) for text in _missing_warnings(skill, requirements))

    # Directory listings are cached by the import system; a sibling module
    # written a moment ago (tests, --dev reloads) must be found.
    _invalidate_caches()
    spec = spec_from_file_location(skill.module_name, path)
    if spec is None or spec.loader is None:
        return _failed(skill, _message.error(
            LOAD, f"{path} cannot be imported as a Python module",
            f"{name} cannot be loaded: skill.py is not a Python file.", file=path))
    module = module_from_spec(spec)
    sys.modules[skill.module_name] = module
    try:
        with registering(skill.registry):
            _deadline.arm(soft_seconds)
            try:
                spec.loader.exec_module(module)
            finally:
                _deadline.disarm()
    except BaseException as exc:  # noqa: BLE001 - any failure of the import is a load error
        sys.modules.pop(skill.module_name, None)
        error = exception_error(LOAD, exc, skill)
        missing = missing_module(exc)
        if missing is not None:
            _explain_missing(skill, missing, requirements, error)
        return _failed(skill, error)
    finally:
        _output.flush()
    if _sdk_store.taken_over:
        warnings.append((f"{' and '.join(_sdk_store.taken_over)} keeps the persistent "
                         f"attributes in skillserver's store, not on AWS: the skill has no "
                         f"AWS credentials of its own (give it some under \"environment\" "
                         f"in skillserver.json to keep them on AWS)", None))
    return _choose_style(skill, module, warnings)


def _choose_style(skill: Skill, module: Any, warnings: list[tuple[str, Optional[str]]]
                  ) -> dict:
    """The HELLO once the module imported: skillkit handlers, else lambda_handler."""
    name, path = skill.name, skill.path
    registry = skill.registry
    function_name = skill.handler.rpartition(".")[2] if skill.handler else "lambda_handler"
    lambda_fn = getattr(module, function_name, None)
    if skill.handler and lambda_fn is None and not registry.routes:
        return _failed(skill, _message.error(
            LOAD, f"the handler {skill.handler} names a function {function_name}, but "
            f"{os.path.basename(path)} has no {function_name}",
            f"{name} has no function called {function_name} in {os.path.basename(path)}. "
            f"Check the handler in the skill's settings.", file=path))
    # Neither decorators nor lambda_handler: the skill's plain functions are
    # its handlers, and its model is inferred from them (_plain, imported
    # only for such a skill).
    inferred: Optional[dict] = None
    undecorated = (not registry.routes and not registry.before and not registry.after
                   and registry.error is None and not callable(lambda_fn))
    if undecorated:
        from . import _plain

        if not _plain.takes_req(module):
            inferred, plain_warnings = _plain.infer(name, module, registry, skill.locale)
            warnings.extend((text, None) for text in plain_warnings)
    if registry.routes:
        skill.style = _message.STYLE_SKILLKIT
        handlers = registry.names()
        if lambda_fn is not None:
            warnings.append(("lambda_handler is not used: the skill has skillkit handlers, "
                             "and they answer every request", None))
        if ("type", "LaunchRequest") not in registry.routes and inferred is None:
            warnings.append(("no @launch handler: opening the skill gets the default welcome",
                             None))
        warnings.extend(_model_check.warnings(skill))
    elif callable(lambda_fn):
        try:
            skill.lambda_handler = Handler(lambda_fn, "lambda", function_name)
        except SkillDefinitionError as exc:
            return _failed(skill, _message.error(
                LOAD, str(exc), sentence(
                    f"There is a mistake in {where(skill, path, None)}: {short(str(exc))}"),
                type_="SkillDefinitionError", file=path,
                line=getattr(getattr(lambda_fn, "__code__", None), "co_firstlineno", None),
                function="lambda_handler"))
        skill.style = _message.STYLE_LAMBDA
        handlers = [function_name]
        if registry.before or registry.after or registry.error:
            warnings.append(("@before, @after and @error are not used by a lambda_handler "
                             "skill", None))
    else:
        if lambda_fn is not None:
            detail = (f"lambda_handler in {os.path.basename(path)} is "
                      f"{describe_type(lambda_fn)}, not a function")
        elif registry.before or registry.after or registry.error:
            detail = "it has @before, @after or @error functions but no handler"
        elif undecorated and _plain.takes_req(module):
            detail = ("it has no handlers: its functions take req, so they need a decorator "
                      "to say what they answer (a plain function takes only its slots)")
        else:
            detail = "it has no handlers"
        message = (f"{detail}: write a function, such as def hello(): return \"Hi!\", "
                   f"or put @launch or @intent(\"Name\") from skillkit above one, or "
                   f"define lambda_handler(event, context)")
        spoken = (f"{name} has no handlers. Write a function that returns what to say, "
                  f"put @launch or @intent above a function, or write a function called "
                  f"lambda_handler.")
        return _failed(skill, _message.error(LOAD, message, spoken, file=path))
    warnings.extend((text, None) for text in _shadow_warnings(skill))
    # The inferred model reaches the server only when the skill has none of
    # its own: an explicit model wins.
    model = inferred if inferred is not None and skill.model_file() is None else None
    return _message.loaded(skill.style, handlers, warnings, model)
