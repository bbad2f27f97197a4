"""Authorization that cannot be forgotten: every public event handler declares who may call it.

Any browser can call any public state method with any arguments (see PLATFORM.md), so each one
is wrapped by :func:`handler`, which, before the body runs:

1. removes bidi controls and invisible characters from every string argument
   (:mod:`selfservice.domain.text`), then validates the arguments against the handler's
   annotations with pydantic (strict types, strings capped at ``MAX_TEXT`` unless annotated
   otherwise, unknown keys refused);
2. resolves the session server-side (never from a client-controlled var alone): from memory
   while nothing it depends on changed (auth/session_cache.py), else from the database, and
   refuses anonymous callers, expired or revoked sessions, and deactivated accounts;
3. checks the caller's role.

The body receives the :class:`Actor`. Services then check object-level scope themselves.
A test enumerates every handler of every state and fails if one is not declared here.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, get_type_hints

import pydantic
import reflex as rx
import sqlalchemy as sa
from pydantic import ConfigDict, StringConstraints
from reflex.istate.proxy import StateProxy

from selfservice.auth import session_cache
from selfservice.domain.actor import Actor, Role
from selfservice.domain.errors import DomainError
from selfservice.domain.text import clean_all
from selfservice.i18n import t
from selfservice.persistence.db import SQLITE_BUSY_TIMEOUT_MS, get_engine, session_scope
from selfservice.services import auth
from selfservice.ui import routes

MAX_TEXT = 1000
AUTHZ_ATTR = "__selfservice_authz__"
log = logging.getLogger("selfservice.ui")


class Form(pydantic.BaseModel):
    """Base for form payloads: unknown keys and non-string values are refused."""

    model_config = ConfigDict(extra="forbid", strict=True, str_max_length=MAX_TEXT)


def _args_model(fn: Callable, skip: int) -> type[pydantic.BaseModel]:
    hints = get_type_hints(fn, include_extras=True)
    fields: dict[str, Any] = {}
    for parameter in list(inspect.signature(fn).parameters.values())[skip:]:
        annotation = hints.get(parameter.name, Any)
        if annotation is str:
            annotation = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
        default = ... if parameter.default is inspect.Parameter.empty else parameter.default
        fields[parameter.name] = (annotation, default)
    config = ConfigDict(extra="forbid", strict=True, arbitrary_types_allowed=True)
    return pydantic.create_model(f"{fn.__qualname__}.args", __config__=config, **fields)


def _wire_type(annotation: Any) -> Any:
    """What Reflex sees: a form model arrives from the browser as a plain dict."""
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return dict[str, Any]
    return annotation


def resolve_actor_sync(token: Any) -> Actor | None:
    if not isinstance(token, str) or not token:
        return None
    moment = datetime.now(UTC)
    remembered = session_cache.get(token, moment)
    if remembered is not None:
        return remembered
    with session_scope() as session:
        return auth.resolve(session, token, moment)


async def resolve_actor(token: Any) -> Actor | None:
    """The signed-in actor: from memory when nothing changed since (no thread, no query),
    else read from the database in a worker thread."""
    if isinstance(token, str) and token:
        remembered = session_cache.get(token, datetime.now(UTC))
        if remembered is not None:
            return remembered
    return await asyncio.to_thread(resolve_actor_sync, token)


def _lang(state: Any) -> str:
    lang = getattr(state, "lang", "zh-CN")
    return lang if lang in ("zh-CN", "en") else "zh-CN"


def refuse(state: Any, key: str, redirect: str | None = None) -> list:
    events: list = [rx.toast.error(t(_lang(state), key), id=key)]
    if redirect:
        events.append(rx.redirect(redirect))
    return events


def _login_then_back(state: Any) -> str:
    """The sign-in page, asked to come back to the page that was being opened."""
    from urllib.parse import quote, urlsplit

    try:
        url = urlsplit(str(state.router.url))
        wanted = url.path + (f"?{url.query}" if url.query else "")
    except (AttributeError, ValueError):
        return routes.LOGIN
    return f"{routes.LOGIN}?next={quote(wanted, safe='')}" if routes.is_internal(wanted) and wanted != routes.HOME else routes.LOGIN


def handler(*roles: Role, public: bool = False, background: bool = False, page_load: bool = False) -> Callable:
    """Declare an event handler and who may call it.

    ``public=True``: anyone, signed in or not (the body gets no actor). Otherwise the body's
    second parameter is the actor, and the caller must hold one of ``roles`` (any signed-in
    user when none are given). ``page_load=True`` marks an on_load handler: a caller without
    the role is sent home instead of being left on an empty page.
    """

    def decorate(fn: Callable) -> Any:
        skip = 1 if public else 2
        model = _args_model(fn, skip)
        signature = inspect.signature(fn)
        resolved = get_type_hints(fn)
        hints = {k: _wire_type(v) for k, v in resolved.items() if k != "actor"}
        public_params = list(signature.parameters.values())
        public_params = [public_params[0], *(p.replace(annotation=hints.get(p.name, Any)) for p in public_params[skip:])]

        @functools.wraps(fn)
        async def wrapper(self, *args: Any, **kwargs: Any) -> Any:
            try:
                bound = inspect.Signature(public_params).bind(self, *args, **kwargs)
                values = model.model_validate(clean_all(dict(list(bound.arguments.items())[1:])))
            except (TypeError, pydantic.ValidationError) as error:
                detail = [(e["loc"], e["type"]) for e in error.errors()] if isinstance(error, pydantic.ValidationError) else str(error)
                log.warning("refused %s: bad arguments %s", fn.__qualname__, detail)
                return refuse(self, "error.bad_arguments")
            call_args = {name: getattr(values, name) for name in type(values).model_fields}
            try:
                if public:
                    return await fn(self, **call_args)
                return await _guarded_call(self, fn, call_args)
            except DomainError as error:
                return [rx.toast.error(t(_lang(self), error.key, **error.params), id=error.key)]

        async def _guarded_call(self, fn: Callable, call_args: dict[str, Any]) -> Any:
            if background and isinstance(self, StateProxy):
                async with self:  # background tasks may read the tree only under the lock
                    token = self.session_token
            else:
                token = self.session_token
            actor = await resolve_actor(token)
            if actor is None and page_load and not token:
                return [rx.redirect(_login_then_back(self))]  # a visitor not signed in yet: nothing expired
            if actor is None:
                return refuse(self, "error.not_signed_in", _login_then_back(self) if page_load else routes.LOGIN)
            if roles and not actor.has_role(*roles):
                return refuse(self, "error.not_permitted", routes.HOME if page_load else None)
            return await fn(self, actor, **call_args)

        wrapper.__signature__ = signature.replace(parameters=public_params)  # type: ignore[attr-defined]
        wrapper.__annotations__ = hints
        del wrapper.__wrapped__  # Reflex must see the public signature, not the body's
        setattr(wrapper, AUTHZ_ATTR, {"roles": tuple(roles), "public": public, "args": model, "page_load": page_load})
        return rx.event(wrapper, background=True) if background else rx.event(wrapper)

    return decorate


async def run(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """Run a service function in a worker thread inside one unit of work (commit or roll back)."""

    def work() -> Any:
        with session_scope() as session:
            return fn(session, *args, **kwargs)

    return await asyncio.to_thread(work)


async def quick(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """A short unit of work on the hot path (a page's reads, a form's preview, the header's
    badges): on the embedded SQLite it runs on the event loop itself instead of a worker thread.

    Handing a few milliseconds of work to a thread and back costs more than the work: the GIL
    passes between the loop and the workers on every query, which more than doubled the server
    CPU of the home page's load and of the leave preview (bench/events.py). SQLite answers from
    this process's memory, and in WAL mode a reader never waits for a writer, so the loop is not
    held up longer than the work itself. Writing is allowed but never waits here: the unit runs
    with SQLite's busy timeout at zero, and if another writer holds the lock it is rolled back
    and run again in a worker thread, which waits as long as :func:`run` does. PostgreSQL always
    goes through a worker thread (its queries wait on the network). Only for work that takes
    milliseconds: an import, a PDF or an export belongs in :func:`run`."""
    if get_engine().dialect.name != "sqlite":
        return await run(fn, *args, **kwargs)
    try:
        with session_scope() as session:
            raw = session.connection().connection.driver_connection
            raw.execute("PRAGMA busy_timeout = 0")
            try:
                return fn(session, *args, **kwargs)
            finally:
                raw.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    except sa.exc.OperationalError as error:
        if "locked" not in str(error) and "busy" not in str(error):
            raise
        log.info("quick unit of work found SQLite busy; running %s in a worker thread", getattr(fn, "__qualname__", fn))
        return await run(fn, *args, **kwargs)


async def run_with_progress(state: Any, progress: Any, fn: Callable, *args: Any) -> Any:
    """Run a long service call (an import) in a worker thread from a background handler, while
    the state's ``progress`` var follows ``progress.fraction()`` (0–1) four times a second."""
    task = asyncio.create_task(run(fn, *args))
    while not task.done():
        await asyncio.sleep(0.25)
        async with state:
            state.progress = int(progress.fraction() * 100)
    return task.result()


def now() -> datetime:
    return datetime.now(UTC)


# Reflex adds the value of every input that has an ``id`` to a form's payload under that id,
# so inputs inside forms carry a ``name`` only; Form models refuse unknown keys.
