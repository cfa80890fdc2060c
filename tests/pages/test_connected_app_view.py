"""ConnectedAppViewPage and ConsumerDetailsPage: the Consumer Key on the page (legacy) or behind an identity check."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from runbook.pages.base import OrgContext
from runbook.pages.connected_app_view import ConnectedAppViewPage
from runbook.pages.consumer_details import ConsumerDetailsPage
from runbook.pages.errors import IdentityCheckFailed, ScreenNotReached
from runbook.simulator.connected_app_common import DETAIL_PATH
from runbook.simulator.server import SimulatorServer
from runbook.simulator.state import ConnectedApp
from runbook.testing import add_connected_app, emailed_code
from tests.pages.support import in_shell, org_context, sign_in, to_emailed_code, totp_now, wrong_code

pytestmark = pytest.mark.browser


def view_path(app: ConnectedApp) -> str:
    return f"{DETAIL_PATH}?connectedAppId={app.id}"


def open_view(page: Page, sim: SimulatorServer, org: OrgContext, path: str) -> ConnectedAppViewPage:
    sign_in(page, sim, path)
    return ConnectedAppViewPage(page, org).wait_until_loaded()


def in_shell_view(page: Page, sim: SimulatorServer, app: ConnectedApp) -> ConnectedAppViewPage:
    """The View page as App Manager's View shows it, inside the Lightning shell."""
    return open_view(page, sim, org_context(sim), in_shell("ConnectedApplication", view_path(app)))


@pytest.fixture
def current(make_sim: Callable[..., SimulatorServer]) -> SimulatorServer:
    """A current-release org: the key is behind Manage Consumer Details."""
    return make_sim(release="current")


def recording(asked: list[bool], code: Callable[[], str]) -> Callable[[bool], str]:
    """A code_for that notes whether it was asked for an e-mailed code, then gives ``code()``."""

    def code_for(by_email: bool) -> str:
        asked.append(by_email)
        return code()

    return code_for


def verified_for(sim: SimulatorServer, app: ConnectedApp) -> bool:
    """Whether any session passed the identity check for this app's consumer details."""
    with sim.org.lock:
        return any(f"consumer:{app.id}" in s.verified for s in sim.org.sessions.values())


def test_the_legacy_view_page_shows_the_consumer_key_in_the_shell(
    page: Page, sim: SimulatorServer, org: OrgContext
) -> None:
    """Before 2023 the key is printed on the View page; read_consumer_key() reads it from the shell's iframe."""
    app = add_connected_app(sim)
    view = open_view(page, sim, org, in_shell("ConnectedApplication", view_path(app)))

    assert view.shows_consumer_key()
    assert view.read_consumer_key() == app.consumer_key


def test_the_legacy_view_page_opened_standalone_shows_the_same_key(
    page: Page, sim: SimulatorServer, org: OrgContext
) -> None:
    """Opened on its classic path, outside the shell, the page object reads the page itself."""
    app = add_connected_app(sim)
    view = open_view(page, sim, org, view_path(app))

    assert view.root is page
    assert view.read_consumer_key() == app.consumer_key


def test_the_current_view_page_has_no_key_and_says_so(page: Page, current: SimulatorServer) -> None:
    """read_consumer_key() on a current-release page raises ScreenNotReached naming the Consumer Key."""
    app = add_connected_app(current)
    view = in_shell_view(page, current, app)

    assert not view.shows_consumer_key()
    with pytest.raises(ScreenNotReached) as missed:
        view.read_consumer_key()

    assert missed.value.expected == "Consumer Key"
    assert "Manage Consumer Details" in missed.value.seen


def test_manage_consumer_details_opens_a_window_that_gives_the_key_after_an_authenticator_code(
    page: Page, current: SimulatorServer
) -> None:
    """The popup asks for the authenticator code, then shows the key; close() closes only the popup."""
    app = add_connected_app(current)
    view = in_shell_view(page, current, app)
    asked: list[bool] = []

    details = view.open_consumer_details()
    key = details.read_consumer_key(recording(asked, totp_now))
    details.close()

    assert key == app.consumer_key
    assert asked == [False]
    assert verified_for(current, app)
    assert details.page.is_closed() and not page.is_closed()
    assert view.is_current()


