"""Many sessions per dataset: a dataset that names a set of NWB files (a glob or a list) stands for one dataset per
session, and every analysis over it for one analysis per session, cached on its own; the group level
(`analysis/group.py`) combines them.

A session's key comes from its path (the file name without suffix; where names repeat, the file's path) or, with `session_key: ids`, from the file's subject and session ids ("<subject>_<session>").
A session's dataset is "<dataset>/sessions/<key>", its analysis "<analysis>/sessions/<key>".
"""

from __future__ import annotations

import glob
import os
import re
from pathlib import Path

from neuralmi.data.nwb import session_ids
from neuralmi.errors import InputError

KEY_MODES = ("path", "ids")
SESSIONS = "sessions"


def is_many(spec: dict) -> bool:
    """Whether a dataset spec names a set of NWB files (a list, or a pattern with * ? or [)."""
    files = spec.get("nwb")
    return isinstance(files, list) or (isinstance(files, str) and glob.has_magic(files))


def session_files(files, base: Path = Path("."), key: str = "path", where: str = "nwb") -> dict[str, str]:
    """{session key: file} of a glob or a list of files and globs, in key order; no match, a missing file or two
    sessions with one key is an error."""
    if key not in KEY_MODES:
        raise InputError(f"{where}: session_key: expected one of {KEY_MODES}, found {key!r}")
    found = []
    for item in [files] if isinstance(files, str) else list(files):
        if not isinstance(item, str):
            raise InputError(f"{where}: expected file names or glob patterns, found {item!r}")
        matches = sorted(glob.glob(str(base / item))) if glob.has_magic(item) else [str(base / item)]
        if not matches:
            raise InputError(f"{where}: no file matches {item!r}")
        missing = [m for m in matches if not Path(m).is_file()]
        if missing:
            raise InputError(f"{where}: no such file {missing[0]!r}")
        found += [os.path.relpath(m, base) for m in matches]
    found = list(dict.fromkeys(found))
    keys = [_ids_key(base / f) for f in found] if key == "ids" else _path_keys(found)
    clashes = sorted({k for k in keys if keys.count(k) > 1})
    if clashes:
        raise InputError(f"{where}: sessions share the key {clashes[0]!r} ({[f for f, k in zip(found, keys) if k == clashes[0]]}); "
                         f"use session_key: {'path' if key == 'ids' else 'ids'}, or rename the files")
    return dict(sorted(zip(keys, found)))


def _path_keys(files: list[str]) -> list[str]:
    """Each file's name without suffix; where names repeat, those files' paths (so a key never depends on which
    other files are there, except for a file whose name another repeats)."""
    stems = [Path(f).stem for f in files]
    return [_clean(stem if stems.count(stem) == 1 else str(Path(f).with_suffix("")).replace(os.sep, "_"))
            for f, stem in zip(files, stems)]


def _ids_key(path: Path) -> str:
    subject, session = session_ids(path)
    if not subject or not session:
        raise InputError(f"{path}: session_key ids: the file has no {'subject id' if not subject else 'session id'}; "
                         f"use session_key: path")
    return _clean(f"{subject}_{session}")


def _clean(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", key)


def expand_sessions(datasets: dict, analyses: dict, base: Path = Path(".")) -> tuple[dict, dict, dict]:
    """(datasets, analyses, groups): every dataset that names a set of NWB files replaced by one dataset per
    session, every analysis over it by one per session; groups {analysis: {session key: session analysis}}."""
    out_datasets, sessions = {}, {}
    for name, spec in datasets.items():
        if not is_many(spec):
            out_datasets[name] = spec
            continue
        rest = {k: v for k, v in spec.items() if k not in ("nwb", "session_key")}
        files = session_files(spec["nwb"], base, spec.get("session_key", "path"), f"datasets.{name}.nwb")
        sessions[name] = list(files)
        for key, file in files.items():
            out_datasets[f"{name}/{SESSIONS}/{key}"] = {**rest, "nwb": file}
    out_analyses, groups = {}, {}
    for name, spec in analyses.items():
        if spec.get("dataset") not in sessions:
            out_analyses[name] = spec
            continue
        groups[name] = {}
        for key in sessions[spec["dataset"]]:
            member = f"{name}/{SESSIONS}/{key}"
            out_analyses[member] = {**spec, "dataset": f"{spec['dataset']}/{SESSIONS}/{key}"}
            groups[name][key] = member
    return out_datasets, out_analyses, groups
