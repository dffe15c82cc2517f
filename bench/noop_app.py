"""The baseline of bench/bench_dispatch.py: a one-file Django + DRF view that answers 202 without validating anything.

Served by gunicorn with the project's flags: `gunicorn bench.noop_app:application --workers 2`.
"""

from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="noop-bench",  # noqa: S106 - a baseline that serves nothing secret
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework"],
    MIDDLEWARE=[],
    DATABASES={},
    REST_FRAMEWORK={
        "DEFAULT_AUTHENTICATION_CLASSES": [],
        "DEFAULT_PERMISSION_CLASSES": [],
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
        "UNAUTHENTICATED_USER": None,
    },
)

import django  # noqa: E402

django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.urls import path  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.views import APIView  # noqa: E402


class NoopView(APIView):
    def post(self, request):
        return Response({"status": "queued"}, status=202)


urlpatterns = [path("api/v1/notifications/events/dispatch/", NoopView.as_view())]
application = get_wsgi_application()
