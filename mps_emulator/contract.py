"""What MPS documents each model and version to take, as the emulator enforces it.

Written from the field documentation of `tencentcloud-sdk-python-mps` 3.1.194
(`tencentcloud/mps/v20190612/models.py`; the numbers are its lines), on purpose apart from
the bot's catalogue: the contract test checks that the two agree, rule by rule. Where the
documentation is ambiguous the stricter reading is taken, as the bot's docs/models.md says.
"""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024

# -- CreateAigcImageTask ---------------------------------------------------------------------


@dataclass(frozen=True)
class ImageRule:
    aspects: tuple[str, ...] = ()  # ExtraParameters.AspectRatio, 14753
    size: str | None = None  # AdditionalParameters size, 24258: "hunyuan" | "qwen"
    resolutions: tuple[str, ...] = ()  # ExtraParameters.Resolution, 14755 (A2: wand only)
    references: int = 1  # ImageInfos, 24252: "默认支持传入一张图片"
    reference_bytes: int = 7 * MB  # 24252: "推荐图片小于7M"; wand-vega-image "不超过20M"
    scenes: tuple[str, ...] = ()  # SceneType, 24244


EIGHT = ("16:9", "9:16", "1:1", "4:3", "3:4", "3:2", "2:3", "21:9")
_WAND_IMAGE = ImageRule(resolutions=("1K", "2K", "4K"), references=10, reference_bytes=20 * MB)

# ModelName (24240) -> ModelVersion (24242) -> rules. The first version is the one used
# when ModelVersion is left out ("the current stable version", which is not named).
IMAGE_RULES: dict[str, dict[str, ImageRule]] = {
    "Hunyuan": {
        "3.0": ImageRule(size="hunyuan", references=3, scenes=("3d_panorama",)),
        "3.5-preview": ImageRule(references=5, scenes=("3d_panorama",)),
    },
    "Qwen": {"0925": ImageRule(size="qwen")},
    "Vidu": {"q2": ImageRule(aspects=EIGHT, references=7)},
    "Kling": {
        "2.1": ImageRule(aspects=EIGHT, references=4),
        "O1": ImageRule(aspects=EIGHT, references=10),
        "3.0": ImageRule(aspects=EIGHT),
        "3.0-Omni": ImageRule(aspects=EIGHT, references=10),
    },
    "wand-vega-image": {"1.0-lite": _WAND_IMAGE, "1.0-flash": _WAND_IMAGE, "1.0-pro": _WAND_IMAGE},
}
IMAGE_FORMATS = ("jpeg", "png", "webp")  # 24252
OUTPUT_FORMATS = ("jpeg", "png")  # 14759
IMAGE_SCENES = ("3d_panorama",)

# -- CreateAigcVideoTask ---------------------------------------------------------------------


@dataclass(frozen=True)
class VideoRule:
    durations: tuple[int, ...] = ()  # Duration, 24517; empty: none documented
    default_duration: int | None = None
    # 24517: "3.0-Omni 支持 3-15 秒，当使用视频参考时只支持 3-10 秒"
    durations_with_video: tuple[int, ...] | None = None
    resolutions: tuple[str, ...] = ()  # ExtraParameters.Resolution, 15202
    default_resolution: str | None = None
    text_aspects: tuple[str, ...] = ()  # ExtraParameters.AspectRatio, 15204
    reference_aspects: tuple[str, ...] = ()
    last_frame: str | None = None  # LastImageUrl, 24507: None, "*" or the Resolution it needs
    references: tuple[int, int] = (0, 0)  # ImageInfos, 24509: (least, most)
    references_with_video: tuple[int, int] = (0, 0)
    named_references: bool = False  # PixVerse: each ImageInfos item needs a Text (24509)
    videos: bool = False  # VideoInfos, 24511
    audio: bool = False  # ExtraParameters.EnableAudio, 15208
    logo: bool = False  # ExtraParameters.LogoAdd, 15206
    off_peak: bool = False  # ExtraParameters.OffPeak, 15210
    scenes: tuple[str, ...] = ()  # SceneType, 24497


def _range(low: int, high: int) -> tuple[int, ...]:
    return tuple(range(low, high + 1))


_KLING_SCENES = ("motion_control", "avatar_i2v", "lip_sync")


