"""Quiet hours of a workshop's channel (TallerChannelConfig.quiet_hours_start / quiet_hours_end).

A message whose channel is in quiet hours is not sent: `notification_send` defers its row (status pending,
`next_attempt_at` = the end of the quiet period) and the relay sweep hands it to the broker once that time has
passed. The check runs at send time, not at acceptance, so retries and fallbacks respect it too.

Semantics, in the workshop's local time (`Taller.timezone`, zoneinfo):
- the window is `[start, end)`: a message at exactly `start` waits, one at exactly `end` goes out;
- `start > end` crosses midnight (21:00–07:00 covers 21:00 → 23:59 and 00:00 → 06:59);
- `start == end`, or either bound missing, means no quiet hours (the admin form refuses `start == end`);
- bounds are wall-clock times: on a daylight-saving change the window keeps its wall-clock bounds; an end that
  falls in a skipped hour ends the period when the clock jumps, and one that occurs twice ends it at the
  first occurrence after `now`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)


def quiet_hours_end(*, start: time | None, end: time | None, tz: str, now: datetime) -> datetime | None:
    """When the quiet period that contains `now` ends (aware, in `tz`), or None when `now` is outside it.

    `now` must be aware; `tz` is an IANA zone name (ZoneInfoNotFoundError when unknown).
    """
    if timezone.is_naive(now):
        raise ValueError("now must be an aware datetime")
    if start is None or end is None:
        return None
    start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
    if start == end:
        return None
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    if start < end:  # same-day window, e.g. 12:00–14:00
        if not start <= clock < end:
            return None
        end_day = local.date()
    elif clock >= start:  # crosses midnight, evening part: ends tomorrow
        end_day = local.date() + timedelta(days=1)
    elif clock < end:  # crosses midnight, morning part: ends today
        end_day = local.date()
    else:
        return None
    until = _first_instant_at(end_day, end, zone, after=now)
    # Compared in UTC: between datetimes of one tzinfo Python compares wall times and ignores `fold`.
    return until if until.astimezone(UTC) > now.astimezone(UTC) else None


def _first_instant_at(day: date, wall: time, zone: ZoneInfo, *, after: datetime) -> datetime:
    """The first instant after `after` at which the local clock shows `wall` on `day`, or the jump over it."""
    candidate = datetime.combine(day, wall, tzinfo=zone)  # fold=0: the first of two repeated wall times
    exists = candidate.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == candidate.replace(tzinfo=None)
    if exists:
        repeated = candidate.replace(fold=1).utcoffset() != candidate.utcoffset()
        if repeated and candidate.astimezone(UTC) <= after.astimezone(UTC):
            return candidate.replace(fold=1)  # its first pass is over: the second one
        return candidate
    # `wall` does not exist (the clock jumps over it): the period ends at the jump. Bisect the seconds between
    # the wall time read with the offset after the jump (before it happens) and with the one before (after it).
    low = int(candidate.replace(fold=1).timestamp())
    high = int(candidate.timestamp())
    low_offset = datetime.fromtimestamp(low, zone).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == low_offset:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, zone)


@dataclass(frozen=True)
class QuietHours:
    """The quiet hours of one channel at one taller, with the taller's zone (read with the row to send)."""

    start: time
    end: time
    timezone: str


def row_quiet_hours_end(quiet: QuietHours | None, *, now: datetime) -> datetime | None:
    """When the quiet hours read with a row end, or None when it may be sent now (or there are none). A zone that
    is not valid is read as settings.TIME_ZONE, with a warning."""
    if quiet is None:
        return None
    tz = quiet.timezone
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        logger.warning("taller timezone %r is not valid; quiet hours read in %s", tz, settings.TIME_ZONE)
        tz = settings.TIME_ZONE
    return quiet_hours_end(start=quiet.start, end=quiet.end, tz=tz, now=now)
