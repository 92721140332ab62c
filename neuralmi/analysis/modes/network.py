"""Network mode: who drives whom among X's channels (or channel groups), as a directed graph of transfer
entropies, each edge's TE given the pasts of all the other channels.

For every target t, with the history and horizon of transfer mode (transfer.steps), four kinds of terms, each a
point that predicts t's future from a past:
- `pair` (one per source s): s's and t's pasts;  `own` (shared by every source of t): t's past beside a copy of it
  with its steps circularly shifted (by an offset fixed by the seed), a second input of a pair's shape that tells
  nothing: the bivariate TE(s -> t) = pair - own;
- `all`: every unit's past;  `rest` (one per source s): the same with s's steps shifted, so the conditional
  TE(s -> t | others) = all - rest, what s's past adds once every other unit's past is known.
The shifted copy takes the place of a dropped input so that both terms of a TE have critics of one shape: the
held-out loss an extra input costs (over-fitting) is the same on both sides, and a source that adds nothing has a
TE of zero on average, not below it. Every term is one fit per repeat on all samples (a blocked split) reporting
held-out values, or with `folds` one fit per fold whose held-out blocks partition the samples (cross-fitting: every
sample held out once, the folds' differences pooled); the two terms of a TE share every split and seed, and the TE
is the mean of the per-sample differences of their held-out terms, with a standard error from consecutive batch
means (the terms are autocorrelated in time) and its degrees of freedom (19; pooled over folds and repeats, or the
repeats' count less one where their spread sets the error), whose t gives the interval. An edge's p-value is
one-sided from its z-score (TE / se) on that t, after the empirical null of the graph's z-scores where that is wider
(`empirical_null`), or with `null_permutations` from surrogates: the `all` term with s's steps shifted by other
offsets; q-values are Benjamini-Hochberg over every ordered pair of the graph, and an edge is selected when its q
is below 1 - confidence.
Equal shapes train as one stack: pair and own points of every target are one stack, all and rest points another
(two per repeat, however many units; fits per repeat: 2 N (N - 1) + 2 N = 2 N^2 for N units, times `folds`).
With `conditioning='greedy'` there are pair and own terms only, in rounds: the first without conditioning (N^2 fits
per repeat), each later one with `given` units (a target's chosen sources, whose pasts both terms take), chosen from
the rounds before (`analysis/selection.py`); an edge's TE is then given its target's chosen sources (the others, for
a chosen one).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from neuralmi.analysis import null
from neuralmi.analysis.channels import x_units
from neuralmi.analysis.contract import Mode
from neuralmi.analysis.fits import plain, with_reported
from neuralmi.analysis.history import SHIFTED_DRIVER, require_history, steps, time_split
from neuralmi.analysis.paired import held_out_difference
from neuralmi.analysis.planning import cross_fitted
from neuralmi.analysis.result import MIResult
from neuralmi.analysis.selection import Selection, empirical_null, null_p, select
from neuralmi.analysis.style import DOUBLE_COLUMN, PANEL_HEIGHT, new_figure, styled
from neuralmi.analysis.verdicts import fit_warnings
from neuralmi.data.processing import samples
from neuralmi.errors import FitError, InputError

BATCHES = 20
TERMS = ("own", "pair", "all", "rest")
EDGE_DOCS = {
    "source": "the driving unit (a channel index or a channel group's name)",
    "target": "the driven unit",
    "mi": "TE(source -> target) given the pasts of every other unit (held-out, in the result's units); with "
          "conditioning 'greedy', of the target's chosen sources (the others, for a chosen source)",
    "se": "its standard error (batch means of the per-sample differences, over folds and repeats)",
    "df": "the degrees of freedom of se (19 for 20 batch means; pooled over folds and repeats), of its t",
    "ci_low": "its interval's lower end (a t interval with the error's degrees of freedom)",
    "ci_high": "its interval's upper end",
    "p_te": "one-sided p of the conditional TE from its z-score (TE / se) on a t with the error's degrees of freedom, "
            "after the edges' null (`null_z`)",
    "q_te": "Benjamini-Hochberg q of p_te over every ordered pair",
    "bivariate": "TE(source -> target) given the target's own past alone",
    "bivariate_ci_low": "its interval's lower end",
    "bivariate_ci_high": "its interval's upper end",
    "p_bivariate": "one-sided p of the bivariate TE from its z-score on the t of its error, after the edges' null "
                   "(`null_z`)",
    "q_bivariate": "Benjamini-Hochberg q of p_bivariate over every ordered pair (the bivariate-only graph)",
    "p_value": "with null_permutations: the conditional TE's p against surrogates (the source's past shifted)",
    "q_value": "with null_permutations: its Benjamini-Hochberg q over every ordered pair",
    "p_target": "Holm-adjusted p (p_value with surrogates, else p_te) over the target's candidate sources",
    "selected": "whether the edge is in the graph: below 1 - confidence, q_value (with surrogates, else q_te) with "
                "edge_control 'graph_fdr', p_target with 'target_fwer'; with conditioning 'greedy', chosen too",
    "chosen": "conditioning 'greedy' only: whether the source was added to its target's sources by a step's maximum "
              "test (`analysis/selection.py`)",
}


@dataclass
class NetworkResult(MIResult):
    """Network mode: `mi` is the strongest edge's conditional TE; `to_frame()` one row per ordered pair
    (EDGE_DOCS); `adjacency()` the selected edges as a sources-by-targets table."""

    def to_frame(self) -> pd.DataFrame:
        frame = self.frame.copy()
        tested = "p_value" if "p_value" in frame else "p_te"
        frame["p_target"] = frame.groupby("target", sort=False)[tested].transform(null.holm_adjusted)
        chosen = frame["p_target"] if self.details["edge_control"] == "target_fwer" else (
            frame["q_value"] if "q_value" in frame else frame["q_te"])
        selected = (chosen < 1 - self.details["confidence"]).to_numpy()
        return frame.assign(selected=selected & frame["chosen"].to_numpy(bool) if "chosen" in frame else selected)

    def adjacency(self, column: str = "selected") -> pd.DataFrame:
        """`column` of every ordered pair as a sources-by-targets table (NaN diagonal)."""
        units = self.details["nodes"]
        table = self.to_frame().pivot(index="source", columns="target", values=column)
        return table.reindex(index=units, columns=units).astype(float)

    @property
    def answer(self) -> str:
        edges = self.to_frame()
        chosen = edges[edges["selected"]].sort_values("mi", ascending=False)
        listed = ", ".join(f"{r.source}->{r.target} {r.mi:.3g} [{r.ci_low:.3g}, {r.ci_high:.3g}]"
                           for r in chosen.head(6).itertuples())
        more = f" and {len(chosen) - 6} more" if len(chosen) > 6 else ""
        level = f"{1 - self.details['confidence']:.2g}"
        control = (f"family-wise error {level} per target" if self.details["edge_control"] == "target_fwer" else
                   f"FDR {level} over the graph")
        text = (f"{len(chosen)} of {len(edges)} directed edges selected at {control}"
                + (f": {listed}{more}" if listed else ""))
        silent = self.details["silent"]
        if silent:
            text += f"; units {', '.join(map(str, silent))} never vary (no edge can be found to or from them)"
        return text


class Network(Mode):
    name = "network"
    point_keys = ("source", "target")
    question = "Who drives whom: the directed graph of X's channels, each edge's TE given all other channels?"
    own_options = ("history", "horizon", "channel_groups", "edge_control", "folds", "conditioning")
    x_alone = True
    time_ordered = True
    channel_points = True
    peak = True
    point_noun = "edges"
    refused_nulls = {**Mode.refused_nulls, **SHIFTED_DRIVER}

    def points(self, options, channels):
        """Per ordered pair (s, t): s's and t's pasts (pair), every unit's with s shifted (rest); per target: t's
        past beside a shifted copy of it (own), every unit's past (all). Greedy conditioning: the first round's pair
        and own terms (`next_points` gives the later ones)."""
        require_history(options, self.name)
        if channels is None:
            raise InputError("network mode: the number of channels is needed to list the edges")
        n_x, n_y = channels
        if n_y:
            raise InputError(f"y: network mode takes every channel as x (the graph is among X's channels), found a y "
                             f"with {n_y} channels; join them to x")
        units = list(x_units(options, n_x))
        if len(units) < 2:
            raise InputError(f"x: network mode needs at least 2 channels or groups, found {len(units)}")
        pairs = [(s, t) for t in units for s in units if s != t]
        if options.conditioning == "greedy":
            if options.null_permutations:
                raise InputError("null_permutations: network mode's greedy conditioning tests each step against "
                                 "the graph's empirical null of z-scores; surrogates apply to conditioning 'all'")
            return [_term("pair", t, (), s) for s, t in pairs] + [_term("own", t, ()) for t in units]
        return ([{"source": s, "target": t, "term": "pair"} for s, t in pairs]
                + [{"target": t, "term": "own"} for t in units]
                + [{"target": t, "term": "all", "sources": [s for s in units if s != t]} for t in units]
                + [{"source": s, "target": t, "term": "rest"} for s, t in pairs])

    def fit_gammas(self, options):
        return [1] * ((options.repeats or 1) * (options.folds or 1))

    def plan(self, n, options, seed, point):
        """One fit per repeat on all samples (with `folds`, one per fold), the same for every point (so the terms of
        a TE pair up)."""
        return cross_fitted(n, options, seed, range(options.repeats or 1))

    def resolve(self, options, source):
        return time_split(options, source, self.name)

    def keeps_terms(self, options):
        return True

    def in_rounds(self, options):
        return options.conditioning == "greedy"

    def next_points(self, options, channels, fits):
        """Greedy conditioning: the pair and own terms of the TEs the selection's next step needs (none: done)."""
        if not self.in_rounds(options):
            return []
        trained = set(fits["params"])
        wanted = [point for s, t, given in _greedy(with_reported(fits, "val_mi"), options)[0].missing
                  for point in (_term("pair", t, given, s), _term("own", t, given))]
        keys = dict.fromkeys(json.dumps(point, sort_keys=True) for point in wanted)
        return [json.loads(key) for key in keys if key not in trained]

    def sample_key(self, point):
        """A surrogate's driver does not change the observed `all` term's samples."""
        return {k: v for k, v in point.items() if k != "rotated"}

    def point_samples(self, source, point, options, seed, driver_order=None):
        """(past, future): past (n, history, features) of the point's units side by side (the target last),
        future (n, 1, features) of the target, `horizon` steps after the past ends. A rest term's source, and an own
        term's copy of the target, have their steps shifted (`null.surrogate_order`'s stream 0);
        `driver_order(steps)` reorders the steps of unit `point['rotated']` (a surrogate) before the past is cut.
        A pair or own term's `given` units (greedy conditioning) bring their pasts after its first input."""
        x, _ = samples(source, options)
        past, ahead = steps(source, options)
        groups = x_units(options, x.shape[-1])
        columns = {u: x[..., c].reshape(len(x), -1) for u, c in groups.items()}
        target = point["target"]
        shifted = null.surrogate_order(len(x), "shift", options, seed, 0)
        if point["term"] == "rest":
            columns[point["source"]] = columns[point["source"]][shifted]
        if driver_order is not None:
            columns[point["rotated"]] = columns[point["rotated"]][driver_order(len(x))]
        n = len(x) - past - ahead + 1
        if n < 2 * BATCHES:
            raise InputError(f"history, horizon: {past} + {ahead} steps of a recording of {len(x)} steps leave "
                             f"{max(n, 0)} samples; network mode needs at least {2 * BATCHES} (more steps, or a "
                             f"shorter history)")
        inputs = ([columns[u] for u in point["sources"]] if point["term"] == "all" else
                  [columns[u] for u in groups if u != target] if point["term"] == "rest" else
                  [columns[target][shifted] if point["term"] == "own" else columns[point["source"]]]
                  + [columns[u] for u in point.get("given", [])])

        def lagged(a):
            return np.stack([a[j : j + n] for j in range(past)], axis=1)

        history = np.concatenate([lagged(a) for a in inputs + [columns[target]]], axis=2)
        future = columns[target][past + ahead - 1 : past + ahead - 1 + n][:, None, :]
        return history.astype(np.float32), future.astype(np.float32)

    def null_variants(self, point):
        """Surrogates of the `all` term, one set per source: that source's past shifted against the rest."""
        if point["term"] != "all":
            return []
        return [{**point, "rotated": s} for s in point["sources"]]

    def surrogate(self, source, point, options, seed):
        def order(length):
            return null.surrogate_order(length, null.method(options, self), options, seed, point["null"])

        return self.point_samples(source, null.base_point(point), options, seed, order)

    def reported_column(self, options):
        return "val_mi"

    def statistics(self, fits, options, units):
        """The permutation null's statistic: each edge's conditional TE (held-out)."""
        edges, _ = _edges(with_reported(fits, "val_mi"), options)
        return pd.DataFrame([{"source": s, "target": t, "statistic": te.mi} for (s, t), (te, _) in edges.items()])

    def summarise(self, fits, curves, options, units):
        """Every ordered pair's conditional and bivariate TE with intervals, p and q; the strongest edge leads."""
        table = with_reported(fits, "val_mi")
        edges, selection = _edges(table, options)
        rows, reasons = [], fit_warnings(table, options.bound, units)
        for (s, t), (te, bivariate) in edges.items():
            rows.append({"source": s, "target": t, "mi": te.mi, "se": te.details["se"], "df": te.details["df"],
                         "ci_low": te.ci_low, "ci_high": te.ci_high, "p_te": np.nan, "q_te": np.nan,
                         "bivariate": bivariate.mi, "bivariate_ci_low": bivariate.ci_low,
                         "bivariate_ci_high": bivariate.ci_high,
                         "p_bivariate": np.nan, "q_bivariate": np.nan,
                         **({} if selection is None else {"chosen": s in selection.chosen[t]})})
        frame = pd.DataFrame(rows)
        scales = {}
        for column, which in (("te", 0), ("bivariate", 1)):
            z, df = np.array([_z(pair[which]) for pair in edges.values()], dtype=float).reshape(-1, 2).T
            scales[column] = empirical_null(z, df)
            frame[f"p_{column}"] = null_p(z, df, scales[column])
            frame[f"q_{column}"] = null.bh_q_values(frame[f"p_{column}"].to_numpy())
        if not np.isfinite(frame["mi"]).any():
            raise FitError("network mode: no edge gave a finite TE (every critic diverged): try infonce or a lower "
                           "learning_rate")
        top = int(frame["mi"].idxmax())
        best = frame.iloc[top]
        units_list = list(dict.fromkeys(frame["target"]))
        return NetworkResult(
            mode="network", mi=float(best["mi"]), ci_low=float(best["ci_low"]), ci_high=float(best["ci_high"]),
            reliable=not reasons, reasons=reasons, units=units, fits=table, curves=curves, frame=frame,
            plotter=plot_network,
            details={"strongest": [plain(frame.at[top, "source"]), plain(frame.at[top, "target"])],
                     "nodes": units_list,
                     "edges": len(frame), "confidence": options.confidence, "edge_control": options.edge_control,
                     "silent": _silent(table, units_list),
                     "null_z": scales, **({} if selection is None else {"steps": selection.steps})},
        )


