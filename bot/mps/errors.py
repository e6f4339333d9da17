"""Typed MPS errors: one class per thing the caller must do differently.

The mapping from Tencent error codes lives here and only here, so the engine, the CLI and
the Discord front end agree on what "rate limited" or "blocked by moderation" means.
"""

from __future__ import annotations


class MpsError(Exception):
    """An error answered by MPS (or a failure to reach it). Carries no secrets."""

    # Whether a Create that failed this way may have created (and billed) a task.
    may_have_created = False

    def __init__(self, code: str, message: str = "", request_id: str | None = None) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message
        self.request_id = request_id


class OperatorError(MpsError):
    """The account or the deployment is misconfigured; only an admin can fix it."""


class CredentialsError(OperatorError):
    """The SecretId/SecretKey pair or the signature was rejected."""


class ClockSkewError(CredentialsError):
    """The request timestamp was more than 5 minutes off the service's clock."""


class RateLimitedError(MpsError):
    """Over the per-second quota. Nothing was created, so any call may be retried."""


class TooManyTasksError(MpsError):
    """Too many tasks running at once for the account. Nothing was created."""


class ContentViolationError(MpsError):
    """The prompt or a reference image was blocked by content moderation."""


class InvalidRequestError(MpsError):
    """The request itself is wrong; retrying it unchanged cannot help."""


class ReferenceDownloadError(InvalidRequestError):
    """MPS could not fetch an input image URL (a reference, a frame, an image tool's input)."""


class NotFoundError(MpsError):
    """The task id is unknown to the service (it never existed, or is too old to be found)."""


class CreateFailedError(MpsError):
    """MPS answered that it could not create the task: none exists, nothing is billed."""


class TransientError(MpsError):
    """A fault that may pass: internal errors, 5xx, timeouts, dropped connections."""

    may_have_created = True


class ConnectionFailedError(TransientError):
    """The request certainly never reached the service (connection refused or DNS)."""

    may_have_created = False


class ProtocolError(TransientError):
    """The answer was not the JSON envelope the API promises."""


_BY_CODE: dict[str, type[MpsError]] = {
    "AuthFailure.SignatureExpire": ClockSkewError,
    "LimitExceeded.CreateTask": TooManyTasksError,
    "InvalidParameter.ViolationContent": ContentViolationError,
    "ResourceNotFound.DownloadError": ReferenceDownloadError,
    # An unknown task, by any of the three names the SDK's error list gives it.
    "ResourceNotFound.TaskNotFound": NotFoundError,
    "FailedOperation.TaskNotFound": NotFoundError,
    "InvalidParameterValue.TaskId": NotFoundError,
    "FailedOperation.CreateAIGCTaskFailed": CreateFailedError,
    # The output bucket of the image tools is the operator's to fix (see BUCKET_CODES).
    "ResourceNotFound.CosBucketNotExist": OperatorError,
    "ResourceNotFound.CosBucketNameInvalid": OperatorError,
    "FailedOperation.CosStatusInavlid": OperatorError,  # sic, as Tencent spells it
    # The account or the deployment, which only the operator can fix.
    "FailedOperation.UserArrears": OperatorError,
    "ResourceNotFound.UserUnregister": OperatorError,
    "InvalidParameterValue.UserUnRegister": OperatorError,
    "FailedOperation.InvalidMpsUser": OperatorError,
    "FailedOperation.InvalidUser": OperatorError,
    "UnsupportedRegion": OperatorError,
    "ActionOffline": OperatorError,
    "UnauthorizedOperation": OperatorError,
    "InvalidAction": OperatorError,
    "NoSuchVersion": OperatorError,
}

# Refusals of the image tools' output bucket: the operator's to fix, but about the tools
# alone, so they fail the tool job rather than stop every Create of the account.
BUCKET_CODES = frozenset(
    (
        "ResourceNotFound.CosBucketNotExist",
        "ResourceNotFound.CosBucketNameInvalid",
        "FailedOperation.CosStatusInavlid",
    )
)

_BY_PREFIX: tuple[tuple[str, type[MpsError]], ...] = (
    ("AuthFailure", CredentialsError),
    ("RequestLimitExceeded", RateLimitedError),
    ("InvalidParameter", InvalidRequestError),
    ("InvalidParameterValue", InvalidRequestError),
    ("MissingParameter", InvalidRequestError),
    ("UnknownParameter", InvalidRequestError),
    ("UnsupportedOperation", InvalidRequestError),
    ("ResourceNotFound", NotFoundError),
    ("InternalError", TransientError),
    ("FailedOperation", TransientError),
    ("ServiceUnavailable", TransientError),
    ("ResourceUnavailable", TransientError),
)


def error_class_for(code: str) -> type[MpsError]:
    """Map a Tencent error code to the class that says what to do about it."""
    if code in _BY_CODE:
        return _BY_CODE[code]
    for prefix, cls in _BY_PREFIX:
        if code == prefix or code.startswith(prefix + "."):
            return cls
    # An unknown code is treated as transient for reads; Create never retries it anyway.
    return TransientError


def error_from_response(code: str, message: str, request_id: str | None) -> MpsError:
    return error_class_for(code)(code, message, request_id)


# A task can also end FAIL because moderation blocked what it generated. Describe has no
# error code for that, only its free-text Message, so it is recognised by these words.
_OUTPUT_BLOCKED_WORDS = ("moderation", "violat", "sensitive", "审核", "违规", "敏感")


def is_output_blocked(message: str | None) -> bool:
    """Whether a FAIL message says content moderation blocked the output."""
    text = (message or "").lower()
    return any(word in text for word in _OUTPUT_BLOCKED_WORDS)
