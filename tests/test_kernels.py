"""The CPU kernel paths (neuralmi/kernels.py): importing neuralmi fixes them before torch computes, a process in
which torch computed first is warned, and the stack and determinism claims hold on another kernel path too (the
claims are tested on the fixed path by the rest of the suite; here they run again on other paths)."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from neuralmi import kernels

ROOT = Path(__file__).resolve().parents[1]
AVX2 = kernels._has_avx2()
OTHER_PATH = {"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "AUTO,STRICT", "ONEDNN_MAX_CPU_ISA": "ALL"}
"""torch's scalar kernels and MKL's own choice of path for this CPU (AVX-512 on most Xeons), still reproducible."""


def _python(code: str, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in kernels.PATHS}
    return subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True,
                          cwd=ROOT)


@pytest.mark.skipif(not AVX2, reason="the paths are fixed on x86-64 CPUs with AVX2 only")
def test_importing_neuralmi_fixes_the_paths_before_torch_computes():
    done = _python("import torch, neuralmi; from neuralmi import kernels; print(kernels.in_use())")
    assert done.returncode == 0, done.stderr
    found = ast.literal_eval(done.stdout.strip())
    assert found["ATEN_CPU_CAPABILITY"] == "avx2"
    if kernels._intel():  # MKL's AVX2 reproducible branch is documented for Intel CPUs
        assert found["MKL_CBWR"] == kernels.MKL_AVX2_STRICT


@pytest.mark.skipif(not (AVX2 and kernels._intel()), reason="seen through MKL's mode, checked on Intel CPUs only")
def test_torch_computing_first_is_named_in_a_warning():
    code = ("import torch; (torch.ones(64, 64) @ torch.ones(64, 64)).exp().sum(); import warnings, neuralmi\n"
            "from neuralmi.data.generators import correlated_gaussian\n"
            "x, y = correlated_gaussian(300, 1, 1, 1.0)\n"
            "with warnings.catch_warnings(record=True) as caught:\n"
            "    warnings.simplefilter('always')\n"
            "    neuralmi.run(x, y, max_epochs=1, progress=False)\n"
            "print([str(w.message) for w in caught])")
    done = _python(code)
    assert done.returncode == 0, done.stderr
    assert "torch computed before neuralmi was imported" in done.stdout
    user_choice = _python(code, **OTHER_PATH)
    assert user_choice.returncode == 0 and "torch computed before" not in user_choice.stdout


@pytest.mark.skipif(not kernels._intel(), reason="MKL's strict mode on its own path is documented for Intel CPUs only; "
                                                "elsewhere the fixed path, tested by the rest of the suite, is the claim")
def test_stacks_equal_their_members_alone_on_another_kernel_path():
    """The stack tests of the trainer and the scans, on torch's scalar kernels and MKL's own path for this CPU."""
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "tests/test_trainer.py::test_a_stack_equals_its_members_trained_alone",
                           "tests/test_trainer.py::test_a_stack_of_density_critics_equals_its_members_trained_alone",
                           "tests/test_trainer.py::test_same_seed_gives_identical_numbers",
                           "tests/test_scans.py::test_a_dimensionality_scan_is_one_stack_equal_to_its_points_trained_one_at_a_time"],
                          env={**os.environ, **OTHER_PATH}, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout[-3000:]
    assert " passed" in done.stdout and "failed" not in done.stdout
