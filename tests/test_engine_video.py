"""Video tasks go through the same engine, with their own quotas and poll budget."""

from __future__ import annotations

from dataclasses import replace

from bot.engine.events import JobRequest
from bot.mps.models import TaskKind, VideoTaskRequest
from bot.storage.jobs import JobState

from .conftest import engine_harness, fast_emulator_config, fast_tunables, running_emulator


async def test_video_job_completes_with_its_own_describe_action(tmp_path) -> None:
    config = fast_emulator_config(video_wait=(0.05, 0.05), video_run=(0.2, 0.3))
    tunables = fast_tunables()
    tunables = replace(tunables, polling=replace(tunables.polling, video_expected=(0.2, 0.4)))
    async with (
        running_emulator(config) as emu,
        engine_harness(emu, tmp_path / "db.sqlite3", tunables) as h,
    ):
        request = VideoTaskRequest(
            model_name="Kling", model_version="2.1", prompt="waves at night", duration=5
        )
        job = await h.engine.submit(
            JobRequest(
                kind=TaskKind.VIDEO,
                guild_id=1,
                user_id=1,
                model="Kling",
                prompt="waves at night",
                request=request.to_api(),
            )
        )
        image = await h.submit(guild=1, user=2)
        await h.wait_until(lambda: h.terminal(job.id) and h.terminal(image))
        stored = await h.store.get(job.id)
        assert stored.state is JobState.DELIVERED
        assert stored.task_id.startswith("4-AigcVideo-")
        (result,) = stored.results
        assert result.size > 0
        actions = emu.stats()["actions"]
        assert actions["CreateAigcVideoTask"]["accepted"] == 1
        assert actions["DescribeAigcVideoTask"]["accepted"] >= 1
        assert actions["CreateAigcImageTask"]["accepted"] == 1


async def test_a_restart_learns_video_durations_from_history(tmp_path) -> None:
    config = fast_emulator_config(video_wait=(0.05, 0.05), video_run=(0.2, 0.3))
    tunables = fast_tunables()
    tunables = replace(tunables, polling=replace(tunables.polling, video_expected=(0.2, 0.4)))
    request = VideoTaskRequest(
        model_name="Kling", model_version="2.1", prompt="waves at night", duration=5
    )
    async with running_emulator(config) as emu:
        async with engine_harness(emu, tmp_path / "db.sqlite3", tunables) as h:
            job = await h.engine.submit(
                JobRequest(
                    kind=TaskKind.VIDEO,
                    guild_id=1,
                    user_id=1,
                    model="Kling",
                    prompt="waves at night",
                    request=request.to_api(),
                )
            )
            await h.wait_until(lambda: h.terminal(job.id))
        async with engine_harness(emu, tmp_path / "db.sqlite3", tunables) as h:
            await h.engine.learn_from_history()
            assert h.engine.durations.model(TaskKind.VIDEO, "Kling").count == 1
            assert h.engine.durations.model(TaskKind.IMAGE, "Hunyuan").count == 0
