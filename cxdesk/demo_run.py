"""Run `make demo`'s processes (honcho) and print the demo's banner once they are all up;
stop them on Ctrl-C without an error.

    python cxdesk/demo_run.py --port 8000 --banner var/demo-banner.txt \\
        --ready-dir var/run -- .venv/bin/honcho -f Procfile.demo start

Why a launcher and not honcho alone:

- The banner (URL, logins) printed before honcho starts scrolls away under the worker's and
  beat's start-up output. Here it is printed after the web server answers GET /healthz,
  the worker and beat have each said they are ready (cxdesk/celery.py touches
  `worker.ready` / `beat.ready` in --ready-dir, set for them as CXDESK_READY_DIR), and
  their output has then been quiet for --settle seconds: honcho's output passes through
  this launcher line by line, so the banner is the last thing on the screen, not cut into
  by the start-up lines still on their way.
- Ctrl-C in a terminal signals the whole foreground process group: make too, which then
  reports "*** [demo] Interrupt" (or "Error 130", honcho's exit code after SIGINT) however
  cleanly honcho stopped. So honcho runs in a process group of its own that is made the
  terminal's foreground group: Ctrl-C reaches only honcho, which stops the web server, the
  worker and beat (SIGTERM: the worker's warm shutdown), and this launcher, in make's
  group, exits 0. Without a terminal (CI, a pipe) a SIGINT or SIGTERM sent to the launcher
  is passed on to honcho, with the same quiet ending.

Standard library only: it runs before anything else of the project is imported.
"""

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

STOPPED_BY_SIGNAL = {130, 143, -signal.SIGINT, -signal.SIGTERM}  # honcho's codes, or killed
PARTS = ("web", "worker", "beat")
MAX_SETTLE = 10.0  # seconds after everything is up: the banner comes then, however chatty


class Readiness:
    """What of the demo is up: the web server (answers `url`) and each Celery process (its
    file in `folder`)."""

    def __init__(self, url: str, folder: Path):
        self.url, self.folder = url, folder
        self.up: set[str] = set()

    def reset(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for name in PARTS:
            (self.folder / f"{name}.ready").unlink(missing_ok=True)

    def check(self) -> bool:
        for name in ("worker", "beat"):
            if (self.folder / f"{name}.ready").exists():
                self.up.add(name)
        if "web" not in self.up and self._web_answers():
            self.up.add("web")
        return self.up >= set(PARTS)

    def missing(self) -> list[str]:
        return [name for name in PARTS if name not in self.up]

    def _web_answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.url, timeout=1) as response:
                return response.status == 200
        except (OSError, urllib.error.URLError, ValueError):
            return False


class Output:
    """The child's output, passed on line by line to `out`; remembers when the last came."""

    def __init__(self, source, out):
        self.source, self.out = source, out
        self.lock = threading.Lock()
        self.last = time.monotonic()
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()

    def _pump(self) -> None:
        for line in iter(self.source.readline, b""):
            self.write(line.decode("utf-8", errors="replace"))
            self.last = time.monotonic()

    def write(self, text: str) -> None:
        with self.lock:  # whole lines: the banner never lands inside a process's line
            self.out.write(text)
            self.out.flush()

    def quiet_for(self) -> float:
        return time.monotonic() - self.last

    def drain(self, timeout: float = 5) -> None:
        self.thread.join(timeout)


class Terminal:
    """The controlling terminal's foreground process group, handed to the child and back."""

    def __init__(self):
        try:
            self.fd = os.open("/dev/tty", os.O_RDWR)
            self.original = os.tcgetpgrp(self.fd)
        except OSError:
            self.fd = None  # no terminal: signals come to us and are passed on

    def give_to(self, pgid: int) -> None:
        if self.fd is not None:
            # A process outside the foreground group may change it only with SIGTTOU ignored.
            signal.signal(signal.SIGTTOU, signal.SIG_IGN)
            with contextlib.suppress(OSError):
                os.tcsetpgrp(self.fd, pgid)

    def take_back(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.tcsetpgrp(self.fd, self.original)


def run(
    command: list[str],
    *,
    readiness: Readiness,
    banner: str,
    timeout: float = 180,
    settle: float = 1.5,
    out=sys.stdout,
    poll: float = 0.25,
) -> int:
    """Run `command`, print `banner` once everything is up and its output has been quiet
    for `settle` seconds; return the exit code for make."""
    readiness.reset()
    env = {
        **os.environ,
        "CXDESK_READY_DIR": str(readiness.folder),
        "PYTHONUNBUFFERED": "1",  # the processes' lines show as they are written
    }
    child = subprocess.Popen(
        command, env=env, process_group=0, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    assert child.stdout is not None
    output = Output(child.stdout, out)
    terminal = Terminal()
    terminal.give_to(child.pid)
    stopping = False

    def pass_on(signum, frame):
        nonlocal stopping
        stopping = True
        with contextlib.suppress(ProcessLookupError):
            os.kill(child.pid, signum)

    signal.signal(signal.SIGINT, pass_on)
    signal.signal(signal.SIGTERM, pass_on)

    started, shown, ready_at = time.monotonic(), False, None
    try:
        while child.poll() is None:
            if not shown and not stopping:
                if ready_at is None and readiness.check():
                    ready_at = time.monotonic()
                # Quiet for `settle` seconds; a process that never stops talking (a browser
                # left polling the web server) delays the banner by MAX_SETTLE at most.
                if ready_at is not None and (
                    output.quiet_for() >= settle or time.monotonic() - ready_at > MAX_SETTLE
                ):
                    output.write(banner)
                    shown = True
                elif time.monotonic() - started > timeout:
                    missing = ", ".join(readiness.missing()) or "output still going"
                    output.write(f"{banner}  (still starting after {timeout:.0f} s: {missing})\n")
                    shown = True
            time.sleep(poll)
    finally:
        returncode = child.wait()
        output.drain()  # the processes' last lines before ours
        terminal.take_back()
    if returncode == 0 or returncode in STOPPED_BY_SIGNAL:
        out.write("\ncxdesk demo stopped.\n")
        out.flush()
        return 0
    return returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True, help="the web server's port")
    parser.add_argument("--banner", type=Path, required=True, help="text to print when up")
    parser.add_argument("--ready-dir", type=Path, required=True)
    parser.add_argument("--timeout", type=float, default=180)
    parser.add_argument(
        "--settle", type=float, default=1.5, help="seconds of quiet output before the banner"
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    banner = args.banner.read_text(encoding="utf-8") if args.banner.exists() else ""
    readiness = Readiness(f"http://127.0.0.1:{args.port}/healthz", args.ready_dir)
    return run(
        command, readiness=readiness, banner=banner, timeout=args.timeout, settle=args.settle
    )


if __name__ == "__main__":
    sys.exit(main())
