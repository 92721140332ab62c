"""The paper configuration's machinery: figures that combine analyses, built from saved results only, rebuilt
byte for byte from a clean directory elsewhere, and a checksum check that names a changed file."""

import hashlib
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from neuralmi.analysis.paper import rounded
from neuralmi.checksums import differences
from neuralmi.cli import main
from neuralmi.data.tasks import task
from snakemake_jobs import ROOT, workdir

pytest.importorskip("snakemake")

FAST = {"max_epochs": 6, "hidden_dim": 16, "embedding_dim": 4, "batch_size": 64}
RIGOROUS = {**FAST, "gammas": [1, 2, 3], "min_gammas": 2}
SMALL_PAPER = {
    "datasets": {
        **{f"gauss_{n}": {"generator": "task", "params": {"name": "gauss-1d-1bit", "n": n, "seed": 1}} for n in (300, 600)},
        "uniform": {"generator": "task", "params": {"name": "uniform-1d-eps0.3", "n": 400, "seed": 2}},
        "population": {"generator": "population", "params": {"n": 400, "n_channels": 6, "latent_dim": 2, "seed": 1}},
    },
    "analyses": {
        **{f"gauss_{n}_{mode}": {"dataset": f"gauss_{n}", "mode": mode, "options": RIGOROUS if mode == "rigorous" else FAST}
           for n in (300, 600) for mode in ("estimate", "rigorous")},
        "uniform": {"dataset": "uniform", "mode": "rigorous", "options": RIGOROUS},
        "dims": {"dataset": "population", "mode": "dimensionality",
                 "options": {**FAST, "embedding_dims": [1, 2], "repeats": 1}},
    },
    "figures": {
        "bias": {"kind": "sample_size", "analyses": [f"gauss_{n}_{m}" for n in (300, 600) for m in ("estimate", "rigorous")]},
        "accuracy": {"kind": "accuracy", "analyses": ["gauss_600_rigorous", "uniform"]},
        "panels": {"kind": "panels", "analyses": ["gauss_600_rigorous", "dims"], "description": "two panels"},
    },
    "training": {"group": "analysis", "threads": 1},
}
SNAKEMAKE = [sys.executable, "-m", "snakemake", "--cores", "2"]


def build(where, config):
    workdir(where, config)
    done = subprocess.run([*SNAKEMAKE], cwd=where, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return where / "results"


def test_a_small_paper_configuration_rebuilds_byte_for_byte_and_a_changed_file_is_named(tmp_path):
    (tmp_path / "a").mkdir()
    first = build(tmp_path / "a", SMALL_PAPER)
    listed = (first / "checksums.sha256").read_text().splitlines()
    names = [line.split("  ", 1)[1] for line in listed]
    for figure in SMALL_PAPER["figures"]:
        assert {f"results/paper/{figure}.{ext}" for ext in ("png", "pdf", "parquet")} <= set(names)
    assert "results/gauss_600_rigorous/figures/main.pdf" in names and "results/summary.csv" in names
    assert not any(name.endswith("timings.parquet") for name in names)
    for line in listed:
        digest, name = line.split("  ", 1)
        assert hashlib.sha256((first.parent / name).read_bytes()).hexdigest() == digest

    bias = pd.read_parquet(first / "paper/bias.parquet")
    assert sorted(bias["method"].unique()) == ["estimate", "gaussian", "ksg", "rigorous"]
    assert sorted(bias["n"].unique()) == [300, 600] and (bias["truth"] == 1.0).all()
    accuracy = pd.read_parquet(first / "paper/accuracy.parquet")
    uniform = task("uniform-1d-eps0.3").mi / np.log(2)
    np.testing.assert_allclose(accuracy["truth"], [1.0, uniform], rtol=1e-12)
    assert accuracy["covers"].tolist() == ((accuracy["ci_low"] <= accuracy["truth"])
                                           & (accuracy["truth"] <= accuracy["ci_high"])).tolist()

    (tmp_path / "b").mkdir()
    second = build(tmp_path / "b", {**SMALL_PAPER, "reference_checksums": str(first / "checksums.sha256")})
    assert (second / "checksums.sha256").read_bytes() == (first / "checksums.sha256").read_bytes()
    verify = subprocess.run([*SNAKEMAKE, "verify_checksums"], cwd=second.parent, capture_output=True, text=True)
    assert verify.returncode == 0 and "matches" in (second / "checksums.verified").read_text()

    with open(second / "paper/accuracy.png", "ab") as figure:
        figure.write(b"\0")
    assert differences(first / "checksums.sha256", second.parent)[0].startswith("results/paper/accuracy.png: differs")
    (second / "checksums.verified").unlink()
    verify = subprocess.run([*SNAKEMAKE, "verify_checksums"], cwd=second.parent, capture_output=True, text=True)
    assert verify.returncode != 0
    assert "results/paper/accuracy.png: differs" in (second / "logs/verify_checksums.log").read_text()
    assert main(["checksums", str(first / "checksums.sha256"), "--root", str(second.parent)]) == 1


def test_plotted_numbers_are_rounded_to_four_significant_digits():
    values = np.array([1.23456789, -0.000123456, 0.0, np.nan, 98765.4321, 1.0000000001])
    np.testing.assert_array_equal(rounded(values), [1.235, -0.0001235, 0.0, np.nan, 98770.0, 1.0])


def test_a_figure_of_unknown_analyses_or_a_mode_it_cannot_draw_fails_before_any_job(tmp_path):
    config = yaml.safe_load(yaml.safe_dump(SMALL_PAPER))
    config["figures"]["bias"]["analyses"].append("nope")
    workdir(tmp_path, config)
    done = subprocess.run([*SNAKEMAKE, "-n"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode != 0 and "config figures.bias.analyses: 'nope' is not one of the analyses" in done.stdout + done.stderr
    config["figures"]["bias"]["analyses"][-1] = "dims"
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    done = subprocess.run([*SNAKEMAKE, "-n"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode != 0 and "'dims' is mode 'dimensionality'" in done.stdout + done.stderr
