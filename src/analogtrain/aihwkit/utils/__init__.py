"""aihwkit's ``utils`` package (``visualization``, ``fitting``, ``analog_info``)."""
