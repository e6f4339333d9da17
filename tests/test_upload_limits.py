"""Re-encoding for Discord stays within memory and fails with one clear, path-free error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.discord_app.uploads import UploadError, fit_uploads
from tests.image_helpers import uniform_png

ROOT = Path(__file__).resolve().parent.parent

# Run in a child so that its peak RSS measures this one call and nothing before it; the
# address-space limit keeps a regression from taking the shared machine's memory with it.
CHILD = r"""
import resource, sys
from pathlib import Path
from tests.image_helpers import uniform_png
from bot.discord_app.uploads import UploadError, fit_uploads

path = Path(sys.argv[1]) / "result-1.png"
path.write_bytes(uniform_png(12000, 12000))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
soft, hard = resource.getrlimit(resource.RLIMIT_AS)
with open("/proc/self/status") as status:
    vm = next(int(l.split()[1]) for l in status if l.startswith("VmSize:")) * 1024
resource.setrlimit(resource.RLIMIT_AS, (vm + 400 * 2**20, hard))
try:
    fit_uploads([(path, "result-1.png")], 100_000)
except UploadError as exc:
    print("UploadError", str(exc))
except MemoryError:
    print("MemoryError")
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print("grew_kib", after - before)
"""


def test_a_144_megapixel_png_is_refused_without_decoding(tmp_path: Path):
    run = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("UploadError"), run.stdout
    assert str(tmp_path) not in lines[0]
    grew_kib = int(lines[1].split()[1])
    assert grew_kib < 64 * 1024  # a decode would take over 400 MiB


def test_garbage_and_missing_files_raise_upload_error_without_a_path(tmp_path: Path):
    junk = tmp_path / "job1-1.png"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 200_000)
    with pytest.raises(UploadError) as caught:
        fit_uploads([(junk, "job1-1.png")], 1000)
    assert str(tmp_path) not in str(caught.value)
    assert caught.value.key

    with pytest.raises(UploadError) as caught:
        fit_uploads([(tmp_path / "gone.png", "gone.png")], 1000)
    assert str(tmp_path) not in str(caught.value)


def test_upload_error_is_still_a_value_error():
    # The delivery code catches (OSError, ValueError); an UploadError must stay inside that.
    assert issubclass(UploadError, ValueError)


def test_small_files_pass_untouched(tmp_path: Path):
    path = tmp_path / "a.png"
    path.write_bytes(uniform_png(32, 32))
    [upload] = fit_uploads([(path, "a.png")], 10_000_000)
    assert upload.data == path.read_bytes() and not upload.reencoded


def test_large_files_are_reencoded(tmp_path: Path):
    path = tmp_path / "a.png"
    path.write_bytes(uniform_png(2000, 2000))
    [upload] = fit_uploads([(path, "a.png")], 5000)
    assert upload.reencoded and upload.filename == "a.jpg" and len(upload.data) <= 5000
