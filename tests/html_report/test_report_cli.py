"""`automl report` on real fits, opened in headless Chromium: every section and chart is there,
nothing is fetched from the network, and bad input is refused like fit's outputs."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from automl_cli import bundle
from tests.conftest import DATASETS, run_cli

SECTIONS = (
    "task", "warm-start", "anytime", "trials", "leaderboard", "ensemble", "importance",
    "predictions",
)  # fmt: skip
QUICK = ("--time-budget", "60", "--n-jobs", "1", "--quiet")


def chromium() -> str:
    """The headless browser the report is checked in (Debian's `chromium` package)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("chromium is not installed; install it with `apt-get install -y chromium`")
    return found


def browse(page: Path, *args: str) -> subprocess.CompletedProcess:
    """Chromium, headless and offline (every host name fails to resolve), on the page."""
    command = [
        chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
        "--host-resolver-rules=MAP * ~NOTFOUND", *args, page.resolve().as_uri(),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done


def fit_and_report(folder: Path, data: str, target: str, *options: str) -> tuple[Path, Path]:
    model, page = folder / "m.automl", folder / "report.html"
    done = run_cli("fit", DATASETS / data, "--target", target, "--out", model, *QUICK, *options)
    assert done.returncode == 0, done.stderr
    done = run_cli("report", model, "--out", page)
    assert done.returncode == 0, done.stderr
    assert "report written to" in done.stderr
    return model, page


@pytest.fixture(scope="module")
def classification(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return fit_and_report(tmp_path_factory.mktemp("iris"), "iris.csv", "species",
                          "--max-trials", "8")  # fmt: skip


@pytest.fixture(scope="module")
def regression(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return fit_and_report(tmp_path_factory.mktemp("diabetes"), "diabetes.csv", "progression",
                          "--max-trials", "4")  # fmt: skip


def sections_of(dom: str) -> dict[str, str]:
    """Each section's HTML as Chromium built the page, by its id."""
    found = re.findall(r'<section id="([\w-]+)">(.*?)</section>', dom, flags=re.S)
    return dict(found)


def test_every_section_and_chart_of_a_classifier_renders_in_chromium(classification):
    model, page = classification
    dom = browse(page, "--dump-dom").stdout
    sections = sections_of(dom)
    assert list(sections) == list(SECTIONS)
    manifest = bundle.read_manifest(model)
    charts = {name: len(re.findall(r"<svg\b", html)) for name, html in sections.items()}
    assert charts["anytime"] == charts["trials"] == charts["importance"] == 1
    assert charts["predictions"] == 2  # the confusion matrix and the calibration curve
    assert 'aria-label="Confusion matrix"' in sections["predictions"]
    assert 'aria-label="Calibration curve"' in sections["predictions"]
    for label in ("setosa", "versicolor", "virginica"):
        assert label in sections["predictions"]
    top = manifest["explanations"]["importance"]["features"][0]["name"]
    assert f">{top}<" in sections["importance"]  # the bar chart's labels are text
    assert "landmark_1nn" in sections["task"]  # the meta-features
    for neighbour in manifest["warm_start"]["neighbours"]:
        assert neighbour["task"] in sections["warm-start"]
    for trial in manifest["leaderboard"]:
        assert f">{trial['job_id']}<" in sections["leaderboard"]
    assert 'class="note"' not in sections["anytime"] + sections["importance"]
    assert "8 trials from m.automl.trials.jsonl" in dom


def test_the_page_is_self_contained(classification):
    html = classification[1].read_text()
    assert "<style>" in html
    assert not re.search(r"<(link|script|img|iframe)\b", html)
    # links and images only inside the page or inline (imshow's pixels are a data: PNG)
    assert not re.search(r"(src|href)=\"(?!#|data:)", html)
    assert not re.search(r"url\((?!#)", html)


def test_a_screenshot_shows_a_drawn_page(classification, tmp_path):
    import matplotlib.image

    shot = tmp_path / "report.png"
    browse(classification[1], "--window-size=1200,3000", f"--screenshot={shot}")
    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[:2] == (3000, 1200)
    assert len({tuple(p) for p in pixels[::37, ::11, :3].reshape(-1, 3).round(2)}) > 20


def test_a_regressor_gets_a_residual_plot(regression):
    model, page = regression
    sections = sections_of(browse(page, "--dump-dom").stdout)
    assert list(sections) == list(SECTIONS)
    assert 'aria-label="Residual plot"' in sections["predictions"]
    assert "Confusion" not in sections["predictions"]
    assert "RMSE" in sections["predictions"]


def test_info_shows_the_top_features(classification):
    model = classification[0]
    done = run_cli("info", model)
    assert done.returncode == 0, done.stderr
    features = bundle.read_manifest(model)["explanations"]["importance"]["features"]
    shown = re.search(r"top features \(permutation importance\): (.*)", done.stdout)
    assert shown is not None
    assert shown.group(1).split(", ")[0] == features[0]["name"]


def test_without_its_trial_log_the_report_says_so(classification, tmp_path):
    moved = tmp_path / "alone.automl"
    shutil.copy(classification[0], moved)
    done = run_cli("report", moved)
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "alone.report.html").read_text()
    assert html.count("no trial log beside the model (alone.automl.trials.jsonl)") == 3
    assert "Feature importance" in html and "Leaderboard" in html


def test_a_file_that_is_not_a_model_is_one_line_and_exit_2(tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("a,b\n1,2\n")
    done = run_cli("report", data, "--out", tmp_path / "r.html")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "not a model file" in done.stderr
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("target", ["model", "log"])
def test_out_onto_an_input_is_refused(classification, target):
    model = classification[0]
    out = model if target == "model" else model.with_name(model.name + ".trials.jsonl")
    before = out.read_bytes()
    done = run_cli("report", model, "--out", out)
    assert done.returncode == 2
    assert "is the input file" in done.stderr and done.stderr.count("\n") == 1
    assert out.read_bytes() == before


def test_a_model_file_from_before_explanations_still_gets_a_report(classification, tmp_path):
    import json
    import zipfile

    older = tmp_path / "older.automl"
    with zipfile.ZipFile(classification[0]) as source, zipfile.ZipFile(older, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == bundle.MANIFEST:
                manifest = json.loads(content)
                del manifest["explanations"]
                content = json.dumps(manifest).encode()
            target.writestr(item, content)
    done = run_cli("report", older, "--out", tmp_path / "older.html")
    assert done.returncode == 0, done.stderr
    sections = sections_of((tmp_path / "older.html").read_text())
    assert list(sections) == list(SECTIONS)
    assert "written before importances were recorded" in sections["importance"]
    assert "written before these were recorded" in sections["predictions"]
    assert "meta-features are not in this model file" in sections["task"]
    assert "<svg" not in sections["importance"] + sections["predictions"]
    done = run_cli("info", older)
    assert done.returncode == 0 and "top features" not in done.stdout
