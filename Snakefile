"""neuralmi workflow: datasets -> fit plans -> training jobs -> bias-corrected results, figures and report."""


configfile: "config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/fit.smk"
include: "workflow/rules/summary.smk"


report: "workflow/report/workflow.rst"


localrules:
    all,
    summarise_all,


rule all:
    default_target: True
    input:
        "results/summary.parquet",
        "results/summary.csv",
        expand("results/{analysis}/result.json", analysis=ANALYSES),
        expand("results/{analysis}/figures/main.png", analysis=ANALYSES),
        expand("results/{analysis}/figures/curves.png", analysis=ANALYSES),
        null_figures(),
