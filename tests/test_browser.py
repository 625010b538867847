"""A real browser through the sign-in: Debian's Chromium and ChromeDriver, driven by selenium,
walk the approval dialog and the local sign-in page of `cfmcp dev`, deny once and approve
once, and the test checks the cookies, the pages' headers (from Chrome's own network log) and
that the browser console shows no error (no favicon 404, no blocked script)."""

import json
import os
import shutil
import threading
from urllib.parse import parse_qs, urlparse

import pytest

from tests.signin import pkce

pytestmark = pytest.mark.integration

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.skip("needs Debian's chromium and chromium-driver (`bash .ci/run` installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # never let selenium fetch a browser or a driver
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):  # fmt: skip
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    # A click starts a navigation that may not have finished when the next line looks for an
    # element of the next page (seen on a loaded machine): look for up to 15 s.
    driver.implicitly_wait(15)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def client_app():
    """The MCP client's side: a loopback page its redirect URI points at."""
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    from cfmcp.dev.server import BackgroundServer

    arrivals: list[dict[str, str]] = []
    arrived = threading.Event()

    async def callback(request):  # type: ignore[no-untyped-def]
        arrivals.append(dict(request.query_params))
        arrived.set()
        return HTMLResponse("<!doctype html><link rel='icon' href='data:,'><p>back in the app</p>")

    with BackgroundServer(Starlette(routes=[Route("/callback", callback)])) as server:
        server.arrivals, server.arrived = arrivals, arrived
        yield server


def authorize_url(dev, client_app, state: str) -> str:
    import httpx2

    redirect_uri = f"{client_app.url}/callback"
    registered = httpx2.post(
        f"{dev.url}/register",
        json={"redirect_uris": [redirect_uri], "client_name": "Browser Test Client",
              "token_endpoint_auth_method": "none"},
    ).json()  # fmt: skip
    _, challenge = pkce()
    query = httpx2.QueryParams(
        {"response_type": "code", "client_id": registered["client_id"],
         "redirect_uri": redirect_uri, "state": state, "code_challenge": challenge,
         "code_challenge_method": "S256"}
    )  # fmt: skip
    return f"{dev.url}/authorize?{query}"


def wait_for_app(client_app, driver) -> dict[str, str]:
    assert client_app.arrived.wait(30), driver.page_source[:500]
    client_app.arrived.clear()
    return client_app.arrivals[-1]


def click(driver, value: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, f'button[value="{value}"]').click()


def response_headers(driver, path: str) -> dict[str, str]:
    """The headers of the last response whose URL has `path`, from Chrome's network log."""
    found: dict[str, str] = {}
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") != "Network.responseReceived":
            continue
        response = message["params"]["response"]
        if urlparse(response["url"]).path == path:
            found = {k.lower(): v for k, v in response["headers"].items()}
    return found


def test_deny_then_approve_and_sign_in(browser, variant_dev, client_app):
    from selenium.webdriver.common.by import By

    browser.get_log("browser")  # start with an empty console

    # Deny: the app hears access_denied, with its state.
    browser.get(authorize_url(variant_dev, client_app, "first"))
    assert "Browser Test Client wants to use" in browser.find_element(By.TAG_NAME, "h1").text
    dialog_headers = response_headers(browser, "/authorize")
    assert dialog_headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in dialog_headers["content-security-policy"]
    assert dialog_headers["cache-control"] == "no-store"
    click(browser, "deny")
    denied = wait_for_app(client_app, browser)
    assert denied["error"] == "access_denied" and denied["state"] == "first"

    # Approve, then sign in on the local page as someone else: the app gets a code.
    browser.get(authorize_url(variant_dev, client_app, "second"))
    click(browser, "approve")
    email = browser.find_element(By.NAME, "email")
    assert email.get_attribute("value") == "ada@example.dev"  # prefilled with --user
    signin_headers = response_headers(browser, "/oauth2/auth")
    assert signin_headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in signin_headers["content-security-policy"]
    email.clear()
    email.send_keys("grace@example.dev")
    click(browser, "allow")
    approved = wait_for_app(client_app, browser)
    assert approved["state"] == "second" and approved["code"]
    assert "signed in as grace@example.dev" in variant_dev.log()

    # The Worker's cookies: host-only, Secure, HttpOnly (what browsers keep on localhost).
    browser.get(f"{variant_dev.url}/")
    cookies = {cookie["name"]: cookie for cookie in browser.get_cookies()}
    worker_cookies = [c for name, c in cookies.items() if name.startswith("__Host-")]
    assert worker_cookies, cookies
    for cookie in worker_cookies:
        assert cookie["secure"] and cookie["httpOnly"] and cookie["path"] == "/"
        assert "domain" not in cookie or not cookie["domain"].startswith(".")

    # Nothing went wrong in the browser: no failed favicon, no blocked script, no CSP report.
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], errors


def test_the_pages_cannot_be_framed(browser, variant_dev, client_app, tmp_path):
    """A page on another origin that frames the dialog gets nothing: Chrome refuses to render
    it (X-Frame-Options and frame-ancestors) and says so in the console."""
    from selenium.webdriver.common.by import By

    target = authorize_url(variant_dev, client_app, "framed")
    framing = tmp_path / "frame.html"
    framing.write_text(f"<!doctype html><iframe id='f' src='{target}'></iframe>")
    browser.get_log("browser")
    browser.get(framing.as_uri())
    frame = browser.find_element(By.ID, "f")
    browser.switch_to.frame(frame)
    assert "wants to use" not in browser.page_source
    browser.switch_to.default_content()
    console = " ".join(e["message"] for e in browser.get_log("browser"))
    assert "frame-ancestors" in console or "X-Frame-Options" in console or "refused" in console
    assert parse_qs(urlparse(target).query)["state"] == ["framed"]
