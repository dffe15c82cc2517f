"""`GET /metrics`: Prometheus text format for operators (SPEC §13), `Authorization: Bearer <METRICS_TOKEN>`.

With METRICS_TOKEN empty the path does not exist (404): a deployment that does not scrape exposes nothing.
Counters and histograms come from apps.core.metrics; the gauges below are read at scrape time.
"""

from __future__ import annotations

import redis
from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client.core import CollectorRegistry, GaugeMetricFamily
from prometheus_client.exposition import choose_encoder

from apps.core.authentication import secret_matches
from apps.core.metrics import recorded_families
from apps.core.views import not_found
from apps.notifications.adapters import get_sender
from apps.notifications.services.whatsapp_pacing import pacer
from apps.notifications.services.whatsapp_senders import whatsapp_instances_known, whatsapp_instances_paused
from config.celery import app

QUEUES = ("notifications", "sync", "maintenance")


def _queue_lengths() -> dict[str, float]:
    url = app.conf.broker_url or ""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return {}  # tasks run in-process: there is no queue
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        pipe = client.pipeline(transaction=False)
        for queue in QUEUES:
            pipe.llen(queue)
        return dict(zip(QUEUES, map(float, pipe.execute()), strict=True))
    except redis.RedisError:
        return {}  # the broker is down: no figure rather than a wrong one
    finally:
        client.close()


class _Collector:
    def collect(self):
        yield from recorded_families()
        queues = GaugeMetricFamily(
            "ambacar_queue_length", "Tareas esperando en cada cola del broker.", labels=["queue"]
        )
        for queue, length in _queue_lengths().items():
            queues.add_metric([queue], length)
        yield queues
        paused = GaugeMetricFamily(
            "ambacar_channel_paused",
            "1 si la instancia del canal está en pausa (sus mensajes salen por el siguiente canal).",
            labels=["channel", "instance"],
        )
        sent_today = GaugeMetricFamily(
            "ambacar_whatsapp_sent_today", "Mensajes de WhatsApp enviados hoy por instancia.", labels=["instance"]
        )
        if get_sender("whatsapp").is_configured():
            stopped = whatsapp_instances_paused()
            for name in whatsapp_instances_known():
                paused.add_metric(["whatsapp", name], 1.0 if name in stopped else 0.0)
                sent_today.add_metric([name], float(pacer().sent_today(name)))
        yield paused
        yield sent_today


@require_GET
def metrics_view(request):
    token = settings.METRICS_TOKEN
    if not token:
        return not_found(request)
    header = request.headers.get("Authorization", "")
    scheme, _, provided = header.partition(" ")
    if scheme.lower() != "bearer" or not secret_matches(provided.strip(), token):
        response = HttpResponse("401 Unauthorized: Authorization: Bearer <METRICS_TOKEN>\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector())
    # Prometheus says which formats it reads (text 0.0.4 or OpenMetrics); prometheus_client picks one.
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return HttpResponse(encoder(registry), content_type=content_type)
