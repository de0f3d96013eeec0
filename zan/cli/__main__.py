"""``python -m zan.cli``: the ``zan`` command."""

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
