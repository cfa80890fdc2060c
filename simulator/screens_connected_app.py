"""The connected app screens (classic pages, standalone and in the Lightning shell's frame).

- ``connected_app_form``: New Connected App / Edit (``forceAppEdit.apexp``) and the page after Save.
- ``connected_app_view``: the View page (``forceAppDetail.apexp``) and Consumer Details.
- ``connected_app_manage``: Manage ("Connected App Detail"), Edit Policies, profile and permission set
  assignment, and the Manage Connected Apps list (the ``ConnectedApplication`` Setup node).
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from runbook.simulator import connected_app_form, connected_app_manage, connected_app_view

routes: list[BaseRoute] = [
    *connected_app_form.routes,
    *connected_app_view.routes,
    *connected_app_manage.routes,
]
