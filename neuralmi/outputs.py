"""Atomic writers: an output appears complete under its final name or not at all."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


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


def summary_html(table) -> str:
    """A self-contained HTML page of a summary table (numbers to 4 significant digits), for the report."""
    body = table.to_html(index=False, float_format=lambda v: f"{v:.4g}", na_rep="", border=0, classes="summary")
    style = ("body{font-family:'DejaVu Sans',sans-serif;font-size:13px;margin:12px}"
             "table{border-collapse:collapse}th,td{padding:3px 8px;text-align:left;border-bottom:1px solid #ddd}"
             "th{background:#f3f3f3}")
    return f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><style>{style}</style></head><body>\n{body}\n</body></html>\n"
