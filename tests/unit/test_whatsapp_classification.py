"""Evolution API answers → SendError, with the bodies of research/evolution_api.md §1-2."""

from __future__ import annotations

import httpx
import pytest

from apps.notifications.adapters.whatsapp import (
    NOT_ON_WHATSAPP,
    classify_exception,
    classify_response,
    send_text_body,
)

PERMANENT, TRANSIENT, UNKNOWN = "permanent", "transient", "unknown_outcome"


def envelope(status: int, error: str, message) -> dict:
    return {"status": status, "error": error, "response": {"message": message}}


def kind(error) -> str:
    return error.kind.value


V2_REPLY = {
    "key": {"remoteJid": "593991234567@s.whatsapp.net", "fromMe": True, "id": "3EB0C431C26A1916E07A"},
    "pushName": "Você",
    "status": "PENDING",
    "message": {"conversation": "Hola"},
    "messageType": "conversation",
    "messageTimestamp": 1757464274,
    "instanceId": "dc4b0ecc-405c-4e76-9c1c-35a2f71d9954",
    "source": "unknown",
}


@pytest.mark.parametrize("status", [200, 201])
def test_success_is_not_an_error(status):
    assert classify_response(status, V2_REPLY) is None


@pytest.mark.parametrize(
    "item",
    [
        {"jid": "593990000000@s.whatsapp.net", "exists": False, "number": "593990000000"},  # v2
        {"exists": False, "jid": "593990000000@s.whatsapp.net", "number": "593990000000"},  # v1
        {"jid": "593990000000@s.whatsapp.net", "exists": False, "number": "593990000000", "name": "", "lid": None},
    ],
)
def test_number_not_on_whatsapp(item):
    error = classify_response(400, envelope(400, "Bad Request", [item]))

    assert error.code == NOT_ON_WHATSAPP
    assert kind(error) == PERMANENT
    assert error.message == "El número 5939*****000 no tiene WhatsApp."


@pytest.mark.parametrize(
    ("status", "message", "expected", "mentions"),
    [
        (400, [['instance requires property "text"']], PERMANENT, "EVOLUTION_API_VERSION"),
        (400, [['instance requires property "textMessage"']], PERMANENT, "EVOLUTION_API_VERSION"),
        (400, [["Invalid format"]], PERMANENT, "Invalid format"),
        (400, ["Text is required"], PERMANENT, "Text is required"),
        (400, ["Error: Timed Out"], TRANSIENT, "Timed Out"),
        (400, ["Error: Connection Closed"], TRANSIENT, "Connection Closed"),
        (401, "Unauthorized", PERMANENT, "EVOLUTION_API_KEY"),
        (403, "Forbidden", PERMANENT, "EVOLUTION_API_KEY"),
        (404, ['The "ambacar" instance does not exist'], PERMANENT, "EVOLUTION_INSTANCE"),
        (404, ["Cannot POST /api/message/sendText/ambacar"], PERMANENT, "EVOLUTION_API_URL"),
        (405, "Method Not Allowed", PERMANENT, "405"),
        (422, "Unprocessable Entity", PERMANENT, "422"),
        (429, "Too Many Requests", TRANSIENT, "429"),
        (500, "Connection Closed", TRANSIENT, "Connection Closed"),
        (500, ["Error: Connection Closed"], TRANSIENT, "Connection Closed"),
        (500, "Cannot read properties of undefined (reading 'textMessage')", TRANSIENT, "500"),
        # Any other 5xx may come after the message left (a failed insert after sending, a proxy giving up).
        (500, "Internal Server Error", UNKNOWN, "pudo enviarse"),
        (502, "Bad Gateway", UNKNOWN, "502"),
        (503, "Service Unavailable", TRANSIENT, "503"),
        (504, "Gateway Timeout", UNKNOWN, "504"),
        (302, "Found", PERMANENT, "302"),
    ],
)
def test_error_answers(status, message, expected, mentions):
    error = classify_response(status, envelope(status, "x", message))

    assert kind(error) == expected
    assert mentions in error.message
    assert error.code != NOT_ON_WHATSAPP


def test_wrong_key_message_is_exact():
    error = classify_response(401, envelope(401, "Unauthorized", "Unauthorized"))
    assert error.message == "API key de Evolution inválida: revise EVOLUTION_API_KEY."


def test_body_that_is_not_the_envelope():
    assert kind(classify_response(503, "<html><body>503 Service Unavailable</body></html>")) == TRANSIENT
    assert kind(classify_response(502, "<html><body>502 Bad Gateway</body></html>")) == UNKNOWN
    assert kind(classify_response(400, None)) == PERMANENT


def test_numbers_in_error_bodies_are_masked():
    error = classify_response(400, envelope(400, "Bad Request", ["Error: jid 593991234567 closed"]))
    assert "593991234567" not in error.message


REQUEST = httpx.Request("POST", "http://evo.test/message/sendText/ambacar")


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (httpx.ConnectError("refused", request=REQUEST), TRANSIENT),
        (httpx.ConnectTimeout("slow connect", request=REQUEST), TRANSIENT),
        (httpx.PoolTimeout("pool", request=REQUEST), TRANSIENT),
        (httpx.ProxyError("proxy", request=REQUEST), TRANSIENT),
        (httpx.ReadTimeout("slow answer", request=REQUEST), UNKNOWN),
        (httpx.WriteTimeout("slow write", request=REQUEST), UNKNOWN),
        (httpx.ReadError("reset", request=REQUEST), UNKNOWN),
        (httpx.RemoteProtocolError("server disconnected", request=REQUEST), UNKNOWN),
        (httpx.UnsupportedProtocol("ftp://", request=REQUEST), PERMANENT),
        (httpx.InvalidURL("bad url"), PERMANENT),
    ],
)
def test_transport_errors(exc, expected):
    assert kind(classify_exception(exc)) == expected


def test_send_text_bodies():
    assert send_text_body("v2", "593991234567", "Hola") == {"number": "593991234567", "text": "Hola"}
    assert send_text_body("v1", "593991234567", "Hola") == {"number": "593991234567", "textMessage": {"text": "Hola"}}
