"""Read-side queries of the notifications app."""

from django.db.models import Prefetch

from apps.notifications.models import ServicePhase, ServiceType


def catalog_get() -> dict:
    """The slugs a front end needs for a dispatch, in the seed's shape (active entries only)."""
    subtypes = ServiceType.objects.filter(is_active=True).order_by("order", "slug")
    main_types = (
        ServiceType.objects.filter(parent__isnull=True, is_active=True)
        .order_by("order", "slug")
        .prefetch_related(Prefetch("subtypes", queryset=subtypes, to_attr="active_subtypes"))
    )
    service_types = []
    for main in main_types:
        entry = {"slug": main.slug, "name": main.name, "icon": main.icon}
        if main.active_subtypes:
            entry["subtypes"] = [{"slug": s.slug, "name": s.name, "icon": s.icon} for s in main.active_subtypes]
        service_types.append(entry)
    phases = [
        {"slug": p.slug, "name": p.name, "icon": p.icon, "order": p.order}
        for p in ServicePhase.objects.filter(is_active=True).order_by("order")
    ]
    return {"service_types": service_types, "phases": phases}
