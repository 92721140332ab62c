"""Atomic writers: an output appears complete under its final name or not at all."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pandas as pd

from neuralmi.errors import InputError

PARQUET_MAGIC = b"PAR1"


def write_atomic(path, write) -> None:
    """Call `write(tmp_path)` on a temporary file beside `path`, then rename it to `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path, data: dict) -> None:
    def write(tmp):
        Path(tmp).write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")

    write_atomic(path, write)


def write_parquet(path, frame) -> None:
    write_atomic(path, lambda tmp: frame.to_parquet(tmp, index=False))


WORKFLOW_REBUILD = ("run snakemake again: at startup it removes damaged outputs and rebuilds them and what depends on "
                    "them (or rebuild this one with --forcerun {path})")


def _read_output(path, load, kind: str, rebuild: str):
    """`load(path)`, or an InputError naming the file when it is missing, empty, truncated or corrupt, with `rebuild`:
    how to make it again ('{path}' stands for the file). Never read silently."""
    try:
        return load(path)
    except (ValueError, OSError) as exc:
        if not Path(path).is_file():
            raise InputError(f"{path}: missing; {rebuild.format(path=path)}") from exc
        raise InputError(f"{path}: not a complete {kind} file ({Path(path).stat().st_size} bytes; {exc}); a run "
                         f"that crashed or a full disk may have left it: {rebuild.format(path=path)}") from exc


def read_parquet(path, rebuild: str = WORKFLOW_REBUILD) -> pd.DataFrame:
    """A Parquet output, or an InputError naming the file when it is damaged (`_read_output`)."""
    return _read_output(path, pd.read_parquet, "Parquet", rebuild)


def read_json(path, rebuild: str = WORKFLOW_REBUILD) -> dict:
    """A JSON output, or an InputError naming the file when it is damaged (`_read_output`)."""
    return _read_output(path, lambda p: json.loads(Path(p).read_text()), "JSON", rebuild)


def damage(path) -> str | None:
    """Why the Parquet or JSON output `path` is not a complete file (empty, no Parquet header or footer, JSON that
    does not parse), or None when it looks whole or is gone (removed since it was listed). Reads 4 bytes at each
    end of a Parquet file, so a scan of every output is quick."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size == 0:
            return "empty (0 bytes)"
        if path.suffix == ".parquet":
            with open(path, "rb") as handle:
                head = handle.read(4)
                handle.seek(max(size - 4, 0))
                tail = handle.read(4)
            if head != PARQUET_MAGIC or tail != PARQUET_MAGIC or size < 12:
                return (f"not a complete Parquet file ({size} bytes, "
                        f"{'no footer' if head == PARQUET_MAGIC else 'no header'})")
        elif path.suffix == ".json":
            try:
                json.loads(path.read_text())
            except (ValueError, UnicodeDecodeError) as exc:
                return f"not complete JSON ({size} bytes; {exc})"
    except FileNotFoundError:
        return None
    return None


def damaged_outputs(root) -> list[tuple[Path, str]]:
    """Every Parquet and JSON file under `root` (hidden temporary files of writes in progress excepted) that is not
    complete (`damage`), with the reason: left by a crash that was not ours, a full disk, or a hand edit."""
    root = Path(root)
    found = [(p, damage(p)) for p in sorted(root.rglob("*")) if p.suffix in (".parquet", ".json") and p.is_file()
             and not any(part.startswith(".") for part in p.relative_to(root).parts)]
    return [(p, why) for p, why in found if why]


def summary_html(table) -> str:
    """A self-contained HTML page of a summary table (numbers to 4 significant digits), for the report."""
    body = table.to_html(index=False, float_format=lambda v: f"{v:.4g}", na_rep="", border=0, classes="summary")
    style = ("body{font-family:'DejaVu Sans',sans-serif;font-size:13px;margin:12px}"
             "table{border-collapse:collapse}th,td{padding:3px 8px;text-align:left;border-bottom:1px solid #ddd}"
             "th{background:#f3f3f3}")
    return f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><style>{style}</style></head><body>\n{body}\n</body></html>\n"
