"""Verify TC3-HMAC-SHA256 requests the way Tencent's API gateway does.

The emulator reuses the project's signer to recompute the signature, so a signer bug would
make both sides agree; that is why the tests also drive the emulator with the official SDK.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping

from bot.mps.signer import SERVICE, canonical_request, parse_authorization, signature, utc_date

from .protocol import (
    SECRET_ID_NOT_FOUND_MESSAGE,
    SIGNATURE_EXPIRE_MESSAGE,
    SIGNATURE_FAILURE_MESSAGE,
    ApiError,
    missing,
)

log = logging.getLogger(__name__)

# Tencent requires these two in SignedHeaders whatever else is signed.
REQUIRED_SIGNED_HEADERS = ("content-type", "host")
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


def _invalid_authorization(why: str) -> ApiError:
    return ApiError(
        "AuthFailure.InvalidAuthorization",
        f"The `Authorization` in the request header is invalid: {why}.",
    )


def _signature_failure(why: str) -> ApiError:
    # Tencent's message is generic; the reason only goes to the log, where an operator of the
    # emulator can read it without the client learning anything the real service would hide.
    log.info("signature rejected: %s", why)
    return ApiError("AuthFailure.SignatureFailure", SIGNATURE_FAILURE_MESSAGE)


def verify_request(
    headers: Mapping[str, str],
    body: bytes,
    credentials: Mapping[str, str],
    now: float,
    clock_skew: float,
) -> str:
    """Check one API request; return the SecretId that signed it or raise ApiError.

    `headers` maps lower-case header names to the values exactly as received (Host with its
    port); `body` is the raw request body; `now` is the server's unix time.
    """
    value = headers.get("authorization", "")
    if not value:
        raise _invalid_authorization("the header is missing")
    try:
        auth = parse_authorization(value)
    except ValueError as exc:
        raise _invalid_authorization(str(exc)) from None
    for name in REQUIRED_SIGNED_HEADERS:
        if name not in auth.signed_headers:
            raise _invalid_authorization(f"SignedHeaders must include `{name}`")
    if any(not name or name != name.lower() for name in auth.signed_headers):
        raise _invalid_authorization("SignedHeaders must be lower-case header names")

    raw_timestamp = headers.get("x-tc-timestamp", "").strip()
    if not raw_timestamp:
        raise missing("X-TC-Timestamp")
    if not raw_timestamp.isdigit():
        raise ApiError("InvalidParameter", "Parameter `X-TC-Timestamp` type error.")
    timestamp = int(raw_timestamp)

    secret_key = credentials.get(auth.secret_id)
    if secret_key is None:
        raise ApiError("AuthFailure.SecretIdNotFound", SECRET_ID_NOT_FOUND_MESSAGE)
    if abs(now - timestamp) > clock_skew:
        raise ApiError("AuthFailure.SignatureExpire", SIGNATURE_EXPIRE_MESSAGE)

    # The server derives the scope from the timestamp (UTC) and its own service name; a client
    # that uses its local date signs a different string and fails, as Tencent's docs warn.
    if auth.date != utc_date(timestamp):
        raise _signature_failure(
            f"credential date {auth.date} is not the UTC date of timestamp {timestamp}"
        )
    if auth.service != SERVICE:
        raise _signature_failure(f"credential scope names service {auth.service!r}")

    payload = body
    if headers.get("x-tc-content-sha256", "").strip() == UNSIGNED_PAYLOAD:
        payload = UNSIGNED_PAYLOAD.encode("ascii")
    # Tencent's signing docs lower-case every signed header value (not only x-tc-action, as
    # the signer does); the server must build the same string, so it lower-cases them too.
    lowered = {name: value.lower() for name, value in headers.items()}
    canonical = canonical_request(lowered, auth.signed_headers, payload)
    expected = signature(secret_key, timestamp, canonical)
    if not hmac.compare_digest(expected.encode(), auth.signature.encode("utf-8", "replace")):
        raise _signature_failure(f"signature mismatch over {';'.join(auth.signed_headers)}")
    return auth.secret_id
