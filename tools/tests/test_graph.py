import pytest
import torch

from edgeinspect.graph import OP_CODES, run_graph
from edgeinspect.model import AutoEncoder, ModelConfig
from edgeinspect.modelfile import parse, serialize
from edgeinspect.export import build_modelfile


@pytest.mark.parametrize("widths,size", [((16, 32, 64), (64, 96)), ((4, 8, 12), (40, 24))])
def test_node_list_forward_equals_model_forward(widths, size):
    torch.manual_seed(3)
    model = AutoEncoder(ModelConfig(widths=widths)).eval()
    # Move the gates away from 0.5 so that a swapped mix operand would show.
    for p in model.parameters():
        p.data.mul_(3.0)
    x = torch.randn(2, 1, *size)
    nodes, output = model.graph()
    with torch.no_grad():
        want = model(x)
        got = run_graph(nodes, output, dict(model.state_dict()), x)
    assert got.shape == x.shape
    assert torch.allclose(got, want, atol=1e-5, rtol=1e-5)


def test_graph_uses_only_file_ops_and_no_full_resolution_skip():
    model = AutoEncoder()
    nodes, output = model.graph()
    assert {n.op for n in nodes} <= set(OP_CODES)
    assert output == len(nodes)
    # Only the first conv reads the input image.
    assert [i for i, n in enumerate(nodes) if 0 in n.inputs] == [0]


def test_file_round_trip_runs_same_as_model(checkpoint):
    model = AutoEncoder(ModelConfig.from_dict(checkpoint["config"]))
    model.load_state_dict(checkpoint["model"])
    mf = parse(serialize(build_modelfile(checkpoint, "f32")))
    x = torch.randn(1, 1, 32, 48)
    with torch.no_grad():
        assert torch.equal(run_graph(mf.nodes, mf.output, mf.params(), x), model(x))
