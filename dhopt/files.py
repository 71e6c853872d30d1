"""Files written whole or not at all, with the permissions a plain open() gives them.

The one writer of every result, batch and report file; it imports nothing heavy, so the batch and
report modules can use it without loading the model.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
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


MAX_INPUT_MB_VARIABLE = "DHOPT_MAX_INPUT_MB"
DEFAULT_MAX_INPUT_MB = 100.0  # a 200 MB GeoJSON takes ~4.5 GB of memory to load
_SPECIAL = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
            (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))  # fmt: skip


def max_input_bytes() -> float:
    """Largest input file read [bytes]: ``DHOPT_MAX_INPUT_MB`` (a positive number of MB) or 100 MB."""
    text = os.environ.get(MAX_INPUT_MB_VARIABLE, "")
    try:
        mb = float(text) if text else DEFAULT_MAX_INPUT_MB
    except ValueError:
        mb = DEFAULT_MAX_INPUT_MB
    return (mb if mb > 0 and mb == mb else DEFAULT_MAX_INPUT_MB) * 1e6


def input_file_problem(path: Path) -> str | None:
    """Why `path` cannot be read as an input file, in words ("not found", "a directory, expected a
    file", "a symlink loop", a FIFO or device, too large), or None for a regular file of a readable size.
    Checked before reading, so a FIFO never blocks and a huge file is never loaded."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return "not found" if not os.path.islink(path) else "a broken symbolic link"
    except OSError as error:  # ELOOP: a symlink loop; EACCES, ENAMETOOLONG ...
        return "a symbolic link loop" if error.errno == errno.ELOOP else f"cannot be read ({error.strerror or error})"
    if stat.S_ISDIR(info.st_mode):
        return "a directory, expected a file"
    for test, name in _SPECIAL:
        if test(info.st_mode):
            return f"{name}, expected a regular file"
    if info.st_size > max_input_bytes():
        return (
            f"{info.st_size / 1e6:.3g} MB, larger than the {max_input_bytes() / 1e6:.3g} MB an input may have "
            f"(set {MAX_INPUT_MB_VARIABLE} to read it)"
        )
    return None


def resolved(path: Path, where: str) -> Path:
    """`path` made absolute with its symbolic links followed; a symbolic-link loop is a one-line
    `dhopt.errors.CaseError` naming `where` (a file and key), not the RuntimeError or OSError of
    `Path.resolve`. A path that does not exist is returned as it is, for its reader to report."""
    from dhopt.errors import CaseError

    try:
        return path.resolve()
    except (RuntimeError, OSError) as error:
        loop = isinstance(error, RuntimeError) or getattr(error, "errno", None) == errno.ELOOP
        problem = "a symbolic link loop" if loop else f"cannot be resolved ({error.strerror or error})"
        raise CaseError(f"{where}: {path}: {problem}") from None
