"""The web explorer: ``coyuntura serve`` - a JSON API and one page, served from the package (works offline)."""

from .app import create_app
from .catalog import Catalog
from .server import LOOPBACK_HOSTS, serve

__all__ = ["LOOPBACK_HOSTS", "Catalog", "create_app", "serve"]
