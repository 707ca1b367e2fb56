"""The web explorer: a JSON API (FastAPI, with its OpenAPI schema) and one page served from the package.

:func:`create_app` builds the application: scenarios come from a :class:`Catalog`
(bundled and registered ones only), simulations run as jobs on a :class:`JobManager`
(worker processes, progress, cancel), finished jobs are recorded in the run store and
earlier records can be browsed and reopened. Every input is validated before any work
is queued; bad input gets a 4xx whose ``detail`` says what and where.

API (all JSON):

- ``GET /api/scenarios``, ``GET /api/scenarios/{id}``: the picker; actors, relations,
  snapshots, events, mechanisms, free parameters, experiments, citations, limits;
- ``POST /api/runs``: start a job (202); ``GET /api/jobs``, ``GET /api/jobs/{id}``
  (progress, and the result once done), ``POST /api/jobs/{id}/cancel``;
- ``POST /api/chronicle``: one run of the baseline or the intervention as dated
  sentences, each with its mechanism and source locators;
- ``GET /api/history``, ``GET /api/history/{record}``, ``POST /api/history/{record}/open``:
  the run store's records, newest first in pages (``limit``, ``offset``), and running one
  again (same request, same numbers).

No response names a file by its absolute path: the run store is named by its file name, and
paths inside it (artifacts, report folders) are relative to its folder or reduced to a name.
A body that is not JSON at all (invalid UTF-8, nested too deeply, a number too long to read)
gets a 400 whose ``detail`` says so; well-formed JSON that breaks a rule gets a 422.
"""

from __future__ import annotations

import math
import re
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, AsyncIterator, Optional, Sequence

from fastapi import FastAPI, HTTPException, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.trustedhost import TrustedHostMiddleware
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import __version__
from ..scenario.errors import ScenarioError
from ..store import RunStore, StoreError
from .catalog import Catalog, UnknownScenario, describe, summary
from .compute import Prepared, chronicle_payload, prepare
from .jobs import Job, JobManager, JobsFull
from .models import MAX_BODY_BYTES, ChronicleRequest, ErrorView, Interventions, JobView, RunRequest

JOB_ID = r"^[0-9a-f]{1,32}$"
RECORD_ID = r"^[0-9a-f]{1,32}$"
ERRORS: dict[int | str, dict[str, Any]] = {404: {"model": ErrorView}, 413: {"model": ErrorView}, 422: {"model": ErrorView}}
BODY_ERRORS: dict[int | str, dict[str, Any]] = {**ERRORS, 400: {"model": ErrorView, "description": "The body is not readable JSON (invalid UTF-8, nested too deeply, a number too long)."}}
HISTORY_PAGE_MAX = 500
"""Most records one ``/api/history`` page holds."""
_UNREADABLE_BODY = "There was an error parsing the body"  # FastAPI's 400 for a body json.loads cannot read
_WINDOWS_ABSOLUTE = re.compile(r"^[A-Za-z]:[\\/]|^\\\\")


def _is_absolute_path(text: str) -> bool:
    return len(text) < 4096 and "\n" not in text and (text.startswith(("/", "~")) or bool(_WINDOWS_ABSOLUTE.match(text)))


def public_paths(value: Any, roots: Sequence[Path] = ()) -> Any:
    """``value`` (a record, JSON-like) with every absolute path made relative to the first of ``roots``
    (the run store's folder) it lies in, else reduced to its last part: responses never reveal where files live."""
    if isinstance(value, dict):
        return {key: public_paths(item, roots) for key, item in value.items()}
    if isinstance(value, list):
        return [public_paths(item, roots) for item in value]
    if isinstance(value, str) and _is_absolute_path(value):
        for root in roots:
            try:
                return PurePosixPath(*Path(value).relative_to(root).parts).as_posix()
            except ValueError:
                continue
        return (PureWindowsPath(value) if "\\" in value else PurePosixPath(value)).name
    return value


