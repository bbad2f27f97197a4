"""The production topology on one machine: ``selfservice cluster up`` (``make run-cluster``).

    nginx :PORT ──► app process 1 (selfservice serve, Granian) ─┐
               └──► app process 2 (selfservice serve, Granian) ─┼─► PostgreSQL (data)
                                                                 ├─► Redis (Reflex state, auth epoch)
    scheduler ×2 (one leads: PostgreSQL advisory lock) ─────────┴─► S3-compatible storage (files)

Everything listens on 127.0.0.1 and lives under one folder (``data/cluster`` by default):
PostgreSQL's data, Redis (in memory only), a local S3 server (moto's, from PyPI, standing in
for the company's object storage), the front-end built once, nginx's configuration and every
process's log. The app processes could run on different hosts: they share nothing but these
services (the secret key is given to each in ``SELFSERVICE_SECRET_KEY``). Tests start the same
``Cluster`` on free ports (tests/browser/test_cluster.py).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from selfservice.settings import PROJECT_ROOT

BIN = Path(sys.executable).parent
S3_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "selfservice-local", "AWS_SECRET_ACCESS_KEY": "selfservice-local", "AWS_DEFAULT_REGION": "us-east-1"}
BUCKET = "selfservice"

NGINX_CONF = """# nginx in front of the app processes (selfservice cluster; README "Deployment").
worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/logs/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log {root}/logs/nginx-access.log;
    client_body_temp_path {root}/nginx-tmp/body;
    proxy_temp_path {root}/nginx-tmp/proxy;
    fastcgi_temp_path {root}/nginx-tmp/fastcgi;
    uwsgi_temp_path {root}/nginx-tmp/uwsgi;
    scgi_temp_path {root}/nginx-tmp/scgi;
    server_tokens off;

    # WebSocket upgrade for Reflex's events (/_event)
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}

    upstream selfservice_app {{
        least_conn;
{upstreams}
    }}

    server {{
        listen {host}:{port};
        # Bodies: nothing legitimate is bigger (the app refuses the same sizes itself)
        client_max_body_size 64k;

        proxy_http_version 1.1;
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        # an app process that is down: the request goes to the next one
        proxy_next_upstream error timeout http_502 http_503;
        proxy_connect_timeout 2s;

        location /_event {{
            proxy_pass http://selfservice_app;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 3600s;
            proxy_send_timeout 3600s;
            client_max_body_size 1m;
        }}
        location /_upload {{
            proxy_pass http://selfservice_app;
            client_max_body_size 11m;  # SELFSERVICE_ATTACHMENT_MAX_BYTES / _IMPORT_MAX_BYTES + multipart
            proxy_request_buffering off;
        }}
        location /api/punches {{
            proxy_pass http://selfservice_app;
            client_max_body_size 2m;
        }}
        location /hooks/ {{
            proxy_pass http://selfservice_app;
            client_max_body_size 256k;
        }}
        location / {{
            proxy_pass http://selfservice_app;
        }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_port(port: int, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing answered on 127.0.0.1:{port} within {seconds:.0f} s")


def as_postgres(*args: str) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the postgres user."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)


def _pg_tool(name: str) -> str:
    import glob

    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if not found:
        raise RuntimeError(f"{name} not found: install Debian's postgresql (make setup-test does)")
    return found


def _nginx() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not found:
        raise RuntimeError("nginx not found: install Debian's nginx-light (make setup-test does)")
    return found


@dataclass
class Ports:
    web: int
    apps: list[int]
    postgres: int
    redis: int
    s3: int

    @classmethod
    def free(cls, web: int = 0, apps: int = 2) -> Ports:
        """Distinct free ports (all held open while choosing, so none is handed out twice)."""
        held = []
        for _ in range(apps + 4):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            held.append(sock)
        ports = [sock.getsockname()[1] for sock in held]
        for sock in held:
            sock.close()
        return cls(web or ports[0], ports[1 : apps + 1], ports[apps + 1], ports[apps + 2], ports[apps + 3])


@dataclass
class Cluster:
    root: Path
    ports: Ports
    host: str = "127.0.0.1"
    schedulers: int = 2
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    _logs: list = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.ports.web}"

    @property
    def db_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.ports.postgres}/selfservice"

    def env(self) -> dict[str, str]:
        """What each process of the topology is given (the README lists the same)."""
        key_file = self.root / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        origins = f"{self.url},http://localhost:{self.ports.web}"
        return {
            **os.environ,
            **S3_CREDENTIALS,
            "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
            "REFLEX_USE_SYSTEM_BUN": "1",
            "REFLEX_TELEMETRY_ENABLED": "false",
            "REFLEX_REDIS_URL": f"redis://127.0.0.1:{self.ports.redis}/0",
            "REFLEX_API_URL": self.url,
            "REFLEX_WEB_WORKDIR": str(self.root / "web"),
            "SELFSERVICE_DB_URL": self.db_url,
            "SELFSERVICE_DATA_DIR": str(self.root / "data"),
            "SELFSERVICE_SECRET_KEY": key_file.read_text().strip(),
            "SELFSERVICE_FILE_STORE": f"s3://{BUCKET}/files",
            "SELFSERVICE_S3_ENDPOINT": f"http://127.0.0.1:{self.ports.s3}",
            "SELFSERVICE_SCHEDULER": "off",
            "SELFSERVICE_TRUSTED_PROXY_HOPS": "1",
            "SELFSERVICE_PUBLIC_URL": self.url,
            "SELFSERVICE_ALLOWED_ORIGINS": origins,
            "SELFSERVICE_BACKUP_DIR": str(self.root / "backups"),
        }

    # ---- starting -------------------------------------------------------------------------

    def _start(self, name: str, command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.Popen:
        log = (self.root / "logs" / f"{name}.log").open("ab")
        self._logs.append(log)
        process = subprocess.Popen(
            command, cwd=cwd or PROJECT_ROOT, env=env or self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes[name] = process
        return process

    def _postgres(self) -> None:
        folder = self.root / "postgres"  # data and socket; owned by the postgres user when run as root
        folder.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres", "postgres")
            self.root.chmod(self.root.stat().st_mode | 0o711)  # the postgres user passes through to its folder
        data = folder / "data"
        if not (data / "PG_VERSION").exists():
            subprocess.run(
                as_postgres(_pg_tool("initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8"),
                check=True,
                capture_output=True,
            )
        command = [
            _pg_tool("postgres"),
            "-D",
            str(data),
            "-p",
            str(self.ports.postgres),
            "-k",
            str(folder),
            "-c",
            "listen_addresses=127.0.0.1",
        ]
        self._start("postgres", as_postgres(*command))
        _wait_port(self.ports.postgres)
        import sqlalchemy as sa

        engine = sa.create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{self.ports.postgres}/postgres", isolation_level="AUTOCOMMIT")
        exists = None
        for _ in range(100):  # the port opens a moment before connections are accepted
            try:
                with engine.connect() as connection:
                    exists = connection.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = 'selfservice'")).first()
                    if not exists:
                        connection.execute(sa.text("CREATE DATABASE selfservice"))
                break
            except sa.exc.OperationalError:
                time.sleep(0.2)
        engine.dispose()

    def _s3(self) -> None:
        self._start("s3", [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.ports.s3)])
        _wait_port(self.ports.s3)
        import boto3

        client = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{self.ports.s3}", **_boto_credentials())
        if BUCKET not in {b["Name"] for b in client.list_buckets().get("Buckets", [])}:
            client.create_bucket(Bucket=BUCKET)

    def build(self) -> None:
        """The front-end, once, for the address the browser uses (nginx's)."""
        lock = PROJECT_ROOT / "reflex.lock" / "package.json"
        kept = lock.read_bytes() if lock.exists() else None
        try:
            subprocess.run(
                [str(BIN / "reflex"), "export", "--frontend-only", "--no-zip", "--env", "prod"],
                cwd=PROJECT_ROOT,
                env=self.env(),
                check=True,
                stdout=(self.root / "logs" / "build.log").open("wb"),
                stderr=subprocess.STDOUT,
                timeout=900,
            )
        finally:
            if kept is not None:
                lock.write_bytes(kept)  # Reflex rewrites the project's lock file from the work folder

    def start_app(self, index: int) -> subprocess.Popen:
        port = self.ports.apps[index]
        process = self._start(f"app{index + 1}", [str(BIN / "selfservice"), "serve", "--port", str(port), "--workers", "1"])
        _wait_port(port, 120)
        time.sleep(0.5)
        if process.poll() is not None:
            raise RuntimeError(f"app process {index + 1} exited with {process.returncode}; see {self.root / 'logs'}")
        return process

    def start_scheduler(self, index: int) -> subprocess.Popen:
        return self._start(f"scheduler{index + 1}", [str(BIN / "selfservice"), "scheduler"])

    def _nginx(self) -> None:
        (self.root / "nginx-tmp").mkdir(exist_ok=True)
        upstreams = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in self.ports.apps)
        conf = self.root / "nginx.conf"
        conf.write_text(NGINX_CONF.format(root=self.root, upstreams=upstreams, host=self.host, port=self.ports.web))
        self._start("nginx", [_nginx(), "-c", str(conf), "-p", str(self.root)])
        _wait_port(self.ports.web)

    def up(self, demo: bool = True, build: bool = True) -> Cluster:
        for folder in ("logs", "data", "backups"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        self._postgres()
        self._start("redis", ["redis-server", "--bind", "127.0.0.1", "--port", str(self.ports.redis), "--save", "", "--appendonly", "no"])
        _wait_port(self.ports.redis)
        self._s3()
        args = ["demo"] if demo else ["db", "upgrade"]
        subprocess.run([str(BIN / "selfservice"), *args], cwd=PROJECT_ROOT, env=self.env(), check=True, capture_output=True, timeout=600)
        if build or not (self.root / "web" / "build" / "client").exists():
            self.build()
        for index in range(len(self.ports.apps)):
            self.start_app(index)
        for index in range(self.schedulers):
            self.start_scheduler(index)
        self._nginx()
        return self

    # ---- stopping ---------------------------------------------------------------------------

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Stop one process as a crash would (the whole process group: Granian's workers too)."""
        process = self.processes.pop(name)
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        process.wait(timeout=30)

    def down(self) -> None:
        for name in [n for n in ("nginx", "app1", "app2", "scheduler1", "scheduler2", "s3", "redis") if n in self.processes]:
            self.kill(name, signal.SIGTERM)
        for name in [n for n in self.processes if n != "postgres"]:
            self.kill(name, signal.SIGTERM)
        if "postgres" in self.processes:
            self.kill("postgres", signal.SIGINT)  # PostgreSQL's fast shutdown
        for log in self._logs:
            log.close()


def _boto_credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": S3_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": S3_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "region_name": S3_CREDENTIALS["AWS_DEFAULT_REGION"],
    }


def run_forever(root: Path, port: int) -> int:
    """``selfservice cluster up``: start everything, print where, stop everything on Ctrl-C."""
    cluster = Cluster(root, Ports.free(web=port))
    print(f"starting the cluster in {root} (logs in {root / 'logs'}) …", flush=True)
    stop = {"now": False}

    def _stop(*_: object) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        cluster.up()
        print(
            f"cluster running: {cluster.url}  (nginx → app processes on {cluster.ports.apps}; PostgreSQL :{cluster.ports.postgres}, "
            f"Redis :{cluster.ports.redis}, S3 :{cluster.ports.s3}; 2 schedulers, one leads). Ctrl-C stops it.",
            flush=True,
        )
        while not stop["now"]:
            for name, process in list(cluster.processes.items()):
                if process.poll() is not None:
                    print(f"{name} exited with {process.returncode}; see {root / 'logs' / (name + '.log')}", flush=True)
                    cluster.processes.pop(name)
            time.sleep(1)
    finally:
        cluster.down()
    return 0
