"""Builders for the seeded templates: one email layout (text + HTML), WhatsApp and push as written.

Pure functions: they only assemble strings. Variables stay as `{{Variable}}` placeholders; the
renderer fills them in (and HTML-escapes every value in `html_body`).
"""

from dataclasses import dataclass
from html import escape

from apps.core.constants import Channel, Target

from .catalog import PHASE_NAMES, SUBTYPE_NAMES, TYPE_NAMES
from .matrix import TARGET_LABELS

EMAIL = Channel.EMAIL.value
WHATSAPP = Channel.WHATSAPP.value
PUSH = Channel.PUSH.value
CLIENTS = Target.CLIENTS.value
STAFF = Target.STAFF.value

CHANNEL_LABELS = {EMAIL: "Email", WHATSAPP: "WhatsApp", PUSH: "Push"}

_BRAND = "#0b3b6f"
_MUTED = "#52606d"
_PANEL = "#f4f6f8"


@dataclass(frozen=True)
class TemplateSeed:
    phase: str
    channel: str
    target: str
    subject: str
    body: str
    html_body: str = ""
    service_type: str | None = None  # main type slug; None for a generic template
    subtype: str | None = None  # subtype slug, under service_type

    @property
    def key(self) -> tuple[str | None, str | None, str, str, str]:
        return (self.service_type, self.subtype, self.phase, self.channel, self.target)

    @property
    def name(self) -> str:
        """'Genérica · Recepción · WhatsApp · Clientes', 'Avería/Revisión › Frenos · Reparación · …'."""
        if self.subtype:
            scope = f"{TYPE_NAMES[self.service_type]} › {SUBTYPE_NAMES[(self.service_type, self.subtype)]}"
        elif self.service_type:
            scope = TYPE_NAMES[self.service_type]
        else:
            scope = "Genérica"
        return " · ".join((scope, PHASE_NAMES[self.phase], CHANNEL_LABELS[self.channel], TARGET_LABELS[self.target]))


def whatsapp(phase: str, target: str, body: str, **scope: str) -> TemplateSeed:
    return TemplateSeed(phase=phase, channel=WHATSAPP, target=target, subject="", body=body, **scope)


def push(phase: str, target: str, title: str, body: str, **scope: str) -> TemplateSeed:
    return TemplateSeed(phase=phase, channel=PUSH, target=target, subject=title, body=body, **scope)


def email(
    phase: str,
    target: str,
    *,
    subject: str,
    heading: str,
    paragraphs: tuple[str, ...],
    details: tuple[tuple[str, str], ...] = (),
    **scope: str,
) -> TemplateSeed:
    """An email whose text and HTML bodies say the same: greeting, first paragraph, details, the rest."""
    if target == CLIENTS:
        greeting, closing = "Estimado/a {{Nombre}}:", ("Saludos cordiales,", "Equipo de {{Taller}}")
        footer = "Este es un mensaje automático de {{Taller}}. Si tiene alguna pregunta, comuníquese con nosotros."
    else:
        greeting, closing = "Hola, equipo:", ("Notificación automática de {{Taller}}.",)
        footer = "Mensaje interno para el personal de {{Taller}}."
    return TemplateSeed(
        phase=phase,
        channel=EMAIL,
        target=target,
        subject=subject,
        body=_text_body(greeting, paragraphs, details, closing),
        html_body=_html_body(heading, greeting, paragraphs, details, closing, footer),
        **scope,
    )


def _text_body(greeting: str, paragraphs: tuple[str, ...], details, closing: tuple[str, ...]) -> str:
    blocks = [greeting, paragraphs[0]]
    if details:
        blocks.append("\n".join(f"{label}: {value}" for label, value in details))
    blocks.extend(paragraphs[1:])
    blocks.append("\n".join(closing))
    return "\n\n".join(blocks)


def _html_body(heading, greeting, paragraphs, details, closing, footer) -> str:
    def p(text: str, margin: str = "0 0 16px") -> str:
        return f'<p style="margin:{margin};">{escape(text, quote=False)}</p>'

    rows = "".join(
        f'<tr><td style="padding:8px 16px;color:{_MUTED};width:35%;">{escape(label)}</td>'
        f'<td style="padding:8px 16px;font-weight:bold;">{escape(value)}</td></tr>'
        for label, value in details
    )
    table = (
        f'<table role="presentation" cellpadding="0" cellspacing="0" '
        f'style="width:100%;margin:0 0 16px;background-color:{_PANEL};border-radius:6px;">{rows}</table>'
        if details
        else ""
    )
    closing_html = "<br>".join(escape(line, quote=False) for line in closing)
    return "\n".join(
        (
            f'<div style="margin:0;padding:24px 0;background-color:{_PANEL};'
            'font-family:Arial,Helvetica,sans-serif;color:#1f2933;">',
            '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" '
            'style="max-width:600px;margin:0 auto;background-color:#ffffff;border-radius:8px;">',
            f'<tr><td style="background-color:{_BRAND};color:#ffffff;padding:20px 28px;font-size:20px;'
            'font-weight:bold;border-radius:8px 8px 0 0;">{{Taller}}</td></tr>',
            '<tr><td style="padding:28px;font-size:15px;line-height:1.6;">',
            f'<h1 style="margin:0 0 16px;font-size:20px;color:{_BRAND};">{escape(heading, quote=False)}</h1>',
            p(greeting),
            p(paragraphs[0]),
            table,
            *(p(text) for text in paragraphs[1:]),
            f'<p style="margin:24px 0 0;">{closing_html}</p>',
            "</td></tr>",
            f'<tr><td style="padding:16px 28px;font-size:12px;color:{_MUTED};text-align:center;">'
            f"{escape(footer, quote=False)}</td></tr>",
            "</table>",
            "</div>",
        )
    )
