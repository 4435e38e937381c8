"""A person's first steps in a real browser: sign in, open the enterprise list, keep a screenshot."""

import os
import shutil
from pathlib import Path

import pytest

from sibao.testing import PASSWORD, Cast

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(os.environ.get("SIBAO_SCREENSHOT_DIR", Path(__file__).resolve().parents[2] / "var" / "screenshots"))
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: `make test` installs Debian's chromium package (make system-packages).")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield launched
        launched.close()


@pytest.mark.django_db(transaction=True)
def test_sign_in_and_open_the_enterprise_list(live_server, browser):
    from sibao.regions.loader import load_divisions

    load_divisions()
    cast = Cast()
    page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page.goto(f"{live_server.url}/enterprises/")
    page.fill("input[name=username]", cast.dispatcher_gc.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_url(f"{live_server.url}/enterprises/")
    assert cast.ent_a.name in page.content()
    assert cast.ent_jz.name not in page.content()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "enterprise-list.png"), full_page=True)
    page.set_viewport_size({"width": 375, "height": 800})
    page.screenshot(path=str(SCREENSHOTS / "enterprise-list-phone.png"), full_page=True)
    assert (SCREENSHOTS / "enterprise-list.png").stat().st_size > 10_000
