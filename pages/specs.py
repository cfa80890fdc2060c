"""Typed inputs that page objects take: what to type into a Setup form."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ConnectedAppForm:
    """The New Connected App form as the article fills it."""

    name: str
    contact_email: str
    callback_urls: tuple[str, ...]
    certificate: Path
    scopes: tuple[str, ...]  # tokens: "api", "refresh_token", ...
    api_name: str = ""  # empty: keep what Salesforce fills in from the name
    description: str = ""


@dataclass(frozen=True)
class ExternalClientAppForm:
    """The New External Client App form as the ECA route fills it (reference H); Security keeps its defaults."""

    name: str
    contact_email: str
    callback_urls: tuple[str, ...]
    certificate: Path  # uploaded for the JWT Bearer Flow
    scopes: tuple[str, ...]  # tokens: "api", "refresh_token", ...
    api_name: str = ""  # empty: keep what Salesforce fills in from the name
    description: str = ""
    distribution_state: str = "Local"


@dataclass(frozen=True)
class PermissionSetForm:
    """The new permission set form; License stays --None--, as the article asks."""

    label: str
    api_name: str = ""
    description: str = ""
