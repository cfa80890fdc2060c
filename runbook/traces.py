"""Playwright trace files: merging the chunks of one run, and scrubbing known secret values from them.

Recording is paused around the identity check and the Consumer Details window, so a run's trace comes
in chunks (one zip each). The trace viewer reads every ``<name>.trace`` entry of a zip with its
``<name>.network`` and ``<name>.stacks`` companions, and resources are stored by content hash, so the
chunks merge into one zip by giving each chunk's entries a distinct prefix. A browser context's chunks
each repeat its network log from the start: the merge keeps each network entry once.

Playwright does not scrub traces (cookies, request bodies, DOM snapshots all land in them), so every
entry is also rewritten with each known secret value replaced: the password, TOTP seed, access token,
session cookie values and the Consumer Secret, which the runbook registers as it meets them.
"""

from __future__ import annotations

import functools
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from runbook.files import atomic_write
from runbook.logs import masked_forms

MASK = b"***"
_COMPANIONS = (".trace", ".network", ".stacks")


@functools.lru_cache(maxsize=64)
def _encoded_forms(secrets: frozenset[str]) -> tuple[bytes, ...]:
    return tuple(form.encode("utf-8") for form in masked_forms(secrets))


def scrub_bytes(data: bytes, secrets: Iterable[str]) -> bytes:
    """``data`` with every occurrence of each secret, in every form it may be written in, masked."""
    for encoded in _encoded_forms(frozenset(secrets)):
        if encoded in data:
            data = data.replace(encoded, MASK)
    return data


def merge_traces(parts: Sequence[Path], out: Path, secrets: Iterable[str]) -> Path:
    """Write the chunks in ``parts`` as one trace zip at ``out``, with secrets scrubbed; returns ``out``."""
    secret_list = list(secrets)
    written: set[str] = set()
    network: set[bytes] = set()  # a browser context's chunks each hold its whole network log so far
    temp = out.with_name(out.name + ".part")
    with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_DEFLATED) as merged:
        for number, part in enumerate(parts):
            with zipfile.ZipFile(part) as chunk:
                for name in chunk.namelist():
                    data = chunk.read(name)
                    if name.endswith(".network"):  # each entry once, in the chunk that first has it
                        lines = [line for line in data.splitlines(keepends=True) if line not in network]
                        network.update(lines)
                        data = b"".join(lines)
                    data = scrub_bytes(data, secret_list)
                    target = name
                    if name.endswith(_COMPANIONS) and "/" not in name:
                        target = f"{number:02d}-{name}"
                    if target in written:  # resources are content-addressed: the same name is the same data
                        continue
                    merged.writestr(target, data)
                    written.add(target)
    atomic_write(out, temp.read_bytes(), private=True)
    temp.unlink()
    return out


def scrub_file(path: Path, secrets: Iterable[str]) -> bool:
    """Rewrite a text-like file with secrets masked (zips entry by entry); True when something changed."""
    data = path.read_bytes()
    if zipfile.is_zipfile(path):
        secret_list = list(secrets)
        changed = False
        temp = path.with_name(path.name + ".scrub")
        with zipfile.ZipFile(path) as source, zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_DEFLATED) as out:
            for name in source.namelist():
                original = source.read(name)
                cleaned = scrub_bytes(original, secret_list)
                changed = changed or cleaned != original
                out.writestr(name, cleaned)
        if changed:
            atomic_write(path, temp.read_bytes(), private=True)
        temp.unlink()
        return changed
    cleaned = scrub_bytes(data, secrets)
    if cleaned != data:
        atomic_write(path, cleaned, private=path.stat().st_mode & 0o077 == 0)
        return True
    return False
