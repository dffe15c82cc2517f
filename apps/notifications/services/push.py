"""Web Push subscriptions: the upsert of what a browser hands us (checked by apps.core.webpush), status,
the public key for the front end, and what a send taught us about each device."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.core.exceptions import ApplicationError
from apps.core.webpush import b64url_encode, p256_point_decode, push_endpoint_validate, push_keys_validate
from apps.notifications.models import CustomerContactInfo, PushSubscription

logger = logging.getLogger(__name__)

USER_AGENT_MAX_LENGTH = 500


@transaction.atomic
def push_subscription_upsert(
    *, customer: CustomerContactInfo, endpoint: str, p256dh: str, auth: str, user_agent: str = ""
) -> tuple[PushSubscription, bool]:
    """Create or update the subscription of `endpoint`; returns (subscription, created).

    An existing endpoint is reactivated and takes the new keys; it may move to another customer
    (the browser's user changed).
    """
    push_endpoint_validate(endpoint)
    p256dh, auth = push_keys_validate(p256dh=p256dh, auth=auth)
    values = {
        "customer": customer,
        "p256dh": p256dh,
        "auth": auth,
        "user_agent": (user_agent or "")[:USER_AGENT_MAX_LENGTH],
        "is_active": True,
        "failure_count": 0,
    }
    subscription = PushSubscription.objects.select_for_update().filter(endpoint=endpoint).first()
    if subscription is None:
        try:
            with transaction.atomic():
                subscription = PushSubscription.objects.create(endpoint=endpoint, **values)
        except IntegrityError:
            # A concurrent request stored the same endpoint first: update that row instead.
            subscription = PushSubscription.objects.select_for_update().get(endpoint=endpoint)
        else:
            logger.info("push subscription %s created for customer %s", subscription.pk, customer.pk)
            return subscription, True
    previous_customer_id = subscription.customer_id
    for field, value in values.items():
        setattr(subscription, field, value)
    subscription.save(update_fields=[*values, "updated_at"])
    if previous_customer_id != customer.pk:
        logger.info(
            "push subscription %s moved from customer %s to %s", subscription.pk, previous_customer_id, customer.pk
        )
    return subscription, False


def push_subscription_deactivate(*, endpoint: str) -> PushSubscription:
    """Deactivate the subscription of `endpoint` (kept, so a new subscribe reactivates it); 404 if unknown."""
    subscription = PushSubscription.objects.filter(endpoint=endpoint).first()
    if subscription is None:
        raise ApplicationError(
            "not_found", "No existe una suscripción push con ese endpoint.", status_code=404, attr="endpoint"
        )
    if subscription.is_active:
        subscription.is_active = False
        subscription.save(update_fields=["is_active", "updated_at"])
    return subscription


def push_subscription_record(*, subscription: PushSubscription, accepted: bool, gone: bool = False) -> None:
    """What one send taught us about a device: it works, it failed once more, or the push service says the
    subscription is gone (404/410), which deactivates it for good (a new subscribe reactivates it)."""
    rows = PushSubscription.objects.filter(pk=subscription.pk)
    now = timezone.now()
    if accepted:
        rows.update(last_success_at=now, failure_count=0, updated_at=now)
    elif gone:
        rows.update(failure_count=F("failure_count") + 1, is_active=False, updated_at=now)
        logger.info("push subscription %s deactivated: the push service says it is gone", subscription.pk)
    else:
        rows.update(failure_count=F("failure_count") + 1, updated_at=now)


def push_status_get(*, customer: CustomerContactInfo) -> dict:
    active = PushSubscription.objects.filter(customer=customer, is_active=True).count()
    return {"customer_id": customer.customer_id, "subscribed": active > 0, "active_subscriptions": active}


def push_public_key_get() -> str:
    """VAPID_PUBLIC_KEY as the front end needs it (base64url, no padding); 503 when not configured."""
    configured = settings.VAPID_PUBLIC_KEY
    if not configured:
        raise ApplicationError(
            "push_not_configured",
            "Las notificaciones push no están configuradas en el servidor (falta VAPID_PUBLIC_KEY).",
            status_code=503,
        )
    try:
        return b64url_encode(p256_point_decode(configured))
    except ValueError:
        raise ApplicationError(
            "push_not_configured",
            "VAPID_PUBLIC_KEY no es una clave pública P-256 sin comprimir en base64url.",
            status_code=503,
        ) from None
