"""Image tool uses turned into ProcessImage requests (refused for free where MPS would
refuse or the result would be useless), the output bucket's settings, and how a
DescribeImageTaskDetail answer reads."""

from __future__ import annotations

import pytest

from bot.asks.tools import Tool, ToolAsk, build_tool_request
from bot.config.environment import ConfigError, load_environment
from bot.config.tool_storage import ToolStorage
from bot.mps.image_task_state import NO_OUTPUT, NO_RESULT, ImageTaskState
from bot.mps.image_tasks import Cutout, Expansion, SuperResolution, Understanding
from bot.refusal import Refusal
from bot.text.i18n import t

STORAGE = ToolStorage("images-1250000000", "ap-guangzhou", "bot/results")
URL = "https://cdn.discordapp.com/attachments/1/2/cat.png"
ENV = {"TENCENTCLOUD_SECRET_ID": "AKIDX", "TENCENTCLOUD_SECRET_KEY": "key"}


def build(tool: Tool, width: int | None = None, height: int | None = None, **kw):
    return build_tool_request(ToolAsk(tool, URL, width, height, **kw), STORAGE, "job-42")


def refusal(tool: Tool, width: int | None = None, height: int | None = None) -> Refusal:
    with pytest.raises(Refusal) as info:
        build(tool, width, height)
    for locale in ("en-US", "zh-CN"):  # every placeholder filled, in both languages
        assert "{" not in t(locale, info.value.key, **info.value.params)
    return info.value


def test_each_tool_asks_mps_for_what_it_promises() -> None:
    upscale = build(Tool.UPSCALE_4X, 1024, 768)
    assert upscale.request.tool == SuperResolution(factor=4, type="standard")
    assert upscale.result_size == (4096, 3072)
    assert upscale.request.output_path == "/bot/results/job-42/upscale_4x.{format}"
    api = upscale.request.to_api()
    assert api["InputInfo"] == {"Type": "URL", "UrlInputInfo": {"Url": URL}}
    assert api["OutputStorage"] == {
        "Type": "COS",
        "CosOutputStorage": {"Bucket": "images-1250000000", "Region": "ap-guangzhou"},
    }
    assert api["ImageTask"] == {
        "EnhanceConfig": {
            "AdvancedSuperResolutionConfig": {
                "Switch": "ON",
                "Type": "standard",
                "Mode": "percent",
                "Percent": 4,
            }
        }
    }
    # The size unknown, MPS itself refuses an oversize result before creating a task.
    assert build(Tool.UPSCALE_2X).result_size is None

    cutout = build(Tool.REMOVE_BACKGROUND, 640, 480)
    assert cutout.request.tool == Cutout(model="cutout-1.0-flash")
    assert cutout.request.to_api()["ImageTask"]["EncodeConfig"] == {"Format": "PNG"}
    assert cutout.result_size == (640, 480)

    english = build(Tool.DESCRIBE).request.tool
    chinese = build(Tool.DESCRIBE, locale="zh-CN").request.tool
    assert isinstance(english, Understanding) and isinstance(chinese, Understanding)
    assert "prompt" in (english.prompt or "") and "提示词" in (chinese.prompt or "")
    assert build(Tool.DESCRIBE, locale="fr").request.tool == english
    assert build(Tool.DESCRIBE).result_size is None

    with pytest.raises(ValueError):
        build_tool_request(ToolAsk(Tool.DESCRIBE, "file:///etc/passwd"), STORAGE, "j")
    with pytest.raises(ValueError):
        build_tool_request(ToolAsk(Tool.DESCRIBE, URL), STORAGE, "../up")


@pytest.mark.parametrize(
    ("size", "aspect", "canvas"),
    [
        ((1024, 1024), "4:3", (1365, 1024)),
        ((1024, 768), "16:9", (1365, 768)),
        ((1280, 720), "21:9", (1680, 720)),
        ((768, 1024), "1:1", (1024, 1024)),
        ((720, 1280), "3:4", (960, 1280)),
        # 16:9 at 1080 px high would be 2520 px wide: the whole canvas scales to 2048.
        ((1920, 1080), "21:9", (2048, 877)),
    ],
)
def test_zoom_out_widens_to_the_next_documented_ratio(size, aspect, canvas) -> None:
    validated = build(Tool.ZOOM_OUT, *size)
    assert validated.request.tool == Expansion(aspect, *canvas)
    assert validated.result_size == canvas
    assert max(canvas) <= 2048


def test_refused_for_free() -> None:
    too_large = refusal(Tool.UPSCALE_4X, 1100, 800)
    assert too_large.key == "tools.refused.too_large"
    assert too_large.params["result_width"] == 4400 and too_large.params["limit"] == 4096
    assert build(Tool.UPSCALE_2X, 2048, 2048).result_size == (4096, 4096)
    assert refusal(Tool.UPSCALE_2X, 2049, 100).key == "tools.refused.too_large"
    wide = refusal(Tool.ZOOM_OUT, 2100, 900)
    assert (wide.key, wide.params) == ("tools.refused.already_wide", {"aspect": "7:3"})
    assert refusal(Tool.ZOOM_OUT).key == "tools.refused.size_unknown"


