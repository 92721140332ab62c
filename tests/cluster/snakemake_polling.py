"""`python -m snakemake` for the cluster tests, with the executor's status polling capped at a few seconds.

The SLURM executor plugin waits 10 s longer after every status check that finds no job finished (up to 180 s):
right for a busy cluster, but on the test cluster it turns each job of a few seconds into a 33-s step. Only how
often the submitting Snakemake asks `sacct` changes here; the profile, the submissions and the jobs (which run the
plain `python -m snakemake`) do not. Usage: python snakemake_polling.py SECONDS SNAKEMAKE_ARGS...
"""

import sys

from snakemake_interface_executor_plugins.executors.remote import RemoteExecutor

cap = float(sys.argv.pop(1))
_interval = RemoteExecutor.next_seconds_between_status_checks
RemoteExecutor.next_seconds_between_status_checks = _interval.setter(
    lambda self, seconds: _interval.fset(self, min(seconds, cap)))

from snakemake.cli import main  # noqa: E402

main()
