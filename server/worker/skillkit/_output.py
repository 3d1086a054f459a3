"""Where a skill's prints go inside a worker: the server's log, line by line.

In a worker, file descriptors 1 and 2 are not the skill's to write (the
response travels on a socket, and ``invoke`` prints only the response on
stdout). The C side offers a built-in module ``_skillserver`` with
``log(text)``; ``install()`` puts writers in place of sys.stdout and
sys.stderr that send one record per line, cut at LOG_RECORD_BYTES (the same
16 KiB as LIMIT_LOG_RECORD_BYTES in server/base/ss_limits.h), and a handler on the
root logger so ``logging.info`` in a classic Lambda skill lands there too.
Most skills never import logging, so the handler is added when the skill
imports it (an import hook), not by importing it here. Under plain python3
(tests, authors' own scripts) nothing is replaced.
"""
from __future__ import annotations

import io
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging
    from typing import Any, Callable, Optional

__all__ = ["LineLog", "install", "flush", "set_request_id"]

#: The request being answered, for the logging records (Lambda's format).
_request = {"id": ""}


def set_request_id(request_id: Optional[str]) -> None:
    """Name the request that the next logging records belong to."""
    _request["id"] = request_id or ""


def _add_request_id(record: logging.LogRecord) -> bool:
    """A logging filter that adds aws_request_id to each record, as Lambda's
    runtime does."""
    record.aws_request_id = _request["id"]
    return True


def _configure_logging(module: Any) -> None:
    """Give the root logger of the logging module Lambda's format, as
    CloudWatch shows it (level, UTC time, request id), on the worker's
    stderr; unless it has a handler already."""
    root = module.getLogger()
    if root.handlers or len(_writers) < 2:
        return
    handler = module.StreamHandler(_writers[1])
    formatter = module.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
        "%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(_add_request_id)
    root.addHandler(handler)


class _LoggingHook:
    """An import hook (first on sys.meta_path) that lets logging load as
    usual and then configures it, the moment the skill first imports it."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != "logging":
            return None
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        import importlib.util

        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _ConfiguringLoader(spec.loader)
        return spec


class _ConfiguringLoader:
    """logging's own loader, which configures the module once it has run."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self._loader.exec_module(module)
        _configure_logging(module)

    def __getattr__(self, name: str) -> Any:
        # get_source, get_filename, is_package...: the real loader's.
        return getattr(self._loader, name)

#: One log record at most, in UTF-8 bytes (LIMIT_LOG_RECORD_BYTES).
LOG_RECORD_BYTES = 16 * 1024

_CUT = " [line cut: too long]"

_writers: list["LineLog"] = []


class LineLog(io.TextIOBase):
    """A text stream that hands each complete line to ``sink``.

    A line longer than LOG_RECORD_BYTES is sent cut, with a marker, and the
    rest of it is dropped, so a runaway ``print`` in a loop without newlines
    cannot grow memory. ``flush()`` sends an unfinished line as it is.
    """

    def __init__(self, sink: Callable[[str], None], name: str) -> None:
        super().__init__()
        self._sink = sink
        self._name = name
        self._pending: list[str] = []
        self._pending_chars = 0
        self._dropping = False

    @property
    def name(self) -> str:
        return self._name

    @property
    def encoding(self) -> str:
        return "utf-8"

    @property
    def errors(self) -> Optional[str]:
        return "replace"

    @property
    def line_buffering(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        start = 0
        while True:
            newline = text.find("\n", start)
            if newline < 0:
                self._collect(text[start:])
                break
            self._collect(text[start:newline])
            self._end_line()
            start = newline + 1
        return len(text)

    def flush(self) -> None:
        if self._pending or self._dropping:
            self._end_line()

    def _collect(self, piece: str) -> None:
        if not piece or self._dropping:
            return
        self._pending.append(piece)
        self._pending_chars += len(piece)
        if self._pending_chars > LOG_RECORD_BYTES:
            # Already too long whatever the encoding: send the cut line now
            # and ignore the rest of it.
            self._emit("".join(self._pending))
            self._pending.clear()
            self._pending_chars = 0
            self._dropping = True

    def _end_line(self) -> None:
        if self._dropping:
            self._dropping = False
        else:
            self._emit("".join(self._pending))
        self._pending.clear()
        self._pending_chars = 0

    def _emit(self, line: str) -> None:
        data = line.encode("utf-8", "replace")
        if len(data) > LOG_RECORD_BYTES:
            keep = LOG_RECORD_BYTES - len(_CUT)
            line = data[:keep].decode("utf-8", "ignore") + _CUT
        else:
            line = data.decode("utf-8")
        try:
            self._sink(line)
        except Exception:  # noqa: BLE001 - a lost log line must not fail the skill
            pass


def install() -> bool:
    """Send sys.stdout, sys.stderr and logging to ``_skillserver.log``.

    Returns True when this process is a worker (the module exists); does
    nothing the second time.
    """
    try:
        import _skillserver  # type: ignore[import-not-found]  # built into the worker
    except ImportError:
        return False
    if _writers:
        return True
    out = LineLog(_skillserver.log, "<skill stdout>")
    err = LineLog(_skillserver.log, "<skill stderr>")
    _writers.extend((out, err))
    sys.stdout = out
    sys.stderr = err
    # input() must fail at once instead of reading the worker's descriptor 0.
    sys.stdin = io.StringIO()
    if "logging" in sys.modules:
        _configure_logging(sys.modules["logging"])
    else:
        sys.meta_path.insert(0, _LoggingHook())
    return True


def flush() -> None:
    """Send unfinished lines, so one request's output never joins the next's."""
    for writer in _writers:
        if writer._pending or writer._dropping:  # what flush() would check, without the call
            writer.flush()
