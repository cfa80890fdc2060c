"""Loading and validating run specs: defaults, derived names, every problem reported with its key, secrets kept out."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from runbook.errors import CredentialsError, SpecErrors, UsageError
from runbook.spec import (
    DEFAULT_CALLBACK_URLS,
    DEFAULT_SCOPES,
    LoginMethod,
    RunSpec,
    Secrets,
    api_name_problem,
    derive_api_name,
    load_spec,
    require_credentials,
    scope_options,
    spec_from_dict,
)
from runbook.testing import self_signed_certificate
from tests.unit.support import SPEC_TOML, pem, spec_dict

SECRET_ENV = {
    "RUNBOOK_PASSWORD": "pw-Very-Secret-1",
    "RUNBOOK_TOTP_SEED": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
    "RUNBOOK_ACCESS_TOKEN": "00Dxx0000001gPL!tokenvalue",
    "RUNBOOK_SESSION_PASSPHRASE": "session-phrase-42",
}


def problems(data: dict[str, Any], env: dict[str, str] | None = None) -> dict[str, str]:
    """The problems spec_from_dict reports, as {key: message}."""
    with pytest.raises(SpecErrors) as caught:
        spec_from_dict(data, env or {})
    return {error.key: error.problem for error in caught.value.errors}


# --- defaults and derivations -------------------------------------------------------------------


def test_an_older_specs_release_is_accepted_and_not_kept() -> None:
    """``run.release`` is told by the screen now: older specs with it still load, and it is not written back."""
    spec = spec_from_dict(spec_dict(run={"release": "current"}), {})
    assert "release" not in spec.to_toml()
    assert "release" not in spec.summary()["run"]


def test_a_minimal_spec_file_loads_with_the_articles_defaults(write_spec: Callable[..., Path]) -> None:
    """Left out, callback URLs and scopes are the article's, login is password, run options are the defaults."""
    spec = load_spec(write_spec(), {})
    assert spec.app.callback_urls == DEFAULT_CALLBACK_URLS
    assert spec.app.scopes == DEFAULT_SCOPES == ("api", "refresh_token")
    assert spec.org.login is LoginMethod.PASSWORD
    assert spec.options.timeout_ms == 30_000
    assert spec.app.enable_creation_if_needed is True
    assert spec.permission_set.license == "None"
    assert spec.app.description is None


def test_api_names_are_derived_from_the_app_name_and_the_permission_set_label(write_spec: Callable[..., Path]) -> None:
    """Without api_name keys, spaces become underscores in both API names."""
    spec = load_spec(write_spec(), {})
    assert spec.app.api_name == "Integration_Builder"
    assert spec.permission_set.api_name == "Integration_Builder_Users"


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Integration Builder", "Integration_Builder"),
        ("  OutSystems -- Sales (EU) ", "OutSystems_Sales_EU"),
        ("Café Déjà vu", "Cafe_Deja_vu"),
        ("2025 Sync", "X2025_Sync"),
        ("a__b", "a_b"),
        ("!!!", ""),
    ],
)
def test_derived_api_names_follow_salesforce_rules(label: str, expected: str) -> None:
    """Illegal characters collapse to one underscore, accents drop, a leading digit gets an X."""
    derived = derive_api_name(label, 40)
    assert derived == expected
    if derived:
        assert api_name_problem(derived, 40) is None


def test_a_derived_app_api_name_is_cut_to_40_characters_without_a_trailing_underscore() -> None:
    """A long name gives a 40-character-or-shorter API name that does not end in an underscore."""
    spec = spec_from_dict(spec_dict(app={"name": "Integration Builder for the Sales Cloud of ACME Europe"}), {})
    assert len(spec.app.api_name) <= 40
    assert not spec.app.api_name.endswith("_")
    assert spec.app.api_name.startswith("Integration_Builder_for_the_Sales_Cloud")


def test_a_derived_permission_set_api_name_may_use_80_characters() -> None:
    """The permission set API name limit is 80, not 40."""
    label = "Pre authorized users of the Integration Builder connected app in Europe"
    spec = spec_from_dict(spec_dict(permission_set={"label": label}), {})
    assert spec.permission_set.api_name == label.replace(" ", "_")
    assert len(spec.permission_set.api_name) > 40


def test_an_explicit_api_name_is_kept_as_given() -> None:
    """A valid api_name is used instead of the derived one."""
    spec = spec_from_dict(spec_dict(app={"api_name": "IB_Connector"}), {})
    assert spec.app.api_name == "IB_Connector"


