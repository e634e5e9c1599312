"""Print a file's Subresource-Integrity-style SHA-512 (`sha512-<base64>`), the form npm publishes.

python -m scripts.integrity FILE
"""

from __future__ import annotations

import base64
import hashlib
import sys
from pathlib import Path


def integrity(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


if __name__ == "__main__":
    print(integrity(Path(sys.argv[1])))
