"""neuralmi workflow: datasets -> fit plans -> training jobs -> bias-corrected results, figures and report."""

# config.yaml is the default: a config given with --configfile replaces it rather than being merged into it.
if not workflow.overwrite_configfiles:

    configfile: "config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/fit.smk"
include: "workflow/rules/summary.smk"
include: "workflow/rules/paper.smk"


report: "workflow/report/workflow.rst"


localrules:
    all,
    summarise_all,
    checksums,
    verify_checksums,


rule all:
    default_target: True
    input:
        final_outputs(),
        "results/checksums.sha256",
        REBUILD,  # outputs found damaged at startup (common.smk)
