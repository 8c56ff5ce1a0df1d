"""Ensembles of the search's trials (Caruana et al. 2004), built after the search.

store.py: the full-budget trials' validation predictions, kept on disk beside the trial log;
selection.py: greedy forward selection with replacement, what ships, and the held-out losses
that measure what the ensemble buys;
estimator.py: the fitted ensemble the model file holds; build.py: the members' refit within
the time budget, and the manifest's record of them. Import from the modules.
"""
