import logging
import sys

from django.apps import AppConfig
from django.conf import settings

logger = logging.getLogger("apps.core")


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Acceso a la API"

    def ready(self):
        # Imported here because Django requires it: the OpenAPI extensions import DRF and our models' apps, which
        # the app registry only allows once every app is loaded.
        from apps.core import openapi  # noqa: F401  (registers the OpenAPI auth extensions)

        serving = any(arg in ("runserver", "gunicorn") or arg.endswith("gunicorn") for arg in sys.argv[:2])
        if settings.CELERY_EAGER and serving:
            logger.info(
                "REDIS_URL no está definido: las tareas de Celery se ejecutan en el mismo proceso (modo eager)."
            )
