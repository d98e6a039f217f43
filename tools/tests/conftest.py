import numpy as np
import pytest
import torch

from edgeinspect.export import build_modelfile
from edgeinspect.model import AutoEncoder, ModelConfig


def small_checkpoint(widths=(4, 8, 8), seed=0) -> dict:
    """A checkpoint-shaped dict around a small randomly initialised model."""
    torch.manual_seed(seed)
    config = ModelConfig(widths=widths)
    model = AutoEncoder(config)
    return {
        "name": "test-model", "config": config.to_dict(), "model": model.state_dict(),
        "step": 7, "args": {"seed": seed}, "mean": [0.45], "std": [0.2],
        "command": "pytest", "data": {"kind": "synthetic", "resize": [0, 0], "calib_count": 2,
                                      "description": "unit test", "licence": "none"},
        "score": {"sigma": 2.0, "reduce": "max", "scale": 1.0, "threshold": 0.5,
                  "calib": {"images": 2, "quantile": 0.99, "margin": 1.1}},
    }


@pytest.fixture
def checkpoint():
    return small_checkpoint()


@pytest.fixture
def modelfile(checkpoint):
    return build_modelfile(checkpoint, "f32")


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
