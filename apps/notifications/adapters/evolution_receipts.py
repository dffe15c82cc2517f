"""Evolution API's webhooks → receipts and connection changes (research/evolution_api.md §5).

The provider's shapes stay here, next to the WhatsApp adapter: v1 spreads the message key into `data`
(`id`, and `datetime` in ms), v2 sends `keyId` (its `messageId` is a database row id, not WhatsApp's) and no
time. Status names or their numeric codes: DELIVERY_ACK (3) → delivered; READ (4) and PLAYED (5) → read;
ERROR (0) → failed (WhatsApp refused the message after Evolution accepted it). PENDING and SERVER_ACK say no more
than the 201 we already recorded; DELETED (the person deleted it) does not undo a send.
`connection.update` carries the instance's new state (`open`, `connecting`, `close`, `refused`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone

from apps.core.constants import Channel, NotificationStatus
from apps.core.ports import Receipt

STATUS_EVENTS = {"messages.update", "messages-update"}
CONNECTION_EVENTS = {"connection.update", "connection-update"}
_STATUS = {
    "ERROR": NotificationStatus.FAILED,
    0: NotificationStatus.FAILED,
    "DELIVERY_ACK": NotificationStatus.DELIVERED,
    "READ": NotificationStatus.READ,
    "PLAYED": NotificationStatus.READ,
    3: NotificationStatus.DELIVERED,
    4: NotificationStatus.READ,
    5: NotificationStatus.READ,
}


def event_name(payload: dict[str, Any], path_event: str = "") -> str:
    """`messages.update` in the body (`MESSAGES_UPDATE` in some builds), or the byEvents path suffix."""
    name = str(payload.get("event") or path_event or "")
    return name.strip().lower().replace("_", ".")


def connection_state_from_payload(payload: dict[str, Any]) -> tuple[str, str] | None:
    """(instance, state) of a `connection.update` call, or None when it does not carry both."""
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    instance = payload.get("instance") or data.get("instance")
    state = data.get("state")
    if not isinstance(instance, str) or not instance.strip() or not isinstance(state, str):
        return None
    return instance.strip()[:100], state.strip().lower()[:20]


def receipts_from_payload(payload: dict[str, Any], *, now: datetime | None = None) -> tuple[list[Receipt], int]:
    """The receipts a webhook call carries, and how many of its items were ignored."""
    now = now or timezone.now()
    data = payload.get("data")
    items = data if isinstance(data, list) else [data]
    receipts, ignored = [], 0
    for item in items:
        receipt = _receipt(item, now) if isinstance(item, dict) else None
        if receipt is None:
            ignored += 1
        else:
            receipts.append(receipt)
    return receipts, ignored


def _receipt(item: dict[str, Any], now: datetime) -> Receipt | None:
    if item.get("fromMe") is False:  # a receipt of a message sent to us, not by us
        return None
    status = item.get("status")
    if isinstance(status, str):
        status = _STATUS.get(status.upper())
    elif isinstance(status, int) and not isinstance(status, bool):
        status = _STATUS.get(status)
    else:  # null, a list, an object: not a status this contract knows
        status = None
    key = item.get("key") if isinstance(item.get("key"), dict) else {}
    message_id = item.get("keyId") or item.get("id") or key.get("id")
    if status is None or not isinstance(message_id, str) or not message_id.strip():
        return None
    if len(message_id) > 200 or "\x00" in message_id:  # not a WhatsApp id (they are short hex strings)
        return None
    return Receipt(
        channel=Channel.WHATSAPP,
        provider_message_id=message_id.strip(),
        status=status,
        occurred_at=_occurred_at(item.get("datetime"), now),
    )


def _occurred_at(value: Any, now: datetime) -> datetime:
    """v1's `datetime` (epoch ms) when it is plausible; otherwise the time we heard of it. The envelope's
    `date_time` is the server's local time with a misleading `Z`, so it is never used."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            at = datetime.fromtimestamp(value / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return now
        if now - timedelta(days=30) <= at <= now + timedelta(minutes=5):
            return at
    return now
