"""Configuration checks and input functions; every check runs before any job."""

import functools
import re
import sys
from pathlib import Path

import yaml
from snakemake.utils import validate

from neuralmi.analysis.result import RESULT_FILES
from neuralmi.api import find_mode, job_groups, plan_groups, rounds
from neuralmi.data.datasets import (
    check_conditioning,
    check_sides,
    dataset_channels,
    dataset_truth,
    has_y,
)
from neuralmi.data.sessions import expand_sessions
from neuralmi.data.tasks import task
from neuralmi.errors import InputError
from neuralmi.keys import unknown_keys
from neuralmi.options import make_options
from neuralmi.outputs import damaged_outputs, read_parquet

CONFIG_SCHEMA = Path(workflow.current_basedir) / "../schemas/config.schema.yaml"
_unknown = unknown_keys(config, yaml.safe_load(CONFIG_SCHEMA.read_text()), "config")
if _unknown:
    raise InputError("; ".join(_unknown))
validate(config, "../schemas/config.schema.yaml")

# A dataset naming a set of NWB files stands for one dataset per session, each analysis over it for one analysis
# per session ("<analysis>/sessions/<key>"), combined by the group rule (neuralmi/data/sessions.py).
try:
    DATASET_SPECS, ANALYSIS_SPECS, GROUPS = expand_sessions(
        config["datasets"], config["analyses"]
    )
except InputError as exc:
    raise InputError(f"config datasets.{exc}") from None
ANALYSES = sorted(ANALYSIS_SPECS)
DATASETS = sorted(DATASET_SPECS)
NWB_DATASETS = [name for name in DATASETS if "nwb" in DATASET_SPECS[name]]
PLAIN_DATASETS = [name for name in DATASETS if "nwb" not in DATASET_SPECS[name]]
FIGURES = sorted(config.get("figures", {}))


def _check_config():
    for name, spec in DATASET_SPECS.items():
        if spec.get("generator") == "task":
            try:
                task(spec.get("params", {}).get("name", ""))
            except KeyError as exc:
                raise InputError(
                    f"config datasets.{name}.params.name: {exc.args[0]}"
                ) from None
        files = ("nwb",) if "nwb" in spec else ("x", "y", "z", "table")
        for side in files:
            if side in spec and not Path(spec[side]).is_file():
                raise InputError(
                    f"config datasets.{name}.{side}: no such file {spec[side]!r}"
                )
            if side in spec and Path(spec[side]).stat().st_size == 0:
                raise InputError(
                    f"config datasets.{name}.{side}: {spec[side]!r} is empty (0 bytes): a copy or a write "
                    "that did not finish?"
                )
    for name, spec in ANALYSIS_SPECS.items():
        if spec["dataset"] not in DATASET_SPECS:
            raise InputError(
                f"config analyses.{name}.dataset: {spec['dataset']!r} is not one of the datasets "
                f"{sorted(config['datasets'])}"
            )
        try:
            mode = find_mode(spec["mode"])
        except InputError as exc:
            raise InputError(f"config analyses.{name}.{exc}") from None
        if not mode.x_alone and not has_y(DATASET_SPECS[spec["dataset"]]):
            raise InputError(
                f"config analyses.{name}: mode {spec['mode']!r} needs a dataset with x and y; "
                f"{spec['dataset']!r} has no y"
            )
        try:
            check_conditioning(
                DATASET_SPECS[spec["dataset"]], spec["mode"], mode.takes_z
            )
        except InputError as exc:
            raise InputError(f"config analyses.{name}: {exc}") from None
        try:
            options = make_options(spec.get("options", {}))
            check_sides(DATASET_SPECS[spec["dataset"]], options, mode.takes_z)
            training_jobs(name)
        except InputError as exc:
            raise InputError(f"config analyses.{name}.options: {exc}") from None

    for name, spec in config.get("figures", {}).items():
        for member in spec["analyses"]:
            if member in GROUPS:
                raise InputError(
                    f"config figures.{name}.analyses: {member!r} runs on every session of its dataset; name one "
                    f"session's analysis ({sorted(GROUPS[member].values())[0]!r}...) or use its forest plot, "
                    f"results/{member}/figures/forest.png"
                )
            if member not in ANALYSIS_SPECS:
                raise InputError(
                    f"config figures.{name}.analyses: {member!r} is not one of the analyses {ANALYSES}"
                )
            mode = analysis(member)["mode"]
            if spec["kind"] == "sample_size" and mode not in ("estimate", "rigorous"):
                raise InputError(
                    f"config figures.{name}: a sample_size figure takes estimate and rigorous analyses; "
                    f"{member!r} is mode {mode!r}"
                )


def names_regex(names):
    """A wildcard constraint that matches exactly the given names (nothing when there are none)."""
    return "|".join(map(re.escape, names)) or "(?!)"


