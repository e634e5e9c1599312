"""The processes under test: the machine, resident memory from /proc, and the bare `rasa init` floor.

The floor is Rasa's own starter assistant (`rasa init --no-prompt`) from the same install, trained once
and kept under build/bench/ (one folder per Rasa version), served with `rasa run` on a free port with
its own defaults (in-memory tracker store, no action server).
"""

from __future__ import annotations

import os
import platform
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import IO, Callable, Dict, List, Optional

import httpx

from scripts.stack import BIN, QUIET, ROOT, free_port

CACHE = ROOT / "build" / "bench"


def machine() -> Dict[str, str]:
    """Cores, memory, CPU model, OS and the versions that matter, for the report's header."""
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kb = int(meminfo.read_text().split("MemTotal:", 1)[1].split()[0])
        memory = f"{kb / 1024 / 1024:.1f} GiB"
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "cores": str(os.cpu_count()),
        "cpu": cpu,
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "rasa": version("rasa"),
        "load": load,
    }


def _children() -> Dict[int, List[int]]:
    tree: Dict[int, List[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # The command name (field 2) may hold spaces: the parent id follows its closing parenthesis.
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MB (VmRSS from /proc)."""
    tree = _children()
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(tree.get(p, []))
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


@dataclass
class MemorySampler:
    """Samples the resident memory of named processes every `every` seconds; keeps each one's peak."""

    pids: Dict[str, int]
    every: float = 0.5
    peak: Dict[str, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: Optional[threading.Thread] = None

    def __enter__(self) -> MemorySampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.every)

    def sample(self) -> None:
        for name, pid in self.pids.items():
            self.peak[name] = max(self.peak.get(name, 0.0), rss_mb(pid))

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
        self.sample()


def first_answer(url: str, is_answer: Callable[[list], bool], started: float, timeout: float) -> float:
    """Seconds from `started` until a message to `url` gets a real answer (polled every 0.25 s)."""
    deadline = started + timeout
    while time.monotonic() < deadline:
        try:
            response = httpx.post(url, json={"sender": "bench-first", "message": "hi"}, timeout=10)
            if response.status_code == 200 and is_answer(response.json()):
                return time.monotonic() - started
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.25)
    raise TimeoutError(f"no answer from {url} within {timeout:.0f}s")


def environment() -> Dict[str, str]:
    return {**os.environ, **QUIET}


def bare_project() -> Path:
    """The `rasa init` assistant for this Rasa version, trained once and cached under build/bench/."""
    project = CACHE / f"rasa-init-{version('rasa')}"
    model = project / "models" / "bare.tar.gz"
    if model.exists():
        return project
    with tempfile.TemporaryDirectory(prefix="rasa-init-") as tmp:
        work = Path(tmp) / "bare"
        work.mkdir()
        # `rasa init` trains in its new folder; its training cache goes there too, not into ours.
        done = subprocess.run(
            [str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(work)],
            cwd=tmp,
            env={**environment(), "RASA_CACHE_DIRECTORY": str(Path(tmp) / "cache")},
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"`rasa init` failed for the floor assistant:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
            )
        [trained] = (work / "models").glob("*.tar.gz")
        trained.rename(work / "models" / "bare.tar.gz")
        shutil.rmtree(work / ".rasa", ignore_errors=True)
        project.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(project, ignore_errors=True)
        shutil.copytree(work, project)
    return project


@dataclass
class BareRasa:
    """`rasa run` of the cached `rasa init` assistant on a free port, logging to `log`."""

    log: IO[str]
    port: int = field(default_factory=free_port)
    project: Path = field(default_factory=bare_project)
    process: Optional[subprocess.Popen] = None

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    @property
    def model(self) -> Path:
        return self.project / "models" / "bare.tar.gz"

    def start(self) -> BareRasa:
        self.process = subprocess.Popen(
            [
                str(BIN / "rasa"),
                "run",
                "--model",
                str(self.model),
                "--port",
                str(self.port),
                "--interface",
                "127.0.0.1",
                "--credentials",
                str(self.project / "credentials.yml"),
                "--endpoints",
                str(self.project / "endpoints.yml"),
            ],
            cwd=self.project,
            env=environment(),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
