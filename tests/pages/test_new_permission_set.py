"""NewPermissionSetPage: Label, the API Name Salesforce derives, Description, License --None--, and Save."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Route

from runbook.pages.base import OrgContext
from runbook.pages.errors import SalesforceError
from runbook.pages.new_permission_set import NewPermissionSetPage
from runbook.pages.specs import PermissionSetForm
from runbook.simulator.server import SimulatorServer
from runbook.testing import add_permission_set
from tests.pages.support import in_shell, sign_in

pytestmark = pytest.mark.browser

NEW_PATH = "/udd/PermissionSet/newPermissionSet.apexp"


def open_form(page: Page, sim: SimulatorServer, org: OrgContext, *, shell: bool = True) -> NewPermissionSetPage:
    sign_in(page, sim, in_shell("PermSets", NEW_PATH) if shell else NEW_PATH)
    return NewPermissionSetPage(page, org).wait_until_loaded()


def test_fill_and_save_create_the_set_with_the_derived_api_name(
    page: Page, sim: SimulatorServer, org: OrgContext
) -> None:
    """The API Name is the one Salesforce fills in from the Label; the license stays --None--."""
    form = open_form(page, sim, org)

    form.fill(PermissionSetForm(label="Integration Builder Users", description="Pre-authorized users"))
    detail = form.save()

    (ps,) = sim.org.permission_sets.values()
    assert (ps.label, ps.api_name, ps.description, ps.license) == (
        "Integration Builder Users",
        "Integration_Builder_Users",
        "Pre-authorized users",
        "",
    )
    assert detail.is_current()
    assert ps.id in page.url


def test_a_label_left_before_the_form_script_is_wired_is_left_again_until_the_api_name_fills(
    page: Page, sim: SimulatorServer, org: OrgContext
) -> None:
    """The form's script arrives after its fields: the first Tab fills nothing, so the Label is left again."""
    late = "permset_new.js"

    def wire_after_first_blur(route: Route) -> None:
        script = route.fetch().text()
        # The real script runs only once the Label has lost focus a first time: that Tab found no handler.
        body = (
            "document.getElementById('page:form:block:section:label').addEventListener('blur', function () {"
            f" setTimeout(function () {{ {script} }}, 0); }}, {{once: true}});"
        )
        route.fulfill(body=body, content_type="application/javascript")

    page.route(f"**/{late}", wire_after_first_blur)
    form = open_form(page, sim, org)

    form.fill(PermissionSetForm(label="Integration Builder Users"))
    form.save()

    (ps,) = sim.org.permission_sets.values()
    assert ps.api_name == "Integration_Builder_Users"


def test_an_explicit_api_name_is_used_instead_of_the_derived_one(
    page: Page, sim: SimulatorServer, org: OrgContext
) -> None:
    """fill() types the spec's API Name over the one Salesforce filled in."""
    form = open_form(page, sim, org)

    form.fill(PermissionSetForm(label="Integration Builder Users", api_name="IB_Users"))
    form.save()

    (ps,) = sim.org.permission_sets.values()
    assert ps.api_name == "IB_Users"


def test_a_duplicate_api_name_raises_salesforce_error_with_the_messages(
    page: Page, sim: SimulatorServer, org: OrgContext
) -> None:
    """The re-rendered form's banner and field error are both carried; no second set is created."""
    add_permission_set(sim, "Integration Builder Users")
    form = open_form(page, sim, org)
    form.fill(PermissionSetForm(label="Integration Builder Users"))

    with pytest.raises(SalesforceError) as refused:
        form.save()

    assert "Invalid Data" in refused.value.seen
    assert "The API Name you entered is already in use" in refused.value.seen
    assert form.is_current()
    assert len(sim.org.permission_sets) == 1


def test_an_invalid_api_name_raises_salesforce_error_with_the_rules(
    page: Page, sim: SimulatorServer, org: OrgContext
) -> None:
    """Two underscores in a row are refused, and the error says what an API Name may contain."""
    form = open_form(page, sim, org, shell=False)
    form.fill(PermissionSetForm(label="Integration Builder Users", api_name="Integration__Users"))

    with pytest.raises(SalesforceError, match="two consecutive underscores"):
        form.save()

    assert sim.org.permission_sets == {}


def test_the_standalone_form_saves_to_the_standalone_detail_page(
    page: Page, sim: SimulatorServer, org: OrgContext
) -> None:
    """Opened on its classic path, the form saves and the set's classic page follows, outside the shell."""
    form = open_form(page, sim, org, shell=False)
    assert form.root is page

    form.fill(PermissionSetForm(label="Integration Builder Users"))
    detail = form.save()

    (ps,) = sim.org.permission_sets.values()
    assert detail.is_current()
    assert page.url.endswith(f"/{ps.id}")
