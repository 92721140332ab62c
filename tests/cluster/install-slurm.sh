#!/usr/bin/env bash
# Install what tests/cluster needs for its one-node SLURM cluster (Debian/Ubuntu, as root): SLURM's daemons and
# client, munge, and slurmdbd with MariaDB for accounting (sacct). No service is configured or enabled here: the
# test harness (tests/cluster/slurm_harness.py) runs its own instances on 127.0.0.1 from a temporary directory.
set -euo pipefail
packages=(slurmctld slurmd slurm-client munge slurmdbd mariadb-server)
programs=(slurmctld slurmd slurmdbd sbatch sacct munged mariadbd mariadb-install-db mariadb)
have_all=1
for program in "${programs[@]}"; do
    PATH="$PATH:/usr/sbin:/sbin" command -v "$program" >/dev/null || have_all=0
done
if [ "$have_all" -eq 1 ]; then
    echo "install-slurm.sh: SLURM, munge and MariaDB are installed"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install-slurm.sh: run as root (apt-get install ${packages[*]})" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
for try in 1 2 3; do
    if apt-get update -qq && apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null; then
        echo "install-slurm.sh: installed ${packages[*]}"
        exit 0
    fi
    echo "install-slurm.sh: apt-get failed (try $try of 3)" >&2
    sleep 10
done
exit 1
