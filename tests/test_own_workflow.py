"""The workflow used from another project: its own Snakefile takes neuralmi's as a Snakemake module
(`use rule * from neuralmi`), its own config reads columns of its own CSV file, and a misspelt key is named."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

import neuralmi
from snakemake_jobs import ROOT

pytest.importorskip("snakemake")

SNAKEFILE = f"""configfile: "config.yaml"


module neuralmi:
    snakefile:
        "{ROOT / 'Snakefile'}"
    config:
        config


use rule * from neuralmi
"""
OPTIONS = {"max_epochs": 5, "hidden_dim": 16, "embedding_dim": 4, "batch_size": 64}


def project(where, config):
    rng = np.random.default_rng(0)
    a = rng.normal(size=(600, 2))
    b = a + 0.5 * rng.normal(size=(600, 2))
    (where / "data").mkdir()
    pd.DataFrame({"trial": np.arange(600), "a1": a[:, 0], "a2": a[:, 1], "b1": b[:, 0], "b2": b[:, 1]}).to_csv(
        where / "data/session.csv", index=False)
    (where / "Snakefile").write_text(SNAKEFILE)
    (where / "config.yaml").write_text(yaml.safe_dump(config))
    return subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2"], cwd=where, capture_output=True,
                          text=True, timeout=600)


CONFIG = {
    "datasets": {"session": {"x": "data/session.csv", "x_columns": ["a1", "a2"],
                             "y": "data/session.csv", "y_columns": ["b1", "b2"]}},
    "analyses": {"session_estimate": {"dataset": "session", "mode": "estimate", "options": OPTIONS}},
}


def test_a_project_of_its_own_uses_the_workflow_as_a_module(tmp_path):
    done = project(tmp_path, CONFIG)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = pd.read_csv(tmp_path / "results/summary.csv")
    assert summary["analysis"].tolist() == ["session_estimate"]
    table = pd.read_csv(tmp_path / "data/session.csv")
    expected = neuralmi.run(table[["a1", "a2"]].to_numpy(), table[["b1", "b2"]].to_numpy(), threads=1, **OPTIONS)
    assert neuralmi.load(tmp_path / "results/session_estimate").mi == pytest.approx(expected.mi, abs=1e-8)
    assert (tmp_path / "results/session_estimate/figures/main.pdf").stat().st_size > 0
    assert not (tmp_path / "resources").exists()


def test_a_misspelt_key_in_a_project_of_its_own_is_named_with_the_nearest_one(tmp_path):
    config = yaml.safe_load(yaml.safe_dump(CONFIG))
    config["datasets"]["session"]["x_colums"] = config["datasets"]["session"].pop("x_columns")
    done = project(tmp_path, config)
    assert done.returncode != 0
    assert "config.datasets.session: unknown key 'x_colums'; did you mean 'x_columns'?" in done.stdout + done.stderr
    assert not (tmp_path / "results").exists()
