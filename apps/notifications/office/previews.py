"""Messages as the person receives them: an email in a sandboxed frame, a WhatsApp chat bubble, a push card.

Everything is escaped. An email's HTML goes into `srcdoc` of an iframe whose empty `sandbox` allows no scripts, no
forms, no navigation of the page and no access to it; WhatsApp's `*bold*`, `_italic_` and `~strike~` are turned into
tags only after the text was escaped, so a `<script>` in a body always shows as text.
"""

from __future__ import annotations

import re

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from apps.core.constants import Channel
from apps.notifications.seed.examples import DISPATCH_EXAMPLE
from apps.notifications.services.rendering import VARIABLES, context_normalize

# WhatsApp's own markers, as the app reads them: outside a word, hugging non-space text on one line.
_WHATSAPP_STYLE = re.compile(r"(?<!\w)(?P<marker>[*_~])(?P<text>[^\s*_~](?:[^\n]*?[^\s])?)(?P=marker)(?!\w)")
_TAGS = {"*": "strong", "_": "em", "~": "del"}


def example_context(*, phase_name: str = "") -> dict[str, str]:
    """What a template preview fills its variables with: the seed's dispatch example, the phase at hand, and each
    variable's own example for the rest."""
    context = {variable.name: variable.example for variable in VARIABLES}
    context |= context_normalize(DISPATCH_EXAMPLE["context"])
    if phase_name:
        context["Fase"] = phase_name
    return context


def whatsapp_markup(text: str) -> SafeString:
    """The text escaped, with WhatsApp's style markers as tags (nested ones too); line breaks are kept by CSS."""
    parts: list[str | SafeString] = []
    position = 0
    for match in _WHATSAPP_STYLE.finditer(text):
        parts.append(text[position : match.start()])
        tag = _TAGS[match["marker"]]
        parts.append(format_html("<{}>{}</{}>", tag, whatsapp_markup(match["text"]), tag))
        position = match.end()
    parts.append(text[position:])
    return format_html_join("", "{}", ((part,) for part in parts))


def whatsapp_preview(*, body: str) -> SafeString:
    return format_html(
        '<div class="office-preview office-whatsapp" data-channel="whatsapp">'
        '<div class="office-whatsapp-bubble">{}<span class="office-whatsapp-meta">12:00 ✓✓</span></div></div>',
        whatsapp_markup(body),
    )


def email_preview(*, subject: str, body: str, html_body: str) -> SafeString:
    if html_body:
        content = format_html(
            '<iframe class="office-email-frame" sandbox="" referrerpolicy="no-referrer" '
            'title="Vista previa del email" srcdoc="{}"></iframe>'
            '<details class="office-email-text"><summary>Versión de texto</summary><pre>{}</pre></details>',
            html_body,
            body,
        )
    else:
        content = format_html('<pre class="office-email-plain">{}</pre>', body)
    return format_html(
        '<div class="office-preview office-email" data-channel="email">'
        '<div class="office-email-subject"><span>Asunto:</span> <strong>{}</strong></div>{}</div>',
        subject or "(sin asunto)",
        content,
    )


def push_preview(*, title: str, body: str) -> SafeString:
    return format_html(
        '<div class="office-preview office-push" data-channel="push">'
        '<div class="office-push-app"><span class="office-push-icon" aria-hidden="true">A</span>Ambacar · ahora</div>'
        '<div class="office-push-title">{}</div><div class="office-push-body">{}</div></div>',
        title,
        body,
    )


def message_preview(*, channel: str, subject: str = "", body: str = "", html_body: str = "") -> SafeString:
    if channel == Channel.EMAIL:
        return email_preview(subject=subject, body=body, html_body=html_body)
    if channel == Channel.WHATSAPP:
        return whatsapp_preview(body=body)
    return push_preview(title=subject, body=body)
