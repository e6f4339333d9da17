"""The signer against the published vector and, byte for byte, the official SDK."""

from __future__ import annotations

import json
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tencentcloud.common import abstract_client, credential
from tencentcloud.common.abstract_client import RequestInternal
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.mps.v20190612 import mps_client

from bot.mps.signer import Credentials, parse_authorization, sha256_hex, sign_request

SECRET_ID = "AKIDEXAMPLEEXAMPLEEXAMPLEEXAMPLE"
SECRET_KEY = "EXAMPLEKEYEXAMPLEKEYEXAMPLEKEY12"
CREDS = Credentials(SECRET_ID, SECRET_KEY)


def test_published_vector() -> None:
    body = json.dumps(
        {
            "ModelName": "Hunyuan",
            "ModelVersion": "3.0",
            "Prompt": "a cat",
            "AdditionalParameters": json.dumps({"size": "1024x1024"}),
        }
    ).encode()
    assert sha256_hex(body) == "2bb20b36a70c35c4d0c9aa17df7d3a4c98354ec2590f53902c3e348bf1934fe7"
    headers = sign_request(CREDS, "CreateAigcImageTask", body, "127.0.0.1:8765", 1767225600)
    auth = parse_authorization(headers["Authorization"])
    assert auth.signature == "daa08d1986392e32a8add37099ebc5e79f4dfa6b18a9254cfdedf288b696ae9d"
    assert auth.date == "2026-01-01"
    assert auth.signed_headers == ["content-type", "host"]


def sdk_authorization(action: str, params: dict, timestamp: int, host: str) -> tuple[bytes, str]:
    profile = ClientProfile(
        httpProfile=HttpProfile(endpoint=host, protocol="http", reqMethod="POST")
    )
    client = mps_client.MpsClient(
        credential.Credential(SECRET_ID, SECRET_KEY), "ap-guangzhou", profile
    )
    req = RequestInternal(host, "POST", "/", header={})
    with mock.patch.object(abstract_client.time, "time", return_value=timestamp):
        client._build_req_inter(action, params, req)
    return req.data.encode("utf-8"), req.header["Authorization"]


text = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
        st.sampled_from('橘猫草帽🐱🎨✨ \n"\\'),
    ),
    max_size=1000,
)
json_leaf = st.one_of(st.integers(-(10**6), 10**6), st.booleans(), st.none(), text)
nested = st.recursive(
    json_leaf,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.text(max_size=8), children, max_size=3),
    ),
    max_leaves=8,
)
# Around UTC midnight, where the credential scope's date changes.
midnights = st.integers(1767225600 - 3, 1767225600 + 3) | st.integers(1700000000, 1900000000)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prompt=text,
    long_prompt=st.booleans(),
    additional=st.dictionaries(st.text(max_size=10), nested, max_size=4),
    timestamp=midnights,
    port=st.integers(1, 65535),
)
def test_equals_official_sdk(prompt, long_prompt, additional, timestamp, port) -> None:
    if long_prompt:
        prompt = ("一只戴着草帽的橘猫🐱" * 100)[:1000]
    params = {
        "ModelName": "Hunyuan",
        "Prompt": prompt,
        "AdditionalParameters": json.dumps(additional, ensure_ascii=False),
    }
    host = f"127.0.0.1:{port}"
    body, expected = sdk_authorization("CreateAigcImageTask", params, timestamp, host)
    ours = sign_request(CREDS, "CreateAigcImageTask", body, host, timestamp, "ap-guangzhou")
    assert ours["Authorization"] == expected


def test_signing_x_tc_action_changes_signature_and_lowercases_action() -> None:
    body = b'{"TaskId":"x"}'
    plain = sign_request(CREDS, "DescribeAigcImageTask", body, "h", 1767225600)
    wider = sign_request(
        CREDS,
        "DescribeAigcImageTask",
        body,
        "h",
        1767225600,
        signed_headers=("content-type", "host", "x-tc-action"),
    )
    assert parse_authorization(wider["Authorization"]).signed_headers[-1] == "x-tc-action"
    assert plain["Authorization"] != wider["Authorization"]


def test_credentials_never_show_the_key() -> None:
    creds = Credentials(SECRET_ID, SECRET_KEY, token="TOKENVALUE")
    shown = repr(creds) + str(creds)
    assert SECRET_KEY not in shown and "TOKENVALUE" not in shown and SECRET_ID not in shown
