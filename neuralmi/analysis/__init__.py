"""Analysis modes, one module each with the same shape: plan the fits, run them, summarise, plot."""
