"""Tokens and signatures never reach the log output, whatever logged them."""

from __future__ import annotations

import io
import logging

import pytest

from bot.config.environment import load_environment
from bot.log_redaction import RedactingFilter, install_redaction, redact

BOT_TOKEN = "MTEwMDAwMDAwMDAwMDAwMDAwMA.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB"
SECRET_KEY = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLEkey"
SESSION_TOKEN = "sessiontokenEXAMPLE0123456789abcdefSESSION"
INTERACTION_TOKEN = "aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OTpTRUNSRVRUT0tFTg"
SIGNATURE = "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
ALL_SECRETS = (BOT_TOKEN, SECRET_KEY, SESSION_TOKEN, INTERACTION_TOKEN, SIGNATURE)


@pytest.fixture
def captured():
    """A root handler like `logging.basicConfig` makes, with the filter installed on it."""
    root = logging.getLogger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    install_redaction([BOT_TOKEN, SECRET_KEY, SESSION_TOKEN])
    try:
        yield stream
    finally:
        for h in root.handlers:
            for f in [f for f in h.filters if isinstance(f, RedactingFilter)]:
                h.removeFilter(f)
        root.removeHandler(handler)
        root.setLevel(old_level)


def _assert_clean(output: str) -> None:
    for secret in ALL_SECRETS:
        assert secret not in output, secret


def test_gateway_interaction_payload(captured: io.StringIO):
    # discord/gateway.py: the received event, decoded into a dict.
    msg = {
        "t": "INTERACTION_CREATE",
        "s": 4,
        "op": 0,
        "d": {
            "type": 2,
            "token": INTERACTION_TOKEN,
            "id": "1234567890123456789",
            "application_id": "1100000000000000000",
            "data": {"name": "imagine", "options": [{"name": "prompt", "value": "a cat"}]},
        },
    }
    logging.getLogger("discord.gateway").debug("For Shard ID %s: WebSocket Event: %s", None, msg)
    output = captured.getvalue()
    _assert_clean(output)
    assert "INTERACTION_CREATE" in output and "a cat" in output


def test_json_token_fields(captured: io.StringIO):
    logging.getLogger("x").debug('payload {"token": "%s", "op": 2}', BOT_TOKEN[:20] + "zz")
    logging.getLogger("x").debug('{"access_token":"%s"}', INTERACTION_TOKEN)
    output = captured.getvalue()
    assert BOT_TOKEN[:20] not in output
    _assert_clean(output)


def test_http_interaction_callback_and_webhook_urls(captured: io.StringIO):
    # discord/http.py and discord/webhook/async_.py
    log = logging.getLogger("discord.http")
    base = "https://discord.com/api/v10"
    log.debug(
        "%s %s with %s has returned %s",
        "POST",
        f"{base}/interactions/1234567890123456789/{INTERACTION_TOKEN}/callback",
        '{"type":5}',
        204,
    )
    log.debug(
        "%s %s has received %s",
        "PATCH",
        f"{base}/webhooks/1100000000000000000/{INTERACTION_TOKEN}/messages/@original",
        {"id": "1"},
    )
    logging.getLogger("discord.webhook.async_").debug(
        "Webhook ID %s with %s %s has returned status code %s",
        "1100000000000000000",
        "POST",
        f"{base}/webhooks/1100000000000000000/{INTERACTION_TOKEN}?wait=1",
        200,
    )
    output = captured.getvalue()
    _assert_clean(output)
    assert "/webhooks/1100000000000000000/" in output


def test_authorization_headers_and_signatures(captured: io.StringIO):
    log = logging.getLogger("bot.mps.client")
    auth = (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2026-12-03/mps/"
        f"tc3_request, SignedHeaders=content-type;host;x-tc-action, Signature={SIGNATURE}"
    )
    log.debug("request headers %s", {"Authorization": auth, "X-TC-Token": SESSION_TOKEN})
    log.debug("Authorization: Bot %s", BOT_TOKEN)
    log.warning("signed with %s", f"Signature={SIGNATURE}")
    _assert_clean(captured.getvalue())


def test_given_secrets_anywhere_including_tracebacks(captured: io.StringIO):
    log = logging.getLogger("bot")
    try:
        raise RuntimeError(f"login failed for {BOT_TOKEN} with key {SECRET_KEY}")
    except RuntimeError:
        log.exception("could not start: %s", SESSION_TOKEN)
    output = captured.getvalue()
    _assert_clean(output)
    assert "RuntimeError" in output and "could not start" in output


def test_redact_leaves_ordinary_text_alone():
    text = "job 12 done in 3.2 s, token bucket refilled; /webhooks are fine"
    assert redact(text) == text


def test_installing_twice_keeps_one_filter_per_handler(captured: io.StringIO):
    install_redaction([BOT_TOKEN])
    for handler in logging.getLogger().handlers:
        kinds = [type(f).__name__ for f in handler.filters]
        assert kinds.count("RedactingFilter") <= 1


def test_settings_hand_over_every_secret():
    settings = load_environment(
        {
            "TENCENTCLOUD_SECRET_ID": "AKIDexample",
            "TENCENTCLOUD_SECRET_KEY": SECRET_KEY,
            "TENCENTCLOUD_SESSION_TOKEN": SESSION_TOKEN,
            "DISCORD_TOKEN": BOT_TOKEN,
        },
        dotenv=False,
    )
    assert sorted(settings.secret_values()) == sorted([SECRET_KEY, SESSION_TOKEN, BOT_TOKEN])
