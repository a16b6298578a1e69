"""The SCIM 2.0 endpoints at /scim/v2: thin handlers that authenticate the SCIM client's
token, read the body and the query, call the broker's SCIM use cases off the event loop,
and answer SCIM documents (`application/scim+json`) or SCIM errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from litestar import Request, Response, Router, delete, get, patch, post, put
from litestar.params import FromPath

from api.off_loop import off_loop
from broker import (
    AccessDenied,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    Services,
    StateConflict,
    Unauthenticated,
    authenticate,
    scim,
)

MEDIA = "application/scim+json"
MAX_BODY = 4 * 1024 * 1024
_T = TypeVar("_T")
# Domain refusals that are no SCIM error of their own; anything else (a revoke an
# integration refused during a deactivation) is the upstream's failure: 502.
_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (InvalidInput, 400),
    (Unauthenticated, 401),
    (Forbidden, 403),
    (AccessDenied, 403),
    (NotFound, 404),
    (StateConflict, 409),
)


class _Refused(Exception):
    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.scim_type = status, detail, scim_type


def _error(status: int, detail: str, scim_type: str | None = None) -> Response[bytes]:
    body: dict[str, Any] = {"schemas": [scim.ERROR], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    headers = {"www-authenticate": 'Bearer realm="keyturn-scim"'} if status == 401 else {}
    return Response(
        json.dumps(body).encode(), status_code=status, media_type=MEDIA, headers=headers
    )


def _answer(body: Any, status: int = 200, etag: str | None = None) -> Response[bytes]:
    headers = {"etag": etag} if etag else {}
    return Response(
        json.dumps(body).encode(), status_code=status, media_type=MEDIA, headers=headers
    )


def _base(request: Request[Any, Any, Any]) -> str:
    return str(request.base_url).rstrip("/") + "/scim/v2"


async def _run(
    request: Request[Any, Any, Any], work: Callable[[Services, str], _T]
) -> _T | Response[bytes]:
    """Authenticate the SCIM client, then run `work(services, actor)` on a worker thread."""
    services: Services = request.app.state.services
    header = request.headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _error(401, "send `Authorization: Bearer <API token of scope scim>`")

    def call() -> _T:
        client = authenticate(services, token.strip(), scim=True)
        # A projection that cannot apply is refused before any change is made.
        for name in ("attributes", "excludedAttributes"):
            _checked_paths(_names(request.query_params.get(name)))
        return work(services, f"scim:{client.token_key}")

    try:
        return await off_loop(call)
    except scim.ScimError as refused:
        return _error(refused.status, refused.detail, refused.scim_type)
    except _Refused as refused:
        return _error(refused.status, refused.detail, refused.scim_type)
    except DomainError as refused:
        status = next((code for kind, code in _STATUS if isinstance(refused, kind)), 502)
        return _error(status, str(refused))


async def _body(request: Request[Any, Any, Any]) -> Any:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise _Refused(413, f"the body is larger than {MAX_BODY} bytes: send less at once")
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise _Refused(400, "the body is not JSON: send a SCIM document", "invalidSyntax") from None


def _resource(
    resource: dict[str, Any], request: Request[Any, Any, Any], status: int = 200
) -> Response[bytes]:
    params = request.query_params
    core = (
        scim.USER_SCHEMA
        if resource.get("meta", {}).get("resourceType") == "User"
        else scim.GROUP_SCHEMA
    )
    shown = scim.projected(
        resource, _names(params.get("attributes")), _names(params.get("excludedAttributes")), core
    )
    return _answer(shown, status, resource.get("meta", {}).get("version"))


def _text(given: dict[str, Any], name: str) -> str | None:
    value = given.get(name)
    if value is not None and not isinstance(value, str):
        raise _Refused(400, f"`{name}` must be a string, got `{value}`", "invalidValue")
    return value


def _list_of(given: dict[str, Any], name: str) -> list[str]:
    value = given.get(name) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Refused(400, f"`{name}` must be a list of attribute names", "invalidValue")
    return value


def _checked_paths(names: list[str]) -> list[str]:
    for name in names:
        scim.parse_path(name)
    return names


def _names(text: str | None) -> list[str]:
    return [n.strip() for n in (text or "").split(",") if n.strip()]


def _int(text: Any, name: str, default: int | None) -> int | None:
    if text is None or text == "":
        return default
    try:
        return int(text)
    except (TypeError, ValueError):
        raise _Refused(400, f"`{name}` must be an integer, got `{text}`", "invalidValue") from None


def _list_response(
    page: scim.Page, attributes: list[str], excluded: list[str], core: str
) -> dict[str, Any]:
    return {
        "schemas": [scim.LIST_RESPONSE],
        "totalResults": page.total,
        "startIndex": page.start_index,
        "itemsPerPage": len(page.resources),
        "Resources": [scim.projected(r, attributes, excluded, core) for r in page.resources],
    }


async def _list(request: Request[Any, Any, Any], kind: str, search: Any) -> Response[bytes]:
    core = scim.USER_SCHEMA if kind == "User" else scim.GROUP_SCHEMA
    try:
        if search is None:
            given: dict[str, Any] = dict(request.query_params)
            attributes = _names(_text(given, "attributes"))
            excluded = _names(_text(given, "excludedAttributes"))
        elif isinstance(search, dict):
            given = search
            attributes = _checked_paths(_list_of(given, "attributes"))
            excluded = _checked_paths(_list_of(given, "excludedAttributes"))
        else:
            raise _Refused(400, "a search body must be a SearchRequest object", "invalidSyntax")
        query = scim.Query(
            filter=_text(given, "filter"),
            sort_by=_text(given, "sortBy"),
            sort_order=_text(given, "sortOrder") or "ascending",
            start_index=_int(given.get("startIndex"), "startIndex", 1) or 1,
            count=_int(given.get("count"), "count", None),
        )
    except (_Refused, scim.ScimError) as refused:
        return _error(refused.status, refused.detail, refused.scim_type)
    base = _base(request)
    result = await _run(
        request, lambda s, _a: scim.list_resources(s, kind=kind, query=query, base=base)
    )
    if isinstance(result, Response):
        return result
    return _answer(_list_response(result, list(attributes), list(excluded), core))


def _kind_of(path_kind: str) -> str:
    return "User" if path_kind == "Users" else "Group"


@get("/ServiceProviderConfig")
async def service_provider_config(request: Request[Any, Any, Any]) -> Response[bytes]:
    base = _base(request)
    found = await _run(request, lambda _s, _a: scim.service_provider_config(base))
    return found if isinstance(found, Response) else _answer(found)


@get(["/ResourceTypes", "/Schemas"])
async def discovery_list(request: Request[Any, Any, Any]) -> Response[bytes]:
    base = _base(request)
    pick = scim.schemas if request.url.path.endswith("/Schemas") else scim.resource_types
    found = await _run(request, lambda _s, _a: pick(base))
    if isinstance(found, Response):
        return found
    return _answer(
        {
            "schemas": [scim.LIST_RESPONSE],
            "totalResults": len(found),
            "startIndex": 1,
            "itemsPerPage": len(found),
            "Resources": found,
        }
    )


@get(["/ResourceTypes/{key:str}", "/Schemas/{key:str}"])
async def discovery_one(request: Request[Any, Any, Any], key: FromPath[str]) -> Response[bytes]:
    base = _base(request)
    pick = scim.schemas if "/Schemas/" in request.url.path else scim.resource_types
    found = await _run(request, lambda _s, _a: [d for d in pick(base) if d["id"] == key])
    if isinstance(found, Response):
        return found
    return _answer(found[0]) if found else _error(404, f"no `{key}` here: list them without an id")


@get("/{kind:str}")
async def list_resources(request: Request[Any, Any, Any], kind: FromPath[str]) -> Response[bytes]:
    if kind not in ("Users", "Groups"):
        return _error(404, f"no endpoint `/{kind}`: use /Users or /Groups")
    return await _list(request, _kind_of(kind), None)


@post(["/{kind:str}/.search"])
async def search(request: Request[Any, Any, Any], kind: FromPath[str]) -> Response[bytes]:
    if kind not in ("Users", "Groups"):
        return _error(404, f"no endpoint `/{kind}/.search`: use /Users or /Groups")
    try:
        body = await _body(request)
    except _Refused as refused:
        return _error(refused.status, refused.detail, refused.scim_type)
    if not isinstance(body, dict):
        return _error(400, "a search body must be a SearchRequest object", "invalidSyntax")
    return await _list(request, _kind_of(kind), body)


@post("/.search")
async def search_everything(request: Request[Any, Any, Any]) -> Response[bytes]:
    """A search at the root (RFC 7644 §3.4.3): users, then groups."""
    try:
        body = await _body(request)
    except _Refused as refused:
        return _error(refused.status, refused.detail, refused.scim_type)
    if not isinstance(body, dict):
        return _error(400, "a search body must be a SearchRequest object", "invalidSyntax")
    users = await _list(request, "User", body)
    groups = await _list(request, "Group", body)
    if users.status_code != 200 or groups.status_code != 200:
        return users if users.status_code != 200 else groups
    merged = json.loads(users.content)
    more = json.loads(groups.content)
    merged["Resources"] += more["Resources"]
    merged["totalResults"] += more["totalResults"]
    merged["itemsPerPage"] = len(merged["Resources"])
    return _answer(merged)


@get("/{kind:str}/{key:str}")
async def get_resource(
    request: Request[Any, Any, Any], kind: FromPath[str], key: FromPath[str]
) -> Response[bytes]:
    if kind not in ("Users", "Groups"):
        return _error(404, f"no endpoint `/{kind}`: use /Users or /Groups")
    base = _base(request)
    fetch = scim.get_user if kind == "Users" else scim.get_group
    found = await _run(request, lambda s, _a: fetch(s, key=key, base=base))
    return found if isinstance(found, Response) else _resource(found, request)


@post("/{kind:str}", status_code=201)
async def create(request: Request[Any, Any, Any], kind: FromPath[str]) -> Response[bytes]:
    if kind not in ("Users", "Groups"):
        return _error(404, f"no endpoint `/{kind}`: use /Users or /Groups")
    try:
        body = await _body(request)
    except _Refused as refused:
        return _error(refused.status, refused.detail, refused.scim_type)
    base = _base(request)
    make = scim.create_user if kind == "Users" else scim.create_group
    found = await _run(request, lambda s, a: make(s, actor=a, body=body, base=base))
    return found if isinstance(found, Response) else _resource(found, request, 201)


@put("/{kind:str}/{key:str}")
async def replace(
    request: Request[Any, Any, Any], kind: FromPath[str], key: FromPath[str]
) -> Response[bytes]:
    return await _change(request, kind, key, scim.replace_user, scim.replace_group)


@patch("/{kind:str}/{key:str}")
async def modify(
    request: Request[Any, Any, Any], kind: FromPath[str], key: FromPath[str]
) -> Response[bytes]:
    return await _change(request, kind, key, scim.patch_user, scim.patch_group)


async def _change(
    request: Request[Any, Any, Any], kind: str, key: str, on_user: Any, on_group: Any
) -> Response[bytes]:
    if kind not in ("Users", "Groups"):
        return _error(404, f"no endpoint `/{kind}`: use /Users or /Groups")
    try:
        body = await _body(request)
    except _Refused as refused:
        return _error(refused.status, refused.detail, refused.scim_type)
    base = _base(request)
    if_match = request.headers.get("if-match")
    use = on_user if kind == "Users" else on_group
    found = await _run(
        request, lambda s, a: use(s, actor=a, key=key, body=body, base=base, if_match=if_match)
    )
    return found if isinstance(found, Response) else _resource(found, request)


@delete("/{kind:str}/{key:str}", status_code=200)
async def remove(
    request: Request[Any, Any, Any], kind: FromPath[str], key: FromPath[str]
) -> Response[bytes]:
    if kind not in ("Users", "Groups"):
        return _error(404, f"no endpoint `/{kind}`: use /Users or /Groups")
    base = _base(request)
    if_match = request.headers.get("if-match")
    use = scim.delete_user if kind == "Users" else scim.delete_group
    found = await _run(request, lambda s, a: use(s, actor=a, key=key, base=base, if_match=if_match))
    return found if isinstance(found, Response) else Response(b"", status_code=204)


def scim_router() -> Router:
    return Router(
        path="/scim/v2",
        route_handlers=[
            service_provider_config,
            discovery_list,
            discovery_one,
            list_resources,
            search,
            search_everything,
            get_resource,
            create,
            replace,
            modify,
            remove,
        ],
    )
