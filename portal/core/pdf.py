"""PDF rendering: a Jinja template and its CSS, through WeasyPrint, to bytes.

Every generated document (built-in file templates and the versions managers write in the portal alike) is rendered
in ONE sandboxed, autoescaping Jinja environment (jinja2.sandbox.ImmutableSandboxedEnvironment) that knows only
plain data and an explicit, small set of helpers (TEMPLATE_GLOBALS, TEMPLATE_FILTERS): no `config`, no `request`,
no `url_for`, nothing of the application. Its loader reaches only templates/pdf (for includes such as
pdf/_letterhead.html) and the two read-only partials the submission receipt shares with the proposal page.

The URL fetcher serves only the portal's own static files: no `file:` URLs and nothing from outside,
so a template can never make the worker read the disk or reach the network. Templates refer to static
files as `portal-static:/css/letter.css`."""

from __future__ import annotations

import ctypes
import mimetypes
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from flask import current_app
from flask_babel import gettext, ngettext, pgettext
from jinja2 import (
    BaseLoader,
    FileSystemLoader,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    Undefined,
    select_autoescape,
)
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from weasyprint import CSS, HTML
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from portal.core import countries, i18n

T = TypeVar("T")
SCHEME = "portal-static:"
# Partials outside templates/pdf that built-in documents include (the receipt reads a snapshot with the same
# macros as the proposal page). Read-only, never editable in the portal.
SHARED_PARTIALS = frozenset({"proposals/_read.html", "proposals/_budget_table.html"})
# The name a template typed in the editor carries in error messages and tracebacks.
EDITED_NAME = "<edited template>"


class StaticOnlyFetcher(URLFetcher):
    def __init__(self, static_root: Path) -> None:
        super().__init__(allowed_protocols=())
        self.root = static_root.resolve()

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        if not url.startswith(SCHEME):
            raise FatalURLFetchingError(f"PDF templates may only load the portal's static files, not {url!r}")
        path = (self.root / url[len(SCHEME) :].lstrip("/")).resolve()
        if self.root not in path.parents or not path.is_file():
            raise FatalURLFetchingError(f"no such static file: {url!r}")
        mime, _ = mimetypes.guess_type(path.name)
        return URLFetcherResponse(
            url, body=path.read_bytes(), headers={"Content-Type": mime or "application/octet-stream"}
        )


