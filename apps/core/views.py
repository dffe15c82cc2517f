import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.exception_handler import error_body
from apps.core.permissions import HasApiKeyOrStaff

logger = logging.getLogger(__name__)

SUPABASE_HOST_SUFFIXES = (".supabase.co", ".supabase.com")


def is_supabase_host(host: str) -> bool:
    return (host or "").lower().rstrip(".").endswith(SUPABASE_HOST_SUFFIXES)


def database_info() -> dict:
    """Ask the database for its version (raises DatabaseError when it does not answer)."""
    db = settings.DATABASES["default"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT version()")
            version = cursor.fetchone()[0]
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            version = f"SQLite {cursor.fetchone()[0]}"
        else:
            cursor.execute("SELECT 1")
            version = ""
    host = db.get("HOST") or ""
    return {
        "engine": connection.vendor,
        "name": str(db.get("NAME") or ""),
        "host": host,
        "port": int(db["PORT"]) if db.get("PORT") else None,
        "user": db.get("USER") or "",
        "version": version,
        "is_supabase": is_supabase_host(host),
    }


_detail_schema = inline_serializer(
    "DatabaseHealth",
    {
        "status": serializers.ChoiceField(choices=["healthy", "unhealthy"]),
        "database": inline_serializer(
            "DatabaseInfo",
            {
                "engine": serializers.CharField(),
                "name": serializers.CharField(),
                "host": serializers.CharField(),
                "port": serializers.IntegerField(allow_null=True),
                "user": serializers.CharField(),
                "version": serializers.CharField(),
                "is_supabase": serializers.BooleanField(),
            },
            required=False,
        ),
        "connection": inline_serializer(
            "DatabaseConnection",
            {"max_age": serializers.IntegerField(allow_null=True), "health_checks_enabled": serializers.BooleanField()},
            required=False,
        ),
    },
)


class DatabaseHealthView(APIView):
    permission_classes = [AllowAny]

    def handle_exception(self, exc):
        # Authenticating an API key reads the database too: when it is down, say so, not 500.
        if isinstance(exc, DatabaseError):
            logger.error("database health check failed: %s", type(exc).__name__)
            return Response({"status": "unhealthy"}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        return super().handle_exception(exc)

    @extend_schema(
        tags=["Salud"],
        summary="Estado de la base de datos",
        description=(
            "Comprueba la conexión a PostgreSQL/Supabase (o SQLite en desarrollo). Con clave de API devuelve "
            "motor, nombre, host, puerto, usuario, versión y si es Supabase; sin autenticación solo `status`. "
            'Responde 503 con `{"status": "unhealthy"}` cuando la base no contesta.'
        ),
        responses={200: _detail_schema, 503: _detail_schema},
        auth=[{"ApiKeyAuth": []}, {}],
        examples=[
            OpenApiExample(
                "Autenticado",
                value={
                    "status": "healthy",
                    "database": {
                        "engine": "postgresql",
                        "name": "postgres",
                        "host": "aws-1-sa-east-1.pooler.supabase.com",
                        "port": 6543,
                        "user": "postgres.abc",
                        "version": "PostgreSQL 15.1 on x86_64-pc-linux-gnu",
                        "is_supabase": True,
                    },
                    "connection": {"max_age": 600, "health_checks_enabled": True},
                },
                response_only=True,
            ),
            OpenApiExample("Anónimo", value={"status": "healthy"}, response_only=True),
        ],
    )
    def get(self, request):
        try:
            info = database_info()
        except DatabaseError:
            logger.exception("database health check failed")
            return Response({"status": "unhealthy"}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        if not HasApiKeyOrStaff().has_permission(request, self):
            return Response({"status": "healthy"})
        db = settings.DATABASES["default"]
        return Response(
            {
                "status": "healthy",
                "database": info,
                "connection": {
                    "max_age": db.get("CONN_MAX_AGE"),
                    "health_checks_enabled": bool(db.get("CONN_HEALTH_CHECKS")),
                },
            }
        )


def _resolves_to_a_route(path: str) -> bool:
    try:
        return resolve(path).func is not api_route_not_found
    except Resolver404:
        return False


@csrf_exempt  # API clients send no CSRF token: without this a POST would get Django's HTML 403
def api_route_not_found(request, path=""):
    """Any /api/ path no route matches: JSON even with DEBUG on, where Django would answer an HTML page (and, for
    a POST missing its trailing slash, a RuntimeError page). A GET is redirected to the slashed route."""
    if not request.path_info.endswith("/") and _resolves_to_a_route(f"{request.path_info}/"):
        if request.method in ("GET", "HEAD"):
            # The escaped path: a decoded `%3F` must not turn into a query string.
            return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
        detail = f"La ruta termina en barra: use {request.path}/"
    else:
        detail = f"No existe la ruta {request.path}."
    return _not_found(detail)


def _not_found(detail: str) -> JsonResponse:
    return JsonResponse(error_body("client_error", [{"code": "not_found", "detail": detail, "attr": None}]), status=404)


def not_found(request, exception=None):
    return _not_found("No encontrado.")


def server_error(request):
    logger.error("unhandled server error on %s %s", request.method, request.path)
    body = error_body("server_error", [{"code": "error", "detail": "Error interno del servidor.", "attr": None}])
    return JsonResponse(body, status=500)
