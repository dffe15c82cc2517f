"""The second baseline of bench/bench_dispatch.py: the least any durable accept costs on this stack.

A one-file Django + DRF view that stores the request body in PostgreSQL (one INSERT, committed) and pushes its id to
a Redis list (one LPUSH), then answers 202. No authentication, no validation, no plan, no template: what is left
is the floor a dispatch that answers only after its row is stored and its task published cannot go under, with the
project's connection settings (kept connections, Django's health check, prepared statements) and the same gunicorn
flags. Its table has a primary key only: the project's log rows also feed 11 indexes and the rollup's triggers.

    FLOOR_DATABASE_URL=postgres://... FLOOR_REDIS_URL=redis://... FLOOR_TABLE=bench_floor_accept \\
        gunicorn bench.floor_app:application --workers 2
"""

import json
import os
import uuid

import dj_database_url
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="floor-bench",  # noqa: S106 - a baseline that serves nothing secret
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework"],
    MIDDLEWARE=[],
    # As config/settings.py connects: one kept connection per process, checked once per request, and statements
    # bound by the server and kept prepared (DB_PREPARED_STATEMENTS' default).
    DATABASES={
        "default": {
            **dj_database_url.parse(os.environ["FLOOR_DATABASE_URL"], conn_max_age=600, conn_health_checks=True),
            "OPTIONS": {"server_side_binding": True, "prepare_threshold": 2},
        }
    },
    REST_FRAMEWORK={
        "DEFAULT_AUTHENTICATION_CLASSES": [],
        "DEFAULT_PERMISSION_CLASSES": [],
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
        "UNAUTHENTICATED_USER": None,
    },
)

import django  # noqa: E402

django.setup()

import redis  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection  # noqa: E402
from django.urls import path  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.views import APIView  # noqa: E402

QUEUE = redis.Redis.from_url(os.environ["FLOOR_REDIS_URL"])
# The table bench_dispatch.py created; a name of its own, formatted in as an identifier.
INSERT = f"INSERT INTO {os.environ['FLOOR_TABLE']} (id, body) VALUES (%s, %s)"  # noqa: S608


class FloorView(APIView):
    def post(self, request):
        accepted = uuid.uuid4()
        with connection.cursor() as cursor:
            cursor.execute(INSERT, [accepted, json.dumps(request.data)])
        QUEUE.lpush("bench-floor", str(accepted))
        return Response({"id": str(accepted), "status": "queued"}, status=202)


urlpatterns = [path("api/v1/notifications/events/dispatch/", FloorView.as_view())]
application = get_wsgi_application()
