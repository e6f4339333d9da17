"""The emulator verifies TC3-HMAC-SHA256 requests as Tencent does."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.mps.signer import Credentials, canonical_request, sign_request, signature, utc_date
from mps_emulator import EmulatorConfig, MpsEmulator
from tests.emulator_helpers import HUNYUAN, call_api, fast_config

CREATE = "CreateAigcImageTask"


@pytest.fixture
async def emu() -> AsyncIterator[MpsEmulator]:
    async with MpsEmulator(fast_config()) as emulator:
        yield emulator


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def test_published_vector_is_accepted(session: aiohttp.ClientSession) -> None:
    """The reference's vector, byte for byte, with the emulator's clock at its timestamp."""
    body = json.dumps(
        {
            "ModelName": "Hunyuan",
            "ModelVersion": "3.0",
            "Prompt": "a cat",
            "AdditionalParameters": json.dumps({"size": "1024x1024"}),
        }
    ).encode()
    authorization = (
        "TC3-HMAC-SHA256 Credential=AKIDEXAMPLEEXAMPLEEXAMPLEEXAMPLE/2026-01-01/mps/tc3_request, "
        "SignedHeaders=content-type;host, "
        "Signature=daa08d1986392e32a8add37099ebc5e79f4dfa6b18a9254cfdedf288b696ae9d"
    )
    headers = {
        "Authorization": authorization,
        "Content-Type": "application/json",
        "Host": "127.0.0.1:8765",
        "X-TC-Action": CREATE,
        "X-TC-Timestamp": "1767225600",
        "X-TC-Version": "2019-06-12",
    }
    async with MpsEmulator(fast_config(), wall_clock=lambda: 1767225600.0) as emu:
        async with session.post(emu.url + "/", data=body, headers=headers) as resp:
            reply = await resp.json(content_type=None)
        assert reply["Response"]["TaskId"].startswith("4-AigcImage-")
        # A second later, one altered hex digit of the signature is refused.
        headers["Authorization"] = authorization[:-1] + "a"
        async with session.post(emu.url + "/", data=body, headers=headers) as resp:
            reply = await resp.json(content_type=None)
        assert reply["Response"]["Error"]["Code"] == "AuthFailure.SignatureFailure"


async def test_answers_are_exactly_application_json(
    emu: MpsEmulator, session: aiohttp.ClientSession
) -> None:
    ok = await call_api(session, emu.url, CREATE, HUNYUAN)
    bad = await call_api(session, emu.url, CREATE, HUNYUAN, credentials=Credentials("AKIDx", "k"))
    for reply in (ok, bad):
        assert reply.status == 200
        assert reply.headers["Content-Type"] == "application/json"
        assert set(reply.response) >= {"RequestId"}
    assert ok.error_code is None and "TaskId" in ok.response
    assert bad.response["Error"]["Code"] == "AuthFailure.SecretIdNotFound"


async def test_one_changed_body_byte_fails_the_signature(
    emu: MpsEmulator, session: aiohttp.ClientSession
) -> None:
    def tamper(body: bytes) -> bytes:
        return body.replace(b"a cat", b"a bat")

    reply = await call_api(session, emu.url, CREATE, HUNYUAN, tamper=tamper)
    assert reply.error_code == "AuthFailure.SignatureFailure"
    assert reply.error_message == (
        "The provided credentials could not be validated. Please check your signature is correct."
    )
    assert emu.stats()["tasks_created"] == 0


async def test_signing_x_tc_action_too_is_accepted(
    emu: MpsEmulator, session: aiohttp.ClientSession
) -> None:
    reply = await call_api(
        session, emu.url, CREATE, HUNYUAN, signed_headers=("content-type", "host", "x-tc-action")
    )
    assert reply.error_code is None


async def test_host_is_signed_with_its_port(
    emu: MpsEmulator, session: aiohttp.ClientSession
) -> None:
    # Signed for "127.0.0.1" but sent to 127.0.0.1:<port>: the Host header differs.
    reply = await call_api(
        session, emu.url, CREATE, HUNYUAN, host="127.0.0.1", headers={"Host": emu.host}
    )
    assert reply.error_code == "AuthFailure.SignatureFailure"


async def test_signed_header_values_are_compared_lower_cased(
    emu: MpsEmulator, session: aiohttp.ClientSession
) -> None:
    # Tencent's docs lower-case every signed header value before signing.
    port = emu.host.rpartition(":")[2]
    reply = await call_api(
        session,
        emu.url,
        CREATE,
        HUNYUAN,
        host=f"localhost:{port}",
        headers={"Host": f"LOCALHOST:{port}"},
    )
    assert reply.error_code is None, reply.response


async def test_content_type_must_be_json(emu: MpsEmulator, session: aiohttp.ClientSession) -> None:
    """Correctly signed, but the body is declared text/plain: refused after authentication."""
    body = json.dumps(HUNYUAN).encode()
    timestamp = int(time.time())
    headers = {"content-type": "text/plain", "host": emu.host}
    canonical = canonical_request(headers, ["content-type", "host"], body)
    sig = signature(emu.credentials.secret_key, timestamp, canonical)
    scope = f"{utc_date(timestamp)}/mps/tc3_request"
    sent = {
        "Content-Type": "text/plain",
        "X-TC-Action": CREATE,
        "X-TC-Timestamp": str(timestamp),
        "X-TC-Version": "2019-06-12",
        "Authorization": f"TC3-HMAC-SHA256 Credential={emu.credentials.secret_id}/{scope}, "
        f"SignedHeaders=content-type;host, Signature={sig}",
    }
    async with session.post(emu.url + "/", data=body, headers=sent) as resp:
        reply = await resp.json(content_type=None)
    assert reply["Response"]["Error"]["Code"] == "InvalidParameter"
    assert "Content-Type" in reply["Response"]["Error"]["Message"]


async def test_unknown_secret_id(emu: MpsEmulator, session: aiohttp.ClientSession) -> None:
    creds = Credentials("AKIDunknownunknownunknownunknown", "EXAMPLEKEYEXAMPLEKEYEXAMPLEKEY12")
    reply = await call_api(session, emu.url, CREATE, HUNYUAN, credentials=creds)
    assert reply.error_code == "AuthFailure.SecretIdNotFound"


async def test_wrong_key_for_a_known_id(emu: MpsEmulator, session: aiohttp.ClientSession) -> None:
    creds = Credentials(emu.credentials.secret_id, "not-the-key")
    reply = await call_api(session, emu.url, CREATE, HUNYUAN, credentials=creds)
    assert reply.error_code == "AuthFailure.SignatureFailure"


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "garbage",
        "HMAC-SHA256 Credential=AKID/2026-01-01/mps/tc3_request, SignedHeaders=content-type;host,"
        " Signature=00",
        "TC3-HMAC-SHA256 Credential=AKID/2026-01-01/mps/tc3_request,"
        " SignedHeaders=content-type;host",
        "TC3-HMAC-SHA256 Credential=AKID/mps/tc3_request, SignedHeaders=content-type;host,"
        " Signature=00",
    ],
)
async def test_malformed_authorization(
    emu: MpsEmulator, session: aiohttp.ClientSession, authorization: str | None
) -> None:
    reply = await call_api(
        session, emu.url, CREATE, HUNYUAN, headers={"Authorization": authorization}
    )
    assert reply.error_code == "AuthFailure.InvalidAuthorization"
    counters = emu.stats()["actions"][CREATE]
    assert counters["auth_failures"] == 1 and counters["accepted"] == 0


async def test_content_type_must_be_signed(
    emu: MpsEmulator, session: aiohttp.ClientSession
) -> None:
    reply = await call_api(session, emu.url, CREATE, HUNYUAN, signed_headers=("host",))
    assert reply.error_code == "AuthFailure.InvalidAuthorization"


@pytest.mark.parametrize("offset", [-301, 301])
async def test_timestamp_more_than_300s_off_is_expired(
    emu: MpsEmulator, session: aiohttp.ClientSession, offset: int
) -> None:
    reply = await call_api(session, emu.url, CREATE, HUNYUAN, timestamp=int(time.time()) + offset)
    assert reply.error_code == "AuthFailure.SignatureExpire"


async def test_timestamp_within_the_skew_is_accepted(session: aiohttp.ClientSession) -> None:
    now = 1767225600.0
    async with MpsEmulator(fast_config(), wall_clock=lambda: now) as emu:
        for offset in (-299, 299):
            reply = await call_api(session, emu.url, CREATE, HUNYUAN, timestamp=int(now) + offset)
            assert reply.error_code is None, reply.response


async def test_scope_date_must_be_the_utc_date_and_service_mps(
    emu: MpsEmulator, session: aiohttp.ClientSession
) -> None:
    valid = await call_api(session, emu.url, CREATE, HUNYUAN)
    assert valid.error_code is None
    # Re-sign, then swap the date or the service in the credential scope.
    body = json.dumps(HUNYUAN).encode()
    timestamp = int(time.time())
    headers = sign_request(emu.credentials, CREATE, body, emu.host, timestamp)
    date = utc_date(timestamp)
    for wrong in (
        headers["Authorization"].replace(f"/{date}/", "/1999-12-31/"),
        headers["Authorization"].replace("/mps/", "/cvm/"),
    ):
        reply = await call_api(session, emu.url, CREATE, HUNYUAN, headers={"Authorization": wrong})
        assert reply.error_code == "AuthFailure.SignatureFailure"


async def test_version_and_action_are_checked_after_authentication(
    emu: MpsEmulator, session: aiohttp.ClientSession
) -> None:
    reply = await call_api(session, emu.url, "CreateAigcAudioTask", HUNYUAN)
    assert reply.error_code == "InvalidAction"
    reply = await call_api(
        session, emu.url, CREATE, HUNYUAN, headers={"X-TC-Version": "2017-03-12"}
    )
    assert reply.error_code == "NoSuchVersion"
    bad = await call_api(
        session, emu.url, "CreateAigcAudioTask", HUNYUAN, credentials=Credentials("AKIDx", "k")
    )
    assert bad.error_code == "AuthFailure.SecretIdNotFound"


async def test_token_header_and_several_keys_are_accepted(session: aiohttp.ClientSession) -> None:
    config = fast_config(credentials={"AKIDone": "key-one", "AKIDtwo": "key-two"})
    async with MpsEmulator(config) as emu:
        for creds in (
            Credentials("AKIDone", "key-one"),
            Credentials("AKIDtwo", "key-two", token="session-token"),
        ):
            reply = await call_api(session, emu.url, CREATE, HUNYUAN, credentials=creds)
            assert reply.error_code is None, reply.response


async def test_body_must_be_a_json_object(emu: MpsEmulator, session: aiohttp.ClientSession) -> None:
    for body in (b"not json", b"[1, 2]"):
        reply = await call_api(session, emu.url, CREATE, body=body)
        assert reply.error_code == "InvalidParameter"


def test_config_needs_credentials() -> None:
    with pytest.raises(ValueError):
        EmulatorConfig(credentials={})
