"""Starts the whole assistant: Rasa, the action server and the API, with prefixed logs.

    python -m scripts.stack            # what `make run` does
    Stack(ports=..., var_dir=...)      # what the end-to-end tests do, on free ports

Ctrl-C (or SIGTERM) stops all three.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Dict, List, Optional

import httpx

from clinic.files import PRIVATE_UMASK, keep_private, private_folder
from clinic.settings import origins as read_origins

# Rasa keeps its connections to the action server open for up to 15 s idle (aiohttp's default); the
# action server (Sanic) closed them after 5 s, so a burst after a pause wrote into connections being
# closed ("Cannot write to closing transport": a soak test's reply lost). The server now waits longer.
ACTION_SERVER_KEEP_ALIVE = {"SANIC_KEEP_ALIVE_TIMEOUT": "75"}
ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# Secrets are never passed on to every process: each gets only those it uses (Stack.secrets_of).
SECRETS_USED_BY = {
    "CLINIC_BOT_TOKEN": ("actions", "api"),
    "CLINIC_MODEL_TOKEN": ("api",),  # Rasa's copy is in var/endpoints.yml (0600), as the action server's
    "CLINIC_ACTION_TOKEN": ("actions",),
    "CLINIC_SMTP_PASSWORD": ("api",),
}
QUIET = {
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "PYTHONWARNINGS": "ignore",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Ports:
    rasa: int = 5005
    actions: int = 5055
    api: int = 8000

    @classmethod
    def free(cls) -> Ports:
        return cls(free_port(), free_port(), free_port())


@dataclass
class Stack:
    """The three processes of the assistant, sharing one folder of SQLite files."""

    ports: Ports = field(default_factory=Ports)
    var_dir: Path = ROOT / "var"
    model: Path = ROOT / "models" / "clinic.tar.gz"
    log: IO[str] = sys.stdout
    # Rasa serves the chat channels to patients' browsers; the API and the action server are for this
    # machine (behind the clinic's web server) unless a multi-host setup says otherwise.
    rasa_interface: str = os.environ.get("RASA_INTERFACE", "0.0.0.0")
    api_host: str = os.environ.get("CLINIC_API_HOST", "127.0.0.1")
    processes: Dict[str, subprocess.Popen] = field(default_factory=dict)
    # Settings for every process on top of the environment's (tests and benchmarks lift limits).
    settings: Dict[str, str] = field(default_factory=dict)
    bot_token: str = field(
        default_factory=lambda: os.environ.get("CLINIC_BOT_TOKEN") or secrets.token_urlsafe(32)
    )
    # Rasa's key to the action server: from the environment, or new for this run.
    action_token: str = field(
        default_factory=lambda: os.environ.get("CLINIC_ACTION_TOKEN") or secrets.token_urlsafe(32)
    )
    # Rasa's key to pull the promoted model from the API (docs/teaching.md), and how often it asks.
    model_token: str = field(
        default_factory=lambda: os.environ.get("CLINIC_MODEL_TOKEN") or secrets.token_urlsafe(32)
    )

    @property
    def urls(self) -> Dict[str, str]:
        return {
            "rasa": f"http://localhost:{self.ports.rasa}",
            "actions": f"http://localhost:{self.ports.actions}",
            "api": f"http://localhost:{self.ports.api}",
        }

    @property
    def model_pull_seconds(self) -> int:
        """How often Rasa asks the API for a newly promoted model (CLINIC_MODEL_PULL_SECONDS, 30)."""
        return int({**os.environ, **self.settings}.get("CLINIC_MODEL_PULL_SECONDS") or 30)

    @property
    def allowed_origins(self) -> List[str]:
        """The clinic site's origins (CLINIC_ALLOWED_ORIGINS, spaces or commas), else the API's own."""
        return list(read_origins({**os.environ, **self.settings})) or [self.urls["api"]]

    def _endpoints(self) -> Path:
        """Rasa's endpoints for these ports: the action server (and its secret), the tracker store, and the
        API as its model server (with Rasa's key to it)."""
        path = self.var_dir / "endpoints.yml"
        draft = path.with_name(".endpoints.yml")
        # It holds the action server's secret: readable by this account only.
        draft.touch(mode=0o600)
        draft.chmod(0o600)
        draft.write_text(
            f'action_endpoint:\n  url: "{self.urls["actions"]}/webhook"\n'
            f'  headers:\n    Authorization: "Bearer {self.action_token}"\n'
            f'tracker_store:\n  type: bot.tracker_store.ClinicTrackerStore\n  dialect: "sqlite"\n'
            f'  db: "{self.var_dir / "rasa_tracker.db"}"\n'
            f'models:\n  url: "{self.urls["api"]}/api/model"\n'
            f"  wait_time_between_pulls: {self.model_pull_seconds}\n"  # Rasa's own default: 100
            f'  headers:\n    Authorization: "Bearer {self.model_token}"\n'
        )
        draft.replace(path)
        return path

    def commands(self) -> Dict[str, List[str]]:
        return {
            "rasa": [
                str(BIN / "rasa"),
                "run",
                "--model",
                str(self.model),
                "--endpoints",
                str(self._endpoints()),
                "--credentials",
                str(ROOT / "credentials.yml"),
                "--port",
                str(self.ports.rasa),
                "--interface",
                self.rasa_interface,
                "--cors",
                *self.allowed_origins,
            ],
            "actions": [
                str(BIN / "python"),
                "-m",
                "actions.server",
                "--port",
                str(self.ports.actions),
            ],
            "api": [
                str(BIN / "uvicorn"),
                "api.main:app",
                "--host",
                self.api_host,
                "--port",
                str(self.ports.api),
                "--ws",
                "none",
            ],  # Rasa pins an old websockets,
        }

    def environment(self) -> Dict[str, str]:
        """What every process is told (no secrets: `environment_of` adds each process's own)."""
        return {
            **{key: value for key, value in os.environ.items() if key not in SECRETS_USED_BY},
            **QUIET,
            "CLINIC_API_URL": self.urls["api"],
            "CLINIC_OUTBOX_DB": str(self.var_dir / "outbox.db"),
            "CLINIC_HANDOFFS_DB": str(self.var_dir / "handoffs.db"),
            "CLINIC_RASA_TRACKER_DB": str(self.var_dir / "rasa_tracker.db"),
            "RASA_URL": self.urls["rasa"],
            "ACTION_SERVER_URL": self.urls["actions"],
            "CLINIC_KNOWLEDGE_DB": str(self.var_dir / "knowledge.db"),
            "CLINIC_MODEL": str(self.model),  # what Rasa runs until staff promote a retrained one
            "CLINIC_MODELS_DIR": str(self.var_dir / "models"),
            # The key that signs the chat's conversation tokens (bot/sessions.py), made once, 0600.
            "CLINIC_CHAT_SESSION_KEY_FILE": str(self.var_dir / "chat_session_key"),
            # Rasa's CORS, its socket.io channel and the API's public endpoints allow the same origins.
            "CLINIC_ALLOWED_ORIGINS": " ".join(self.allowed_origins),
            **self.settings,
        }

    def secrets_of(self, name: str) -> Dict[str, str]:
        """Each secret only where it is used: the action server holds both (Rasa's key to it comes in
        var/endpoints.yml, not the environment); the API checks the assistant's token; the
        internet-facing Rasa holds neither."""
        values = {
            **os.environ,
            "CLINIC_BOT_TOKEN": self.bot_token,  # from the environment, or new for this run
            "CLINIC_ACTION_TOKEN": self.action_token,
            "CLINIC_MODEL_TOKEN": self.model_token,
        }
        return {
            secret: values[secret]
            for secret, used_by in SECRETS_USED_BY.items()
            if name in used_by and values.get(secret)
        }

    def environment_of(self, name: str) -> Dict[str, str]:
        environment = {**self.environment(), **self.secrets_of(name)}
        if name == "actions":
            environment.update(ACTION_SERVER_KEEP_ALIVE)
        return environment

    def start(self, only: Optional[str] = None) -> Stack:
        """Start every process, or just one (to restart it after `stop(name)`)."""
        private_folder(self.var_dir)  # patients' data: this account only, whatever was there before
        commands = self.commands()
        for name in [only] if only else list(commands):
            self._launch(name, commands)
        return self

    def _launch(self, name: str, commands: Dict[str, List[str]]) -> None:
        """Start one process in its own session, its output relayed with its name in front."""
        process = subprocess.Popen(
            commands[name],
            cwd=ROOT,
            env=self.environment_of(name),
            umask=PRIVATE_UMASK,  # every file a process creates is 0600
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        self.processes[name] = process
        width = max(len(n) for n in commands)
        threading.Thread(target=self._relay, args=(name.ljust(width), process), daemon=True).start()

    def _relay(self, prefix: str, process: subprocess.Popen) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.log.write(f"{prefix} | {line}")
            self.log.flush()

    def wait_until_ready(self, timeout: float = 180.0, names: Optional[List[str]] = None) -> None:
        """Block until Rasa has loaded its model, the action server and the API answer (or those named)."""
        checks = {
            "rasa": f"{self.urls['rasa']}/webhooks/rest/",
            "actions": f"{self.urls['actions']}/health",
            "api": f"{self.urls['api']}/",
        }
        deadline = time.monotonic() + timeout
        waiting = {name: url for name, url in checks.items() if names is None or name in names}
        while waiting:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with code {process.returncode}; see its log above")
            for name, url in list(waiting.items()):
                try:
                    if httpx.get(url, timeout=1.0).status_code < 500:
                        del waiting[name]
                except httpx.HTTPError:
                    pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"not ready after {timeout:.0f}s: {', '.join(waiting)}")
            time.sleep(0.5)

    def kill(self, name: str) -> None:
        """Kill one process at once (SIGKILL), as a crash or a pulled plug would."""
        process = self.processes[name]
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop(self, name: Optional[str] = None) -> None:
        """Stop one process, or all of them: SIGTERM, then SIGKILL after 10 s."""
        names = [name] if name else list(self.processes)
        for n in names:
            process = self.processes[n]
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for n in names:
            process = self.processes[n]
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def main() -> None:
    keep_private()
    stack = Stack().start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C, even if our parent ignored it
    try:
        stack.wait_until_ready()
        urls = stack.urls
        print(
            "\nThe clinic assistant is running:\n"
            f"  Web page and staff API   {urls['api']}/   (health: {urls['api']}/healthz; staff: {urls['api']}/staff)\n"
            f"  Rasa (REST and socket.io) {urls['rasa']}/webhooks/rest/webhook\n"
            f"  Action server            {urls['actions']}/health\n"
            "Try:  curl -s localhost:5005/webhooks/rest/webhook "
            '-d \'{"sender":"a","message":"does dry needling hurt?"}\'\n'
            "Press Ctrl-C to stop.\n",
            flush=True,
        )
        while all(p.poll() is None for p in stack.processes.values()):
            time.sleep(1)
        print("A process stopped; stopping the others.", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
