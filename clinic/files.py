"""Patients' data stays readable by the clinic's own account only.

Every process of the assistant creates its files with umask 077 (the runner and the `clinic` CLI set
it), and the folder that holds the databases, their WAL/SHM files, secrets and exports is 0700 with
0600 files inside, whatever an earlier version or a hand-made copy left there.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077
PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600


def keep_private() -> int:
    """From now on this process creates files for its own account only; returns the old umask."""
    return os.umask(PRIVATE_UMASK)


def private_folder(path: Path) -> Path:
    """Make `path` (created if missing) and everything in it readable by this account only."""
    path.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
    path.chmod(PRIVATE_FOLDER)
    for inside in path.rglob("*"):
        if inside.is_symlink():
            continue  # the link's target is not ours to change
        if inside.is_dir():
            inside.chmod(PRIVATE_FOLDER)
        elif stat.S_IMODE(inside.stat().st_mode) & 0o077:  # group or others may read or write it
            inside.chmod(PRIVATE_FILE)
    return path
