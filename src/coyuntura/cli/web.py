"""The web explorer: serve."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.text import Text

from ..extras import require
from .common import STORE_OPTION, _bad_input, _stderr, _usage, app

# --- serve ----------------------------------------------------------------------------------------


@app.command("serve")
def serve_command(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (default: this machine only)."),
    port: int = typer.Option(8000, "--port", "-p", help="Port to listen on."),
    workers: int = typer.Option(2, "--workers", "-w", help="Worker processes that run simulations (jobs beyond them queue)."),
    store: Optional[Path] = STORE_OPTION,
    scenario_files: Optional[list[Path]] = typer.Option(None, "--scenario", help="Register a scenario file besides the bundled ones (repeatable); validated now."),
) -> None:
    """Serve the web explorer: one page and a JSON API (its OpenAPI schema at /openapi.json), at http://HOST:PORT/."""
    require("web", "fastapi")  # before any work: the explorer needs FastAPI and uvicorn
    require("web", "uvicorn")
    from ..web import LOOPBACK_HOSTS, serve

    if not 0 < port < 65536:
        _usage(f"--port must be between 1 and 65535, got {port}")
    if workers < 1:
        _usage(f"--workers must be at least 1, got {workers}")
    with _bad_input():
        from ..store import RunStore
        from ..web import Catalog

        Catalog(scenario_files or ())  # every registered file validated before the server starts
        RunStore(store)
    _stderr().print(Text.assemble("coyuntura explorer on ", (f"http://{host}:{port}/", "bold green"), " (Ctrl-C to stop)"), soft_wrap=True)
    if host not in LOOPBACK_HOSTS:
        _stderr().print(Text(f"warning: bound to {host}, the explorer is reachable from other machines and has no authentication", style="yellow"), soft_wrap=True)
    serve(host=host, port=port, workers=workers, store=store, scenarios=scenario_files or ())
