"""Downloaded results are checked to be what they claim before they are kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config.tunables import Downloads
from bot.engine.downloads import DownloadError, verify_result, write_results
from tests.image_helpers import mp4_header, small_image, uniform_png

LIMITS = Downloads()


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (small_image("PNG"), "image/png"),
        (small_image("JPEG"), "image/jpeg"),
        (small_image("WEBP"), "image/webp"),
        (mp4_header(), "video/mp4"),
    ],
)
def test_good_results_pass(data: bytes, content_type: str):
    verify_result(data, content_type, LIMITS.max_pixels)


def _invalid(data: bytes, content_type: str, max_pixels: int = LIMITS.max_pixels) -> str:
    with pytest.raises(DownloadError) as caught:
        verify_result(data, content_type, max_pixels)
    assert caught.value.code == "invalid"
    return caught.value.detail


def test_garbage_is_invalid():
    _invalid(b"<html>Access denied</html>", "application/octet-stream")


def test_zero_bytes_is_invalid():
    _invalid(b"", "image/png")


def test_truncated_png_and_jpeg_are_invalid():
    png, jpeg = small_image("PNG"), small_image("JPEG", (256, 256))
    _invalid(png[: len(png) // 2], "image/png")
    _invalid(jpeg[: len(jpeg) // 2], "image/jpeg")


def test_truncated_mp4_is_invalid():
    video = mp4_header()
    _invalid(video[:20], "video/mp4")
    _invalid(b"\x00\x00\x00\x08ftyp", "video/mp4")


# Pillow warns of a possible bomb on opening (over 89 megapixels), before the cap refuses it.
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_images_over_the_pixel_cap_are_invalid_without_decoding():
    detail = _invalid(uniform_png(12000, 12000), "image/png")
    assert "12000x12000" in detail
    _invalid(small_image("PNG", (100, 100)), "image/png", max_pixels=9999)


def test_write_results_refuses_garbage_and_leaves_no_file(tmp_path: Path):
    with pytest.raises(DownloadError) as caught:
        write_results([(b"not an image at all", "image/png")], tmp_path, "job1", LIMITS)
    assert caught.value.code == "invalid"
    assert str(tmp_path) not in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_write_results_keeps_good_files(tmp_path: Path):
    files = write_results([(small_image("PNG"), None), (mp4_header(), None)], tmp_path, "j", LIMITS)
    assert [f.filename for f in files] == ["j-1.png", "j-2.mp4"]
    assert files[0].path.read_bytes() == small_image("PNG")


def test_a_failed_write_gives_no_path(tmp_path: Path):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    with pytest.raises(DownloadError) as caught:
        write_results([(small_image("PNG"), None)], blocked / "sub", "j", LIMITS)
    assert caught.value.code == "failed"
    assert str(tmp_path) not in str(caught.value)
