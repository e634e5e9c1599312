"""Several Rasa instances and action servers behind nginx, on PostgreSQL and Redis: `make run-scaled`.

    python -m scripts.scaled                         # what `make run-scaled` does (CLINIC_INSTANCES, default 2)
    python -m scripts.scaled --parts instances       # only this machine's instances (README "Scale-out")
    Scaled(instances=2, ports=ScaledPorts.free(2), var_dir=...)   # what tests/test_scaled.py does

Every server is one of our own processes, run by scripts/stack.py's runner with its data and its
generated configuration under var/: Debian's PostgreSQL (the conversations, Rasa's SQL tracker store),
Redis (Rasa's RedisLockStore, made atomic in bot/lock_store.py: one conversation's messages are handled
one at a time, whichever instance takes them) and nginx (the chat port, REST round robin, socket.io sticky by address). No system service.

What the instances share: the tracker store, the lock store, the key that signs the chat's
conversation tokens, the action server's secret and the assistant's token to the API, and the one API.
What each keeps to itself: its action server's outbox (var/instance-N/), its knowledge base, its chat
rate limits and the message ids it has taken (both per process: see README "Scale-out").
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Dict, List, Optional, Tuple
from urllib.parse import quote, urlsplit

from clinic.files import keep_private, private_folder
from clinic.secrets import kept_secret
from scripts.stack import ROOT, Ports, Stack, free_port

ENDPOINTS = ROOT / "endpoints.scaled.yml"
PARTS = ("data", "api", "instances", "balancer")
DATABASE = "rasa"
DATABASE_USER = "clinic"
# Each Rasa instance's connections to PostgreSQL (SQLAlchemy's pool; Rasa's default is 50 + 100 each,
# more than PostgreSQL's 100 for two instances).
POOL = {"SQL_POOL_SIZE": "10", "SQL_MAX_OVERFLOW": "10"}


class ScaledError(RuntimeError):
    """Something this machine lacks to run the scaled set-up; the message says what to do."""


@dataclass
class ScaledPorts:
    """The chat port (nginx) and the API keep `make run`'s ports; each instance gets its own pair."""

    chat: int = 5005
    api: int = 8000
    postgres: int = 5433
    redis: int = 6380
    rasa: List[int] = field(default_factory=list)
    actions: List[int] = field(default_factory=list)

    @classmethod
    def default(cls, instances: int) -> ScaledPorts:
        return cls(
            rasa=[5010 + n for n in range(1, instances + 1)],
            actions=[5060 + n for n in range(1, instances + 1)],
        )

    @classmethod
    def free(cls, instances: int) -> ScaledPorts:
        return cls(
            free_port(),
            free_port(),
            free_port(),
            free_port(),
            [free_port() for _ in range(instances)],
            [free_port() for _ in range(instances)],
        )


@dataclass(frozen=True)
class LockStore:
    """Where Rasa's RedisLockStore is: CLINIC_LOCK_STORE_URL, redis://[:password@]host:port[/db]."""

    host: str
    port: int
    password: str = ""
    db: int = 1

    @classmethod
    def from_url(cls, url: str) -> LockStore:
        parts = urlsplit(url)
        if parts.scheme != "redis" or not parts.hostname:
            raise ScaledError(
                f"CLINIC_LOCK_STORE_URL={url!r} is not a Redis URL: write redis://:password@host:port/db"
            )
        db = parts.path.strip("/")
        return cls(parts.hostname, parts.port or 6379, parts.password or "", int(db) if db else 1)

    @property
    def url(self) -> str:
        password = f":{quote(self.password, safe='')}@" if self.password else ""
        return f"redis://{password}{self.host}:{self.port}/{self.db}"

    def environment(self) -> Dict[str, str]:
        """What endpoints.scaled.yml's lock_store reads."""
        return {
            "CLINIC_LOCK_STORE_HOST": self.host,
            "CLINIC_LOCK_STORE_PORT": str(self.port),
            "CLINIC_LOCK_STORE_PASSWORD": self.password,
            "CLINIC_LOCK_STORE_DB": str(self.db),
        }


def postgres_bin() -> Path:
    """Debian's PostgreSQL server programs (CLINIC_POSTGRES_BIN, else the newest installed)."""
    given = os.environ.get("CLINIC_POSTGRES_BIN")
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parts[-3]))
    folder = Path(given) if given else (found[-1].parent if found else None)
    if folder is None or not (folder / "postgres").exists():
        raise ScaledError(
            "PostgreSQL's server is not installed: apt-get install postgresql "
            "(or set CLINIC_POSTGRES_BIN to the folder holding `postgres` and `initdb`)"
        )
    return folder


