"""The real workflow on a real (one-node, 127.0.0.1) SLURM cluster through profiles/slurm.

Four Snakemake runs go at once: a small analysis through SLURM, the same analysis locally (--cores), an analysis
whose dataset file is corrupt, through SLURM, and the small analysis through SLURM again with one of its training
jobs cancelled (scancel) while it runs. SLURM's own accounting (sacct) then shows what ran where.
Select with `pytest -m slurm`; needs root and Debian's SLURM packages (tests/cluster/install-slurm.sh).
"""

import json
import re
import sys
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
import yaml

from slurm_harness import PARTITION, Guarded, in_ci, wait_all
from snakemake_jobs import TINY_CONFIG, job_counts, memory_mb, workdir

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slurm
try:
    import snakemake_executor_plugin_slurm  # noqa: F401
except ImportError:
    if in_ci():
        raise
    pytest.skip("snakemake-executor-plugin-slurm is not installed (pip install -e '.[workflow]')",
                allow_module_level=True)

RUN_TIMEOUT = 480  # seconds per Snakemake run, then SIGKILL to its process group
MAX_POLL = 2  # seconds between the submitting Snakemake's status checks (snakemake_polling.py)

# one training job per fit, each tagged with a GPU; there is none really, so torch trains on the CPU
CONFIG = {**TINY_CONFIG, "training": {**TINY_CONFIG["training"], "gpu": 1}}
# passes config validation (the files exist) but fails inside the job that reads them
BROKEN = {**CONFIG,
          "datasets": {"broken": {"x": "resources/broken/x.npy", "y": "resources/broken/y.npy"}},
          "analyses": {"tiny": {**CONFIG["analyses"]["tiny"], "dataset": "broken"}}}
TRAINING_JOBS = 3  # rigorous with gammas 1 and 2: 1 + 2 fits


def cluster_profile(where: Path, jobname: str) -> str:
    """profiles/slurm as a user would adapt it to this cluster: partition and account set, training jobs of one
    CPU (the node has 4 at least); plus quick status polling and a job-name prefix that tells the runs apart.
    Everything else (executor, retries, memory growing with attempt, GPU request, runtime) is the shipped one."""
    profile = yaml.safe_load((where / "profiles/slurm/config.yaml").read_text())
    profile["default-resources"].update(slurm_partition=PARTITION, slurm_account="root")
    profile["set-threads"]["train_fits"] = 1
    profile["set-resources"]["train_fits"].update(cpus_per_gpu=1, mem_mb="1000 * attempt")
    profile.update({"slurm-init-seconds-before-status-checks": 1, "seconds-between-status-checks": 1,
                    "latency-wait": 5, "slurm-jobname-prefix": jobname})
    (where / "profiles/slurm-test").mkdir()
    (where / "profiles/slurm-test/config.yaml").write_text(yaml.safe_dump(profile))
    return "profiles/slurm-test"


def rule_of(job: dict, rules) -> str:
    """The rule a SLURM job ran, from the comment the executor gives it (rule_NAME or rule_NAME_wildcards_...)."""
    comment = job["Comment"]
    return next((r for r in rules if comment == f"rule_{r}" or comment.startswith(f"rule_{r}_wildcards_")), comment)


def slurm_logs(where: Path) -> str:
    logs = sorted((where / ".snakemake/slurm_logs").rglob("*.log")) + sorted((where / "results/logs").rglob("*.log"))
    return "\n".join(f"--- {p.relative_to(where)}\n{p.read_text(errors='replace')[-1500:]}" for p in logs)


@pytest.fixture(scope="module")
def runs(slurm_cluster, tmp_path_factory):
    good = workdir(tmp_path_factory.mktemp("slurm-run"), CONFIG)
    local = workdir(tmp_path_factory.mktemp("local-run"), CONFIG)
    bad = workdir(tmp_path_factory.mktemp("slurm-fail"), BROKEN)
    (bad / "resources/broken").mkdir(parents=True)
    for side in ("x", "y"):
        (bad / f"resources/broken/{side}.npy").write_bytes(b"\x93NUMPY this is not an array")
    polling = [sys.executable, str(Path(__file__).with_name("snakemake_polling.py")), str(MAX_POLL)]
    env = slurm_cluster.env
    started = {
        "slurm": Guarded([*polling, "--workflow-profile", cluster_profile(good, "neuralmi_ok")], cwd=good, env=env,
                         log=good / "snakemake.out", timeout=RUN_TIMEOUT),
        "fail": Guarded([*polling, "--workflow-profile", cluster_profile(bad, "neuralmi_fail")], cwd=bad, env=env,
                        log=bad / "snakemake.out", timeout=RUN_TIMEOUT),
        "local": Guarded([sys.executable, "-m", "snakemake", "--cores", "2"], cwd=local, log=local / "snakemake.out",
                         timeout=RUN_TIMEOUT),
    }
    cancel = workdir(tmp_path_factory.mktemp("slurm-cancel"), CONFIG)
    started["cancel"] = Guarded([*polling, "--workflow-profile", cluster_profile(cancel, "neuralmi_cancel")],
                                cwd=cancel, env=env, log=cancel / "snakemake.out", timeout=RUN_TIMEOUT)
    cancelled = []

    def cancel_one_training_job():
        """scancel the first training job of the 'cancel' run seen running, as a user or an admin might."""
        if cancelled:
            return
        queue = slurm_cluster.command("squeue", "-h", "-t", "RUNNING", "-o", "%i|%j|%k", check=False)
        for line in queue.stdout.splitlines():
            job_id, name, comment = line.split("|", 2)
            if name.startswith("neuralmi_cancel") and comment.startswith("rule_train_fits"):
                slurm_cluster.command("scancel", job_id)
                cancelled.append({"JobID": job_id, "Comment": comment})
                return

    done = wait_all(started, each=cancel_one_training_job)
    print("Snakemake runs:", {name: f"{run.seconds:.1f} s" for name, run in started.items()})
    return {"slurm": (good, done["slurm"]), "local": (local, done["local"]), "fail": (bad, done["fail"]),
            "cancel": (cancel, done["cancel"], cancelled)}


