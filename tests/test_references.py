"""Reference images are checked from their bytes, before anything is spent."""

from __future__ import annotations

import pytest

from bot.asks.references import check_reference_bytes
from bot.refusal import Refusal
from bot.text.i18n import t
from tests.image_helpers import small_image

MB = 1024 * 1024


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        ("PNG", "image/png"),
        ("JPEG", "image/jpeg"),
        ("WEBP", "image/webp"),
    ],
)
def test_real_images_pass_and_their_type_is_read_from_the_bytes(fmt: str, content_type: str):
    assert check_reference_bytes(small_image(fmt), "image/png", 7 * MB) == content_type


def _refused(data: bytes, declared: str | None = "image/png", limit: int = 7 * MB):
    with pytest.raises(Refusal) as caught:
        check_reference_bytes(data, declared, limit)
    for locale in ("en-US", "zh-CN"):
        assert t(locale, caught.value.key, **caught.value.params)
    return caught.value


def test_an_empty_file_is_refused():
    assert _refused(b"").key == "error.reference_empty"


def test_a_text_file_named_png_is_refused():
    refusal = _refused(b"hello, this is not an image\n")
    assert refusal.key == "error.reference_not_image"


def test_riff_that_is_not_webp_is_refused():
    assert _refused(b"RIFF\x10\x00\x00\x00WAVEfmt ").key == "error.reference_not_image"


def test_a_declared_type_other_than_an_image_is_refused():
    refusal = _refused(small_image("PNG"), declared="application/zip")
    assert refusal.key == "error.reference_type"


def test_a_file_over_the_limit_is_refused():
    refusal = _refused(small_image("PNG") + b"\x00" * 2 * MB, limit=1 * MB)
    assert refusal.key == "error.reference_too_large"
    assert refusal.params == {"size": "2.0", "max": "1"}
