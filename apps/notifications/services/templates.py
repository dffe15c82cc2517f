"""Notification templates: create, update, validate and resolve.

A template is keyed by (level, phase, channel, target) where the level is its subtype, its main
service type, or none (generic). At most one template per key is active; the database enforces it
with partial unique constraints and this module turns a clash into a 400 `duplicate_template`.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from apps.core.constants import Channel
from apps.core.exceptions import ApplicationError
from apps.notifications.models import NotificationTemplate, ServicePhase, ServiceType, Taller
from apps.notifications.services.config_cache import ConfigSnapshot, config_snapshot
from apps.notifications.services.rendering import (
    RenderedMessage,
    context_normalize,
    template_render,
    template_validate_variables,
)

# Channel limits (SPEC §7).
WHATSAPP_BODY_MAX_CHARS = 4096
# A Web Push message carries {title, body, url, tag} as JSON, encrypted (aes128gcm) into at most
# 4096 bytes, about 3 KB of JSON once the URL, the tag and `\uXXXX` escapes of accented letters are
# counted. The template text must leave room for the values its variables expand to, so we keep
# the title at 100 characters (what browsers show without cutting) and title + body at 1000
# UTF-8 bytes.
PUSH_TITLE_MAX_CHARS = 100
PUSH_MESSAGE_MAX_BYTES = 1000

TEMPLATE_FIELDS = (
    "name",
    "service_type",
    "subtype",
    "phase",
    "channel",
    "target",
    "subject",
    "body",
    "html_body",
    "is_active",
)


def _invalid(code: str, detail: str, attr: str | None) -> ApplicationError:
    return ApplicationError(code, detail, status_code=400, attr=attr)


def subtype_get_by_slug(*, slug: str, service_type: ServiceType | None) -> ServiceType:
    """The subtype named `slug`, among the subtypes of `service_type` when given.

    A slug may name subtypes of different main types; without a service type that is ambiguous.
    Raises a 400 naming `subtype`.
    """
    candidates = list(ServiceType.objects.filter(slug=slug, parent__isnull=False).select_related("parent"))
    if not candidates:
        raise _invalid("does_not_exist", f"No existe un subtipo con slug «{slug}».", "subtype")
    if service_type is not None:
        for candidate in candidates:
            if candidate.parent_id == service_type.id:
                return candidate
        raise _invalid(
            "subtype_mismatch",
            f"El subtipo «{slug}» no pertenece al tipo de servicio «{service_type.slug}».",
            "subtype",
        )
    if len(candidates) > 1:
        parents = ", ".join(sorted(c.parent.slug for c in candidates))
        raise _invalid(
            "ambiguous_subtype",
            f"El subtipo «{slug}» existe en varios tipos de servicio ({parents}): indique service_type.",
            "subtype",
        )
    return candidates[0]


def template_validate(
    *,
    service_type: ServiceType | None,
    subtype: ServiceType | None,
    channel: str,
    subject: str,
    body: str,
    html_body: str,
) -> None:
    """Check a template's content against the catalog, the known variables and its channel's limits.

    Raises ApplicationError(400) naming the offending field.
    """
    if service_type is not None and service_type.parent_id is not None:
        raise _invalid(
            "not_a_main_type",
            f"«{service_type.slug}» es un subtipo: use service_type para el tipo principal y subtype para el subtipo.",
            "service_type",
        )
    if subtype is not None:
        if subtype.parent_id is None:
            raise _invalid("not_a_subtype", f"«{subtype.slug}» no es un subtipo.", "subtype")
        if service_type is None:
            raise _invalid(
                "subtype_needs_type",
                "Una plantilla de subtipo necesita su tipo de servicio; envíe también subtype: null para "
                "convertirla en plantilla del tipo o genérica.",
                "service_type",
            )
        if subtype.parent_id != service_type.id:
            raise _invalid(
                "subtype_mismatch",
                f"El subtipo «{subtype.slug}» no pertenece al tipo de servicio «{service_type.slug}».",
                "subtype",
            )

    template_validate_variables(subject=subject, body=body, html_body=html_body)

    if "\r" in subject or "\n" in subject:
        raise _invalid("subject_multiline", "El asunto debe ser una sola línea (sin saltos de línea).", "subject")
    if not body.strip():
        raise _invalid("required", "El cuerpo del mensaje es obligatorio.", "body")
    if channel != Channel.EMAIL and html_body:
        raise _invalid("html_body_not_allowed", "El cuerpo HTML solo se usa en plantillas de email.", "html_body")

    if channel == Channel.EMAIL:
        if not subject.strip():
            raise _invalid("required", "El asunto es obligatorio en plantillas de email.", "subject")
    elif channel == Channel.WHATSAPP:
        if len(body) > WHATSAPP_BODY_MAX_CHARS:
            raise _invalid(
                "max_length",
                f"Un mensaje de WhatsApp admite hasta {WHATSAPP_BODY_MAX_CHARS} caracteres; "
                f"este cuerpo tiene {len(body)}.",
                "body",
            )
    elif channel == Channel.PUSH:
        if not subject.strip():
            raise _invalid("required", "El título (subject) es obligatorio en plantillas push.", "subject")
        if len(subject) > PUSH_TITLE_MAX_CHARS:
            raise _invalid(
                "max_length",
                f"El título de una notificación push admite hasta {PUSH_TITLE_MAX_CHARS} caracteres; "
                f"este tiene {len(subject)}.",
                "subject",
            )
        size = len(subject.encode()) + len(body.encode())
        if size > PUSH_MESSAGE_MAX_BYTES:
            raise _invalid(
                "max_length",
                f"Título y cuerpo de una notificación push deben caber en {PUSH_MESSAGE_MAX_BYTES} bytes "
                f"(UTF-8); estos ocupan {size}.",
                "body",
            )


def _template_active_clash(template: NotificationTemplate) -> NotificationTemplate | None:
    """Another active template with the same key at the same level."""
    if not template.is_active:
        return None
    clashes = NotificationTemplate.objects.filter(
        is_active=True, phase=template.phase, channel=template.channel, target=template.target
    )
    if template.subtype_id:
        clashes = clashes.filter(subtype=template.subtype)
    elif template.service_type_id:
        clashes = clashes.filter(service_type=template.service_type, subtype__isnull=True)
    else:
        clashes = clashes.filter(service_type__isnull=True, subtype__isnull=True)
    if template.pk:
        clashes = clashes.exclude(pk=template.pk)
    return clashes.first()


def _duplicate_error(existing: NotificationTemplate | None) -> ApplicationError:
    detail = "Ya existe una plantilla activa para este tipo, fase, canal y destinatario"
    detail += f" («{existing.name}», {existing.pk})." if existing else "."
    return ApplicationError(
        "duplicate_template",
        detail + " Desactive una de las dos (is_active: false).",
        status_code=400,
        attr=None,
        extra={"existing_template_id": str(existing.pk)} if existing else None,
    )


def _template_save(template: NotificationTemplate) -> NotificationTemplate:
    template_validate(
        service_type=template.service_type,
        subtype=template.subtype,
        channel=template.channel,
        subject=template.subject,
        body=template.body,
        html_body=template.html_body,
    )
    clash = _template_active_clash(template)
    if clash is not None:
        raise _duplicate_error(clash)
    try:
        # A savepoint: a concurrent insert that wins the race fails here on the partial unique
        # constraint, and the outer transaction stays usable for the error response.
        with transaction.atomic():
            template.save()
    except IntegrityError:
        raise _duplicate_error(_template_active_clash(template)) from None
    return template


def template_create(
    *,
    name: str,
    phase: ServicePhase,
    channel: str,
    target: str,
    body: str,
    service_type: ServiceType | None = None,
    subtype: ServiceType | None = None,
    subject: str = "",
    html_body: str = "",
    is_active: bool = True,
) -> NotificationTemplate:
    if subtype is not None and service_type is None:
        service_type = subtype.parent
    template = NotificationTemplate(
        name=name,
        service_type=service_type,
        subtype=subtype,
        phase=phase,
        channel=channel,
        target=target,
        subject=subject,
        body=body,
        html_body=html_body,
        is_active=is_active,
    )
    return _template_save(template)


def template_update(*, template: NotificationTemplate, data: dict[str, Any]) -> NotificationTemplate:
    """Apply the given fields (any of TEMPLATE_FIELDS) and validate the result as a whole.

    A new subtype without a service type in `data` brings its main type along.
    """
    unknown = set(data) - set(TEMPLATE_FIELDS)
    if unknown:
        raise ValueError(f"Unknown template fields: {sorted(unknown)}")
    data = dict(data)
    if data.get("subtype") is not None and data.get("service_type") is None:
        data["service_type"] = data["subtype"].parent
    for field, value in data.items():
        setattr(template, field, value)
    return _template_save(template)


def template_delete(*, template: NotificationTemplate) -> None:
    template.delete()


def template_resolve(
    *,
    service_type: ServiceType | None,
    subtype: ServiceType | None,
    phase: ServicePhase,
    channel: str,
    target: str,
    snapshot: ConfigSnapshot | None = None,
) -> NotificationTemplate | None:
    """The active template for a message: the subtype's, else the main type's, else the generic one. Read from the
    configuration snapshot (this process's, unless one is given), so the resolve endpoint answers what a dispatch
    would use.

    `service_type` is the main type (a subtype passed here is taken as that subtype of its main type).
    """
    if service_type is not None and service_type.parent_id is not None:
        subtype = subtype or service_type
        service_type = service_type.parent
    if subtype is not None and service_type is None:
        service_type = subtype.parent
    by_level = {}
    for template in (snapshot or config_snapshot()).templates.get((phase.id, channel, target), []):
        if template.subtype_id is not None:
            if subtype is not None and template.subtype_id == subtype.id:
                by_level["subtype"] = template
        elif template.service_type_id is not None:
            if service_type is not None and template.service_type_id == service_type.id:
                by_level["type"] = template
        else:
            by_level["generic"] = template
    for level in ("subtype", "type", "generic"):
        if level in by_level:
            return by_level[level]
    return None


def template_preview(
    *,
    template: NotificationTemplate | None = None,
    channel: str | None = None,
    subject: str = "",
    body: str = "",
    html_body: str = "",
    context: dict | None = None,
) -> RenderedMessage:
    """Render a stored template, or inline text, with a context — exactly as a dispatch would, including the
    values a dispatch fills by itself: `Taller` (the default taller) and `Fase` (the template's phase); the context
    wins over them.

    Inline text is checked like a template being saved: unknown variables always, and the
    channel's limits when a channel is given.
    """
    if template is not None:
        subject, body, html_body = template.subject, template.body, template.html_body
    elif channel:
        template_validate(
            service_type=None, subtype=None, channel=channel, subject=subject, body=body, html_body=html_body
        )
    else:
        template_validate_variables(subject=subject, body=body, html_body=html_body)
    known: dict[str, str] = {}
    taller = Taller.objects.filter(is_default=True, is_active=True).first()
    if taller is not None:
        known["Taller"] = taller.name
    if template is not None and template.phase_id:
        known["Fase"] = template.phase.name
    values = known | context_normalize(context)
    return template_render(subject=subject, body=body, html_body=html_body, context=values)
