"""Meta-learning: describe a task with meta-features and remember what worked on earlier tasks.

`features` computes the meta-features and the similarity vector; `store` is the SQLite
knowledge base of tasks and evaluations. Nothing is imported here, so opening the knowledge
base does not pay for scikit-learn.
"""
