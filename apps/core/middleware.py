import time

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.http import JsonResponse

from apps.core.input_guard import RejectedInput, parameters_check
from apps.core.logging import new_request_id, request_id_scope
from apps.core.metrics import metrics_batch, metrics_http_request

REQUEST_ID_HEADER = "X-Request-ID"


class RequestIdMiddleware:
    """Give every request an id (or keep a sane one from the caller) for logs and tasks."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if incoming.isalnum() and 8 <= len(incoming) <= 64 else new_request_id()
        request.request_id = request_id
        with request_id_scope(request_id):
            response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


class RejectUnstorableParametersMiddleware:
    """Query strings, URL path values, headers and cookies get the same check as JSON bodies
    (apps.core.input_guard), before authentication, sessions, filters or lookups: a NUL in `?search=`, in a
    customer id or in a session cookie must never reach PostgreSQL."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        try:
            try:
                query = request.GET
            except TooManyFieldsSent:
                raise RejectedInput(
                    "too_many_parameters",
                    f"La URL trae más de {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} parámetros; no se admite.",
                ) from None
            parameters_check(query, view_kwargs, request.META, request.COOKIES)
        except RejectedInput as exc:
            return JsonResponse(exc.body(), status=400)
        return None


class HttpMetricsMiddleware:
    """Requests by route (the URL pattern, so ids do not make a series each), method and status, with latency."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        # What the view records (a dispatch's acceptance) and the request's own line reach the store together.
        with metrics_batch():
            response = self.get_response(request)
            match = getattr(request, "resolver_match", None)
            route = (match.route or match.view_name) if match is not None else "unmatched"
            metrics_http_request(
                route=route or "unmatched",
                method=request.method,
                status=response.status_code,
                seconds=time.perf_counter() - started,
            )
        return response
