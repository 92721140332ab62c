"""Transfer mode: TE(X -> Y) = I([X past, Y past]; Y future) - I(Y past; Y future), how much the past of X
predicts Y beyond what Y's own past does; TE(Y -> X) alike, and their difference (the net flow).

Each step is one window of the processed recordings (or one row of a sample table, rows in time order). A sample
pairs the `history` steps that end `horizon` steps before a step with that step. The two terms of a TE are two
points whose fits share every subset and split (same gamma, repeat, subset, seed), so their difference is paired:
the subset-to-subset noise common to both terms cancels, and the differences of paired fits are extrapolated
like the fits of rigorous mode (`correction.corrected`), giving the TE with its interval; each term is corrected
too. Subsets and held-out blocks are contiguous in time, with a gap as long as a sample's span.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from neuralmi.analysis import null
from neuralmi.analysis.contract import Mode
from neuralmi.analysis.correction import corrected
from neuralmi.analysis.fits import training_by_default, with_reported
from neuralmi.analysis.history import SHIFTED_DRIVER, require_history, steps, time_split
from neuralmi.analysis.paired import below_zero, difference_summary, intervals, paired_difference, quantity_row
from neuralmi.analysis.planning import subset_fits, subset_gammas
from neuralmi.analysis.plots import plot_differences
from neuralmi.analysis.result import MIResult
from neuralmi.analysis.summaries import params_frame
from neuralmi.analysis.verdicts import fit_warnings
from neuralmi.data.processing import samples
from neuralmi.errors import InputError

DIRECTIONS = {"x_to_y": ("x", "y"), "y_to_x": ("y", "x")}
NAMES = {"x_to_y": "TE(X->Y)", "y_to_x": "TE(Y->X)", "net": "TE(X->Y) - TE(Y->X)"}
TERMS = ("joint", "own")


@dataclass
class TransferResult(MIResult):
    """Transfer mode: `mi` is the TE of the first direction asked for (X->Y with directions 'both');
    `to_frame()` holds every direction's TE (and the net flow) and both of its terms, each with its interval;
    `details['te']` the same as nested dicts."""

    @property
    def answer(self) -> str:
        names = {"x_to_y": "TE(X->Y)", "y_to_x": "TE(Y->X)", "net": "net X->Y"}
        te = self.frame[self.frame["quantity"] == "te"]
        return "; ".join(f"{names[r.direction]} {r.mi:.3g} [{r.ci_low:.3g}, {r.ci_high:.3g}]" for r in te.itertuples())


def _directions(options) -> list[str]:
    return list(DIRECTIONS) if options.directions == "both" else [options.directions]


class Transfer(Mode):
    name = "transfer"
    point_keys = ("direction", "quantity")
    question = "Does the past of X predict Y beyond Y's own past (transfer entropy, each direction)?"
    own_options = ("history", "horizon", "directions")
    time_ordered = True
    point_noun = "directions"
    refused_nulls = {**Mode.refused_nulls, **SHIFTED_DRIVER}

    def points(self, options, channels):
        """Two terms per direction: the joint past (driver and target) and the target's own past."""
        require_history(options, self.name)
        return [{"direction": d, "term": t} for d in _directions(options) for t in TERMS]

    def fit_gammas(self, options):
        return subset_gammas(options)

    def plan(self, n, options, seed, point):
        """The rigorous plan, the same for every point (it depends on n, the options and the seed only)."""
        return subset_fits(n, options, seed)

    def resolve(self, options, source):
        return time_split(options, source, self.name)

    def point_samples(self, source, point, options, seed, driver_order=None):
        """(past, future): past (n, history, features) of the target alone ('own') or of driver and target side
        by side ('joint'); future (n, 1, features) of the target, `horizon` steps after the past ends.
        `driver_order(steps)` gives the order of the driver's steps (a permutation-null surrogate)."""
        x, y = samples(source, options)
        past, ahead = steps(source, options)
        sides = {"x": x.reshape(len(x), -1), "y": y.reshape(len(y), -1)}
        if driver_order is not None:
            driver = DIRECTIONS[point["direction"]][0]
            sides[driver] = sides[driver][driver_order(len(x))]
        n = len(x) - past - ahead + 1
        if n < 2:
            raise InputError(f"history, horizon: {past} + {ahead} steps leave no samples in a recording of {len(x)} "
                             f"steps")
        driver, target = (sides[s] for s in DIRECTIONS[point["direction"]])

        def lagged(a):
            return np.stack([a[j : j + n] for j in range(past)], axis=1)

        own = lagged(target)
        history = own if point["term"] == "own" else np.concatenate([lagged(driver), own], axis=2)
        future = target[past + ahead - 1 : past + ahead - 1 + n][:, None, :]
        return history.astype(np.float32), future.astype(np.float32)

    def null_point(self, point):
        """The null changes only the joint term: the target's own past and future are kept."""
        return point["term"] == "joint"

    def surrogate(self, source, point, options, seed):
        """A surrogate of the joint term: the driver's steps circularly shifted against the target's, before the
        past is cut, so the target's own past-future relation is intact."""
        def order(steps):
            return null.surrogate_order(steps, null.method(options, self), options, seed, point["null"])

        return self.point_samples(source, null.base_point(point), options, seed, order)

    def reported_column(self, options):
        return training_by_default(options)

    def statistics(self, fits, options, units):
        """The permutation null's statistic: each direction's corrected TE."""
        reported = self.reported_column(options)
        term_fits = _term_fits(with_reported(fits, reported), options)
        return pd.DataFrame([{"direction": d, "quantity": "te", "statistic": corrected(
            paired_difference(term_fits[d, "joint"], term_fits[d, "own"]), reported, options, units).mi}
            for d in _directions(options)])

    def summarise(self, fits, curves, options, units):
        """Each direction's TE (and the net flow with both), each term, corrected with intervals and judged."""
        reported = self.reported_column(options)
        table = with_reported(fits, reported)
        term_fits = _term_fits(table, options)
        differences = {d: paired_difference(term_fits[d, "joint"], term_fits[d, "own"]) for d in _directions(options)}
        if len(differences) == 2:
            differences["net"] = paired_difference(differences["x_to_y"], differences["y_to_x"])
        rows, per_gamma, reasons = [], [], fit_warnings(table, options.bound, units)
        for key, paired in differences.items():
            te = corrected(paired, reported, options, units)
            reasons += [f"{NAMES[key]}: {r}" for r in te.reasons]
            if key != "net":
                reasons += below_zero(NAMES[key], te, units, "the own-past one")
            rows.append(quantity_row("te", te, direction=key))
            per_gamma.append(difference_summary(NAMES[key], te))
            for term in TERMS if key != "net" else ():
                term_result = corrected(term_fits[key, term], reported, options, units)
                rows.append(quantity_row(term, term_result, direction=key))
        frame = pd.DataFrame(rows)
        main = frame[frame["quantity"] == "te"].iloc[0]
        return TransferResult(
            mode="transfer", mi=float(main["mi"]), ci_low=float(main["ci_low"]), ci_high=float(main["ci_high"]),
            reliable=not reasons, reasons=reasons, units=units, fits=table, curves=curves,
            summary=pd.concat(per_gamma, ignore_index=True), plotter=plot_differences, frame=frame,
            details={"direction": main["direction"], "te": _te_details(frame)},
        )






def _term_fits(table: pd.DataFrame, options) -> dict:
    """{(direction, term): that term's fits}."""
    labels = params_frame(table)
    return {(d, t): table[(labels["direction"] == d) & (labels["term"] == t)] for d in _directions(options)
            for t in TERMS}


def _te_details(frame: pd.DataFrame) -> dict:
    """Per direction (and net): the TE and its terms with their intervals, JSON-ready."""
    return {d: intervals(group.to_dict("records")) for d, group in frame.groupby("direction", sort=False)}
