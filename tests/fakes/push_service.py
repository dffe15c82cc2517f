"""A local Web Push service: verifies the VAPID JWT (RFC 8292) and decrypts the aes128gcm body (RFC 8291).

It plays both sides a browser has: it creates subscriptions (keeping each one's private key and auth secret,
as a browser does) and it is the push service those endpoints point at. Recipe: shared/research/webpush.md §3.

In tests::

    with FakePushService(endpoint_host="localhost") as svc:
        info = svc.new_subscription("phone", app_server_key=VAPID_PUBLIC_KEY)   # store info as a PushSubscription
        ...send...
        svc.received["phone"]   # [decrypted JSON payload, ...]
        svc.requests            # every request: sid, status, headers (lower-case), claims, plaintext, client_port

For a person: ``python -m tests.fakes.push_service --port 8082`` prints a subscription to register and then
every notification it decrypts (``POST /subscriptions`` on it creates one more).
"""

from __future__ import annotations

import argparse
import base64
import itertools
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from py_vapid import Vapid02, b64urlencode

MAX_BODY = 4096  # one aes128gcm record; real services answer 413 above it


def b64d(value: str | bytes) -> bytes:
    value = value.encode() if isinstance(value, str) else value
    return base64.urlsafe_b64decode(value + b"=" * (-len(value) % 4))


def b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def verify_vapid(authorization: str | None, aud: str, expected_k: str | None = None) -> dict:
    """Check `vapid t=<jwt>, k=<key>`: ES256 signature by k, aud, exp within 24 h, sub. Returns the claims."""
    scheme, _, rest = (authorization or "").partition(" ")
    if scheme.lower() != "vapid":
        raise ValueError("Authorization is not 'vapid t=..., k=...'")
    params = dict(part.strip().split("=", 1) for part in rest.split(","))
    if expected_k is not None and params["k"].rstrip("=") != expected_k.rstrip("="):
        raise ValueError("k is not the applicationServerKey this subscription was made with")
    header, claims_b64, signature_b64 = params["t"].split(".")
    signature = b64d(signature_b64)
    if json.loads(b64d(header)).get("alg") != "ES256" or len(signature) != 64:
        raise ValueError("JWT is not ES256 with a raw r||s signature")
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64d(params["k"]))
    public_key.verify(der, f"{header}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))  # InvalidSignature
    claims = json.loads(b64d(claims_b64))
    if claims.get("aud") != aud:
        raise ValueError(f"aud {claims.get('aud')!r} != {aud!r}")
    if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
        raise ValueError(f"sub {claims.get('sub')!r} is not mailto: or https:")
    if not time.time() < claims.get("exp", 0) <= time.time() + 86400:
        raise ValueError("exp is in the past or more than 24 h ahead")
    return claims


class Subscriber:
    """What a browser keeps for one subscription: the ECDH private key and the auth secret."""

    def __init__(self, endpoint: str, app_server_key: str | None):
        self.endpoint, self.app_server_key = endpoint, app_server_key
        self.private_key, self.auth = ec.generate_private_key(ec.SECP256R1()), os.urandom(16)

    def info(self) -> dict:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"endpoint": self.endpoint, "keys": {"p256dh": b64e(point), "auth": b64e(self.auth)}}

    def decrypt(self, body: bytes) -> bytes:  # the sender's ephemeral public key travels in the body's keyid
        return http_ece.decrypt(body, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm")


class FakePushService:
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        endpoint_host: str | None = None,
        app_server_key: str | None = None,
        on_message=None,
    ):
        self.app_server_key = app_server_key  # default for new subscriptions; None accepts any signing key
        self.subscribers: dict[str, Subscriber] = {}
        self.received: dict[str, list] = {}  # sid -> decrypted payloads (JSON parsed when it is JSON)
        self.requests: list[dict] = []
        self.on_message = on_message
        self._gone: set[str] = set()
        self._failures: list[int] = []  # statuses for the next requests, whatever the subscription
        self._delay = 0.0
        self._lock, self._stopping, self._ids = threading.Lock(), threading.Event(), itertools.count(1)
        self.httpd = ThreadingHTTPServer((host, port), self._handler())
        self.httpd.daemon_threads = True
        self.origin = f"http://{endpoint_host or host}:{self.httpd.server_address[1]}"

    # --- controls -------------------------------------------------------------------------------
    def new_subscription(self, sid: str | None = None, *, app_server_key: str | None = None) -> dict:
        """A browser's PushSubscription.toJSON(): endpoint + keys. Pass app_server_key to enforce VAPID's k."""
        sid = sid or f"sub{next(self._ids)}"
        self.subscribers[sid] = Subscriber(f"{self.origin}/push/{sid}", app_server_key or self.app_server_key)
        self.received.setdefault(sid, [])
        return self.subscribers[sid].info()

    def gone(self, sid: str) -> None:
        """From now on this subscription answers 410 Gone (unsubscribed or expired)."""
        self._gone.add(sid)

    def fail_next(self, n: int, status: int = 500) -> None:
        """The next n requests (any subscription) answer `status` (e.g. 429, 500, 503, 413, 307)."""
        with self._lock:
            self._failures.extend([status] * n)

    def delay(self, seconds: float) -> None:
        """Wait this long before answering every request (0 to stop), to drive client timeouts."""
        self._delay = seconds

    def requests_for(self, sid: str) -> list[dict]:
        return [r for r in self.requests if r["sid"] == sid]

    def start(self) -> FakePushService:
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), name="fake-push", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes delayed handlers
        self.httpd.shutdown()
        self.httpd.server_close()

    __enter__ = start

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- the push service -----------------------------------------------------------------------
    def _check(self, rec: dict, body: bytes) -> tuple[int, str]:
        sid, sub = rec["sid"], self.subscribers.get(rec["sid"])
        if sub is None:
            return 404, "unknown subscription"
        if sid in self._gone:
            return 410, "subscription gone"
        with self._lock:
            forced = self._failures.pop(0) if self._failures else None
        if forced:
            return forced, "forced failure"
        if self._delay:
            self._stopping.wait(self._delay)
        if "ttl" not in rec["headers"]:
            return 400, "TTL header required"
        aud = "{0.scheme}://{0.netloc}".format(urlsplit(sub.endpoint))
        try:
            rec["claims"] = verify_vapid(rec["headers"].get("authorization"), aud, sub.app_server_key)
        except Exception as exc:
            return 403, f"VAPID: {exc!r}"
        if len(body) > MAX_BODY:
            return 413, "payload too large"
        if rec["headers"].get("content-encoding") != "aes128gcm":
            return 415, "Content-Encoding must be aes128gcm"
        try:
            plaintext = sub.decrypt(body).decode()
        except Exception as exc:
            return 400, f"decryption failed: {exc!r}"
        try:
            payload = json.loads(plaintext)
        except ValueError:
            payload = plaintext
        rec["plaintext"], rec["payload"] = plaintext, payload
        self.received[sid].append(payload)
        if self.on_message:
            self.on_message(sid, payload)
        return 201, ""

    def _new_subscription_http(self) -> tuple[int, str]:
        info = self.new_subscription()
        if self.on_message:
            self.on_message("-", {"new_subscription": info})
        return 201, json.dumps(info)

    def _handler(self):
        svc = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, so a client's connection reuse shows in client_port

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/subscriptions":
                    return self._answer(*svc._new_subscription_http(), content_type="application/json")
                rec = {
                    "sid": self.path.rsplit("/", 1)[-1] if self.path.startswith("/push/") else None,
                    "path": self.path,
                    "client_port": self.client_address[1],
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body_length": len(body),
                }
                status, text = svc._check(rec, body)
                rec["status"], rec["detail"] = status, text
                svc.requests.append(rec)
                if status != 201 and svc.on_message:
                    svc.on_message(rec["sid"] or self.path, {"rechazada": status, "motivo": text})
                extra = {"Location": f"{svc.origin}/msg/{len(svc.requests)}"} if status == 201 else {}
                if 300 <= status < 400:  # a redirect back to itself: a client that follows it shows up twice
                    extra = {"Location": f"{svc.origin}{self.path}"}
                self._answer(status, text, **extra)

            def _answer(self, status: int, text: str, content_type: str = "text/plain", **headers):
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler


