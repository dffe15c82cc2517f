"""gunicorn's own settings (`gunicorn -c config/gunicorn.conf.py config.wsgi`): its log lines in the format the
service logs in (LOG_FORMAT), so web, worker and beat logs can be read, and joined by request id, the same way."""

import os

if os.environ.get("LOG_FORMAT", "text").strip().lower() == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "apps.core.logging.JsonFormatter"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
    }
