"""What the Setup screens call things, as data: one table the page objects read, and the doc-check audits.

The runbook does not need to be told which Salesforce release an org runs: where two generations of
Setup differ, the page objects look at the screen (the Consumer Key on the app's View page, or behind
"Manage Consumer Details" and an identity check since 2023; New Connected App in App Manager, or behind
a toggle in External Client App Settings since Summer '25). Where a label changed, this table holds
every known wording, dated. OAuth scopes are matched by the token in parentheses, never by their prose,
because the prose was renamed (for example "Access and manage your data (api)" became "Manage user data
via APIs (api)").
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
class SetupLabels:
    """The labels the page objects look for, every known wording of each."""

    # 2023 onwards: the Consumer Key moved off the View page, behind this button (a new window, an identity check).
    manage_consumer_details: str = "Manage Consumer Details"
    consumer_key_label: str = "Consumer Key"
    # Summer '25 moved creation to External Client App Settings behind this toggle.
    allow_creation_toggle: str = "Allow creation of connected apps"
    enable_confirm_button: str = "Enable"
    new_connected_app: str = "New Connected App"
    permitted_users_admin: str = "Admin approved users are pre-authorized"
    # What a new app's Permitted Users is until preauthorize.10 changes it.
    permitted_users_default: str = "All users may self-authorize"
    # The assignment button's wording differs between the classic page and the Lightning one.
    add_assignment: tuple[str, ...] = ("Add Assignment", "Add Assignments")
    no_expiration: str = "No expiration date"
    # External Client Apps (reference H; the Spring '26 route, screens as of 2026-11).
    new_external_client_app: str = "New External Client App"
    # Help and most guides say "Enable OAuth"; some docs call the checkbox "Enable OAuth Settings".
    eca_enable_oauth: tuple[str, ...] = ("Enable OAuth", "Enable OAuth Settings")
    # Replaces the connected app's "Use digital signatures"; appears once Enable OAuth is on.
    eca_jwt_bearer: str = "Enable JWT Bearer Flow"
    # Settings > OAuth Settings > App Settings; an external-link button (a new window).
    eca_consumer_key_and_secret: str = "Consumer Key and Secret"


LABELS = SetupLabels()
