"""The social channel's test rig: secrets in settings, a signed-webhook client, and a fake
provider API — a real HTTP server on 127.0.0.1 standing in for graph.facebook.com,
graph.instagram.com and api.x.com, recording every request and answering what a test queued."""

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse

from apps.social import signatures

META_APP_SECRET = "meta-app-secret-for-tests"
META_VERIFY_TOKEN = "verify-me-please"
X_CONSUMER_SECRET = "x-consumer-secret-for-tests"
GRAPH_VERSION = "v21.0"


@dataclass(frozen=True)
class ProviderRequest:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)


@dataclass
class Answer:
    status: int = 200
    body: dict | str = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (to outlast the client's timeout)


@dataclass
class Provider:
    """Answers queued with `answer(...)` in order, then `default`; records every request."""

    url: str = ""
    default: Answer = field(default_factory=Answer)
    queue: list[Answer] = field(default_factory=list)
    requests: list[ProviderRequest] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)

    def answer(self, status: int = 200, body: dict | str | None = None, delay: float = 0.0):
        self.queue.append(Answer(status, {} if body is None else body, delay))

    def handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 5

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                provider.requests.append(
                    ProviderRequest(
                        method="POST",
                        path=self.path,
                        body=self.rfile.read(length),
                        headers={k.lower(): v for k, v in self.headers.items()},
                    )
                )
                answer = provider.queue.pop(0) if provider.queue else provider.default
                if answer.delay:
                    provider.released.wait(answer.delay)
                body = answer.body if isinstance(answer.body, str) else json.dumps(answer.body)
                payload = body.encode()
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up waiting (the timeout test)

            def log_message(self, format, *args):
                pass

        return Handler


@pytest.fixture
def provider(settings) -> Iterator[Provider]:
    """A fake Graph / X API; the senders' base URLs point at it."""
    provider = Provider()
    server = ThreadingHTTPServer(("127.0.0.1", 0), provider.handler())
    server.daemon_threads = True
    host, port = server.server_address[:2]
    provider.url = f"http://{host}:{port}"
    settings.META_GRAPH_API_URL = f"{provider.url}/graph"
    settings.INSTAGRAM_GRAPH_API_URL = f"{provider.url}/instagram"
    settings.X_API_URL = f"{provider.url}/x"
    settings.META_GRAPH_API_VERSION = GRAPH_VERSION
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="fake-social-provider",
        daemon=True,
    )
    thread.start()
    try:
        yield provider
    finally:
        provider.released.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(autouse=True)
def social_settings(settings):
    settings.META_APP_SECRET = META_APP_SECRET
    settings.META_VERIFY_TOKEN = META_VERIFY_TOKEN
    settings.X_CONSUMER_SECRET = X_CONSUMER_SECRET
    settings.CXDESK_OUTBOUND_SENDERS = {"social": "apps.social.outbound.send"}
    # Never the real APIs, even in a test that forgot the provider fixture.
    settings.META_GRAPH_API_URL = "http://127.0.0.1:9/graph"
    settings.INSTAGRAM_GRAPH_API_URL = "http://127.0.0.1:9/instagram"
    settings.X_API_URL = "http://127.0.0.1:9/x"
    settings.CXDESK_SOCIAL_SEND_TIMEOUT = 2.0


def _body(payload) -> bytes:
    return payload if isinstance(payload, bytes) else json.dumps(payload).encode()


@pytest.fixture
def post_meta(client):
    """post_meta(payload, signature=…) → the response of a signed Meta webhook POST."""

    def post(payload, *, signature: str | None = "sign", secret: str = META_APP_SECRET):
        body = _body(payload)
        headers = {}
        if signature == "sign":
            signature = signatures.meta_signature(secret=secret, body=body)
        if signature is not None:
            headers["HTTP_X_HUB_SIGNATURE_256"] = signature
        return client.post(
            reverse("social:meta-webhook"), data=body, content_type="application/json", **headers
        )

    return post


@pytest.fixture
def post_x(client):
    """post_x(payload, signature=…) → the response of a signed X Account Activity POST."""

    def post(payload, *, signature: str | None = "sign", secret: str = X_CONSUMER_SECRET):
        body = _body(payload)
        headers = {}
        if signature == "sign":
            signature = signatures.x_signature(secret=secret, message=body)
        if signature is not None:
            headers["HTTP_X_TWITTER_WEBHOOKS_SIGNATURE"] = signature
        return client.post(
            reverse("social:x-webhook"), data=body, content_type="application/json", **headers
        )

    return post


@pytest.fixture
def reply(agent, django_capture_on_commit_callbacks):
    """reply(case, text) → the agent's reply, after the send task ran (eagerly, on commit)."""
    from apps.cases import services

    def send(case, text="Thanks, we are on it."):
        with django_capture_on_commit_callbacks(execute=True):
            interaction = services.case_reply(case_id=case.pk, agent=agent, body_text=text)
        interaction.refresh_from_db()
        return interaction

    return send
