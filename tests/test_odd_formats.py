"""A result whose bytes are a whole image in a format chat clients do not show (BMP or
TIFF, served as image/png) is kept as PNG; one that cannot be turned into PNG fails
clearly. Never a `.bin` file to download."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.engine.downloads import DownloadError, write_results
from bot.engine.events import EventType
from bot.storage.jobs import JobState

from .conftest import engine_harness, fast_tunables, running_emulator

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("kind", ["bmp", "tiff"])
async def test_bmp_and_tiff_results_become_png(tmp_path, kind: str) -> None:
    async with running_emulator() as emu, engine_harness(emu, tmp_path / "db.sqlite3") as h:
        emu.inject_fault(kind, "Download")
        job_id = await h.submit(prompt="a lighthouse")
        await h.wait_until(lambda: h.terminal(job_id))
        assert h.of(job_id, EventType.READY)
        job = await h.store.get(job_id)
        assert job is not None and job.state is JobState.DELIVERED
        assert emu.stats()["downloads"]["bad"] == 1  # the odd bytes were served
        (result,) = job.results
        assert result.filename == f"job{job_id}-1.png"
        assert result.content_type == "image/png"
        data = (tmp_path / "results" / str(job_id) / result.filename).read_bytes()
        assert data.startswith(PNG) and result.size == len(data)
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "PNG" and image.width > 0 and image.height > 0


def test_a_tiff_that_cannot_be_decoded_fails_clearly_and_writes_nothing(tmp_path) -> None:
    out = io.BytesIO()
    Image.effect_noise((64, 64), 50).convert("RGB").save(out, "TIFF", compression="tiff_deflate")
    whole = out.getvalue()
    # Its header and directory are whole (it opens and verifies), its compressed picture
    # is not (the first bytes after the 8-byte header).
    broken = whole[:18] + b"\xff" * 40 + whole[58:]
    with pytest.raises(DownloadError) as raised:
        write_results([(broken, "image/png")], tmp_path, "job1", fast_tunables().downloads)
    assert raised.value.code == "invalid"
    assert "cannot be turned into PNG" in raised.value.detail
    assert not list(tmp_path.iterdir())
