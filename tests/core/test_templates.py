"""Template hygiene the template engine does not check."""

from __future__ import annotations

from pathlib import Path

import laowu

TEMPLATES = Path(laowu.__file__).parent / "templates"


def test_no_multiline_short_comments() -> None:
    """A {# … #} comment ends on its own line; spread over several it is shown on the page."""
    offenders = [
        f"{path.relative_to(TEMPLATES)}:{number}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "{#" in line and "#}" not in line[line.index("{#") :]
    ]
    assert offenders == []
