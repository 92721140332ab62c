rule summarise_analysis:
    input:
        unpack(get_info),
        fits=get_fits,
        curves=get_curves,
        rounds=round_plans,
    output:
        fits="results/{analysis}/fits.parquet",
        curves="results/{analysis}/curves.parquet",
        summary="results/{analysis}/summary.parquet",
        null="results/{analysis}/null.parquet",
        timings="results/{analysis}/timings.parquet",
        result="results/{analysis}/result.json",
    log:
        "results/logs/summarise_analysis/{analysis}.log",
    conda:
        "../envs/neuralmi.yaml"
    params:
        mode=get_mode,
        options=get_options,
        units=config["units"],
        dataset=lambda wildcards: analysis(wildcards.analysis)["dataset"],
        truth=lambda wildcards: dataset_truth(
            dataset_spec(analysis(wildcards.analysis)["dataset"]),
            config["units"],
        ),
    script:
        "../scripts/summarise_analysis.py"


rule plot_analysis:
    input:
        saved_result,
    output:
        main=report(
            "results/{analysis}/figures/main.png",
            caption="../report/main.rst",
            category="{analysis}",
        ),
        main_pdf="results/{analysis}/figures/main.pdf",
        curves=report(
            "results/{analysis}/figures/curves.png",
            caption="../report/curves.rst",
            category="{analysis}",
        ),
    log:
        "results/logs/plot_analysis/{analysis}.log",
    conda:
        "../envs/neuralmi.yaml"
    script:
        "../scripts/plot_analysis.py"


rule plot_null:
    input:
        saved_result,
    output:
        report(
            "results/{analysis}/figures/null.png",
            caption="../report/null.rst",
            category="{analysis}",
        ),
    log:
        "results/logs/plot_null/{analysis}.log",
    conda:
        "../envs/neuralmi.yaml"
    script:
        "../scripts/plot_null.py"


rule summarise_group:
    input:
        group_inputs,
    output:
        json="results/{group}/group.json",
        sessions="results/{group}/sessions.parquet",
        group="results/{group}/group.parquet",
        forest=report(
            "results/{group}/figures/forest.png",
            caption="../report/forest.rst",
            category="{group}",
        ),
        forest_pdf="results/{group}/figures/forest.pdf",
    log:
        "results/logs/summarise_group/{group}.log",
    conda:
        "../envs/neuralmi.yaml"
    params:
        sessions=lambda wildcards: GROUPS[wildcards.group],
        dataset=lambda wildcards: config["analyses"][wildcards.group]["dataset"],
        truth=lambda wildcards: dataset_truth(
            config["datasets"][config["analyses"][wildcards.group]["dataset"]],
            config["units"],
        ),
    script:
        "../scripts/summarise_group.py"


rule summarise_all:
    input:
        expand("results/{analysis}/result.json", analysis=ANALYSES),
        expand("results/{group}/group.json", group=sorted(GROUPS)),
    output:
        parquet="results/summary.parquet",
        csv="results/summary.csv",
        html=report(
            "results/summary.html",
            caption="../report/summary.rst",
            category="Summary",
        ),
    log:
        "results/logs/summarise_all.log",
    conda:
        "../envs/neuralmi.yaml"
    params:
        analyses=ANALYSES,
    script:
        "../scripts/summarise_all.py"
