"""Run the MPS emulator: ``python -m mps_emulator --port 8765``.

Prints the base URL on the first line of stdout and serves until Ctrl-C (or SIGTERM).
Without --secret-id/--secret-key it accepts the example key pair documented in
mps_emulator/__init__.py. Durations: --wait/--run give the centre of each task's WAIT and
RUN phases in seconds and --jitter widens both to [value - jitter, value + jitter]; they apply
to image tasks, and to video tasks unless --video-wait/--video-run are given, and likewise
--tool-wait/--tool-run to the image tools (ProcessImage). Alternatively
--total LOW HIGH (images) and --video-total LOW HIGH draw each task's total time uniformly and
split it into WAIT (--wait-fraction of it) then RUN.

Videos are real MP4 files of the requested Duration; --video-scale shrinks their frames
(0.25 turns 720P 16:9 into 320x180) to keep encoding cheap, --video-mode noise makes them big.
--banned-output-word makes matching tasks run, then FAIL with the output-moderation Message
("The generated content was blocked by content moderation."); --banned-word instead rejects
the Create with InvalidParameter.ViolationContent. --bad-results and --result-http-500s break
every result download (see mps_emulator/bad_results.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys

from .bad_results import BAD_RESULT_KINDS
from .config import ACCOUNT_ERRORS, ACTIONS, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, EmulatorConfig
from .server import MpsEmulator
from .tool_config import ToolConfig


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m mps_emulator",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    p.add_argument("--secret-id", action="append", default=[], help="repeatable, with --secret-key")
    p.add_argument("--secret-key", action="append", default=[])
    p.add_argument("--wait", type=float, help="seconds a task stays in WAIT (default 5-20)")
    p.add_argument("--run", type=float, help="seconds a task stays in RUN (default 55-160)")
    p.add_argument("--jitter", type=float, default=0.0, help="± seconds around --wait/--run")
    p.add_argument("--video-wait", type=float)
    p.add_argument("--video-run", type=float)
    p.add_argument(
        "--total",
        type=float,
        nargs=2,
        metavar=("LOW", "HIGH"),
        help="image task total seconds, uniform; overrides --wait/--run",
    )
    p.add_argument(
        "--video-total",
        type=float,
        nargs=2,
        metavar=("LOW", "HIGH"),
        help="video task total seconds, uniform; overrides the video wait/run",
    )
    p.add_argument(
        "--wait-fraction",
        type=float,
        default=0.1,
        help="share of a --total/--video-total spent in WAIT (default 0.1)",
    )
    p.add_argument("--failure-rate", type=float, default=0.0, help="probability a task FAILs")
    p.add_argument("--failure-message")
    p.add_argument(
        "--banned-word",
        action="append",
        default=[],
        help="prompt word answered InvalidParameter.ViolationContent (repeatable)",
    )
    p.add_argument(
        "--banned-output-word",
        action="append",
        default=[],
        help="prompt word whose task runs, then FAILs output moderation (repeatable)",
    )
    p.add_argument(
        "--video-scale",
        type=float,
        default=1.0,
        help="scale of video frames against the requested resolution, in (0, 1]",
    )
    p.add_argument(
        "--video-mode",
        choices=("gradient", "noise"),
        default="gradient",
        help="noise: lossless random frames, ~width*height*36 bytes per second",
    )
    p.add_argument(
        "--bad-results",
        choices=BAD_RESULT_KINDS,
        help="serve every result download broken this way",
    )
    p.add_argument(
        "--result-http-500s",
        type=int,
        default=0,
        metavar="N",
        help="each result URL answers HTTP 500 N times before it works",
    )
    p.add_argument("--url-lifetime", type=float, default=43200.0, help="result URL seconds")
    p.add_argument("--clock-skew", type=float, default=300.0)
    p.add_argument(
        "--rate-limit",
        action="append",
        default=[],
        metavar="ACTION=N",
        help="override one action's per-second limit (repeatable)",
    )
    p.add_argument("--max-running", type=int, help="cap on unfinished tasks per kind")
    p.add_argument("--tool-wait", type=float, help="image tool task WAITING seconds (1-3)")
    p.add_argument("--tool-run", type=float, help="image tool task PROCESSING seconds (4-15)")
    p.add_argument("--tool-failure-rate", type=float, default=0.0, help="image tool FAILs")
    p.add_argument(
        "--account-error",
        choices=ACCOUNT_ERRORS,
        help="answer every request with this account error (also POST /_emulator/account)",
    )
    p.add_argument("--image-mode", choices=("gradient", "noise"), default="gradient")
    p.add_argument(
        "--shared-images",
        action="store_true",
        help="serve one picture per size to every task (drawn once, cheap)",
    )
    p.add_argument("--seed", type=int)
    p.add_argument("--public-url", help="base of result URLs (default: the Host reached)")
    p.add_argument("--verbose", "-v", action="store_true", help="log every request")
    return p.parse_args(argv)


def build_config(args: argparse.Namespace) -> EmulatorConfig:
    if len(args.secret_id) != len(args.secret_key):
        raise SystemExit("give --secret-id and --secret-key in pairs")
    credentials = dict(zip(args.secret_id, args.secret_key, strict=True)) or {
        DEFAULT_SECRET_ID: DEFAULT_SECRET_KEY
    }
    defaults = EmulatorConfig()
    rate_limits = dict(defaults.rate_limits)
    for item in args.rate_limit:
        action, _, limit = item.partition("=")
        if action not in ACTIONS:
            raise ValueError(f"--rate-limit: unknown action {action!r}")
        rate_limits[action] = int(limit)

    def around(centre: float | None, default: tuple[float, float]) -> tuple[float, float]:
        if centre is None:
            return default
        return max(0.0, centre - args.jitter), centre + args.jitter

    video_wait = args.video_wait if args.video_wait is not None else args.wait
    video_run = args.video_run if args.video_run is not None else args.run
    return EmulatorConfig(
        credentials=credentials,
        rate_limits=rate_limits,
        image_wait=around(args.wait, defaults.image_wait),
        image_run=around(args.run, defaults.image_run),
        video_wait=around(video_wait, defaults.video_wait),
        video_run=around(video_run, defaults.video_run),
        image_total=tuple(args.total) if args.total else None,
        video_total=tuple(args.video_total) if args.video_total else None,
        wait_fraction=args.wait_fraction,
        shared_images=args.shared_images,
        failure_rate=args.failure_rate,
        failure_message=args.failure_message or defaults.failure_message,
        banned_words=tuple(args.banned_word),
        banned_output_words=tuple(args.banned_output_word),
        video_scale=args.video_scale,
        video_mode=args.video_mode,
        bad_results=args.bad_results,
        result_http_500s=args.result_http_500s,
        url_lifetime=args.url_lifetime,
        clock_skew=args.clock_skew,
        max_running_tasks=args.max_running,
        tools=ToolConfig(
            wait=around(args.tool_wait, defaults.tools.wait),
            run=around(args.tool_run, defaults.tools.run),
            failure_rate=args.tool_failure_rate,
        ),
        account_error=args.account_error,
        image_mode=args.image_mode,
        seed=args.seed,
        public_url=args.public_url,
    )


async def serve(config: EmulatorConfig, host: str, port: int) -> None:
    emulator = MpsEmulator(config)
    url = await emulator.start(host, port)
    print(f"MPS emulator listening on {url}", flush=True)
    if config.credentials == {DEFAULT_SECRET_ID: DEFAULT_SECRET_KEY}:
        # The example pair is public, so showing the key helps and leaks nothing.
        print(f"SecretId {DEFAULT_SECRET_ID} SecretKey {DEFAULT_SECRET_KEY}", flush=True)
    else:
        print(f"accepting SecretId {', '.join(config.credentials)}", flush=True)
    print("Ctrl-C to stop", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await emulator.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        config = build_config(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.verbose:
        logging.getLogger("aiohttp.access").setLevel(logging.INFO)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(config, args.host, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
