"""Meta-learning: describe a task with meta-features and remember what worked on earlier tasks.

`features` computes the meta-features and `similarity` compares tasks by them; `store` (with
`records` and `fingerprint`) is the SQLite knowledge base of tasks and evaluations, `locate`
finds the user's and the shipped one; `build` grows a base (`automl meta add`), `publish`
builds the shipped one, and `warmstart` plans the first configs of a new search. Nothing is
imported here, so opening the knowledge base does not pay for scikit-learn.
"""
