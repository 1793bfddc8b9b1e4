"""A real HTTP receiver on 127.0.0.1 for the webhook tests, and a subscription pointing at it."""

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.webhooks.factories import WebhookSubscriptionFactory


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes


@dataclass
class Receiver:
    """What the endpoint answers (settable at any time) and every request it received."""

    url: str = ""
    status: int = 200
    body: bytes = b'{"received": true}'
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (to outlast the client's timeout)
    requests: list[ReceivedRequest] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 5  # a client that stops sending does not hold a thread for long

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.requests.append(ReceivedRequest(
                    method="POST", path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()}, body=body,
                ))
                if receiver.delay:
                    receiver.released.wait(receiver.delay)
                try:
                    self.send_response(receiver.status)
                    for name, value in receiver.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(receiver.body)))
                    self.end_headers()
                    self.wfile.write(receiver.body)
                except OSError:
                    pass  # the client gave up waiting (the timeout test)

            def log_message(self, format, *args):
                pass

        return Handler


@pytest.fixture(autouse=True)
def _local_receivers_allowed(settings):
    """The test receiver listens on 127.0.0.1, which production settings refuse."""
    settings.CXDESK_WEBHOOK_ALLOW_PRIVATE_TARGETS = True


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), receiver.handler())
    server.daemon_threads = True
    host, port = server.server_address[:2]
    receiver.url = f"http://{host}:{port}/hooks/cxdesk"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="webhook-receiver", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.released.set()  # wake a handler still sleeping
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def subscription(receiver, admin_user):
    """An admin's subscription to every event, delivered to the receiver."""
    return WebhookSubscriptionFactory(url=receiver.url, owner=admin_user)
