"""API-key authentication for /api/v1/ and the shared secret of /api/internal/v1/."""

import hmac
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from rest_framework import authentication, exceptions
from rest_framework_api_key.models import APIKey
from rest_framework_api_key.permissions import KeyParser

INTERNAL_SECRET_HEADER = "X-Internal-Secret"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Api-Key <key>`; keys are hashed at rest (djangorestframework-api-key).

    Sets request.auth to the APIKey; the user stays anonymous: a key is a machine, not a person.
    """

    keyword = "Api-Key"

    def authenticate(self, request):
        key = KeyParser().get_from_authorization(request)
        if not key:
            _refuse_a_misplaced_key(request)
            return None
        if not (key.isascii() and key.isprintable()):
            # A real key is `prefix.secret` in letters and digits; a NUL would reach PostgreSQL in the lookup.
            raise exceptions.AuthenticationFailed("Clave de API inválida.")
        api_key = _api_key_from(key)
        if api_key is None:
            raise exceptions.AuthenticationFailed("Clave de API inválida.")
        if api_key.has_expired or api_key.revoked:
            raise exceptions.AuthenticationFailed("Clave de API revocada o expirada.")
        return (AnonymousUser(), api_key)

    def authenticate_header(self, request):
        return self.keyword


def _api_key_from_database(prefix: str) -> APIKey | None:
    return APIKey.objects.get_usable_keys().filter(prefix=prefix).first()


# Where the usable key row of a prefix comes from: the notifications app swaps in its configuration snapshot at
# start-up (apps.notifications.services.config_cache), so the row is not read per request; core does not import it.
api_key_row_for_prefix: Callable[[str], APIKey | None] = _api_key_from_database


def _api_key_from(key: str) -> APIKey | None:
    """The usable key row; the presented key is still checked against its hash on every request."""
    api_key = api_key_row_for_prefix(key.partition(".")[0])
    if api_key is None or not api_key.is_valid(key):
        return None
    return api_key


def _refuse_a_misplaced_key(request) -> None:
    """A key sent another way (`Bearer`, a bare key, `X-Api-Key`) is refused with where it goes, instead of the
    bare "credentials not provided"."""
    header = request.headers.get("Authorization", "").strip()
    if not header and "X-Api-Key" not in request.headers:
        return
    scheme = header.split(" ", 1)[0] if " " in header else ""
    received = f"se recibió «Authorization: {scheme} …»" if scheme else "se recibió la clave sin el esquema Api-Key"
    if not header:
        received = "se recibió la cabecera X-Api-Key"
    raise exceptions.AuthenticationFailed(
        f"La clave de API va en la cabecera Authorization: Api-Key <clave> ({received})."
    )


def secret_matches(provided: str | None, *accepted: str) -> bool:
    """Constant-time comparison with each accepted secret (the current one and, while a rotation overlaps, the
    previous one); no secret configured means nothing is ever accepted."""
    if not provided:
        return False
    try:
        provided_bytes = provided.encode()
    except UnicodeEncodeError:  # a lone surrogate: no secret is made of those
        return False
    matches = [hmac.compare_digest(provided_bytes, secret.encode()) for secret in accepted if secret]
    return any(matches)


class InternalSecretAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        provided = request.headers.get(INTERNAL_SECRET_HEADER)
        if not settings.INTERNAL_API_SECRET_KEY:
            raise exceptions.AuthenticationFailed(
                "La API interna está deshabilitada: el servidor no tiene INTERNAL_API_SECRET_KEY."
            )
        if provided is None:
            return None
        if not secret_matches(provided, settings.INTERNAL_API_SECRET_KEY, settings.INTERNAL_API_SECRET_KEY_PREVIOUS):
            raise exceptions.AuthenticationFailed("X-Internal-Secret inválido.")
        return (AnonymousUser(), "internal")

    def authenticate_header(self, request):
        return INTERNAL_SECRET_HEADER


WEBHOOK_TOKEN_HEADER = "X-Webhook-Token"


class EvolutionWebhookAuthentication(authentication.BaseAuthentication):
    """Evolution API signs nothing (research/evolution_api.md §5): its webhook carries our secret, as
    `?token=` in the URL it was given (v1, global webhooks) or as a static `X-Webhook-Token` header (v2.1.1+)."""

    def authenticate(self, request):
        expected = settings.EVOLUTION_WEBHOOK_TOKEN
        if not expected:
            raise exceptions.NotFound(
                "Los acuses de WhatsApp están desactivados: el servidor no tiene EVOLUTION_WEBHOOK_TOKEN."
            )
        provided = request.headers.get(WEBHOOK_TOKEN_HEADER) or request.query_params.get("token")
        if not provided:
            return None
        if not secret_matches(provided, expected, settings.EVOLUTION_WEBHOOK_TOKEN_PREVIOUS):
            raise exceptions.AuthenticationFailed("Token del webhook inválido.")
        return (AnonymousUser(), "evolution-webhook")

    def authenticate_header(self, request):
        return WEBHOOK_TOKEN_HEADER
