"""The ``context`` argument of a classic ``lambda_handler(event, context)``.

It carries the attributes AWS Lambda's Python context object has, with values
that make sense on skillserver: the function is the skill, the request id is
Alexa's, and the remaining time counts down to the soft deadline (the real
one: the handler is interrupted then), counted from the request's arrival. The rest are
harmless fixed strings, so code that logs them keeps working.
"""
from __future__ import annotations

import os
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

__all__ = ["LambdaContext", "DEFAULT_BUDGET_MS"]

#: Time a handler is told it has when the server gives no deadline (the
#: server's default hard deadline, LIMIT_HANDLER_TIMEOUT_MS_DEFAULT).
DEFAULT_BUDGET_MS = 6000


class LambdaContext:
    """What AWS Lambda passes as ``context``, for one request."""

    def __init__(self, function_name: str, aws_request_id: Optional[str],
                 soft_ms: int = 0, start: Optional[float] = None) -> None:
        env = os.environ
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME", function_name)
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        region = env.get("AWS_REGION", "local")
        self.invoked_function_arn = (
            f"arn:aws:lambda:{region}:000000000000:function:{self.function_name}")
        # A str, as in AWS's runtime (it comes from an environment variable
        # there): the memory above which the server recycles a worker.
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.aws_request_id = aws_request_id or ""
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME",
                                      f"/aws/lambda/{self.function_name}")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME", "skillserver")
        self.identity: Any = None
        self.client_context: Any = None
        budget = soft_ms if soft_ms > 0 else DEFAULT_BUDGET_MS
        self._deadline = (time.monotonic() if start is None else start) + budget / 1000.0

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the handler is interrupted."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))

    def __repr__(self) -> str:
        return (f"LambdaContext(function_name={self.function_name!r}, "
                f"aws_request_id={self.aws_request_id!r})")
