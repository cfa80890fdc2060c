"""The Lightning Setup shell: ``/lightning/setup/<Node>/home`` and ``/lightning/setup/<Node>/page?address=``.

A node is either Lightning-native (its handler renders inside the shell, no iframe) or classic (the
shell shows its classic address in a ``vfFrameId_<n>`` iframe inside ``force-aloha-page``). Screen
modules register their nodes here at import time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from runbook.simulator.hosts import HOP_PATH, VF, hosts_of
from runbook.simulator.web import current_session_id, lightning, require_user, with_params

Handler = Callable[[Request], Awaitable[Response]]

# node -> handler for Lightning-native pages
LIGHTNING_HOMES: dict[str, Handler] = {}
# node -> classic address shown in the iframe for /lightning/setup/<node>/home
CLASSIC_HOMES: dict[str, str] = {}
# node -> label in the Setup navigation tree, grouped by section
NAV_TREE: list[tuple[str, list[tuple[str, str]]]] = [
    ("Administration", [("Users", "ManageUsers"), ("Permission Sets", "PermSets")]),
    (
        "Platform Tools",
        [
            ("App Manager", "NavigationMenus"),
            ("Manage Connected Apps", "ConnectedApplication"),
        ],
    ),
    # Reference H: Apps > External Client Apps > External Client App Manager, beside Settings; B.2's help
    # text: "enter External Client Apps in the Quick Find box, then select Settings".
    (
        "External Client Apps",
        [
            ("External Client App Manager", "ManageExternalClientApplication"),
            ("Settings", "ExternalClientApplicationSettings"),
        ],
    ),
]


def lightning_home(node: str) -> Callable[[Handler], Handler]:
    """Register a Lightning-native page for ``/lightning/setup/<node>/home``."""

    def register(handler: Handler) -> Handler:
        LIGHTNING_HOMES[node] = handler
        return handler

    return register


def shell_with_frame(request: Request, node: str, address: str, *, title: str = "Setup") -> HTMLResponse:
    """The shell with one classic page in the active iframe."""
    # Split hosts: classic pages are framed from the Visualforce host, cross-site to this one. The frame
    # cannot use the instance's cookie (third-party), so the shell hands the session to the frame's host
    # in the frame's first address; later frames find the (partitioned) cookie that hop left.
    hosts = hosts_of(request)
    frame_origin = hosts.origin(VF) if hosts.split else ""
    frame_src = with_params(address, isdtp="p1")
    session_id = current_session_id(request)
    if hosts.split and session_id is not None:
        frame_src = f"{HOP_PATH}?{urlencode({'t': hosts.mint_hop(session_id, VF), 'dest': frame_src})}"
    frame_src = frame_origin + frame_src
    return lightning(
        request,
        "shell_classic.html",
        node=node,
        title=title,
        frame_src=frame_src,
        frame_origin=frame_origin,
        nav_tree=NAV_TREE,
        late_render=False,  # the frame has its own spinner until the classic page has loaded
    )


def _safe_address(address: str) -> str | None:
    """Only same-origin absolute paths may be framed (an open redirect otherwise)."""
    parts = urlsplit(address)
    if parts.scheme or parts.netloc or not address.startswith("/") or address.startswith("//"):
        return None
    if "\\" in address or any(ord(c) < 0x20 or ord(c) == 0x7F for c in address):
        return None  # browsers read "/\\host" and "/<TAB>/host" as "//host"
    return address


async def setup_home(request: Request) -> Response:
    require_user(request)
    node = request.path_params["node"]
    if node in LIGHTNING_HOMES:
        return await LIGHTNING_HOMES[node](request)
    if node in CLASSIC_HOMES:
        return shell_with_frame(request, node, CLASSIC_HOMES[node])
    return lightning(
        request, "shell_missing.html", node=node, title="Page not found", nav_tree=NAV_TREE, status_code=404
    )


async def setup_page(request: Request) -> Response:
    require_user(request)
    node = request.path_params["node"]
    address = _safe_address(request.query_params.get("address", ""))
    if address is None:
        return PlainTextResponse("address must be a path on this org", status_code=400)
    return shell_with_frame(request, node, address)


routes = [
    Route("/lightning/setup/{node}/home", setup_home),
    Route("/lightning/setup/{node}/page", setup_page),
]
