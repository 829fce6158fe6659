"""The files beside the graphs that both check engines and the source pages read: the source texts
of ``data/sources/`` (read without following links, size-capped, checksummed) and the reference lists
of ``data/reference/``. A name always comes from the data, never from a request: these functions
refuse anything but a bare file name of the one folder they are given.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import os
import re
import stat
from pathlib import Path

from rdflib import URIRef

from nexus_ld.namespaces import NX

# A bare file name: no folder, no "..", no leading dot (hidden files), a conservative character set.
SOURCE_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*")


class SourceFileError(Exception):
    """A source text that cannot be used; ``message`` names no path outside data/sources/ and shows
    nothing of any file, ``path`` is the property to blame (nx:textFile or nx:sha256)."""

    def __init__(self, message: str, path: URIRef) -> None:
        super().__init__(message)
        self.message, self.path = message, path


def read_source_file(sources_dir: Path, name: str, max_bytes: int) -> bytes:
    """The bytes of ``data/sources/<name>``: the one way both check engines read a source text.

    ``name`` must be a bare file name; the file is opened relative to the folder without following a
    symbolic link (``O_NOFOLLOW``), must be a regular file (``fstat``; no device, FIFO or folder) and
    at most ``max_bytes`` long (at most ``max_bytes + 1`` bytes are ever read).

    Raises:
        SourceFileError: any of these fails.
    """
    if not SOURCE_FILE_NAME.fullmatch(name) or len(name) > 200:
        raise SourceFileError(
            "nx:textFile must be a bare file name of data/sources/ (letters, digits, '.', '_', '-'; "
            "no '/', no '..', no leading '.')",
            NX.textFile,
        )
    missing = SourceFileError(f"Source text file not found: data/sources/{name}", NX.textFile)
    not_regular = SourceFileError(
        f"data/sources/{name} is not a regular file (a symbolic link, device or folder)", NX.textFile
    )
    try:
        folder = os.open(sources_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        raise missing from None
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer (fstat refuses it next).
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        fd = os.open(name, flags, dir_fd=folder)
    except OSError as exc:
        raise (not_regular if exc.errno == errno.ELOOP else missing) from None
    finally:
        os.close(folder)
    too_large = SourceFileError(
        f"data/sources/{name} is larger than {max_bytes} bytes (setting max_source_bytes)", NX.textFile
    )
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise not_regular
        if info.st_size > max_bytes:
            raise too_large
        with os.fdopen(fd, "rb", closefd=False) as fh:
            raw = fh.read(max_bytes + 1)  # the file may have grown since fstat
    finally:
        os.close(fd)
    if len(raw) > max_bytes:
        raise too_large
    return raw


def source_text(sources_dir: Path, name: str, expected_sha256: str, max_bytes: int) -> str:
    """The text of ``data/sources/<name>`` when its SHA-256 is ``expected_sha256`` (the quote checks).

    Raises:
        SourceFileError: unreadable (``read_source_file``), another checksum, or not UTF-8.
    """
    raw = read_source_file(sources_dir, name, max_bytes)
    if hashlib.sha256(raw).hexdigest() != expected_sha256.lower():
        # Never the checksum itself: it would tell what the file holds.
        raise SourceFileError(
            f"Checksum mismatch: data/sources/{name} does not have the SHA-256 its nx:sha256 gives",
            NX.sha256,
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SourceFileError(f"data/sources/{name} is not UTF-8 text", NX.textFile) from None


def reference_column(path: Path, column: str) -> set[str]:
    """The values of one column of a tab-separated reference list (empty when the file is missing)."""
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            return {row[column].strip() for row in csv.DictReader(fh, delimiter="\t") if row.get(column)}
    except FileNotFoundError:
        return set()