def public_text(text: str, store: RunStore | None) -> str:
    """A message with the run store's folder left out (its file then reads as its name)."""
    if store is not None:
        for folder in {str(store.path.parent), str(store.path.parent.resolve())}:
            if folder not in ("", ".", "/"):
                text = text.replace(folder.rstrip("/\\") + "/", "").replace(folder, ".")
    return text


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, before anything parses them."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            response = JSONResponse({"detail": f"request body over {self.limit:,} bytes"}, status_code=413)
            await response(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise HTTPException(413, f"request body over {self.limit:,} bytes")
            return message

        await self.app(scope, limited, send)


def _unprocessable(error: Exception) -> HTTPException:
    """A library error about bad input as a 422 whose detail is its one clear message."""
    if isinstance(error, KeyError):
        text = str(error.args[0]) if error.args else str(error)
    else:
        text = str(error)
    return HTTPException(422, text)


_UNION_BRANCHES = re.compile(r"^(bool|int|float|str|list\[.*\]|constrained-str|function-.*|.*-union\[.*\])$")


def validation_detail(errors: Sequence[dict[str, Any]]) -> str:
    """Pydantic's request errors as one line per field: ``where: what`` (union branches merged)."""
    by_field: dict[str, list[dict[str, Any]]] = {}
    for error in errors:
        if error.get("type") == "json_invalid":
            reason = (error.get("ctx") or {}).get("error", "")
            by_field.setdefault("body", []).append({"msg": f"invalid JSON at character {error.get('loc', ('', '?'))[-1]}" + (f": {reason}" if reason else "")})
            continue
        loc = [str(part) for part in error.get("loc", ())]
        while len(loc) > 1 and _UNION_BRANCHES.match(loc[-1]):
            loc.pop()
        where = ".".join(loc[1:]) if loc and loc[0] == "body" and len(loc) > 1 else ".".join(loc)
        by_field.setdefault(where or "body", []).append(error)
    lines = []
    for where, items in by_field.items():
        if len(items) > 1 and all("type" in e and e["type"].endswith("_type") for e in items):
            text = f"must be a number, true/false, a word or a list of words, got {items[0].get('input')!r}"
        else:
            text = "; ".join(dict.fromkeys(str(e.get("msg", "invalid")) for e in items))
        lines.append(f"{where}: {text}")
    return "\n".join(lines)


def job_view(job: Job, with_result: bool = True) -> JobView:
    return JobView(
        id=job.id,
        kind=job.kind,
        status=job.status,
        progress={"done": job.done, "total": job.total},
        request=job.request.model_dump(mode="json"),
        error=job.error,
        elapsed=round(job.elapsed, 3),
        record_id=job.record_id or None,
        result=job.result if with_result and job.status == "done" else None,
    )


def request_from_record(record: dict[str, Any], scenario: Any | None = None) -> RunRequest:
    """The request that reproduces a stored record: a run made here (its request is stored), or a
    what-if (from its intervention: a named experiment of ``scenario`` plus changes, or plain changes)."""
    parameters = record.get("parameters") or {}
    if isinstance(parameters.get("request"), dict):
        return RunRequest.model_validate(parameters["request"])
    if record.get("kind") != "whatif" or "set" not in parameters:
        raise ValueError(f"record {record['id']} ({record.get('kind')}) is neither a run made here nor a what-if, so it cannot be reopened here")
    changes = dict(parameters.get("set") or {})
    cancel = list(parameters.get("cancel_events") or [])
    added = list(parameters.get("add_events") or [])
    experiment = None
    named = [e for e in getattr(scenario, "experiments", ()) if e.id == parameters.get("name")]
    if named:
        experiment = named[0]
        own = experiment.model_dump(mode="json", by_alias=True, exclude_none=True)
        if added[: len(own.get("add_events", []))] != own.get("add_events", []):
            raise ValueError(f"record {record['id']}: its events differ from experiment {experiment.id!r}'s")
        added = added[len(own.get("add_events", [])):]
        changes = {path: value for path, value in changes.items() if own.get("set", {}).get(path, object()) != value}
        cancel = [event for event in cancel if event not in experiment.cancel_events]
    if added:
        raise ValueError(f"record {record['id']} adds events the explorer cannot express; see it with `coyuntura runs show {record['id']}`")
    return RunRequest(
        scenario=record.get("scenario_id") or "",
        start=parameters.get("from"),
        until=parameters.get("until") or record.get("until_month"),
        experiment=experiment.id if experiment is not None else None,
        changes=changes,
        cancel_events=cancel,
        runs=int(record.get("n_runs") or 2),
        seed=int(record.get("seed") or 0),
    )


def _same_summary(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_summary(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_summary(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))
    return a == b


def create_app(
    catalog: Catalog | None = None,
    store: RunStore | None = None,
    workers: int = 2,
    processes: bool = True,
    max_active: int = 8,
    max_runs: int | None = None,
    allowed_hosts: Sequence[str] | None = None,
    warm: bool = True,
) -> FastAPI:
    """The explorer's ASGI application.

    ``store``: record finished jobs there and browse it (``None``: no history).
    ``workers``/``processes``: the job pool (processes by default). ``max_runs`` lowers the
    per-request cap on runs below :data:`~coyuntura.web.models.MAX_RUNS`. ``allowed_hosts``:
    refuse requests whose Host header is not one of them (DNS rebinding protection for a
    server bound to localhost).
    """
    catalog = catalog if catalog is not None else Catalog()
    descriptions: dict[str, dict[str, Any]] = {}  # scenario id -> describe(): scenarios do not change while serving

    def on_done(job: Job) -> None:
        if job.result is not None and job.result.get("store_error"):  # the store's message names its file; not its folder
            job.result = dict(job.result, store_error=public_text(str(job.result["store_error"]), store))
        reopened = job.context.get("reopens")
        if reopened is not None and job.result is not None:
            record_id, stored = reopened
            job.result = dict(job.result, reopened={"record": record_id, "reproduced": _same_summary(stored, job.result.get("summary"))})

    manager = JobManager(workers=workers, max_active=max_active, processes=processes, on_done=on_done)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(manager.start, warm)
        try:
            yield
        finally:
            await run_in_threadpool(manager.shutdown)

    app = FastAPI(
        title="coyuntura explorer",
        version=__version__,
        description="Explore a scenario: run it, set interventions, compare with the baseline, read single runs as chronicles.",
        lifespan=lifespan,
        docs_url=None,  # FastAPI's Swagger and ReDoc pages load their scripts from a CDN; the schema is at /openapi.json
        redoc_url=None,
    )
    app.state.jobs = manager
    app.state.catalog = catalog
    app.state.store = store
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    if allowed_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))

    def scenario_of(scenario_id: str) -> Any:
        try:
            return catalog.get(scenario_id)
        except UnknownScenario as error:
            raise HTTPException(404, str(error)) from None
        except ScenarioError as error:  # a bundled file broken on disk: the server's fault, said plainly
            raise HTTPException(500, str(error)) from None

    def prepared_of(request: Interventions) -> Prepared:
        scenario = scenario_of(request.scenario)
        try:
            return prepare(scenario, request)
        except (ScenarioError, KeyError, ValueError) as error:
            raise _unprocessable(error) from None

    def submit(request: RunRequest, source: tuple[str, dict[str, Any]] | None = None) -> Job:
        if max_runs is not None and request.runs > max_runs:
            raise HTTPException(422, f"runs: at most {max_runs:,} on this server, got {request.runs:,}")
        if request.has_intervention and request.runs < 2:
            raise HTTPException(422, "runs: a what-if needs at least 2 runs for its interval")
        prepared = prepared_of(request)
        try:
            return manager.submit(prepared, request, store=store if source is None else None, context={"reopens": source} if source else None)
        except JobsFull as error:
            raise HTTPException(429, str(error)) from None

    # --- scenarios ---

    @app.get("/api/health", tags=["meta"])
    def health() -> dict[str, Any]:
        """Liveness, version and the job pool's size."""
        return {"status": "ok", "version": __version__, "workers": manager.workers, "store": store.path.name if store else None}

    @app.get("/api/scenarios", tags=["scenarios"])
    def list_scenarios() -> list[dict[str, Any]]:
        """Every scenario this server can run (bundled and registered)."""
        return [summary(scenario_of(scenario_id)) for scenario_id in catalog.ids]

    @app.get("/api/scenarios/{scenario_id}", tags=["scenarios"], responses=ERRORS)
    def get_scenario(scenario_id: str = PathParam(..., max_length=64)) -> dict[str, Any]:
        """A scenario's actors, relations, snapshots, events, mechanisms, free parameters, experiments and citations."""
        scenario = scenario_of(scenario_id)
        if scenario_id not in descriptions:
            descriptions[scenario_id] = describe(scenario)
        return descriptions[scenario_id]

    # --- jobs ---

    @app.post("/api/runs", status_code=202, tags=["runs"], responses={**BODY_ERRORS, 429: {"model": ErrorView}})
    def start_run(request: RunRequest) -> JobView:
        """Start simulating; with an intervention, baseline and intervention on common random numbers."""
        return job_view(submit(request))

    @app.get("/api/jobs", tags=["runs"])
    def list_jobs() -> list[JobView]:
        """Jobs kept in memory, newest first (without results)."""
        return [job_view(job, with_result=False) for job in manager.jobs()]

    @app.get("/api/jobs/{job_id}", tags=["runs"], responses=ERRORS)
    def get_job(job_id: str = PathParam(..., pattern=JOB_ID)) -> JobView:
        """A job's status and progress; its result once done."""
        try:
            return job_view(manager.get(job_id))
        except KeyError as error:
            raise HTTPException(404, str(error.args[0])) from None

    @app.post("/api/jobs/{job_id}/cancel", tags=["runs"], responses=ERRORS)
    def cancel_job(job_id: str = PathParam(..., pattern=JOB_ID)) -> JobView:
        """Cancel a job: queued, it never starts; running, it stops within a simulated month (about a second at most)."""
        try:
            return job_view(manager.cancel(job_id), with_result=False)
        except KeyError as error:
            raise HTTPException(404, str(error.args[0])) from None

    @app.post("/api/chronicle", tags=["runs"], responses=BODY_ERRORS)
    def get_chronicle(request: ChronicleRequest) -> dict[str, Any]:
        """One run told as dated sentences, each linked to its mechanism and the source passages behind it."""
        prepared = prepared_of(request)
        try:
            return chronicle_payload(prepared, request.run, request.seed, request.arm)
        except (KeyError, ValueError) as error:
            raise _unprocessable(error) from None

    # --- the run store ---

    def _scenario_or_none(scenario_id: Any) -> Any:
        try:
            return catalog.get(str(scenario_id))
        except (UnknownScenario, ScenarioError):
            return None

    def store_root() -> tuple[Path, ...]:
        return (store.path.parent.absolute(), store.path.parent.resolve()) if store is not None else ()

    def need_store() -> RunStore:
        if store is None:
            raise HTTPException(404, "this server keeps no run store (start it with --store PATH)")
        return store

    @app.get("/api/history", tags=["history"], responses=ERRORS)
    def history(
        response: Response,
        limit: int = Query(50, ge=1, le=HISTORY_PAGE_MAX, description="Records per page."),
        offset: int = Query(0, ge=0, le=2**31 - 1, description="Records to skip (newest first): the next page starts at offset + limit."),
        kind: Optional[str] = Query(None, pattern=r"^[a-z_-]{1,32}$"),
    ) -> list[dict[str, Any]]:
        """A page of the run store's records, newest first; ``reopenable`` says whether the explorer can run one again.

        A full page sets the ``X-Next-Offset`` header to the next page's ``offset``.
        """
        records = need_store().records(limit=limit, kind=kind, offset=offset)
        if len(records) == limit:
            response.headers["X-Next-Offset"] = str(offset + limit)
        scenarios: dict[Any, Any] = {}
        for record in records:
            try:
                scenario_id = record.get("scenario_id")
                if scenario_id not in scenarios:
                    scenarios[scenario_id] = _scenario_or_none(scenario_id)
                request_from_record(record, scenarios[scenario_id])
                record["reopenable"] = scenarios[scenario_id] is not None
            except (ValueError, ValidationError):
                record["reopenable"] = False
        return public_paths(records, store_root())

    @app.get("/api/history/{record_id}", tags=["history"], responses=ERRORS)
    def history_record(record_id: str = PathParam(..., pattern=RECORD_ID)) -> dict[str, Any]:
        """One record of the run store, with its artifacts."""
        try:
            return public_paths(need_store().show(record_id), store_root())
        except StoreError as error:
            raise HTTPException(404, public_text(str(error), store)) from None

    @app.post("/api/history/{record_id}/open", status_code=202, tags=["history"], responses={**ERRORS, 429: {"model": ErrorView}})
    def reopen(record_id: str = PathParam(..., pattern=RECORD_ID)) -> JobView:
        """Run a stored record's request again (same scenario, interventions and seed: the same numbers)."""
        try:
            record = need_store().show(record_id)
        except StoreError as error:
            raise HTTPException(404, public_text(str(error), store)) from None
        try:
            request = request_from_record(record, _scenario_or_none(record.get("scenario_id")))
        except (ValueError, ValidationError) as error:
            raise HTTPException(422, str(error)) from None
        return job_view(submit(request, source=(record["id"], record.get("summary") or {})))

    # --- the page ---

    static = resources.files("coyuntura.web") / "static"

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(str(static / "index.html"), media_type="text/html")

    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": validation_detail(error.errors())}, status_code=422)

    @app.exception_handler(StoreError)
    async def store_error(_: Request, error: StoreError) -> JSONResponse:
        return JSONResponse({"detail": public_text(str(error), store)}, status_code=503)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        detail = error.detail
        if error.status_code == 400 and detail == _UNREADABLE_BODY:
            detail = "body: not readable as JSON (it must be UTF-8 JSON, nested less deeply, with numbers of at most 4,300 digits)"
        return JSONResponse({"detail": detail}, status_code=error.status_code, headers=getattr(error, "headers", None))

    return app
