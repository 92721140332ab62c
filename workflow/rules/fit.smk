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
