rule train_fit:
    input:
        data=get_dataset,
        plan="results/{analysis}/plan.parquet",
    output:
        fit="results/{analysis}/fits/{fit}.parquet",
        curves="results/{analysis}/curves/{fit}.parquet",
    log:
        "results/logs/train_fit/{analysis}/{fit}.log",
    benchmark:
        "results/benchmarks/train_fit/{analysis}/{fit}.tsv"
    conda:
        "../envs/neuralmi.yaml"
    threads: config["training"]["threads"]
    resources:
        gpu=config["training"]["gpu"],
        mem_mb=config["training"]["mem_mb"],
        runtime=config["training"]["runtime"],
    params:
        options=get_options,
        units=config["units"],
    script:
        "../scripts/train_fit.py"