def _edges(table: pd.DataFrame, options) -> tuple[dict, Selection | None]:
    """({(source, target): (conditional TE, bivariate TE)}, each a held-out paired difference; with greedy
    conditioning, its Selection, else None). A surrogate table's `all` fits with a rotated source stand in for that
    source's edge."""
    if options.conditioning == "greedy":
        selection, te = _greedy(table, options)
        if selection.missing:
            s, t, given = selection.missing[0]
            raise FitError(f"network mode, greedy conditioning: {len(selection.missing)} TEs of a later round are not "
                           f"in the fits (e.g. {s} -> {t} given {list(given)}); neuralmi.run and the workflow train "
                           f"every round")
        return {(s, t): (te(s, t, given), te(s, t, ())) for (s, t), given in selection.given.items()}, selection
    labels = _labels(table)
    rotated = labels["rotated"]

    def term(name, target, source=None):
        chosen = (labels["term"] == name) & (labels["target"] == target)
        return chosen & (labels["source"] == source) if source is not None else chosen

    out = {}
    for r in labels[labels["term"] == "rest"][["source", "target"]].drop_duplicates().itertuples(index=False):
        s, t = r.source, r.target
        shifted = term("all", t) & (rotated == s)
        full = table[shifted] if shifted.any() else table[term("all", t) & rotated.isna()]
        te = held_out_difference(full, table[term("rest", t, s)], options.confidence, BATCHES)
        bivariate = held_out_difference(table[term("pair", t, s)], table[term("own", t)], options.confidence, BATCHES)
        out[s, t] = (te, bivariate)
    return out, None


