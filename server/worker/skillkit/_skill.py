"""The skill loaded in this process: its names, its files and its handlers."""
from __future__ import annotations

import os

from . import _jsontext
from ._registry import Handler, Registry

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

__all__ = ["Skill", "PACKAGE_DIR", "read_json"]

#: skillkit's own folder: frames in it are not the author's.
PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class Skill:
    """What loading one skill found; the runner keeps one at a time."""

    def __init__(self, name: str, path: str, dev: bool, handler: Optional[str] = None) -> None:
        self.name = name
        self.path = path
        self.handler = handler
        # The code folder: the file's folder, above the packages a dotted
        # handler ("package.module.function") names.
        self.folder = os.path.dirname(path)
        if handler:
            for _ in range(handler.rpartition(".")[0].count(".")):
                self.folder = os.path.dirname(self.folder)
        self.dev = dev
        self.module_name = "_skill_" + "".join(c if c.isalnum() else "_" for c in name)
        self.registry = Registry()
        self.lambda_handler: Optional[Handler] = None
        self.style = ""
        self.locale = "en-US"
        self.added_path = False
        self.load_error: Optional[dict] = None
        #: The interaction model the server found ("" for none); None: model.json
        #: beside the code, when there is one.
        self.model: Optional[str] = None
        #: skillkit's own answers for what the skill does not handle (_defaults).
        self.defaults: dict[str, Handler] = {}
        #: The top-level names of the packages installed beside the code.
        self._installed_names: Optional[frozenset] = None

    def model_file(self) -> Optional[str]:
        """The path of the skill's interaction model, or None when it has none."""
        if self.model is None:
            path = os.path.join(self.folder, "model.json")
            return path if os.path.exists(path) else None
        return self.model or None

    def owns(self, filename: Optional[str]) -> bool:
        """True when filename lies in the skill's folder."""
        if not filename:
            return False
        return os.path.abspath(filename).startswith(self.folder + os.sep)

    def relative(self, filename: str) -> str:
        """The path of filename, in the skill's folder, from that folder
        ("ask_sdk_runtime/dispatch.py")."""
        return os.path.relpath(os.path.abspath(filename), self.folder)

    def vendored(self, filename: Optional[str]) -> bool:
        """True when filename lies in a package installed beside the code
        (``pip install -t``), which a *.dist-info or *.egg-info names: not
        the author's own code. Read on errors only."""
        if not filename or not self.owns(filename):
            return False
        top = self.relative(filename).split(os.sep, 1)[0]
        return (top[:-3] if top.endswith(".py") else top) in self._installed()

    def _installed(self) -> frozenset:
        if self._installed_names is None:
            names: set[str] = set()
            try:
                entries = os.listdir(self.folder)
            except OSError:
                entries = []
            for entry in entries:
                if entry.endswith((".dist-info", ".egg-info")):
                    meta = os.path.join(self.folder, entry)
                    names.update(_tops(os.path.join(meta, "top_level.txt"), False))
                    names.update(_tops(os.path.join(meta, "RECORD"), True))
            names.discard("")
            self._installed_names = frozenset(names)
        return self._installed_names


def _tops(path: str, record: bool) -> list[str]:
    """The top-level modules a top_level.txt lists, or (record) the first
    parts of the paths a RECORD lists, without the installer's own
    folders; [] when the file cannot be read. At most 4 MiB is read."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read(4 << 20)
    except OSError:
        return []
    tops = []
    for line in text.splitlines():
        first = line.split(",", 1)[0].split("/", 1)[0].strip() if record else line.strip()
        if first.endswith(".py"):
            first = first[:-3]
        if first and first not in ("..", "__pycache__") and not first.endswith(
                (".dist-info", ".egg-info", ".data")):
            tops.append(first)
    return tops


def read_json(path: str) -> Any:
    """The JSON document in the file at path (OSError, ValueError)."""
    with open(path, encoding="utf-8") as f:
        return _jsontext.loads(f.read())
