"""Real-browser fixtures: a live shop on a thread, Debian's chromium through Playwright,
and axe-core (installed from npm into tests/browser/node_modules) for accessibility.

Missing chromium, Playwright or axe-core skips these tests with the reason,
except in CI (CI=true), where they are mandatory and a missing piece fails.
"""

import os
import shutil
from pathlib import Path

import pytest

from tests.browser.steps import load_demo, start_shop

HERE = Path(__file__).resolve().parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _missing():
    reasons = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reasons.append("Playwright is not installed (make setup installs it)")
    if not Path(CHROMIUM).exists():
        reasons.append("Debian's chromium is missing (apt-get install chromium)")
    if not AXE.exists():
        reasons.append("axe-core is missing (npm ci --prefix tests/browser)")
    return reasons


def pytest_collection_modifyitems(config, items):
    reasons = _missing()
    if not reasons:
        return
    if os.environ.get("CI") == "true":
        raise pytest.UsageError("Browser tests are mandatory in CI: " + "; ".join(reasons))
    skip = pytest.mark.skip(reason="browser tests skipped: " + "; ".join(reasons))
    for item in items:
        if HERE in Path(item.fspath).parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """The shop served on a free localhost port, on its own SQLite database."""
    app, url, server = start_shop(tmp_path_factory.mktemp("live") / "shop.sqlite3")
    yield app, url
    server.shutdown()


@pytest.fixture
def shop(live_app):
    """A freshly loaded demo shop for each test; yields (app, base_url)."""
    app, url = live_app
    load_demo(app)
    return app, url


@pytest.fixture
def context(browser):
    # The tests inject axe-core as a script; the shop's CSP (rightly) forbids that.
    context = browser.new_context(viewport=DESKTOP, bypass_csp=True)
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def serious_violations(page):
    """axe-core's serious and critical accessibility violations on the current page."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]
