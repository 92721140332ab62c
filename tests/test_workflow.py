"""The Snakemake workflow: DAG sizes, an end-to-end run equal to neuralmi.run, no-op reruns, lint, report."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

import neuralmi
from neuralmi.analysis.fits import SAVED_FIT_COLUMNS
from neuralmi.data.datasets import load_dataset
from neuralmi.data.generators import correlated_gaussian
from snakemake_jobs import job_counts, snakemake, workdir

ROOT = Path(__file__).resolve().parents[1]
pytest.importorskip("snakemake")

OPTIONS = {"gammas": [1, 2, 3, 4], "min_gammas": 2, "max_epochs": 8, "hidden_dim": 16, "embedding_dim": 4}
FAST = {"max_epochs": 6, "hidden_dim": 16, "batch_size": 64}
CONFIG = {
    "datasets": {
        "gauss": {"generator": "correlated_gaussian",
                  "params": {"n": 800, "dim_x": 2, "dim_y": 2, "mi": 1.0, "seed": 3}, "truth": 1.0},
    },
    "analyses": {
        "tiny_rigorous": {"dataset": "gauss", "mode": "rigorous", "options": OPTIONS, "seed": 2},
        "tiny_estimate": {"dataset": "gauss", "mode": "estimate", "options": {"max_epochs": 5}},
    },
    "units": "bits",
    "seed": 0,
}


@pytest.mark.parametrize("group, training_jobs", [("fit", 10 + 1), ("gamma", 4 + 1), ("analysis", 1 + 1)])
def test_dry_run_job_counts(tmp_path, group, training_jobs):
    """Rigorous with gammas 1..4 plans 10 fits; the estimate analysis one; one dataset serves both."""
    where = workdir(tmp_path, {**CONFIG, "training": {"group": group}})
    counts = job_counts(snakemake(where, "-n", "--cores", "2").stdout)
    assert counts["train_fits"] == training_jobs
    assert counts["prepare_dataset"] == 1 and counts["plan_analysis"] == 2
    assert counts["summarise_analysis"] == 2 and counts["plot_analysis"] == 2 and counts["summarise_all"] == 1


SCANS = {
    "datasets": {
        "lagged": {"generator": "lagged_pair", "params": {"n": 400, "lag": 1, "seed": 1}},
        "population": {"generator": "population", "params": {"n": 400, "n_channels": 6, "latent_dim": 2}},
        "spikes": {"x": "resources/recording/spikes.parquet", "x_kind": "spikes", "y": "resources/recording/lfp.npy"},
    },
    "analyses": {
        "lag": {"dataset": "lagged", "mode": "lag", "options": {"processor": "continuous", "lags": [0, 1, 2]}},
        "dims": {"dataset": "population", "mode": "dimensionality", "options": {"embedding_dims": [1, 2], "repeats": 2}},
        "sweep": {"dataset": "spikes", "mode": "sweep", "options": {
            "processor_x": "spikes", "processor_y": "continuous", "sample_rate": 100,
            "grid": {"window_size": [0.05, 0.1], "embedding_dim": [2, 4]}}},
    },
}


@pytest.mark.parametrize("group, training_jobs", [("fit", 3 + 4 + 4), ("gamma", 3 + 4 + 4), ("analysis", 3)])
def test_dry_run_job_counts_of_the_scans(tmp_path, group, training_jobs):
    """A job per lag, per (embedding dimension, split) and per grid point; preprocessing once per dataset."""
    where = workdir(tmp_path, {**SCANS, "training": {"group": group}})
    counts = job_counts(snakemake(where, "-n", "--cores", "2").stdout)
    assert counts["train_fits"] == training_jobs and counts["prepare_dataset"] == 3


@pytest.mark.parametrize(
    "change, fragment",
    [
        (lambda c: c["analyses"]["tiny_estimate"].update(mode="guess"), "mode"),
        (lambda c: c["datasets"].update(files={"x": "missing.npy", "y": "missing.npy"}), "datasets.files.x"),
        (lambda c: c["analyses"]["tiny_estimate"]["options"].update(batch_size="big"), "batch_size"),
        (lambda c: c["analyses"]["tiny_estimate"].update(dataset="nope"), "analyses.tiny_estimate.dataset"),
        (lambda c: c["analyses"]["tiny_estimate"].update(mode="lag"), "lag mode needs a list of lags"),
        (lambda c: c["datasets"]["gauss"].update(generator="population", params={"n": 100}), "has no y"),
        (lambda c: c["analyses"]["tiny_estimate"].update(mode="conditional"), "needs a dataset with z"),
        (lambda c: c["analyses"]["tiny_estimate"].update(dataste="gauss"),
         "config.analyses.tiny_estimate: unknown key 'dataste'; did you mean 'dataset'?"),
        (lambda c: c["datasets"]["gauss"].update(parms={}), "did you mean 'params'?"),
        (lambda c: c["datasets"]["gauss"].update(generator="task", params={"name": "gauss-5d-2bits", "n": 100}),
         "config datasets.gauss.params.name: no task named 'gauss-5d-2bits'; did you mean 'gauss-5d-2bit'?"),
        (lambda c: c["analyses"]["tiny_estimate"]["options"].update(bond="nwj"),
         "unknown key 'bond'; did you mean 'bound'?"),
    ],
)
def test_bad_config_fails_before_any_job(tmp_path, change, fragment):
    config = json.loads(json.dumps(CONFIG))
    change(config)
    where = workdir(tmp_path, config)
    done = snakemake(where, "--cores", "1", check=False)
    assert done.returncode != 0
    assert fragment in done.stdout + done.stderr
    assert not (where / "results").exists()


def test_end_to_end_equals_the_library_and_reruns_nothing(tmp_path):
    """One training job per gamma, 1 thread each; the library run uses 1 thread too: the result is the library's,
    bit for bit (MKL's reproducible mode keeps a product's bits independent of the stack it is scored in:
    neuralmi/kernels.py; before it, held-out scoring differed by about 2e-10 bits)."""
    where = workdir(tmp_path, {**CONFIG, "training": {"group": "gamma"}})
    snakemake(where, "--cores", "2")
    fits = pd.read_parquet(where / "results/tiny_rigorous/fits.parquet")
    assert list(fits.columns) == SAVED_FIT_COLUMNS and len(fits) == 10
    result = json.loads((where / "results/tiny_rigorous/result.json").read_text())
    x, y, _ = load_dataset("gauss", CONFIG["datasets"]["gauss"])
    expected = neuralmi.run(x, y, mode="rigorous", seed=2, threads=1, **OPTIONS)
    for key in ("mi", "ci_low", "ci_high"):
        assert result[key] == getattr(expected, key)
    logs = sorted((where / "results/logs/train_fits/tiny_rigorous").glob("*.log"))
    assert len(logs) == 4
    assert all(re.search(r"^neuralmi \[#+\] 100% \| fits (\d+)/\1 \|", log.read_text().splitlines()[-1]) for log in logs)
    loaded = neuralmi.load(where / "results/tiny_rigorous")
    assert loaded.to_dict() | loaded.metadata | {"options": OPTIONS} == result
    summary = pd.read_parquet(where / "results/summary.parquet")
    assert set(summary["analysis"]) == {"tiny_rigorous", "tiny_estimate"}
    assert {"mi", "ci_low", "ci_high", "reliable", "reasons", "units"} <= set(summary.columns)
    for name in ("main.png", "main.pdf", "curves.png"):
        assert (where / "results/tiny_rigorous/figures" / name).stat().st_size > 0
    assert "Nothing to be done" in snakemake(where, "-n", "--cores", "2").stdout
    snakemake(where, "--report", "results/report.html")
    assert (where / "results/report.html").stat().st_size > 10_000
    changed = json.loads(json.dumps(CONFIG))
    changed["analyses"]["tiny_estimate"]["options"]["max_epochs"] = 6
    changed["analyses"]["added"] = {"dataset": "gauss", "mode": "estimate", "options": {"max_epochs": 5}}
    (where / "config.yaml").write_text(yaml.safe_dump({**changed, "training": {"group": "gamma"}}))
    counts = job_counts(snakemake(where, "-n", "--cores", "2").stdout)
    assert counts.get("prepare_dataset", 0) == 0                     # the dataset is reused
    assert counts["plan_analysis"] == 2 and counts["train_fits"] == 2  # tiny_estimate and added, not rigorous


def test_scans_end_to_end_equal_the_library(tmp_path):
    """A lag scan on a generated pair and a dimensionality scan run through the workflow (one job per point) and
    give what neuralmi.run gives."""
    config = {
        "datasets": {k: SCANS["datasets"][k] for k in ("lagged", "population")},
        "analyses": {
            "lag": {"dataset": "lagged", "mode": "lag",
                    "options": {"processor": "continuous", "lags": [0, 1, 2], **FAST}},
            "dims": {"dataset": "population", "mode": "dimensionality",
                     "options": {"embedding_dims": [1, 2], "repeats": 2, **FAST}},
        },
        "training": {"group": "gamma", "threads": 1},
    }
    where = workdir(tmp_path, config)
    snakemake(where, "--cores", "2")
    lag = json.loads((where / "results/lag/result.json").read_text())
    x, y, _ = load_dataset("lagged", config["datasets"]["lagged"])
    expected = neuralmi.run(x, y, mode="lag", threads=1, **config["analyses"]["lag"]["options"])
    assert lag["peak_lag"] == expected.peak_lag and lag["mi"] == expected.mi
    per_lag = pd.read_parquet(where / "results/lag/summary.parquet")
    assert list(per_lag["lag"]) == [0, 1, 2]
    dims = json.loads((where / "results/dims/result.json").read_text())
    assert dims["dimensionality"] in (1, 2) and dims["finding"].startswith("dimensionality")
    summary = pd.read_csv(where / "results/summary.csv")
    assert summary.set_index("analysis").loc["lag", "finding"] == expected.finding


def test_chain_rule_modes_end_to_end_equal_the_library(tmp_path):
    """Conditional MI on a generated triplet (Z stored as its own table) and transfer entropy on a coupled
    autoregression run through the workflow and give what neuralmi.run gives."""
    chain = {**FAST, "gammas": [1, 2, 3], "min_gammas": 2}
    config = {
        "datasets": {
            "triplet": {"generator": "gaussian_triplet", "params": {"n": 600, "case": "partial", "seed": 1}},
            "coupled": {"generator": "coupled_autoregression", "params": {"n": 600, "seed": 1}},
        },
        "analyses": {
            "cmi": {"dataset": "triplet", "mode": "conditional", "options": chain},
            "cmi_held_out": {"dataset": "triplet", "mode": "conditional",
                             "options": {**FAST, "conditional_correction": "none", "repeats": 2}},
            "te": {"dataset": "coupled", "mode": "transfer", "options": {"history": 2, **chain}},
        },
        "training": {"group": "gamma", "threads": 1},
    }
    where = workdir(tmp_path, config)
    snakemake(where, "--cores", "2")
    summary = pd.read_csv(where / "results/summary.csv").set_index("analysis")
    x, y, z = load_dataset("triplet", config["datasets"]["triplet"])
    expected = neuralmi.run(x, y, z=z, mode="conditional", threads=1, **chain)
    cmi = json.loads((where / "results/cmi/result.json").read_text())
    assert cmi["mi"] == expected.mi and summary.loc["cmi", "finding"] == expected.finding
    held_out = json.loads((where / "results/cmi_held_out/result.json").read_text())
    expected = neuralmi.run(x, y, z=z, mode="conditional", threads=1,
                            **config["analyses"]["cmi_held_out"]["options"])
    assert held_out["mi"] == expected.mi and held_out["se"] == expected.details["se"]
    assert len(pd.read_parquet(where / "results/cmi_held_out/fits.parquet")["val_terms"].iloc[0]) > 0
    x, y, _ = load_dataset("coupled", config["datasets"]["coupled"])
    expected = neuralmi.run(x, y, mode="transfer", threads=1, history=2, **chain)
    te = json.loads((where / "results/te/result.json").read_text())
    assert te["mi"] == expected.mi and set(te["te"]) == {"x_to_y", "y_to_x", "net"}
    assert (where / "results/te/figures/main.png").stat().st_size > 0


def test_a_bracket_on_a_table_dataset_end_to_end_equals_the_library(tmp_path):
    """A dataset read from one CSV by column prefix and list; a bracketed rigorous analysis plans one training
    job per gamma for each bound, and its upper bound reaches result.json and summary.csv as the library's."""
    options = {**FAST, "gammas": [1, 2, 3], "min_gammas": 2, "bracket": True}
    config = {
        "datasets": {"flowers": {"table": "flowers.csv", "x_columns": "petal",
                                 "y_columns": ["sepal length", "sepal width"]}},
        "analyses": {"bracketed": {"dataset": "flowers", "mode": "rigorous", "options": options}},
        "training": {"group": "gamma", "threads": 1},
    }
    where = workdir(tmp_path, config)
    x, y = correlated_gaussian(600, 2, 2, 1.0, seed=4)
    pd.DataFrame({"petal length": x[:, 0], "petal width": x[:, 1], "sepal length": y[:, 0],
                  "sepal width": y[:, 1]}).to_csv(where / "flowers.csv", index=False)
    assert job_counts(snakemake(where, "-n", "--cores", "2").stdout)["train_fits"] == 3 + 3
    snakemake(where, "--cores", "2")
    expected = neuralmi.run(x, y, mode="rigorous", threads=1, **options)
    result = json.loads((where / "results/bracketed/result.json").read_text())
    for key in ("mi", "mi_upper", "ci_upper_low", "ci_upper_high"):
        assert result[key] == expected.to_dict()[key]
    summary = pd.read_csv(where / "results/summary.csv")
    assert summary["mi_upper"].iloc[0] == expected.details["mi_upper"]
    fits = pd.read_parquet(where / "results/bracketed/fits.parquet")
    assert fits["bound"].value_counts().to_dict() == {"infonce": 6, "l1out": 6}


