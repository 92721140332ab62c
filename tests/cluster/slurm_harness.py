"""A throwaway one-node SLURM cluster on 127.0.0.1, for testing the workflow's SLURM profile.

Debian's packages (see install-slurm.sh) provide the daemons: munged, MariaDB, slurmdbd (accounting, so that
`sacct` works), slurmctld and slurmd. Everything they read or write lives in one directory: configuration, munge
key and socket, state, logs, the database and three fake GPUs (character devices like /dev/null) declared as
`gres/gpu`, so that GPU-tagged jobs schedule and are accounted. Ports are picked free on 127.0.0.1 and nothing
under /etc is written: the SLURM commands are reached through small wrappers in `<root>/bin` that set SLURM_CONF,
which is also how the commands run inside jobs find the configuration (Snakemake's jobstep executor strips SLURM_*
variables before its inner `srun`).

Each daemon runs in the foreground as a child process and is stopped by its PID (SIGTERM, then SIGKILL); any
process left over from jobs is found by the marker variable in its environment and killed by PID too.

Manual use (root, Debian): `python tests/cluster/slurm_harness.py [DIR]` starts a cluster, prints the PATH to use, and
stops it on Ctrl-C.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DAEMONS = ["munged", "mariadb-install-db", "mariadbd", "slurmdbd", "slurmctld", "slurmd"]
COMMANDS = ["sbatch", "srun", "salloc", "squeue", "sacct", "sacctmgr", "scancel", "sinfo", "scontrol", "sshare",
            "sstat", "sprio", "sattach"]
MARKER = "NEURALMI_SLURM_HARNESS"
CLUSTER = "neuralmitest"
PARTITION = "debug"
GPUS = 3  # fake GPUs on the node
MIN_CPUS = 4  # CPUs the node offers at least


def _find(name: str) -> str | None:
    """A program as installed (system directories first: PATH may hold another cluster's wrappers)."""
    system = ["/usr/bin", "/usr/sbin", "/bin", "/sbin"]
    return shutil.which(name, path=os.pathsep.join([*system, os.environ.get("PATH", "")]))


def in_ci() -> bool:
    """CI sets CI=true; there a cluster test that cannot run must fail rather than skip."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def missing() -> list[str]:
    """The programs this harness needs that are not installed."""
    return [name for name in DAEMONS + COMMANDS + ["mariadb"] if _find(name) is None]


def unusable() -> str | None:
    """Why this machine cannot run the harness at all, or None."""
    if sys.platform != "linux":
        return "the SLURM test cluster runs on Linux only"
    if os.geteuid() != 0:
        return "the SLURM test cluster needs root (slurmd launches jobs; fake GPUs are made with mknod)"
    absent = missing()
    if absent:
        return (f"SLURM is not installed (missing: {', '.join(absent)}); "
                "run `sudo bash tests/cluster/install-slurm.sh`")
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


class ClusterError(RuntimeError):
    pass


class SlurmCluster:
    def __init__(self, root: Path | str, gpus: int = GPUS):
        self.root = Path(root).resolve()
        self.gpus = gpus
        self.host = socket.gethostname().split(".")[0]
        self.procs: dict[str, subprocess.Popen] = {}
        self.ports = {}
        for name in ("slurmctld", "slurmd", "slurmdbd", "mariadb"):
            port = free_port()
            while port in self.ports.values():
                port = free_port()
            self.ports[name] = port
        d = self.root
        self.etc, self.bin, self.log, self.run_dir = d / "etc", d / "bin", d / "log", d / "run"
        self.state, self.spool, self.db, self.dev = d / "state", d / "spool", d / "db", d / "dev"
        self.munge_dir = d / "munge"
        self.munge_socket = self.munge_dir / "munge.socket"
        self.db_socket = self.run_dir / "mariadb.sock"
        self.conf = self.etc / "slurm.conf"
        self.db_password = os.urandom(8).hex()
        self.started = self.stopped = None

    # -- environment ---------------------------------------------------------------------------------------

    @property
    def env(self) -> dict:
        """Environment for anything that talks to this cluster (wrappers first on PATH; the marker is inherited
        by jobs, which lets `stop` find their leftovers)."""
        env = dict(os.environ)
        env["PATH"] = os.pathsep.join([str(self.bin), env.get("PATH", "/usr/bin:/bin")])
        env["SLURM_CONF"] = str(self.conf)
        env[MARKER] = str(self.root)
        for var in [v for v in env if v.startswith(("SLURM_", "SBATCH_", "SRUN_", "SALLOC_"))]:
            if var != "SLURM_CONF":
                del env[var]
        return env

    def command(self, *args: str, timeout: float = 30, check: bool = True) -> subprocess.CompletedProcess:
        """Run a SLURM command (by its wrapper) against this cluster."""
        done = subprocess.run([str(self.bin / args[0]), *args[1:]], env=self.env, capture_output=True, text=True,
                              timeout=timeout)
        if check and done.returncode:
            raise ClusterError(f"{' '.join(args)} failed ({done.returncode}): {done.stdout}{done.stderr}")
        return done

    # -- configuration -------------------------------------------------------------------------------------

    def _node_line(self) -> str:
        """The node as slurmd detects it (memory, CPU topology), but with at least MIN_CPUS CPUs so that a few
        one-CPU test jobs run at once on a 2-core machine (SlurmdParameters=config_overrides lets the configured
        node stand; with task/none nothing pins jobs to cores)."""
        out = subprocess.run([_find("slurmd"), "-C"], capture_output=True, text=True, check=True).stdout
        line = next(line for line in out.splitlines() if line.startswith("NodeName="))
        fields = dict(item.split("=", 1) for item in line.split())
        fields.pop("NodeName", None)
        fields.pop("UpTime", None)
        fields["RealMemory"] = str(max(int(fields.get("RealMemory", "1000")) - 200, 500))
        if int(fields["CPUs"]) < MIN_CPUS:
            fields.update(CPUs=str(MIN_CPUS), Boards="1", SocketsPerBoard="1", CoresPerSocket=str(MIN_CPUS),
                          ThreadsPerCore="1")
        self.cpus = int(fields["CPUs"])
        self.memory = int(fields["RealMemory"])
        spec = " ".join(f"{k}={v}" for k, v in fields.items())
        return f"NodeName={self.host} NodeAddr=127.0.0.1 {spec} Gres=gpu:{self.gpus} State=UNKNOWN"

    def write_config(self) -> None:
        """Directories, munge key, fake GPUs, SLURM command wrappers and the slurm/gres/slurmdbd configs."""
        for path in (self.etc, self.bin, self.log, self.run_dir, self.state, self.spool, self.dev, self.munge_dir):
            path.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        self._write_munge_key()
        self._make_fake_gpus()
        self._write_wrappers()
        auth = f"AuthType=auth/munge\nAuthInfo=socket={self.munge_socket}\n"
        self.conf.write_text(self._slurm_conf(auth))
        (self.etc / "gres.conf").write_text(
            f"AutoDetect=off\nNodeName={self.host} Name=gpu File={self.dev}/nvidia[0-{self.gpus - 1}]\n")
        dbd = self.etc / "slurmdbd.conf"
        dbd.write_text(self._slurmdbd_conf(auth))
        dbd.chmod(0o600)

    def _write_munge_key(self) -> None:
        self.munge_dir.chmod(0o700)
        key = self.munge_dir / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o600)

    def _make_fake_gpus(self) -> None:
        """Character devices 1:3 (like /dev/null) standing in for GPUs."""
        for i in range(self.gpus):
            gpu = self.dev / f"nvidia{i}"
            if not gpu.exists():
                os.mknod(gpu, 0o666 | stat.S_IFCHR, os.makedev(1, 3))

    def _write_wrappers(self) -> None:
        """SLURM commands first on PATH that set SLURM_CONF (the jobstep plugin strips it before srun)."""
        for name in COMMANDS:
            wrapper = self.bin / name
            wrapper.write_text(f'#!/bin/sh\nSLURM_CONF="{self.conf}"\nexport SLURM_CONF\n'
                               f'exec "{_find(name)}" "$@"\n')
            wrapper.chmod(0o755)

    def _slurm_conf(self, auth: str) -> str:
        return f"""\
# Generated by tests/cluster/slurm_harness.py: a one-node test cluster on 127.0.0.1.
ClusterName={CLUSTER}
SlurmctldHost={self.host}(127.0.0.1)
SlurmctldPort={self.ports['slurmctld']}
SlurmdPort={self.ports['slurmd']}
SlurmUser=root
SlurmdUser=root
{auth}CredType=cred/munge
StateSaveLocation={self.state}
SlurmdSpoolDir={self.spool}/slurmd-%n
SlurmctldPidFile={self.run_dir}/slurmctld.pid
SlurmdPidFile={self.run_dir}/slurmd-%n.pid
SlurmctldLogFile={self.log}/slurmctld.log
SlurmdLogFile={self.log}/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
SlurmdParameters=config_overrides
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=500
MinJobAge=600
ReturnToService=2
SlurmdTimeout=120
InactiveLimit=0
KillWait=5
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort={self.ports['slurmdbd']}
AccountingStoragePass={self.munge_socket}
AccountingStorageTRES=gres/gpu
AccountingStoreFlags=job_comment
JobCompType=jobcomp/none
GresTypes=gpu
{self._node_line()}
PartitionName={PARTITION} Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""

    def _slurmdbd_conf(self, auth: str) -> str:
        return f"""\
{auth}DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort={self.ports['slurmdbd']}
SlurmUser=root
LogFile={self.log}/slurmdbd.log
PidFile={self.run_dir}/slurmdbd.pid
DebugLevel=info
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort={self.ports['mariadb']}
StorageUser=slurm
StoragePass={self.db_password}
StorageLoc=slurm_acct_db
"""

    # -- daemons -------------------------------------------------------------------------------------------

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        out = open(self.log / f"{name}.out", "ab")
        proc = subprocess.Popen(argv, env=self.env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        out.close()
        self.procs[name] = proc
        return proc

    def _wait(self, name: str, ready, what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready():
                return
            proc = self.procs.get(name)
            if proc is not None and proc.poll() is not None:
                break
            time.sleep(0.2)
        raise ClusterError(f"{name} did not become ready ({what}); its logs:\n{self.logs(name)}")

    def logs(self, *names: str) -> str:
        names = names or ("munged", "mariadbd", "slurmdbd", "slurmctld", "slurmd")
        parts = []
        for name in names:
            for path in sorted(self.log.glob(f"{name}*")):
                parts.append(f"--- {path.name}\n{_tail(path)}")
        return "\n".join(parts)

    def start(self, timeout: float = 120) -> "SlurmCluster":
        t0 = time.monotonic()
        self.write_config()
        # munge: private key and socket
        self._spawn("munged", [_find("munged"), "--foreground", "--force", f"--socket={self.munge_socket}",
                               f"--key-file={self.munge_dir / 'munge.key'}", f"--log-file={self.log / 'munged.log'}",
                               f"--pid-file={self.run_dir / 'munged.pid'}",
                               f"--seed-file={self.munge_dir / 'munged.seed'}"])
        self._wait("munged", self.munge_socket.exists, f"socket {self.munge_socket}")

        # MariaDB for slurmdbd: its own data directory, TCP on 127.0.0.1 only
        self.db.mkdir(exist_ok=True)
        init = subprocess.run([_find("mariadb-install-db"), "--no-defaults", f"--datadir={self.db}", "--user=root",
                               "--auth-root-authentication-method=socket", "--skip-test-db",
                               "--skip-name-resolve"],
                              env=self.env, capture_output=True, text=True, timeout=timeout)
        if init.returncode:
            raise ClusterError(f"mariadb-install-db failed: {init.stdout[-2000:]}{init.stderr[-2000:]}")
        self._spawn("mariadbd", [_find("mariadbd"), "--no-defaults", f"--datadir={self.db}", "--user=root",
                                 f"--socket={self.db_socket}", f"--port={self.ports['mariadb']}",
                                 "--bind-address=127.0.0.1", "--skip-name-resolve", "--skip-log-bin",
                                 f"--pid-file={self.run_dir / 'mariadbd.pid'}",
                                 f"--log-error={self.log / 'mariadbd.log'}", f"--tmpdir={self.run_dir}",
                                 "--innodb-buffer-pool-size=64M", "--innodb-log-file-size=16M",
                                 "--innodb-lock-wait-timeout=900"])
        self._wait("mariadbd", lambda: self.db_socket.exists() and _listening(self.ports["mariadb"]),
                   f"port {self.ports['mariadb']}")
        sql = (f"CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY '{self.db_password}';"
               "GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';")
        subprocess.run([_find("mariadb"), "--no-defaults", f"--socket={self.db_socket}", "-u", "root", "-e", sql],
                       env=self.env, check=True, capture_output=True, timeout=30)

        # accounting daemon, then the cluster registered in it (root gets the 'root' account)
        self._spawn("slurmdbd", [_find("slurmdbd"), "-D"])  # reads slurmdbd.conf beside SLURM_CONF
        self._wait("slurmdbd", lambda: _listening(self.ports["slurmdbd"]), f"port {self.ports['slurmdbd']}")
        self.command("sacctmgr", "-i", "add", "cluster", CLUSTER, timeout=60)

        self._spawn("slurmctld", [_find("slurmctld"), "-D", "-c", "-f", str(self.conf)])
        self._wait("slurmctld", lambda: self.command("scontrol", "ping", check=False).returncode == 0,
                   "scontrol ping")
        self._spawn("slurmd", [_find("slurmd"), "-D", "-f", str(self.conf)])
        self._wait("slurmd", self._node_idle, "node idle in sinfo", timeout=timeout)
        self.started = time.monotonic() - t0
        return self

    def _node_idle(self) -> bool:
        done = self.command("sinfo", "-h", "-N", "-o", "%T", check=False)
        return done.returncode == 0 and done.stdout.strip() == "idle"

    def stop(self, grace: float = 10) -> None:
        """Cancel jobs, then stop each daemon by its PID (SIGTERM, SIGKILL after `grace` s), then kill any process
        that still carries this cluster's marker (job leftovers)."""
        t0 = time.monotonic()
        if self.procs.get("slurmctld") and self.procs["slurmctld"].poll() is None:
            try:
                self.command("scancel", "--full", "--user=root", timeout=10, check=False)
                deadline = time.monotonic() + grace
                while time.monotonic() < deadline:
                    queue = self.command("squeue", "-h", "-o", "%i", timeout=10, check=False)
                    if queue.returncode or not queue.stdout.strip():
                        break
                    time.sleep(0.5)
            except (subprocess.SubprocessError, OSError):
                pass
        order = ["slurmd", "slurmctld", "slurmdbd", "mariadbd", "munged"]
        for name in order:
            proc = self.procs.get(name)
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for name in order:
            proc = self.procs.get(name)
            if proc is None:
                continue
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        for pid in self.leftovers():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.db, ignore_errors=True)  # the database is the only large thing here
        self.stopped = time.monotonic() - t0

    def leftovers(self) -> list[int]:
        """PIDs of processes (other than this one) whose environment carries this cluster's marker."""
        mark = f"{MARKER}={self.root}".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                if mark in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
        return found

    def running(self) -> list[str]:
        return [name for name, proc in self.procs.items() if proc.poll() is None]

    # -- accounting ----------------------------------------------------------------------------------------

    SACCT_FIELDS = ["JobID", "JobName", "Comment", "State", "ExitCode", "AllocTRES", "ReqMem", "Partition",
                    "Account", "NodeList"]

    def sacct(self, name_prefix: str = "", timeout: float = 30) -> list[dict]:
        """SLURM's accounting records (allocations only, -X) of all jobs whose name starts with `name_prefix`."""
        done = self.command("sacct", "-a", "-X", "-n", "-P", "-S", "2000-01-01", "-o", ",".join(self.SACCT_FIELDS),
                            timeout=timeout)
        rows = [dict(zip(self.SACCT_FIELDS, line.split("|"))) for line in done.stdout.splitlines() if line]
        return [row for row in rows if row["JobName"].startswith(name_prefix)]

    def wait_accounted(self, name_prefix: str, count: int, timeout: float = 60) -> list[dict]:
        """Records of the jobs named `name_prefix`... once at least `count` exist and all have ended (slurmctld
        sends them to slurmdbd asynchronously)."""
        deadline = time.monotonic() + timeout
        while True:
            rows = self.sacct(name_prefix)
            ended = [row for row in rows if row["State"] not in ("PENDING", "RUNNING", "REQUEUED", "COMPLETING")]
            if len(rows) >= count and len(ended) == len(rows):
                return rows
            if time.monotonic() > deadline:
                raise ClusterError(f"sacct shows {len(rows)} jobs ({len(ended)} ended), expected {count}: {rows}")
            time.sleep(1)


class Guarded:
    """A command in its own process group, output to `log`, with a hard deadline: past it the whole group gets
    SIGKILL (Snakemake's SLURM executor ignores SIGTERM while it polls)."""

    def __init__(self, argv: list[str], *, log: Path, timeout: float, **kwargs):
        self.argv, self.log, self.timeout = argv, Path(log), timeout
        self.t0 = time.monotonic()
        self.seconds = None
        self.timed_out = False
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True, **kwargs)

    def done(self) -> bool:
        if self.proc.poll() is None and time.monotonic() - self.t0 > self.timeout:
            self.timed_out = True
            self.kill()
            self.proc.wait(timeout=30)
        if self.proc.poll() is not None and self.seconds is None:
            self.seconds = time.monotonic() - self.t0
        return self.proc.poll() is not None

    def kill(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")


def wait_all(runs: dict[str, Guarded], each=None) -> dict[str, subprocess.CompletedProcess]:
    """Wait for commands started together, calling `each()` (if given) between checks; any that outlives its
    timeout is killed and fails the wait."""
    try:
        while not all([run.done() for run in runs.values()]):
            if each is not None:
                each()
            time.sleep(0.2)
    finally:
        for run in runs.values():
            run.kill()
    late = [name for name, run in runs.items() if run.timed_out]
    if late:
        raise AssertionError("killed after their time limit: " + ", ".join(
            f"{name} ({runs[name].timeout} s):\n{runs[name].output[-4000:]}" for name in late))
    return {name: subprocess.CompletedProcess(run.argv, run.proc.returncode, run.output, "")
            for name, run in runs.items()}


def main() -> int:
    reason = unusable()
    if reason:
        print(reason, file=sys.stderr)
        return 2
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="neuralmi-slurm-"))
    cluster = SlurmCluster(root)
    try:
        cluster.start()
        print(f"SLURM cluster '{CLUSTER}' up in {cluster.started:.1f} s under {root} "
              f"({cluster.cpus} CPUs, {cluster.memory} MB, {cluster.gpus} fake GPUs, partition '{PARTITION}').")
        print(f'Use it from another shell with:\n  export PATH="{cluster.bin}:$PATH"\nCtrl-C stops it.')
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        cluster.stop()
        print(f"stopped in {cluster.stopped:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
