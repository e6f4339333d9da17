"""Image tool uses as jobs of the engine: the answers of DescribeImageTaskDetail read
honestly, a tool job resumed by its TaskId after a stop (never sent twice), a failed tool
task failing its job with its code, a description kept with its job, and tool uses counted
by the quotas as images unless the server sets a tool limit (on both databases)."""

from __future__ import annotations

import time

from bot.asks.tools import Tool, ToolAsk, build_tool_request
from bot.engine.downloader import result_text
from bot.engine.durations import DurationBook
from bot.engine.events import ErrorCategory, EventType, JobRequest
from bot.mps.image_task_state import (
    ImageOutput,
    ImageResult,
    ImageTaskState,
    ImageTaskStatus,
    ResultStatus,
)
from bot.mps.models import TaskKind, TaskStatus
from bot.rules.asks import Ask, Pending
from bot.rules.quotas import QuotaBook
from bot.rules.server_settings_store import ServerSettingsStore
from bot.storage.database import open_database
from bot.storage.jobs import JobState, JobStore
from bot.storage.usage import UsageReader
from bot.text.wording import failure_text
from mps_emulator.tool_tasks import ToolFailure

from .conftest import engine_harness, fast_tunables, running_emulator, test_database
from .tool_helpers import STORAGE, picture_server, subject_picture, tool_config

PICTURE = subject_picture((120, 80))


def state(status, *results, err_msg="") -> ImageTaskState:
    return ImageTaskState("t", status, tuple(results), err_msg=err_msg)


def test_the_answers_map_onto_the_engines_states() -> None:
    done = ImageResult(ResultStatus.SUCCESS, output=ImageOutput(url="https://cos/x.png"))
    text = ImageResult(ResultStatus.SUCCESS, output=ImageOutput(content="a red kite"))
    running = ImageResult(ResultStatus.PROCESSING, progress=40)
    failed = ImageResult(ResultStatus.FAIL, code="InvalidInput.NoSubject", message="No subject")
    assert state(ImageTaskStatus.WAITING).as_task_state().status is TaskStatus.WAIT
    processing = state(ImageTaskStatus.PROCESSING, running).as_task_state()
    assert (processing.status, processing.progress) == (TaskStatus.RUN, 40)  # MPS's own
    assert state(ImageTaskStatus.WAITING).as_task_state().progress is None
    # FINISH while a result still runs: not final (looked at again, never given up).
    assert state(ImageTaskStatus.FINISH, running).as_task_state().status is TaskStatus.RUN
    assert state(None).as_task_state().status is None  # an unknown status: not final
    ok = state(ImageTaskStatus.FINISH, done).as_task_state()
    assert (ok.status, ok.urls) == (TaskStatus.DONE, ("https://cos/x.png",))
    described = state(ImageTaskStatus.FINISH, text).as_task_state()
    assert (described.status, described.text, described.urls) == (TaskStatus.DONE, "a red kite", ())
    bad = state(ImageTaskStatus.FINISH, failed).as_task_state()
    assert (bad.status, bad.code, bad.message) == (
        TaskStatus.FAIL,
        "InvalidInput.NoSubject",
        "No subject",
    )
    # FINISH and SUCCESS but nothing in it, or an error at the task's level: failures.
    empty = state(ImageTaskStatus.FINISH, ImageResult(ResultStatus.SUCCESS, output=ImageOutput()))
    assert empty.as_task_state().status is TaskStatus.FAIL
    task_error = state(ImageTaskStatus.FINISH, done, err_msg="InternalError").as_task_state()
    assert (task_error.status, task_error.code) == (TaskStatus.FAIL, "InternalError")
    blocked = ImageResult(ResultStatus.FAIL, code="FailedOperation.ContentViolation")
    assert state(ImageTaskStatus.FINISH, blocked).as_task_state().blocked


