"""Configuration checks and input functions; every check runs before any job."""

import functools
import re
from pathlib import Path

import yaml
from snakemake.utils import validate

from neuralmi.api import plan_groups
from neuralmi.data.datasets import (
    check_conditioning,
    check_sides,
    dataset_channels,
    has_y,
)
from neuralmi.errors import InputError
from neuralmi.keys import unknown_keys
from neuralmi.options import make_options

CONFIG_SCHEMA = Path(workflow.current_basedir) / "../schemas/config.schema.yaml"
_unknown = unknown_keys(config, yaml.safe_load(CONFIG_SCHEMA.read_text()), "config")
if _unknown:
    raise InputError("; ".join(_unknown))
validate(config, "../schemas/config.schema.yaml")

ANALYSES = sorted(config["analyses"])
DATASETS = sorted(config["datasets"])


def _check_config():
    for name, spec in config["datasets"].items():
        for side in ("x", "y", "z"):
            if side in spec and not Path(spec[side]).is_file():
                raise InputError(
                    f"config datasets.{name}.{side}: no such file {spec[side]!r}"
                )
    for name, spec in config["analyses"].items():
        if spec["dataset"] not in config["datasets"]:
            raise InputError(
                f"config analyses.{name}.dataset: {spec['dataset']!r} is not one of the datasets {DATASETS}"
            )
        if spec["mode"] not in ("dimensionality", "pairwise") and not has_y(
            config["datasets"][spec["dataset"]]
        ):
            raise InputError(
                f"config analyses.{name}: mode {spec['mode']!r} needs a dataset with x and y; "
                f"{spec['dataset']!r} has no y"
            )
        try:
            check_conditioning(config["datasets"][spec["dataset"]], spec["mode"])
        except InputError as exc:
            raise InputError(f"config analyses.{name}: {exc}") from None
        try:
            options = make_options(spec.get("options", {}))
            check_sides(config["datasets"][spec["dataset"]], options, spec["mode"])
            training_jobs(name)
        except InputError as exc:
            raise InputError(f"config analyses.{name}.options: {exc}") from None


wildcard_constraints:
    analysis="|".join(map(re.escape, ANALYSES)),
    dataset="|".join(map(re.escape, DATASETS)),
    job="\\d+",


def analysis(name):
    return config["analyses"][name]


def get_options(wildcards):
    return analysis(wildcards.analysis).get("options", {})


def get_mode(wildcards):
    return analysis(wildcards.analysis)["mode"]


def get_seed(wildcards):
    return analysis(wildcards.analysis).get("seed", config["seed"])


def get_dataset(wildcards):
    name = analysis(wildcards.analysis)["dataset"]
    return {side: f"results/datasets/{name}/{side}.parquet" for side in ("x", "y", "z")}


@functools.cache
def training_jobs(name):
    """Fit ids of each training job of an analysis, grouped as config training.group says (pairwise mode lists
    its pairs from the dataset's channel counts)."""
    spec = analysis(name)
    options = make_options(spec.get("options", {}))
    channels = None
    if spec["mode"] == "pairwise":
        dataset = spec["dataset"]
        channels = dataset_channels(dataset, config["datasets"][dataset], options)
    return plan_groups(spec["mode"], options, config["training"]["group"], channels)


def null_figures(wildcards=None):
    """The permutation-null figures of the analyses that ask for a null."""
    return [
        f"results/{name}/figures/null.png"
        for name in ANALYSES
        if make_options(analysis(name).get("options", {})).null_permutations
    ]


def get_job_fits(wildcards):
    return training_jobs(wildcards.analysis)[int(wildcards.job)]


def _per_job(pattern, wildcards):
    jobs = range(len(training_jobs(wildcards.analysis)))
    return expand(pattern, analysis=wildcards.analysis, job=jobs)


def get_fits(wildcards):
    return _per_job("results/{analysis}/fits/{job}.parquet", wildcards)


def get_curves(wildcards):
    return _per_job("results/{analysis}/curves/{job}.parquet", wildcards)


_check_config()