def new_vapid_keys() -> tuple[str, str]:
    """(applicationServerKey, private key) as web-push tools print them: base64url point and raw scalar."""
    vapid = Vapid02()
    vapid.generate_keys()
    point = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64urlencode(point), b64urlencode(vapid.private_key.private_numbers().private_value.to_bytes(32, "big"))


def main() -> None:
    parser = argparse.ArgumentParser(description="Servicio push local: verifica VAPID y descifra cada notificación.")
    parser.add_argument("--bind", default="127.0.0.1", help="dirección de escucha (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8082)
    parser.add_argument("--endpoint-host", default="localhost", help="host en los endpoints (localhost)")
    parser.add_argument(
        "--vapid-public-key",
        default=os.environ.get("VAPID_PUBLIC_KEY") or None,
        help="exigir esta clave pública VAPID (por defecto $VAPID_PUBLIC_KEY; vacío = cualquiera con firma válida)",
    )
    args = parser.parse_args()

    def show(sid, payload):
        print(f"[{time.strftime('%H:%M:%S')}] {sid}: {json.dumps(payload, ensure_ascii=False)}", flush=True)

    svc = FakePushService(
        host=args.bind,
        port=args.port,
        endpoint_host=args.endpoint_host,
        app_server_key=args.vapid_public_key,
        on_message=show,
    )
    info = svc.new_subscription()
    svc.start()
    print(f"Servicio push local en {svc.origin} (Ctrl+C para salir).")
    print(f"En la app: PUSH_ALLOWED_HOSTS={args.endpoint_host} PUSH_ALLOW_INSECURE_ENDPOINTS=true")
    body = json.dumps({"customer_id": "<customer_id>", "subscription": info})
    print(
        "Registre la suscripción para un cliente:\n"
        "  curl -X POST http://localhost:8000/api/v1/notifications/push/subscribe/ \\\n"
        '    -H "Authorization: Api-Key <clave>" -H "Content-Type: application/json" \\\n'
        f"    -d '{body}'"
    )
    print(f"Otra suscripción: curl -X POST {svc.origin}/subscriptions", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        svc.stop()


if __name__ == "__main__":
    main()
