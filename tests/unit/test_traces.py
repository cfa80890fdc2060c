"""Trace files: secrets masked in plain and URL-encoded form, chunks merged into one zip the trace viewer reads."""

from __future__ import annotations

import re
import stat
import zipfile
from pathlib import Path
from urllib.parse import quote, unquote_plus

from runbook.traces import MASK, merge_traces, scrub_bytes, scrub_file

SECRET = "p@ss w/rd&Key-991"
COOKIE = "00Dxx0000001gPL!AQ4AQFakeSessionValue"
SHARED = "resources/0a1b2c3d4e5f.html"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def write_chunk(path: Path, number: int) -> Path:
    """A trace chunk as Playwright writes one: the trace, its companions, and content-addressed resources."""
    with zipfile.ZipFile(path, "w") as chunk:
        chunk.writestr("trace.trace", f'{{"chunk": {number}, "typed": "{SECRET}"}}\n')
        chunk.writestr("trace.network", f'{{"chunk": {number}, "cookie": "sid={COOKIE}"}}\n')
        chunk.writestr("trace.stacks", f'{{"chunk": {number}, "body": "pw={quote(SECRET, safe="")}"}}\n')
        chunk.writestr(SHARED, f"<html>shared page, secret {SECRET}</html>")
        chunk.writestr(f"resources/only-in-chunk-{number}.html", f"<html>chunk {number} {COOKIE}</html>")
    return path


def test_scrub_bytes_masks_the_plain_form() -> None:
    """The secret as typed is replaced by the mask; the rest of the data is kept."""
    assert scrub_bytes(f"a={SECRET};".encode(), [SECRET]) == b"a=" + MASK + b";"


def test_scrub_bytes_masks_the_url_encoded_forms() -> None:
    """Both percent-encodings (slash encoded or kept, as in a query or a path) are masked."""
    fully = quote(SECRET, safe="")
    path_style = quote(SECRET)
    assert fully != path_style
    data = f"q={fully}&p={path_style}".encode()
    assert scrub_bytes(data, [SECRET]) == b"q=" + MASK + b"&p=" + MASK


def test_scrub_bytes_masks_every_secret_and_ignores_empty_ones() -> None:
    """Several secrets are masked in one pass; an empty string in the list changes nothing."""
    data = f"{SECRET} and {COOKIE} and plain".encode()
    assert scrub_bytes(data, [SECRET, "", COOKIE]) == MASK + b" and " + MASK + b" and plain"


def test_scrub_bytes_leaves_data_without_secrets_unchanged() -> None:
    """Data with no secret in it comes back byte for byte."""
    data = b'{"event": "step_started"}'
    assert scrub_bytes(data, [SECRET]) == data


def test_merge_traces_prefixes_each_chunks_trace_and_companions(tmp_path: Path) -> None:
    """Each chunk's .trace, .network and .stacks get the chunk number as prefix, so the viewer sees both."""
    parts = [write_chunk(tmp_path / f"part-{n}.zip", n) for n in range(2)]
    out = merge_traces(parts, tmp_path / "trace.zip", [SECRET, COOKIE])
    with zipfile.ZipFile(out) as merged:
        names = merged.namelist()
        assert sorted(n for n in names if not n.startswith("resources/")) == [
            "00-trace.network",
            "00-trace.stacks",
            "00-trace.trace",
            "01-trace.network",
            "01-trace.stacks",
            "01-trace.trace",
        ]
        assert b'"chunk": 0' in merged.read("00-trace.trace")
        assert b'"chunk": 1' in merged.read("01-trace.trace")
        assert b'"chunk": 1' in merged.read("01-trace.network")


def test_merge_traces_keeps_shared_resources_once_and_each_chunks_own(tmp_path: Path) -> None:
    """A resource both chunks hold appears once under its own name; resources of one chunk are all kept."""
    parts = [write_chunk(tmp_path / f"part-{n}.zip", n) for n in range(2)]
    out = merge_traces(parts, tmp_path / "trace.zip", [SECRET])
    with zipfile.ZipFile(out) as merged:
        names = merged.namelist()
    assert names.count(SHARED) == 1
    assert "resources/only-in-chunk-0.html" in names
    assert "resources/only-in-chunk-1.html" in names
    assert len(names) == len(set(names)) == 9


