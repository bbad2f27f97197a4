"""What the benchmarks and the browser tests share: a Reflex app served in prod mode on a free
port, and how Chromium is started and what a phone is."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx

from selfservice.cluster import free_port

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


class Server:
    """``reflex run --env prod`` of the project in ``cwd`` on one worker and one port, stopped with
    its process group: only the back-end (nothing built), or the front-end built and served too."""

    def __init__(self, cwd: Path, env: dict[str, str], log: Path, backend_only: bool = True) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log.open("w")
        full_env = {
            **os.environ,
            "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}",
            "REFLEX_USE_SYSTEM_BUN": "1",
            "REFLEX_TELEMETRY_ENABLED": "false",
            **env,
        }
        full_env.pop("REFLEX_REDIS_URL", None)
        ports = ["--backend-only"] if backend_only else ["--frontend-port", str(self.port)]
        self.process = subprocess.Popen(
            [str(VENV_BIN / "reflex"), "run", "--env", "prod", *ports, "--backend-port", str(self.port), "--backend-host", "127.0.0.1"],
            cwd=cwd,
            env=full_env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        answers = [f"{self.url}/ping"] if backend_only else [f"{self.url}/ping", self.url]
        deadline = time.time() + (180 if backend_only else 600)
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server in {cwd} exited; see {log}")
            try:
                if all(httpx.get(url, timeout=5).status_code == 200 for url in answers):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"server in {cwd} did not start; see {log}")

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()
