"""SHA-256 checksums of result files: a list written beside the results, and a check of a rebuilt tree against
a reference list (`neuralmi checksums REFERENCE`)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from neuralmi.errors import InputError
from neuralmi.outputs import write_atomic


def sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write(paths, out, root=".") -> None:
    """`out`: one line per file, "<sha256>  <path relative to root>", sorted by path (the format `sha256sum -c`
    reads)."""
    root = Path(root)
    lines = sorted(f"{sha256(root / p)}  {Path(p).as_posix()}" for p in paths)
    write_atomic(out, lambda tmp: Path(tmp).write_text("".join(line + "\n" for line in lines)))


def read(path) -> dict:
    """{relative path: sha256} of a checksums file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such checksums file")
    entries = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64:
            raise InputError(f"{path}, line {number}: expected '<sha256>  <path>', found {line!r}")
        entries[name] = digest
    return entries


def differences(reference, root=".") -> list[str]:
    """Every file of the reference list that is missing under `root` or whose bytes differ, in words (empty:
    the tree matches)."""
    root = Path(root)
    found = []
    for name, digest in read(reference).items():
        path = root / name
        actual = sha256(path) if path.is_file() else None
        if actual is None:
            found.append(f"{name}: missing")
        elif actual != digest:
            found.append(f"{name}: differs (sha256 {actual[:12]}…, expected {digest[:12]}…)")
    return found
