"""``python -m coyuntura.cli``: the command line."""

import sys

from . import app

sys.exit(app())