wildcard_constraints:
    analysis=names_regex(ANALYSES),
    dataset=names_regex(DATASETS),
    group=names_regex(GROUPS),
    job="\\d+",
    round="\\d+",
    figure=names_regex(FIGURES),


def analysis(name):
    return ANALYSIS_SPECS[name]


def dataset_spec(name):
    return DATASET_SPECS[name]


def get_options(wildcards):
    return analysis(wildcards.analysis).get("options", {})


def get_mode(wildcards):
    return analysis(wildcards.analysis)["mode"]


def get_seed(wildcards):
    return analysis(wildcards.analysis).get("seed", config["seed"])


def get_dataset(wildcards):
    name = analysis(wildcards.analysis)["dataset"]
    sides = {
        side: f"results/datasets/{name}/{side}.parquet" for side in ("x", "y", "z")
    }
    return sides | get_info(wildcards)


def get_info(wildcards):
    """{"info": an NWB dataset's info.json}, or nothing for other datasets."""
    name = analysis(wildcards.analysis)["dataset"]
    return (
        {"info": f"results/datasets/{name}/info.json"} if name in NWB_DATASETS else {}
    )


@functools.cache
def training_jobs(name):
    """Fit ids of each training job of an analysis, grouped as config training.group says (a mode whose points
    depend on the channel counts, such as pairwise mode, lists them from the dataset).
    """
    spec = analysis(name)
    options = make_options(spec.get("options", {}))
    channels = None
    if find_mode(spec["mode"]).channel_points:
        dataset = spec["dataset"]
        channels = dataset_channels(dataset, DATASET_SPECS[dataset], options)
    return plan_groups(spec["mode"], options, config["training"]["group"], channels)


def null_figures(wildcards=None):
    """The permutation-null figures of the analyses that ask for a null."""
    return [
        f"results/{name}/figures/null.png"
        for name in ANALYSES
        if make_options(analysis(name).get("options", {})).null_permutations
    ]


def result_files(name):
    """The files of analysis `name`'s saved result (`neuralmi.load` reads them)."""
    return [f"results/{name}/{file}" for file in RESULT_FILES]


def saved_result(wildcards):
    return result_files(wildcards.analysis)


def references_of(figure):
    """The reference-estimate tables a sample_size figure needs (one per dataset of its analyses)."""
    spec = config["figures"][figure]
    if spec["kind"] != "sample_size":
        return []
    datasets = dict.fromkeys(analysis(name)["dataset"] for name in spec["analyses"])
    return [f"results/datasets/{name}/references.parquet" for name in datasets]


def figure_inputs(wildcards):
    """A figure's analyses' saved results, and its reference-estimate tables."""
    spec = config["figures"][wildcards.figure]
    saved = [file for name in spec["analyses"] for file in result_files(name)]
    return saved + references_of(wildcards.figure)


def final_outputs():
    """Every figure and table the workflow is run for; their checksums are results/checksums.sha256. Left out:
    timings.parquet (wall times), the training jobs' own files, logs and the report."""
    per_analysis = [name for name in RESULT_FILES if name != "timings.parquet"] + [
        "plan.parquet",
        "figures/main.png",
        "figures/main.pdf",
        "figures/curves.png",
    ]
    datasets = {analysis(name)["dataset"] for name in ANALYSES}
    nwb = sorted(datasets & set(NWB_DATASETS))
    return [
        "results/summary.parquet",
        "results/summary.csv",
        "results/summary.html",
        *expand("results/{analysis}/{file}", analysis=ANALYSES, file=per_analysis),
        *expand(
            "results/datasets/{dataset}/{side}.parquet",
            dataset=sorted(datasets),
            side=("x", "y", "z"),
        ),
        *expand(
            "results/paper/{figure}.{ext}",
            figure=FIGURES,
            ext=("png", "pdf", "parquet"),
        ),
        *dict.fromkeys(table for figure in FIGURES for table in references_of(figure)),
        *null_figures(),
        *expand("results/datasets/{dataset}/info.json", dataset=nwb),
        *expand("results/{group}/{file}", group=sorted(GROUPS), file=GROUP_OUTPUTS),
    ]


GROUP_OUTPUTS = (
    "group.json",
    "sessions.parquet",
    "group.parquet",
    "figures/forest.png",
    "figures/forest.pdf",
)


def group_inputs(wildcards):
    """The saved results of a group's session analyses."""
    members = GROUPS[wildcards.group].values()
    return [file for member in members for file in result_files(member)]


def get_job_fits(wildcards):
    return training_jobs(wildcards.analysis)[int(wildcards.job)]


@functools.cache
def in_rounds(name):
    """Whether analysis `name`'s mode trains in rounds (`neuralmi.api.rounds`)."""
    spec = analysis(name)
    return rounds(spec["mode"], make_options(spec.get("options", {})))


