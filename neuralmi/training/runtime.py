"""Where and how a stack runs: the device, torch's CPU threads, and glibc's heap kept while training."""

from __future__ import annotations

import contextlib
import ctypes
import platform

import torch


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


@contextlib.contextmanager
def cpu_threads(count: int | None):
    """torch uses `count` CPU threads inside the block (None: unchanged); the previous count is restored."""
    previous = torch.get_num_threads()
    if count:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_MAX, _GLIBC_DEFAULT = 2**25, 2**17


@contextlib.contextmanager
def heap_kept():
    """On glibc, keep freed memory in the heap while training.

    Each step frees and reallocates tensors of up to tens of MB, which glibc otherwise maps and unmaps or trims
    every time, page-faulting them back in (a third of a large stack's step time). Allocations below 32 MB come
    from the heap, which is not trimmed until training ends; then glibc's fixed default thresholds are set and
    free memory is returned to the system.
    """
    libc = _glibc()
    if libc is None:
        yield
        return
    libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_MAX)
    libc.mallopt(_M_TRIM_THRESHOLD, 2**31 - 1)
    try:
        yield
    finally:
        libc.mallopt(_M_MMAP_THRESHOLD, _GLIBC_DEFAULT)
        libc.mallopt(_M_TRIM_THRESHOLD, _GLIBC_DEFAULT)
        libc.malloc_trim(0)


def _glibc():
    if platform.libc_ver()[0] != "glibc":
        return None
    return ctypes.CDLL(None)