def test_the_consumer_details_window_accepts_an_e_mailed_code(page: Page, current: SimulatorServer) -> None:
    """On the e-mail verification page code_for is told so, and the code from the mailbox opens the details."""
    app = add_connected_app(current)
    view = in_shell_view(page, current, app)
    details = view.open_consumer_details()
    details.identity().wait_until_loaded()
    to_emailed_code(details.page)
    asked: list[bool] = []

    key = details.read_consumer_key(recording(asked, lambda: emailed_code(current)))

    assert key == app.consumer_key
    assert asked == [True]
    assert verified_for(current, app)


def test_a_wrong_code_in_the_consumer_details_window_raises_identity_check_failed(
    page: Page, current: SimulatorServer
) -> None:
    """A refused code is reported with Salesforce's message and the key stays hidden."""
    app = add_connected_app(current)
    view = in_shell_view(page, current, app)
    details = view.open_consumer_details()

    with pytest.raises(IdentityCheckFailed, match="isn't valid"):
        details.read_consumer_key(lambda by_email: wrong_code())

    assert not details.is_current()
    assert not verified_for(current, app)


def test_an_authenticator_code_refused_once_is_followed_by_one_more(page: Page, current: SimulatorServer) -> None:
    """authenticator_retry: a refused code (used a moment ago by another run) gets one more try, then the key."""
    app = add_connected_app(current)
    details = in_shell_view(page, current, app).open_consumer_details()
    codes = iter([wrong_code(), totp_now()])

    key = details.read_consumer_key(lambda by_email: next(codes), authenticator_retry=True)

    assert key == app.consumer_key
    assert verified_for(current, app)


def test_a_second_visit_to_consumer_details_needs_no_code(page: Page, current: SimulatorServer) -> None:
    """Once the session passed the check for this app, the window shows the key without asking again."""
    app = add_connected_app(current)
    view = in_shell_view(page, current, app)
    first = view.open_consumer_details()
    first.read_consumer_key(lambda by_email: totp_now())
    first.close()

    def never(by_email: bool) -> str:
        raise AssertionError("the identity check was asked for again")

    again = view.open_consumer_details()

    assert again.read_consumer_key(never) == app.consumer_key
    assert isinstance(again, ConsumerDetailsPage)


def test_standalone_manage_consumer_details_continues_in_the_same_tab(page: Page, current: SimulatorServer) -> None:
    """On the bare classic page no window opens: the check and the details follow in this tab, which close() keeps."""
    app = add_connected_app(current)
    view = open_view(page, current, org_context(current), view_path(app))

    details = view.open_consumer_details()
    key = details.read_consumer_key(lambda by_email: totp_now())
    details.close()

    assert details.page is page and not page.is_closed()
    assert len(page.context.pages) == 1
    assert key == app.consumer_key
    assert details.is_current()


def test_the_view_page_reads_what_the_app_holds(page: Page, sim: SimulatorServer) -> None:
    """Name, contact, OAuth, callback URLs, scopes, digital signatures and certificate fingerprint, in the shell."""
    fingerprint = ":".join(["0A"] * 32)
    app = add_connected_app(
        sim,
        callback_urls=["https://one.example.com/cb", "https://two.example.com/cb"],
        use_digital_signatures=True,
        certificate_sha256=fingerprint.lower(),
    )
    view = in_shell_view(page, sim, app)

    assert view.app_name() == app.name and view.contact_email() == app.contact_email
    assert view.oauth_enabled() is True and view.uses_digital_signatures() is True
    assert view.callback_urls() == app.callback_urls
    assert view.scope_labels() == app.scope_labels
    assert view.certificate_fingerprint() == fingerprint


def test_an_app_without_a_certificate_shows_no_fingerprint(page: Page, sim: SimulatorServer) -> None:
    """Use digital signatures off: the flag reads False and there is no fingerprint to compare."""
    app = add_connected_app(sim)
    view = in_shell_view(page, sim, app)

    assert view.uses_digital_signatures() is False
    assert view.certificate_fingerprint() is None
