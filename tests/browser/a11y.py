"""axe-core in the browser suite, and a crawl of the pages a persona can reach.

axe-core's script comes bundled in the pinned `axe-playwright-python` package (nothing is
fetched at run time). A page passes when axe finds no critical or serious violation, it has a
`<main>` landmark and exactly one `<h1>`, its first focusable element is the skip link, every
control it shows draws a visible focus ring, and its HTML shows no template comment (`{#`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urljoin, urlsplit

from axe_playwright_python.sync_playwright import Axe

BLOCKING = ("critical", "serious")
SKIP_LINK_TEXT = "跳到主要内容"

# Not pages: downloads, printed sheets, files, captcha images, and leaving the session.
NOT_A_PAGE = re.compile(r"/(logout|export|files|print|captcha|healthz)(/|$)")

_axe = Axe()


@dataclasses.dataclass(frozen=True)
class Problem:
    url: str
    rule: str
    impact: str
    targets: tuple[str, ...]
    help: str

    def __str__(self) -> str:
        return f"{self.url}  [{self.impact}] {self.rule}: {self.help}\n    " + "\n    ".join(self.targets)


def axe_problems(page: Any, *, label: str = "") -> list[Problem]:
    """axe-core's critical and serious violations on the page as it is now."""
    where = label or page.url
    results = _axe.run(page, options={"resultTypes": ["violations"]}).response
    problems = []
    for v in results["violations"]:
        if v.get("impact") not in BLOCKING:
            continue
        targets = tuple(" ".join(map(str, node["target"])) for node in v["nodes"])
        problems.append(Problem(where, v["id"], v["impact"], targets, v["help"]))
    return problems


def structure_problems(page: Any, html: str, *, label: str = "") -> list[Problem]:
    """What axe reports only as moderate, or not at all, but every page here must have."""
    where = label or page.url
    problems = []
    if "{#" in html:
        at = html.index("{#")
        problems.append(Problem(where, "template-comment", "serious", (html[at : at + 80],), "页面显示了模板注释 {#"))
    if page.locator("main").count() != 1:
        problems.append(Problem(where, "one-main", "serious", ("main",), "每页须有且只有一个 <main>"))
    h1 = page.locator("h1").count()
    if h1 != 1:
        problems.append(Problem(where, "one-h1", "serious", (f"{h1} × h1",), "每页须有且只有一个 <h1>"))
    first = page.evaluate(
        """() => {
          const f = document.querySelector('a[href], button, input:not([type=hidden]), select, textarea, [tabindex]');
          return f ? f.textContent.trim() : null;
        }"""
    )
    if first != SKIP_LINK_TEXT:
        problems.append(Problem(where, "skip-link", "serious", (repr(first),), "第一个可聚焦元素须为“跳到主要内容”"))
    unfocused = page.evaluate(
        """() => {
          const shown = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
          const ring = el => {
            const s = getComputedStyle(el);
            if (parseFloat(s.opacity) === 0) return false;  // a ring on a transparent control is not seen
            return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none';
          };
          const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary, '
            + '[tabindex]:not([tabindex="-1"])';
          const before = document.activeElement, missing = [];
          for (const el of document.querySelectorAll(sel)) {
            if (el.disabled || !shown(el)) continue;
            el.focus();
            if (document.activeElement !== el) continue;
            // 选择: the file input is transparent over its label-button, which shows the focus.
            const pick = el.type === 'file' ? el.closest('.file-pick') : null;
            if (!(ring(el) || (pick && ring(pick)))) missing.push(el.outerHTML.slice(0, 80));
          }
          if (document.activeElement) document.activeElement.blur();
          if (before && before.focus) before.focus();
          return missing;
        }"""
    )
    if unfocused:
        problems.append(Problem(where, "focus-visible", "serious", tuple(unfocused), "获得焦点时须有可见的焦点框"))
    return problems


def page_key(url: str) -> str:
    """Pages of one pattern are looked at once: numbers in the path stand for any record, and
    only the names of the query's parameters count (a step such as `?enterprise=` is another
    page; `?page=2` or another filter value is the same one)."""
    parts = urlsplit(url)
    names = sorted({pair.split("=")[0] for pair in parts.query.split("&") if pair})
    return re.sub(r"/\d+(?=/|$)", "/<n>", parts.path) + ("?" + "&".join(names) if names else "")


@dataclasses.dataclass
class Crawl:
    """Visits pages breadth-first from the seeds, following the links in the menu and the main
    content that stay on the site, one page per URL pattern, and checks each page it opens."""

    page: Any
    base: str
    seen: set[str] = dataclasses.field(default_factory=set)
    visited: list[str] = dataclasses.field(default_factory=list)
    problems: list[Problem] = dataclasses.field(default_factory=list)

    def check(self, *, label: str = "", html: str | None = None) -> None:
        html = self.page.content() if html is None else html
        self.problems += structure_problems(self.page, html, label=label)
        self.problems += axe_problems(self.page, label=label)

    def open(self, url: str) -> bool:
        response = self.page.goto(url)
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            return False
        assert response.status < 400, f"{url} answered {response.status}"
        self.page.wait_for_load_state()
        self.visited.append(self.page.url)
        self.check(html=response.text())
        return True

    def links(self) -> list[str]:
        hrefs = self.page.eval_on_selector_all(
            "nav a[href], main a[href]", "els => els.filter(a => !a.hasAttribute('download')).map(a => a.href)"
        )
        return [h.split("#")[0] for h in hrefs]

    def run(self, seeds: Iterable[str], *, limit: int = 80) -> None:
        """Every seed is opened (each shows a state of its own); a link found on the way is
        opened only when no page of its pattern has been."""
        queue = [(urljoin(self.base, s), True) for s in seeds]
        while queue and len(self.visited) < limit:
            url, seed = queue.pop(0)
            key = page_key(url)
            if not url.startswith(self.base) or NOT_A_PAGE.search(urlsplit(url).path):
                continue
            if (url if seed else key) in self.seen:
                continue
            self.seen |= {url, key}
            if self.open(url):
                queue += [(link, False) for link in self.links()]

    def submit_empty(self, url: str, button: str, *, before: Callable[[Any], None] | None = None) -> None:
        """Open a form, clear what it holds, submit it with the named button and check the page
        that comes back with its errors (browser-side `required` checks are skipped, as a
        browser without them would)."""
        self.page.goto(urljoin(self.base, url))
        if before:
            before(self.page)
        form = self.page.locator("main form", has=self.page.locator(f"button:has-text('{button}')")).first
        form.evaluate(
            """f => {
              f.noValidate = true;
              for (const el of f.elements) {
                if (el.type === 'hidden' || el.type === 'submit' || el.type === 'button') continue;
                if (el.type === 'checkbox' || el.type === 'radio') { el.checked = false; continue; }
                if (el.tagName === 'SELECT') { el.selectedIndex = 0; continue; }
                if (el.type !== 'file') el.value = '';
              }
            }"""
        )
        with self.page.expect_navigation():
            form.locator(f"button:has-text('{button}')").first.click()
        self.page.wait_for_load_state()
        self.visited.append(self.page.url + f"  ({button} 空表单)")
        self.check(label=f"{url} ({button} 空表单)")
        errors = self.page.locator(".error, .form-errors, .msg-error").count()
        assert errors, f"{url}: {button} with an empty form showed no error"


def report(problems: list[Problem]) -> str:
    return f"{len(problems)} accessibility problem(s):\n" + "\n".join(map(str, problems))
