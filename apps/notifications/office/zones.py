"""Which clock the admin shows: the taller's.

Django formats a datetime in the active time zone while a template renders, which for the admin is after the view
has returned; so a page is rendered inside the zone, not just computed in it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.http import HttpResponse
from django.utils import timezone

from apps.notifications.models import Taller


def zone_named(name: str | None) -> tzinfo:
    """The zone called `name`; the server's (TIME_ZONE) when it is empty or not a zone."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return timezone.get_default_timezone()


def office_zone() -> tzinfo:
    """The default taller's zone: the office's clock for every admin page."""
    return zone_named(Taller.objects.filter(is_default=True).values_list("timezone", flat=True).first())


def taller_zone(taller: Taller | None) -> tzinfo:
    """A record's own taller's zone; the office's when it has none."""
    return zone_named(taller.timezone) if taller is not None else office_zone()


def rendered_in(zone: tzinfo, respond: Callable[[], HttpResponse]) -> HttpResponse:
    """`respond()`'s response, rendered with `zone` active (a template response renders lazily otherwise)."""
    with timezone.override(zone):
        response = respond()
        if callable(getattr(response, "render", None)) and not response.is_rendered:
            response = response.render()
    return response
