"""The CPU kernel paths torch computes with, fixed so that a seed's numbers do not depend on the machine or the stack.

Float32 sums round differently in different kernels. Left to choose, torch and the libraries inside it pick
kernels by CPU (AVX-512 on most Intel Xeons and recent AMD EPYCs, AVX2 on older ones), and MKL's matrix products also by their thread
split, which depends on how many members share a stack and, with MKL's dynamic threads, on the machine's load: a
fit's last bits then changed with its stack, run to run, and from machine to machine (measured: a stack of
hybrid-bound fits against its members alone on MKL's AVX2 path; a rigorous run twice on a loaded machine).
Importing neuralmi sets, unless the environment already does:

- `MKL_CBWR=AVX2,STRICT`: MKL's conditional numerical reproducibility, its AVX2 code path on every CPU that has
  one, and (STRICT) matrix products whose results do not depend on the number of threads;
- `ATEN_CPU_CAPABILITY=avx2`: torch's own vectorised kernels (reductions, exponentials...) on AVX2;
- `ONEDNN_MAX_CPU_ISA=AVX2`: oneDNN's convolutions (the cnn embedding) likewise.

Each is read once, when its library first computes, so they must be set before torch computes anything: importing
neuralmi sets them (its first statement), so import it before running any torch operation; `check` says when that
did not happen. On CPUs without AVX2 (and other architectures) nothing is set. The price on an AVX-512 Xeon, 2
threads: 1.0-1.3x the native paths' time (benchmarks/results/kernels.md); NEURALMI_KERNELS=native trades the
identity across machines and stacks for that speed.
"""

from __future__ import annotations

import ctypes
import functools
import os
import platform
import warnings
from pathlib import Path

import torch  # importing torch computes nothing: the paths below are read when it first does

PATHS = {"MKL_CBWR": "AVX2,STRICT", "ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"}
MKL_AVX2_STRICT = 0x1000A  # mkl_cbwr_get's code for MKL_CBWR_AVX2 | MKL_CBWR_STRICT


@functools.cache
def _cpuinfo() -> str:
    """/proc/cpuinfo on x86-64 ('' elsewhere, or where it cannot be read), so that torch computes nothing yet."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return ""
    try:
        return f" {Path('/proc/cpuinfo').read_text()} ".replace("\n", " ").replace("\t", " ")
    except OSError:
        return ""


def _has_avx2() -> bool:
    """Whether this is an x86-64 CPU with AVX2."""
    return " avx2 " in _cpuinfo()


def _intel() -> bool:
    """Whether the CPU is Intel's: the one vendor whose CPUs MKL is documented to run its AVX2 reproducible branch
    on (elsewhere MKL may report another mode, so its mode is not checked there)."""
    return " GenuineIntel " in _cpuinfo()


def fix() -> None:
    """Set the kernel paths (`PATHS`) where the environment leaves them unset and the CPU has AVX2, unless
    NEURALMI_KERNELS=native asks for the paths torch picks by itself (the fastest for the CPU, reproducible on it
    only when MKL_CBWR is set too)."""
    if _has_avx2() and os.environ.get("NEURALMI_KERNELS") != "native":
        for name, value in PATHS.items():
            os.environ.setdefault(name, value)


def in_use() -> dict:
    """The kernel paths torch computes with now: ATen's capability and MKL's reproducibility mode (a code, or None
    where this torch has no MKL)."""
    try:
        mkl = ctypes.CDLL(str(Path(torch.__file__).parent / "lib" / "libtorch_cpu.so")).mkl_serv_cbwr_get(-1)
    except (OSError, AttributeError):
        mkl = None
    return {"ATEN_CPU_CAPABILITY": torch.backends.cpu.get_cpu_capability().lower(), "MKL_CBWR": mkl}


def check() -> list[str]:
    """Where neuralmi's paths are set (`fix`) but torch does not compute with them (it computed before neuralmi was
    imported), each problem said as a warning and returned; [] when they are in use, and when the environment
    chose other paths or the CPU has no AVX2 (nothing was fixed then, so nothing is checked)."""
    if not _has_avx2() or any(os.environ.get(name) != value for name, value in PATHS.items()):
        return []
    found = in_use()
    off = []
    if found["ATEN_CPU_CAPABILITY"] != PATHS["ATEN_CPU_CAPABILITY"]:
        off.append(f"torch's kernels are {found['ATEN_CPU_CAPABILITY']}, not avx2")
    if found["MKL_CBWR"] is not None and found["MKL_CBWR"] != MKL_AVX2_STRICT and _intel():
        off.append("MKL's matrix products are not in its reproducible AVX2 mode")
    for problem in off:
        warnings.warn(f"{problem}: torch computed before neuralmi was imported, so results may differ from other "
                      f"machines' and between stacks in their last bits; import neuralmi first", stacklevel=3)
    return off
