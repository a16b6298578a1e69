"""Audit reports over HTTP, for admins and auditors:

    GET /audit/report.csv?from=<iso>&to=<iso>    the log's CSV export of [from, to), streamed
    GET /audit/report.pdf?from=<iso>&to=<iso>    a printable table of it and the chain status

The caller is authenticated as /graphql does it (a bearer token, else the session cookie);
a cookie caller needs no CSRF token here, as these are reads a link may start. Refusals are
JSON: 401 for nobody, 403 for a caller the broker refuses, 400 for a bad range.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fpdf import FPDF
from litestar import Request, Router, get
from litestar.datastructures import State
from litestar.response import Response, Stream

from api.auth import session_caller, viewer_for
from api.http_guard import error_body
from api.off_loop import off_loop
from broker import (
    MFA_ENROLMENT_REQUIRED,
    AuditReport,
    DomainError,
    Forbidden,
    InvalidInput,
    Services,
    audit_report,
    export,
)
from graph import Node

# A PDF is built whole in memory: past this many rows the CSV is the report to use.
MAX_PDF_EVENTS = 5000
_TITLE = "Keyturn audit report"
_COLUMNS = (("Time (UTC)", 42), ("Kind", 42), ("Actor", 52), ("Subject", 54))


class _Refused(Exception):
    def __init__(self, status: int, message: str, code: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@get("/audit/report.csv")
async def report_csv(request: Request[object, object, State]) -> Response[bytes] | Stream:
    try:
        report = await _report(request)
    except _Refused as refused:
        return _refusal(refused)
    name = f"keyturn-audit-{_day(report.since)}-{_day(report.until)}.csv"
    return Stream(
        export(report.events, fmt="csv"),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@get("/audit/report.pdf")
async def report_pdf(request: Request[object, object, State]) -> Response[bytes]:
    try:
        report = await _report(request)
    except _Refused as refused:
        return _refusal(refused)
    body = await off_loop(_render_pdf, report)
    name = f"keyturn-audit-{_day(report.since)}-{_day(report.until)}.pdf"
    return Response(
        body,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


def report_router() -> Router:
    return Router(path="/", route_handlers=[report_csv, report_pdf])


async def _report(request: Request[object, object, State]) -> AuditReport:
    services: Services = request.app.state.services
    viewer = await _viewer(services, request)
    since = _instant(request.query_params.get("from"), "from")
    until = _instant(request.query_params.get("to"), "to")
    try:
        return await off_loop(
            lambda: audit_report(services, viewer=viewer.key, since=since, until=until)
        )
    except Forbidden as refused:
        raise _Refused(403, str(refused), "forbidden") from None
    except InvalidInput as bad:
        raise _Refused(400, str(bad), "bad_request") from None
    except DomainError as other:
        raise _Refused(400, str(other), "bad_request") from None


async def _viewer(services: Services, request: Request[object, object, State]) -> Node:
    """The caller, found as GraphQLGuard finds it: the bearer token first, else the cookie."""
    header = request.headers.get("authorization")
    if not header:
        by_cookie = await session_caller(services, request.headers.get("cookie"), None)
        if by_cookie is not None:
            if by_cookie.viewer is None:
                raise _Refused(
                    401,
                    "the session has ended or is unknown: sign in again at /auth/login",
                    "unauthenticated",
                )
            if by_cookie.mfa_enrolment_required:
                raise _Refused(403, MFA_ENROLMENT_REQUIRED, "mfa_enrolment_required")
            return by_cookie.viewer
    viewer, why = await viewer_for(services, header)
    if viewer is None:
        raise _Refused(401, why, "unauthenticated")
    return viewer


def _instant(text: str | None, name: str) -> float:
    if not text:
        raise _Refused(400, f"`{name}` is missing: pass an ISO 8601 time", "bad_request")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _Refused(
            400,
            f"`{name}` `{text}` is not an ISO 8601 time: pass one like 2026-01-31T12:00Z",
            "bad_request",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _refusal(refused: _Refused) -> Response[bytes]:
    headers = {"www-authenticate": 'Bearer realm="keyturn"'} if refused.status == 401 else {}
    return Response(
        error_body(str(refused), refused.code),
        status_code=refused.status,
        media_type="application/json",
        headers=headers,
    )


def _shown(at: float) -> str:
    return datetime.fromtimestamp(at, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def _day(at: float) -> str:
    return datetime.fromtimestamp(at, tz=UTC).strftime("%Y%m%d")


def _render_pdf(report: AuditReport) -> bytes:
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_title(_TITLE)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _TITLE, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    pdf.cell(0, 6, f"From {_shown(report.since)} to {_shown(report.until)} UTC (the end excluded)")
    pdf.ln()
    pdf.cell(0, 6, _latin1(_chain_status(report)))
    pdf.ln(10)
    _table_row(pdf, [c for c, _ in _COLUMNS], bold=True)
    shown = 0
    for event in report.events:
        if shown == MAX_PDF_EVENTS:
            pdf.ln(4)
            pdf.cell(0, 6, f"Only the first {MAX_PDF_EVENTS} events are listed: the CSV has all")
            break
        _table_row(pdf, [_shown(event.at), event.kind, event.actor, event.subject])
        shown += 1
    if shown == 0:
        pdf.cell(0, 6, "No events in this range.")
    return bytes(pdf.output())


def _chain_status(report: AuditReport) -> str:
    chain = report.chain
    if chain.ok:
        return f"Hash chain: intact ({chain.checked} event(s) verified)"
    return f"Hash chain: BROKEN - {chain.problem}"


def _table_row(pdf: FPDF, cells: list[str], *, bold: bool = False) -> None:
    pdf.set_font("Helvetica", "B" if bold else "", 8)
    for text, (_, width) in zip(cells, _COLUMNS, strict=True):
        pdf.cell(width, 5, _fit(pdf, _latin1(text), width), border=1)
    pdf.ln()


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """`text` cut to fit a cell `width` mm wide, marked with `...` where cut."""
    if pdf.get_string_width(text) <= width - 2:
        return text
    while text and pdf.get_string_width(text + "...") > width - 2:
        text = text[:-1]
    return text + "..."


def _latin1(text: str) -> str:
    # The PDF's built-in fonts cover Latin-1 only; other characters print as `?`.
    return text.encode("latin-1", "replace").decode("latin-1")
