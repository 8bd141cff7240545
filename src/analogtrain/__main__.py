"""``python -m analogtrain``: the command line (see :mod:`analogtrain.cli`)."""

import sys

from analogtrain.cli import main

if __name__ == "__main__":
    sys.exit(main())
