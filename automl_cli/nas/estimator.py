"""A trained network as the model file holds it: raw typed rows in, scores out.

The file stores the network as two parts: `network.json` (architecture, training parameters,
input encoding, task) and `network.safetensors` (the weights, tensors only). Loading builds
the module from the JSON and fills in the tensors, so it never runs code from the file.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import torch

from automl_cli.nas.architecture import Architecture, TrainingParams
from automl_cli.nas.encoding import Encoding
from automl_cli.nas.network import Network

JSON_PART = "network.json"
WEIGHTS_PART = "network.safetensors"
PREDICT_BATCH = 8192


class NetworkEstimator:
    """`predict` / `predict_proba` / `classes_` over rows typed by the model's schema, as
    `automl_cli.model.Model` expects of its estimator."""

    def __init__(
        self,
        network: Network,
        architecture: Architecture,
        training: TrainingParams,
        encoding: Encoding,
        task: str,
        n_outputs: int,
        y_scale: tuple[float, float] = (0.0, 1.0),
        epochs: int = 0,
    ) -> None:
        self.network = network.cpu().eval()
        self.architecture = architecture
        self.training = training
        self.encoding = encoding
        self.task = task
        self.n_outputs = n_outputs
        self.y_scale = y_scale
        self.epochs = epochs
        self.classes_ = np.arange(n_outputs) if task != "regression" else None

    def _outputs(self, X: pd.DataFrame) -> torch.Tensor:
        numeric, codes = self.encoding.transform(X)
        outputs = []
        with torch.no_grad():
            for start in range(0, len(X), PREDICT_BATCH):
                end = start + PREDICT_BATCH
                outputs.append(
                    self.network(
                        torch.from_numpy(numeric[start:end]), torch.from_numpy(codes[start:end])
                    )
                )
        return torch.cat(outputs).double()

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return torch.softmax(self._outputs(X), dim=1).numpy()

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        if self.task != "regression":
            return self.predict_proba(X).argmax(1)
        mean, std = self.y_scale
        return self._outputs(X)[:, 0].numpy() * std + mean

    def describe(self) -> dict[str, Any]:
        return {
            "architecture": self.architecture.to_dict(),
            "training": self.training.to_dict(),
            "encoding": self.encoding.to_dict(),
            "task": self.task,
            "n_outputs": self.n_outputs,
            "y_scale": list(self.y_scale),
            "epochs": self.epochs,
        }

    def to_parts(self) -> dict[str, bytes]:
        from safetensors.torch import save

        state = {k: v.detach().cpu().contiguous() for k, v in self.network.state_dict().items()}
        return {
            JSON_PART: json.dumps(self.describe(), sort_keys=True).encode(),
            WEIGHTS_PART: save(state),
        }

    @classmethod
    def from_parts(cls, parts: dict[str, bytes]) -> NetworkEstimator:
        """Rebuild from the file's parts; ValueError when they do not fit together."""
        from safetensors.torch import load

        try:
            record = json.loads(parts[JSON_PART])
            architecture = Architecture.from_dict(record["architecture"])
            training = TrainingParams.from_dict(record["training"])
            encoding = Encoding.from_dict(record["encoding"])
            n_outputs, task = int(record["n_outputs"]), str(record["task"])
            network = Network(architecture, encoding.layout, n_outputs)
            network.load_state_dict(load(parts[WEIGHTS_PART]), strict=True)
        except (KeyError, TypeError, RuntimeError, json.JSONDecodeError) as error:
            raise ValueError(f"the network does not load ({type(error).__name__})") from None
        y_scale = tuple(float(v) for v in record["y_scale"])
        return cls(
            network,
            architecture,
            training,
            encoding,
            task,
            n_outputs,
            y_scale,
            int(record["epochs"]),
        )
