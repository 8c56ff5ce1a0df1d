"""Evolution's mutations and the space's sampling: every child is a valid network that
builds and runs, over many seeds."""

from __future__ import annotations

import numpy as np
import pytest

from automl_cli.nas import space
from automl_cli.nas.architecture import Architecture
from automl_cli.nas.encoding import InputLayout

LAYOUT = InputLayout(("a", "b", "c"), ("colour",), (4,))


def lineage(seed: int, steps: int) -> list:
    rng = np.random.default_rng(seed)
    candidate = space.sample(rng)
    children = [candidate]
    for _ in range(steps):
        candidate = space.mutate(candidate, rng)
        children.append(candidate)
    return children


def test_every_mutation_gives_a_valid_architecture_over_many_seeds():
    rng = np.random.default_rng(7)
    for seed in range(300):
        arch = space.sample(np.random.default_rng(seed)).architecture
        for mutation in space.MUTATIONS:
            child = mutation(arch, rng)
            if child is None:
                continue
            # rebuilt from its JSON, validation runs again on every node and edge
            assert Architecture.from_json(child.to_json()) == child
            assert 1 <= child.depth <= space.MAX_DEPTH


def test_mutations_do_what_they_say():
    rng = np.random.default_rng(0)
    arch = Architecture.chain([32, 32, 32])
    assert space.add_layer(arch, rng).depth == 4
    assert space.remove_layer(arch, rng).depth == 2
    assert space.drop_skip(arch, rng) is None  # a plain chain has no skip to drop
    skipped = space.add_skip(arch, rng)
    assert sum(len(n.edges) for n in skipped.nodes) == 4
    assert space.drop_skip(skipped, rng) == arch or space.drop_skip(skipped, rng).depth == 3
    widened = space.change_width(arch, rng)
    assert [n.width for n in widened.nodes] != [n.width for n in arch.nodes]


def test_children_build_and_run_as_networks():
    torch = pytest.importorskip("torch")
    from automl_cli.nas.network import Network

    numeric, codes = torch.randn(5, 3), torch.tensor([[0], [1], [2], [3], [4]])
    for seed in range(5):
        for child in lineage(seed, 8):
            net = Network(child.architecture, LAYOUT, 3).eval()
            assert net(numeric, codes).shape == (5, 3)


def test_bohb_configs_map_to_valid_candidates():
    pytest.importorskip("ConfigSpace")
    configspace = space.configspace(3)
    for config in configspace.sample_configuration(50):
        candidate = space.from_config(dict(config), 20)
        assert candidate.architecture.depth == config["depth"]
        assert candidate.training.max_epochs == 20
