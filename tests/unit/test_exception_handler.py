"""The one exception handler: a database that cannot be reached is a 503 in the documented shape, never a 500."""

import pytest
from django.db import InterfaceError, OperationalError

from apps.core.exception_handler import exception_handler


@pytest.mark.parametrize("error", [OperationalError("connection refused"), InterfaceError("connection already closed")])
def test_an_unreachable_database_is_a_503_that_says_retry(error):
    response = exception_handler(error, {})

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.data == {
        "type": "server_error",
        "errors": [
            {
                "code": "database_unavailable",
                "detail": "La base de datos no está disponible en este momento; reintente en unos segundos.",
                "attr": None,
            }
        ],
    }
    assert "connection" not in str(response.data)  # the driver's text (it may quote data) never reaches the client