def test_the_output_bucket_settings() -> None:
    assert load_environment(ENV).tool_storage is None
    storage = load_environment(
        {
            **ENV,
            "MPS_OUTPUT_COS_BUCKET": "images-1250000000",
            "MPS_OUTPUT_COS_REGION": "ap-shanghai",
        }
    ).tool_storage
    assert storage == ToolStorage("images-1250000000", "ap-shanghai", "mps-imagine")
    for path, folder in (("/a/b/", "a/b"), ("results", "results"), ("/", "")):
        env = {
            **ENV,
            "MPS_OUTPUT_COS_BUCKET": "images-1250000000",
            "MPS_OUTPUT_COS_REGION": "ap-shanghai",
            "MPS_OUTPUT_COS_PATH": path,
        }
        loaded = load_environment(env).tool_storage
        assert loaded is not None and loaded.path == folder
    assert ToolStorage("b-12345", "ap-x", "").result_path("k", "n") == "/k/n.{format}"

    wrong = [
        ({"MPS_OUTPUT_COS_BUCKET": "images-1250000000"}, "MPS_OUTPUT_COS_REGION"),
        ({"MPS_OUTPUT_COS_REGION": "ap-shanghai"}, "MPS_OUTPUT_COS_BUCKET"),
        ({"MPS_OUTPUT_COS_PATH": "x"}, "MPS_OUTPUT_COS_BUCKET"),
    ]
    good = {"MPS_OUTPUT_COS_BUCKET": "images-1250000000", "MPS_OUTPUT_COS_REGION": "ap-shanghai"}
    wrong += [
        ({**good, "MPS_OUTPUT_COS_BUCKET": "Images_1250000000"}, "MPS_OUTPUT_COS_BUCKET"),
        ({**good, "MPS_OUTPUT_COS_BUCKET": "images"}, "MPS_OUTPUT_COS_BUCKET"),
        ({**good, "MPS_OUTPUT_COS_REGION": "Guangzhou"}, "MPS_OUTPUT_COS_REGION"),
        ({**good, "MPS_OUTPUT_COS_PATH": "a/../b"}, "MPS_OUTPUT_COS_PATH"),
        ({**good, "MPS_OUTPUT_COS_PATH": "a b"}, "MPS_OUTPUT_COS_PATH"),
    ]
    for extra, named in wrong:
        with pytest.raises(ConfigError, match=named):
            load_environment({**ENV, **extra})


def state(**body) -> ImageTaskState:
    return ImageTaskState.from_api("task", body)


def success(url: str = "https://b/x.png", content: str = "") -> dict:
    return {
        "Status": "SUCCESS",
        "ErrMsg": "",
        "Progress": 100,
        "Output": {"Path": "/x.png", "SignedUrl": url, "Content": content},
    }


def test_how_an_answer_reads() -> None:
    assert state(Status="WAITING").progress == 0 and not state(Status="WAITING").final
    running = state(
        Status="PROCESSING",
        ImageProcessTaskResultSet=[
            {"Status": "PROCESSING", "Progress": 20},
            {"Status": "PROCESSING", "Progress": 60},
        ],
    )
    assert running.progress == 40 and not running.final and running.failure is None
    unknown = state(Status="PAUSED")
    assert unknown.status is None and not unknown.final

    done = state(Status="FINISH", ErrCode=0, ErrMsg="", ImageProcessTaskResultSet=[success()])
    assert done.succeeded and done.urls == ("https://b/x.png",) and done.progress == 100
    text = state(Status="FINISH", ImageProcessTaskResultSet=[success(url="", content="a cat")])
    assert text.succeeded and text.urls == () and text.text == "a cat"

    # FINISH while a result still says PROCESSING: the answers disagree; look again.
    torn = state(Status="FINISH", ImageProcessTaskResultSet=[{"Status": "PROCESSING"}])
    assert not torn.final and torn.failure is None

    failures = [
        (state(Status="FINISH"), NO_RESULT),
        (state(Status="FINISH", ImageProcessTaskResultSet=[{"Status": "SUCCESS"}]), NO_OUTPUT),
        (state(Status="FINISH", ErrCode=70000, Message="stopped"), "ErrCode 70000"),
        (state(Status="FINISH", ErrCode=1, ErrMsg="InternalError"), "InternalError"),
        (
            state(
                Status="FINISH",
                ImageProcessTaskResultSet=[success(), {"Status": "FAIL", "ErrMsg": "SrcFile"}],
            ),
            "SrcFile",
        ),
        # A non-empty ErrMsg is a failure, whatever the Status says.
        (state(Status="FINISH", ImageProcessTaskResultSet=[{**success(), "ErrMsg": "X"}]), "X"),
    ]
    for answer, code in failures:
        assert answer.final and not answer.succeeded
        assert answer.failure is not None and answer.failure.code == code
    # The results that did succeed stay readable: whether to deliver a part is the caller's.
    assert [answer.urls for answer, _ in failures] == [(), (), (), (), ("https://b/x.png",), ()]
    stopped = state(Status="FINISH", ErrCode=70000, Message="stopped")
    assert stopped.failure is not None and stopped.failure.message == "stopped"

    blocked = state(
        Status="FINISH",
        ImageProcessTaskResultSet=[
            {"Status": "FAIL", "ErrMsg": "Audit", "Message": "Blocked by content moderation"}
        ],
    )
    assert blocked.failure is not None and blocked.failure.blocked
