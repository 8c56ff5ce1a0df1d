"""The architecture format: JSON round trip and the validation every strategy relies on."""

from __future__ import annotations

import pytest

from automl_cli.nas.architecture import INPUT, Architecture, Edge, Node, TrainingParams


def residual_dense() -> Architecture:
    return Architecture(
        (
            INPUT,
            Node(32, (Edge(0),), norm="layer"),
            Node(32, (Edge(1, "linear", "gelu"), Edge(0, "identity", "none"))),
            Node(16, (Edge(2), Edge(1, "linear", "tanh")), merge="concat", dropout=0.1),
        ),
        embedding_dim=4,
    )


def test_json_round_trip_gives_the_same_architecture():
    arch = residual_dense()
    assert Architecture.from_json(arch.to_json()) == arch
    params = TrainingParams(3e-3, 1e-4, 64, 12)
    assert TrainingParams.from_dict(params.to_dict()) == params


def test_dims_follow_merge_rules():
    assert residual_dense().dims(10) == [10, 32, 32, 32]  # concat: 16 * 2 edges


def test_chain_is_a_plain_mlp():
    arch = Architecture.chain([64, 32], activation="silu")
    assert [len(n.edges) for n in arch.nodes[1:]] == [1, 1]
    assert [n.edges[0].source for n in arch.nodes[1:]] == [0, 1]
    assert "node 2: width 32; linear(silu) from 1" in arch.describe()


@pytest.mark.parametrize(
    ("nodes", "message"),
    [
        ((INPUT,), "at least one hidden node"),
        ((Node(8, (Edge(0),)), Node(8, (Edge(0),))), "node 0 is the input"),
        ((INPUT, Node(8, ())), "needs at least one edge"),
        ((INPUT, Node(8, (Edge(1),))), "not an earlier node"),
        ((INPUT, Node(8, (Edge(0, "conv"),))), "op must be one of"),
        ((INPUT, Node(8, (Edge(0, "linear", "sigmoid"),))), "activation must be one of"),
        ((INPUT, Node(8, (Edge(0),), merge="max")), "merge must be one of"),
        ((INPUT, Node(8, (Edge(0),), norm="group")), "norm must be one of"),
        ((INPUT, Node(8, (Edge(0),), dropout=1.0)), "dropout must be in"),
        ((INPUT, Node(0, (Edge(0),))), "width must be an integer"),
        ((INPUT, Node(8, (Edge(0), Edge(0, "identity")))), "two edges from the same node"),
    ],
)
def test_invalid_architectures_are_refused_with_a_reason(nodes, message):
    with pytest.raises(ValueError, match=message):
        Architecture(nodes)


def test_malformed_json_is_a_value_error():
    with pytest.raises(ValueError, match="not JSON"):
        Architecture.from_json("{nodes")
    with pytest.raises(ValueError, match="malformed"):
        Architecture.from_json('{"nodes": [{"width": 0}], "embedding_dim": 8}')
    with pytest.raises(ValueError, match="must be an integer"):
        Architecture.from_json('{"nodes": [], "embedding_dim": "8"}')
