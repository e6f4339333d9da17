"""`/history` and `/queue` show your own jobs and nothing of anyone else's."""

from __future__ import annotations

from mps_emulator import EmulatorConfig

from .bot_stack import bot_stack


async def test_history_pages_and_details_show_only_your_jobs(tmp_path) -> None:
    config = {"discord": {"history_page_size": 2}}
    async with bot_stack(tmp_path, config=config) as stack:
        fake = stack.fake
        mine = []
        for prompt in ("red", "green", "blue"):
            asked = await fake.slash_command(
                fake.guild.id,
                "general",
                "alice",
                "imagine",
                options={"prompt": f"{prompt} apple"},
            )
            # Written (it shows its number) before the next is asked: newest is last.
            await asked.wait_for_original(lambda m: m.embeds)
            mine.append(asked)
        theirs = await fake.slash_command(
            fake.guild.id,
            "general",
            "bob",
            "imagine",
            options={"prompt": "secret pear"},
            locale="zh-CN",
        )
        for interaction in [*mine, theirs]:
            await fake.wait_for_message(
                lambda m, i=interaction: m.id == i.response_message_id and m.attachments, timeout=30
            )

        listing = await fake.slash_command(fake.guild.id, "general", "alice", "history")
        await listing.wait_for_response()
        page = listing.original
        assert page.ephemeral
        text = page.embeds[0]["description"]
        assert "blue apple" in text and "green apple" in text  # newest first
        assert "red apple" not in text and "pear" not in text
        assert "/channels/" in text  # jump links to the results
        older = next(i for i in page.custom_ids() if i.startswith("history:page:"))

        turn = await fake.press_button(page.id, older, "alice")
        await turn.wait_for_response()
        turned = fake.messages[page.id]
        assert "red apple" in turned.embeds[0]["description"]

        # Jobs are numbered as they are written (the asks are answered concurrently).
        ((red,),) = await stack.rows("SELECT id FROM jobs WHERE prompt = ?", "red apple")
        ((pear,),) = await stack.rows("SELECT id FROM jobs WHERE prompt = ?", "secret pear")
        details = await fake.slash_command(
            fake.guild.id, "general", "alice", "history", options={"job": red}
        )
        await details.wait_for_response()
        assert "red apple" in details.original.embeds[0]["description"]
        assert any(i == f"history:rerun:{red}" for i in details.original.custom_ids())

        snoop = await fake.slash_command(
            fake.guild.id, "general", "alice", "history", options={"job": pear}
        )
        await snoop.wait_for_response()
        assert "pear" not in str(snoop.original.embeds) + snoop.original.content
        assert f"#{pear}" in snoop.original.content


async def test_queue_lists_your_jobs_and_cancels_a_queued_one(tmp_path) -> None:
    slow = EmulatorConfig(image_wait=(2, 2), image_run=(2, 2), seed=5)
    async with bot_stack(tmp_path, emulator_config=slow) as stack:
        fake, emu = stack.fake, stack.emulator
        asked = []
        # One after the other (each written before the next): jobs 1, 2 and 3.
        for user, prompt in (("alice", "first"), ("alice", "second"), ("bob", "bob's")):
            asked.append(
                await fake.slash_command(
                    fake.guild.id, "general", user, "imagine", options={"prompt": prompt}
                )
            )
            await asked[-1].wait_for_original(lambda m: m.embeds)
        running, waiting, _ = asked

        queue = await fake.slash_command(fake.guild.id, "general", "alice", "queue")
        await queue.wait_for_response()
        listing = queue.original
        text = listing.embeds[0]["description"]
        assert "first" in text and "second" in text and "bob's" not in text
        assert listing.custom_ids() == ["queue:cancel:2"]  # only the queued one

        cancel = await fake.press_button(listing.id, "queue:cancel:2", "alice")
        await cancel.wait_for_response()
        assert "second" not in fake.messages[listing.id].embeds[0]["description"]
        cancelled = await fake.wait_for_message(
            lambda m: (
                m.id == waiting.response_message_id
                and "Cancelled" in (m.embeds[0].get("description") or "")
            ),
            timeout=10,
        )
        assert not cancelled.attachments
        await fake.wait_for_message(
            lambda m: m.id == running.response_message_id and m.attachments, timeout=30
        )
        prompts = [t["model"] for t in emu.stats()["tasks"].values()]
        assert len(prompts) == 2  # the cancelled job never reached Tencent
