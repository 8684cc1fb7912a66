"""The printed sheets' fonts: the Debian Noto CJK faces, cut down to GB 2312 once per deployment.

WeasyPrint subsets every face it embeds, and HarfBuzz reads the whole face to do so: for the
20–26 MB Noto CJK collections that is about half of a sheet's render, and the PDF is
several times larger than it needs to be. So `build_sheet_fonts` (run by `make`
and by `manage.py build_sheet_fonts` on deploy) writes each face again holding only GB 2312
(the 6,763 常用 hanzi with their punctuation, Latin and full-width forms): the same outlines,
a fifth of the size. The sheet names that cut first and the system face after it, so a
character outside GB 2312 (堃, 喆, 昇 in a name) is still printed, from the full face, on
that sheet only. Without the cut faces (not built yet) sheets print from the system faces
alone, as before, only slower.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings


@dataclass(frozen=True)
class Face:
    family: str  # the system family (fontconfig), also the fallback in the sheet's CSS
    weight: int
    css_family: str  # the cut face's @font-face family

    @property
    def filename(self) -> str:
        return f"{self.css_family.replace(' ', '')}-{self.weight}.otf"


# The template's two faces (documents/sheet.html): text in 宋体-like serif, headings in 黑体.
FACES = (
    Face(family="Noto Serif CJK SC", weight=400, css_family="Laowu Sheet Serif"),
    Face(family="Noto Sans CJK SC", weight=700, css_family="Laowu Sheet Sans"),
)

# Besides GB 2312's hanzi and symbols, whole blocks a form may use: ASCII, general
# punctuation (— … ‰), CJK symbols and punctuation (、。〇《》【】), full-width forms (（），：).
EXTRA_RANGES = ((0x20, 0x7E), (0xA0, 0xFF), (0x2000, 0x206F), (0x2460, 0x24FF), (0x3000, 0x303F), (0xFF00, 0xFFEF))


def codepoints() -> set[int]:
    cps = {cp for lo, hi in EXTRA_RANGES for cp in range(lo, hi + 1)}
    for row in range(0xA1, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                cps.add(ord(bytes((row, cell)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return cps


def fonts_dir() -> Path:
    return Path(settings.LAOWU_SHEET_FONTS_DIR)


def system_face(face: Face) -> tuple[Path, int]:
    """The font file and index in its collection that fontconfig picks for `face`."""
    out = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        ["fc-match", "--format=%{file}\n%{index}\n%{family}", f"{face.family}:weight={_fc_weight(face.weight)}"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.split("\n")
    if face.family not in out[2].split(","):
        # fontconfig answers with its nearest font: cutting that one would print in another face.
        raise RuntimeError(f"{face.family} is not installed (fontconfig offers {out[2]}): install fonts-noto-cjk")
    return Path(out[0]), int(out[1] or 0)


def _fc_weight(css_weight: int) -> int:
    # fontconfig's scale: 80 regular, 200 bold.
    return 200 if css_weight >= 700 else 80


def _source_tag(path: Path, index: int, cps: frozenset[int]) -> str:
    st = path.stat()
    return hashlib.sha256(f"{path}|{index}|{st.st_size}|{st.st_mtime_ns}|{sorted(cps)}".encode()).hexdigest()


def build_sheet_fonts(
    *, force: bool = False, unicodes: set[int] | None = None, log: Callable[[str], None] = print
) -> list[Path]:
    """Write the cut faces that are missing or whose system face changed, one process each
    (fontTools takes 15–25 s a face on an idle machine, minutes on a busy one); returns those
    written. `log` gets a line per face when it starts and when it is done, with the seconds
    since the start, so a first `make run` shows it is working."""
    target = fonts_dir()
    target.mkdir(parents=True, exist_ok=True)
    cps = frozenset(codepoints() if unicodes is None else unicodes)
    jobs = []
    for face in FACES:
        source, index = system_face(face)
        tag = _source_tag(source, index, cps)
        out = target / face.filename
        stamp = out.with_suffix(".json")
        if not force and out.exists() and stamp.exists() and json.loads(stamp.read_text()).get("tag") == tag:
            continue
        log(f"{face.css_family}: {source.name}#{index} → {out}（{len(cps)} 个字符）")
        jobs.append((source, index, out, cps, tag))
    if not jobs:
        return []
    log(f"正在生成打印字体（共{len(jobs)}个，每个约需15–60秒，机器繁忙时更久；只在首次或字体更新后生成）……")
    started = time.perf_counter()

    def done(out: Path) -> Path:
        log(f"{out.name}：已完成，用时 {time.perf_counter() - started:.0f} 秒")
        return out

    if len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=len(jobs)) as pool:
            futures = [pool.submit(_cut, *job) for job in jobs]
            for future in as_completed(futures):
                done(future.result())
            return [future.result() for future in futures]
    return [done(_cut(*job)) for job in jobs]


def _cut(source: Path, index: int, out: Path, cps: frozenset[int], tag: str) -> Path:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(source, fontNumber=index, lazy=False)
    options = subset.Options()
    options.notdef_outline = True  # a character missing from both faces shows as a box, not nothing
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=cps)
    subsetter.subset(font)
    # Written aside and renamed: a worker printing meanwhile never reads half a font.
    with tempfile.NamedTemporaryFile(dir=out.parent, suffix=".otf", delete=False) as tmp:
        font.save(tmp)
    os.chmod(tmp.name, 0o644)  # a font, read by every worker whatever its user
    os.replace(tmp.name, out)
    out.with_suffix(".json").write_text(json.dumps({"tag": tag, "source": str(source), "index": index}))
    return out


def sheet_faces() -> list[tuple[Face, Path]]:
    """The cut faces that are built, each with its file."""
    return [(face, path) for face in FACES if (path := fonts_dir() / face.filename).is_file()]


def font_face_css() -> str:
    """@font-face rules for the built cut faces (empty without them: the system faces serve)."""
    return "\n".join(
        f'@font-face {{ font-family: "{face.css_family}"; font-weight: {face.weight}; src: url("{path.as_uri()}"); }}'
        for face, path in sheet_faces()
    )


def font_urls() -> frozenset[str]:
    """The only file: URLs a sheet may load."""
    return frozenset(path.as_uri() for _, path in sheet_faces())
