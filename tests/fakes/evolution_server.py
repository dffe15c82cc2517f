"""A fake Evolution API (WhatsApp gateway) over real HTTP, for tests and for people trying the service.

It follows research/evolution_api.md (shared with the team): the routes below, the guard order (unknown instance
→ 404 even with a wrong key; wrong or missing `apikey` → 401), the error envelope
`{"status": N, "error": "<reason>", "response": {"message": X}}` with X shaped as the real server shapes it, and the
v1 or v2 sendText bodies and replies. Standard library only; no Django.

Routes (instance = the one given at start, or one of `extra_instances`: a branch's own number; each has its own
connection state, all share the apikey and the webhook settings):
    GET  /                                   welcome + version (no key)
    POST /message/sendText/{instance}        201 with the v2 (or v1) reply; 400 schema / `exists: false` / text
    GET  /instance/connectionState/{instance}
    POST /chat/whatsappNumbers/{instance}
    POST /webhook/set/{instance}             201; v2.1+ nested `{"webhook": {...}}` body, v1 flat body. Then every
                                             accepted sendText is followed, as on the real server and without
                                             being awaited, by `messages.update` webhooks: DELIVERY_ACK, then READ
                                             (research §5: envelope, v1 `id`+`datetime` / v2 `keyId`, static
                                             `headers`, `byEvents` suffix). The 201 reply of /webhook/set is not
                                             in the research: this fake echoes the stored settings. A change of
                                             an instance's state is reported as `connection.update` when the
                                             webhook's events include CONNECTION_UPDATE.

From a terminal (run from the repository root):
    python -m tests.fakes.evolution_server --port 8081 --apikey test-key --instance ambacar [--api-version v1]
        [--unregistered 593990000000 ...] [--webhook-url URL --webhook-token TOKEN]
prints one line per WhatsApp message received, and every error it answers. Point the service at it with
    EVOLUTION_API_URL=http://127.0.0.1:8081 EVOLUTION_API_KEY=test-key EVOLUTION_INSTANCE=ambacar
Control endpoints (no key), e.g. `curl -X POST 'http://127.0.0.1:8081/__control__/down?seconds=60'`:
    POST /__control__/down?seconds=60         stop listening (connection refused) for that long: "WhatsApp off"
    POST /__control__/disconnect[?instance=]  phone disconnected: sendText → 500 "Connection Closed", state
                                              `close`, and a `connection.update` webhook
    POST /__control__/connect[?instance=]     undo disconnect (state `open`, `connection.update`)
    POST /__control__/fail?n=3&status=500     the next n sendText answer that status (documented body for 500)
    POST /__control__/delay?seconds=120       the next sendText answers that late (the client times out)
    POST /__control__/unregistered?number=593990000000   that number is "not on WhatsApp" (as is any number
                                              with a leading 0, which the real server keeps: research §6)
    POST /__control__/reset                   forget failures, delays, disconnect and the received requests
    POST /__control__/receipts?read=false     receipts after each message: none, delivery only, or both (default)
    GET  /__control__/received                the requests received so far, as JSON

From Python: `with EvolutionServer(apikey=..., instance=...) as evo:` then `evo.url`, `evo.received`
(list of (path, headers, json, at), headers lower-cased), `evo.sent_texts()`, `evo.sends()` ((instance, number,
time) of each sendText), `evo.accepted` (key ids), `evo.client_ports` (client port of each request),
`evo.fail_next(n, status=500)`, `evo.delay_next(seconds)`, `evo.down()` / `evo.up()`, `evo.disconnect(instance)`,
`evo.connect(instance)`, `evo.set_receipts("SERVER_ACK", "ERROR")`, `evo.set_webhook(url, headers=..., events=...)`,
`evo.webhook_calls` ((status, body) of every webhook it posted). `latency=` makes every sendText take that long.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import secrets
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import deque
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit

CONNECTION_CLOSED = "Connection Closed"  # research §1: 500 when the WhatsApp socket is down


class Received(NamedTuple):
    path: str
    headers: dict[str, str]
    json: Any
    at: float = 0.0  # time.monotonic() when it arrived


def _digits(number: str) -> str:
    """createJid() for plain numbers (research §6): drop anything after ':' or '@', keep digits."""
    return re.sub(r"\D", "", re.split(r"[:@]", number, maxsplit=1)[0])


def _type_errors(body: dict, spec: dict[str, tuple[type, str]]) -> list[str]:
    errors = []
    for name, (kind, message) in spec.items():
        value = body.get(name)
        if name in body and not (isinstance(value, kind) and not (kind is int and isinstance(value, bool))):
            errors.append(message)
    return errors


def _required(body: dict, names: tuple[str, ...], where: str = "instance") -> list[str]:
    return [f'{where} requires property "{name}"' for name in names if name not in body]


def validate_v2(body: dict) -> list[str]:
    """message.schema.ts textMessageSchema, messages as jsonschema 1.4.1 + RouterBroker.dataValidate word them."""
    spec = {
        "number": (str, "Invalid format"),
        "text": (str, "text is not of a type(s) string"),
        "linkPreview": (bool, "linkPreview is not of a type(s) boolean"),
        "delay": (int, "Enter a value in milliseconds"),
    }
    return _type_errors(body, spec) + _required(body, ("number", "text"))


def validate_v1(body: dict) -> list[str]:
    """validate.schema.ts textMessageSchema (1.8.x)."""
    spec = {"number": (str, "Invalid format"), "textMessage": (dict, "textMessage is not of a type(s) object")}
    errors = _type_errors(body, spec)
    options = body.get("options")
    if isinstance(options, dict):
        errors += _type_errors(options, {"delay": (int, "Enter a value in milliseconds")})
    message = body.get("textMessage")
    if isinstance(message, dict):
        errors += _type_errors(message, {"text": (str, "textMessage.text is not of a type(s) string")})
        errors += _required(message, ("text",), where="textMessage")
        if message.get("text") == "" and set(message) <= {"text"}:
            errors.append('The "text" cannot be empty')
    return errors + _required(body, ("textMessage", "number"))


class EvolutionServer:
    def __init__(
        self,
        *,
        apikey: str = "test-key",
        instance: str = "ambacar",
        version: str = "v2",
        unregistered: tuple[str, ...] = (),
        host: str = "127.0.0.1",
        port: int = 0,
        echo: bool = False,
        latency: float = 0.0,
        extra_instances: tuple[str, ...] = (),
    ):
        self.apikey, self.instance, self.version = apikey, instance, version
        # Every instance this server hosts (a branch's own number is another instance) and its connection state.
        self.states = dict.fromkeys((instance, *extra_instances), "open")
        self.host, self.port, self.echo = host, port, echo
        self.latency = latency  # seconds every sendText takes, as WhatsApp's round trips do
        self.unregistered = {_digits(n) for n in unregistered}
        self.instance_id = str(uuid.uuid4())
        self.client_ports: list[int] = []
        self.accepted: list[str] = []  # key.id of every 201, in order
        self._received: list[Received] = []
        self._failures: deque[tuple[int, Any]] = deque()
        self._delays: deque[float] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self.webhook: dict | None = None  # {"url", "headers", "by_events", "events"} once /webhook/set was called
        self.receipts = ("DELIVERY_ACK", "READ")
        self.receipt_delay = 0.2
        self.webhook_calls: list[tuple[int, dict]] = []

    # --- lifecycle -------------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> EvolutionServer:
        self._stopping.clear()
        self.up()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes delayed answers
        self.down()

    def __enter__(self) -> EvolutionServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def up(self) -> None:
        """Listen again on the same port."""
        with self._lock:
            if self._httpd is not None:
                return
            self._httpd = _HTTPServer((self.host, self.port), self)
            self.port = self._httpd.server_address[1]
            threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True, name="fake-evolution").start()

    def down(self) -> None:
        """Stop listening and drop open connections: clients get "connection refused"."""
        with self._lock:
            httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        for sock in list(httpd.open_sockets):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    # --- controls --------------------------------------------------------------------------------------------
    def fail_next(self, n: int = 1, status: int = 500, message: Any = None) -> None:
        if message is None:
            message = CONNECTION_CLOSED if status == 500 else HTTPStatus(status).phrase
        with self._lock:
            self._failures.extend([(status, message)] * n)

    def delay_next(self, seconds: float) -> None:
        """The next sendText not yet delayed answers `seconds` late (queue: delay_next(0) skips one)."""
        with self._lock:
            self._delays.append(seconds)

    @property
    def state(self) -> str:
        return self.states[self.instance]

    @state.setter
    def state(self, value: str) -> None:
        self.states[self.instance] = value

    def disconnect(self, instance: str | None = None) -> None:
        """The phone logged out: sendText answers 500 "Connection Closed", `connection.update` reports `close`."""
        self._set_state(instance or self.instance, "close")

    def connect(self, instance: str | None = None) -> None:
        self._set_state(instance or self.instance, "open")

    def _set_state(self, instance: str, state: str) -> None:
        self.states[instance] = state
        threading.Thread(target=self._emit_connection_update, args=(instance, state), daemon=True).start()

    def set_receipts(self, *statuses: str) -> None:
        """The statuses reported after each message, in order: e.g. ("SERVER_ACK", "ERROR") for a refusal."""
        self.receipts = statuses

    def sends(self) -> list[tuple[str, str, float]]:
        """(instance, number, monotonic time) of every sendText received."""
        return [
            (unquote(r.path.rsplit("/", 1)[-1]), (r.json or {}).get("number"), r.at)
            for r in self.received
            if "/message/sendText/" in r.path and isinstance(r.json, dict)
        ]

    def reset(self) -> None:
        with self._lock:
            self._received.clear()
            self.client_ports.clear()
            self.accepted.clear()
            self.webhook_calls.clear()
            self._failures.clear()
            self._delays.clear()
        self.states = dict.fromkeys(self.states, "open")

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def sent_texts(self) -> list[tuple[str, str]]:
        """(number, text) of every sendText received, whatever was answered."""
        out = []
        for r in self.received:
            if "/message/sendText/" in r.path and isinstance(r.json, dict):
                text = r.json.get("text") if self.version == "v2" else (r.json.get("textMessage") or {}).get("text")
                out.append((r.json.get("number"), text))
        return out

    # --- the API ---------------------------------------------------------------------------------------------
    def handle(self, method: str, path: str, headers: dict[str, str], body: Any, port: int) -> tuple[int, Any]:
        with self._lock:
            self._received.append(Received(path, headers, body, time.monotonic()))
            self.client_ports.append(port)
        if method == "GET" and path == "/":
            version = "2.3.6" if self.version == "v2" else "1.8.2"
            return 200, {
                "status": 200,
                "message": "Welcome to the Evolution API, it is working!",
                "version": version,
                "documentation": "https://doc.evolution-api.com",
            }
        parts = path.strip("/").split("/")
        routes = {
            ("POST", "message/sendText"): self._send_text,
            ("GET", "instance/connectionState"): self._connection_state,
            ("POST", "chat/whatsappNumbers"): self._whatsapp_numbers,
            ("POST", "webhook/set"): self._webhook_set,
        }
        route = routes.get((method, "/".join(parts[:2]))) if len(parts) == 3 else None
        if route is None:
            return self._error(404, [f"Cannot {method} {path}"])
        instance = unquote(parts[2])
        if instance not in self.states:
            return self._error(404, [f'The "{instance}" instance does not exist'])
        if headers.get("apikey") != self.apikey:
            return self._error(401, "Unauthorized")
        return route(instance, body if isinstance(body, dict) else {})

    def _send_text(self, instance: str, body: dict) -> tuple[int, Any]:
        with self._lock:
            failure = self._failures.popleft() if self._failures else None
            delay = self._delays.popleft() if self._delays else 0
        answer = self._error(*failure, note="fallo simulado") if failure else self._send_text_answer(instance, body)
        self._stopping.wait(delay + self.latency)  # answer late: the client times out, whatever happened
        return answer

    def _send_text_answer(self, instance: str, body: dict) -> tuple[int, Any]:
        errors = validate_v2(body) if self.version == "v2" else validate_v1(body)
        if errors:
            return self._error(400, [errors])
        text = body["text"] if self.version == "v2" else body["textMessage"]["text"]
        if self.version == "v2" and not text.strip():
            return self._error(400, ["Text is required"])
        if self.states[instance] != "open":
            return self._error(500, CONNECTION_CLOSED, note=f"WhatsApp desconectado ({instance})")
        number, digits = body["number"], _digits(body["number"])
        jid = f"{digits}@s.whatsapp.net"
        if not digits or digits.startswith("0") or digits in self.unregistered:
            item = {"jid": jid, "exists": False, "number": number}
            if self.version == "v1":
                item = {"exists": False, "jid": jid, "number": number}
            return self._error(400, [item], note=f"{number} no tiene WhatsApp")
        typing = (body.get("delay") if self.version == "v2" else (body.get("options") or {}).get("delay")) or 0
        self._stopping.wait(typing / 1000)  # the "composing" presence, inside the request (research §2)
        self._say(f"WhatsApp para {number}: {text}".replace("\n", " ⏎ "))
        key = {"remoteJid": jid, "fromMe": True, "id": "BAE5" + secrets.token_hex(6).upper()}
        if self.version == "v2":
            key["id"] = "3EB0" + secrets.token_hex(8).upper()
        with self._lock:
            self.accepted.append(key["id"])
        threading.Thread(target=self._emit_receipts, args=(instance, key), daemon=True).start()
        if self.version == "v1":
            return 201, {
                "key": key,
                "message": {"extendedTextMessage": {"text": text}},
                "messageTimestamp": str(int(time.time())),
                "status": "PENDING",
            }
        return 201, {
            "key": key,
            "pushName": "Você",
            "status": "PENDING",
            "message": {"conversation": text},
            "messageType": "conversation",
            "messageTimestamp": int(time.time()),
            "instanceId": self.instance_id,
            "source": "unknown",
        }

    # --- webhooks (research §5) -----------------------------------------------------------------------------
    def set_webhook(self, url: str, *, headers: dict | None = None, by_events: bool = False, events=None) -> None:
        events = ["MESSAGES_UPDATE"] if events is None else events
        with self._lock:
            self.webhook = {"url": url, "headers": dict(headers or {}), "by_events": by_events, "events": events}

    def _webhook_set(self, instance: str, body: dict) -> tuple[int, Any]:
        if self.version == "v2":
            if "webhook" not in body:
                return self._error(400, [['instance requires property "webhook"']])
            config = body["webhook"] if isinstance(body["webhook"], dict) else {}
            by_events, headers = bool(config.get("byEvents")), config.get("headers") or {}
        else:
            config, by_events, headers = body, bool(body.get("webhook_by_events")), {}
        if not isinstance(config.get("url"), str) or not isinstance(config.get("enabled"), bool):
            return self._error(400, [['instance requires property "url"', 'instance requires property "enabled"']])
        if config["enabled"] and "events" not in config:
            return self._error(500, "Cannot read properties of undefined (reading 'length')")
        if not config["enabled"]:
            with self._lock:
                self.webhook = None
        else:
            self.set_webhook(config["url"], headers=headers, by_events=by_events, events=list(config["events"]))
        return 201, {"webhook": {"instanceName": instance, **config}}

    def _emit_receipts(self, instance: str, key: dict) -> None:
        """What a phone does after a message arrives, reported like the real server reports it: not awaited,
        one POST per status, after the 201 (so usually after the sender stored the id, but not always)."""
        with self._lock:
            hook, statuses = self.webhook, self.receipts
        if not hook or (hook["events"] and "MESSAGES_UPDATE" not in hook["events"]):
            return
        for status in statuses:
            if self._stopping.wait(self.receipt_delay):
                return
            if self.version == "v2":
                data = {
                    "messageId": "cm" + secrets.token_hex(11),
                    "keyId": key["id"],
                    "remoteJid": key["remoteJid"],
                    "fromMe": True,
                    "status": status,
                    "instanceId": self.instance_id,
                }
            else:
                data = {**key, "status": status, "datetime": int(time.time() * 1000), "owner": instance}
            self._post_webhook(hook, "messages.update", data, instance)

    def _emit_connection_update(self, instance: str, state: str) -> None:
        """CONNECTION_UPDATE (research §5): v1 `{instance, state, statusReason}`; v2 adds the profile on `open`."""
        with self._lock:
            hook = self.webhook
        if not hook or (hook["events"] and "CONNECTION_UPDATE" not in hook["events"]):
            return
        data = {"instance": instance, "state": state, "statusReason": 200 if state == "open" else 401}
        if self.version == "v2" and state == "open":
            data |= {"wuid": "593987654321@s.whatsapp.net", "profileName": "Ambacar", "profilePictureUrl": None}
        self._post_webhook(hook, "connection.update", data, instance)

    def _post_webhook(self, hook: dict, event: str, data: dict, instance: str) -> None:
        url = hook["url"] + ("/" + event.replace(".", "-") if hook["by_events"] else "")
        envelope = {
            "event": event,
            "instance": instance,
            "data": data,
            "destination": hook["url"],
            "date_time": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.localtime()),  # local time, "Z" (§5)
            "sender": "593987654321@s.whatsapp.net",
            "server_url": self.url,
        }
        if self.version == "v2":
            envelope["apikey"] = None
        request = urllib.request.Request(
            url,
            data=json.dumps(envelope).encode(),
            headers={"Content-Type": "application/json", **hook["headers"]},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError:
            status = 0
        with self._lock:
            self.webhook_calls.append((status, envelope))
        self._say(f"webhook {event} {data.get('status') or data.get('state')} → {status or 'sin respuesta'}")

    def _connection_state(self, instance: str, body: dict) -> tuple[int, Any]:
        return 200, {"instance": {"instanceName": instance, "state": self.states[instance]}}

    def _whatsapp_numbers(self, instance: str, body: dict) -> tuple[int, Any]:
        numbers = body.get("numbers")
        if not isinstance(numbers, list) or not numbers or len(set(map(str, numbers))) != len(numbers):
            return self._error(400, [['"numbers" must be an array of numeric strings']])
        out = []
        for number in numbers:
            digits = _digits(str(number))
            exists = bool(digits) and not digits.startswith("0") and digits not in self.unregistered
            out.append({"jid": f"{digits}@s.whatsapp.net", "exists": exists, "number": number})
        return 200, out

    def _error(self, status: int, message: Any, note: str = "") -> tuple[int, Any]:
        self._say(f"{status} {note or json.dumps(message, ensure_ascii=False)}")
        return status, {"status": status, "error": HTTPStatus(status).phrase, "response": {"message": message}}

    def _say(self, line: str) -> None:
        if self.echo:
            print(f"[{time.strftime('%H:%M:%S')}] {line}", flush=True)

    def control(self, method: str, path: str, query: dict[str, list[str]]):
        """(status, payload, action to run after answering) for /__control__/…"""
        arg = {k: v[0] for k, v in query.items()}
        action = path.removeprefix("/__control__/")
        if method == "GET" and action == "received":
            return 200, [r._asdict() for r in self.received], None
        if method != "POST":
            return 404, {"error": f"desconocido: {method} {path}"}, None
        if action == "down":
            seconds = float(arg.get("seconds", 60))
            self._say(f"Evolution API apagada durante {seconds:g} s")
            return 200, {"down_for": seconds}, lambda: self._down_for(seconds)
        simple = {
            "disconnect": lambda: self.disconnect(arg.get("instance")),
            "connect": lambda: self.connect(arg.get("instance")),
            "reset": self.reset,
            "fail": lambda: self.fail_next(int(arg.get("n", 1)), int(arg.get("status", 500))),
            "delay": lambda: self.delay_next(float(arg.get("seconds", 120))),
            "unregistered": lambda: self.unregistered.add(_digits(arg.get("number", ""))),
            "receipts": lambda: self._set_receipts(
                delivered=arg.get("delivered", "true"), read=arg.get("read", "true")
            ),
        }
        if action not in simple:
            return 404, {"error": f"desconocido: {path}"}, None
        simple[action]()
        self._say(f"control: {action} {arg or ''}".strip())
        return 200, {"ok": action}, None

    def _set_receipts(self, *, delivered: str, read: str) -> None:
        wanted = {"DELIVERY_ACK": delivered != "false", "READ": read != "false"}
        self.receipts = tuple(status for status, on in wanted.items() if on)

    def _down_for(self, seconds: float) -> None:
        self.down()
        if not self._stopping.wait(seconds):
            self.up()
            self._say("Evolution API encendida de nuevo")


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, fake: EvolutionServer):
        super().__init__(address, _Handler)
        self.fake = fake
        self.open_sockets: set[socket.socket] = set()

    def handle_error(self, request, client_address) -> None:
        pass  # clients that time out and close are expected here


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so a client's connection pooling is observable
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.open_sockets.add(self.connection)

    def finish(self) -> None:
        self.server.open_sockets.discard(self.connection)
        super().finish()

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        fake, after = self.server.fake, None
        if url.path.startswith("/__control__/"):
            status, payload, after = fake.control(method, url.path, parse_qs(url.query))
        else:
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode("utf-8", "replace")
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, payload = fake.handle(method, url.path, headers, body, self.client_address[1])
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()
        if after:
            threading.Thread(target=after, daemon=True).start()

    def log_message(self, format: str, *args) -> None:
        pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Evolution API falsa (WhatsApp) para pruebas locales.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--apikey", default="test-key")
    parser.add_argument("--instance", default="ambacar")
    parser.add_argument("--api-version", choices=["v2", "v1"], default="v2")
    parser.add_argument("--unregistered", nargs="*", default=[], help="números que «no tienen WhatsApp»")
    parser.add_argument("--webhook-url", help="URL a la que enviar los acuses (messages.update), p. ej. "
                        "http://127.0.0.1:8000/api/webhooks/evolution/")  # fmt: skip
    parser.add_argument("--webhook-token", default="", help="valor de la cabecera X-Webhook-Token")
    args = parser.parse_args(argv)
    server = EvolutionServer(
        apikey=args.apikey,
        instance=args.instance,
        version=args.api_version,
        unregistered=tuple(args.unregistered),
        host=args.host,
        port=args.port,
        echo=True,
    ).start()
    if args.webhook_url:
        headers = {"X-Webhook-Token": args.webhook_token} if args.webhook_token else {}
        server.set_webhook(args.webhook_url, headers=headers)
        print(f"  Acuses (DELIVERY_ACK, READ) enviados a {args.webhook_url}")
    print(f"Evolution API falsa ({args.api_version}) escuchando en {server.url}", flush=True)
    print(f"  EVOLUTION_API_URL={server.url} EVOLUTION_API_KEY={args.apikey} EVOLUTION_INSTANCE={args.instance}")
    print(f"  Apagar WhatsApp 60 s: curl -X POST '{server.url}/__control__/down?seconds=60'")
    print("  Ctrl+C para terminar.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
        print("\nEvolution API falsa detenida.")


if __name__ == "__main__":
    main()
