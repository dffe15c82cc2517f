from rest_framework.permissions import BasePermission
from rest_framework_api_key.models import APIKey


class HasApiKeyOrStaff(BasePermission):
    """A valid API key, or a staff session (admin login) for the browsable API."""

    message = "Se requiere una clave de API (Authorization: Api-Key <clave>)."

    def has_permission(self, request, view):
        if isinstance(request.auth, APIKey):
            return True
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff)


class IsInternalService(BasePermission):
    message = "Se requiere la cabecera X-Internal-Secret."

    def has_permission(self, request, view):
        return request.auth == "internal"


class IsEvolutionWebhook(BasePermission):
    message = "Se requiere el token del webhook (cabecera X-Webhook-Token o parámetro ?token=)."

    def has_permission(self, request, view):
        return request.auth == "evolution-webhook"
