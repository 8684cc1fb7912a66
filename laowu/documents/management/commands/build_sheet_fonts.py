from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from laowu.documents.fonts import build_sheet_fonts, fonts_dir


class Command(BaseCommand):
    help = "生成打印表单所用字体的 GB 2312 精简版（已是最新则跳过），打印更快、PDF 更小。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="即使已是最新也重新生成")

    def handle(self, *args: Any, **opts: Any) -> None:
        started = time.perf_counter()
        written = build_sheet_fonts(force=opts["force"], log=self._line)
        if written:
            self.stdout.write(f"已生成 {len(written)} 个字体，用时 {time.perf_counter() - started:.0f}s：{fonts_dir()}")
        else:
            self.stdout.write(f"打印字体已是最新：{fonts_dir()}")

    def _line(self, text: str) -> None:
        # Flushed at once: under make, stdout is a pipe and would otherwise hold the lines
        # until the command ends, leaving a first run silent for minutes.
        self.stdout.write(text)
        self.stdout.flush()
