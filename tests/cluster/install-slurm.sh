#!/usr/bin/env bash
# Install what tests/cluster needs for its one-node SLURM cluster (Debian/Ubuntu, as root): SLURM's daemons and
# client, munge, and slurmdbd with MariaDB for accounting (sacct). No service is configured or enabled here: the
# test harness (tests/cluster/slurm_harness.py) runs its own instances on 127.0.0.1 from a temporary directory.
set -euo pipefail
exec bash "$(dirname "$0")/../apt-install.sh" \
    "slurmctld slurmd slurmdbd sbatch sacct munged mariadbd mariadb-install-db mariadb" \
    --no-install-recommends slurmctld slurmd slurm-client munge slurmdbd mariadb-server
