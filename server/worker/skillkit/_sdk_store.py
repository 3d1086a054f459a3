"""The ASK SDK's persistence adapters, kept in skillserver's store.

A skill built on the ASK SDK for Python keeps persistent attributes with an
adapter that calls AWS: ``ask_sdk_s3.adapter.S3Adapter`` (what Alexa-hosted
skills and Amazon's Cake Time tutorial use) or
``ask_sdk_dynamodb.adapter.DynamoDbAdapter`` (``StandardSkillBuilder``). On
Lambda the function's execution role pays for those calls. Here there is no
role: unless the skill was given AWS credentials of its own (in the
``"environment"`` of its skillserver.json), every call could only fail. So
then the adapters keep the attributes where ``req.persistent`` is kept, in
skillserver's store: per skill and user, read before the request, saved
only after a good answer, and never lost to another request of the same
user (the server runs the handler again when one saved first).

How: an import hook, asked first about every import, lets the adapter's
module load as it is (with a region set for the while, since the DynamoDB
module makes a boto3 resource as a default argument), then gives the class
an ``__init__`` that keeps its arguments and calls nothing of AWS, and
``get_attributes``, ``save_attributes`` and ``delete_attributes`` that
work on this request's attributes. The runner hands those in with
``begin()`` and takes what was saved with ``end()``.

The store knows the user; the adapter's key generator (user id, or device
id) is kept on the adapter but not used.
"""
from __future__ import annotations

import os
import sys

from . import _jsontext
from ._persist import canonical, find_unsaveable, saveable_text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

__all__ = ["install", "begin", "end", "taken_over"]

#: module -> (class, the names of its __init__'s parameters, in order).
ADAPTERS = {
    "ask_sdk_s3.adapter": ("S3Adapter", ("bucket_name", "path_prefix", "s3_client",
                                         "object_keygen")),
    "ask_sdk_dynamodb.adapter": ("DynamoDbAdapter", (
        "table_name", "partition_key_name", "attribute_name", "create_table",
        "partition_keygen", "dynamodb_resource")),
}

#: Where boto3 finds credentials other than a file in a home folder the
#: sandbox does not have.
CREDENTIALS = ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE",
               "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI")

#: "S3Adapter of ask_sdk_s3.adapter", for each class given our methods.
taken_over: list[str] = []


def has_aws_credentials() -> bool:
    return any(os.environ.get(name) for name in CREDENTIALS)


class _Request:
    """This request's attributes, as JSON texts: what the store gave, and
    what the skill saved (None: nothing)."""

    def __init__(self, original: str) -> None:
        self.original = original
        self.saved: Optional[str] = None


_current: Optional[_Request] = None


def begin(attributes: Any) -> None:
    """A request starts: attributes are the user's, from the store (None:
    none yet)."""
    global _current
    if not taken_over:
        return
    try:
        text = canonical(attributes if isinstance(attributes, dict) else {})
    except (TypeError, ValueError):
        text = "{}"
    _current = _Request(text)


def end() -> Optional[dict]:
    """The request is answered: the attributes the skill saved, when they
    differ from what the store gave, else None."""
    global _current
    request, _current = _current, None
    if request is None or request.saved is None or request.saved == request.original:
        return None
    return _jsontext.loads(request.saved)


def _failure(adapter: Any, message: str) -> Exception:
    """The adapter module's own PersistenceException, as the SDK raises it."""
    module = sys.modules.get(type(adapter).__module__)
    kind = getattr(module, "PersistenceException", None)
    if isinstance(kind, type) and issubclass(kind, Exception):
        return kind(message)
    return RuntimeError(message)


def _request(adapter: Any) -> _Request:
    if _current is None:
        raise _failure(adapter, "persistent attributes can be read and saved only while a "
                                "request is answered, not when the skill is loaded")
    return _current


def _initialiser(names: tuple) -> Any:
    """An __init__ that keeps what it is given under the names the SDK's
    has (the skill may read adapter.bucket_name) and calls nothing."""

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        for name, value in zip(names, args):
            setattr(self, name, value)
        for name, value in kwargs.items():
            setattr(self, name, value)

    return __init__


def _get_attributes(self: Any, request_envelope: Any) -> dict:
    request = _request(self)
    value = _jsontext.loads(request.saved if request.saved is not None else request.original)
    return value if isinstance(value, dict) else {}


def _save_attributes(self: Any, request_envelope: Any, attributes: Any) -> None:
    request = _request(self)
    if not isinstance(attributes, dict):
        raise _failure(self, f"persistent attributes must be a dict, not "
                             f"{type(attributes).__name__}")
    try:
        text = saveable_text(attributes)
    except (TypeError, ValueError, RecursionError) as exc:
        found = find_unsaveable(attributes, "the persistent attributes")
        what = f"{found[0]} holds {found[1]}" if found else str(exc)
        raise _failure(self, f"Failed to save attributes: {what}, which cannot be saved; "
                             f"use str, int, float, bool, None, list and dict (with str "
                             f"keys)") from None
    request.saved = text


def _delete_attributes(self: Any, request_envelope: Any) -> None:
    _request(self).saved = "{}"


def _take_over(module: Any, fullname: str) -> None:
    name, parameters = ADAPTERS[fullname]
    cls = getattr(module, name, None)
    if not isinstance(cls, type):
        return
    cls.__init__ = _initialiser(parameters)
    cls.get_attributes = _get_attributes
    cls.save_attributes = _save_attributes
    cls.delete_attributes = _delete_attributes
    taken_over.append(f"{cls.__name__} of {fullname}")


class _Loader:
    """The adapter module's own loader, and our methods once it has run."""

    def __init__(self, loader: Any, fullname: str) -> None:
        self.loader = loader
        self.fullname = fullname

    def create_module(self, spec: Any) -> Any:
        return self.loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        # DynamoDbAdapter's default argument is boto3.resource("dynamodb"),
        # which needs a region, made when the module runs: lend one.
        lent = not (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"))
        if lent:
            os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
        try:
            self.loader.exec_module(module)
        finally:
            if lent:
                os.environ.pop("AWS_DEFAULT_REGION", None)
        _take_over(module, self.fullname)


class _AdapterHook:
    """First on sys.meta_path: finds the adapter modules with the finders
    after it, and runs them with _Loader."""

    @classmethod
    def find_spec(cls, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname not in ADAPTERS or has_aws_credentials():
            return None
        for finder in sys.meta_path:
            if finder is cls or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _Loader(spec.loader, fullname)
                return spec
        return None


def install() -> None:
    """Put the hook first on sys.meta_path (once), for a skill about to load."""
    taken_over.clear()
    if _AdapterHook not in sys.meta_path:
        sys.meta_path.insert(0, _AdapterHook)