def program(name: str, package: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if not found:
        raise ScaledError(f"{name} is not installed: apt-get install {package}")
    return found


def as_postgres_user(command: List[str]) -> List[str]:
    """PostgreSQL refuses to run as root: as root, run it as Debian's `postgres` account."""
    if os.geteuid() != 0:
        return command
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--", *command]


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


@dataclass
class DataServers(Stack):
    """PostgreSQL, Redis and nginx as our own processes, data and configuration under var/."""

    scaled_ports: ScaledPorts = field(default_factory=ScaledPorts)
    # The address the data servers listen on: other machines' instances need one they can reach.
    listen: str = "127.0.0.1"
    upstreams: List[str] = field(default_factory=list)  # host:port of every Rasa instance
    parts: Tuple[str, ...] = ("data", "balancer")

    @property
    def postgres_dir(self) -> Path:
        return self.var_dir / "postgres"

    def database_password(self) -> str:
        return kept_secret(self.var_dir / "postgres_password")

    def redis_password(self) -> str:
        return kept_secret(self.var_dir / "redis_password")

    @property
    def tracker_store_url(self) -> str:
        host = "127.0.0.1" if self.listen in ("0.0.0.0", "*") else self.listen
        return (
            f"postgresql://{DATABASE_USER}:{quote(self.database_password(), safe='')}"
            f"@{host}:{self.scaled_ports.postgres}/{DATABASE}"
        )

    @property
    def lock_store(self) -> LockStore:
        host = "127.0.0.1" if self.listen in ("0.0.0.0", "*") else self.listen
        return LockStore(host, self.scaled_ports.redis, self.redis_password(), 1)

    def commands(self) -> Dict[str, List[str]]:
        commands = {}
        if "data" in self.parts:
            commands["postgres"] = as_postgres_user(
                [
                    str(postgres_bin() / "postgres"),
                    "-D",
                    str(self.postgres_dir),
                    "-p",
                    str(self.scaled_ports.postgres),
                    "-c",
                    f"listen_addresses={self.listen if self.listen != '0.0.0.0' else '*'}",
                    "-c",
                    "unix_socket_directories=",
                    "-c",
                    "max_connections=100",
                ]
            )
            commands["redis"] = [program("redis-server", "redis-server"), str(self._redis_config())]
        if "balancer" in self.parts:
            nginx = self.var_dir / "nginx"
            commands["nginx"] = [
                program("nginx", "nginx"),
                "-p",
                str(nginx),
                "-c",
                str(self._nginx_config()),
                "-e",
                "stderr",
                "-g",
                "daemon off;",
            ]
        return commands

    def start(self, only: Optional[str] = None) -> DataServers:
        private_folder(self.var_dir)
        if "data" in self.parts and only in (None, "postgres"):
            self._prepare_postgres()  # after private_folder: as root, it lets `postgres` through var/
        commands = self.commands()
        for name in [only] if only else list(commands):
            self._launch(name, commands)
        return self

    def _prepare_postgres(self) -> None:
        """A new database cluster on the first start (initdb), password-protected, for our account."""
        bin_dir = postgres_bin()
        if os.geteuid() == 0:
            self._let_postgres_in()
        if (self.postgres_dir / "PG_VERSION").exists():
            return
        self.postgres_dir.mkdir(mode=0o700, exist_ok=True)
        password_file = self.var_dir / ".postgres_password_for_initdb"
        password_file.write_text(self.database_password() + "\n")
        if os.geteuid() == 0:
            shutil.chown(self.postgres_dir, "postgres", "postgres")
            shutil.chown(password_file, "postgres", "postgres")
        try:
            subprocess.run(
                as_postgres_user(
                    [
                        str(bin_dir / "initdb"),
                        "-D",
                        str(self.postgres_dir),
                        f"--username={DATABASE_USER}",
                        f"--pwfile={password_file}",
                        "--auth=scram-sha-256",
                        "--encoding=UTF8",
                        "--locale=C",
                    ]
                ),
                check=True,
                capture_output=True,
                text=True,
            )
        except subprocess.CalledProcessError as error:
            raise ScaledError(f"initdb failed:\n{error.stdout}{error.stderr}") from error
        finally:
            password_file.unlink(missing_ok=True)

    def _let_postgres_in(self) -> None:
        """As root, PostgreSQL runs as `postgres`: it may pass through var/ (group search only, no
        listing, no reading: every file in it stays 0600) to its own folder."""
        for folder in reversed(self.var_dir.resolve().parents):
            if folder != Path("/") and not folder.stat().st_mode & 0o001:
                raise ScaledError(
                    f"PostgreSQL runs as the postgres account and cannot pass through {folder}: "
                    "choose a var folder whose parents others may enter (chmod o+x), e.g. under /tmp"
                )
        shutil.chown(self.var_dir, group="postgres")
        self.var_dir.chmod(0o710)

    def _redis_config(self) -> Path:
        folder = self.var_dir / "redis"
        folder.mkdir(mode=0o700, exist_ok=True)
        path = folder / "redis.conf"
        path.touch(mode=0o600)
        # Locks live seconds: nothing to persist, nothing to save to disk.
        path.write_text(
            f"port {self.scaled_ports.redis}\nbind {self.listen}\nprotected-mode yes\n"
            f'requirepass "{self.redis_password()}"\ndir {folder}\nsave ""\nappendonly no\n'
            'daemonize no\nlogfile ""\nloglevel warning\ndatabases 4\n'
        )
        return path

    def _nginx_config(self) -> Path:
        folder = self.var_dir / "nginx"
        folder.mkdir(mode=0o700, exist_ok=True)
        servers = "".join(
            f"    server {address} max_fails=1 fail_timeout=5s;\n" for address in self.upstreams
        )
        path = folder / "nginx.conf"
        path.write_text(
            NGINX.replace("CHAT_PORT", str(self.scaled_ports.chat))
            .replace("SERVERS\n", servers)
            .replace("FOLDER", str(folder))
        )
        return path

    def wait_until_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        host = "127.0.0.1" if self.listen in ("0.0.0.0", "*") else self.listen
        ports = {"postgres": self.scaled_ports.postgres, "redis": self.scaled_ports.redis}
        waiting = {name: ports.get(name, self.scaled_ports.chat) for name in self.processes}
        while waiting:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with code {process.returncode}; see its log above")
            for name, port in list(waiting.items()):
                if reachable(host if name != "nginx" else "127.0.0.1", port):
                    del waiting[name]
            if time.monotonic() > deadline:
                raise TimeoutError(f"not ready after {timeout:.0f}s: {', '.join(waiting)}")
            time.sleep(0.3)
        if "postgres" in self.processes:
            self._create_database(deadline)

    def _create_database(self, deadline: float) -> None:
        import psycopg2

        dsn = self.tracker_store_url.rsplit("/", 1)[0] + "/postgres"
        while True:
            try:
                connection = psycopg2.connect(dsn)
                break
            except psycopg2.OperationalError:  # accepting connections a moment after it listens
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        connection.autocommit = True  # CREATE DATABASE runs outside a transaction
        try:
            with connection.cursor() as cursor:
                cursor.execute("select 1 from pg_database where datname = %s", [DATABASE])
                if cursor.fetchone() is None:
                    cursor.execute(f"create database {DATABASE}")
        finally:
            connection.close()

    def stop(self, name: Optional[str] = None) -> None:
        # PostgreSQL's "fast" shutdown (SIGINT): it ends its clients' sessions instead of waiting for them.
        for n in [name] if name else list(self.processes):
            if n == "postgres" and self.processes[n].poll() is None:
                os.killpg(self.processes[n].pid, signal.SIGINT)
        super().stop(name)


# REST goes round robin (any instance can answer any message: the conversation is in PostgreSQL, the
# lock in Redis); socket.io sticks to one instance per client address (its polling transport keeps
# the session in that process), with the WebSocket upgrade passed through. A POST that reached an
# instance is never retried on another (nginx's default): a message is handled at most once.
NGINX = """# Generated by scripts/scaled.py: edit the upstreams there, or copy this file for your own nginx.
worker_processes 1;
pid FOLDER/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path FOLDER/client_body;
  proxy_temp_path FOLDER/proxy;
  fastcgi_temp_path FOLDER/fastcgi;
  uwsgi_temp_path FOLDER/uwsgi;
  scgi_temp_path FOLDER/scgi;
  # Chat messages are small: kept in memory (nothing written to disk), at most 64 KB.
  client_max_body_size 64k;
  client_body_buffer_size 64k;
  proxy_buffers 16 16k;
  proxy_max_temp_file_size 0;
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  upstream rasa {
SERVERS
    keepalive 64;
    keepalive_timeout 4s;  # under Rasa's (Sanic's 5 s): nginx lets an idle connection go first
  }
  upstream rasa_sticky {
    ip_hash;
SERVERS
  }
  server {
    listen CHAT_PORT;
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    location /socket.io/ {
      proxy_pass http://rasa_sticky;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_buffering off;
      proxy_read_timeout 1h;
    }
    location / {
      proxy_pass http://rasa;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_read_timeout 120s;
    }
  }
}
"""


@dataclass
class Instance(Stack):
    """One Rasa and its action server; its own folder (var/instance-N: outbox, knowledge base, endpoints),
    everything else shared."""

    number: int = 1
    shared_dir: Path = ROOT / "var"
    api_url: str = "http://localhost:8000"
    tracker_store_url: str = ""
    lock_store: LockStore = field(default_factory=lambda: LockStore("127.0.0.1", 6380))

    @property
    def urls(self) -> Dict[str, str]:
        return {**super().urls, "api": self.api_url}

    def _endpoints(self) -> Path:
        """endpoints.scaled.yml with this instance's action server and its secret written in (0600);
        Rasa fills in the stores' ${...} from its environment."""
        path = self.var_dir / "endpoints.yml"
        draft = path.with_name(".endpoints.yml")
        draft.touch(mode=0o600)
        draft.chmod(0o600)
        draft.write_text(
            ENDPOINTS.read_text()
            .replace("${CLINIC_ACTION_SERVER_URL}", self.urls["actions"])
            .replace("${CLINIC_ACTION_TOKEN}", self.action_token)
        )
        draft.replace(path)
        return path

    def commands(self) -> Dict[str, List[str]]:
        commands = super().commands()
        return {"rasa": commands["rasa"], "actions": commands["actions"]}

    def environment(self) -> Dict[str, str]:
        return {
            **super().environment(),
            "CLINIC_API_URL": self.api_url,
            "CLINIC_HANDOFFS_DB": str(self.shared_dir / "handoffs.db"),
            "CLINIC_CHAT_SESSION_KEY_FILE": str(self.shared_dir / "chat_session_key"),
            **self.settings,
        }

    def environment_of(self, name: str) -> Dict[str, str]:
        environment = super().environment_of(name)  # the action server's keep-alive included
        if name == "rasa":  # the stores' addresses and passwords: Rasa's only
            environment.update(
                {"CLINIC_TRACKER_STORE_URL": self.tracker_store_url, **self.lock_store.environment(), **POOL}
            )
        return environment

    def _relay(self, prefix: str, process: subprocess.Popen) -> None:
        super()._relay(f"{prefix.strip()}-{self.number}".ljust(9), process)


@dataclass
class Scaled:
    """The data servers, the API, N instances and the load balancer, started and stopped together."""

    instances: int = 2
    ports: Optional[ScaledPorts] = None
    var_dir: Path = ROOT / "var"
    model: Path = ROOT / "models" / "clinic.tar.gz"
    log: IO[str] = sys.stdout
    settings: Dict[str, str] = field(default_factory=dict)
    parts: Tuple[str, ...] = PARTS
    # Where instances listen and data servers listen: an address other machines reach (README).
    listen: str = field(default_factory=lambda: os.environ.get("CLINIC_SCALED_LISTEN", "127.0.0.1"))
    # Rasa instances on other machines for this machine's nginx to balance over too (host:port ...).
    extra_upstreams: List[str] = field(
        default_factory=lambda: os.environ.get("CLINIC_RASA_UPSTREAMS", "").replace(",", " ").split()
    )
    tracker_store_url: Optional[str] = field(
        default_factory=lambda: os.environ.get("CLINIC_TRACKER_STORE_URL")
    )
    lock_store_url: Optional[str] = field(default_factory=lambda: os.environ.get("CLINIC_LOCK_STORE_URL"))
    api_url: Optional[str] = None
    # One of each secret for every instance (the environment's, or new for this run, like Stack's).
    bot_token: str = field(default_factory=lambda: Stack().bot_token)
    action_token: str = field(default_factory=lambda: Stack().action_token)
    servers: Optional[DataServers] = None
    api: Optional[Stack] = None
    members: List[Instance] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ports = self.ports or ScaledPorts.default(self.instances)
        external = (self.tracker_store_url, self.lock_store_url)
        data = "data" in self.parts and not all(external)
        if "data" in self.parts and any(external) and not all(external):
            raise ScaledError("Give both CLINIC_TRACKER_STORE_URL and CLINIC_LOCK_STORE_URL, or neither")
        if "instances" in self.parts and "data" not in self.parts and not all(external):
            raise ScaledError(
                "Without --parts data, the instances need CLINIC_TRACKER_STORE_URL "
                "(postgresql://user:password@host:port/db) and CLINIC_LOCK_STORE_URL "
                "(redis://:password@host:port/db) of the machine that runs them"
            )
        # nginx believes the X-Forwarded-For of these (the chat limits count the patient's address).
        self.settings = {
            "CLINIC_TRUSTED_PROXIES": os.environ.get("CLINIC_TRUSTED_PROXIES", "127.0.0.1"),
            **self.settings,
        }
        here = (
            [f"{self._reach(self.listen)}:{port}" for port in self.ports.rasa]
            if "instances" in self.parts
            else []
        )
        self.servers = DataServers(
            ports=Ports(self.ports.chat, 0, self.ports.api),
            var_dir=self.var_dir,
            log=self.log,
            settings=self.settings,
            scaled_ports=self.ports,
            listen=self.listen,
            upstreams=here + self.extra_upstreams,
            parts=tuple(p for p in ("data", "balancer") if p in self.parts and (p != "data" or data)),
        )
        if "api" in self.parts:
            self.api = Stack(
                ports=Ports(
                    self.ports.chat, self.ports.actions[0] if self.ports.actions else 0, self.ports.api
                ),
                var_dir=self.var_dir,
                model=self.model,
                log=self.log,
                settings=self.settings,
                bot_token=self.bot_token,
                action_token=self.action_token,
            )
            self.api_url = self.api.urls["api"]
        self.api_url = self.api_url or os.environ.get("CLINIC_API_URL") or "http://localhost:8000"
        if "balancer" in self.parts and not self.servers.upstreams:
            raise ScaledError(
                "nginx has no Rasa instance to send to: run instances here or list CLINIC_RASA_UPSTREAMS"
            )

    @staticmethod
    def _reach(listen: str) -> str:
        return "127.0.0.1" if listen in ("0.0.0.0", "*") else listen

    @property
    def urls(self) -> Dict[str, str]:
        assert self.ports is not None
        return {"rasa": f"http://localhost:{self.ports.chat}", "api": str(self.api_url)}

    def clinic_environment(self) -> Dict[str, str]:
        """What the `clinic` command needs to reach everything this set-up keeps about patients: the
        API's database, Rasa's endpoints with the tracker store's URL they read (PostgreSQL), and the
        var folder whose instance-N/outbox.db are the action servers' outboxes."""
        assert self.servers is not None
        return {
            "CLINIC_HANDOFFS_DB": str(self.var_dir / "handoffs.db"),
            "CLINIC_OUTBOX_DB": str(self.var_dir / "outbox.db"),
            "CLINIC_RASA_ENDPOINTS": str(ENDPOINTS),
            "CLINIC_TRACKER_STORE_URL": self.tracker_store_url or self.servers.tracker_store_url,
        }

    def _write_clinic_environment(self) -> None:
        """var/clinic.env (0600, it holds the database's password): `set -a; . var/clinic.env` before
        `clinic purge`, `forget` or `backup` on this machine (README "Scale-out")."""
        path = self.var_dir / "clinic.env"
        draft = path.with_name(".clinic.env")
        draft.touch(mode=0o600)
        draft.chmod(0o600)
        draft.write_text(
            "# Written by scripts/scaled.py for the clinic command: set -a; . var/clinic.env; set +a\n"
            + "".join(f"{name}={shlex.quote(value)}\n" for name, value in self.clinic_environment().items())
        )
        draft.replace(path)

    def instance(self, number: int) -> Instance:
        """Instance `number` (1 to N), made on first use."""
        assert self.ports is not None and self.servers is not None
        while len(self.members) < number:
            n = len(self.members) + 1
            tracker = self.tracker_store_url or self.servers.tracker_store_url
            lock = LockStore.from_url(self.lock_store_url) if self.lock_store_url else self.servers.lock_store
            self.members.append(
                Instance(
                    ports=Ports(self.ports.rasa[n - 1], self.ports.actions[n - 1], self.ports.api),
                    var_dir=self.var_dir / f"instance-{n}",
                    model=self.model,
                    log=self.log,
                    rasa_interface=self.listen,
                    settings=self.settings,
                    bot_token=self.bot_token,
                    action_token=self.action_token,
                    number=n,
                    shared_dir=self.var_dir,
                    api_url=str(self.api_url),
                    tracker_store_url=tracker,
                    lock_store=lock,
                )
            )
        return self.members[number - 1]

    def start(self) -> Scaled:
        assert self.servers is not None
        private_folder(self.var_dir)
        if self.api is not None:
            # The staff pages' "forget a patient" deletes the conversation too, from the tracker store
            # that `clinic` reads (the same environment: Rasa's endpoints file and the store's URL).
            if self.tracker_store_url or "data" in self.servers.parts:
                self.api.settings = {**self.api.settings, **self.clinic_environment()}
            self.api.start("api")
        self.servers.start()
        self.servers.wait_until_ready()
        if self.tracker_store_url or "data" in self.servers.parts:
            self._write_clinic_environment()
        if "instances" in self.parts:
            for n in range(1, self.instances + 1):
                self.instance(n).start()
        return self

    def wait_until_ready(self, timeout: float = 240.0) -> None:
        deadline = time.monotonic() + timeout
        if self.api is not None:
            self.api.wait_until_ready(timeout, names=["api"])
        for member in self.members:
            if member.processes:
                member.wait_until_ready(max(1.0, deadline - time.monotonic()), names=["rasa", "actions"])

    def kill_instance(self, number: int) -> None:
        """Kill one instance's Rasa and action server at once (SIGKILL), as a crashed machine would."""
        for name in ("rasa", "actions"):
            self.instance(number).kill(name)

    def start_instance(self, number: int) -> None:
        member = self.instance(number)
        member.start()
        member.wait_until_ready(240, names=["rasa", "actions"])

    def stop(self) -> None:
        for member in self.members:
            if member.processes:
                member.stop()
        if self.api is not None and self.api.processes:
            self.api.stop()
        if self.servers is not None and self.servers.processes:
            self.servers.stop()


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--instances", type=int, default=int(os.environ.get("CLINIC_INSTANCES", "2")), help="Rasa instances"
    )
    parser.add_argument(
        "--parts",
        default=",".join(PARTS),
        help=f"which parts run on this machine, of {','.join(PARTS)} (default: all)",
    )
    parser.add_argument(
        "--var",
        type=Path,
        default=ROOT / "var",
        help="the folder for data, configuration and logs (default var/)",
    )
    args = parser.parse_args(argv)
    parts = tuple(part.strip() for part in args.parts.split(",") if part.strip())
    unknown = set(parts) - set(PARTS)
    if unknown or args.instances < 1:
        parser.error(f"unknown parts {', '.join(sorted(unknown))}" if unknown else "at least one instance")
    keep_private()
    try:
        scaled = Scaled(instances=args.instances, parts=parts, var_dir=args.var.resolve())
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        signal.signal(signal.SIGINT, signal.default_int_handler)
        scaled.start()
    except ScaledError as error:
        sys.exit(str(error))
    try:
        scaled.wait_until_ready()
        assert scaled.ports is not None
        print(
            f"\nThe clinic assistant is running, {len(scaled.members)} instance(s) here:\n"
            f"  Chat (nginx: REST and socket.io)  {scaled.urls['rasa']}/webhooks/rest/webhook\n"
            f"  Web page and staff API           {scaled.urls['api']}/\n"
            + "".join(
                f"  Instance {m.number}: Rasa {m.urls['rasa']}, action server {m.urls['actions']}\n"
                for m in scaled.members
            )
            + "Press Ctrl-C to stop.\n",
            flush=True,
        )
        everything = [scaled.servers, scaled.api, *scaled.members]
        while all(p.poll() is None for s in everything if s for p in s.processes.values()):
            time.sleep(1)
        print("A process stopped; stopping the others.", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
    finally:
        # A second Ctrl-C must not cut the stopping short and leave servers running with no runner.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        scaled.stop()


if __name__ == "__main__":
    main()
