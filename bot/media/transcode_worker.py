"""One transcode in a process of its own (see `transcode_pool`).

    python -m bot.media.transcode_worker SOURCE OUT TARGET_BYTES SHORT_SIDE VIDEO_BPS [SECONDS]

Writes the fitted video to OUT and exits 0; or prints the TranscodeError as one JSON line
(`{"key": …, "params": {…}}`) and exits 1. Logs go to stderr, which the bot's log shares.
With SECONDS, the worker ends itself a little after that (SIGALRM): the pool kills it at
its time limit, and this bounds it even when the bot itself was killed first.
"""

from __future__ import annotations

import json
import logging
import math
import os
import signal
import sys
from pathlib import Path

from .transcode import Floor, TranscodeError, fit_video


def main(argv: list[str]) -> int:
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    source, out, target, short_side, video_bps, *limit = argv
    if limit:
        signal.alarm(math.ceil(float(limit[0])) + 5)
    try:
        data = fit_video(Path(source), int(target), Floor(int(short_side), int(video_bps)))
        Path(out).write_bytes(data)
    except TranscodeError as exc:
        print(json.dumps({"key": exc.key, "params": {k: str(v) for k, v in exc.params.items()}}))
        return 1
    except Exception as exc:  # the parent shows "unreadable"; the reason goes to the log
        logging.getLogger(__name__).error("transcode failed: %s: %s", type(exc).__name__, exc)
        print(json.dumps({"key": "video.unreadable", "params": {}}))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
