rule reference_estimates:
    input:
        x="results/datasets/{dataset}/x.parquet",
        y="results/datasets/{dataset}/y.parquet",
    output:
        "results/datasets/{dataset}/references.parquet",
    log:
        "results/logs/reference_estimates/{dataset}.log",
    conda:
        "../envs/neuralmi.yaml"
    params:
        units=config["units"],
    script:
        "../scripts/reference_estimates.py"


rule paper_figure:
    input:
        figure_inputs,
    output:
        png=report(
            "results/paper/{figure}.png",
            caption="../report/paper.rst",
            category="Figures",
        ),
        pdf="results/paper/{figure}.pdf",
        table="results/paper/{figure}.parquet",
    log:
        "results/logs/paper_figure/{figure}.log",
    conda:
        "../envs/neuralmi.yaml"
    params:
        spec=lambda wildcards: config["figures"][wildcards.figure],
        units=config["units"],
    script:
        "../scripts/paper_figure.py"


rule checksums:
    input:
        final_outputs(),
    output:
        "results/checksums.sha256",
    log:
        "results/logs/checksums.log",
    conda:
        "../envs/neuralmi.yaml"
    script:
        "../scripts/checksums.py"


rule verify_checksums:
    input:
        "results/checksums.sha256",
    output:
        "results/checksums.verified",
    log:
        "results/logs/verify_checksums.log",
    conda:
        "../envs/neuralmi.yaml"
    params:
        reference=config.get("reference_checksums", ""),
    script:
        "../scripts/verify_checksums.py"
