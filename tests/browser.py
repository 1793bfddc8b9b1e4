"""What the browser tests share: Debian's Chromium driven by Playwright (never downloaded).

    from tests.browser import BROWSER_TEST, wait_for
    pytestmark = BROWSER_TEST        # marker `browser`; skipped, saying why, without Chromium

The fixtures `chromium` (the browser) and `browser_page` (a page of it) are in
tests/conftest.py.
"""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("CXDESK_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps trying hosts this machine cannot reach.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

try:
    import playwright.sync_api as _playwright
except ImportError:  # pragma: no cover - depends on the machine
    _playwright = None

BROWSER_TEST = [
    pytest.mark.browser,
    pytest.mark.skipif(
        _playwright is None, reason="playwright is not installed (pip install playwright)"
    ),
    pytest.mark.skipif(
        not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)),
        reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)",
    ),
]


def wait_for(check, page, timeout_ms=10_000):
    """Poll `check()` (server-side state) until it is truthy, letting the page run meanwhile."""
    for _ in range(timeout_ms // 100):
        result = check()
        if result:
            return result
        page.wait_for_timeout(100)
    raise AssertionError("timed out waiting for the server side")
