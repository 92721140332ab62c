"""The one-node SLURM cluster fixture (tests/cluster/slurm_harness.py): started once per session, always stopped."""

import pytest

from slurm_harness import SlurmCluster, in_ci, unusable


@pytest.fixture(scope="session")
def slurm_cluster(request, tmp_path_factory):
    reason = unusable()
    if reason:
        if in_ci():
            pytest.fail(f"CI is set but the SLURM test cluster cannot run: {reason}", pytrace=False)
        pytest.skip(reason)
    cluster = SlurmCluster(tmp_path_factory.mktemp("slurm"))
    request.addfinalizer(cluster.stop)  # before start(): a half-started cluster is stopped too
    cluster.start()
    print(f"SLURM test cluster up in {cluster.started:.1f} s ({cluster.root})")
    return cluster
