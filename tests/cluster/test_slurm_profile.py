"""profiles/slurm as shipped: what a real cluster needs, accepted by Snakemake (no SLURM needed here)."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from snakemake_jobs import memory_mb, workdir

ROOT = Path(__file__).resolve().parents[2]
PROFILE = ROOT / "profiles" / "slurm" / "config.yaml"
pytest.importorskip("snakemake")


def profile():
    return yaml.safe_load(PROFILE.read_text())


def test_profile_submits_to_slurm_and_retries_with_more_memory():
    p = profile()
    assert p["executor"] == "slurm"
    assert p["retries"] >= 1
    defaults, training = p["default-resources"], p["set-resources"]["train_fits"]
    assert "slurm_partition" not in defaults and "slurm_account" not in defaults, "left for the user to set"
    assert "attempt" in str(defaults["mem_mb"]) and "attempt" in str(training["mem_mb"])
    for mem in (defaults["mem_mb"], training["mem_mb"]):
        assert memory_mb(mem, 1) < memory_mb(mem, 2) < memory_mb(mem, 3)
    assert training["gpu"] >= 1 and training["runtime"] > defaults["runtime"]
    assert training["cpus_per_gpu"] == p["set-threads"]["train_fits"], "torch threads = CPUs allocated"
    assert p["set-resources"]["train_round_fits"] == training, "a later round's training jobs are sized the same"
    assert p["set-threads"]["train_round_fits"] == p["set-threads"]["train_fits"]
    assert "--gres" not in str(training.get("slurm_extra", "")) and "--gpus" not in str(training.get("slurm_extra", ""))


def test_snakemake_reads_the_profile(tmp_path):
    """A dry run through the profile: the slurm executor plugin is installed and train_fits gets the profile's
    resources rather than config.yaml's."""
    pytest.importorskip("snakemake_executor_plugin_slurm")
    config = {
        "datasets": {"gauss": {"generator": "correlated_gaussian",
                               "params": {"n": 200, "dim_x": 1, "dim_y": 1, "mi": 0.5, "seed": 1}}},
        "analyses": {"tiny": {"dataset": "gauss", "mode": "rigorous", "options": {"gammas": [1, 2], "min_gammas": 2}}},
        "training": {"group": "fit", "threads": 1, "gpu": 0, "mem_mb": 500, "runtime": 5},
    }
    workdir(tmp_path, config)
    done = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--workflow-profile", "profiles/slurm"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout + done.stderr
    p = profile()
    training = p["set-resources"]["train_fits"]
    train_lines = [line for line in out.splitlines() if "resources:" in line and "cpus_per_gpu" in line]
    assert len(train_lines) == 3  # gammas 1 and 2: three fits, one job each
    for line in train_lines:
        assert f"mem_mb={memory_mb(training['mem_mb'], 1)}," in line
        assert f"runtime={training['runtime']}," in line and f"gpu={training['gpu']}," in line
