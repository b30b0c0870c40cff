"""The README and CHANGELOG as a reader navigates them: a table of contents whose links land,
an Installation section naming every extra, a changelog of one-line entries under Keep a
Changelog sections."""

from __future__ import annotations

import re

from tests.helpers.snippets import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
CHANGELOG = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")


def slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_the_table_of_contents_links_every_section_and_each_link_lands() -> None:
    contents = README.split("**Contents:**", 1)[1].split("\n\n", 1)[0]
    linked = re.findall(r"\]\(#([^)]+)\)", contents)
    headings = [slug(h) for h in re.findall(r"^## (.+)$", README, re.M)]
    assert linked == headings


def test_installation_names_every_extra() -> None:
    section = README.split("## Installation", 1)[1].split("\n## ", 1)[0]
    for extra in ("fast", "redis", "livekit", "pipecat", "otel", "testing"):
        assert f"`rocketlead-async[{extra}]`" in section, extra


def test_changelog_entries_are_one_line_each_under_keep_a_changelog_sections() -> None:
    allowed = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
    release = None
    for number, line in enumerate(CHANGELOG.splitlines(), 1):
        if line.startswith("## "):
            assert re.fullmatch(r"## \[(Unreleased|\d+\.\d+\.\d+)\]( - \d{4}-\d{2}-\d{2})?", line)
            release = line
        elif line.startswith("### "):
            assert release is not None, f"line {number}: a section outside a release"
            assert line[4:] in allowed, f"line {number}: {line}"
        elif release is not None and line.strip():
            assert line.startswith("- "), f"line {number} continues an entry: {line[:60]}"
    assert release is not None
