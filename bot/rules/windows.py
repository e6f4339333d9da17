"""Days and months in a server's time zone: when the current one began and when it ends.

Quotas reset at local midnight, so the windows are computed from the wall clock (passed
in, so tests can stand at any instant) in the zone's own calendar, DST included.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "UTC"


@dataclass(frozen=True)
class Window:
    start: float  # epoch seconds, inclusive
    end: float  # epoch seconds, exclusive: the reset instant


@cache
def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`; raises ValueError for a name that is not one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(name) from exc


def is_timezone(name: str) -> bool:
    try:
        zone(name)
    except ValueError:
        return False
    return True


def _midnight(day: dt.date, tz: ZoneInfo) -> float:
    return dt.datetime(day.year, day.month, day.day, tzinfo=tz).timestamp()


def day_window(now: float, timezone: str) -> Window:
    tz = zone(timezone)
    today = dt.datetime.fromtimestamp(now, tz).date()
    return Window(_midnight(today, tz), _midnight(today + dt.timedelta(days=1), tz))


def month_window(now: float, timezone: str) -> Window:
    tz = zone(timezone)
    today = dt.datetime.fromtimestamp(now, tz).date()
    first = today.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return Window(_midnight(first, tz), _midnight(following, tz))


def day_start(day: dt.date, timezone: str) -> float:
    """The instant local `day` begins."""
    return _midnight(day, zone(timezone))


def local_day(when: float, timezone: str) -> dt.date:
    return dt.datetime.fromtimestamp(when, zone(timezone)).date()
