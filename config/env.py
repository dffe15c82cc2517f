"""Small readers for environment variables (12-factor), used only by settings.py."""

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    """Read NAME, or the file named by NAME_FILE (Docker/Kubernetes secrets)."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            with open(file_path, encoding="utf-8") as fh:
                return fh.read().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_path} no se puede leer: {exc}") from exc
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} no es un booleano (use true/false).")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} no es un número entero.") from exc


def env_list(name: str, default: str = "") -> list[str]:
    raw = os.environ.get(name, default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def missing_settings_message(missing: list[str]) -> str:
    return (
        "Faltan variables obligatorias con DEBUG desactivado: "
        + ", ".join(missing)
        + ". Defínalas en el entorno o en .env (vea .env.example), o use DEBUG=true en desarrollo."
    )


def require_production_settings() -> None:
    """Stop a serving process (web, worker, beat) that would run half-configured."""
    if settings.MISSING_REQUIRED_SETTINGS:
        raise ImproperlyConfigured(missing_settings_message(settings.MISSING_REQUIRED_SETTINGS))
