"""Start the bot (`python -m bot`) and register its commands (`python -m bot sync`).

The bot runs until it is told to stop (SIGTERM, SIGINT) or something it cannot run without
fails: Discord's connection, or one of the engine's loops. Then it stops cleanly (no new
Create, those on the wire store their TaskIds) and says why; unfinished jobs resume at the
next start. A cog that fails to load stops the start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

import discord
import yarl

from ..config.environment import Environment
from ..runtime import open_runtime
from .client import CogLoadFailed, ImagineBot

log = logging.getLogger(__name__)

# With the engine's shutdown grace (6 s by default) this fits Docker's 10 s stop timeout.
DISCORD_CLOSE_SECONDS = 2.0
# Exit statuses: refused to start (bad token, a cog that does not load), and stopped
# because a part it cannot run without died.
EXIT_REFUSED = 2
EXIT_DIED = 3


def _point_at(environment: Environment) -> None:
    """Only a local fake Discord needs this; real deployments leave both unset."""
    if environment.discord_api_base:
        discord.http.Route.BASE = environment.discord_api_base.rstrip("/")
    if environment.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(environment.discord_gateway_url)


def _token(environment: Environment) -> str:
    if environment.discord_token is None:
        raise RuntimeError("DISCORD_TOKEN is required to run the bot")
    return environment.discord_token.reveal()


def run_bot(environment: Environment) -> int:
    _point_at(environment)
    try:
        return asyncio.run(_serve(environment))
    except discord.LoginFailure:
        print("Discord refused DISCORD_TOKEN: check the bot token.", file=sys.stderr)
        return EXIT_REFUSED
    except CogLoadFailed as exc:
        print(f"The bot did not start: {exc}.", file=sys.stderr)
        return EXIT_REFUSED


async def _serve(environment: Environment) -> int:
    token = _token(environment)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    status = 0
    async with open_runtime(environment) as runtime:
        bot = ImagineBot(
            environment.tunables,
            runtime,
            shard_count=environment.shard_count,
            shard_ids=environment.shard_ids,
        )
        async with bot:
            runner = asyncio.create_task(bot.start(token), name="discord")
            stopper = asyncio.create_task(stop.wait(), name="stop-signal")
            death = asyncio.create_task(runtime.engine.first_death(), name="engine-watch")
            done, _ = await asyncio.wait(
                {runner, stopper, death}, return_when=asyncio.FIRST_COMPLETED
            )
            if death in done:
                died = death.result()
                log.critical("stopping: %s; unfinished jobs resume at the next start", died)
                print(
                    f"The bot stopped: the engine's {died}. Unfinished jobs resume at the next "
                    "start.",
                    file=sys.stderr,
                )
                status = EXIT_DIED
            elif stopper in done:
                log.info("shutting down: unfinished jobs resume at the next start")
            if runner not in done:
                # No new Create from here on; those on the wire get the engine's grace.
                runtime.engine.stop_submitting()
                # Docker kills the process 10 s after SIGTERM: Discord's close gets a
                # bounded share, the engine's grace (closed on leaving open_runtime) the rest.
                try:
                    await asyncio.wait_for(bot.close(), DISCORD_CLOSE_SECONDS)
                except TimeoutError:
                    log.warning("Discord did not close within %.0fs", DISCORD_CLOSE_SECONDS)
            for task in (stopper, death):
                task.cancel()
            await asyncio.gather(stopper, death, return_exceptions=True)
            with contextlib.suppress(asyncio.CancelledError):
                await runner  # re-raises a login failure, a cog that failed, a fatal gateway error
    # Leaving open_runtime closes the engine: in-flight Creates store their TaskIds first.
    return status


async def sync_commands(environment: Environment, guild_id: int | None) -> int:
    """Register the slash commands. Discord allows 200 creates a day per guild, so this is
    run on demand, never at every start. A guild sync is instant; a global one takes a
    while to reach every server."""
    _point_at(environment)
    token = _token(environment)
    # Only the command tree is needed: no database, no engine, no Tencent keys.
    bot = ImagineBot(environment.tunables, tools=environment.tool_storage is not None)
    async with bot:
        await bot.login(token)
        guild = discord.Object(guild_id) if guild_id else None
        if guild is not None:
            bot.tree.copy_global_to(guild=guild)
        synced = await bot.tree.sync(guild=guild)
    names = ", ".join(sorted(c.name for c in synced))
    where = f"guild {guild_id}" if guild_id else "all servers"
    print(f"Synced {len(synced)} commands to {where}: {names}")
    return 0