def tool_request(tool: Tool, url: str, user: int = 1) -> JobRequest:
    valid = build_tool_request(ToolAsk(tool, url, 120, 80), STORAGE, f"k{user}{tool.value}")
    return JobRequest(
        kind=TaskKind.TOOL,
        guild_id=1,
        user_id=user,
        model=tool.value,
        prompt=None,
        request=valid.request.to_api(),
    )


async def test_a_tool_job_resumes_by_its_task_id_and_is_never_sent_twice(tmp_path) -> None:
    db_path = tmp_path / "db.sqlite3"
    slow = tool_config(wait=(0.3, 0.3), run=(0.6, 0.6))
    async with running_emulator(slow) as emu, picture_server({"p.png": PICTURE}) as base:
        async with engine_harness(emu, db_path, deliver=False) as h:
            job = await h.engine.submit(tool_request(Tool.UPSCALE_2X, f"{base}/p.png"))
            await h.wait_until(
                lambda: any(e.job.mps_status == "RUN" for e in h.of(job.id, EventType.STATUS))
            )
            # The progress shown is what MPS reports (just started), not the estimate
            # (which, past the 0.2 s the prior allows, would say 95 %).
            progress = h.engine.progress(job.id)
            assert progress is not None and progress.fraction is not None
            assert progress.fraction < 0.9
            await h.engine.abort()  # as a crash: the task runs on at MPS
        db = await open_database(test_database(db_path))
        try:
            stored = await JobStore(db).get(job.id)
        finally:
            await db.close()
        assert stored.state is JobState.RUNNING and stored.task_id
        async with engine_harness(emu, db_path) as h:
            await h.wait_until(lambda: h.terminal(job.id))
            resumed = await h.store.get(job.id)
        assert resumed.state is JobState.DELIVERED and resumed.task_id == stored.task_id
        (result,) = resumed.results
        assert result.content_type == "image/png" and result.size > 0
        actions = emu.stats()["actions"]
        assert actions["ProcessImage"]["accepted"] == 1
        assert actions["DescribeImageTaskDetail"]["requests"] >= 1


async def test_failures_and_descriptions_end_their_jobs(tmp_path) -> None:
    async with (
        running_emulator(tool_config()) as emu,
        picture_server({"p.png": PICTURE}) as base,
        engine_harness(emu, tmp_path / "db.sqlite3", deliver=False) as h,
    ):
        emu.service.tools.fail_next(ToolFailure("InvalidInput.NoSubject", "No subject."))
        cut = await h.engine.submit(tool_request(Tool.REMOVE_BACKGROUND, f"{base}/p.png"))
        # The failure is the next task's: this one's, before the others are asked.
        await h.wait_until(lambda: h.terminal(cut.id))
        said = await h.engine.submit(tool_request(Tool.DESCRIBE, f"{base}/p.png", user=2))
        gone = await h.engine.submit(tool_request(Tool.ZOOM_OUT, f"{base}/gone.png", user=3))
        await h.wait_until(
            lambda: h.terminal(cut.id) and h.terminal(gone.id) and h.of(said.id, EventType.READY)
        )
        # A picture MPS cannot fetch (deleted, its link expired): told as such, for free.
        missing = await h.store.get(gone.id)
        assert missing.error_category == ErrorCategory.REFERENCE_DOWNLOAD
        assert "Press the tool again" in failure_text("en-US", missing, 1800)
        assert emu.stats()["actions"]["ProcessImage"]["accepted"] == 2
        failed = await h.store.get(cut.id)
        assert failed.state is JobState.FAILED
        assert failed.error_category == ErrorCategory.GENERATION_FAILED
        assert failed.error_code == "InvalidInput.NoSubject"
        assert failed.error_message == "No subject."
        described = await h.store.get(said.id)
        assert described.state is JobState.READY and described.results == ()
        assert result_text(described) and "120x80" in result_text(described)
        # A finished tool task teaches the next start how long its tool takes.
        book = DurationBook(h.engine.tunables.polling)
        await book.learn_from_history(h.store, [(TaskKind.TOOL, "describe")])
        assert book.model(TaskKind.TOOL, "describe").count == 1