def _kling(version: str) -> VideoRule:
    durations = {"O1": _range(3, 10), "3.0": _range(3, 15), "3.0-Omni": _range(3, 15)}
    last = "*" if version in ("2.0", "O1", "3.0", "3.0-Omni") else "1080P"
    omni = version in ("O1", "3.0-Omni")
    references = (1, 4) if version == "1.6" else (1, 7) if omni else (0, 0)
    return VideoRule(
        durations=durations.get(version, (5, 10)),
        default_duration=5,
        durations_with_video=_range(3, 10) if version == "3.0-Omni" else None,
        resolutions=("720P", "1080P", "4K") if version.startswith("3.0") else ("720P", "1080P"),
        default_resolution="720P",
        text_aspects=("16:9", "9:16", "1:1"),  # "Kling 仅文生视频支持"
        last_frame=last,
        references=references,
        references_with_video=(0, 4) if omni else (0, 0),
        videos=omni,
        audio=True,
        logo=True,
        scenes=_KLING_SCENES,
    )


def _vidu(version: str) -> VideoRule:
    aspects = ("16:9", "9:16", "4:3", "3:4", "1:1") if version == "q2" else ("16:9", "9:16", "1:1")
    takes_references = version in ("q2", "q2-pro", "q3-turbo", "q3", "q3-mix")
    return VideoRule(
        durations=_range(3, 16) if version.startswith("q3") else _range(1, 10),
        default_duration=5,
        resolutions=("540P", "720P", "1080P"),
        default_resolution="720P",
        text_aspects=aspects,
        reference_aspects=aspects if takes_references else (),
        last_frame="*" if version in ("q2-pro", "q2-turbo", "q3-pro", "q3-turbo") else None,
        references=(1, 7) if takes_references else (0, 0),
        videos=version == "q2-pro",
        audio=version.startswith("q3"),
        logo=True,
        off_peak=True,
        scenes=("template_effect",),
    )


def _pixverse(version: str) -> VideoRule:
    aspects = ("16:9", "9:16", "4:3", "3:4", "1:1")
    if version != "v5.6":
        aspects += ("2:3", "3:2", "21:9")
    return VideoRule(
        durations=(5, 8, 10) if version == "v5.6" else _range(1, 15),
        default_duration=5,
        resolutions=("540P", "720P", "1080P"),
        default_resolution="720P",
        text_aspects=aspects,
        reference_aspects=aspects,
        last_frame="*",
        references=(1, 7),
        named_references=True,
        audio=True,
    )


def _hailuo(version: str) -> VideoRule:
    # "Hailuo 的 std 模式可支持 6、10 秒，其他仅 6 秒": no field picks a "std mode" (A5).
    return VideoRule(
        durations=(6,),
        default_duration=6,
        resolutions=("768P", "1080P"),
        default_resolution="768P",
        last_frame="*" if version == "02" else None,
        logo=True,
    )


_H2_ASPECTS = ("16:9", "9:16", "4:3", "3:4", "4:5", "5:4", "1:1", "21:9", "9:21")

# ModelName (24493) -> ModelVersion (24495) -> rules. Mingmou lists no version: any is
# taken, and nothing but its scene is documented.
VIDEO_RULES: dict[str, dict[str, VideoRule]] = {
    "Hunyuan": {"1.5": VideoRule(scenes=("3d_scene",))},
    "wand-vega-video": {
        "1.0-lite": VideoRule(durations=_range(4, 15), last_frame="*", references=(1, 9))
    },
    "Hailuo": {v: _hailuo(v) for v in ("02", "2.3", "2.3-fast")},
    "Kling": {v: _kling(v) for v in ("1.6", "2.0", "2.1", "2.5", "O1", "2.6", "3.0", "3.0-Omni")},
    "Vidu": {
        v: _vidu(v) for v in ("q2", "q2-pro", "q2-turbo", "q3-pro", "q3-turbo", "q3", "q3-mix")
    },
    "PixVerse": {v: _pixverse(v) for v in ("v5.6", "v6", "c1")},
    "Mingmou": {},
    "H2": {
        "1.0": VideoRule(
            durations=_range(3, 15),
            default_duration=5,
            resolutions=("720P", "1080P"),
            default_resolution="1080P",
            text_aspects=_H2_ASPECTS,
            reference_aspects=_H2_ASPECTS,
            references=(1, 9),
            references_with_video=(0, 5),
            videos=True,
            logo=True,
        )
    },
}
MINGMOU = VideoRule(scenes=("land2port",))
VIDEO_SCENES = (
    "motion_control",
    "avatar_i2v",
    "lip_sync",
    "land2port",
    "template_effect",
    "3d_scene",
)
FRAME_FORMATS = ("jpeg", "png")  # 24505, 24507, 24509
FRAME_BYTES = 10 * MB  # "推荐图片大小不超过10M" (frames), "图片大小不超过10M" (ImageInfos)
REFER_TYPES = ("feature", "base")  # 15508
KEEP_SOUND = ("yes", "no")  # 15510


def video_rule(model: str, version: str) -> VideoRule:
    return MINGMOU if model == "Mingmou" else VIDEO_RULES[model][version]