class TemplateRenderError(ValueError):
    """A document template that cannot be rendered: a syntax error, a forbidden operation, a missing include, a
    resource the PDF may not load. `line` is the line of the template typed in the editor, when known."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class RenderBudgetError(TemplateRenderError):
    """The document took longer than its time budget to render and was stopped."""


class _OutOfTime(BaseException):
    # A BaseException, like KeyboardInterrupt: neither the template nor a library's `except Exception` can swallow it.
    pass


# -- the render budget ----------------------------------------------------------------------------------------------
#
# A template a manager writes may loop for ever: `{% for i in range(10**5) %}{% for j in range(10**5) %}...` (the
# sandbox caps one range at 100,000 items, not nested loops), and WeasyPrint may take long over the HTML it gets.
# Celery's time limits do not bound this everywhere (not on the solo pool, not in a web request), nor does
# signal.alarm (main thread only: not in a threaded web server), and tracing every call (sys.settrace) makes every
# letter three times slower. So a render carries its own budget: a watchdog thread waits for the deadline and, if the
# render is still running then, raises _OutOfTime *in the rendering thread* (CPython's PyThreadState_SetAsyncExc).
# The interpreter delivers it at the next bytecode boundary, also inside a tight loop (`{% for %}{% endfor %}`); it
# is a BaseException, so no `except Exception` of Jinja or WeasyPrint swallows it; render_html/html_to_pdf turn it
# into RenderBudgetError, with the edited template's line. The stop is sent again every 50 ms until the render has
# ended (one that lands in a __del__ is swallowed there), and within_budget waits for the watcher and clears any stop
# still pending before it returns: nothing reaches code that runs after the render. A render that ends in time costs
# one short-lived thread. What runs in C is bounded by the sandbox instead (sizes of ranges,
# repetitions, exponents, widths), and the HTML handed to WeasyPrint is capped (MAX_HTML).


def _raise_in(thread_id: int) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(_OutOfTime))


def _clear_in(thread_id: int) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), None)


def within_budget(seconds: float | None, render: Callable[[], T]) -> T:
    """`render()` within `seconds` (see above), else _OutOfTime; None or 0: no limit.

    A plain function, not a context manager: the clean-up below must run to its end whatever arrives meanwhile, and
    a generator's or __exit__'s first instruction could be where one more stop lands."""
    if not seconds or seconds <= 0:
        return render()
    target = threading.get_ident()
    done = threading.Event()
    fired = threading.Event()

    def watch() -> None:
        if done.wait(seconds):
            return
        fired.set()
        # Again and again until the render has ended: an exception raised while the thread runs a garbage-collection
        # callback or a __del__ is swallowed there ("Exception ignored in ..."), and the render would go on.
        while not done.is_set():
            _raise_in(target)
            done.wait(0.05)

    watcher = threading.Thread(target=watch, name="render-budget", daemon=True)
    watcher.start()
    try:
        result = render()
    finally:
        # Stop the watcher, wait for it, and drop a stop it sent meanwhile; retried if one lands in the middle.
        while True:
            try:
                done.set()
                while watcher.is_alive():
                    watcher.join(0.1)
                _clear_in(target)
                break
            except _OutOfTime:
                continue
    if fired.is_set():
        raise _OutOfTime  # it ran past the deadline, its stop swallowed on the way
    return result


def _budget_seconds() -> float:
    return float(current_app.config.get("DOCUMENT_RENDER_SECONDS", 60))


def _too_long(exc: BaseException, seconds: float, template=None) -> RenderBudgetError:
    # Stopped inside the template's compiled code: Jinja has not rewritten this traceback (it rewrites only the
    # exceptions it handles), so the line of the edited template comes from the template's own line map.
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == EDITED_NAME and template is not None:
            line = template.get_corresponding_lineno(tb.tb_lineno)
        tb = tb.tb_next
    return RenderBudgetError(
        ngettext(
            "The document took longer than %(num)d second to render and was stopped. Look for a loop that runs too "
            "many times (for example a loop inside another loop).",
            "The document took longer than %(num)d seconds to render and was stopped. Look for a loop that runs too "
            "many times (for example a loop inside another loop).",
            max(int(seconds), 1),
        ),
        line=line,
    )


MAX_HTML = 3_000_000  # characters of HTML handed to WeasyPrint (a letter is some 30,000; a full receipt 300,000)


class PdfTemplateLoader(BaseLoader):
    """templates/pdf/** (named "pdf/...") and SHARED_PARTIALS; nothing else of the application's templates."""

    def __init__(self, templates_root: Path) -> None:
        self.root = templates_root
        self.files = FileSystemLoader(str(templates_root))

    def get_source(self, environment, template):
        allowed = template.startswith("pdf/") or template in SHARED_PARTIALS
        if not allowed or ".." in template.split("/"):
            raise TemplateNotFound(template)
        return self.files.get_source(environment, template)


MAX_PRODUCT = 100_000  # the longest string or list a template may build with "*"
MAX_EXPONENT = 64
MAX_WIDTH = 999  # "%1000000000s" or "{:1000000000}" would build a string of that length
_WIDE_PERCENT = re.compile(r"%[-+ #0]*(\*|\d{4,})")
_WIDE_FORMAT = re.compile(r"\{[^{}]*:[^{}]*?(\*|\d{4,})[^{}]*\}")
# Jinja filters that pad or wrap text to a width the template chooses: not needed in letters, and a way to build a
# string as long as the width asks.
_WIDTH_FILTERS = ("center", "indent", "wordwrap", "truncate", "format")
_WIDTH_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})


class _Undefined(Undefined):
    """A missing value prints as nothing (as in every Jinja template), but what the sandbox refused (an unsafe
    attribute such as `''.__class__`) is an error even when only printed or tested, so that it is reported."""

    __slots__ = ()

    def _refused(self) -> bool:
        return self._undefined_exception is SecurityError

    def __str__(self) -> str:
        if self._refused():
            self._fail_with_undefined_error()
        return super().__str__()

    def __bool__(self) -> bool:
        if self._refused():
            self._fail_with_undefined_error()
        return super().__bool__()

    def __iter__(self):
        if self._refused():
            self._fail_with_undefined_error()
        return super().__iter__()


class DocumentSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, which also refuses the two operators that could exhaust the worker's memory or CPU
    from one line (`"x" * 10**9`, `2 ** 10**8`), and formats with huge widths (`"%1000000000s" % x`)."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context, operator, left, right):
        if operator == "%" and isinstance(left, str) and _WIDE_PERCENT.search(left):
            raise SecurityError(f"format widths above {MAX_WIDTH} are not allowed")
        if operator == "**" and isinstance(right, int) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"exponents above {MAX_EXPONENT} are not allowed")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and len(seq) * times > MAX_PRODUCT:
                    raise SecurityError(f"sequences longer than {MAX_PRODUCT} items are not allowed")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - Jinja's own signature
        """`"x".ljust(10**9)` and its kin build a string as wide as asked, in C: refused above MAX_WIDTH."""
        name, owner = getattr(__obj, "__name__", None), getattr(__obj, "__self__", None)
        wide = any(isinstance(a, int) and a > MAX_WIDTH for a in (*args, *kwargs.values()))
        if name in _WIDTH_METHODS and isinstance(owner, str) and wide:
            raise SecurityError(f"widths above {MAX_WIDTH} are not allowed")
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value):
        """`"...".format(...)` and `format_map`: the sandbox's own wrapper, after a look at the widths asked for."""
        wrapped = super().wrap_str_format(value)
        if wrapped is not None and _WIDE_FORMAT.search(value.__self__):
            raise SecurityError(f"format widths above {MAX_WIDTH} are not allowed")
        return wrapped


def _country_name(code: str | None) -> str:
    return countries.name(code, i18n.locale_code()) if code else "—"


TEMPLATE_GLOBALS = {
    "_": gettext,
    "gettext": gettext,
    "ngettext": ngettext,
    "pgettext": pgettext,
    "country_name": _country_name,
    "locale_code": i18n.locale_code,
}
TEMPLATE_FILTERS = {"money": i18n.money, "date": i18n.date, "number": i18n.number, "instant": i18n.instant}


def sandbox(templates_root: Path | None = None) -> ImmutableSandboxedEnvironment:
    """The one environment documents render in (cached on the app)."""
    app = current_app._get_current_object()
    env = app.extensions.get("pdf_sandbox")
    if env is None:
        root = templates_root or Path(app.root_path).parent / "templates"
        env = DocumentSandbox(
            loader=PdfTemplateLoader(root),
            autoescape=select_autoescape(default_for_string=True, default=True),
            undefined=_Undefined,
            auto_reload=app.debug,
        )
        # Only these and Jinja's own harmless defaults (range, bounded by the sandbox; dict, lipsum, cycler, joiner,
        # namespace): no application object.
        env.globals.update(TEMPLATE_GLOBALS)
        env.filters.update(TEMPLATE_FILTERS)
        for name in _WIDTH_FILTERS:
            env.filters.pop(name, None)
        app.extensions["pdf_sandbox"] = env
    return env


def _edited_line(exc: BaseException) -> int | None:
    """The line of the edited template where `exc` was raised (Jinja rewrites tracebacks to template lines)."""
    line = getattr(exc, "lineno", None)
    if line and getattr(exc, "name", None) in (None, EDITED_NAME) and isinstance(exc, TemplateSyntaxError):
        return line
    tb = exc.__traceback__
    found = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == EDITED_NAME:
            found = tb.tb_lineno
        tb = tb.tb_next
    return found


def render_html(
    template: str | None = None, *, source: str | None = None, budget: float | None = None, **context
) -> str:
    """The HTML of a built-in template (`template`, a name under templates/pdf) or of `source` (a template typed by
    a manager), rendered in the sandbox with plain data, within `budget` seconds (default DOCUMENT_RENDER_SECONDS).
    Problems raise TemplateRenderError with a readable message (RenderBudgetError when it took too long)."""
    env = sandbox()
    seconds = budget if budget is not None else _budget_seconds()
    try:
        if source is not None:
            compiled = env.compile(source, name=EDITED_NAME, filename=EDITED_NAME)
            tmpl = env.template_class.from_code(env, compiled, env.make_globals(None), None)
        else:
            tmpl = env.get_template(template)
        html = within_budget(seconds, lambda: tmpl.render(**context))
    except _OutOfTime as exc:
        raise _too_long(exc, seconds, tmpl if source is not None else None) from None
    except TemplateSyntaxError as exc:
        where = exc.name if exc.name and exc.name != EDITED_NAME else None
        raise TemplateRenderError(
            gettext("Syntax error: %(message)s", message=exc.message or str(exc)) + (f" ({where})" if where else ""),
            line=exc.lineno if where is None else None,
        ) from exc
    except SecurityError as exc:
        raise TemplateRenderError(
            gettext("Refused by the sandbox: %(message)s", message=str(exc)), line=_edited_line(exc)
        ) from exc
    except TemplateNotFound as exc:
        raise TemplateRenderError(
            gettext("Only templates under templates/pdf can be included; “%(name)s” cannot.", name=exc.name),
            line=_edited_line(exc),
        ) from exc
    except TemplateError as exc:
        raise TemplateRenderError(
            gettext("The template cannot be rendered: %(message)s", message=str(exc)), line=_edited_line(exc)
        ) from exc
    except (TypeError, ValueError, AttributeError, KeyError, ArithmeticError) as exc:
        raise TemplateRenderError(
            gettext("The template cannot be rendered: %(message)s", message=f"{type(exc).__name__}: {exc}"),
            line=_edited_line(exc),
        ) from exc
    if len(html) > MAX_HTML:
        raise TemplateRenderError(
            gettext(
                "The document is too long: %(size)s characters of HTML, at most %(max)s.",
                size=i18n.number(len(html), 0),
                max=i18n.number(MAX_HTML, 0),
            )
        )
    return html


def _write_pdf(html: str, css: str | None, fetcher: URLFetcher) -> bytes:
    document = HTML(string=html, base_url=SCHEME + "/", url_fetcher=fetcher)
    stylesheets = [CSS(string=css, base_url=SCHEME + "/", url_fetcher=fetcher)] if css and css.strip() else None
    return document.write_pdf(pdf_variant="pdf/a-3b", stylesheets=stylesheets)


def html_to_pdf(html: str, css: str | None = None, *, budget: float | None = None) -> bytes:
    """PDF/A-3b, so that letters can be archived. `css` is added after the template's own stylesheets. WeasyPrint
    works within `budget` seconds (default DOCUMENT_RENDER_SECONDS): CSS can make the layout slow too."""
    fetcher = StaticOnlyFetcher(Path(current_app.static_folder))
    seconds = budget if budget is not None else _budget_seconds()
    try:
        return within_budget(seconds, lambda: _write_pdf(html, css, fetcher))
    except _OutOfTime as exc:
        raise _too_long(exc, seconds) from None
    except FatalURLFetchingError as exc:
        raise TemplateRenderError(
            gettext(
                "The document tries to load a file that is not one of the portal's static files "
                "(use portal-static:/…): %(detail)s",
                detail=str(exc),
            )
        ) from exc


def render_pdf(
    template: str | None = None,
    *,
    source: str | None = None,
    css: str | None = None,
    budget: float | None = None,
    **context,
) -> bytes:
    """Template -> HTML -> PDF; `budget` (seconds) bounds the whole render, both steps together."""
    seconds = budget if budget is not None else _budget_seconds()
    started = time.monotonic()
    html = render_html(template, source=source, budget=seconds, **context)
    remaining = max(seconds - (time.monotonic() - started), 0.001) if seconds and seconds > 0 else 0
    return html_to_pdf(html, css, budget=remaining)


__all__ = [
    "RenderBudgetError",
    "TemplateRenderError",
    "html_to_pdf",
    "render_html",
    "render_pdf",
    "sandbox",
    "within_budget",
]
