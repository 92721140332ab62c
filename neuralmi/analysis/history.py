"""The past and the future of time-ordered samples, shared by transfer and network modes: `history` and
`horizon` in steps, and the blocked split with a gap that keeps a sample's span between training and held-out
samples."""

from __future__ import annotations

from neuralmi.data.processing import Source, window_gap, window_ticks
from neuralmi.errors import InputError

SHIFTED_DRIVER = {"permute": "'permute' would scramble the driver's own time course before its past is cut; "
                             "{mode} mode shifts it ('shift' or 'auto')"}
"""The null a mode over pasts refuses, with the reason (formatted with the mode's name, `Mode.refused_nulls`)."""


def require_history(options, mode: str) -> None:
    """A mode over pasts needs `history`."""
    if options.history is None:
        raise InputError(f"history: {mode} mode needs the length of the past (samples, or seconds with "
                         f"sample_rate or spike trains)")


def steps(source: Source, options) -> tuple[int, int]:
    """(history, horizon) in steps (windows of a recording, or rows of a sample table). The horizon must put the
    predicted window wholly after the last past window: by default the first such step (1 unless windows
    overlap)."""
    _, step = window_ticks(source, options) if source.time_series else (1.0, 1.0)
    unit = "steps (step_size, or the window when step_size is unset)" if source.time_series else "rows"
    overlap = window_gap(source, options)
    counts = []
    for key, value in (("history", options.history), ("horizon", options.horizon)):
        if value is None:
            counts.append(overlap + 1)
            continue
        ticks = source.ticks(value, key) if source.time_series else float(value)
        count = ticks / step
        if abs(count - round(count)) > 1e-6 * max(1.0, count) or round(count) < 1:
            raise InputError(f"{key}: {value:g} is {count:g} {unit}; use a whole number (>= 1) of {unit}")
        counts.append(int(round(count)))
    if counts[1] <= overlap:
        raise InputError(f"horizon: {counts[1]} steps ahead, the predicted window shares time points with the last "
                         f"past window (windows overlap {overlap} steps); use at least {overlap + 1} steps")
    return counts[0], counts[1]


def time_split(options, source: Source, mode: str):
    """Options keeping time order: a blocked split (contiguous subsets), with a gap of at least a sample's span
    in steps (history + horizon - 1 + window overlap)."""
    if options.split not in ("auto", "blocked"):
        raise InputError(f"split: {mode} mode keeps time order and splits in contiguous blocks ('blocked' or "
                         f"'auto'), found {options.split!r}")
    past, ahead = steps(source, options)
    span = window_gap(source, options) + past + ahead - 1
    if options.gap is not None and options.gap < span:
        raise InputError(f"gap: {options.gap} steps would let training samples share time points with held-out "
                         f"ones; {mode} mode needs at least {span} (history + horizon - 1 + window overlap)")
    return options.replace(split="blocked", gap=span if options.gap is None else options.gap)