def test_a_relative_certificate_path_is_read_from_the_spec_files_folder(
    write_spec: Callable[..., Path], cert_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The certificate is found next to the spec even when the current directory is elsewhere."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    spec = load_spec(write_spec(), {})
    assert spec.app.certificate == cert_file.resolve()
    assert spec.app.certificate_info is not None
    assert spec.app.certificate_info.key_bits == 2048


def test_the_recordings_dir_is_relative_to_the_current_directory(
    write_spec: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """recordings_dir defaults to ./recordings, resolved against the current directory, not the spec's."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    spec = load_spec(write_spec(), {})
    assert spec.options.recordings_dir == cwd.resolve() / "recordings"


def test_certificate_generate_means_a_private_certificate_is_made_at_run_time() -> None:
    """certificate = "generate" leaves no path and no certificate info."""
    spec = spec_from_dict(spec_dict(app={"certificate": "generate"}), {})
    assert spec.app.certificate is None
    assert spec.app.generates_certificate
    assert spec.summary()["app"]["certificate"]["source"] == "generate"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://login.salesforce.com", "https://login.salesforce.com"),
        ("https://test.salesforce.com/", "https://test.salesforce.com"),
        ("https://Acme.my.salesforce.com", "https://acme.my.salesforce.com"),
        ("https://acme--uat.sandbox.my.salesforce.com", "https://acme--uat.sandbox.my.salesforce.com"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
        ("http://localhost:3000/", "http://localhost:3000"),
    ],
)
def test_login_urls_for_production_sandbox_my_domain_and_the_simulator_are_accepted(given: str, expected: str) -> None:
    """Each accepted org URL is kept as scheme and host, lower-cased, without a trailing slash."""
    spec = spec_from_dict(spec_dict(org={"url": given}), {})
    assert spec.org.url == expected


def test_custom_scheme_and_localhost_callback_urls_are_accepted() -> None:
    """A custom scheme and an http localhost callback are valid alongside https."""
    urls = ["myapp://oauth/callback", "http://localhost:1717/OauthRedirect", "https://example.com/cb"]
    spec = spec_from_dict(spec_dict(app={"callback_urls": urls}), {})
    assert spec.app.callback_urls == tuple(urls)


def test_scope_tokens_map_to_the_list_box_options_that_carry_them() -> None:
    """refresh_token and offline_access share one option; options come in list order."""
    assert scope_options(["refresh_token", "api"]) == (("api",), ("refresh_token", "offline_access"))
    assert scope_options(["offline_access", "refresh_token"]) == (("refresh_token", "offline_access"),)
    assert scope_options(["email"]) == (("id", "profile", "email", "address", "phone"),)


# --- problems, each with its key ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("tables", "key", "phrase"),
    [
        ({"org": {"url": "http://acme.my.salesforce.com"}}, "org.url", "must use https"),
        ({"org": {"url": "https://acme.lightning.force.com"}}, "org.url", "https://acme.my.salesforce.com"),
        ({"org": {"url": "https://example.com"}}, "org.url", "not a Salesforce login host"),
        ({"org": {"url": "https://login.salesforce.com/home"}}, "org.url", "without a path"),
        ({"org": {"url": "login.salesforce.com"}}, "org.url", "not a login URL"),
        ({"org": {"username": "admin"}}, "org.username", "e-mail-shaped"),
        ({"org": {"login": "sso"}}, "org.login", '"password", "session", "frontdoor"'),
        ({"app": {"name": "  "}}, "app.name", "is empty"),
        ({"app": {"api_name": "1App"}}, "app.api_name", "must begin with a letter"),
        ({"app": {"api_name": "My App"}}, "app.api_name", "only letters, digits and underscores"),
        ({"app": {"api_name": "My_App_"}}, "app.api_name", "must not end with an underscore"),
        ({"app": {"api_name": "My__App"}}, "app.api_name", "two underscores in a row"),
        ({"app": {"api_name": "A" * 41}}, "app.api_name", "at most 40"),
        ({"app": {"name": "***"}}, "app.api_name", "set api_name explicitly"),
        ({"app": {"contact_email": "dev at acme"}}, "app.contact_email", "not an e-mail address"),
        ({"app": {"callback_urls": ["https://a.example/", "http://b.example/"]}}, "app.callback_urls[1]", "https"),
        ({"app": {"callback_urls": ["https://a.example/", "https://a.example/"]}}, "app.callback_urls[1]", "repeats"),
        ({"app": {"callback_urls": ["javascript:alert(1)"]}}, "app.callback_urls[0]", "cannot be a callback"),
        ({"app": {"callback_urls": ["/relative/cb"]}}, "app.callback_urls[0]", "no scheme"),
        ({"app": {"callback_urls": []}}, "app.callback_urls", "at least one"),
        ({"app": {"callback_urls": "https://a.example/cb"}}, "app.callback_urls", "must be a list"),
        ({"app": {"callback_urls": ["https://a.example/" + "x" * 2000]}}, "app.callback_urls", "2000"),
        ({"app": {"scopes": ["api", "everything"]}}, "app.scopes[1]", "not an OAuth scope token"),
        ({"app": {"scopes": ["api", "api"]}}, "app.scopes[1]", "repeats"),
        ({"app": {"scopes": []}}, "app.scopes", "at least one"),
        ({"app": {"certificate": "missing.crt"}}, "app.certificate", "does not exist"),
        ({"app": {"enable_creation_if_needed": "yes"}}, "app.enable_creation_if_needed", "true or false"),
        ({"app": {"callback_url": ["https://a.example"]}}, "app.callback_url", "Did you mean `callback_urls`?"),
        ({"permission_set": {"label": "L" * 81}}, "permission_set.label", "at most 80"),
        ({"permission_set": {"api_name": "P" * 81}}, "permission_set.api_name", "at most 80"),
        ({"permission_set": {"description": "d" * 256}}, "permission_set.description", "at most 255"),
        ({"permission_set": {"license": "Salesforce"}}, "permission_set.license", "None"),
        ({"assignee": {"username": "integration"}}, "assignee.username", "e-mail-shaped"),
        ({"run": {"timeout_ms": "30s"}}, "run.timeout_ms", "whole number"),
        ({"run": {"timeout_ms": 10}}, "run.timeout_ms", "between 1000 and 600000"),
        ({"run": {"release": "newest"}}, "run.release", '"auto", "legacy", "current"'),
    ],
)
def test_each_invalid_value_is_reported_with_its_key(tables: dict[str, dict[str, Any]], key: str, phrase: str) -> None:
    """The problem names the TOML key and says what is wrong or what to do."""
    found = problems(spec_dict(**tables))
    assert key in found, found
    assert phrase in found[key]


def test_a_missing_table_is_reported_once_by_its_name() -> None:
    """Without [assignee], the problem is keyed "assignee" and points to the example file."""
    data = spec_dict()
    del data["assignee"]
    found = problems(data)
    assert list(found) == ["assignee"]
    assert "runbook.example.toml" in found["assignee"]


def test_required_keys_are_reported_as_missing() -> None:
    """An empty [app] table reports name, contact_email and certificate as missing."""
    data = spec_dict()
    data["app"] = {}
    found = problems(data)
    assert {"app.name", "app.contact_email", "app.certificate"} <= set(found)
    assert all("missing" in found[key] for key in ("app.name", "app.contact_email", "app.certificate"))


def test_an_unknown_table_is_reported() -> None:
    """A misspelt table name is a problem with a suggestion."""
    found = problems({**spec_dict(), "assigne": {"username": "x@y.example"}})
    assert "Did you mean `assignee`?" in found["assigne"]


def test_all_problems_are_collected_into_one_error(write_spec: Callable[..., Path]) -> None:
    """Problems in several tables come back together, in file order, in one SpecErrors."""
    text = SPEC_TOML.replace('"admin@acme.example"', '"admin"').replace('"dev@acme.example"', '"dev"')
    text += '\n[run]\nrelease = "x"\n'
    with pytest.raises(SpecErrors) as caught:
        load_spec(write_spec(text), {})
    assert caught.value.keys == ("org.username", "app.contact_email", "run.release")
    assert isinstance(caught.value, UsageError)
    assert str(caught.value.source).endswith("spec.toml")
    assert "3 problems" in str(caught.value)


def test_an_ec_certificate_is_refused_at_load_time_with_advice(
    tmp_path: Path, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    """The certificate is validated with the spec, so an EC key is an app.certificate problem."""
    (tmp_path / "ec.crt").write_bytes(pem(self_signed_certificate(key=ec_key)))
    with pytest.raises(SpecErrors) as caught:
        spec_from_dict(spec_dict(app={"certificate": "ec.crt"}), {}, base_dir=tmp_path)
    (error,) = caught.value.errors
    assert error.key == "app.certificate"
    assert "EC" in error.problem and "RSA" in error.problem


def test_invalid_toml_is_reported_as_a_spec_problem(write_spec: Callable[..., Path]) -> None:
    """A syntax error becomes a SpecErrors that names the position, not a raw parser exception."""
    with pytest.raises(SpecErrors) as caught:
        load_spec(write_spec('[org]\nurl = "https://login.salesforce.com\n'), {})
    assert "not valid TOML" in str(caught.value)
    assert "line" in str(caught.value)


def test_a_missing_spec_file_is_reported(tmp_path: Path) -> None:
    """Loading a path that does not exist says so."""
    with pytest.raises(SpecErrors) as caught:
        load_spec(tmp_path / "nope.toml", {})
    assert "does not exist" in str(caught.value)


# --- secrets ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "key", "value", "advice"),
    [
        ("org", "password", "hunter2-Secret", "RUNBOOK_PASSWORD"),
        ("org", "totp_seed", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "RUNBOOK_TOTP_SEED"),
        ("org", "access_token", "00Dxx!AQ0AQtoken", "RUNBOOK_ACCESS_TOKEN"),
        ("org", "session_passphrase", "my-session-phrase", "RUNBOOK_SESSION_PASSPHRASE"),
        ("app", "consumer_secret", "F1A2B3C4D5E6consumer", "never needs it"),
    ],
)
def test_a_secret_written_in_the_spec_file_is_refused_without_echoing_it(
    write_spec: Callable[..., Path], table: str, key: str, value: str, advice: str
) -> None:
    """A secret key in the TOML is a problem that points to the environment variable and never shows the value."""
    text = SPEC_TOML.replace(f"[{table}]\n", f'[{table}]\n{key} = "{value}"\n')
    with pytest.raises(SpecErrors) as caught:
        load_spec(write_spec(text), {})
    (error,) = caught.value.errors
    assert error.key == f"{table}.{key}"
    assert advice in error.problem
    assert value not in str(caught.value)


def test_secrets_come_from_environment_variables(write_spec: Callable[..., Path]) -> None:
    """Each RUNBOOK_* variable fills its secret; an empty variable counts as not set."""
    spec = load_spec(write_spec(), {**SECRET_ENV, "RUNBOOK_TOTP_SEED": ""})
    assert spec.secrets.password == SECRET_ENV["RUNBOOK_PASSWORD"]
    assert spec.secrets.access_token == SECRET_ENV["RUNBOOK_ACCESS_TOKEN"]
    assert spec.secrets.session_passphrase == SECRET_ENV["RUNBOOK_SESSION_PASSPHRASE"]
    assert spec.secrets.totp_seed is None
    assert sorted(spec.secrets.values()) == sorted(v for k, v in SECRET_ENV.items() if k != "RUNBOOK_TOTP_SEED")


def test_secret_values_never_appear_in_repr_str_summary_or_toml(write_spec: Callable[..., Path]) -> None:
    """Printing the spec, its secrets, its summary or its TOML form shows no secret value."""
    spec = load_spec(write_spec(), SECRET_ENV)
    rendered = [
        repr(spec),
        str(spec),
        repr(spec.secrets),
        str(spec.secrets),
        f"{spec.secrets}",
        json.dumps(spec.summary()),
        spec.to_toml(),
        json.dumps(spec.secrets.describe()),
    ]
    for text in rendered:
        for value in SECRET_ENV.values():
            assert value not in text
    assert spec.summary()["secrets"]["password"] == {"env": "RUNBOOK_PASSWORD", "set": True}
    assert spec.secrets.describe()["password"] == "*** (from RUNBOOK_PASSWORD)"


def test_unset_secrets_are_described_as_not_set() -> None:
    """Without variables every secret reads "not set" with the variable to use."""
    described = Secrets.from_env({}).describe()
    assert described["password"] == "not set (RUNBOOK_PASSWORD)"
    assert described["totp_seed"] == "not set (RUNBOOK_TOTP_SEED)"


def test_secrets_cannot_be_pickled() -> None:
    """Pickling would write the values to disk, so it is refused."""
    with pytest.raises(TypeError):
        pickle.dumps(Secrets(password="pw-Very-Secret-1"))


@pytest.mark.parametrize(
    ("login", "variable"),
    [
        ("password", "RUNBOOK_PASSWORD"),
        ("session", "RUNBOOK_SESSION_PASSPHRASE"),
        ("frontdoor", "RUNBOOK_ACCESS_TOKEN"),
    ],
)
def test_a_missing_credential_names_the_variable_the_login_method_needs(login: str, variable: str) -> None:
    """require_credentials raises CredentialsError naming the variable when it is unset, and passes when set."""
    spec = spec_from_dict(spec_dict(org={"login": login}), {})
    with pytest.raises(CredentialsError) as caught:
        require_credentials(spec)
    assert variable in str(caught.value)
    require_credentials(spec_from_dict(spec_dict(org={"login": login}), {variable: "value-xyz"}))


# --- summary and round trip ---------------------------------------------------------------------


def test_the_summary_lists_the_resolved_inputs(write_spec: Callable[..., Path], cert_file: Path) -> None:
    """summary() carries derived names, default URLs and the certificate's fingerprint."""
    summary = load_spec(write_spec(), {}).summary()
    assert summary["app"]["api_name"] == "Integration_Builder"
    assert summary["app"]["callback_urls"] == list(DEFAULT_CALLBACK_URLS)
    assert summary["app"]["certificate"]["source"] == str(cert_file.resolve())
    assert len(summary["app"]["certificate"]["sha256_fingerprint"].split(":")) == 32
    assert summary["permission_set"]["license"] == "None"


def test_the_resolved_toml_loads_back_to_the_same_spec(write_spec: Callable[..., Path], tmp_path: Path) -> None:
    """to_toml() writes absolute paths and every default, so it loads from any folder into an equal spec."""
    original = load_spec(write_spec(extra='\n[run]\nrelease = "legacy"\n'), {})
    copy_dir = tmp_path / "copy"
    copy_dir.mkdir()
    (copy_dir / "spec.toml").write_text(original.to_toml(), encoding="utf-8")
    reloaded = load_spec(copy_dir / "spec.toml", {})
    assert reloaded.app == original.app
    assert reloaded.permission_set == original.permission_set
    assert reloaded.org == original.org
    assert reloaded.options == original.options


def test_spec_from_dict_builds_a_spec_in_code() -> None:
    """The demo can build a RunSpec from plain tables with secrets from a mapping."""
    spec = spec_from_dict(spec_dict(org={"url": "http://127.0.0.1:9000"}), {"RUNBOOK_PASSWORD": "pw-Very-Secret-1"})
    assert isinstance(spec, RunSpec)
    assert spec.org.url == "http://127.0.0.1:9000"
    assert spec.secrets.password == "pw-Very-Secret-1"
    assert spec.source_path is None


def test_the_example_spec_in_the_repository_is_valid() -> None:
    """runbook.example.toml loads without problems and shows every table."""
    example = Path(__file__).resolve().parents[2] / "runbook.example.toml"
    spec = load_spec(example, {})
    assert spec.app.generates_certificate
    assert spec.app.api_name == "Integration_Builder"
    text = example.read_text(encoding="utf-8")
    for key in ("RUNBOOK_PASSWORD", "RUNBOOK_TOTP_SEED", "RUNBOOK_ACCESS_TOKEN", "RUNBOOK_SESSION_PASSPHRASE"):
        assert key in text


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (spec_dict(app={"name": "Integration\x1b[2J Builder"}), "app.name"),
        (spec_dict(org={"username": "admin@example.com\x00"}), "org.username"),
        (
            spec_dict(app={"callback_urls": ["https://a.example/cb", "https://b.example/\u202ecb"]}),
            "app.callback_urls[1]",
        ),
        (spec_dict(permission_set={"label": "Users\r\nX-Injected: 1"}), "permission_set.label"),
    ],
)
def test_control_characters_in_spec_strings_are_refused_with_their_key(data: dict[str, Any], key: str) -> None:
    """Escape sequences, NUL, bidi overrides and CR/LF: refused, naming the key and the character."""
    found = problems(data)
    assert key in found and "control character U+" in found[key]


def test_a_description_may_span_lines() -> None:
    """Descriptions are text areas in Setup: a newline or a tab there is kept."""
    spec = spec_from_dict(spec_dict(app={"description": "First line\n\tsecond line"}), {})
    assert spec.app.description == "First line\n\tsecond line"
