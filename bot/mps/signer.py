"""TC3-HMAC-SHA256 request signing, as Tencent Cloud API 3.0 verifies it.

Pure functions: the same inputs always give the same headers, so the signer is tested
byte for byte against the official SDK and reused by the emulator to verify requests.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime

ALGORITHM = "TC3-HMAC-SHA256"
SERVICE = "mps"
API_VERSION = "2019-06-12"
CONTENT_TYPE = "application/json"
DEFAULT_SIGNED_HEADERS = ("content-type", "host")


@dataclass(frozen=True)
class Credentials:
    """A SecretId/SecretKey pair (and optional session token). Never shows the secrets."""

    secret_id: str
    secret_key: str = field(repr=False)
    token: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:  # the id is not secret, but only its prefix is useful in logs
        return f"Credentials(secret_id={mask(self.secret_id)!r})"


def mask(value: str) -> str:
    """Keep the first four characters, enough to tell two keys apart in a log."""
    return value[:4] + "…" if len(value) > 4 else "…"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def utc_date(timestamp: int) -> str:
    """The credential scope uses the UTC date of the timestamp, not the local one."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")


def canonical_request(headers: dict[str, str], signed_headers: list[str], body: bytes) -> str:
    """Build the canonical request over `signed_headers` (lower-case names, in order).

    `headers` maps lower-case names to the values as sent. Values are trimmed and
    lower-cased, as Tencent's signing documentation specifies (the SDK's values already are).
    """
    lines = [f"{name}:{headers.get(name, '').strip().lower()}\n" for name in signed_headers]
    return "\n".join(["POST", "/", "", "".join(lines), ";".join(signed_headers), sha256_hex(body)])


def signature(secret_key: str, timestamp: int, canonical: str, service: str = SERVICE) -> str:
    date = utc_date(timestamp)
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = "\n".join(
        [ALGORITHM, str(timestamp), scope, sha256_hex(canonical.encode("utf-8"))]
    )
    k_date = _hmac(("TC3" + secret_key).encode("utf-8"), date)
    k_service = _hmac(k_date, service)
    k_signing = _hmac(k_service, "tc3_request")
    return hmac.new(k_signing, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def sign_request(
    credentials: Credentials,
    action: str,
    body: bytes,
    host: str,
    timestamp: int,
    region: str | None = None,
    version: str = API_VERSION,
    signed_headers: tuple[str, ...] = DEFAULT_SIGNED_HEADERS,
    language: str | None = None,
) -> dict[str, str]:
    """Return every header the request needs, Authorization included.

    `host` includes `:port` when the endpoint has one. `body` must be the exact bytes sent.
    """
    headers = {
        "Content-Type": CONTENT_TYPE,
        "Host": host,
        "X-TC-Action": action,
        "X-TC-Timestamp": str(timestamp),
        "X-TC-Version": version,
    }
    if region:
        headers["X-TC-Region"] = region
    if credentials.token:
        headers["X-TC-Token"] = credentials.token
    if language:
        headers["X-TC-Language"] = language
    lowered = {k.lower(): v for k, v in headers.items()}
    names = list(signed_headers)
    canonical = canonical_request(lowered, names, body)
    sig = signature(credentials.secret_key, timestamp, canonical)
    scope = f"{utc_date(timestamp)}/{SERVICE}/tc3_request"
    headers["Authorization"] = (
        f"{ALGORITHM} Credential={credentials.secret_id}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={sig}"
    )
    return headers


@dataclass(frozen=True)
class ParsedAuthorization:
    secret_id: str
    date: str
    service: str
    signed_headers: list[str]
    signature: str


def parse_authorization(value: str) -> ParsedAuthorization:
    """Parse an Authorization header; raise ValueError when it is malformed."""
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM or not rest:
        raise ValueError("unsupported or missing algorithm")
    parts: dict[str, str] = {}
    for item in rest.split(","):
        key, sep, val = item.strip().partition("=")
        if not sep:
            raise ValueError("malformed Authorization field")
        parts[key] = val
    try:
        credential = parts["Credential"]
        signed = parts["SignedHeaders"]
        sig = parts["Signature"]
    except KeyError as exc:
        raise ValueError(f"Authorization lacks {exc.args[0]}") from None
    scope = credential.split("/")
    if len(scope) != 4 or scope[3] != "tc3_request" or not signed or not sig:
        raise ValueError("malformed credential scope")
    return ParsedAuthorization(
        secret_id=scope[0],
        date=scope[1],
        service=scope[2],
        signed_headers=signed.split(";"),
        signature=sig,
    )