def test_merge_traces_keeps_each_network_entry_once_though_every_chunk_repeats_the_earlier_ones(
    tmp_path: Path,
) -> None:
    """Playwright writes a context's whole network log so far into each chunk: the merged trace has each
    request once, in the chunk where it first appeared, so the viewer does not list it again per chunk."""
    lines = [f'{{"type":"resource-snapshot","n":{n}}}\n'.encode() for n in range(5)]
    parts = []
    for number, upto in enumerate((2, 5)):
        part = tmp_path / f"part-{number}.zip"
        with zipfile.ZipFile(part, "w") as chunk:
            chunk.writestr("trace.trace", b'{"type":"context-options"}\n')
            chunk.writestr("trace.network", b"".join(lines[:upto]))
        parts.append(part)
    with zipfile.ZipFile(merge_traces(parts, tmp_path / "trace.zip", [])) as merged:
        assert merged.read("00-trace.network") == b"".join(lines[:2])
        assert merged.read("01-trace.network") == b"".join(lines[2:])


def test_merge_traces_masks_secrets_in_every_entry(tmp_path: Path) -> None:
    """No entry of the merged zip holds a secret, plain or URL-encoded; each held one before."""
    parts = [write_chunk(tmp_path / f"part-{n}.zip", n) for n in range(2)]
    out = merge_traces(parts, tmp_path / "trace.zip", [SECRET, COOKIE])
    forms = [s.encode() for s in (SECRET, COOKIE, quote(SECRET, safe=""), quote(SECRET))]
    with zipfile.ZipFile(out) as merged:
        for name in merged.namelist():
            data = merged.read(name)
            assert not any(form in data for form in forms), name
            assert MASK in data, name


def test_merge_traces_writes_an_owner_only_file_and_leaves_no_temp_file(tmp_path: Path) -> None:
    """The merged trace is mode 0600 and the only new file in the folder."""
    parts = [write_chunk(tmp_path / f"part-{n}.zip", n) for n in range(2)]
    out = merge_traces(parts, tmp_path / "trace.zip", [SECRET])
    assert out == tmp_path / "trace.zip"
    assert mode(out) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["part-0.zip", "part-1.zip", "trace.zip"]


def test_merge_traces_of_one_chunk_still_prefixes_it(tmp_path: Path) -> None:
    """A run recorded without a pause gives one chunk, named 00-trace.trace like the first of many."""
    out = merge_traces([write_chunk(tmp_path / "part-0.zip", 0)], tmp_path / "trace.zip", [])
    with zipfile.ZipFile(out) as merged:
        assert "00-trace.trace" in merged.namelist()
        assert "trace.trace" not in merged.namelist()


def test_scrub_file_masks_a_text_file_and_says_it_changed(tmp_path: Path) -> None:
    """A HAR-like text file is rewritten with the secret masked; the call returns True."""
    path = tmp_path / "network.har"
    path.write_text(f'{{"postData": "pw={quote(SECRET, safe="")}", "note": "{SECRET}"}}', encoding="utf-8")
    assert scrub_file(path, [SECRET]) is True
    assert path.read_text(encoding="utf-8") == '{"postData": "pw=***", "note": "***"}'


def test_scrub_file_keeps_an_owner_only_file_owner_only(tmp_path: Path) -> None:
    """A 0600 file stays 0600 after scrubbing; a 0644 one stays readable."""
    private, shared = tmp_path / "private.json", tmp_path / "shared.json"
    for path, bits in ((private, 0o600), (shared, 0o644)):
        path.write_text(SECRET, encoding="utf-8")
        path.chmod(bits)
        assert scrub_file(path, [SECRET])
    assert mode(private) == 0o600
    assert mode(shared) == 0o644


def test_scrub_file_leaves_a_clean_file_untouched(tmp_path: Path) -> None:
    """Without a secret inside, the file keeps its content and the call returns False."""
    path = tmp_path / "events.jsonl"
    path.write_text('{"event": "run_started"}\n', encoding="utf-8")
    before = path.stat().st_mtime_ns
    assert scrub_file(path, [SECRET]) is False
    assert path.read_text(encoding="utf-8") == '{"event": "run_started"}\n'
    assert path.stat().st_mtime_ns == before


