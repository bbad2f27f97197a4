"""Issue 14, P3: what a phone downloads for the employee home page stays close to a blank Reflex
page's (bench/pageload.py measures the time on a throttled phone; this guards the causes: the
number of script files, each a round trip on a slow network, and their gzipped weight)."""

from __future__ import annotations

import gzip

from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from tests.browser.flows import sign_in

MAX_SCRIPTS = 16  # 12 today; 44 before the small shared modules were grouped (selfservice/ui/chunks.py)
MAX_GZIP_KB = 420  # JS + CSS, gzipped: 368 KB today; a blank Reflex page is 316 KB


def _signed_in_phone(browser, url: str):  # noqa: ANN001, ANN202
    """A phone's browser profile where E1005 has signed in (its first page still open)."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    sign_in(page, url, "E1005")
    expect(page.locator("#home-name")).to_be_visible()
    return context, page


def _open_home(context, url: str) -> list:  # noqa: ANN001
    """Open the home page in a new page of ``context``; every response it received."""
    home = context.new_page()
    responses: list = []
    home.on("response", lambda response: responses.append(response))
    home.goto(url + "/")
    expect(home.locator("#home-name")).to_be_visible()
    home.wait_for_load_state("load")
    return responses


def test_the_home_page_asks_for_few_scripts_and_no_whole_catalogue(browser, app_server):
    context, _ = _signed_in_phone(browser, app_server.url)
    responses = _open_home(context, app_server.url)
    scripts = [r for r in responses if r.request.resource_type == "script"]
    styles = [r for r in responses if r.request.resource_type == "stylesheet"]
    assert 0 < len(scripts) <= MAX_SCRIPTS, [r.url.rsplit("/", 1)[-1] for r in scripts]
    bodies = {r.url: r.body() for r in scripts + styles}
    weight = sum(len(gzip.compress(body, 6)) for body in bodies.values()) / 1024
    assert weight <= MAX_GZIP_KB, f"{weight:.0f} KB gzipped"
    catalogue_text = "Upload a CSV (UTF-8, or GBK as Excel saves it)"  # the import page's help, in English
    assert not any(catalogue_text.encode() in body for body in bodies.values()), "a page carries the whole message catalogue"
    context.close()


def test_a_repeat_visit_takes_built_files_from_the_service_worker_and_the_page_from_the_network(browser, app_server):
    """Item 8: the content-hashed JS/CSS are kept by the service worker (a repeat visit on a slow
    network downloads almost nothing); the page itself always comes from the server, so nothing
    is stale after a deploy (new builds bring new file names)."""
    context, page = _signed_in_phone(browser, app_server.url)
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=20_000)  # installed and claimed this page
    responses = _open_home(context, app_server.url)
    document = next(r for r in responses if r.request.resource_type == "document")
    assert not document.from_service_worker, "the page must come from the server"
    built = [r for r in responses if "/assets/" in r.url and r.request.resource_type in ("script", "stylesheet")]
    assert built and all(r.from_service_worker for r in built), [r.url for r in built if not r.from_service_worker][:3]
    others = [r for r in responses if r.from_service_worker and "/assets/" not in r.url]
    assert not others, [r.url for r in others][:3]
    context.close()
