"""Django's `{# … #}` comment ends at the end of its line: one spread over two lines is not a
comment and prints as text on the page. Comments over several lines use `{% comment %}`.
(The browser crawl in tests/browser/test_accessibility.py checks the rendered pages as well.)"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "laowu"
OPEN_COMMENT = re.compile(r"\{#(?![^\n]*#\})")


def test_no_template_comment_spans_lines() -> None:
    templates = sorted(p for p in ROOT.rglob("*.html") if "templates" in p.parts)
    assert templates
    found = []
    for path in templates:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if OPEN_COMMENT.search(line):
                found.append(f"{path.relative_to(ROOT.parent)}:{number}: {line.strip()}")
    assert not found, "use {% comment %} for a comment over several lines:\n" + "\n".join(found)
