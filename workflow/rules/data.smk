rule prepare_dataset:
    output:
        "results/datasets/{dataset}.parquet",
    log:
        "results/logs/prepare_dataset/{dataset}.log",
    conda:
        "../envs/neuralmi.yaml"
    params:
        spec=lambda wildcards: config["datasets"][wildcards.dataset],
    script:
        "../scripts/prepare_dataset.py"


rule plan_analysis:
    input:
        get_dataset,
    output:
        "results/{analysis}/plan.parquet",
    log:
        "results/logs/plan_analysis/{analysis}.log",
    conda:
        "../envs/neuralmi.yaml"
    params:
        mode=lambda wildcards: analysis(wildcards.analysis)["mode"],
        options=get_options,
        seed=get_seed,
    script:
        "../scripts/plan_analysis.py"
