"""Debian's Python packages (/usr/lib/python3/dist-packages) are importable
from a skill, although the worker starts Python without site: at import
time through importlib.metadata, at request time through an import. meson
is one such package that every machine building skillserver has. Standard
modules that look for Windows or Jython modules (pathlib, subprocess, copy)
do not make the zygote add site packages."""
import copy  # noqa: F401
import os
import pathlib  # noqa: F401
import subprocess  # noqa: F401
import sys

from skillkit import intent

SITE_AT_START = "site" in sys.modules

import importlib.metadata  # noqa: E402

MESON = importlib.metadata.version("meson")


@intent("ThankYouIntent")
def thanks(req):
    import mesonbuild

    return (f"site at start {SITE_AT_START}, meson {MESON} from "
            f"{os.path.dirname(os.path.dirname(mesonbuild.__file__))}")
