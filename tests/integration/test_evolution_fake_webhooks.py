"""The fake Evolution API's /webhook/set follows research/evolution_api.md §5, like its other routes."""

import httpx
import pytest

from tests.fakes.evolution_server import EvolutionServer


def set_webhook(server, body):
    return httpx.post(f"{server.url}/webhook/set/ambacar", json=body, headers={"apikey": "k"}, timeout=5)


@pytest.fixture(params=["v2", "v1"])
def server(request):
    with EvolutionServer(apikey="k", instance="ambacar", version=request.param) as evo:
        yield evo


def test_v2_wants_the_nested_body_and_v1_the_flat_one(server):
    flat = {"enabled": True, "url": "http://127.0.0.1:9/hook", "events": ["MESSAGES_UPDATE"]}
    nested = {"webhook": {**flat, "byEvents": False, "headers": {"X-Webhook-Token": "t"}}}
    right, wrong = (nested, flat) if server.version == "v2" else (flat, nested)
    refused = set_webhook(server, wrong)
    assert refused.status_code == 400
    assert refused.json()["response"]["message"] == (
        [['instance requires property "webhook"']]
        if server.version == "v2"
        else [['instance requires property "url"', 'instance requires property "enabled"']]
    )
    assert set_webhook(server, right).status_code == 201
    assert server.webhook["url"] == "http://127.0.0.1:9/hook"


def test_enabled_without_events_is_the_documented_500(server):
    body = {"enabled": True, "url": "http://127.0.0.1:9/hook"}
    r = set_webhook(server, {"webhook": body} if server.version == "v2" else body)
    assert r.status_code == 500
    assert server.webhook is None
