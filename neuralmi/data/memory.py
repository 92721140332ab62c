"""Whether data about to be built fits in the memory this process may use, checked before it is built."""

from __future__ import annotations

from pathlib import Path

from neuralmi.errors import InputError

CGROUP_FILES = (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),  # cgroup v2
                ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"))


def _read_int(path: str) -> int | None:
    try:
        text = Path(path).read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None  # cgroup v2 writes "max" for no limit


def available_bytes() -> tuple[int, str] | None:
    """The memory this process may still take, and where that number comes from: the smaller of the system's
    MemAvailable (/proc/meminfo) and the room left under a container's cgroup limit; None where neither is known."""
    found = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append((int(line.split()[1]) * 1024, "MemAvailable in /proc/meminfo"))
    except OSError:
        pass
    for limit_file, usage_file in CGROUP_FILES:
        limit, usage = _read_int(limit_file), _read_int(usage_file)
        if limit is not None and usage is not None and limit < 2**60:
            found.append((max(limit - usage, 0), f"the cgroup limit {limit_file} less its usage"))
    return min(found) if found else None


def _size(nbytes: float) -> str:
    return f"{nbytes / 2**30:.1f} GiB" if nbytes >= 2**30 else f"{nbytes / 2**20:.1f} MiB"


def check_fits(nbytes: float, what: str, advice: str) -> None:
    """An InputError, before anything is built, when `nbytes` (the peak of building `what`) exceeds the memory
    available; says both numbers, where the limit comes from, and `advice`."""
    room = available_bytes()
    if room is not None and nbytes > room[0]:
        raise InputError(f"{what} would take {_size(nbytes)} of memory, more than the {_size(room[0])} available "
                         f"({room[1]}); {advice}")
