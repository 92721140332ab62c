"""Whether data about to be built fits in the memory this process may use, checked before it is built."""

from __future__ import annotations

from pathlib import Path

from neuralmi.errors import InputError


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def _cgroup_room(proc: Path, cgroup: Path) -> tuple[int, str] | None:
    """The room left under this process's own cgroup memory limit (the group named in /proc/self/cgroup, as SLURM
    and systemd set it, else the root group; cgroup v2, or v1's memory controller): the limit less what the group
    holds that cannot be reclaimed (inactive page cache excepted); None without a limit."""
    own = {}
    for line in (_read(proc / "self/cgroup") or "").splitlines():
        _, controllers, group = line.split(":", 2)
        if controllers in ("", "memory"):
            own["v2" if controllers == "" else "v1"] = group.strip().lstrip("/")
    layouts = [("v2", cgroup, "memory.max", "memory.current"),
               ("v1", cgroup / "memory", "memory.limit_in_bytes", "memory.usage_in_bytes")]
    for version, root, limit_file, usage_file in layouts:
        for where in dict.fromkeys([root / own.get(version, ""), root]):
            limit, usage = _read(where / limit_file), _read(where / usage_file)
            if limit is None or usage is None:
                continue
            if not limit.strip().isdigit() or int(limit) >= 2**60:  # "max" (v2) or v1's huge number: no limit
                return None
            stat = dict(line.split()[:2] for line in (_read(where / "memory.stat") or "").splitlines()
                        if len(line.split()) == 2)
            held = int(usage) - int(stat.get("inactive_file", stat.get("total_inactive_file", 0)))
            return max(int(limit) - held, 0), f"the cgroup limit {where / limit_file} less its usage"
    return None


def available_bytes(proc: Path = Path("/proc"), cgroup: Path = Path("/sys/fs/cgroup")) -> tuple[int, str] | None:
    """The memory this process may still take, and where that number comes from: the smaller of the system's
    MemAvailable (/proc/meminfo) and the room left under this process's cgroup limit; None where neither is known."""
    found = [(int(line.split()[1]) * 1024, "MemAvailable in /proc/meminfo")
             for line in (_read(proc / "meminfo") or "").splitlines() if line.startswith("MemAvailable:")]
    room = _cgroup_room(proc, cgroup)
    return min(found + ([room] if room else []), default=None)


def _size(nbytes: float) -> str:
    return f"{nbytes / 2**30:.1f} GiB" if nbytes >= 2**30 else f"{nbytes / 2**20:.1f} MiB"


def check_fits(nbytes: float, what: str, advice: str) -> None:
    """An InputError, before anything is built, when `nbytes` (the peak of building `what`) exceeds the memory
    available; says both numbers, where the limit comes from, and `advice`."""
    room = available_bytes()
    if room is not None and nbytes > room[0]:
        raise InputError(f"{what} would take {_size(nbytes)} of memory, more than the {_size(room[0])} available "
                         f"({room[1]}); {advice}")
