"""The search layer, below both the front door (api.py) and the knowledge base's builder.

options.py: the search's options; loop.py: the ask/tell loop; log.py: the trial log;
budget.py: the time and fidelity arithmetic; warm.py: the warm-started optimizer; session.py:
one search wired end to end. Import from the modules: this package's own import stays light.
"""
