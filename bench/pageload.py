"""P3, what a phone downloads and how long until the page is usable: the employee home page
against a blank Reflex app's page, both built and served in prod mode in this run.

    python -m bench.pageload [--runs 3] [--cluster]

Profile: a 390×844 phone on Chrome DevTools' "Slow 4G" (562.5 ms round trip, 1.44 Mbit/s down,
675 kbit/s up) with the CPU 4× slower. For each app:

- **first visit**: a fresh browser profile (empty HTTP cache, no service worker), already signed
  in (the token put in local storage, as after an earlier sign-in);
- **repeat visit**: the same profile opening the page again later (HTTP cache and, for this app,
  the service worker's copy of the content-hashed JS/CSS).

"Usable" is the moment the page shows data its server sent over the WebSocket after the page's
on-load event: the employee's name on the home page, the blank app's "ready" flag. Printed: the
JS + CSS of the page gzipped here at level 6 (whatever the server sent), the bytes that crossed
the network, and the median time to usable, each with the ratio to the blank app. Targets (issue
14): first visit ≤ 1.2× the blank app, repeat visit usable ≤ 2 s.

``--cluster`` measures this app through nginx on the scale-out topology (selfservice cluster)
instead of the embedded default; the blank app is served the same way in both cases.
``BENCH_TIMELINE=1`` also prints each visit's navigation timing (response, DOMContentLoaded,
load, how many scripts), which tells round trips from bytes.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import blank as blank_app
from bench.harness import CHROMIUM_ARGS, PHONE, ROOT, VENV_BIN, Server

SLOW_4G = {"offline": False, "latency": 562.5, "downloadThroughput": 1.44e6 / 8, "uploadThroughput": 675e3 / 8}
CPU_SLOWDOWN = 4
USERNAME = "E1005"


@dataclass
class Visit:
    seconds: float
    built_gzip: int = 0  # JS + CSS of the page, gzipped here
    transferred: int = 0  # bytes that crossed the network (encoded bodies)
    files: list[str] = field(default_factory=list)


def _visit(context, url: str, ready: str) -> Visit:  # noqa: ANN001
    """Open ``url`` in a new page of ``context`` on the throttled profile; time until ``ready`` shows."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_4G)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    responses = []
    page.on("response", lambda response: responses.append(response))
    start = time.perf_counter()
    page.goto(url, wait_until="commit", timeout=120_000)
    page.locator(ready).first.wait_for(state="visible", timeout=120_000)
    visit = Visit(time.perf_counter() - start)
    page.wait_for_load_state("load", timeout=120_000)
    if os.environ.get("BENCH_TIMELINE"):
        print(
            url,
            round(visit.seconds, 2),
            page.evaluate("""() => { const n = performance.getEntriesByType('navigation')[0];
            return {connect: n.connectEnd - n.startTime, response: n.responseEnd - n.startTime, dcl: n.domContentLoadedEventEnd - n.startTime,
                    load: n.loadEventEnd - n.startTime, scripts: performance.getEntriesByType('resource').filter(r => r.initiatorType === 'script' || r.name.endsWith('.js')).length,
                    lastResource: Math.max(...performance.getEntriesByType('resource').map(r => r.responseEnd))}; }"""),
        )
    for response in responses:
        kind = response.headers.get("content-type", "")
        try:
            sizes = response.request.sizes()
            body = response.body() if ("javascript" in kind or "css" in kind) else b""
        except Exception:  # noqa: BLE001  (a redirect or a stream has no body to weigh)
            continue
        if not response.from_service_worker:
            visit.transferred += sizes["responseBodySize"] + sizes["responseHeadersSize"]
        if body:
            visit.built_gzip += len(gzip.compress(body, 6))
            visit.files.append(response.url.rsplit("/", 1)[-1])
    page.close()
    return visit


