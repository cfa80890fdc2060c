"""The runbook's exceptions: one root, split by who can fix the problem.

``UsageError`` and its children are mistakes the person running the runbook can fix (bad input,
missing credentials, an org feature that is switched off); the CLI prints them and exits 2.
``RunFailure`` and its children mean the run itself went wrong on screen; the CLI exits 1.
No message ever contains a secret value: callers pass names of secrets, never their contents.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


class RunbookError(Exception):
    """Root of every error the runbook raises on purpose."""

    exit_code = 1


class UsageError(RunbookError):
    """A problem the user can fix (input, credentials, org settings); the message says how."""

    exit_code = 2


class SpecError(UsageError):
    """One problem in the run spec, tied to the TOML key it concerns."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        self.problem = message
        super().__init__(f"{key}: {message}" if key else message)


class SpecErrors(UsageError):
    """Every problem found in a run spec, each with its key, reported together."""

    def __init__(self, errors: Iterable[SpecError], source: Path | None = None) -> None:
        self.errors: tuple[SpecError, ...] = tuple(errors)
        self.source = source
        where = f" in {source}" if source else ""
        count = len(self.errors)
        header = f"{count} problem{'s' if count != 1 else ''} in the run spec{where}:"
        lines = [header, *(f"  - {error}" for error in self.errors)]
        super().__init__("\n".join(lines))

    @property
    def keys(self) -> tuple[str, ...]:
        """The TOML key paths with a problem, in the order found."""
        return tuple(error.key for error in self.errors)


class CertificateError(UsageError):
    """The certificate file cannot be used; the message says what to give instead."""


class CredentialsError(UsageError):
    """A credential needed to sign in is missing or refused; the message names the variable, never the value."""


# What the runbook's user needs in the org: Setup itself, the connected app and the permission sets.
ADMIN_PERMISSIONS: tuple[str, ...] = (
    "View Setup and Configuration",
    "Customize Application",
    "Manage Connected Apps",
    "Assign Permission Sets",
)


class SessionEnded(CredentialsError):
    """Salesforce ended the session mid-run and the runbook cannot sign in again by itself."""


class InsufficientPrivileges(CredentialsError):
    """The user signed in, but Salesforce refuses them Setup; the message names the permissions needed."""

    def __init__(self, who: str) -> None:
        self.who = who
        super().__init__(
            f"{who} signed in, but Salesforce answers Setup with 'Insufficient Privileges'. The runbook needs a "
            f"user with these permissions: {', '.join(ADMIN_PERMISSIONS)}. Sign in as an administrator "
            "(or ask one to grant them), then run again."
        )


class OrgFeatureBlocked(UsageError):
    """The org does not allow a documented step (e.g. connected app creation is switched off)."""


class RunFailure(RunbookError):
    """The run went wrong on screen: a page did not appear or a save was rejected."""

    exit_code = 1


class Interrupted(RunbookError):
    """The run was stopped by a signal (Ctrl-C, SIGTERM); its evidence was finished and it can be resumed.

    The exit code is the shell's for that signal: 128 + its number (130 for SIGINT, 143 for SIGTERM).
    """

    def __init__(self, signal_name: str, signal_number: int) -> None:
        self.signal_name = signal_name
        self.exit_code = 128 + signal_number
        super().__init__(f"interrupted by {signal_name}")


class StoppedByPerson(RunbookError):
    """The person stopped the --step walkthrough, or skipped steps: the run is unfinished, and can be resumed."""

    exit_code = 3


class StepFailed(RunFailure):
    """A documented step failed; names the step, the screen, what was expected and what was seen."""

    def __init__(
        self,
        step_id: str,
        screen: str,
        expected: str,
        seen: str,
        screenshot: Path | None = None,
        message: str = "",
    ) -> None:
        self.step_id = step_id
        self.screen = screen
        self.expected = expected
        self.seen = seen
        self.screenshot = screenshot
        self.message = message
        super().__init__(
            f"{self.summary}\nExpected: {expected}\nSeen: {seen}"
            + (f"\nScreenshot: {screenshot}" if screenshot is not None else "")
        )

    @property
    def summary(self) -> str:
        """The cause in one sentence, as the terminal leads with it (the details go to the report)."""
        cause = self.message.strip().splitlines()[0] if self.message.strip() else f"expected {self.expected}"
        cause = cause.removeprefix(f"{self.screen}:").strip()  # page objects name their screen first
        return f"Step {self.step_id} failed on {self.screen}: {cause.rstrip('.')}."
