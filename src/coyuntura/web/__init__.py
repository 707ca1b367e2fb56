"""The web explorer: ``coyuntura serve`` - a JSON API and one page, served from the package (works offline)."""

from ..extras import require

require("web", "fastapi")  # the explorer is the 'web' extra: say so before the app's own imports fail

from .app import create_app  # noqa: E402
from .catalog import Catalog  # noqa: E402
from .server import LOOPBACK_HOSTS, serve  # noqa: E402

__all__ = ["LOOPBACK_HOSTS", "Catalog", "create_app", "serve"]
