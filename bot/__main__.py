"""Entry point: `python -m bot` runs the Discord bot; sub-commands for the CLI tools."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from .asks.images import ImageOptions
from .asks.tools import Tool
from .cli import cli_locale, doctor, imagine, load_or_explain, use_tool
from .config.environment import Environment
from .log_redaction import install_redaction
from .storage.database import DatabaseError
from .text.i18n import t


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the Discord bot (the default)")

    gen = sub.add_parser("imagine", help="generate images from the command line")
    gen.add_argument("prompt")
    gen.add_argument("--out", type=Path, default=Path("out"), help="folder for the images")
    gen.add_argument("--model")
    gen.add_argument("--version", dest="model_version")
    gen.add_argument("--negative", help="negative prompt")
    gen.add_argument("--size", help="WIDTHxHEIGHT, for models sized in pixels")
    gen.add_argument("--aspect", help="aspect ratio such as 16:9")
    gen.add_argument("--ref", action="append", default=[], help="reference image URL")
    gen.add_argument("--count", type=int, default=1, help="images: one task each")
    gen.add_argument("--enhance", action="store_true", help="let MPS enhance the prompt")
    gen.add_argument("--resolution", help="1K, 2K or 4K, for the models that take one")
    gen.add_argument("--format", dest="output_format", choices=("jpeg", "png"))
    gen.add_argument("--style", help="a built-in style: cinematic, anime, watercolor, ink…")

    tool = sub.add_parser(
        "tool", help="run an image tool (needs MPS_OUTPUT_COS_BUCKET and _REGION) on an image URL"
    )
    tool.add_argument("tool", choices=[t.value for t in Tool])
    tool.add_argument("url", help="the image's http(s) URL, which MPS fetches")
    tool.add_argument("--out", type=Path, default=Path("out"), help="folder for the result")

    sub.add_parser("doctor", help="check configuration and credentials")

    sync = sub.add_parser("sync", help="register the slash commands with Discord")
    sync.add_argument("--guild", type=int, help="sync to one server only (instant)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    locale = cli_locale()
    command = args.command or "run"
    needs_discord = command in ("run", "sync")
    environment = load_or_explain(
        locale, require_mps=command != "sync", require_discord=needs_discord
    )
    if environment is None:
        return 2
    logging.basicConfig(
        level=environment.log_level if needs_discord else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Tokens and keys never reach the log, whatever a library logs at DEBUG.
    install_redaction(environment.secret_values())
    try:
        return _run(command, args, environment, locale)
    except DatabaseError as exc:
        print(t(locale, "cli.database_error", message=str(exc)), file=sys.stderr)
        return 2


def _run(command: str, args: argparse.Namespace, environment: Environment, locale: str) -> int:
    if command == "imagine":
        options = ImageOptions(
            prompt=args.prompt,
            model=args.model,
            version=args.model_version,
            negative_prompt=args.negative,
            size=args.size,
            aspect=args.aspect,
            references=tuple(args.ref),
            count=args.count,
            enhance_prompt=args.enhance,
            resolution=args.resolution,
            output_format=args.output_format,
            style=args.style,
        )
        return asyncio.run(imagine(environment, options, args.out, locale))
    if command == "tool":
        return asyncio.run(use_tool(environment, Tool(args.tool), args.url, args.out, locale))
    if command == "doctor":
        return asyncio.run(doctor(environment, locale))
    from .discord_app.launcher import run_bot, sync_commands

    if command == "sync":
        return asyncio.run(sync_commands(environment, args.guild))
    return run_bot(environment)


if __name__ == "__main__":
    sys.exit(main())
