from apps.core.logging import new_request_id, request_id_scope

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
