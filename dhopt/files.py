"""Files written whole or not at all, with the permissions a plain open() gives them.

The one writer of every result, batch and report file; it imports nothing heavy, so the batch and
report modules can use it without loading the model.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path


def write_atomically(path: Path, write: Callable[[str], object]) -> Path:
    """`write(temporary)` to a new file beside `path`, then rename it to `path`: all or nothing.

    The temporary file is created as open() creates a file, mode 0666 less the umask (not 0600 as
    tempfile.mkstemp makes it); on any error it is removed and `path` is left as it was."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        write(str(temporary))
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def new_directory(parent: Path, prefix: str) -> Path:
    """A new, uniquely named directory in `parent`, mode 0777 less the umask as mkdir gives it (not
    0700 as tempfile.mkdtemp makes it): where a result folder is staged before its rename."""
    while True:
        path = parent / f"{prefix}{uuid.uuid4().hex[:12]}"
        try:
            path.mkdir(mode=0o777)
        except FileExistsError:
            continue
        return path


def temporary_names(name: str) -> str:
    """The glob pattern of the temporary files `write_atomically` makes for a file called `name`."""
    return f".{name}.*.tmp"


def remove_stale_temporaries(directory: Path, names) -> None:
    """Remove temporary files that an interrupted or killed writer of `names` left in `directory`."""
    for name in names:
        for stale in directory.glob(temporary_names(name)):
            stale.unlink(missing_ok=True)


def digest(path: Path) -> str:
    """SHA-256 of a file's bytes (hex), read in 1 MiB blocks."""
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def free_bytes(directory: Path) -> int:
    """Bytes free on the file system that holds `directory`."""
    return shutil.disk_usage(directory).free
