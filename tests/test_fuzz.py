"""Property-based: hostile command options and malformed MPS answers never raise anything
but a clear, translatable refusal or a classified MPS error."""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import aiohttp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.asks.images import ImageOptions, validate_image
from bot.config.tunables import Tunables
from bot.mps.client import MpsClient, RetryPolicy
from bot.mps.errors import MpsError
from bot.mps.models import TaskKind, TaskState
from bot.mps.signer import Credentials
from bot.refusal import Refusal
from bot.text.i18n import t

TUNABLES = Tunables()
MODELS = [*TUNABLES.models, "", "hunyuan", "Kling ", "../etc", None]
# Per property; ROBUST_FUZZ_EXAMPLES raises it for a long run (the README quotes one).
EXAMPLES = int(os.environ.get("ROBUST_FUZZ_EXAMPLES", "400"))

text = st.text(st.characters(codec=None), max_size=1500) | st.sampled_from(
    ["", " ", "\u200b\u200b", "\x00", "\u202e abc", "@everyone", "<@123>", "a" * 5000]
)


@st.composite
def image_options(draw) -> ImageOptions:
    spec = TUNABLES.models.get(draw(st.sampled_from([m for m in MODELS if m]))) or None
    choices = []
    for rules in spec.versions.values() if spec else ():
        choices += [*rules.sizes, *rules.aspects, *rules.resolutions]
    return ImageOptions(
        prompt=draw(st.none() | text),
        model=draw(st.sampled_from(MODELS)),
        version=draw(
            st.none()
            | st.sampled_from(["3.0", "3.5-preview", "O1", "q2", "1.0-pro", "9.9", ""])
            | text
        ),
        negative_prompt=draw(st.none() | text),
        size=draw(st.none() | st.sampled_from([*choices, "0x0", "99999x1", "1024x", "x"]) | text),
        aspect=draw(st.none() | st.sampled_from([*choices, "1:0", "0:0", "16:9:1"]) | text),
        references=tuple(draw(st.lists(st.text(max_size=40), max_size=12))),
        count=draw(st.integers(min_value=-(2**40), max_value=2**40)),
        enhance_prompt=draw(st.booleans()),
        resolution=draw(st.none() | st.sampled_from([*choices, "8K"]) | text),
        output_format=draw(st.none() | st.sampled_from(["jpeg", "png", "gif"]) | text),
    )


@settings(max_examples=EXAMPLES, deadline=None)
@given(image_options())
def test_any_command_options_validate_or_refuse_clearly(options: ImageOptions) -> None:
    try:
        valid = validate_image(options, TUNABLES)
    except Refusal as exc:
        for locale in ("en-US", "zh-CN"):
            assert t(locale, exc.key, **exc.params).strip()
        return
    api = valid.request.to_api()
    json.dumps(api, ensure_ascii=False)  # what is sent can be sent
    assert api.get("Prompt") or options.references


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=12,
)
STATUSES = st.sampled_from(["WAIT", "RUN", "DONE", "FAIL", "", "done", "PAUSED", None, 3])


@st.composite
def mps_answers(draw) -> tuple[int, bytes]:
    status = draw(st.sampled_from([200, 200, 200, 400, 403, 429, 500, 502, 504]))
    shape = draw(st.integers(0, 4))
    if shape == 0:
        return status, draw(st.binary(max_size=200))
    if shape == 1:
        return status, json.dumps(draw(json_values)).encode()
    response: dict[str, Any] = draw(
        st.dictionaries(
            st.sampled_from(
                [
                    "TaskId",
                    "Status",
                    "ImageUrls",
                    "ImageInfos",
                    "Message",
                    "RequestId",
                    "Error",
                    "VideoUrls",
                    "Resolution",
                ]
            ),
            json_values,
            max_size=5,
        )
    )
    if draw(st.booleans()):
        response["Status"] = draw(STATUSES)
    if draw(st.booleans()):
        response["Error"] = {"Code": draw(st.text(max_size=40)), "Message": draw(text)}
    return status, json.dumps({"Response": response}).encode()


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mps_answers(), st.sampled_from(list(TaskKind)), st.booleans())
def test_any_mps_answer_is_a_result_or_a_classified_error(answer, kind, create) -> None:
    async def run() -> None:
        async with aiohttp.ClientSession() as session:
            client = MpsClient(
                session,
                Credentials("id", "key"),
                endpoint="http://127.0.0.1:9",
                retry=RetryPolicy(base_delay=0, max_delay=0),
            )

            async def post(action: str, params: dict) -> tuple[int, bytes]:
                return answer

            client._post = post  # the answer comes from the strategy, not the network
            try:
                if create:
                    created = await client.create_task(kind, {"Prompt": "x"})
                    assert isinstance(created.task_id, str) and created.task_id
                else:
                    state = await client.describe_task(kind, "task")
                    assert isinstance(state, TaskState)
            except MpsError as exc:
                assert exc.code and isinstance(exc.code, str)
                assert isinstance(exc.message, str)

    asyncio.run(run())
