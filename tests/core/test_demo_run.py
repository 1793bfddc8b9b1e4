"""`make demo`'s launcher (cxdesk/demo_run.py): the banner comes after the web server, the
worker and beat are up, and a Ctrl-C stop ends without an error.

The launcher runs a stand-in for honcho here: a small program that serves /healthz, says
"ready" for the worker and beat the way cxdesk/celery.py does, and stops on SIGINT with
honcho's exit code (130). The launcher runs in a session of its own, so it has no terminal
(as under CI) and the SIGINT is sent to it, as Ctrl-C would be without job control.
"""

import importlib.util
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "cxdesk" / "demo_run.py"

FAKE_HONCHO = r"""
import os, signal, sys, threading, time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

port, delay, exit_code = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
late = float(sys.argv[4]) if len(sys.argv) > 4 else 0

class Health(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *args):
        pass

def stop(signum, frame):
    print("system | SIGINT received", flush=True)
    sys.exit(130)

signal.signal(signal.SIGINT, stop)
print("worker.1 | -------------- celery@host banner", flush=True)
time.sleep(delay)
threading.Thread(target=HTTPServer(("127.0.0.1", port), Health).serve_forever, daemon=True).start()
for name in ("worker", "beat"):
    Path(os.environ["CXDESK_READY_DIR"], name + ".ready").touch()
print("beat.1 | beat: Starting...", flush=True)
if late:  # start-up output still coming after both said they were ready
    time.sleep(late)
    print("worker.1 | celery@host ready.", flush=True)
if exit_code:
    time.sleep(0.5)
    sys.exit(exit_code)
while True:
    time.sleep(0.1)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _launch(tmp_path, *, delay=0.5, exit_code=0, timeout=30, late=0.0):
    fake = tmp_path / "fake_honcho.py"
    fake.write_text(FAKE_HONCHO)
    banner = tmp_path / "banner.txt"
    banner.write_text("cxdesk demo on http://127.0.0.1:PORT/\n  logins: alex.agent\n")
    port = _free_port()
    command = [sys.executable, str(SCRIPT), "--port", str(port), "--banner", str(banner)]
    command += ["--ready-dir", str(tmp_path / "run"), "--timeout", str(timeout), "--"]
    command += [sys.executable, str(fake), str(port), str(delay), str(exit_code), str(late)]
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # no controlling terminal
    )


def _read_until(process, text, seconds=20) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if text in line:
            return lines
    raise AssertionError(f"never printed {text!r}; printed: {lines}")


def test_the_banner_comes_after_everything_is_up_and_ctrl_c_stops_quietly(tmp_path):
    launcher = _launch(tmp_path)
    try:
        lines = _read_until(launcher, "logins: alex.agent")
        order = [
            next(i for i, line in enumerate(lines) if text in line)
            for text in (
                "celery@host banner",
                "beat: Starting...",
                "cxdesk demo on",
            )
        ]
        assert order == sorted(order), lines
        launcher.send_signal(signal.SIGINT)
        rest, _ = launcher.communicate(timeout=20)
    finally:
        if launcher.poll() is None:
            launcher.kill()
    assert launcher.returncode == 0, rest
    assert "SIGINT received" in rest
    assert rest.rstrip().endswith("cxdesk demo stopped.")
    assert "Traceback" not in rest
    assert "Error" not in rest


def test_the_banner_waits_until_the_start_up_output_has_settled(tmp_path):
    """Output still on its way after the ready signals (honcho relays each process's lines
    as they come) is printed before the banner, not after it: the banner stays last."""
    launcher = _launch(tmp_path, late=0.8)
    try:
        lines = _read_until(launcher, "logins: alex.agent")
        ready = next(i for i, line in enumerate(lines) if "celery@host ready." in line)
        assert ready < next(i for i, line in enumerate(lines) if "cxdesk demo on" in line)
    finally:
        launcher.send_signal(signal.SIGINT)
        launcher.communicate(timeout=20)


def test_the_banner_waits_for_the_web_server(tmp_path):
    launcher = _launch(tmp_path, delay=2)
    try:
        started = time.monotonic()
        _read_until(launcher, "cxdesk demo on")
        assert time.monotonic() - started >= 1.5  # not before /healthz answered
    finally:
        launcher.send_signal(signal.SIGINT)
        launcher.communicate(timeout=20)


def test_a_process_that_dies_by_itself_fails_the_demo(tmp_path):
    launcher = _launch(tmp_path, exit_code=3)
    output, _ = launcher.communicate(timeout=30)
    assert launcher.returncode == 3
    assert "cxdesk demo stopped." not in output


def test_readiness_needs_the_web_answer_and_both_celery_files(tmp_path):
    spec = importlib.util.spec_from_file_location("demo_run", SCRIPT)
    demo_run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo_run)

    class Health(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        folder = tmp_path / "run"
        readiness = demo_run.Readiness(f"http://127.0.0.1:{server.server_port}/healthz", folder)
        (folder).mkdir()
        (folder / "worker.ready").touch()  # left over from the last run
        readiness.reset()
        assert not readiness.check()
        assert readiness.missing() == ["worker", "beat"]
        (folder / "worker.ready").touch()
        (folder / "beat.ready").touch()
        assert readiness.check()
    finally:
        server.shutdown()
    nothing = demo_run.Readiness(f"http://127.0.0.1:{_free_port()}/healthz", tmp_path / "x")
    nothing.reset()
    assert not nothing.check()
    assert nothing.missing() == ["web", "worker", "beat"]