def test_pairwise_with_a_null_precision_and_network_end_to_end_equal_the_library(tmp_path):
    """Pairwise MI of a generated population with a permutation null through the workflow (3 pairs and 2
    surrogates of each in the plan, trained in one job): the same matrix, p-values and finding as neuralmi.run,
    the null table and its figure; precision mode on generated spike timing (probes in the fit table); and the
    network of a generated 3-channel chain (3 terms per ordered pair, one per target), by the same rules."""
    options = {**FAST, "null_permutations": 2}
    timing = {**FAST, "processor_x": {"processor": "spikes", "spike_encoding": "times"},
              "processor_y": "continuous", "sample_rate": 100, "window_size": 0.2, "precisions": [0.001, 0.01],
              "repeats": 2}
    config = {
        "datasets": {"pairs": {"generator": "dependent_pairs",
                               "params": {"n": 300, "n_channels": 3, "pairs": [[0, 1]], "seed": 1}},
                     "timing": {"generator": "timed_spikes", "params": {"duration": 60, "window": 0.2}},
                     "graph": {"generator": "network_recording", "params": {"n": 400, "n_nodes": 3, "seed": 1}}},
        "analyses": {"pairs": {"dataset": "pairs", "mode": "pairwise", "options": options},
                     "timing": {"dataset": "timing", "mode": "precision", "options": timing},
                     "graph": {"dataset": "graph", "mode": "network", "options": {**FAST, "history": 1}}},
        "training": {"group": "analysis", "threads": 1},
    }
    where = workdir(tmp_path, config)
    snakemake(where, "--cores", "2")
    assert len(pd.read_parquet(where / "results/pairs/plan.parquet")) == 3 * 3
    x, _, _ = load_dataset("pairs", config["datasets"]["pairs"])
    expected = neuralmi.run(x, None, mode="pairwise", threads=1, **options)
    result = json.loads((where / "results/pairs/result.json").read_text())
    assert result["mi"] == expected.mi and result["finding"] == expected.finding
    assert [r["p_value"] for r in result["p_values"]] == expected.significance["p_value"].tolist()
    null = pd.read_parquet(where / "results/pairs/null.parquet")
    pd.testing.assert_frame_equal(null, expected.null, check_exact=True)
    fits = pd.read_parquet(where / "results/pairs/fits.parquet")
    assert sorted(fits["null"].unique()) == [0, 1, 2] and list(fits.columns) == SAVED_FIT_COLUMNS
    assert (where / "results/pairs/figures/null.png").stat().st_size > 0
    assert (where / "results/pairs/figures/main.png").stat().st_size > 0
    spikes, y, _ = load_dataset("timing", config["datasets"]["timing"])
    expected = neuralmi.run(spikes, y, mode="precision", threads=1, **timing)
    result = json.loads((where / "results/timing/result.json").read_text())
    assert result["mi"] == expected.mi and result["finding"] == expected.finding
    fits = pd.read_parquet(where / "results/timing/fits.parquet")
    assert [len(p) for p in fits["probe_mi"]] == [2, 2]
    x, _, _ = load_dataset("graph", config["datasets"]["graph"])
    expected = neuralmi.run(x, None, mode="network", threads=1, **FAST, history=1)
    result = json.loads((where / "results/graph/result.json").read_text())
    assert result["mi"] == expected.mi and result["finding"] == expected.finding
    assert len(pd.read_parquet(where / "results/graph/plan.parquet")) == 2 * 3**2  # 2 N^2 fits for N units
    assert (where / "results/graph/figures/main.png").stat().st_size > 0


