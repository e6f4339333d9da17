"""Command-line front end: `imagine` (create, poll, download), `tool` (an image tool on an
image URL) and `doctor` (check setup).

It asks through the same job service as the Discord front end, as a member of its own
server (0), kept apart from every Discord server."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import sys
import time
from pathlib import Path

import aiohttp
from PIL import Image

from .asks.images import ImageOptions
from .asks.tools import Tool
from .config.environment import ConfigError, Environment, load_environment
from .engine.bus import BatchFollower
from .engine.downloader import result_text
from .engine.events import Progress
from .engine.limiter import QuotaGate
from .media.imaging import PILLOW_ERRORS
from .mps import errors
from .mps.client import MpsClient
from .mps.signer import mask
from .refusal import Refusal
from .runtime import Runtime, cluster_of, open_runtime
from .services.members import Member
from .services.tools import SeenImage
from .storage.base import Database
from .storage.database import DatabaseError, DatabaseUrl, open_read_only, schema_version
from .storage.jobs import Job, JobState
from .storage.lease import lease_holder
from .storage.lock import DatabaseInUse, open_locked_database
from .storage.outages import OutageStore
from .text.formatting import bar, elapsed
from .text.i18n import resolve, t
from .text.wording import failure_text, status_line

CLI_GUILD = 0  # jobs from the command line are kept apart from every Discord server
CLI_USER = 0


def cli_locale() -> str:
    return resolve(os.environ.get("LC_ALL"), os.environ.get("LANG", "").split(".")[0])


def describe_progress(locale: str, progress: Progress) -> str:
    status = status_line(locale, progress)
    if progress.position is None and progress.state == "running" and progress.fraction:
        status += f" {bar(progress.fraction)}"
    return t(
        locale,
        "cli.job_line",
        job=progress.job_id,
        status=status,
        elapsed=elapsed(progress.waited),
    )


def _unreachable(job: Job) -> bool:
    return job.state is JobState.QUEUED and job.error_code in ("ConnectError", "ConnectTimeout")


async def imagine(environment: Environment, options: ImageOptions, out: Path, locale: str) -> int:
    """On PostgreSQL the command line runs the engine only if it can take the engine lease
    at once (no bot holds it), and holds it until it is done."""
    async with open_runtime(environment, start_engine=False) as rt:
        cluster = cluster_of(rt.db, environment.tunables)
        if cluster is not None and not await cluster.lease.try_once():
            # A bot runs the engine on this database: a second engine would send its jobs'
            # Creates again.
            holder = await lease_holder(rt.db) or "?"
            print(t(locale, "cli.engine_elsewhere", holder=holder), file=sys.stderr)
            await cluster.lease.close()
            return 2
        try:
            return await _imagine(rt, options, out, locale)
        finally:
            if cluster is not None:
                await cluster.lease.close()


async def _imagine(rt: Runtime, options: ImageOptions, out: Path, locale: str) -> int:
    # The engine starts once the ask is admitted: a refused ask resumes no earlier job.
    jobs = rt.services.jobs
    try:
        ticket = await jobs.ask_image(Member(CLI_GUILD, CLI_USER, locale=locale), options)
    except Refusal as exc:
        print(t(locale, exc.key, **exc.params), file=sys.stderr)
        return 2
    try:
        await rt.engine.start()
        job = await jobs.launch(ticket)
    except BaseException:
        ticket.release()
        raise
    with await rt.engine.follow_batch(job.id) as follower:
        return await _follow(rt, follower, out, locale)


async def use_tool(environment: Environment, tool: Tool, url: str, out: Path, locale: str) -> int:
    """One image tool on the image at `url`: the result saved in `out` (a description is
    printed), as a member of the command line's own server."""
    async with open_runtime(environment, start_engine=False) as rt:
        member = Member(CLI_GUILD, CLI_USER, locale=locale)
        try:
            size = await _image_size(rt.session, url, environment.tunables.downloads.max_bytes)
            ticket = await rt.services.tools.ask(member, tool, SeenImage(url, *size))
        except Refusal as exc:
            print(t(locale, exc.key, **exc.params), file=sys.stderr)
            return 2
        try:
            await rt.engine.start()
            job = await rt.services.jobs.launch(ticket)
        except BaseException:
            ticket.release()
            raise
        with await rt.engine.follow_batch(job.id) as follower:
            return await _follow(rt, follower, out, locale)


async def _image_size(
    session: aiohttp.ClientSession, url: str, max_bytes: int
) -> tuple[int | None, int | None]:
    """The picture's size, which the tools check before any call (Zoom out needs it);
    (None, None) when it cannot be read here (MPS then judges the picture itself)."""
    try:
        data = bytearray()
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=30)) as resp:
            # Read to the end: StreamReader.read(n) returns what has arrived, not n bytes.
            async for chunk in resp.content.iter_chunked(65536):
                data += chunk
                if resp.status != 200 or len(data) > max_bytes:
                    return None, None
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (aiohttp.ClientError, TimeoutError, ValueError, *PILLOW_ERRORS):
        return None, None


ENDED = (JobState.READY, JobState.DELIVERED, JobState.FAILED, JobState.CANCELLED)


