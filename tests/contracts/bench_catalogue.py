"""Timing a 100k-row catalogue import (not collected by pytest; run by hand).

    DATABASE_URL=sqlite:////tmp/laowu-bench.sqlite3 .venv/bin/python -m tests.contracts.bench_catalogue [ROWS]

Use a throwaway database: it is migrated and its catalogue emptied. The files are
generated first, then each step runs ``manage.py import_provincial_contracts`` in its own
process, as an operator would, and reports that process's wall time (including Django's
start-up, about a second) and peak memory: all rows new, all unchanged (GBK), a tenth
changed, every field of every row changed; then the same rows as xlsx, with --dry-run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "laowu.settings.test")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from laowu.contracts.models import CatalogueContract
    from tests.contracts.files import csv_bytes, rows, xlsx_bytes

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    call_command("migrate", verbosity=0)
    CatalogueContract.objects.all().delete()
    vendor = django.db.connection.vendor

    with tempfile.TemporaryDirectory() as tmp:
        data = rows(count)
        files = [
            ("all new", "new.csv", csv_bytes(data)),
            ("all unchanged (GBK)", "gbk.csv", csv_bytes(data, encoding="gbk")),
        ]
        for i in range(0, count, 10):
            data[i]["项目地点"] = "苏州市相城区望亭镇"
        files.append(("10% changed", "tenth.csv", csv_bytes(data)))
        everything = rows(count)
        for row in everything:
            for header in ("项目编号", "项目名称", "项目地点", "建设单位", "施工总承包单位", "劳务分包单位"):
                row[header] += "（变更）"
            row["合同金额（万元）"] = "1.0001"
            row["签订日期"], row["计划开工日期"], row["计划竣工日期"] = "2024-01-01", "2024-02-01", "2024-12-31"
        files.append(("every field of every row changed", "all.csv", csv_bytes(everything)))
        files.append(("xlsx, --dry-run", "rows.xlsx", xlsx_bytes(data)))
        del data, everything

        print(f"{count} rows, {vendor}")
        for label, name, content in files:
            path = Path(tmp) / name
            path.write_bytes(content)
            # GNU time reports this process's own peak memory (max RSS, in KB).
            args = ["/usr/bin/time", "-f", "TIME %e %M", sys.executable, "manage.py", "import_provincial_contracts"]
            args.append(str(path))
            if name.endswith(".xlsx"):
                args.append("--dry-run")
            proc = subprocess.run(args, cwd=settings.BASE_DIR, capture_output=True, text=True, check=False)
            assert proc.returncode == 0, proc.stderr[-2000:]
            _, elapsed, max_kb = proc.stderr.strip().splitlines()[-1].split()
            result = proc.stdout.strip().splitlines()[-1]
            print(
                f"{label:<34} {len(content) / 1024 / 1024:5.1f} MB  {float(elapsed):6.1f} s  "
                f"max RSS {int(max_kb) / 1024:4.0f} MB  {result}",
                flush=True,
            )


if __name__ == "__main__":
    main()
