"""`python -m bot imagine` and `python -m bot doctor`, run as a user would."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from pathlib import Path

from PIL import Image

from bot.asks.styles import BUILTIN_STYLES
from bot.storage.database import known_version
from mps_emulator import EmulatorConfig

from .conftest import running_emulator, test_database
from .databases import on_postgresql, postgresql_url
from .tool_helpers import BUCKET, REGION, decode, picture_server, subject_picture, tool_config

TOOLS_ON = {"MPS_OUTPUT_COS_BUCKET": BUCKET, "MPS_OUTPUT_COS_REGION": REGION}

ROOT = Path(__file__).resolve().parent.parent
FAST = {
    "polling": {
        "image_expected": [0.1, 0.5],
        "tool_expected": [0.05, 0.2],
        "target_interval": 0.05,
    }
}


async def run(
    tmp_path: Path,
    emu,
    *args: str,
    secret_key: str | None = None,
    endpoint: str | None = None,
    lang: str = "en_US.UTF-8",
    database_url: str | None = None,
    environ: dict[str, str] | None = None,
) -> tuple[int, str, str]:
    config = tmp_path / "config.json"
    config.write_text(json.dumps(FAST))
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.pop("DATABASE_URL", None)
    target = test_database(tmp_path / "db.sqlite3")
    database = {"DATABASE_URL": target} if isinstance(target, str) else {}
    if database_url is not None:
        database = {"DATABASE_URL": database_url}
    env.update(
        TENCENTCLOUD_SECRET_ID=emu.credentials.secret_id,
        TENCENTCLOUD_SECRET_KEY=secret_key or emu.credentials.secret_key,
        MPS_ENDPOINT=endpoint or emu.url,
        DATABASE_PATH=str(tmp_path / "db.sqlite3"),
        BOT_CONFIG=str(config),
        **database,
        PYTHONPATH=str(ROOT),
        LANG=lang,
        LC_ALL="",
    )
    for name in [n for n in env if n.startswith("MPS_OUTPUT_COS_")]:
        del env[name]
    env.update(environ or {})
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode, out.decode(), err.decode()


INK = next(s for s in BUILTIN_STYLES if s.name == "ink")


def quick() -> EmulatorConfig:
    return EmulatorConfig(
        image_wait=(0.05, 0.05), image_run=(0.1, 0.2), banned_words=("forbidden",)
    )


async def test_imagine_saves_a_valid_image(tmp_path) -> None:
    async with running_emulator(quick()) as emu:
        code, out, err = await run(
            tmp_path,
            emu,
            "imagine",
            "一只戴着草帽的橘猫",
            "--size",
            "768x1024",
            "--count",
            "2",
            "--style",
            "ink",
            "--out",
            "out",
        )
        assert emu.stats()["tasks_created"] == 2  # one image per task, as documented
        prompts = {emu.task(task_id).params["Prompt"] for task_id in emu.stats()["tasks"]}
        assert prompts == {"一只戴着草帽的橘猫, " + INK.prompt}  # a built-in style
    assert code == 0, err
    saved = sorted((tmp_path / "out").iterdir())
    assert len(saved) == 2
    for path in saved:
        assert f"Saved out/{path.name}" in out
        assert Image.open(path).size == (768, 1024)


async def test_imagine_explains_rejected_credentials_and_moderation(tmp_path) -> None:
    async with running_emulator(quick()) as emu:
        code, _, err = await run(tmp_path, emu, "imagine", "cat", secret_key="WRONG" * 6)
        assert code == 1 and "credentials were rejected" in err
        assert "WRONG" not in err
        code, _, err = await run(tmp_path, emu, "imagine", "a forbidden cat")
        assert code == 1 and "content moderation blocked" in err
        code, _, err = await run(
            tmp_path, emu, "imagine", "cat", "--size", "9x9", lang="zh_CN.UTF-8"
        )
        assert code == 2 and "宽x高" in err
        assert emu.stats()["tasks_created"] == 0


async def test_imagine_says_when_mps_is_unreachable(tmp_path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once closed
    async with running_emulator(quick()) as emu:
        code, _, err = await run(
            tmp_path, emu, "imagine", "cat", endpoint=f"http://127.0.0.1:{port}"
        )
    assert code == 1 and "Cannot reach MPS" in err


async def test_doctor_tells_a_working_key_from_a_rejected_one(tmp_path) -> None:
    async with running_emulator(quick()) as emu:
        code, out, _ = await run(tmp_path, emu, "doctor")
        assert code == 0 and "Credentials: accepted" in out
        # Without the output bucket, the doctor says the tools are off and what to set.
        assert "Image tools: off" in out and "MPS_OUTPUT_COS_BUCKET" in out
        assert "MPS_OUTPUT_COS_REGION" in out
        code, out, _ = await run(tmp_path, emu, "doctor", environ=TOOLS_ON)
        assert code == 0 and "Image tools: on" in out and BUCKET in out
        code, out, _ = await run(tmp_path, emu, "doctor", secret_key="x" * 32)
        assert code == 1 and "Credentials: rejected (AuthFailure.SignatureFailure)" in out
        assert "x" * 32 not in out


async def test_doctor_checks_the_database_on_both(tmp_path) -> None:
    async with running_emulator(quick()) as emu:
        code, out, _ = await run(tmp_path, emu, "doctor")
        assert (
            code == 0 and f"(sqlite, schema version {known_version()})" in out
        ) or "(postgresql," in out
        code, out, _ = await run(tmp_path, emu, "doctor", database_url=postgresql_url())
        assert code == 0, out
        assert "Database: postgresql://" in out and "/imagine_test_" in out
        assert f"(postgresql, schema version {known_version()})" in out
        unreachable = "postgresql://bot:hunter22@127.0.0.1:9/nothing"
        code, out, _ = await run(tmp_path, emu, "doctor", database_url=unreachable)
        assert code == 1 and "Database: not usable: cannot reach PostgreSQL" in out
        assert "Credentials: accepted" in out  # the rest is still checked
        assert "hunter22" not in out


async def test_missing_setting_is_named(tmp_path) -> None:
    async with running_emulator(quick()) as emu:
        code, _, err = await run(tmp_path, emu, "imagine", "cat", secret_key=" ")
    assert code == 2 and "TENCENTCLOUD_SECRET_KEY" in err


async def test_settings_come_from_the_dotenv_file_of_the_working_directory(tmp_path) -> None:
    async with running_emulator(quick()) as emu:
        (tmp_path / ".env").write_text(
            f"TENCENTCLOUD_SECRET_ID={emu.credentials.secret_id}\n"
            f"TENCENTCLOUD_SECRET_KEY={emu.credentials.secret_key}\n"
            f"MPS_ENDPOINT={emu.url}\n"
        )
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TENCENTCLOUD_", "MPS_", "BOT_", "DATABASE_"))
            and not k.lower().endswith("_proxy")
        }
        env["PYTHONPATH"] = str(ROOT)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "doctor",
            env=env,
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, out.decode()
    assert f"Credentials: accepted by {emu.url}" in out.decode()


async def test_doctor_names_an_account_the_service_refuses_even_while_the_bot_runs(
    tmp_path,
) -> None:
    from bot.storage.lock import DatabaseLock

    async with running_emulator(quick()) as emu:
        emu.set_account_error("FailedOperation.UserArrears")
        code, _, err = await run(tmp_path, emu, "imagine", "cat")
        assert code == 1 and "FailedOperation.UserArrears" in err
        assert emu.stats()["tasks_created"] == 0
        # The bot holds the database: doctor reads a SQLite file without the lock (a
        # PostgreSQL database is shared anyway), and probes the service itself.
        with DatabaseLock(tmp_path / "db.sqlite3"):
            code, out, _ = await run(tmp_path, emu, "doctor")
        assert code == 1
        in_use = "(postgresql, schema version" if on_postgresql() else "in use by the running bot"
        assert in_use in out
        assert "Creating tasks is stopped since" in out and "FailedOperation.UserArrears" in out
        assert "Account problem (FailedOperation.UserArrears)" in out


async def test_tool_runs_each_image_tool_on_an_image_url(tmp_path) -> None:
    photo = subject_picture((120, 80))
    async with running_emulator(tool_config()) as emu, picture_server({"p.png": photo}) as base:
        url = f"{base}/p.png"
        code, out, err = await run(
            tmp_path, emu, "tool", "upscale_2x", url, "--out", "up", environ=TOOLS_ON
        )
        assert code == 0, err
        (saved,) = (tmp_path / "up").iterdir()
        assert decode(saved.read_bytes()).size == (240, 160)
        code, out, err = await run(tmp_path, emu, "tool", "describe", url, environ=TOOLS_ON)
        assert code == 0 and out.strip(), err
        # Refused before any call: Zoom out has no wider canvas for a panorama.
        wide = subject_picture((640, 200))
        async with picture_server({"w.png": wide}) as other:
            code, _, err = await run(
                tmp_path, emu, "tool", "zoom_out", f"{other}/w.png", environ=TOOLS_ON
            )
        assert code == 2 and "already" in err
        code, _, err = await run(tmp_path, emu, "tool", "remove_background", url)
        assert code == 2 and "image tools are off" in err
        assert emu.stats()["actions"]["ProcessImage"]["accepted"] == 2
