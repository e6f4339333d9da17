"""A video too big to post with its job, offered again from /history (the Download button).

Its file stays on disk after the failed delivery; here it is transcoded for the presser's
current upload limit with a lower floor than delivery accepts: small and soft beats nothing.
"""

from __future__ import annotations

from pathlib import Path

from ..config.tunables import Video
from ..media.transcode import Floor, TranscodeError
from ..media.transcode_pool import TranscodePool
from ..refusal import Refusal
from .uploads import Upload, fit_video_uploads

# 144 lines and 48 kbit/s: the least that still shows what the video was.
RESCUE_FLOOR = Floor(short_side=144, video_bps=48_000)


async def rescue_upload(
    files: list[tuple[Path, str]], limit: int, video: Video, transcodes: TranscodePool
) -> Upload:
    """The job's video, fitted under `limit` (in `transcodes`); Refusal when it cannot be."""
    present = [(path, name) for path, name in files if path.is_file()]
    if not present:
        raise Refusal("video.error.download_gone")
    floor = Floor(
        min(video.min_short_side, RESCUE_FLOOR.short_side),
        min(video.min_video_kbps * 1000, RESCUE_FLOOR.video_bps),
    )
    try:
        (upload,) = await fit_video_uploads(present[:1], limit, floor, transcodes)
    except TranscodeError as exc:
        if exc.key == "video.transcode_timeout":
            raise Refusal("video.error.download_timeout", **exc.params) from None
        raise Refusal(
            "video.error.download_cannot_fit" if exc.key == "video.cannot_fit" else exc.key,
            max=f"{limit / 2**20:.1f}",
        ) from None
    return upload
