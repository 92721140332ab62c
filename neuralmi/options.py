"""Estimator options: one JSON schema (schemas/options.schema.json) is the single source of truth.

The Python API and the workflow both validate against it; this module turns a validated mapping into a
frozen, typed `Options` with every default filled in.
"""

from __future__ import annotations

import dataclasses
import json
from importlib import resources
from typing import Any, Callable, Mapping

import jsonschema

from neuralmi.errors import InputError
from neuralmi.keys import did_you_mean, unknown_key


def load_schema() -> dict:
    """The options schema as a dict."""
    return json.loads(resources.files("neuralmi").joinpath("schemas/options.schema.json").read_text())


_SCHEMA = load_schema()
DEFAULTS = {key: spec["default"] for key, spec in _SCHEMA["properties"].items()}


@dataclasses.dataclass(frozen=True)
class Options:
    """Validated estimator options; field names and defaults are those of the schema."""

    bound: str
    bracket: bool
    upper_bound: str
    upper_critic: str
    y_entropy_nats: float | None
    proposal_samples: int
    smile_tau: float
    mine_ema: float
    critic: str
    learned_scale: bool | None
    mixture_components: int
    flow_layers: int
    embedding: Any
    marginal_terms: bool | None
    hidden_dim: int
    n_layers: int
    embedding_dim: int
    activation: str
    kernel_size: int
    kl_weight: float
    batch_size: int
    learning_rate: float
    weight_decay: float
    max_epochs: int
    eval_interval: int
    patience: int | None
    patience_fraction: float | None
    eval_block_size: int | None
    median_window: int
    smoothing_sigma: float
    validation_fraction: float
    split: str
    n_validation_blocks: int
    folds: int | None
    gap: int | None
    validation_indices: tuple | None
    estimate_on: str
    rank_transform: bool
    standardize: bool
    gammas: tuple
    repeats: int | None
    linearity_threshold: float
    min_gammas: int
    confidence: float
    processor: str | None
    processor_x: Any
    processor_y: Any
    processor_z: Any
    sample_rate: float | None
    window_size: float | None
    step_size: float | None
    duration: float | None
    bin_size: float | None
    spike_encoding: str
    max_spikes_per_window: int | None
    fill_value: float
    categorical_encoding: str
    lags: tuple | None
    embedding_dims: tuple | None
    saturation_tolerance: float
    grid: dict | None
    history: float | None
    horizon: float | None
    directions: str
    conditional_correction: str
    precisions: tuple | None
    perturbation: str
    perturbed_side: str
    precision_fraction: float
    channel_groups: dict | None
    edge_control: str
    conditioning: str
    null_permutations: int
    null_method: str
    null_tail: bool
    device: str
    threads: int | None
    stack_memory_mb: int

    def replace(self, **changes) -> "Options":
        """A copy with some options changed, validated again."""
        return make_options({**self.as_dict(), **changes})

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


def jsonable(value):
    """An option's value as JSON holds it (tuples and arrays as lists)."""
    if isinstance(value, tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def _describe(error: jsonschema.ValidationError) -> str:
    key = ".".join(str(p) for p in error.absolute_path) or "options"
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema["properties"]))
        return "; ".join(unknown_key(key, name, error.schema["properties"])
                         for name in extra)
    if error.validator == "enum":
        hint = did_you_mean(error.instance, error.validator_value) if isinstance(error.instance, str) else ""
        found = f"option {key!r}: expected one of {error.validator_value}, found {error.instance!r}"
        return f"{found}; {hint}" if hint else found
    return f"option {key!r}: {error.message}"


def validate_options(options: Mapping[str, Any]) -> dict:
    """Validate a mapping against the schema and return it with defaults filled in.

    A callable `embedding` (a factory of torch modules) is accepted from Python callers.
    """
    options = dict(options)
    factory: Callable | None = None
    if callable(options.get("embedding")):
        factory = options.pop("embedding")
    checked = {key: jsonable(value) for key, value in options.items()}
    errors = sorted(jsonschema.Draft202012Validator(_SCHEMA).iter_errors(checked), key=lambda e: list(e.path))
    if errors:
        raise InputError("; ".join(_describe(e) for e in errors))
    full = {**DEFAULTS, **checked}
    if factory is not None:
        full["embedding"] = factory
    if full["min_gammas"] > len(full["gammas"]):
        raise InputError(
            f"option 'min_gammas': {full['min_gammas']} exceeds the number of gammas ({len(full['gammas'])})"
        )
    _check_grid(full["grid"])
    if full["split"] == "indices" and not full["validation_indices"]:
        raise InputError("option 'validation_indices': split='indices' needs a non-empty list of held-out indices")
    return full


NOT_SWEPT = ("grid", "bracket", "upper_bound", "upper_critic", "y_entropy_nats", "lags", "embedding_dims", "history",
             "horizon", "directions", "conditional_correction", "precisions", "perturbation", "perturbed_side",
             "precision_fraction", "channel_groups", "edge_control", "folds", "conditioning", "null_permutations",
             "null_method", "null_tail", "gammas", "repeats", "validation_indices", "device", "threads",
             "stack_memory_mb", "processor", "processor_x", "processor_y", "processor_z", "sample_rate", "duration")


def _check_grid(grid) -> None:
    """Sweep grid keys must be options that change one estimate: not another mode's protocol, and not how the
    recordings are read (processors, sample_rate, duration: one analysis reads its data one way)."""
    sweepable = sorted(set(_SCHEMA["properties"]) - set(NOT_SWEPT))
    for key in grid or {}:
        if key not in _SCHEMA["properties"]:
            raise InputError(unknown_key("option 'grid'", key, sweepable))
        if key in NOT_SWEPT:
            raise InputError(f"option 'grid': {key!r} cannot be swept; sweepable options: {sweepable}")
        for value in grid[key]:
            validate_options({key: value})


def make_options(options: Mapping[str, Any] | None = None) -> Options:
    """Validated, typed options from a mapping (missing keys take the schema's defaults)."""
    full = validate_options(options or {})
    for key in ("gammas", "validation_indices", "lags", "embedding_dims", "precisions"):
        if full[key] is not None:
            full[key] = tuple(full[key])
    return Options(**full)
