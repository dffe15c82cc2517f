"""The WhatsApp adapter against a fake Evolution API over real HTTP (tests/fakes/evolution_server.py)."""

from __future__ import annotations

import logging
import re
import socket

import pytest
from django.test import override_settings

from apps.core.constants import ErrorKind
from apps.core.exceptions import SendError
from apps.core.ports import OutboundMessage
from apps.notifications.adapters import get_sender, reset_senders
from apps.notifications.adapters.whatsapp import NOT_ON_WHATSAPP, WhatsAppSender
from tests.fakes.evolution_server import EvolutionServer

pytestmark = pytest.mark.integration

KEY, INSTANCE = "test-key-0f3a9c", "ambacar"
ANA, LUIS = "+593991234567", "+593987654321"
NOWA = "+593990000000"  # not on WhatsApp


def evolution_settings(server: EvolutionServer, **overrides):
    values = {
        "EVOLUTION_API_URL": server.url,
        "EVOLUTION_API_KEY": KEY,
        "EVOLUTION_INSTANCE": INSTANCE,
        "EVOLUTION_TIMEOUT": 5,
        "EVOLUTION_API_VERSION": "v2",
    }
    return override_settings(**{**values, **overrides})


def message(recipient: str = ANA, body: str = "Hola Ana,\nsu vehículo está listo.") -> OutboundMessage:
    return OutboundMessage(notification_id="n-1", channel="whatsapp", recipient=recipient, subject="", body=body)


@pytest.fixture
def evo():
    with EvolutionServer(apikey=KEY, instance=INSTANCE, unregistered=(NOWA,)) as server:
        yield server


@pytest.fixture
def sender(evo):
    with evolution_settings(evo):
        whatsapp = WhatsAppSender()
        yield whatsapp
        whatsapp.close()


def send_error(sender: WhatsAppSender, msg: OutboundMessage) -> SendError:
    with pytest.raises(SendError) as info:
        sender.send(msg)
    return info.value


# --- success -------------------------------------------------------------------------------------------------


def test_v2_body_header_and_provider_id(evo, sender):
    result = sender.send(message())

    (request,) = evo.received
    assert request.path == f"/message/sendText/{INSTANCE}"
    assert request.headers["apikey"] == KEY
    assert request.json == {"number": "593991234567", "text": "Hola Ana,\nsu vehículo está listo."}
    assert result.provider_message_id == evo.accepted[0]
    assert re.fullmatch(r"3EB0[0-9A-F]{16}", result.provider_message_id)


def test_v1_body_and_v1_reply():
    with (
        EvolutionServer(apikey=KEY, instance=INSTANCE, version="v1") as evo,
        evolution_settings(evo, EVOLUTION_API_VERSION="v1"),
    ):
        whatsapp = WhatsAppSender()
        result = whatsapp.send(message(body="Hola"))
        whatsapp.close()

    (request,) = evo.received
    assert request.json == {"number": "593991234567", "textMessage": {"text": "Hola"}}
    assert result.provider_message_id == evo.accepted[0]
    assert re.fullmatch(r"BAE5[0-9A-F]{12}", result.provider_message_id)


def test_registry_builds_the_sender(evo):
    reset_senders()
    whatsapp = get_sender("whatsapp")  # built without reading settings
    try:
        assert isinstance(whatsapp, WhatsAppSender)
        assert whatsapp.channel == "whatsapp"
        with evolution_settings(evo):
            assert whatsapp.is_configured()
            assert whatsapp.send(message()).provider_message_id == evo.accepted[0]
        with evolution_settings(evo, EVOLUTION_API_KEY=""):
            assert not whatsapp.is_configured()  # settings are read at call time
    finally:
        whatsapp.close()
        reset_senders()


def test_client_is_reused_across_sends_on_one_connection(evo, sender):
    sender.send(message())
    first_client = sender._client
    sender.send(message(LUIS))

    assert sender._client is first_client
    assert len(evo.client_ports) == 2 and len(set(evo.client_ports)) == 1  # one TCP connection (keep-alive)


def test_client_is_rebuilt_when_settings_change(evo, sender):
    sender.send(message())
    first_client = sender._client
    with evolution_settings(evo, EVOLUTION_API_KEY="other-key"):
        send_error(sender, message())
    assert sender._client is not first_client
    assert evo.received[-1].headers["apikey"] == "other-key"


