"""The model file (docs/architecture.md, contract 5): a zip of a JSON manifest and a skops model,
or, for a network of `automl nas` (manifest `kind: network`), of named parts (architecture
JSON and safetensors weights) that hold data only and one checksum over them all.

The manifest is read and checked before any model byte is touched: format version, then the
library versions it was written with. The model itself is loaded with `skops.io` and the fixed
list of types our pipelines are made of (`automl_cli.space.TRUSTED_TYPES`, never read from the
file), so loading a model cannot run code from it; a file that holds any other type, or whose
model bytes do not match the checksum in its manifest, is refused.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import pickle
import sys
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

from automl_cli.errors import BundleError
from automl_cli.files import atomic_write

FORMAT = "automl-cli model"
# 1: the model part is a bare fitted pipeline; 2: an automl_cli.model.Model (schema inside)
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
MODEL = "model.skops"
# zlib's fastest level: the 491 MB model part of an ensemble with two deep forests is written
# in 3.8 s against 10.4 s at the default level 6, into a file 15 % larger (127 MB against
# 110 MB), and read in 1.6 s against 1.4 s (benchmarks/results/model_write.md)
COMPRESS_LEVEL = 1
VERSIONED_LIBRARIES = ("automl-cli", "scikit-learn", "lightgbm", "xgboost", "numpy", "skops")
# what `predict` and `info` read from every manifest `automl fit` writes
MANIFEST_KEYS = ("model_sha256", "task", "metric", "target", "schema", "classes", "algorithm")
MANIFEST_KEYS += ("validation_score", "trial_count", "failed_trials", "leaderboard", "created")
MANIFEST_KEYS += ("libraries",)


@dataclass
class Bundle:
    manifest: dict[str, Any]
    model: Any
    warnings: list[str]


def library_versions() -> dict[str, str]:
    versions = {}
    for name in VERSIONED_LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


def prepare() -> None:
    """Import skops.io now, before the search, so that `save` does not pay for it at the end.

    Its first import took 4.3 s on a busy 2-core machine, and came after the refit, at the
    budget's end (benchmarks/results/refit_wall.md). It runs in the main thread before the
    search starts its threads: imported in a thread of its own beside them, it once met
    another import halfway ("partially initialized module 'dask.array'") and failed the fit.
    """
    skops_io()


def skops_io() -> ModuleType:
    """skops.io, imported without its walk through all of scikit-learn.

    On its first import skops.io lists every scikit-learn estimator, to trust them by default,
    with `sklearn.utils.all_estimators`, which imports every scikit-learn module (its tests
    and datasets too, and Dask through an array-API shim): a second or more of `automl
    predict`'s start (benchmarks/results/predict_speed.md). This tool never relies on that
    default: a model file may hold only TRUSTED_TYPES, which names the scikit-learn types of
    our models one by one. So the walk is skipped: skops.io then trusts no scikit-learn
    estimator by default, in this process, which only makes it stricter.
    """
    if "skops.io" not in sys.modules:
        import sklearn.utils

        walk = sklearn.utils.all_estimators
        sklearn.utils.all_estimators = lambda *args, **kwargs: []
        try:
            importlib.import_module("skops.io")
        finally:
            sklearn.utils.all_estimators = walk
    return sys.modules["skops.io"]


def save(path: str | Path, model: Any, manifest: dict[str, Any]) -> dict[str, Any]:
    """Write the model and its manifest to `path` atomically; the manifest as written."""
    payload = skops_io().dumps(model)
    own = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "libraries": library_versions(),
        "model_sha256": hashlib.sha256(payload).hexdigest(),
    }
    manifest = {**own, **manifest, **own}  # first, and a loaded model's saved again gets them
    with atomic_write(path) as stream, _archive(stream) as z:
        z.writestr(MANIFEST, json.dumps(manifest, indent=2, default=str))
        z.writestr(MODEL, payload)
    return manifest


def save_parts(
    path: str | Path, parts: dict[str, bytes], manifest: dict[str, Any]
) -> dict[str, Any]:
    """Write a network's parts and its manifest to `path` atomically; the manifest as written."""
    own = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": "network",
        "parts": sorted(parts),
        "libraries": library_versions(),
        "model_sha256": _parts_digest(parts),
    }
    manifest = {**own, **manifest, **own}
    with atomic_write(path) as stream, _archive(stream) as z:
        z.writestr(MANIFEST, json.dumps(manifest, indent=2, default=str))
        for name in sorted(parts):
            z.writestr(name, parts[name])
    return manifest


def serialized_bytes(model: Any) -> int:
    """The size of `model` once serialized, what writing it takes time by: its pickled size,
    counted as it streams by without a copy of its arrays (0.05 s for a 283 MB ensemble)."""
    counted = _ByteCount()
    arrays = []  # out of band: their sizes are added, their buffers are not kept
    pickler = pickle.Pickler(
        counted, protocol=5, buffer_callback=lambda buffer: arrays.append(memoryview(buffer).nbytes)
    )
    pickler.dump(model)
    return counted.size + sum(arrays)


