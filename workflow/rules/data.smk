rule prepare_dataset:
    output:
        x="results/datasets/{dataset}/x.parquet",
        y="results/datasets/{dataset}/y.parquet",
        z="results/datasets/{dataset}/z.parquet",
    log:
        "results/logs/prepare_dataset/{dataset}.log",
    wildcard_constraints:
        dataset=names_regex(PLAIN_DATASETS),
    conda:
        "../envs/neuralmi.yaml"
    params:
        spec=lambda wildcards: dataset_spec(wildcards.dataset),
    script:
        "../scripts/prepare_dataset.py"


# An NWB file's dataset also keeps what the file fixes (its rate, time range, ids) in info.json, and is rebuilt
# when the file changes.
rule prepare_nwb_dataset:
    input:
        lambda wildcards: dataset_spec(wildcards.dataset)["nwb"],
    output:
        x="results/datasets/{dataset}/x.parquet",
        y="results/datasets/{dataset}/y.parquet",
        z="results/datasets/{dataset}/z.parquet",
        info="results/datasets/{dataset}/info.json",
    log:
        "results/logs/prepare_dataset/{dataset}.log",
    wildcard_constraints:
        dataset=names_regex(NWB_DATASETS),
    conda:
        "../envs/neuralmi.yaml"
    params:
        spec=lambda wildcards: dataset_spec(wildcards.dataset),
    script:
        "../scripts/prepare_dataset.py"


rule plan_analysis:
    input:
        unpack(get_dataset),
    output:
        "results/{analysis}/plan.parquet",
    log:
        "results/logs/plan_analysis/{analysis}.log",
    conda:
        "../envs/neuralmi.yaml"
    params:
        mode=get_mode,
        options=get_options,
        seed=get_seed,
    script:
        "../scripts/plan_analysis.py"
