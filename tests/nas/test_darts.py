"""DARTS: the relaxation, the discretization, a task whose right operation is known, and the
strategy end to end (in process on a shipped CSV, and from the command line)."""

from __future__ import annotations

import io
import math
import time

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from automl_cli import bundle  # noqa: E402
from automl_cli.data import load_training_data  # noqa: E402
from automl_cli.evaluate import Split  # noqa: E402
from automl_cli.metrics import resolve_metric  # noqa: E402
from automl_cli.nas.architecture import INPUT, Architecture, Edge, Node, TrainingParams  # noqa: E402
from automl_cli.nas.darts import DartsSettings, discretize, search_with, train_one_shot  # noqa: E402
from automl_cli.nas.darts_cell import CANDIDATES, OneShotNetwork, edge_list  # noqa: E402
from automl_cli.nas.encoding import InputLayout  # noqa: E402
from automl_cli.nas.run import prepare  # noqa: E402
from automl_cli.nas.strategy import Limits, Problem  # noqa: E402
from tests.conftest import DATASETS, run_cli  # noqa: E402


def regression_problem(X: np.ndarray, y: np.ndarray, n_train: int, seed: int = 0) -> Problem:
    """A numeric-only regression Problem on hand-made rows, one holdout split."""
    y = ((y - y.mean()) / y.std()).astype(np.float32)
    order = np.random.default_rng(seed).permutation(len(y))
    layout = InputLayout(tuple(f"x{i}" for i in range(X.shape[1])), (), ())
    return Problem(
        numeric=torch.tensor(X, dtype=torch.float32),
        categorical=torch.zeros((len(y), 0), dtype=torch.int64),
        y=torch.tensor(y),
        y_raw=y.astype(np.float64),
        y_scale=(0.0, 1.0),
        splits=[Split(order[:n_train], order[n_train:])],
        task="regression",
        n_outputs=1,
        metric=resolve_metric(None, "regression"),
        layout=layout,
        device="cpu",
        seed=seed,
    )


def test_mixing_weights_sum_to_one_on_every_edge():
    layout = InputLayout(("a", "b"), ("c",), (3,))
    torch.manual_seed(0)
    network = OneShotNetwork(layout, n_outputs=3, n_nodes=3, width=8)
    with torch.no_grad():
        network.alphas.copy_(5 * torch.randn_like(network.alphas))
    weights = network.mixing_weights()
    assert weights.shape == (len(edge_list(3)), len(CANDIDATES)) == (6, 6)
    assert torch.allclose(weights.sum(dim=1), torch.ones(6))
    assert bool((weights > 0).all())
    out = network(torch.randn(5, 2), torch.tensor([[0], [1], [2], [3], [1]]))
    assert out.shape == (5, 3)


def test_discretize_keeps_the_strongest_edges_with_their_strongest_nonzero_operation():
    candidates = (("linear", "relu"), ("linear", "tanh"), ("identity", "none"), ("zero", "none"))
    # rows: (1<-0), (2<-0), (2<-1), (3<-0), (3<-1), (3<-2)
    weights = np.array(
        [
            [0.1, 0.2, 0.3, 0.4],  # zero is largest, yet the edge stays: identity
            [0.5, 0.1, 0.1, 0.3],  # linear relu, strength 0.5
            [0.1, 0.6, 0.1, 0.2],  # linear tanh, strength 0.6
            [0.05, 0.05, 0.1, 0.8],  # weakest into node 3 (0.1): dropped
            [0.1, 0.1, 0.7, 0.1],  # identity, 0.7
            [0.4, 0.2, 0.2, 0.2],  # linear relu, 0.4
        ]
    )
    got = discretize(weights, candidates, n_nodes=3, width=16, edges_per_node=2)
    want = Architecture(
        (
            INPUT,
            Node(16, (Edge(0, "identity", "none"),)),
            Node(16, (Edge(0, "linear", "relu"), Edge(1, "linear", "tanh"))),
            Node(16, (Edge(1, "identity", "none"), Edge(2, "linear", "relu"))),
        )
    )
    assert got == want


def test_one_shot_search_finds_relu_for_a_sum_of_absolute_values():
    """|x| = relu(x) + relu(-x) exactly; tanh saturates and identity is linear."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 4))
    problem = regression_problem(X, np.abs(X).sum(axis=1), n_train=400)
    candidates = (("linear", "relu"), ("linear", "tanh"), ("identity", "none"), ("zero", "none"))
    settings = DartsSettings(
        n_nodes=1, width=16, edges_per_node=1, epochs=8, batch_size=64, arch_lr=0.03
    )
    result = train_one_shot(problem, settings, time.monotonic() + 60, candidates)
    assert result.weights.shape == (1, 4)
    relu, tanh, identity, _ = result.weights[0]
    assert relu > 2 * max(tanh, identity), result.weights  # "zero" never survives discretizing
    arch = discretize(result.weights, candidates, 1, 16, 1)
    assert arch.nodes[1].edges == (Edge(0, "linear", "relu"),)


def test_search_returns_a_retrained_discretized_cell():
    dataset = load_training_data(DATASETS / "iris.csv", "species")
    problem, _ = prepare(dataset, resolve_metric(None, dataset.task), "cpu", seed=0)
    settings = DartsSettings(
        n_nodes=3, width=16, edges_per_node=2, epochs=3, retraining=TrainingParams(max_epochs=5)
    )
    outcome = search_with(problem, Limits(time.monotonic() + 20), settings)
    assert len(outcome.trials) == 1 and outcome.best.ok
    arch = outcome.best.candidate.architecture
    assert arch.depth == 3
    for i, node in enumerate(arch.nodes[1:], start=1):
        assert node.merge == "sum" and 1 <= len(node.edges) <= min(2, i)
        assert all(edge.op != "zero" for edge in node.edges)
    assert problem.metric.name == "log_loss"
    assert outcome.best.loss < math.log(3)  # better than the uniform guess over 3 classes


def test_nas_darts_from_the_command_line(tmp_path):
    """Categorical columns too: the one-shot model embeds them as the trained network does."""
    model = tmp_path / "customers.automl"
    data = DATASETS / "customers.csv"
    done = run_cli(
        "nas",
        data,
        "--target",
        "churned",
        "--strategy",
        "darts",
        *("--max-epochs", "3", "--time-budget", "60", "--device", "cpu"),
        *("--out", model, "--quiet"),
    )
    assert done.returncode == 0, done.stderr
    manifest = bundle.read_manifest(model)
    assert manifest["search"]["strategy"] == "darts" and manifest["trial_count"] == 1
    arch = Architecture.from_dict(manifest["architecture"])
    assert arch.depth == DartsSettings().n_nodes
    assert all(node.merge == "sum" and len(node.edges) <= 2 for node in arch.nodes[1:])
    predicted = run_cli("predict", model, data)
    assert predicted.returncode == 0, predicted.stderr
    rows = pd.read_csv(io.StringIO(predicted.stdout))
    assert len(rows) == len(pd.read_csv(data))
    assert set(rows["prediction"]) <= {"yes", "no"}
    assert np.allclose(rows[["proba_no", "proba_yes"]].sum(axis=1), 1.0)