def test_greedy_network_trains_its_rounds_through_a_checkpoint_and_equals_the_library(tmp_path):
    """Greedy conditioning plans each later round from the fits before it (the checkpoint plan_round): here a
    round of terms given the chosen sources, then an empty round that ends it; the same result as neuralmi.run, and
    a second run has nothing to do."""
    options = {**FAST, "max_epochs": 30, "history": 1, "conditioning": "greedy"}
    config = {"datasets": {"chain": {"generator": "network_recording", "params": {"n": 3000, "n_nodes": 3, "seed": 1}}},
              "analyses": {"chain": {"dataset": "chain", "mode": "network", "options": options}},
              "training": {"group": "gamma", "threads": 1}}  # one job per term: 9 in the first round, 4 in the next
    where = workdir(tmp_path, config)
    snakemake(where, "--cores", "2")
    x, _, _ = load_dataset("chain", config["datasets"]["chain"])
    expected = neuralmi.run(x, None, mode="network", threads=1, **options)
    result = json.loads((where / "results/chain/result.json").read_text())
    assert result["mi"] == expected.mi and result["finding"] == expected.finding
    assert "2 of 6 directed edges selected" in result["finding"]
    rounds = [pd.read_parquet(where / f"results/chain/rounds/{r}/plan.parquet") for r in (1, 2)]
    assert len(rounds[0]) == 4 and len(rounds[1]) == 0 and not (where / "results/chain/rounds/3").exists()
    assert len(list((where / "results/chain/rounds/1/fits").glob("*.parquet"))) == 4
    fits = pd.read_parquet(where / "results/chain/fits.parquet")
    assert fits["fit_id"].tolist() == list(range(len(expected.fits))) and len(fits) == 9 + 4
    again = snakemake(where, "--cores", "2")
    assert "Nothing to be done" in again.stdout + again.stderr


def test_lint_and_format():
    snakemake(ROOT, "--lint")
    subprocess.run([sys.executable, "-m", "snakefmt", "--check", "Snakefile", "workflow"], cwd=ROOT, check=True)