def _measure(browser, url: str, ready: str, runs: int, token: str = "") -> tuple[list[Visit], list[Visit]]:  # noqa: ANN001
    first, repeat = [], []
    for _ in range(runs):
        context = browser.new_context(**PHONE)
        if token:
            context.add_init_script(f"window.localStorage.setItem('ss_session', {json.dumps(token)})")
        first.append(_visit(context, url, ready))
        time.sleep(1.0)  # the service worker installs and claims after the first load
        repeat.append(_visit(context, url, ready))
        context.close()
    return first, repeat


def _token(browser, url: str) -> str:  # noqa: ANN001
    """Sign in once, unthrottled, and keep the session token the browser stored."""
    from selfservice.demo import DEMO_PASSWORD

    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(url + "/login")
    page.locator("input[name=username]").fill(USERNAME)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("#signin-submit").click()
    page.locator("#home-name").wait_for(state="visible", timeout=60_000)
    token = page.evaluate("window.localStorage.getItem('ss_session')")
    context.close()
    return token


def _row(name: str, visits: list[Visit], base: list[Visit] | None) -> str:
    seconds = statistics.median(v.seconds for v in visits)
    built = statistics.median(v.built_gzip for v in visits)
    moved = statistics.median(v.transferred for v in visits)
    ratio = ""
    if base is not None:
        ratio = (
            f"  ({built / max(statistics.median(v.built_gzip for v in base), 1):4.2f}× JS+CSS,"
            f" {seconds / statistics.median(v.seconds for v in base):4.2f}× time)"
        )
    return f"  {name:28s} JS+CSS {built / 1024:6.1f} KB gz  transferred {moved / 1024:7.1f} KB  usable {seconds:5.2f} s{ratio}"


def run(args: argparse.Namespace) -> None:
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="bench-pageload-"))
    data = work / "data"
    env = {
        "SELFSERVICE_DATA_DIR": str(data),
        "SELFSERVICE_DB_URL": f"sqlite:///{data / 'app.db'}",
        "SELFSERVICE_SCHEDULER": "off",
        "SELFSERVICE_ALLOWED_ORIGINS": "*",
    }
    servers: list = []
    cluster = None
    try:
        print(f"building and starting both apps (logs in {work})", flush=True)
        blank = Server(blank_app.write(work / "blank"), {}, work / "blank.log", backend_only=False)
        servers.append(blank)
        if args.cluster:
            from selfservice.cluster import Cluster, Ports

            work.chmod(0o711)  # PostgreSQL runs as its own user and must reach its folder inside
            cluster = Cluster(work / "cluster", Ports.free()).up()
            url, topology = cluster.url, "scale-out (nginx, 2 app processes, PostgreSQL, Redis)"
        else:
            subprocess.run([str(VENV_BIN / "selfservice"), "demo"], env={**os.environ, **env}, cwd=ROOT, check=True, capture_output=True)
            app = Server(ROOT, env, work / "app.log", backend_only=False)
            servers.append(app)
            url, topology = app.url, "embedded default (one process, SQLite)"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            token = _token(browser, url)
            blank_first, blank_repeat = _measure(browser, blank.url + "/", "#ready", args.runs)
            app_first, app_repeat = _measure(browser, url + "/", "#home-name", args.runs, token)
            browser.close()
        print(f"\npage load on a phone (Slow 4G, CPU {CPU_SLOWDOWN}× slower), median of {args.runs}; this app: {topology}")
        print(_row("blank app, first visit", blank_first, None))
        print(_row("home page, first visit", app_first, blank_first))
        print(_row("blank app, repeat visit", blank_repeat, None))
        print(_row("home page, repeat visit", app_repeat, blank_repeat))
        print(
            f"  targets: first visit ≤ 1.20× the blank app's time; repeat visit usable ≤ 2 s ({'met' if statistics.median(v.seconds for v in app_repeat) <= 2 else 'NOT met'})"
        )
    finally:
        for server in servers:
            server.stop()
        if cluster is not None:
            cluster.down()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cluster", action="store_true", help="measure this app on the scale-out topology")
    run(parser.parse_args(argv))


if __name__ == "__main__":
    main(sys.argv[1:])
