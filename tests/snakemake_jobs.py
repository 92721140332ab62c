"""Reading Snakemake's output in tests (importable from tests/ and tests/cluster/: pytest puts tests/ on
sys.path to load tests/conftest.py)."""


def job_counts(output: str) -> dict:
    """Snakemake's "Job stats" table: jobs per rule in this run."""
    counts, in_table = {}, False
    for line in output.splitlines():
        parts = line.split()
        if parts[:2] == ["job", "count"]:
            in_table = True
        elif in_table and len(parts) == 2 and parts[1].isdigit():
            counts[parts[0]] = int(parts[1])
        elif in_table and counts and not parts:
            break
    return counts