def _term(term: str, target, given, source=None) -> dict:
    """A pair (with `source`) or own term's point, with `given` (greedy conditioning's chosen sources) where any."""
    point = {"target": target, "term": term} if source is None else {"source": source, "target": target, "term": term}
    return {**point, "given": list(given)} if given else point


def _greedy(table: pd.DataFrame, options):
    """Greedy conditioning replayed from a fit table (`analysis/selection.py`): its Selection, and `te(source, target,
    given)`, the held-out difference of a pair term and the own term with its `given` (None where not trained), each
    computed once."""
    by_point = dict(tuple(table.groupby("params", sort=False)))
    units = list(dict.fromkeys(json.loads(params)["target"] for params in table["params"]))
    tes = {}

    def te(s, t, given):
        if (s, t, given) not in tes:
            pair, own = (by_point.get(json.dumps(_term(term, t, given, source), sort_keys=True))
                         for term, source in (("pair", s), ("own", None)))
            trained = pair is not None and own is not None
            tes[s, t, given] = held_out_difference(pair, own, options.confidence, BATCHES) if trained else None
        return tes[s, t, given]

    def te_z(s, t, given):
        return None if te(s, t, given) is None else _z(te(s, t, given))

    return select(units, te_z, 1 - options.confidence, tuple(_silent(table, units))), te


