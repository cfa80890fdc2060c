"""PermissionSetsPage: the classic /0PS list, in the Lightning shell and standalone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from runbook.pages.base import OrgContext
from runbook.pages.permission_sets import PermissionSetsPage
from runbook.simulator.server import SimulatorServer
from runbook.testing import add_permission_set
from tests.pages.support import sign_in

pytestmark = pytest.mark.browser


def test_open_shows_the_list_in_the_shell_and_has_finds_sets_by_label(
    page: Page, sim: SimulatorServer, org: OrgContext
) -> None:
    """has() is true for a listed set's exact label and false otherwise."""
    add_permission_set(sim, "Integration Builder Users")
    sign_in(page, sim)

    sets = PermissionSetsPage(page, org).open()

    assert page.url == org.url(PermissionSetsPage.PATH)
    assert sets.has("Integration Builder Users")
    assert not sets.has("Integration Builder")


def test_new_opens_the_new_permission_set_form(page: Page, sim: SimulatorServer, org: OrgContext) -> None:
    """New leads to the form, in a new frame of the shell."""
    sign_in(page, sim)

    form = PermissionSetsPage(page, org).open().new()

    assert form.is_current()
    assert form.label().first.input_value() == ""


def test_open_permission_set_opens_its_page(page: Page, sim: SimulatorServer, org: OrgContext) -> None:
    """The set's link leads to its page, the one with Manage Assignments."""
    add_permission_set(sim, "Other Users")
    ps = add_permission_set(sim, "Integration Builder Users")
    sign_in(page, sim)

    detail = PermissionSetsPage(page, org).open().open_permission_set("Integration Builder Users")

    assert detail.is_current()
    assert ps.id in page.url


def test_the_standalone_classic_list_works_without_the_shell(page: Page, sim: SimulatorServer, org: OrgContext) -> None:
    """/0PS opened directly is read from the page itself, and its links and New button still work."""
    add_permission_set(sim, "Integration Builder Users")
    sign_in(page, sim, "/0PS")
    sets = PermissionSetsPage(page, org).wait_until_loaded()
    assert sets.root is page
    assert sets.has("Integration Builder Users")

    form = sets.new()

    assert form.is_current()
    assert "/lightning/" not in page.url