# --- classification ------------------------------------------------------------------------------------------


def test_number_not_on_whatsapp_is_permanent_and_masked(evo, sender, caplog):
    caplog.set_level(logging.INFO)
    error = send_error(sender, message(NOWA))

    assert (error.kind, error.code) == (ErrorKind.PERMANENT, NOT_ON_WHATSAPP)
    assert "no tiene WhatsApp" in error.message
    assert "593990000000" not in error.message
    assert "593990000000" not in caplog.text


def test_wrong_api_key_is_permanent_and_never_echoed(evo, sender):
    with evolution_settings(evo, EVOLUTION_API_KEY="wrong-secret-key"):
        error = send_error(sender, message())

    assert error.kind == ErrorKind.PERMANENT
    assert error.message == "API key de Evolution inválida: revise EVOLUTION_API_KEY."
    assert "wrong-secret-key" not in repr(error)


def test_unknown_instance_is_permanent(evo, sender):
    with evolution_settings(evo, EVOLUTION_INSTANCE="otra"):
        error = send_error(sender, message())

    assert error.kind == ErrorKind.PERMANENT
    assert "EVOLUTION_INSTANCE" in error.message


def test_wrong_base_path_is_permanent(evo, sender):
    with evolution_settings(evo, EVOLUTION_API_URL=evo.url + "/api"):
        error = send_error(sender, message())

    assert error.kind == ErrorKind.PERMANENT
    assert "EVOLUTION_API_URL" in error.message


def test_body_of_the_other_api_version_is_permanent(evo, sender):
    with evolution_settings(evo, EVOLUTION_API_VERSION="v1"):  # the fake speaks v2
        error = send_error(sender, message())

    assert error.kind == ErrorKind.PERMANENT
    assert "EVOLUTION_API_VERSION" in error.message


@pytest.mark.parametrize("status", [500, 503, 429])  # the fake's 500 is the pre-send "Connection Closed"
def test_errors_before_sending_are_transient(evo, sender, status):
    evo.fail_next(1, status=status)
    error = send_error(sender, message())

    assert error.kind == ErrorKind.TRANSIENT
    assert sender.send(message()).provider_message_id  # the next attempt goes through


@pytest.mark.parametrize(("status", "body"), [(500, "Internal Server Error"), (502, None), (504, None)])
def test_other_server_errors_have_an_unknown_outcome(evo, sender, status, body):
    evo.fail_next(1, status=status, message=body)
    assert send_error(sender, message()).kind == ErrorKind.UNKNOWN_OUTCOME


def test_whatsapp_disconnected_is_transient(evo, sender):
    evo.disconnect()
    error = send_error(sender, message())

    assert error.kind == ErrorKind.TRANSIENT
    assert "Connection Closed" in error.message


def test_connection_refused_is_transient_and_recovers(evo, sender):
    sender.send(message())  # a pooled connection exists, then the server goes away
    evo.down()
    error = send_error(sender, message())
    assert error.kind == ErrorKind.TRANSIENT

    evo.up()
    assert sender.send(message()).provider_message_id == evo.accepted[-1]


def test_nothing_listening_is_transient():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    whatsapp = WhatsAppSender()
    with override_settings(
        EVOLUTION_API_URL=f"http://127.0.0.1:{port}", EVOLUTION_API_KEY=KEY, EVOLUTION_INSTANCE=INSTANCE
    ):
        error = send_error(whatsapp, message())
    whatsapp.close()
    assert error.kind == ErrorKind.TRANSIENT


def test_read_timeout_has_unknown_outcome(evo, sender):
    evo.delay_next(3)
    with evolution_settings(evo, EVOLUTION_TIMEOUT=1):
        error = send_error(sender, message())

    assert error.kind == ErrorKind.UNKNOWN_OUTCOME
    assert evo.sent_texts() == [("593991234567", "Hola Ana,\nsu vehículo está listo.")]  # it did reach Evolution


def test_not_configured_is_permanent_without_a_request(evo, sender):
    with evolution_settings(evo, EVOLUTION_API_URL=""):
        assert not sender.is_configured()
        error = send_error(sender, message())

    assert error.kind == ErrorKind.PERMANENT
    assert error.message.startswith("WhatsApp no está configurado")
    assert evo.received == []
