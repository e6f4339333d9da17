"""The video catalogue, option validation and transcoding, without Discord."""

from __future__ import annotations

import io
from pathlib import Path

import av
import pytest

from bot.asks.videos import VideoOptions, validate_video
from bot.config.checks import tunables_from_json
from bot.config.tunables import Tunables
from bot.media.transcode import Floor, TranscodeError, fit_video, probe
from bot.refusal import Refusal
from mps_emulator.config import EmulatorConfig
from mps_emulator.video_validation import validate_video_create
from mps_emulator.videos import VideoParams, render_video

TUNABLES = Tunables()


def test_every_catalogue_choice_is_one_the_service_accepts() -> None:
    """Each model, version, duration, resolution, aspect, last frame and sound the bot
    offers passes the emulator's checks, which follow the SDK documentation."""
    emulator = EmulatorConfig()
    frame = "https://x/a.png"
    for spec in TUNABLES.video_models.values():
        for version, rules in spec.versions.items():
            asks = [VideoOptions("p", spec.name, version, duration=d) for d in rules.durations]
            asks += [VideoOptions("p", spec.name, version, resolution=r) for r in rules.resolutions]
            asks += [VideoOptions("p", spec.name, version, aspect=a) for a in rules.text_aspects]
            asks += [VideoOptions("p", spec.name, version, audio=rules.audio)]
            asks += [VideoOptions("p", spec.name, version, first_frame=frame)]
            if rules.max_references:
                refs = (frame,) * rules.max_references
                asks += [
                    VideoOptions("p", spec.name, version, aspect=a, references=refs)
                    for a in (*rules.reference_aspects, None)
                ]
            if rules.last_frame:
                asks += [VideoOptions("p", spec.name, version, first_frame=frame, last_frame=frame)]
            for options in asks:
                request = validate_video(options, TUNABLES).request.to_api()
                validate_video_create(request, emulator)
            if rules.last_frame is None:
                with pytest.raises(Refusal):
                    validate_video(
                        VideoOptions("p", spec.name, version, first_frame=frame, last_frame=frame),
                        TUNABLES,
                    )


def test_defaults_are_kling_3_with_audio_available() -> None:
    valid = validate_video(VideoOptions("a cat", audio=True), TUNABLES)
    api = valid.request.to_api()
    assert (api["ModelName"], api["ModelVersion"], api["Duration"]) == ("Kling", "3.0", 5)
    assert api["ExtraParameters"] == {"Resolution": "720P", "EnableAudio": True}
    record = valid.record(VideoOptions("a cat", audio=True))
    assert validate_video(VideoOptions.from_record(record), TUNABLES).request == valid.request


def test_a_model_with_nothing_documented_is_sent_nothing() -> None:
    api = validate_video(VideoOptions("waves", model="Hunyuan"), TUNABLES).request.to_api()
    assert api == {"ModelName": "Hunyuan", "ModelVersion": "1.5", "Prompt": "waves"}


@pytest.mark.parametrize(
    ("options", "key"),
    [
        (VideoOptions("x", duration=16), "video.error.duration"),
        (VideoOptions("x", model="Hunyuan", audio=True), "video.error.audio"),
        (VideoOptions("x", model="Hunyuan", duration=5), "video.error.duration_none"),
        (VideoOptions("x", resolution="540P"), "video.error.resolution"),
        (VideoOptions("x", aspect="3:2"), "video.error.aspect"),
        (VideoOptions("x", model="Hailuo", aspect="16:9"), "video.error.aspect_none"),
        (VideoOptions("x", aspect="16:9", first_frame="u"), "video.error.aspect_with_frame"),
        (VideoOptions("x", model="Sora"), "video.error.model_unknown"),
        (VideoOptions("x", version="9"), "video.error.version_unknown"),
        (VideoOptions("x" * 2001), "error.prompt_too_long"),
        (VideoOptions(None), "video.error.prompt_missing"),
        (VideoOptions("x", last_frame="https://x/b.png"), "video.error.last_without_first"),
        (VideoOptions("x", references=("u",)), "video.error.references_unsupported"),
        (
            VideoOptions("x", "Vidu", "q3", references=("u",) * 8),
            "video.error.references_count",
        ),
        (
            VideoOptions("x", "Kling", "2.1", resolution="720P", first_frame="u", last_frame="v"),
            "video.error.last_frame_resolution",
        ),
    ],
)
def test_bad_options_are_refused(options: VideoOptions, key: str) -> None:
    with pytest.raises(Refusal) as refused:
        validate_video(options, TUNABLES)
    assert refused.value.key == key


def test_a_last_frame_picks_the_resolution_it_needs() -> None:
    options = VideoOptions("x", "Kling", "2.1", first_frame="u", last_frame="v")
    assert validate_video(options, TUNABLES).resolution == "1080P"


def test_prompt_of_2000_characters_is_accepted() -> None:
    assert validate_video(VideoOptions("x" * 2000), TUNABLES).request.prompt == "x" * 2000


def test_config_checks_refuse_a_bad_video_catalogue() -> None:
    good = {
        "versions": {"1": {"durations": [5, 10], "default_duration": 5}},
        "default_version": "1",
    }
    with pytest.raises(ValueError, match=r"video\.default_model"):
        tunables_from_json({"video_models": {"X": good}})
    for change, message in [
        ({"durations": [0]}, "durations"),
        ({"resolutions": ["720p"]}, "resolutions"),
        ({"last_frame": "4K"}, "last_frame"),
        ({"default_resolution": "480P"}, "default_resolution"),
        ({"default_duration": 7}, "default_duration"),
        ({"min_references": 3, "max_references": 2}, "min_references"),
    ]:
        version = {**good["versions"]["1"], **change}
        data = {
            "video_models": {"X": {**good, "versions": {"1": version}}},
            "video": {"default_model": "X"},
        }
        with pytest.raises(ValueError, match=message):
            tunables_from_json(data)
    ok = tunables_from_json({"video_models": {"X": good}, "video": {"default_model": "X"}})
    assert ok.video_models["X"].versions["1"].durations == (5, 10)


def _streams(data: bytes) -> tuple[float, bool]:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        return frames / float(stream.average_rate), bool(container.streams.audio)


def test_transcode_fits_a_big_video_and_keeps_its_sound(tmp_path: Path) -> None:
    path = tmp_path / "big.mp4"
    path.write_bytes(render_video(VideoParams(320, 180, 3, True, "noise")))
    assert path.stat().st_size > 5 * 2**20
    out = fit_video(path, 1 * 2**20)
    assert len(out) <= 1 * 2**20
    seconds, has_audio = _streams(out)
    assert abs(seconds - 3) < 0.1 and has_audio
    assert probe(out).has_audio


def test_transcode_refuses_below_its_floor(tmp_path: Path) -> None:
    path = tmp_path / "big.mp4"
    path.write_bytes(render_video(VideoParams(320, 180, 3, False, "noise")))
    with pytest.raises(TranscodeError) as refused:
        fit_video(path, 20 * 1024, Floor(240, 150_000))
    assert refused.value.key == "video.cannot_fit"
    (tmp_path / "bad.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 not really")
    with pytest.raises(TranscodeError) as unreadable:
        fit_video(tmp_path / "bad.mp4", 2**20)
    assert unreadable.value.key == "video.unreadable"