def _z(te) -> tuple[float, float]:
    """A held-out TE over its standard error (NaN without one) and the error's degrees of freedom."""
    se = te.details["se"]
    return (float(te.mi / se) if np.isfinite(se) and se > 0 else np.nan), te.details["df"]


def _labels(table: pd.DataFrame) -> pd.DataFrame:
    """The points' parameters as columns of Python values (units stay ints or names; missing ones None)."""
    records = [json.loads(p) for p in table["params"]]
    return pd.DataFrame({k: [r.get(k) for r in records] for k in ("source", "target", "term", "rotated")},
                        index=table.index, dtype=object)


def _silent(table: pd.DataFrame, units: list) -> list:
    """Units whose pair terms (as targets) have held-out terms all equal (within 1e-4) in every fit (a channel that
    never varies: its future is constant, and each term is the bound's value at a constant score, up to rounding)."""
    labels = _labels(table)
    own = table[labels["term"] == "pair"].assign(target=labels["target"])
    flat = own.groupby("target")["val_terms"].apply(lambda terms: all(np.ptp(np.asarray(v)) < 1e-4 for v in terms))
    return [plain(u) for u in units if bool(flat.get(u, False))]


@styled
def plot_network(result, ax=None):
    """The graph drawn over the units on a circle (selected edges as arrows, width by TE) and, without `ax`, the
    conditional TE matrix beside it (sources by targets, unselected pairs grey)."""
    if ax is None:
        fig, (ax, matrix_ax) = new_figure(2, width=DOUBLE_COLUMN, height=1.4 * PANEL_HEIGHT)
    else:
        fig, matrix_ax = ax.figure, None
    units = result.details["nodes"]
    edges = result.to_frame()
    angle = np.pi / 2 - 2 * np.pi * np.arange(len(units)) / len(units)
    where = {u: (np.cos(a), np.sin(a)) for u, a in zip(units, angle)}
    top = max(float(edges.loc[edges["selected"], "mi"].max()) if edges["selected"].any() else 0.0, 1e-12)
    for r in edges[edges["selected"]].itertuples():
        ax.annotate("", xy=where[r.target], xytext=where[r.source],
                    arrowprops={"arrowstyle": "-|>", "lw": 0.5 + 2.5 * max(r.mi, 0) / top, "color": "C0",
                                "shrinkA": 8, "shrinkB": 8, "connectionstyle": "arc3,rad=0.12"})
    for u, (px, py) in where.items():
        silent = u in result.details["silent"]
        ax.scatter([px], [py], s=160, color="0.85" if silent else "w", edgecolors="0.2", zorder=3)
        ax.text(px, py, str(u), ha="center", va="center", zorder=4)
    ax.set_xlim(-1.3, 1.3)
    ax.set_ylim(-1.3, 1.3)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(f"{int(edges['selected'].sum())} selected edges (conditional TE)")
    if matrix_ax is not None:
        values = result.adjacency("mi").to_numpy(float)
        hidden = result.adjacency("selected").to_numpy(float) != 1
        matrix_ax.imshow(np.where(np.isfinite(values), 0.0, np.nan), cmap="Greys", vmin=-1, vmax=4)
        image = matrix_ax.imshow(np.ma.masked_where(hidden, values), cmap="viridis", vmin=0, vmax=top)
        fig.colorbar(image, ax=matrix_ax, label=f"TE ({result.units})")
        matrix_ax.set_xticks(range(len(units)), [str(u) for u in units], rotation=90)
        matrix_ax.set_yticks(range(len(units)), [str(u) for u in units])
        matrix_ax.set_xlabel("target")
        matrix_ax.set_ylabel("source")
    return fig
