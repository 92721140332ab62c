"""neuralmi: neural mutual-information estimates with bias correction and confidence intervals."""

from neuralmi import kernels

kernels.fix()  # before anything computes with torch: neuralmi/kernels.py

from neuralmi.analysis.group import GroupResult, load_group
from neuralmi.analysis.result import MIResult
from neuralmi.api import group, load, run, run_sessions
from neuralmi.errors import FitError, InputError

__version__ = "0.1.0"
__all__ = ["run", "load", "run_sessions", "group", "load_group", "MIResult", "GroupResult", "InputError", "FitError",
           "__version__"]
