"""Training the model: the data pipeline, the fit loop, checkpoints and plots."""