def round_jobs(name, r):
    """Fit ids of each training job of later round `r` of analysis `name`, planned by the checkpoint plan_round."""
    plan = checkpoints.plan_round.get(analysis=name, round=r).output[0]
    return _plan_jobs(plan, Path(plan).stat().st_mtime_ns)


@functools.cache
def _plan_jobs(path, modified):
    """A plan's training jobs, read once per version of the file (`modified`): the DAG is evaluated many times."""
    return job_groups(read_parquet(path), config["training"]["group"])


def later_rounds(name, before=None):
    """Fit ids of each training job of every round after the first, [[job, ...], ...] for rounds 1, 2..., of an
    analysis that trains in rounds (else none): each round is planned by the checkpoint plan_round from the fits of
    the rounds before it, until one plans no fit (or up to the round before `before`).
    """
    found = []
    while in_rounds(name) and (before is None or len(found) + 1 < before):
        jobs = round_jobs(name, len(found) + 1)
        if not jobs:
            break
        found.append(jobs)
    return found


def get_round_job_fits(wildcards):
    return round_jobs(wildcards.analysis, int(wildcards.round))[int(wildcards.job)]


def _per_job(kind, wildcards, before=None):
    """An analysis's `kind` (fits, curves) files of every training job: the first round's, then those of each later
    round (up to the round before `before`)."""
    name = wildcards.analysis
    first = [
        f"results/{name}/{kind}/{job}.parquet"
        for job in range(len(training_jobs(name)))
    ]
    later = [
        f"results/{name}/rounds/{r}/{kind}/{job}.parquet"
        for r, jobs in enumerate(later_rounds(name, before), start=1)
        for job in range(len(jobs))
    ]
    return first + later


def get_fits(wildcards):
    return _per_job("fits", wildcards)


def get_curves(wildcards):
    return _per_job("curves", wildcards)


def earlier_fits(wildcards):
    """The fits of every round before a later round's plan."""
    return _per_job("fits", wildcards, int(wildcards.round))


def round_plans(wildcards):
    """The plans of an analysis's later rounds, the last (empty) one included, so that the summary depends on them."""
    name = wildcards.analysis
    if not in_rounds(name):
        return []
    count = len(later_rounds(name)) + 1
    return [f"results/{name}/rounds/{r}/plan.parquet" for r in range(1, count + 1)]


# Snakemake invocations that run no job: damaged outputs are left as they are
RUNS_NO_JOB = {
    "--unlock",
    "--lint",
    "--list",
    "-l",
    "--list-rules",
    "--list-target-rules",
    "--lt",
    "--summary",
    "-S",
    "--detailed-summary",
    "-D",
    "--delete-all-output",
    "--delete-temp-output",
    "--dag",
    "--rulegraph",
    "--filegraph",
    "--d3dag",
    "--report",
    "--cleanup-metadata",
    "--cm",
    "--archive",
    "--containerize",
    "--print-compilation",
    "--export-cwl",
    "--list-changes",
    "--lc",
    "--touch",
    "-t",
}


def _ours(path):
    """Whether `path` under results/ is an output of this config (an analysis's, a dataset's, a figure's, or the
    summary), so that a run may rebuild it."""
    parts = path.relative_to("results").parts
    return (
        parts == ("summary.parquet",)
        or parts[0] in ANALYSES
        or parts[0] in GROUPS
        or (
            parts[0] == "datasets" and len(parts) > 2 and parts[1] in config["datasets"]
        )
        or (parts[0] == "paper" and Path(parts[-1]).stem in FIGURES)
    )


def _remove_damaged_outputs():
    """An output left incomplete by a crash that was not ours (our writes are atomic), a full disk or a hand edit
    looks finished to Snakemake: find such Parquet and JSON files among this config's outputs before the DAG is
    built, name and remove them, and return them as targets of `all`, so that this run rebuilds them and what
    depends on them (Snakemake rebuilds a missing intermediate file only when asked). A dry run, and invocations
    that run no job (`RUNS_NO_JOB`), only name them; a damaged file that is not this config's is named, never
    touched. Only in the run a user starts (the jobs it submits parse this file too); before Snakemake's lock,
    which is harmless: a file removed is broken anyway, and a run in progress writes complete files only.
    """
    if not workflow.is_main_process or not Path("results").is_dir():
        return []
    acts = not workflow.output_settings.dryrun and not RUNS_NO_JOB & set(sys.argv[1:])
    rebuild = []
    for path, why in damaged_outputs("results"):
        if not _ours(path):
            print(
                f"neuralmi: {path}: {why}; not an output of this config, left alone",
                file=sys.stderr,
            )
            continue
        rebuild.append(str(path))
        done = "removed, to be rebuilt" if acts else "a run would remove and rebuild it"
        print(f"neuralmi: {path}: {why}; {done}", file=sys.stderr)
        if acts:
            path.unlink()
    return rebuild


_check_config()
REBUILD = _remove_damaged_outputs()
