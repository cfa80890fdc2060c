"""Reading inputs safely (``read_capped``): regular files only, links refused where the runbook asks, bounded size.

Named pipes are tested through the CLI in a child process (tests/unit/test_bad_input_table.py), where a
regression that blocked on one would hit a timeout instead of hanging this test run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from runbook.files import FileTooLarge, NotRegularFile, folder_problem, read_capped


def test_a_regular_file_is_read_whole_up_to_its_cap(tmp_path: Path) -> None:
    """A file of exactly the cap is read; one byte more is FileTooLarge."""
    path = tmp_path / "f"
    path.write_bytes(b"x" * 10)
    assert read_capped(path, 10) == b"x" * 10
    with pytest.raises(FileTooLarge, match="larger than 0 KiB"):
        read_capped(path, 9)


def test_a_symlink_is_followed_unless_links_are_refused(tmp_path: Path) -> None:
    """By default a link to a regular file is read; with follow_symlinks=False it is refused, naming the link."""
    target = tmp_path / "real"
    target.write_bytes(b"data")
    link = tmp_path / "link"
    link.symlink_to(target)
    assert read_capped(link, 100) == b"data"
    with pytest.raises(NotRegularFile, match="is a symbolic link") as caught:
        read_capped(link, 100, follow_symlinks=False)
    assert caught.value.filename == str(link)
    assert read_capped(target, 100, follow_symlinks=False) == b"data"


def test_a_directory_is_refused_as_one(tmp_path: Path) -> None:
    """Reading a directory names it as a directory (an OSError, so callers' "cannot read" paths report it)."""
    with pytest.raises(NotRegularFile, match="it is a directory, not a regular file"):
        read_capped(tmp_path, 100)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_device_and_a_link_to_it_are_refused_before_a_byte_is_read(tmp_path: Path) -> None:
    """/dev/zero would never end; it is refused by its type, directly or through a link."""
    link = tmp_path / "zero"
    link.symlink_to("/dev/zero")
    for path in (Path("/dev/zero"), link):
        with pytest.raises(NotRegularFile, match="it is a character device, not a regular file"):
            read_capped(path, 1024)


def test_a_missing_file_is_still_file_not_found(tmp_path: Path) -> None:
    """Callers tell "does not exist" apart from "cannot be read"."""
    with pytest.raises(FileNotFoundError):
        read_capped(tmp_path / "missing", 10)


def test_folder_problem_names_the_part_of_the_path_that_is_not_a_folder(tmp_path: Path) -> None:
    """A file in the way, a link loop, or else the error itself."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert folder_problem(blocker / "runs", OSError("x")) == f"{blocker} is a file, not a directory"
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    assert (
        folder_problem(tmp_path / "a", OSError("x"))
        == f"{tmp_path / 'a'} is a symbolic link that loops or leads nowhere"
    )
    assert folder_problem(tmp_path / "fine", PermissionError(13, "Permission denied")) == "Permission denied"
