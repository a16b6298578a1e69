"""Time windows: days of the week and a start and end time in an IANA time zone.

Cedar has no clock and no time zones, so each zone a policy reads is an entity
(`TimeZone::"Europe/Berlin"`) whose `weekday` and `minute` (of the day) the engine fills in
for the moment of the decision. A window is open from its start minute up to, but not
including, its end minute.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")


class WindowInvalid(ValueError):
    """The window cannot be used as written; the message says what to change."""


@dataclass(frozen=True)
class Window:
    days: tuple[str, ...]  # in week order, no repeats
    start: int  # minutes after midnight, local time
    end: int
    zone: str

    def describe(self) -> str:
        """E.g. `Mon-Fri 09:00-18:00 Europe/Berlin`."""
        return f"{_describe_days(self.days)} {_hhmm(self.start)}-{_hhmm(self.end)} {self.zone}"

    def cedar(self) -> str:
        """The Cedar condition that holds while the window is open."""
        zone = 'TimeZone::"' + self.zone + '"'  # zone names are ASCII, checked when parsed
        condition = f"{zone}.minute >= {self.start} && {zone}.minute < {self.end}"
        if len(self.days) < len(DAYS):
            days = "[" + ", ".join(f'"{day}"' for day in self.days) + "]"
            condition = f"{days}.contains({zone}.weekday) && {condition}"
        return f"({condition})"

    def is_open(self, now: float) -> bool:
        weekday, minute = local_clock(self.zone, now)
        return weekday in self.days and self.start <= minute < self.end


@lru_cache(maxsize=1024)  # flows are judged often and windows are few; Window is frozen
def parse_window(days: tuple[str, ...], start: str, end: str, zone: str) -> Window | None:
    """The window these fields describe, None when all are empty; raise WindowInvalid."""
    if not (days or start or end or zone):
        return None
    unknown = [day for day in days if day not in DAYS]
    if unknown:
        raise WindowInvalid(f"day `{unknown[0]}` must be one of {', '.join(DAYS)}")
    if not start or not end:
        raise WindowInvalid("a time window needs a start and an end time, as HH:MM")
    begins, ends = _minutes(start), _minutes(end)
    if ends <= begins:
        raise WindowInvalid(
            f"the window ends at `{end}`, not after it starts at `{start}`: "
            "make the end later than the start"
        )
    if not zone:
        raise WindowInvalid("a time window needs an IANA time zone, e.g. `Europe/Berlin`")
    if not _known_zone(zone):
        raise WindowInvalid(f"time zone `{zone}` is unknown: use an IANA name like `Europe/Berlin`")
    chosen = set(days) or set(DAYS)
    return Window(tuple(day for day in DAYS if day in chosen), begins, ends, zone)


@lru_cache(maxsize=1024)
def _known_zone(zone: str) -> bool:
    if not zone.isascii() or '"' in zone or "\\" in zone or zone != zone.strip():
        return False
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def local_clock(zone: str, now: float) -> tuple[str, int]:
    """The weekday (`mon`...) and minute of the day at `now` (Unix seconds) in `zone`."""
    local = datetime.fromtimestamp(now, ZoneInfo(zone))
    return DAYS[local.weekday()], local.hour * 60 + local.minute


@lru_cache(maxsize=4096)
def zone_entity(zone: str, minute_since_epoch: int) -> str:
    """The `TimeZone` entity of `zone` during that minute, as Cedar JSON."""
    weekday, minute = local_clock(zone, minute_since_epoch * 60)
    return json.dumps(
        {
            "uid": {"type": "TimeZone", "id": zone},
            "attrs": {"weekday": weekday, "minute": minute},
            "parents": [],
        }
    )


def _minutes(text: str) -> int:
    if not _TIME.match(text):
        raise WindowInvalid(f"time `{text}` must be HH:MM between 00:00 and 24:00")
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _describe_days(days: tuple[str, ...]) -> str:
    if len(days) == len(DAYS):
        return "every day"
    runs: list[list[int]] = []
    for position in (DAYS.index(day) for day in days):
        if runs and runs[-1][-1] == position - 1:
            runs[-1].append(position)
        else:
            runs.append([position])
    names = [
        DAYS[run[0]].title() + (f"-{DAYS[run[-1]].title()}" if len(run) > 2 else "") for run in runs
    ]
    # A run of two reads better as a list: "Sat, Sun".
    named = []
    for run, name in zip(runs, names, strict=True):
        named += [DAYS[p].title() for p in run] if len(run) == 2 else [name]
    return ", ".join(named)
