"""The WhatsApp adapter against a fake Evolution API over real HTTP (tests/fakes/evolution_server.py)."""

from __future__ import annotations

import logging
import re
import socket

import pytest
from django.test import override_settings

from apps.core.exceptions import SendError
from apps.core.ports import OutboundMessage
from apps.notifications.adapters import get_sender, reset_senders
from apps.notifications.adapters.whatsapp import WhatsAppSender
from tests.fakes.evolution_server import EvolutionServer

pytestmark = pytest.mark.integration

KEY, INSTANCE = "test-key-0f3a9c", "ambacar"
ANA, LUIS = "+593991234567", "+593987654321"
NOWA, NOWA2 = "+593990000000", "+593990000001"  # not on WhatsApp


def evolution_settings(server: EvolutionServer, **overrides):
    values = {
        "EVOLUTION_API_URL": server.url,
        "EVOLUTION_API_KEY": KEY,
        "EVOLUTION_INSTANCE": INSTANCE,
        "EVOLUTION_TIMEOUT": 5,
        "EVOLUTION_API_VERSION": "v2",
    }
    return override_settings(**{**values, **overrides})


def message(*recipients: str, body: str = "Hola Ana,\nsu vehículo está listo.") -> OutboundMessage:
    return OutboundMessage(
        notification_id="n-1", channel="whatsapp", recipients=recipients or (ANA,), subject="", body=body
    )


@pytest.fixture
def evo():
    with EvolutionServer(apikey=KEY, instance=INSTANCE, unregistered=(NOWA, NOWA2)) as server:
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

    assert error.permanent and not error.unknown_outcome
    assert "no tiene WhatsApp" in error.message
    assert "593990000000" not in error.message
    assert "593990000000" not in caplog.text


def test_wrong_api_key_is_permanent_and_never_echoed(evo, sender):
    with evolution_settings(evo, EVOLUTION_API_KEY="wrong-secret-key"):
        error = send_error(sender, message())

    assert error.permanent
    assert error.message == "API key de Evolution inválida: revise EVOLUTION_API_KEY."
    assert "wrong-secret-key" not in repr(error)


def test_unknown_instance_is_permanent(evo, sender):
    with evolution_settings(evo, EVOLUTION_INSTANCE="otra"):
        error = send_error(sender, message())

    assert error.permanent
    assert "EVOLUTION_INSTANCE" in error.message


def test_wrong_base_path_is_permanent(evo, sender):
    with evolution_settings(evo, EVOLUTION_API_URL=evo.url + "/api"):
        error = send_error(sender, message())

    assert error.permanent
    assert "EVOLUTION_API_URL" in error.message


def test_body_of_the_other_api_version_is_permanent(evo, sender):
    with evolution_settings(evo, EVOLUTION_API_VERSION="v1"):  # the fake speaks v2
        error = send_error(sender, message())

    assert error.permanent
    assert "EVOLUTION_API_VERSION" in error.message


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_server_errors_and_429_are_transient(evo, sender, status):
    evo.fail_next(1, status=status)
    error = send_error(sender, message())

    assert not error.permanent and not error.unknown_outcome
    assert sender.send(message()).provider_message_id  # the next attempt goes through


def test_gateway_timeout_has_unknown_outcome(evo, sender):
    evo.fail_next(1, status=504)
    assert send_error(sender, message()).unknown_outcome


def test_whatsapp_disconnected_is_transient(evo, sender):
    evo.disconnect()
    error = send_error(sender, message())

    assert not error.permanent and not error.unknown_outcome
    assert "Connection Closed" in error.message


def test_connection_refused_is_transient_and_recovers(evo, sender):
    sender.send(message())  # a pooled connection exists, then the server goes away
    evo.down()
    error = send_error(sender, message())
    assert not error.permanent and not error.unknown_outcome

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
    assert not error.permanent and not error.unknown_outcome


def test_read_timeout_has_unknown_outcome(evo, sender):
    evo.delay_next(3)
    with evolution_settings(evo, EVOLUTION_TIMEOUT=1):
        error = send_error(sender, message())

    assert error.unknown_outcome
    assert evo.sent_texts() == [("593991234567", "Hola Ana,\nsu vehículo está listo.")]  # it did reach Evolution


def test_not_configured_is_permanent_without_a_request(evo, sender):
    with evolution_settings(evo, EVOLUTION_API_URL=""):
        assert not sender.is_configured()
        error = send_error(sender, message())

    assert error.permanent
    assert error.message.startswith("WhatsApp no está configurado")
    assert evo.received == []


# --- several recipients (a taller's staff) ------------------------------------------------------------------


def test_several_recipients_all_accepted(evo, sender):
    result = sender.send(message(ANA, LUIS))

    assert result.provider_message_id == ",".join(evo.accepted)
    assert result.detail == ""
    assert [number for number, _ in evo.sent_texts()] == ["593991234567", "593987654321"]


def test_several_recipients_partial_success(evo, sender):
    result = sender.send(message(NOWA, LUIS))

    assert result.provider_message_id == evo.accepted[0]
    assert "1 de 2" in result.detail and "no tiene WhatsApp" in result.detail
    assert "593990000000" not in result.detail


def test_several_recipients_all_rejected_is_permanent(evo, sender):
    error = send_error(sender, message(NOWA, NOWA2))

    assert error.permanent
    assert len(evo.received) == 2  # a number not on WhatsApp does not stop the loop
    assert error.message.count("no tiene WhatsApp") == 2


def test_channel_error_stops_the_loop_and_is_raised(evo, sender):
    evo.fail_next(1, status=500)
    error = send_error(sender, message(ANA, LUIS))

    assert not error.permanent and not error.unknown_outcome  # nobody got it: a retry is safe
    assert len(evo.received) == 1


def test_worst_error_wins_when_nobody_accepted(evo, sender):
    evo.delay_next(0)
    evo.delay_next(3)  # the second request times out
    with evolution_settings(evo, EVOLUTION_TIMEOUT=1):
        error = send_error(sender, message(NOWA, ANA))

    assert error.unknown_outcome and not error.permanent  # unknown_outcome > permanent: never resend
    assert "no tiene WhatsApp" in error.message


def test_channel_error_after_an_acceptance_is_reported_not_raised(evo, sender):
    evo.delay_next(0)
    evo.delay_next(3)  # LUIS times out: the loop stops, NOWA is not tried
    with evolution_settings(evo, EVOLUTION_TIMEOUT=1):
        result = sender.send(message(ANA, LUIS, NOWA))

    assert result.provider_message_id == evo.accepted[0]
    assert result.detail.startswith("1 de 3 números aceptados.")
    assert "pudo enviarse" in result.detail and result.detail.endswith("1 sin intentar.")
    assert len(evo.received) == 2
