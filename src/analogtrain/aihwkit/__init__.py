"""aihwkit 1.2.0's public training module tree, as thin re-exports of analogtrain.

A script written for aihwkit ports by rewriting its imports, ``aihwkit.`` to
``analogtrain.aihwkit.`` (see ``docs/migration.md``). The modules below this package hold no
logic of their own: every name they export is implemented in analogtrain's own packages.
"""