class _ByteCount:
    """A file that only counts what is written to it."""

    size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return len(data)


def _archive(stream: Any) -> zipfile.ZipFile:
    return zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL)


def load_parts(path: str | Path) -> Bundle:
    """The manifest and a network's parts (bytes by name), checked against the checksum."""
    manifest, _ = _open(path, with_model=False)
    names = manifest.get("parts")
    if manifest.get("kind") != "network" or not isinstance(names, list):
        raise BundleError(f"{path}: not a network's model file; retrain with `automl nas`")
    try:
        with zipfile.ZipFile(path) as archive:
            parts = {str(name): archive.read(str(name)) for name in names}
    except (zipfile.BadZipFile, KeyError, OSError):
        raise BundleError(
            f"{path}: a part of the network is missing; retrain with `automl nas`"
        ) from None
    if _parts_digest(parts) != manifest.get("model_sha256"):
        raise BundleError(
            f"{path}: the network does not match its manifest's checksum (the file was altered "
            "or damaged); retrain with `automl nas`"
        )
    return Bundle(manifest, parts, _version_notes(manifest.get("libraries", {})))


def _parts_digest(parts: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in sorted(parts):
        digest.update(f"{name}:{hashlib.sha256(parts[name]).hexdigest()}\n".encode())
    return digest.hexdigest()


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The manifest alone, checked; BundleError for anything that is not our model file."""
    manifest, _ = _open(path, with_model=False)
    return manifest


def load(path: str | Path) -> Bundle:
    """The manifest and the model, refusing anything that could run code or is tampered with."""
    from automl_cli.space.trusted import TRUSTED_TYPES

    manifest, payload = _open(path, with_model=True)
    notes = _version_notes(manifest.get("libraries", {}))
    if hashlib.sha256(payload).hexdigest() != manifest.get("model_sha256"):
        raise BundleError(
            f"{path}: the model does not match its manifest's checksum (the file "
            "was altered or damaged); retrain with `automl fit`"
        )
    skops = skops_io()  # only now: a file that fails the checks above is refused fast
    try:  # the audit runs inside loads, on the tree it builds, before any object is made
        model = skops.loads(payload, trusted=list(TRUSTED_TYPES))
    except skops.exceptions.UntrustedTypesFoundException:
        foreign = sorted(set(skops.get_untrusted_types(data=payload)) - set(TRUSTED_TYPES))
        raise BundleError(
            f"{path}: refused, the model holds types this tool never writes "
            f"({', '.join(foreign[:3])}); only load files made by `automl fit`"
        ) from None
    except Exception as error:
        hint = "; ".join(notes) or "the file may be damaged"
        raise BundleError(
            f"{path}: the model part cannot be read ({type(error).__name__}: "
            f"{error}); {hint}; retrain with `automl fit`"
        ) from None
    return Bundle(manifest, model, notes)


def _open(path: str | Path, with_model: bool) -> tuple[dict[str, Any], bytes]:
    path = Path(path)
    if not path.is_file():
        raise BundleError(f"model file not found: {path}; give the path written by `automl fit`")
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read(MANIFEST))
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                raise ValueError("not our format")
            _check_format_version(path, manifest)
            missing = [key for key in MANIFEST_KEYS if key not in manifest]
            if missing:
                raise BundleError(
                    f"{path}: the manifest lacks {', '.join(missing)} (the file was altered "
                    "or damaged); retrain with `automl fit`"
                )
            payload = archive.read(MODEL) if with_model else b""
    except BundleError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, UnicodeDecodeError):
        raise BundleError(
            f"{path} is not a model file written by automl-cli; give the file "
            "written by `automl fit --out`"
        ) from None
    return manifest, payload


def _check_format_version(path: Path, manifest: dict[str, Any]) -> None:
    version = manifest.get("format_version")
    if not isinstance(version, int):
        raise ValueError("no format version")
    if version > FORMAT_VERSION:
        writer = manifest.get("libraries", {}).get("automl-cli", "a newer version")
        raise BundleError(
            f"{path} was written by automl-cli {writer} (model format "
            f"{version}); this is format {FORMAT_VERSION}: upgrade automl-cli"
        )


def _version_notes(saved: dict[str, str]) -> list[str]:
    """One note per library whose major.minor version differs from the one installed now."""
    current = library_versions()
    notes = []
    for name, then in saved.items():
        now = current.get(name)
        if now and _major_minor(then) != _major_minor(now):
            notes.append(f"written with {name} {then}, running {name} {now}")
    return notes


def _major_minor(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)
