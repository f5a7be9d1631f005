"""Browser test fixtures: Playwright (sync API) driving Debian's Chromium, and an axe-core check.

Never downloads a browser: Chromium comes from Debian (scripts/system-deps.sh) and axe-core from
npm (`npm ci`, which `make test` runs). A missing one fails the tests loudly rather than skipping.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Playwright's sync API keeps an asyncio event loop running in the main thread for as long as it
# is started, and Django refuses ORM calls from such a thread (SynchronousOnlyOperation). The
# fixtures and factories here are plain synchronous code, so the check is a false alarm; tests only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright  # noqa: E402

from casework.models import User  # noqa: E402
from tests.mfa_helpers import fresh_recovery_code, needs_second_step  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000
PASSWORD = "correct horse battery staple"  # noqa: S105 - tests.factories.UserFactory's password

# WCAG 2.2 AA, as the accessibility statement promises.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING_IMPACTS = {"serious", "critical"}

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run scripts/system-deps.sh", pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Makes a page in its own fresh context (own cookies). Keyword arguments go to new_context.

    Contexts bypass our CSP by default, so that axe-core can be injected as an inline script;
    pass bypass_csp=False to exercise the real policy.
    """
    contexts: list[BrowserContext] = []

    def make(**options) -> Page:
        options.setdefault("bypass_csp", True)
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page) -> Page:
    return new_page()


@functools.cache
def _axe_source() -> str:
    if not AXE_JS.exists():
        pytest.fail(f"axe-core not found at {AXE_JS}: run `npm ci` (make test does)", pytrace=False)
    return AXE_JS.read_text(encoding="utf-8")


# The one violation allowed: GOV.UK Frontend's radios put aria-expanded on a radio that reveals a
# follow-up (alphagov/govuk-frontend#979, kept on purpose upstream; still so in 6.6.0, see
# node_modules/govuk-frontend/dist/govuk/components/radios/radios.mjs). ARIA does not allow
# aria-expanded on a radio, so axe-core calls it critical (aria-allowed-attr). Allowed only when
# every node is an input[type=radio] whose data-aria-controls (promoted by GOV.UK Frontend's
# JavaScript to aria-controls) names a .govuk-radios__conditional, and axe's failure summary names
# aria-expanded and nothing else. Any other violation of the rule, on any element, still fails.
GOVUK_RADIO_REVEAL_ARIA_EXPANDED = "aria-allowed-attr"
_ONLY_ARIA_EXPANDED = {
    f'ARIA attribute is not allowed: aria-expanded="{value}"' for value in ("true", "false")
}


def is_govuk_radio_reveal_aria_expanded(violation: dict) -> bool:
    """Whether an axe-core violation is exactly alphagov/govuk-frontend#979 (see above)."""

    def only_aria_expanded(summary: str | None) -> bool:
        lines = [line.strip() for line in (summary or "").splitlines() if line.strip()]
        return len(lines) == 2 and lines[0] == "Fix all of the following:" and lines[1] in _ONLY_ARIA_EXPANDED

    return (
        violation["id"] == GOVUK_RADIO_REVEAL_ARIA_EXPANDED
        and bool(violation["nodes"])
        and all(node["radio_reveal"] and only_aria_expanded(node["summary"]) for node in violation["nodes"])
    )


def assert_accessible(page: Page) -> None:
    """Fails on any serious or critical axe-core violation of WCAG 2.2 AA on the current page, but
    the one allowance above (GOV.UK Frontend's aria-expanded on a radio that reveals).

    axe-core is injected as an inline script, so the page's context needs bypass_csp=True.
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=_axe_source())
    violations = page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            // A GOV.UK radio that reveals: its (data-)aria-controls names a conditional block.
            const radioReveal = (target) => {
                if (target.length !== 1 || typeof target[0] !== 'string') return false;
                const el = document.querySelector(target[0]);
                if (!el || !el.matches('input[type="radio"]')) return false;
                const id = el.getAttribute('aria-controls') || el.getAttribute('data-aria-controls');
                const shown = id ? document.getElementById(id) : null;
                return !!shown && shown.classList.contains('govuk-radios__conditional');
            };
            return results.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map((n) => ({target: n.target.join(' '), html: n.html,
                                            summary: n.failureSummary,
                                            radio_reveal: radioReveal(n.target)})),
            }));
        }""",
        AXE_TAGS,
    )
    blocking = [
        v
        for v in violations
        if v["impact"] in BLOCKING_IMPACTS and not is_govuk_radio_reveal_aria_expanded(v)
    ]
    if blocking:
        lines = [f"axe-core found {len(blocking)} serious or critical violation(s) on {page.url}:"]
        for v in blocking:
            lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
            for node in v["nodes"]:
                lines.append(f"    {node['target']}: {node['html'][:200]}")
                lines.append(f"      {(node['summary'] or '').replace(chr(10), ' / ')}")
        pytest.fail("\n".join(lines), pytrace=False)


@pytest.fixture
def sign_in(live_server) -> Callable[..., None]:
    """Signs in through the real form, as a person would, and waits for the next page."""

    def do(page: Page, email: str, password: str = PASSWORD) -> None:
        # The second step (casework/mfa.py): a person whose sign-in needs a code gets a test app if
        # they have none, and a fresh recovery code stands in for the app's code, so signing in
        # twice within one 30-second step still works.
        person = User.objects.filter(email=email.lower()).first()
        code = fresh_recovery_code(person) if person and needs_second_step(person) else None
        page.goto(f"{live_server.url}/sign-in/")
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        if code and "/sign-in/code/" in page.url:
            page.get_by_label("Enter the 6-digit code from your authenticator app").fill(code)
            page.get_by_role("button", name="Continue").click()
            page.wait_for_load_state()

    return do
