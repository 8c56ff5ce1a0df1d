"""The names a user chooses among, each listed here once and imported everywhere else.

Plain data that imports nothing, so that cli.py builds its options from it without loading
the libraries behind them: the tasks, the default metric of each task (the knowledge base
stores and filters evaluations under it, so the builder and the warm start must agree), and
the search strategies.
"""

from __future__ import annotations

TASKS = ("binary", "multiclass", "regression")
CLASSIFICATION = ("binary", "multiclass")
TASK_OPTIONS = ("auto", *TASKS)  # what --task accepts: auto detects the task from the target

DEFAULT_METRIC = {"binary": "roc_auc", "multiclass": "log_loss", "regression": "rmse"}

# strategy name -> "module:Class", imported on first use (optimize.create_optimizer)
STRATEGIES = {
    "bohb": "automl_cli.optimize.bohb:BOHB",
    "hyperband": "automl_cli.optimize.hyperband:Hyperband",
    "sha": "automl_cli.optimize.successive_halving:SuccessiveHalving",
    "asha": "automl_cli.optimize.asha:ASHA",
    "random": "automl_cli.optimize.random_search:RandomSearch",
    "grid": "automl_cli.optimize.grid:GridSearch",
    "evolution": "automl_cli.optimize.evolution:RegularizedEvolution",
    "bo": "automl_cli.optimize.gp_bo:GaussianProcessBO",
}
OPTIMIZERS = tuple(STRATEGIES)
