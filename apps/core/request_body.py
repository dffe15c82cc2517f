"""A body limit of its own for the few endpoints that take large bodies (the sync webhooks' batches).

Django reads `request.body` under DATA_UPLOAD_MAX_MEMORY_SIZE, one limit for every endpoint. Raising it for the
10,000-item sync batches would raise it for every public endpoint too; instead the sync views read the body
here, under their own limit, after authentication (an anonymous caller never makes the server read 16 MB), and
Django's `request.body` then returns what was read.
"""

from io import BytesIO

from django.http import HttpRequest

from apps.core.exception_handler import request_too_large


def request_body_read(request: HttpRequest, *, limit: int, setting: str) -> None:
    """Read the body once under `limit` (413 `request_too_large` naming `setting` past it)."""
    if hasattr(request, "_body") or request._read_started:
        return
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise request_too_large(limit, setting)
    # One byte past the limit tells a body longer than its Content-Length said (chunked, or a lying client).
    body = request.read(limit + 1)
    if len(body) > limit:
        raise request_too_large(limit, setting)
    request._body = body
    request._stream = BytesIO(body)