async def _follow(rt: Runtime, follower: BatchFollower, out: Path, locale: str) -> int:
    """Follow the ask's jobs (one per image) until each ends; save what was made."""
    environment = rt.environment
    timeout = environment.tunables.polling.timeout_seconds
    last = ""
    while True:
        jobs = follower.latest
        for job in jobs:
            if _unreachable(job) or (
                job.state is JobState.QUEUED and job.error_category == "operator"
            ):
                await rt.engine.cancel(job.id)
                if _unreachable(job):
                    message = job.error_message or ""
                    endpoint = environment.mps_endpoint
                    text = t(locale, "cli.unreachable", endpoint=endpoint, message=message)
                    print(text, file=sys.stderr)
                else:
                    # The account itself was refused: whoever runs the CLI is to fix it.
                    print(failure_text(locale, job, timeout, operator=True), file=sys.stderr)
                return 1
        if jobs and all(job.state in ENDED for job in jobs):
            saved = 0
            for job in jobs:
                if job.state is JobState.READY and result_text(job) is not None:
                    print(result_text(job))  # a description: the text is the result
                    await rt.engine.mark_delivered(job.id)
                    saved += 1
                elif job.state is JobState.READY:
                    await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
                    for result in job.results:
                        target = out / result.filename
                        await asyncio.to_thread(shutil.copyfile, result.path, target)
                        print(t(locale, "cli.saved", path=target))
                    await rt.engine.mark_delivered(job.id)
                    saved += 1
                elif job.state is not JobState.DELIVERED:
                    print(failure_text(locale, job, timeout, operator=True), file=sys.stderr)
            return 0 if saved else 1
        waiting = next((j for j in jobs if j.state not in ENDED), None)
        progress = rt.engine.progress(waiting.id) if waiting is not None else None
        if progress is not None:
            line = describe_progress(locale, progress)
            if line != last:
                print(line, file=sys.stderr, flush=True)
                last = line
        await follower.changed(within=1.0)


# What the doctor's probe answer means, most specific first.
_DOCTOR_ANSWERS: tuple[tuple[type[errors.MpsError], str, bool], ...] = (
    (errors.NotFoundError, "doctor.credentials_ok", True),
    (errors.ClockSkewError, "cli.clock_skew", False),
    (errors.CredentialsError, "doctor.credentials_bad", False),
    (errors.OperatorError, "doctor.operator", False),
    (errors.ConnectionFailedError, "cli.unreachable", False),
    (errors.MpsError, "doctor.unexpected", False),
)


async def doctor(environment: Environment, locale: str) -> int:
    """Check the environment, the database and the credentials; say plainly what is wrong,
    and whether the bot stopped creating tasks because the account was refused."""
    print(
        t(
            locale,
            "doctor.settings_ok",
            endpoint=environment.mps_endpoint,
            region=environment.region,
            secret_id=mask(environment.credentials().secret_id),
        )
    )
    token_state = "doctor.set" if environment.discord_token else "doctor.missing"
    print(t(locale, "doctor.discord_token", state=t(locale, token_state)))
    storage = environment.tool_storage
    if storage is None:
        print(t(locale, "doctor.tools_off"))
    else:
        where = f"/{storage.path}/" if storage.path else "/"
        bucket, region = storage.bucket, storage.region
        print(t(locale, "doctor.tools_on", bucket=bucket, region=region, path=where))
    healthy = await _check_database(environment, locale)
    async with aiohttp.ClientSession(trust_env=True) as session:
        client = MpsClient(
            session,
            environment.credentials(),
            endpoint=environment.mps_endpoint,
            region=environment.region,
            gate=QuotaGate(environment.tunables.rates.by_action()),
        )
        healthy = await _probe(client, environment, locale) and healthy
    return 0 if healthy else 1


async def _check_database(environment: Environment, locale: str) -> bool:
    """Reachable, usable, at which schema version (opening it brings it up to date), and
    whether the bot stopped creating tasks because the account was refused. A SQLite file
    the running bot holds is read without its lock, read only."""
    where = environment.database
    try:
        try:
            async with open_locked_database(where) as db:
                await _database_state(db, where, locale, in_use=False)
        except DatabaseInUse:
            async with open_read_only(where) as db:
                await _database_state(db, where, locale, in_use=True)
    except DatabaseError as exc:
        print(t(locale, "doctor.database_bad", message=str(exc)))
        return False
    return True


async def _database_state(db: Database, where: DatabaseUrl, locale: str, *, in_use: bool) -> None:
    if in_use:
        print(t(locale, "doctor.database_in_use", path=where.shown))
    else:
        version = await schema_version(db)
        print(t(locale, "doctor.database", path=where.shown, kind=where.dialect, version=version))
    if where.dialect == "postgresql":
        holder = await lease_holder(db)
        key = "doctor.engine_held" if holder else "doctor.engine_free"
        print(t(locale, key, holder=holder or ""))
    outage = await OutageStore(db).current()
    if outage is not None:
        since = time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(outage.started_at))
        print(t(locale, "doctor.outage", since=since, code=outage.code, message=outage.message))


async def _probe(client: MpsClient, environment: Environment, locale: str) -> bool:
    try:
        # A signed Describe of a task that cannot exist: "not found" proves the key works.
        await client.call("DescribeAigcImageTask", {"TaskId": "4-AigcImage-doctor"})
    except errors.MpsError as exc:
        for cls, key, ok in _DOCTOR_ANSWERS:
            if isinstance(exc, cls):
                endpoint = environment.mps_endpoint
                print(t(locale, key, endpoint=endpoint, code=exc.code, message=exc.message))
                return ok
        return False
    print(t(locale, "doctor.credentials_ok", endpoint=environment.mps_endpoint))
    return True


def load_or_explain(locale: str, **require: bool) -> Environment | None:
    try:
        return load_environment(**require)
    except ConfigError as exc:
        print(t(locale, "cli.settings_error", message=str(exc)), file=sys.stderr)
        return None
