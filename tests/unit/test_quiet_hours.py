"""quiet_hours_end: when the quiet period that contains `now` ends, in the taller's timezone (pure function)."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from apps.notifications.services.quiet_hours import quiet_hours_end

GYE = ZoneInfo("America/Guayaquil")
NY = ZoneInfo("America/New_York")
NIGHT = {"start": time(21, 0), "end": time(7, 0)}  # crosses midnight
LUNCH = {"start": time(12, 0), "end": time(14, 0)}  # same day


def gye(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, second, tzinfo=GYE)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (gye(19, 20, 59, 59), None),  # a second before the start
        (gye(19, 21, 0), gye(20, 7, 0)),  # the start is inclusive
        (gye(19, 23, 59, 59), gye(20, 7, 0)),  # evening part: ends the next morning
        (gye(20, 0, 0), gye(20, 7, 0)),  # midnight itself
        (gye(20, 3, 0), gye(20, 7, 0)),  # morning part: ends the same morning
        (gye(20, 6, 59, 59), gye(20, 7, 0)),
        (gye(20, 7, 0), None),  # the end is exclusive
        (gye(20, 12, 0), None),  # midday, outside
    ],
)
def test_window_crossing_midnight(now, expected):
    assert quiet_hours_end(**NIGHT, tz="America/Guayaquil", now=now) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (gye(20, 11, 59, 59), None),
        (gye(20, 12, 0), gye(20, 14, 0)),
        (gye(20, 13, 59, 59), gye(20, 14, 0)),
        (gye(20, 14, 0), None),
        (gye(20, 23, 0), None),  # a same-day window does not wrap around
        (gye(20, 3, 0), None),
    ],
)
def test_same_day_window(now, expected):
    assert quiet_hours_end(**LUNCH, tz="America/Guayaquil", now=now) == expected


@pytest.mark.parametrize(
    ("start", "end"),
    [(None, None), (time(21, 0), None), (None, time(7, 0)), (time(3, 0), time(3, 0))],
)
def test_missing_bound_or_start_equal_to_end_means_no_quiet_hours(start, end):
    assert quiet_hours_end(start=start, end=end, tz="America/Guayaquil", now=gye(20, 3, 0)) is None


def test_the_end_is_in_the_tallers_timezone_whatever_the_zone_of_now():
    now = datetime(2026, 1, 20, 3, 0, tzinfo=UTC)  # 22:00 of the 19th in Guayaquil (UTC−5)
    end = quiet_hours_end(**NIGHT, tz="America/Guayaquil", now=now)
    assert end == datetime(2026, 1, 20, 12, 0, tzinfo=UTC)  # 07:00 in Guayaquil
    assert end.utcoffset() == timedelta(hours=-5)
    # The same instant is 04:00 in Madrid (UTC+1): quiet there too, until 07:00 Madrid time.
    assert quiet_hours_end(**NIGHT, tz="Europe/Madrid", now=now) == datetime(2026, 1, 20, 6, 0, tzinfo=UTC)
    # And 11:00 in Singapore (UTC+8): outside.
    assert quiet_hours_end(**NIGHT, tz="Asia/Singapore", now=now) is None


def test_naive_now_and_unknown_zone_are_refused():
    with pytest.raises(ValueError):
        quiet_hours_end(**NIGHT, tz="America/Guayaquil", now=datetime(2026, 1, 20, 3, 0))
    with pytest.raises(ZoneInfoNotFoundError):
        quiet_hours_end(**NIGHT, tz="America/Quito_Norte", now=gye(20, 3, 0))


def test_a_night_over_a_daylight_saving_jump_ends_at_the_wall_clock_end():
    # New York springs forward on 2026-03-08 (02:00 EST → 03:00 EDT): that night lasts 8 real hours, not 9.
    now = datetime(2026, 3, 7, 22, 0, tzinfo=NY)
    end = quiet_hours_end(**NIGHT, tz="America/New_York", now=now)
    assert end == datetime(2026, 3, 8, 11, 0, tzinfo=UTC)  # 07:00 EDT
    assert end.astimezone(UTC) - now.astimezone(UTC) == timedelta(hours=8)


def test_an_end_in_the_skipped_hour_ends_when_the_clock_jumps():
    # 02:30 does not exist on 2026-03-08 in New York: the clock goes from 01:59:59 EST to 03:00 EDT.
    now = datetime(2026, 3, 8, 1, 45, tzinfo=NY)
    end = quiet_hours_end(start=time(21, 0), end=time(2, 30), tz="America/New_York", now=now)
    assert end == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 03:00 EDT, the jump


def test_an_end_in_the_repeated_hour_ends_at_its_next_occurrence():
    # New York falls back on 2026-11-01 (02:00 EDT → 01:00 EST): 01:00-01:59 happens twice.
    window = {"start": time(21, 0), "end": time(1, 30), "tz": "America/New_York"}
    first_pass = datetime(2026, 11, 1, 1, 15, tzinfo=NY)  # 05:15 UTC, EDT
    second_pass = datetime(2026, 11, 1, 1, 15, fold=1, tzinfo=NY)  # 06:15 UTC, EST
    # (In UTC: Python never finds a repeated wall time equal to a datetime of another zone.)
    assert quiet_hours_end(**window, now=first_pass).astimezone(UTC) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert quiet_hours_end(**window, now=second_pass).astimezone(UTC) == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    # Between the two passes the wall clock shows 01:30-01:59 (EDT): outside the window.
    assert quiet_hours_end(**window, now=datetime(2026, 11, 1, 1, 45, tzinfo=NY)) is None
