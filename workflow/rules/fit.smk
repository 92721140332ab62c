rule train_fits:
    input:
        unpack(get_dataset),
        plan="results/{analysis}/plan.parquet",
    output:
        fit="results/{analysis}/fits/{job}.parquet",
        curves="results/{analysis}/curves/{job}.parquet",
    log:
        "results/logs/train_fits/{analysis}/{job}.log",
    benchmark:
        "results/benchmarks/train_fits/{analysis}/{job}.tsv"
    conda:
        "../envs/neuralmi.yaml"
    threads: config["training"]["threads"]
    resources:
        gpu=config["training"]["gpu"],
        mem_mb=config["training"]["mem_mb"],
        runtime=config["training"]["runtime"],
    params:
        fits=get_job_fits,
        mode=get_mode,
        options=get_options,
        seed=get_seed,
        units=config["units"],
    script:
        "../scripts/train_fits.py"


# A mode that trains in rounds (network mode's greedy conditioning) chooses each later round's points from the fits
# of the rounds before: its plan is a checkpoint, and the DAG is re-evaluated once it is made (common.smk).
checkpoint plan_round:
    input:
        unpack(get_dataset),
        fits=earlier_fits,
    output:
        "results/{analysis}/rounds/{round}/plan.parquet",
    log:
        "results/logs/plan_round/{analysis}/{round}.log",
    conda:
        "../envs/neuralmi.yaml"
    params:
        mode=get_mode,
        options=get_options,
        seed=get_seed,
    script:
        "../scripts/plan_analysis.py"


rule train_round_fits:
    input:
        unpack(get_dataset),
        plan="results/{analysis}/rounds/{round}/plan.parquet",
    output:
        fit="results/{analysis}/rounds/{round}/fits/{job}.parquet",
        curves="results/{analysis}/rounds/{round}/curves/{job}.parquet",
    log:
        "results/logs/train_fits/{analysis}/rounds/{round}/{job}.log",
    benchmark:
        "results/benchmarks/train_fits/{analysis}/rounds/{round}/{job}.tsv"
    conda:
        "../envs/neuralmi.yaml"
    threads: config["training"]["threads"]
    resources:
        gpu=config["training"]["gpu"],
        mem_mb=config["training"]["mem_mb"],
        runtime=config["training"]["runtime"],
    params:
        fits=get_round_job_fits,
        mode=get_mode,
        options=get_options,
        seed=get_seed,
        units=config["units"],
    script:
        "../scripts/train_fits.py"
