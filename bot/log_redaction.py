"""Keep secrets out of the logs, whoever logs them.

discord.py logs gateway payloads and request URLs at DEBUG, and both carry interaction
tokens: the `"token"` of an INTERACTION_CREATE payload, and the `/interactions/<id>/<token>/`
and `/webhooks/<app_id>/<token>` URLs. Each lets anyone who reads the log answer as the bot
for 15 minutes. A filter on the root logger's handlers rewrites every record's final text
(message with its arguments, traceback, stack) before any handler writes it, so no logger,
ours or a library's, needs to remember.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

REDACTED = "[redacted]"

# Shorter strings would redact ordinary words; real tokens and keys are much longer.
_MIN_SECRET_LENGTH = 8

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # "token": "…" in JSON and 'token': '…' in a dict's repr, for any key ending in token
    # (token, access_token, session_token…).
    (
        re.compile(r"""(?i)(['"])(\w*token)\1(\s*:\s*)(['"])(?:(?!\4).)*\4"""),
        rf"\1\2\1\3\4{REDACTED}\4",
    ),
    # Tokens in Discord URL paths.
    (re.compile(r"/webhooks/(\d+)/[^/?#\s'\"]+"), rf"/webhooks/\1/{REDACTED}"),
    (re.compile(r"/interactions/(\d+)/[^/?#\s'\"]+"), rf"/interactions/\1/{REDACTED}"),
    # Header values, quoted ('Authorization': '…') or as a header line (Authorization: …).
    (
        re.compile(r"""(?i)(['"](?:authorization|x-tc-token)['"]\s*:\s*)(['"])(?:(?!\2).)*\2"""),
        rf"\1\2{REDACTED}\2",
    ),
    (
        re.compile(r"(?i)\b((?:authorization|x-tc-token)\s*[:=]\s*)(?!['\"])[^\r\n]+"),
        rf"\1{REDACTED}",
    ),
    # A TC3-HMAC-SHA256 signature anywhere (it signs one request, but says nothing useful).
    (re.compile(r"(?i)\bSignature=[0-9a-f]+"), f"Signature={REDACTED}"),
    # A Discord bot token after its scheme, wherever it was written.
    (re.compile(r"\bBot [\w\-.]{20,}"), f"Bot {REDACTED}"),
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with the given secrets and every token-shaped value replaced."""
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites a record's message, traceback and stack text; never drops a record."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Longest first, so a secret that contains another is replaced whole.
        self.secrets = sorted(
            {s for s in secrets if len(s) >= _MIN_SECRET_LENGTH}, key=len, reverse=True
        )

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # bad %-arguments: logging would report them; keep the raw text
            message = str(record.msg)
        record.msg, record.args = redact(message, self.secrets), None
        if record.exc_info and not record.exc_text:
            # Formatters reuse `exc_text` once set, so the redacted text is what they print.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.secrets)
        return True


def install_redaction(
    secrets: Iterable[str], logger: logging.Logger | None = None
) -> RedactingFilter:
    """Put one RedactingFilter on every handler of `logger` (the root logger by default),
    replacing any installed before. Call it after the handlers are set up
    (`logging.basicConfig`): a handler added later has no filter."""
    target = logger or logging.getLogger()
    installed = RedactingFilter(secrets)
    for handler in target.handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
            handler.removeFilter(old)
        handler.addFilter(installed)
    return installed
