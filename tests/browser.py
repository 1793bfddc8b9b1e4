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


# --- accessibility: axe-core (vendored for tests only: tests/vendor/axe-core/) -------------------

AXE_JS = os.path.join(os.path.dirname(__file__), "vendor", "axe-core", "axe.min.js")
# What fails a page: axe's two highest impacts. Moderate and minor findings are advice.
AXE_FAILING = ("serious", "critical")
_axe_source: str | None = None


def _axe(page) -> None:
    """axe into the page under test. `page.evaluate` runs it the way DevTools would, beside
    the page rather than in it, so the page's strict CSP (no inline script) stays on and is
    still what the page is tested under."""
    global _axe_source
    if _axe_source is None:
        with open(AXE_JS, encoding="utf-8") as f:
            _axe_source = f.read()
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_axe_source)


def axe_violations(page, *, impacts=AXE_FAILING) -> list[dict]:
    """axe's violations (WCAG 2.x A and AA rules, and its best practices) of `impacts`."""
    _axe(page)
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html,
                                          summary: n.failureSummary}))}));
        }"""
    )
    return [v for v in found if v["impact"] in impacts]


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:8]:
            lines.append(f"    at {node['target']}: {node['html'][:160]}")
            summary = " ".join((node["summary"] or "").split())
            lines.append(f"       {summary[:400]}")
        if len(v["nodes"]) > 8:
            lines.append(f"    … and {len(v['nodes']) - 8} more elements")
    return "\n".join(lines)


def assert_accessible(page, name: str = "") -> None:
    """Fail on any serious or critical axe-core violation of the page as it is now."""
    violations = axe_violations(page)
    where = name or page.url
    assert not violations, f"axe-core on {where}:\n{describe_violations(violations)}"


# Wider than the viewport: the page scrolls sideways (a table in its own scrolling box does not).
def horizontal_overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
