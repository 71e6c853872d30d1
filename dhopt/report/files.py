"""Write report files whole or not at all; a file that cannot be written is a `CaseError` naming it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from dhopt.errors import CaseError


def write_file(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same directory, then rename."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise CaseError(f"{path}: cannot write ({error.strerror}); choose another --out") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o644)  # a report is for sharing (mkstemp makes it private)
        os.replace(temporary, path)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise CaseError(f"{path}: cannot write ({error.strerror}); choose another --out") from None
        raise
    return path
