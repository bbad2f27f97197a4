"""The real app, built once per run in prod mode, served on one port; Chromium drives it.

The app's output is captured; a test fails if the server logged a traceback while it ran.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bench.harness import CHROMIUM_ARGS, PHONE  # noqa: F401  (PHONE: the journeys import it from here)
from tests.pg import free_port

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
DESKTOP = {"viewport": {"width": 1280, "height": 860}}


@pytest.fixture(scope="session")
def browser_type_launch_args():
    return {"executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


class RunningApp:
    def __init__(self, url: str, db_url: str, log_path: Path, pid: int = 0) -> None:
        self.url, self.db_url, self.log_path, self.pid = url, db_url, log_path, pid

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    """Migrate a temp DB, load the demo company, and serve the prod build on a free port."""
    data_dir = tmp_path_factory.mktemp("appdata")
    db_url = f"sqlite:///{data_dir / 'app.db'}"
    port = free_port()
    env = {
        **os.environ,
        "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ.get('PATH', '')}",
        "REFLEX_USE_SYSTEM_BUN": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "SELFSERVICE_DB_URL": db_url,
        "SELFSERVICE_DATA_DIR": str(data_dir),
        "SELFSERVICE_SECRET_KEY": os.environ["SELFSERVICE_SECRET_KEY"],
        "SELFSERVICE_ALLOWED_ORIGINS": f"http://127.0.0.1:{port},http://localhost:{port}",
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    subprocess.run([sys.executable, "-m", "selfservice.cli", "demo"], env=env, cwd=ROOT, check=True, capture_output=True)
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / "app-server.log"
    log = open(log_path, "w")
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "reflex"),
            "run",
            "--env",
            "prod",
            "--frontend-port",
            str(port),
            "--backend-port",
            str(port),
            "--backend-host",
            "127.0.0.1",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 240
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"app exited early:\n{log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{url}/ping", timeout=2).status_code == 200 and httpx.get(url, timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline:
                raise RuntimeError(f"app did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield RunningApp(url, db_url, log_path, process.pid)
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


@pytest.fixture(autouse=True)
def no_server_errors(request, app_server):
    """Fail the test if the app logged a traceback while it ran."""
    before = len(app_server.log_text())
    yield
    new = app_server.log_text()[before:]
    assert "Traceback" not in new, f"server error during {request.node.name}:\n{new[-3000:]}"


def _watched_page(context):
    """A page whose Content-Security-Policy refusals fail the test (the app must run under its own policy)."""
    page = context.new_page()
    page.csp_refusals = []
    page.on("console", lambda m: "Content Security Policy" in m.text and page.csp_refusals.append(m.text))
    return page


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE)
    page = _watched_page(context)
    yield page
    context.close()
    assert not page.csp_refusals, page.csp_refusals[:3]


@pytest.fixture
def desktop(browser):
    context = browser.new_context(**DESKTOP)
    page = _watched_page(context)
    yield page
    context.close()
    assert not page.csp_refusals, page.csp_refusals[:3]


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}, "resultTypes": ["violations"]}


def assert_accessible(page, name: str = "") -> None:
    """axe-core's WCAG 2.1 A/AA rules find nothing on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    # A toast fading in is half-transparent: its colours are judged once every animation has settled.
    page.wait_for_function("document.getAnimations().every(a => a.playState !== 'running')", timeout=5000)
    violations = Axe().run(page, options=WCAG).response["violations"]
    report = [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes'][:3]]} {v['nodes'][0].get('failureSummary', '')[:160]}"
        for v in violations
    ]
    assert not violations, f"{name or page.url}: " + "\n".join(report)
