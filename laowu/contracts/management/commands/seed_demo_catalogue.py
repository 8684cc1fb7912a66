from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from laowu.contracts.catalogue import CatalogueImportError, RowValidator, import_catalogue, plan_catalogue
from laowu.contracts.models import CATALOGUE_COLUMNS, CatalogueSource
from laowu.integrations.company_info.offline import offline_companies

# Every company here is made up, like the offline enterprises; only the place names are real.
BUILDERS = (
    "苏州元和新城置业有限公司",
    "苏州澄湖城市更新有限公司",
    "苏州市相城区教育局",
    "苏州相城智谷产业投资有限公司",
    "苏州黄埭城乡建设发展有限公司",
    "苏州渭塘城镇建设有限公司",
    "苏州漕湖智造园区开发有限公司",
    "苏州市相城区太平街道办事处",
    "苏州望亭文旅发展有限公司",
    "苏州相城安居建设有限公司",
    "苏州北桥城乡发展有限公司",
    "苏州市相城区卫生健康委员会",
)
CONTRACTORS = (
    "江苏恒岳建设集团有限公司",
    "苏州华淞建设工程有限公司",
    "江苏中筑宏业建设集团有限公司",
    "苏州嘉泰建工集团有限公司",
    "江苏通盛建设工程有限公司",
    "苏州路通市政工程有限公司",
)
# (项目名称, 项目地点 after "苏州市相城区", index into BUILDERS, index into CONTRACTORS)
PROJECTS = (
    ("高铁新城青龙港路北侧地块住宅项目", "高铁新城青龙港路北侧", 0, 0),
    ("元和街道活力岛商业综合体项目", "元和街道活力岛", 1, 1),
    ("相城区实验中学新校区建设工程", "元和街道御窑路南侧", 2, 2),
    ("阳澄湖数字文化创意产业园一期工程", "阳澄湖镇消泾村", 3, 3),
    ("黄埭镇春申湖路沿线配套用房工程", "黄埭镇春申湖路", 4, 0),
    ("渭塘镇珍珠湖安置房二期项目", "渭塘镇珍珠湖路", 5, 1),
    ("漕湖产业园标准厂房（三期）项目", "北河泾街道漕湖大道", 6, 4),
    ("太平街道莲港村农房改造工程", "太平街道莲港村", 7, 3),
    ("望亭镇运河公园配套服务中心工程", "望亭镇运河公园", 8, 2),
    ("澄阳街道人才公寓项目", "澄阳街道澄阳路", 9, 0),
    ("相城区文体中心二期工程", "元和街道相城大道", 0, 1),
    ("黄桥街道生田村动迁安置小区工程", "黄桥街道生田村", 9, 4),
    ("北桥街道灵峰路拓宽改造工程", "北桥街道灵峰路", 10, 5),
    ("高铁新城数字产业园A区项目", "高铁新城南天成路", 3, 2),
    ("元和塘文化产业园改造工程", "元和街道元和塘", 1, 3),
    ("相城区中医医院新院区建设工程", "北河泾街道富元路", 11, 0),
    ("蠡口家居城片区更新改造工程", "元和街道蠡口", 1, 1),
    ("渭塘镇中心小学改扩建工程", "渭塘镇渭中路", 2, 4),
    ("澄阳产业园研发楼项目", "澄阳街道阳澄湖西路", 3, 3),
    ("望亭镇迎湖村乡村振兴示范项目", "望亭镇迎湖村", 8, 5),
    ("太平街道沈桥村新型社区项目", "太平街道沈桥村", 9, 2),
    ("黄埭消防救援站新建工程", "黄埭镇康阳路", 4, 0),
    ("元和街道御窑路幼儿园新建工程", "元和街道御窑路", 2, 1),
    ("高铁新城南天成路综合管廊工程", "高铁新城南天成路", 0, 5),
    ("阳澄湖大道沿线景观提升工程", "阳澄湖镇阳澄湖大道", 8, 5),
    ("北河泾街道邻里中心项目", "北河泾街道华元路", 6, 4),
    ("相城区档案馆新馆建设工程", "元和街道嘉元路", 9, 3),
    ("黄桥街道方桥路标准厂房项目", "黄桥街道方桥路", 6, 2),
    ("阳澄湖镇湘城老街保护修缮工程", "阳澄湖镇湘城老街", 8, 3),
    ("北桥街道庄基村安置房项目", "北桥街道庄基村", 10, 0),
)
# Fixed, not relative to today, so that seeding again changes nothing.
FIRST_SIGNED = dt.date(2025, 1, 8)


def demo_catalogue_rows() -> list[dict[str, Any]]:
    """The demo catalogue keyed by Chinese header, as a file would carry it.

    Every third contract is the demo enterprise's (10 of 30); the rest go round the
    other offline enterprises.
    """
    companies = offline_companies()
    demo, others = companies[0], companies[1:]
    rows = []
    for i, (name, place, builder, contractor) in enumerate(PROJECTS):
        sub = demo if i % 3 == 0 else others[(i - i // 3 - 1) % len(others)]
        signed = FIRST_SIGNED + dt.timedelta(days=23 * i)
        start = signed + dt.timedelta(days=10 + (i * 7) % 21)
        end = start + dt.timedelta(days=300 + (i * 37) % 420)
        amount = Decimal(60 + (i * 137) % 1400) + Decimal((i * 29) % 100) / 100
        values = (
            f"320507{signed:%Y%m}{i + 1:04d}",
            name,
            f"苏州市相城区{place}",
            BUILDERS[builder],
            CONTRACTORS[contractor],
            f"XCLWFB-{signed:%Y}-{i + 1:04d}",
            sub.name,
            sub.credit_code,
            amount,
            signed,
            start,
            end,
        )
        rows.append({header: value for (_, header), value in zip(CATALOGUE_COLUMNS, values, strict=True)})
    return rows


class Command(BaseCommand):
    help = "创建演示用的省合同归集数据（约30条，其中10条的劳务分包单位为演示企业）。再次运行不会重复创建。"

    def handle(self, *args: Any, **opts: Any) -> None:
        if not getattr(settings, "LAOWU_DEMO_DATA_ALLOWED", False):
            raise CommandError("生产环境不允许创建演示数据。")
        validate = RowValidator(unit="条")
        rows = []
        for number, values in enumerate(demo_catalogue_rows(), start=1):
            clean, errors = validate(values, number)
            if clean is None:  # the data above is wrong: a bug, not a user error
                raise CommandError("演示合同数据有误：" + "；".join(e.describe("条") for e in errors))
            rows.append(clean)
        # Skipping a no-op run keeps `make run` from adding an audit row every time.
        if plan_catalogue(rows).summary().unchanged == len(rows):
            self.stdout.write(f"演示合同归集数据已存在（{len(rows)}条）。")
            return
        try:
            summary = import_catalogue(rows=rows, source=CatalogueSource.DEMO, origin="seed_demo_catalogue")
        except CatalogueImportError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"演示合同归集数据：新增{summary.created}条，更新{summary.updated}条，{summary.unchanged}条无变化。"
        )
