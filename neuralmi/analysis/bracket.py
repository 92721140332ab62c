"""Bracket: an upper bound trained beside the lower bound on the same samples (`bracket: true`).

Every observed fit of a plan gets a twin with the same samples, split and seed that trains `upper_bound` on
`upper_critic` (the fit table's `bound` column tells them apart). The twins follow every other fit in the plan,
so the lower fits keep the ids and numbers they have without a bracket. The mode summarises each set alone by
its own protocol (the rigorous correction included), and the upper result is reported beside the lower one:
`mi_upper`, `ci_upper_low`, `ci_upper_high`, `upper_reliable`, `upper_reasons`.
"""

from __future__ import annotations

import pandas as pd

from neuralmi.analysis.contract import Mode
from neuralmi.errors import InputError


def check(options, mode: Mode, bracketing: list[str]) -> None:
    """A bracket only where the mode's result is one MI value to bracket (`Mode.brackets`; `bracketing`: the
    modes that are)."""
    if options.bracket and not mode.brackets:
        raise InputError(f"bracket: applies to modes {bracketing} (one MI value to bracket), not {mode.name!r}")


def upper_options(options):
    """The options of the upper fits (a density critic: no learned scale)."""
    return options.replace(bound=options.upper_bound, critic=options.upper_critic, bracket=False, learned_scale=False)


def fit_options(options, bound: str):
    """The options a fit labelled with `bound` trains with: the upper ones for a bracket's twins."""
    return upper_options(options) if options.bracket and bound == options.upper_bound else options


def with_twins(labels: list[dict], specs: list, options) -> tuple[list[dict], list]:
    """The plan's labels and FitSpecs followed, with a bracket, by an upper twin of every observed fit."""
    if not options.bracket:
        return labels, specs
    twins = [i for i, lab in enumerate(labels) if lab["null"] == 0]
    return (labels + [{**labels[i], "bound": options.upper_bound} for i in twins],
            specs + [specs[i] for i in twins])


def twin_keys(keys: list[tuple], observed: list[bool], options) -> list[tuple]:
    """`plan_groups`' keys (one per fit, in plan order) followed by one per twin; `observed[i]`: whether fit i
    is an observed one (not a surrogate)."""
    if not options.bracket:
        return keys
    return keys + [(*key, "upper") for key, kept in zip(keys, observed) if kept]


def split(fits: pd.DataFrame, options) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """(lower fits, upper fits or None) of a fit table."""
    if not options.bracket:
        return fits, None
    upper = fits["bound"] == options.upper_bound
    return fits[~upper], fits[upper]


def attach(result, mode: Mode, upper: pd.DataFrame, curves: pd.DataFrame, options, units: str):
    """The lower `result` with the upper fits' own summary beside it (`result.upper`), their rows in its fit and
    curve tables, and a reason when the two cross: an upper interval wholly below the lower one means at least
    one of them does not hold (usually q(y|x) fits poorly, so the upper bound fails)."""
    up = mode.summarise(upper, curves[curves["fit_id"].isin(upper["fit_id"])], upper_options(options), units)
    result.upper = up
    result.fits = pd.concat([result.fits, up.fits], ignore_index=True).sort_values("fit_id", ignore_index=True)
    result.curves = pd.concat([result.curves, up.curves], ignore_index=True)
    result.details.update({"upper_bound": options.upper_bound, "mi_upper": up.mi, "ci_upper_low": up.ci_low,
                           "ci_upper_high": up.ci_high, "upper_reliable": up.reliable,
                           "upper_reasons": list(up.reasons)})
    if up.ci_high < result.ci_low:
        result.reasons = [*result.reasons,
                          f"the upper bound ({options.upper_bound}) {up.mi:.3f} [{up.ci_low:.3f}, {up.ci_high:.3f}] "
                          f"{units} lies below the lower bound's interval: one of them does not hold (an upper bound "
                          f"needs q(y|x) close to the true conditional; try upper_critic 'flow' or more data)"]
        result.reliable = False
    return result
