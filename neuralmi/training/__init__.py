"""Training: splits of the samples, the stacked trainer, curve smoothing and model selection."""
