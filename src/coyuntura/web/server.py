"""Serve the explorer with uvicorn: bound to localhost unless told otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from ..extras import require

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
"""Hosts that keep the server private to this machine."""


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 2,
    store: str | Path | None = None,
    scenarios: Sequence[str | Path] = (),
    log_level: str = "warning",
) -> None:
    """Run the explorer until interrupted.

    ``store``: the run store's file (default: :func:`coyuntura.store.default_store_path`).
    ``scenarios``: scenario files to register besides the bundled ones (validated now).
    Bound to a loopback address, the server also refuses requests whose Host header
    names another host (DNS rebinding).
    """
    uvicorn = require("web", "uvicorn")

    from ..store import RunStore
    from .app import create_app
    from .catalog import Catalog

    allowed = ["127.0.0.1", "localhost", "[::1]", "::1"] if host in LOOPBACK_HOSTS else None
    app = create_app(Catalog(scenarios), store=RunStore(store), workers=workers, allowed_hosts=allowed)
    uvicorn.run(app, host=host, port=port, log_level=log_level)
