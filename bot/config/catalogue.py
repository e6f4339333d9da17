"""The model catalogue: what each model and version of MPS AIGC takes, rule by rule.

Every default below comes from the field documentation of `tencentcloud-sdk-python-mps`
3.1.194 (`tencentcloud/mps/v20190612/models.py`); the comment on each rule gives the line.
Where that documentation is ambiguous, the stricter reading is taken (see docs/models.md).
MPS adds models between releases, so all of this is configuration (`models`,
`video_models` in BOT_CONFIG), not code; validation (`bot/asks/`) enforces it before any
call, and `python -m bot.asks.catalogue_table` writes it out as docs/models.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ..mps.models import TaskKind
from ..refusal import Refusal
from .prices import IMAGE_PRICES, VIDEO_PRICES

# Every image aspect ratio the documentation names (ExtraParameters.AspectRatio, 14753).
ASPECTS = ("1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "21:9")
# Image Resolution values (14755). The line names 720P, 1080P, 2K and 4K for no model
# ("支持该参数的模型：" is followed by none), and 1K, 2K, 4K for wand-vega-image: only the
# latter are offered (strict reading).
IMAGE_RESOLUTIONS = ("1K", "2K", "4K")
IMAGE_RESOLUTION_VALUES = ("720P", "1080P", "1K", "2K", "4K")
# OutputFormat (14759): "支持jpeg, png".
OUTPUT_FORMATS = ("jpeg", "png")
# Every video aspect ratio the documentation names (AigcVideoExtraParam.AspectRatio, 15204).
VIDEO_ASPECTS = ("16:9", "9:16", "1:1", "4:3", "3:4", "2:3", "3:2", "21:9", "4:5", "5:4", "9:21")
# Video Resolution values (15202). The closing note ("besides, 2K and 4K can be generated")
# contradicts "Kling 3.0 and 3.0-Omni support 4K"; the strict reading keeps each model's
# own list, so 2K is nowhere.
VIDEO_RESOLUTIONS = ("540P", "720P", "768P", "1080P", "4K")
# Video frames and reference images: "支持的图片格式：jpeg、png" (24505, 24507, 24509).
FRAME_FORMATS = ("jpeg", "png")
# Image references: "图片格式支持：jpeg, png, webp" (24252).
REFERENCE_FORMATS = ("jpeg", "png", "webp")
# In `VideoVersion.last_frame`: a last frame at any resolution.
EVERY = "*"

MB = 1024 * 1024
_SIZE = re.compile(r"^\s*(\d{2,5})\s*[x×*]\s*(\d{2,5})\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class ImageVersion:
    """What one version of an image model takes (CreateAigcImageTask)."""

    # ExtraParameters.AspectRatio (14753); empty: the model takes none.
    aspects: tuple[str, ...] = ()
    # AdditionalParameters {"size": "WxH"} (24258): "hunyuan" (each side 512-2048 px, at
    # most 1024x1024 pixels) or "qwen" (between 512x512 and 2048x2048 pixels); None: none.
    size_rule: str | None = None
    # Sizes offered for this version, also what an aspect ratio becomes (the bot's presets).
    sizes: tuple[str, ...] = ()
    # ExtraParameters.Resolution (14755); empty: the model takes none.
    resolutions: tuple[str, ...] = ()
    # ImageInfos (24252): "默认支持传入一张图片", more where listed.
    max_references: int = 1
    # A hard size limit per reference image, where documented (wand-vega-image: 20 MB).
    reference_bytes: int | None = None
    # OutputImageCount (24254): "目前默认支持输出 1 张". More images are more tasks.
    images_per_task: int = 1


@dataclass(frozen=True)
class ModelSpec:
    """An image model: its versions (the first is listed first) and what they share."""

    name: str
    versions: dict[str, ImageVersion]
    default_version: str
    kind: TaskKind = TaskKind.IMAGE
    # NegativePrompt (24248) says "部分模型支持" and names no model: sent to every model
    # unless the catalogue says otherwise; a model may ignore it.
    negative_prompt: bool = True
    # ExtraParameters.LogoAdd (14757): 0 or 1, no model restriction.
    logo: bool = True
    # What one image costs on the Tencent bill (CNY), an estimate the operator corrects in
    # BOT_CONFIG (see `prices.py`); None: unknown, and the model cannot count to a budget.
    price_per_image: float | None = None

    def version(self, version: str) -> ImageVersion:
        return self.versions[version]

    @property
    def sizes(self) -> tuple[str, ...]:
        """Every size any version offers, in order."""
        return tuple(dict.fromkeys(s for v in self.versions.values() for s in v.sizes))


@dataclass(frozen=True)
class VideoVersion:
    """What one version of a video model takes (CreateAigcVideoTask). Empty: none
    documented, so none is sent and none may be asked for."""

    # Duration in seconds (24517) and the default the documentation states.
    durations: tuple[int, ...] = ()
    default_duration: int | None = None
    # ExtraParameters.Resolution (15202) and the default it states.
    resolutions: tuple[str, ...] = ()
    default_resolution: str | None = None
    # ExtraParameters.AspectRatio (15204), for text-to-video and for reference-image video;
    # never with a first frame (no model documents one).
    text_aspects: tuple[str, ...] = ()
    reference_aspects: tuple[str, ...] = ()
    # LastImageUrl (24507): None not taken, "*" at any resolution, or the one it needs.
    last_frame: str | None = None
    # ImageInfos (24509): how many reference images, at least and at most; 0: none.
    min_references: int = 0
    max_references: int = 0
    # ExtraParameters.EnableAudio (15208) and LogoAdd (15206).
    audio: bool = False
    logo: bool = False


@dataclass(frozen=True)
class VideoModelSpec:
    """A video model as CreateAigcVideoTask takes it."""

    name: str
    versions: dict[str, VideoVersion]
    default_version: str
    # NegativePrompt (24501): "部分模型支持", no model named (as for images).
    negative_prompt: bool = True
    # PixVerse names each reference image in a `Text` field (24509).
    reference_names: bool = False
    # What one second of video costs on the Tencent bill (CNY; video is billed by the
    # second of what was made), an estimate as for images; None: unknown.
    price_per_second: float | None = None

    def version(self, version: str) -> VideoVersion:
        return self.versions[version]


def parse_size(text: str) -> tuple[int, int]:
    match = _SIZE.match(text)
    if not match:
        raise Refusal("error.size_format", size=text)
    return int(match.group(1)), int(match.group(2))


def check_size_rule(rule: str | None, width: int, height: int) -> None:
    """AdditionalParameters.size as documented (models.py 24258); the Qwen floor is
    512x512 = 262,144 pixels (the documentation's "261632" is an arithmetic slip)."""
    size = f"{width}x{height}"
    if rule == "hunyuan":
        if not (512 <= width <= 2048 and 512 <= height <= 2048):
            raise Refusal("error.size_sides", size=size, low=512, high=2048)
        if width * height > 1024 * 1024:
            raise Refusal("error.size_area_max", size=size, max="1024x1024")
    elif rule == "qwen" and not 512 * 512 <= width * height <= 2048 * 2048:
        raise Refusal("error.size_area_range", size=size, low="512x512", high="2048x2048")


def _span(low: int, high: int) -> tuple[int, ...]:
    return tuple(range(low, high + 1))


KLING_IMAGE = ASPECTS  # 14753: the same eight for 2.1, 3.0, 3.0-Omni and O1
VIDU_IMAGE = ("16:9", "9:16", "1:1", "3:4", "4:3", "21:9", "2:3", "3:2")  # 14753
HUNYUAN_SIZES = (
    "1024x1024",
    "768x1024",
    "1024x768",
    "720x1280",
    "1280x720",
    "864x1152",
    "1152x864",
)
QWEN_SIZES = ("1024x1024", "1328x1328", "1664x928", "928x1664", "1472x1140", "1140x1472")
WAND = ImageVersion(resolutions=("1K", "2K", "4K"), max_references=10, reference_bytes=20 * MB)


def default_image_models() -> dict[str, ModelSpec]:
    """ModelName (24240) and ModelVersion (24242) lists, each version's rules."""
    specs = [
        ModelSpec(
            "Hunyuan",
            {
                "3.0": ImageVersion(size_rule="hunyuan", sizes=HUNYUAN_SIZES, max_references=3),
                # 3.5-preview: 5 references; no size, aspect or resolution documented.
                "3.5-preview": ImageVersion(max_references=5),
            },
            "3.0",
        ),
        ModelSpec("Qwen", {"0925": ImageVersion(size_rule="qwen", sizes=QWEN_SIZES)}, "0925"),
        ModelSpec(
            "Kling",
            {
                "2.1": ImageVersion(aspects=KLING_IMAGE, max_references=4),
                "O1": ImageVersion(aspects=KLING_IMAGE, max_references=10),
                "3.0": ImageVersion(aspects=KLING_IMAGE),  # not in the multi-image list
                "3.0-Omni": ImageVersion(aspects=KLING_IMAGE, max_references=10),
            },
            "2.1",
        ),
        ModelSpec("Vidu", {"q2": ImageVersion(aspects=VIDU_IMAGE, max_references=7)}, "q2"),
        ModelSpec(
            "wand-vega-image", {"1.0-lite": WAND, "1.0-flash": WAND, "1.0-pro": WAND}, "1.0-lite"
        ),
    ]
    specs = [replace(spec, price_per_image=IMAGE_PRICES.get(spec.name)) for spec in specs]
    return {spec.name: spec for spec in specs}


def _kling(
    durations: tuple[int, ...],
    last_frame: str | None,
    *,
    four_k: bool = False,
    references: int = 0,
) -> VideoVersion:
    return VideoVersion(
        durations=durations,
        default_duration=5,  # 24517 "Kling，默认：5 秒"
        resolutions=("720P", "1080P", "4K") if four_k else ("720P", "1080P"),  # 15202
        default_resolution="720P",
        text_aspects=("16:9", "9:16", "1:1"),  # 15204 "Kling 仅文生视频支持"
        last_frame=last_frame,
        min_references=1 if references else 0,
        max_references=references,
        audio=True,  # 15208 "Kling，默认 false" (no version limit)
        logo=True,  # 15206
    )


def _vidu(version: str) -> VideoVersion:
    q3 = version.startswith("q3")
    # 15204: [16:9、9:16、4:3、3:4、1:1] for text and reference video, 4:3 and 3:4 on q2 only.
    aspects = ("16:9", "9:16", "4:3", "3:4", "1:1") if version == "q2" else ("16:9", "9:16", "1:1")
    references = version in ("q2", "q2-pro", "q3-turbo", "q3", "q3-mix")  # 24509
    return VideoVersion(
        durations=_span(3, 16) if q3 else _span(1, 10),  # 24517
        default_duration=5,
        resolutions=("540P", "720P", "1080P"),  # 15202
        default_resolution="720P",
        text_aspects=aspects,
        reference_aspects=aspects if references else (),
        last_frame=EVERY if version in ("q2-pro", "q2-turbo", "q3-pro", "q3-turbo") else None,
        min_references=1 if references else 0,
        max_references=7 if references else 0,
        audio=q3,  # 15208 "仅 q3 系列"
        logo=True,
    )


def _pixverse(version: str) -> VideoVersion:
    aspects = ("16:9", "9:16", "4:3", "3:4", "1:1")
    if version in ("v6", "c1"):
        aspects += ("2:3", "3:2", "21:9")  # 15204 "其中仅 v6、c1 支持 2:3、3:2、21:9"
    return VideoVersion(
        durations=(5, 8, 10) if version == "v5.6" else _span(1, 15),  # 24517
        default_duration=5,
        resolutions=("540P", "720P", "1080P"),
        default_resolution="720P",
        text_aspects=aspects,
        reference_aspects=aspects,
        last_frame=EVERY,  # 24507 "PixVerse，v5.6、v6、c1 支持首尾帧"
        min_references=1,
        max_references=7,
        audio=True,
        logo=False,  # not listed for LogoAdd (15206)
    )


def _hailuo(version: str) -> VideoVersion:
    return VideoVersion(
        # 24517: "Hailuo 的 std 模式可支持 6、10 秒，其他仅 6 秒". No field selects a
        # "std mode", so the strict reading is 6 s only.
        durations=(6,),
        default_duration=6,
        resolutions=("768P", "1080P"),
        default_resolution="768P",
        last_frame=EVERY if version == "02" else None,  # 24507
        logo=True,  # aspect ratio: "Hailuo 暂不支持" (15204)
    )


VIDU_VERSIONS = ("q2", "q2-pro", "q2-turbo", "q3-pro", "q3-turbo", "q3", "q3-mix")
H2_ASPECTS = ("16:9", "9:16", "4:3", "3:4", "4:5", "5:4", "1:1", "21:9", "9:21")


def default_video_models() -> dict[str, VideoModelSpec]:
    """ModelName (24493) and ModelVersion (24495) lists, each version's rules. Mingmou is
    left out: it has no version list and only a scene that needs an input video."""
    five_or_ten = (5, 10)
    specs = [
        VideoModelSpec(
            "Kling",
            {
                "1.6": _kling(five_or_ten, "1080P", references=4),
                "2.0": _kling(five_or_ten, EVERY),
                "2.1": _kling(five_or_ten, "1080P"),
                "2.5": _kling(five_or_ten, "1080P"),
                "O1": _kling(_span(3, 10), EVERY, references=7),
                "2.6": _kling(five_or_ten, "1080P"),
                "3.0": _kling(_span(3, 15), EVERY, four_k=True),
                "3.0-Omni": _kling(_span(3, 15), EVERY, four_k=True, references=7),
            },
            "3.0",
        ),
        VideoModelSpec(
            "Vidu",
            {v: _vidu(v) for v in VIDU_VERSIONS},
            "q3",
        ),
        VideoModelSpec("Hailuo", {v: _hailuo(v) for v in ("02", "2.3", "2.3-fast")}, "2.3"),
        VideoModelSpec(
            "PixVerse", {v: _pixverse(v) for v in ("v5.6", "v6", "c1")}, "v6", reference_names=True
        ),
        VideoModelSpec(
            "H2",
            {
                "1.0": VideoVersion(
                    durations=_span(3, 15),  # 24517 "H2，支持 3-15 秒，默认 ：5 秒"
                    default_duration=5,
                    resolutions=("720P", "1080P"),
                    default_resolution="1080P",  # 15202 "H2 720P，1080P(默认)"
                    text_aspects=H2_ASPECTS,  # 15204
                    reference_aspects=H2_ASPECTS,
                    min_references=1,
                    max_references=9,  # 24509 "H2，1.0 … 1-9 张"
                    logo=True,
                )
            },
            "1.0",
        ),
        VideoModelSpec(
            "wand-vega-video",
            {
                # 24517 "1.0-lite支持：4-15秒" (no default stated: none is sent), a last
                # frame (24507), up to 9 references (24509); no resolution or aspect.
                "1.0-lite": VideoVersion(
                    durations=_span(4, 15),
                    last_frame=EVERY,
                    min_references=1,
                    max_references=9,
                )
            },
            "1.0-lite",
        ),
        # Hunyuan 1.5: no duration, resolution, aspect, frame or reference documented.
        VideoModelSpec("Hunyuan", {"1.5": VideoVersion()}, "1.5"),
    ]
    specs = [replace(spec, price_per_second=VIDEO_PRICES.get(spec.name)) for spec in specs]
    return {spec.name: spec for spec in specs}
