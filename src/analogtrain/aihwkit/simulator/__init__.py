"""Mirror of ``aihwkit.simulator`` (configs, parameters, presets, tiles, rpu_base)."""
