"""aihwkit's ``experiments.experiments`` package."""