async def test_tool_uses_count_as_images_unless_the_server_sets_a_tool_limit(
    both_databases,
) -> None:
    db = await open_database(both_databases)
    try:
        tunables = fast_tunables()
        settings = ServerSettingsStore(db, tunables)
        await settings.load()
        quotas = QuotaBook(settings, UsageReader(db))
        store = JobStore(db)
        now = time.time()
        for kind in (TaskKind.IMAGE, TaskKind.TOOL, TaskKind.TOOL):
            job = await store.create(
                kind=kind, guild_id=1, user_id=7, model="m", prompt=None, request={}
            )
            await store.update(job.id, state=JobState.DELIVERED, submitted_at=now)
        await settings.set(1, {"daily_per_user": 3})
        image = Ask(1, 7, TaskKind.IMAGE)
        (line, *_) = await quotas.lines(image, Pending(user=1, guild=1))
        assert (line.name, line.used) == ("daily_per_user", 4)  # 1 image + 2 uses + this
        await settings.set(1, {"tools_daily_per_user": 5})
        (line, *_) = await quotas.lines(image, Pending(user=1, guild=1))
        assert line.used == 2  # the tools now count apart
        (tool_line,) = await quotas.lines(Ask(1, 7, TaskKind.TOOL), Pending(user=1, guild=1))
        assert (tool_line.name, tool_line.used, tool_line.limit) == ("tools_daily_per_user", 3, 5)
        # Jobs written and not accepted yet count with their kinds, in the rules' last word.
        await store.create(
            kind=TaskKind.TOOL, guild_id=1, user_id=7, model="m", prompt=None, request={}
        )
        waiting = await UsageReader(db).unaccepted(1, quotas.kinds(1, TaskKind.TOOL))
        assert waiting[7] == 1
        await settings.set(1, {"tools_daily_per_user": 0})
        assert await UsageReader(db).unaccepted(1, quotas.kinds(1, TaskKind.IMAGE)) == {7: 1}
    finally:
        await db.close()


async def test_a_refused_bucket_fails_the_tool_job_and_stops_nothing_else(tmp_path) -> None:
    config = tool_config(buckets={"elsewhere-1250000000": "ap-guangzhou"})
    async with (
        running_emulator(config) as emu,
        picture_server({"p.png": PICTURE}) as base,
        engine_harness(emu, tmp_path / "db.sqlite3") as h,
    ):
        tool = await h.engine.submit(tool_request(Tool.ZOOM_OUT, f"{base}/p.png"))
        await h.wait_until(lambda: h.terminal(tool.id))
        failed = await h.store.get(tool.id)
        assert failed.error_category == ErrorCategory.OPERATOR
        assert failed.error_code == "ResourceNotFound.CosBucketNotExist"
        # The account is fine: Creates go on, and an image is made.
        assert not h.engine.outage.active
        image = await h.submit(guild=2, user=3)
        await h.wait_until(lambda: h.terminal(image))
        assert (await h.store.get(image)).state is JobState.DELIVERED


async def test_a_large_input_is_read_whole(tmp_path) -> None:
    import io
    import os

    from PIL import Image

    # Noise does not compress: a PNG of several megabytes, served in many chunks.
    noise = Image.frombytes("RGB", (1000, 700), os.urandom(1000 * 700 * 3))
    out = io.BytesIO()
    noise.save(out, "PNG")
    assert len(out.getvalue()) > 1_000_000
    async with (
        running_emulator(tool_config()) as emu,
        picture_server({"big.png": out.getvalue()}) as base,
        engine_harness(emu, tmp_path / "db.sqlite3", deliver=False) as h,
    ):
        said = await h.engine.submit(tool_request(Tool.DESCRIBE, f"{base}/big.png"))
        await h.wait_until(lambda: h.terminal(said.id) or h.of(said.id, EventType.READY))
        described = await h.store.get(said.id)
        assert described.state is JobState.READY, described.error_message
        assert "1000x700" in (result_text(described) or "")