def test_every_job_went_through_sbatch_and_training_got_a_gpu(runs, slurm_cluster):
    where, done = runs["slurm"]
    assert done.returncode == 0, done.stdout[-5000:] + slurm_logs(where)
    counts = job_counts(done.stdout)
    counts.pop("total")
    local = set(re.findall(r"^localrule (\w+):", done.stdout, re.MULTILINE))  # run by Snakemake itself
    assert "all" in local and "train_fits" not in local, local
    counts = {rule: n for rule, n in counts.items() if rule not in local}
    assert counts["train_fits"] == TRAINING_JOBS, counts
    jobs = slurm_cluster.wait_accounted("neuralmi_ok", sum(counts.values()))
    assert Counter(rule_of(job, counts) for job in jobs) == counts, jobs  # every job was an sbatch job
    assert {job["State"] for job in jobs} == {"COMPLETED"}, jobs
    assert {job["Partition"] for job in jobs} == {PARTITION} and {job["Account"] for job in jobs} == {"root"}, jobs
    training = [job for job in jobs if rule_of(job, counts) == "train_fits"]
    fit_files = sorted(p.stem for p in (where / "results/tiny/fits").glob("*.parquet"))
    assert sorted(job["Comment"] for job in training) == [f"rule_train_fits_wildcards_tiny_{i}" for i in fit_files]
    for job in training:
        assert "gres/gpu=1" in job["AllocTRES"].split(","), job
        assert job["ReqMem"] == "1000M", job  # set-resources mem_mb, first attempt
    others = [job for job in jobs if job not in training]
    assert all("gres/gpu" not in job["AllocTRES"] for job in others), others
    assert {job["ReqMem"] for job in others} == {"2000M"}, others  # default-resources mem_mb, first attempt


def test_results_equal_a_local_run_at_the_same_seed(runs):
    (where, done), (local, local_done) = runs["slurm"], runs["local"]
    assert done.returncode == 0, done.stdout[-5000:]
    assert local_done.returncode == 0, local_done.stdout[-5000:]
    on_slurm = json.loads((where / "results/tiny/result.json").read_text())
    here = json.loads((local / "results/tiny/result.json").read_text())
    assert on_slurm == here
    fits = [pd.read_parquet(w / "results/tiny/fits.parquet") for w in (where, local)]  # wall times are apart
    pd.testing.assert_frame_equal(*fits)
    curves = [pd.read_parquet(w / "results/tiny/curves.parquet") for w in (where, local)]
    pd.testing.assert_frame_equal(*curves)
    summaries = [pd.read_csv(w / "results/summary.csv") for w in (where, local)]
    pd.testing.assert_frame_equal(*summaries)


def test_a_failing_job_fails_in_slurm_and_the_run_exits_non_zero(runs, slurm_cluster):
    where, done = runs["fail"]
    assert done.returncode != 0, done.stdout[-5000:]
    assert "Error in rule prepare_dataset" in done.stdout, done.stdout[-5000:]
    assert "SLURM status is: 'FAILED'" in done.stdout, done.stdout[-5000:]
    profile = yaml.safe_load((ROOT / "profiles/slurm/config.yaml").read_text())
    attempts = 1 + profile["retries"]
    jobs = slurm_cluster.wait_accounted("neuralmi_fail", attempts)
    assert len(jobs) == attempts, jobs  # each try submitted anew; nothing downstream was submitted
    assert {job["Comment"] for job in jobs} == {"rule_prepare_dataset_wildcards_broken"}
    assert {job["State"] for job in jobs} == {"FAILED"}, jobs
    assert all(job["ExitCode"] != "0:0" for job in jobs), jobs
    memory = [memory_mb(profile["default-resources"]["mem_mb"], a) for a in range(1, attempts + 1)]
    tries = sorted(jobs, key=lambda job: int(job["JobID"]))
    assert [job["ReqMem"] for job in tries] == [f"{mb}M" for mb in memory]  # memory grows with attempt
    assert not (where / "results/tiny").exists()


def test_a_training_job_cancelled_in_slurm_is_resubmitted_and_the_run_completes(runs, slurm_cluster):
    (where, done, cancelled), (local, _) = runs["cancel"], runs["local"]
    assert len(cancelled) == 1, done.stdout[-3000:]  # one training job was seen running and cancelled
    assert done.returncode == 0, done.stdout[-5000:] + slurm_logs(where)
    jobs = slurm_cluster.wait_accounted("neuralmi_cancel", 1)
    states = {job["JobID"]: job["State"] for job in jobs}
    assert states[cancelled[0]["JobID"]].startswith("CANCELLED"), jobs
    again = [job for job in jobs if job["Comment"] == cancelled[0]["Comment"] and job["State"] == "COMPLETED"]
    assert len(again) == 1 and int(again[0]["JobID"]) > int(cancelled[0]["JobID"]), jobs  # resubmitted, finished
    assert json.loads((where / "results/tiny/result.json").read_text()) == json.loads(
        (local / "results/tiny/result.json").read_text())
