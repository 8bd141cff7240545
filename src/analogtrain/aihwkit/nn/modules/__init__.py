"""``aihwkit.nn.modules``: one module per layer family, as in aihwkit 1.2.0."""
