"""Labels that differ between Salesforce releases, as data (one table per release).

Each entry is dated by the release that introduced it. OAuth scopes are matched by the token in
parentheses, never by their prose, because the prose was renamed (for example "Access and manage your
data (api)" became "Manage user data via APIs (api)").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKENS = re.compile(r"\(([^()]*)\)\s*$")


def scope_tokens(label: str) -> frozenset[str]:
    """The tokens in a scope label's trailing parentheses: 'Perform ... (refresh_token, offline_access)'."""
    match = _TOKENS.search(label)
    if not match:
        return frozenset()
    return frozenset(token.strip() for token in match.group(1).split(",") if token.strip())


@dataclass(frozen=True)
class ReleaseLabels:
    """What one generation of Setup screens calls things."""

    name: str
    # Where the Consumer Key is: on the View page itself (before about 2023), or behind
    # "Manage Consumer Details", a new window and an identity check (2023 onwards).
    consumer_key_on_view_page: bool
    manage_consumer_details: str = "Manage Consumer Details"
    consumer_key_label: str = "Consumer Key"
    # Summer '25 moved creation to External Client App Settings behind this toggle.
    allow_creation_toggle: str = "Allow creation of connected apps"
    enable_confirm_button: str = "Enable"
    new_connected_app: str = "New Connected App"
    permitted_users_admin: str = "Admin approved users are pre-authorized"
    # What a new app's Permitted Users is until preauthorize.10 changes it.
    permitted_users_default: str = "All users may self-authorize"
    add_assignment: tuple[str, ...] = ("Add Assignment", "Add Assignments")
    no_expiration: str = "No expiration date"


LEGACY = ReleaseLabels(name="legacy", consumer_key_on_view_page=True)
CURRENT = ReleaseLabels(name="current", consumer_key_on_view_page=False)
RELEASES = {r.name: r for r in (LEGACY, CURRENT)}
