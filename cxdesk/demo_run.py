"""Run `make demo`'s processes (honcho) and print the demo's banner once they are all up;
stop them on Ctrl-C without an error.

    python cxdesk/demo_run.py --port 8000 --banner var/demo-banner.txt \\
        --ready-dir var/run -- .venv/bin/honcho -f Procfile.demo start

Why a launcher and not honcho alone:

- The banner (URL, logins) printed before honcho starts scrolls away under the worker's and
  beat's start-up output. Here it is printed after the web server answers GET /healthz and
  the worker and beat have each said they are ready (cxdesk/celery.py touches
  `worker.ready` / `beat.ready` in --ready-dir, set for them as CXDESK_READY_DIR).
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
import time
import urllib.error
import urllib.request
from pathlib import Path

STOPPED_BY_SIGNAL = {130, 143, -signal.SIGINT, -signal.SIGTERM}  # honcho's codes, or killed
PARTS = ("web", "worker", "beat")


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
    out=sys.stdout,
    poll: float = 0.25,
) -> int:
    """Run `command`, print `banner` once everything is up, return the exit code for make."""
    readiness.reset()
    env = {
        **os.environ,
        "CXDESK_READY_DIR": str(readiness.folder),
        "PYTHONUNBUFFERED": "1",  # the processes' lines show as they are written
    }
    child = subprocess.Popen(command, env=env, process_group=0)
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

    started, shown = time.monotonic(), False
    try:
        while child.poll() is None:
            if not shown and not stopping:
                if readiness.check():
                    out.write(banner)
                    out.flush()
                    shown = True
                elif time.monotonic() - started > timeout:
                    out.write(banner)
                    out.write(f"  (still starting after {timeout:.0f} s: ")
                    out.write(", ".join(readiness.missing()) + ")\n")
                    out.flush()
                    shown = True
            time.sleep(poll)
    finally:
        returncode = child.wait()
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
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    banner = args.banner.read_text(encoding="utf-8") if args.banner.exists() else ""
    readiness = Readiness(f"http://127.0.0.1:{args.port}/healthz", args.ready_dir)
    return run(command, readiness=readiness, banner=banner, timeout=args.timeout)


if __name__ == "__main__":
    sys.exit(main())
