"""A small profile of each chaos run (`python -m bench.chaos` runs the full ones)."""

from __future__ import annotations

from bench.chaos import crash_run, fault_run, table


async def test_random_kills_lose_no_job_and_never_create_twice(tmp_path) -> None:
    verdict = await crash_run(tmp_path, kills=3, jobs_per_kill=2, seed=5)
    print(table([verdict]))
    assert verdict.ok, table([verdict])
    assert verdict.jobs >= 3
    # Image tool jobs (ProcessImage) were among the jobs the kills interrupted.
    assert verdict.extra["tool_jobs"] >= 3 and verdict.extra["tool_jobs_interrupted"] >= 1
    assert verdict.delivered + sum(verdict.failed.values()) == verdict.jobs


async def test_faults_everywhere_still_give_every_user_a_final_answer(tmp_path) -> None:
    verdict = await fault_run(tmp_path, jobs=8, seed=3)
    print(table([verdict]))
    assert verdict.ok, table([verdict])
    injected = verdict.extra["faults_injected"]
    assert injected.get("CreateAigcImageTask", 0) + injected.get("DescribeAigcImageTask", 0) > 0
    # The 8 images asked, and the tool uses pressed on their results.
    assert verdict.jobs == 8 + verdict.extra["tools_pressed"]
    assert verdict.delivered + sum(verdict.failed.values()) == verdict.jobs
