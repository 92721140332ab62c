"""The mode contract (neuralmi/analysis/contract.py), checked on every registered mode: its declarations, its plan,
training in any grouping, its summary, its null and its determinism; and a mode written here, registered at run
time, that runs through the same steps with nothing else changed (what a new mode needs: its module and one
registry line)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import neuralmi
from mode_examples import EXAMPLES, run_example, sides
from neuralmi.analysis import modes
from neuralmi.analysis.contract import Mode
from neuralmi.analysis.fits import held_out_by_default, with_reported
from neuralmi.analysis.modes.network import EDGE_DOCS
from neuralmi.analysis.planning import repeated_fits
from neuralmi.analysis.points import resolved
from neuralmi.analysis.result import MIResult
from neuralmi.analysis.summaries import params_frame, point_means
from neuralmi.api import plan, plan_groups, source, summarise, train
from neuralmi.data.processing import channel_counts, samples
from neuralmi.errors import InputError
from neuralmi.options import DEFAULTS, load_schema, make_options

NULL = 2
DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_every_registered_mode_has_an_example():
    assert set(EXAMPLES) == set(modes.MODES)


@pytest.mark.parametrize("name", sorted(modes.MODES))
def test_a_mode_declares_what_the_machinery_needs(name):
    mode = modes.MODES[name]
    assert isinstance(mode, Mode) and mode.name == name and mode.question
    assert all(key in DEFAULTS for key in mode.own_options), "a mode's own options are entries of the options schema"
    descriptions = {key: load_schema()["properties"][key]["description"].lower() for key in mode.own_options}
    assert all(name in text for text in descriptions.values()), "an option's description names every mode it serves"
    assert mode.null_default in (None, "permute", "shift", "local")
    assert set(mode.refused_nulls) <= {"permute", "shift", "local"} and mode.null_default not in mode.refused_nulls


@pytest.mark.parametrize("name", sorted(modes.MODES))
def test_a_mode_plans_trains_in_any_grouping_summarises_and_is_deterministic(name, fast):
    """The steps the workflow runs (plan, training jobs of one gamma each, summary) give what `run` gives, bit for
    bit, with a permutation null; the plan has `fit_gammas` fits per point, and the jobs cover it once."""
    x, y, z = sides(name)
    options = make_options({**fast, **EXAMPLES[name][1], "null_permutations": NULL})
    mode = modes.MODES[name]
    src = source(x, y, options, name, z)
    table = plan(src, name, options, 3)
    per_point = table.groupby("point").size()
    assert (per_point == len(mode.fit_gammas(options))).all()
    assert set(table["null"]) == set(range(NULL + 1))
    jobs = plan_groups(name, options, "gamma", channel_counts(src) if mode.channel_points else None)
    assert sorted(i for job in jobs for i in job) == list(range(len(table)))
    parts = [train(src, table[table["fit_id"].isin(job)], name, options, 3, "bits") for job in jobs]
    fits, curves = (pd.concat([p[i] for p in parts]).sort_values("fit_id", ignore_index=True) for i in (0, 1))
    result = summarise(name, fits, curves, options, "bits")
    again = run_example(name, fast, null_permutations=NULL)
    assert isinstance(result, MIResult) and result.mode == name and type(again) is type(result)
    assert json.dumps(result.to_dict(), sort_keys=True) == json.dumps(again.to_dict(), sort_keys=True)
    kept = [c for c in result.fits.columns if c != "seconds"]
    pd.testing.assert_frame_equal(result.fits[kept], again.fits[kept])
    assert isinstance(result.finding, str) and "p_value" in result.details and set(result.null["surrogate"]) == set(
        range(NULL + 1))
    assert ((result.significance["p_value"] > 0) & (result.significance["p_value"] <= 1)).all()
    assert isinstance(result.plot(), Figure) and isinstance(result.plot_null(), Figure)
    assert undocumented(result, name) == []


def undocumented(result, name: str) -> list[str]:
    """The keys of `to_dict()` and columns of `to_frame()` that neither the mode's page nor the null's page names
    in backticks: every registered mode has a page, and the fields of its result are on it."""
    pages = [DOCS / "modes" / f"{name}.md", DOCS / "methods" / "null.md"]
    text = "".join(page.read_text() for page in pages if page.is_file())
    generated = EDGE_DOCS if "generated: columns:network" in text else {}
    fields = [*result.to_dict(), *result.to_frame().columns]
    return [f for f in fields if f"`{f}`" not in text and f not in generated] if (DOCS / "modes" / f"{name}.md").is_file() else [name]


class Halves(Mode):
    """A mode written for this test: the held-out MI of the first half of the samples and of all of them."""

    name = "halves"
    question = "Is the MI of the first half of the recording that of the whole?"
    reference = True

    def points(self, options, channels):
        return [{"fraction": 0.5}, {"fraction": 1.0}]

    def fit_gammas(self, options):
        return [1]

    def plan(self, n, options, seed, point):
        return repeated_fits(n, options, seed, range(1))

    def point_samples(self, source, point, options, seed):
        x, y = samples(source, options)
        keep = int(len(x) * point["fraction"])
        return x[:keep], y[:keep]

    def reported_column(self, options):
        return held_out_by_default(options)

    def statistics(self, fits, options, units):
        table = with_reported(fits, self.reported_column(options))
        table["fraction"] = params_frame(table)["fraction"]
        return point_means(table, ["fraction"], options.confidence)[["fraction", "mi"]].rename(
            columns={"mi": "statistic"})

    def summarise(self, fits, curves, options, units):
        table = with_reported(fits, self.reported_column(options))
        table["fraction"] = params_frame(table)["fraction"]
        means = point_means(table, ["fraction"], options.confidence)
        whole = means.iloc[-1]
        return MIResult(mode=self.name, mi=float(whole["mi"]), ci_low=float(whole["ci_low"]),
                        ci_high=float(whole["ci_high"]), reliable=True, reasons=[], units=units, fits=table,
                        curves=curves, summary=means, frame=means, plotter=lambda result, ax=None: Figure())


def test_a_mode_written_elsewhere_runs_through_every_step_once_registered(monkeypatch, fast, tmp_path):
    monkeypatch.setitem(modes.MODES, "halves", Halves())
    x, y, _ = sides("estimate")
    result = neuralmi.run(x, y, mode="halves", seed=1, null_permutations=2, **fast)
    assert list(result.to_frame()["fraction"]) == [0.5, 1.0] and result.fits["n_samples"].tolist()[:2] == [200, 400]
    assert np.isfinite(result.fits.loc[result.fits["null"] == 0, "reference_mi"]).all()
    assert result.finding.startswith("p = ") and len(result.significance) == 2
    loaded = neuralmi.load(result.save(tmp_path))
    assert loaded.to_dict() == result.to_dict()
    with pytest.raises(InputError, match="option 'lags': applies to mode 'lag', not 'halves'"):
        neuralmi.run(x, y, mode="halves", lags=[0, 1], **fast)
    with pytest.raises(InputError, match="needs both x and y"):
        neuralmi.run(x, None, mode="halves", **fast)


LEFT_TO_THE_MODE = {"learned_scale": (False, {"dimensionality": True}),
                    "patience_fraction": (0.5, {"dimensionality": 0.0})}
"""Options whose null means the mode's own value: (the value where a mode has none, each mode's own)."""


@pytest.mark.parametrize("key", sorted(LEFT_TO_THE_MODE))
def test_an_option_left_to_the_mode_takes_the_modes_own_and_a_given_value_is_kept(fast, key):
    base, own = LEFT_TO_THE_MODE[key]
    description = load_schema()["properties"][key]["description"]
    assert DEFAULTS[key] is None and all(name in description for name in own)
    for name, mode in modes.MODES.items():
        x, y, z = sides(name)
        given_values = (True, False) if key == "learned_scale" else (0.25, 0.0, 0.5)
        for given, expected in ((None, own.get(name, base)), *((value, value) for value in given_values)):
            options = make_options({**fast, **EXAMPLES[name][1], key: given})
            src = source(x, y, options, name, z)
            point = mode.points(options, channel_counts(src) if mode.channel_points else None)[0]
            assert getattr(resolved(mode, options, point, src), key) == expected, name