def test_scrub_file_masks_every_entry_of_a_zip(tmp_path: Path) -> None:
    """A zip is rewritten entry by entry: same names, secrets masked, mode 0600, True returned."""
    path = write_chunk(tmp_path / "trace.zip", 0)
    with zipfile.ZipFile(path) as original:
        names = original.namelist()
    assert scrub_file(path, [SECRET, COOKIE]) is True
    with zipfile.ZipFile(path) as scrubbed:
        assert scrubbed.namelist() == names
        for name in names:
            data = scrubbed.read(name)
            assert SECRET.encode() not in data and COOKIE.encode() not in data, name
    assert mode(path) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trace.zip"]


def test_scrub_file_leaves_a_clean_zip_unchanged(tmp_path: Path) -> None:
    """A zip with no secret inside is not rewritten, and no temp file is left."""
    path = write_chunk(tmp_path / "trace.zip", 0)
    before = path.read_bytes()
    assert scrub_file(path, ["absent-secret-value"]) is False
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trace.zip"]


# --- every encoding a browser, a HAR or a trace writes a secret in -----------------------------------------
# Passwords an attacker or an unlucky user would pick: every printable ASCII class, and non-ASCII letters.
ADVERSARIAL = ("Pa ss~w*rd'(x)!2026", 'q"uo\\te<b>&amp;%41+/=?#;:,`^{|}$', "Pässwörd-Ümlaut-2026")


def encodings(secret: str) -> dict[str, str]:
    """``secret`` as it lands in evidence files, each written by the encoder that writes it there."""
    import base64
    import html
    import json
    from urllib.parse import quote, urlencode

    form = urlencode({"pw": secret})  # Python's form encoder keeps '~'; Chromium's writes %7E: both below
    chromium_form = "".join(
        chr(b) if chr(b).isascii() and (chr(b).isalnum() or chr(b) in "*-._") else "+" if b == 32 else f"%{b:02X}"
        for b in secret.encode()
    )
    snapshot = json.dumps({"html": f'<input value="{html.escape(secret)}">'})  # a DOM snapshot in a trace
    return {
        "raw": secret,
        "percent": quote(secret, safe=""),
        "percent, lower-case hex": re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(secret, safe="")),
        "form (Python)": form,
        "form (Chromium)": f"pw={chromium_form}",
        "HAR postData.params": json.dumps({"params": [{"name": "pw", "value": secret}]}),
        "HAR, non-ASCII kept": json.dumps({"value": secret}, ensure_ascii=False),
        "DOM snapshot": snapshot,
        "Basic authorization": "Authorization: Basic "
        + base64.b64encode(f"admin@example.com:{secret}".encode()).decode(),
    }


def test_every_encoding_of_an_adversarial_secret_is_masked() -> None:
    """Form encoding (+, %7E, *), JSON and HTML escapes, lower-case hex, base64: no run of the secret is left."""
    for secret in ADVERSARIAL:
        for where, text in encodings(secret).items():
            cleaned = scrub_bytes(text.encode(), [secret]).decode()
            assert MASK.decode() in cleaned, f"{where}: {text!r}"
            assert secret not in cleaned and secret not in unquote_plus(cleaned), f"{where}: {cleaned!r}"


def test_the_trials_form_post_is_masked() -> None:
    """The HAR line found by the security trial: the password form-encoded by Chromium."""
    body = b"un=admin%40example.com&pw=Pa+ss%7Ew*rd%27%28x%29%212026&rememberUn=on"
    assert scrub_bytes(body, ["Pa ss~w*rd'(x)!2026"]) == b"un=admin%40example.com&pw=***&rememberUn=on"


def test_the_last_pass_over_a_run_directory_masks_zips_too(tmp_path: Path) -> None:
    """A trace part left by an interrupted run is a zip: the final pass rewrites it with the secret masked."""
    from runbook.evidence import scrub_run_directory
    from runbook.logs import REDACTOR
    from runbook.plan import Plan
    from runbook.rundir import RunDir

    run = RunDir.create(tmp_path, Plan(()), {})
    part = run.path / ".trace-part-00.zip"
    with zipfile.ZipFile(part, "w") as chunk:
        chunk.writestr("trace.network", f'{{"cookie": "sid={COOKIE}"}}')
    REDACTOR.register([COOKIE])
    assert part in scrub_run_directory(run)
    with zipfile.ZipFile(part) as chunk:
        assert COOKIE not in chunk.read("trace.network").decode()
