"""A real HTTP receiver on 127.0.0.1 for the webhook tests, and a subscription pointing at it;
a fake resolver and a connection recorder for the tests of where deliveries may go."""

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
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
    port: int = 0
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
                receiver.requests.append(
                    ReceivedRequest(
                        method="POST",
                        path=self.path,
                        headers={k.lower(): v for k, v in self.headers.items()},
                        body=body,
                    )
                )
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


@contextmanager
def running_receiver(wrap_socket=None) -> Iterator[Receiver]:
    """A receiver on 127.0.0.1 (an ephemeral port) for the duration of the block.

    `wrap_socket(listening_socket)` may replace the listening socket (TLS)."""
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), receiver.handler())
    server.daemon_threads = True
    if wrap_socket is not None:
        server.socket = wrap_socket(server.socket)
    host, port = server.server_address[:2]
    receiver.port = port
    receiver.url = f"http://{host}:{port}/hooks/cxdesk"
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="webhook-receiver",
        daemon=True,
    )
    thread.start()
    try:
        yield receiver
    finally:
        receiver.released.set()  # wake a handler still sleeping
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as receiver:
        yield receiver


@dataclass
class FakeResolver:
    """socket.getaddrinfo for chosen names: each lookup of a name takes its next answer (the
    last one repeats); an answer is an address or a tuple of them. Other names and IP
    literals go to the real resolver."""

    real: object
    answers: dict[str, list] = field(default_factory=dict)
    lookups: list[str] = field(default_factory=list)

    def answer(self, name: str, *answers: str | tuple[str, ...]) -> None:
        self.answers[name] = list(answers)

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in self.answers:
            return self.real(host, port, family, type, proto, flags)
        self.lookups.append(name)
        queue = self.answers[name]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        return [
            self._info(address, int(port))
            for address in ((answer,) if isinstance(answer, str) else answer)
        ]

    @staticmethod
    def _info(address: str, port: int):
        if ":" in address:
            return (
                socket.AF_INET6,
                socket.SOCK_STREAM,
                socket.IPPROTO_TCP,
                "",
                (address, port, 0, 0),
            )
        return (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))


@pytest.fixture
def resolver(monkeypatch) -> FakeResolver:
    fake = FakeResolver(real=socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return fake


@dataclass
class Connections:
    """Every TCP connection attempted, as (host, port). Those to `blocked` hosts (every host
    with `block_all`) are refused without touching the network, so a test never reaches a
    public address; the others are made."""

    real: object
    blocked: set[str] = field(default_factory=set)
    block_all: bool = False
    attempts: list[tuple[str, int]] = field(default_factory=list)

    def __call__(self, address, *args, **kwargs):
        self.attempts.append((address[0], address[1]))
        if self.block_all or address[0] in self.blocked:
            raise ConnectionRefusedError(111, "Connection refused")
        return self.real(address, *args, **kwargs)


@pytest.fixture
def connections(monkeypatch) -> Connections:
    recorder = Connections(real=socket.create_connection)
    monkeypatch.setattr(socket, "create_connection", recorder)
    return recorder


@pytest.fixture
def subscription(receiver, admin_user):
    """An admin's subscription to every event, delivered to the receiver."""
    return WebhookSubscriptionFactory(url=receiver.url, owner=admin_user)
