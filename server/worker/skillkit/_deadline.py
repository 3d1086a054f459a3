"""The soft deadline: SIGALRM raises DeadlineExceeded in the skill's own code.

The front's hard deadline kills the worker; this one comes earlier and
raises inside the handler (or inside the skill's module-level code while it
loads), so the author sees the line that was running. It is armed only while
skill code runs and disarmed before anything is returned to the front.

A worker answering request after request disarms with keep_timer: the
interval timer is left to run out, and the next request re-sets it only
when it is due earlier than the timer fires (a request that waited in the
queue has less time left). A signal that comes for an earlier request is
turned into the current one's timer, and one that comes between requests
is ignored. So a busy worker sets the timer about once per deadline's
length, where it made two setitimer calls per request. A skill that stops
the timer itself (signal.alarm(0) stops the same one) gets it set again by
the first request after it would have run out; a request before that has
only the front's hard deadline.
"""
from __future__ import annotations

try:
    # The signal module's functions without its enums (which would import
    # enum at every zygote start, see _runner): the same calls.
    import _signal as signal
except ImportError:
    import signal

import os
import time

from .errors import DeadlineExceeded

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

__all__ = ["install", "arm", "disarm", "last_seconds", "seconds_text"]

# armed: a deadline is running, due at time.monotonic() "due"; fires: when
# the interval timer set last runs out (None: it is not running).
_alarm = {"installed": False, "armed": False, "seconds": 0.0, "due": 0.0, "fires": None}


def seconds_text(seconds: float) -> str:
    """Seconds as said aloud: whole from one second up, else two decimals;
    below a hundredth, milliseconds (a request that waited long for a worker
    leaves its handler only a little of the soft deadline: never "0 seconds")."""
    if seconds < 0.01:
        millis = max(1, round(seconds * 1000))
        return "1 millisecond" if millis == 1 else f"{millis} milliseconds"
    amount = round(seconds) if seconds >= 1 else round(seconds, 2)
    return "1 second" if amount == 1 else f"{amount:g} seconds"


def last_seconds() -> float:
    """The length of the deadline armed last (what a DeadlineExceeded ran into)."""
    return _alarm["seconds"]


def _on_alarm(signum: int, frame: Any) -> None:
    """SIGALRM: interrupt whatever line of the skill is running."""
    _alarm["fires"] = None
    if not _alarm["armed"]:
        return
    left = _alarm["due"] - time.monotonic()
    if left > 0:
        # The timer of an earlier request: this one's deadline is later.
        _alarm["fires"] = _alarm["due"]
        signal.setitimer(signal.ITIMER_REAL, left)
        return
    _alarm["armed"] = False
    raise DeadlineExceeded(f"still running after {seconds_text(_alarm['seconds'])}")


def _forget_timer() -> None:
    """In a child just forked: the kernel did not copy the interval timer."""
    _alarm["fires"] = None


def install() -> Optional[str]:
    """Install the SIGALRM handler; return a warning when that is impossible."""
    if _alarm["installed"]:
        return None
    try:
        signal.signal(signal.SIGALRM, _on_alarm)
    except (ValueError, OSError, AttributeError) as exc:
        return f"no soft deadline in this process ({exc}); only the hard one applies"
    os.register_at_fork(after_in_child=_forget_timer)
    _alarm["installed"] = True
    return None


def arm(seconds: float) -> None:
    """Raise DeadlineExceeded in whatever runs seconds from now (0: no deadline)."""
    if seconds <= 0 or not _alarm["installed"]:
        return
    now = time.monotonic()
    due = now + seconds
    _alarm["seconds"] = seconds
    _alarm["due"] = due
    _alarm["armed"] = True
    fires = _alarm["fires"]
    # A timer that should have run out already was stopped by the skill
    # (signal.alarm and setitimer share it): it is set again.
    if fires is None or fires > due or fires <= now:
        _alarm["fires"] = due
        signal.setitimer(signal.ITIMER_REAL, seconds)


def disarm(keep_timer: bool = False) -> None:
    """Stop the deadline; safe to call when none is armed. keep_timer: leave
    the interval timer running (see the module docstring)."""
    # Clear the flag first: a signal already on its way is then ignored.
    _alarm["armed"] = False
    if not keep_timer and _alarm["fires"] is not None:
        _alarm["fires"] = None
        signal.setitimer(signal.ITIMER_REAL, 0)
