"""Outputs appear whole or not at all: a writer that dies leaves neither the file nor a temporary."""

import pytest

from neuralmi.outputs import write_atomic, write_json


def test_failed_write_leaves_nothing(tmp_path):
    target = tmp_path / "fit.parquet"

    def dies(tmp):
        open(tmp, "w").write("half a table")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, dies)
    assert list(tmp_path.iterdir()) == []


def test_existing_output_survives_a_failed_rewrite(tmp_path):
    target = tmp_path / "result.json"
    write_json(target, {"mi": 1.0})
    with pytest.raises(RuntimeError):
        write_atomic(target, lambda tmp: (_ for _ in ()).throw(RuntimeError("killed")))
    assert target.read_text().strip().startswith("{") and '"mi": 1.0' in target.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]
