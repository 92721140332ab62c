"""The registry of modes: one line per mode (each a `Mode` subclass in its own module, analysis/contract.py)."""

from __future__ import annotations

from neuralmi.analysis.contract import Mode
from neuralmi.analysis.modes.conditional import Conditional
from neuralmi.analysis.modes.dimensionality import Dimensionality
from neuralmi.analysis.modes.estimate import Estimate
from neuralmi.analysis.modes.lag import Lag
from neuralmi.analysis.modes.network import Network
from neuralmi.analysis.modes.pairwise import Pairwise
from neuralmi.analysis.modes.precision import Precision
from neuralmi.analysis.modes.rigorous import Rigorous
from neuralmi.analysis.modes.sweep import Sweep
from neuralmi.analysis.modes.transfer import Transfer
from neuralmi.errors import InputError
from neuralmi.keys import did_you_mean

MODES: dict[str, Mode] = {mode.name: mode for mode in (
    Estimate(),
    Rigorous(),
    Sweep(),
    Dimensionality(),
    Lag(),
    Transfer(),
    Conditional(),
    Pairwise(),
    Network(),
    Precision(),
)}


def find_mode(name: str) -> Mode:
    """The registered mode called `name`."""
    if name not in MODES:
        hint = did_you_mean(name, MODES) if isinstance(name, str) else ""
        raise InputError(f"mode: expected one of {sorted(MODES)}, found {name!r}" + (f"; {hint}" if hint else ""))
    return MODES[name]


def modes_where(attribute: str) -> list[str]:
    """The names of the modes whose `attribute` (a declared capability, e.g. 'x_alone') is true."""
    return [name for name, mode in MODES.items() if getattr(mode, attribute)]
