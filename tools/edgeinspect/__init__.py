"""EdgeInspect Python tools: train, export and reference-score anomaly-detection autoencoders."""

__version__ = "0.1.0"
