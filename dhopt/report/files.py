"""Write report files whole or not at all; a file that cannot be written is a `CaseError` naming it."""

from __future__ import annotations

from pathlib import Path

from dhopt.errors import CaseError
from dhopt.files import write_atomically


def write_file(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same directory, then rename."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return write_atomically(path, lambda temporary: Path(temporary).write_bytes(data))
    except OSError as error:
        raise CaseError(f"{path}: cannot write ({error.strerror}); choose another --out") from None
