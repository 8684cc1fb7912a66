"""Province-scale synthetic data on PostgreSQL: `manage.py generate_scale_data`.

What it makes: enterprises with their accounts and 基本信息, 安全员 and 劳资专管员, the
province's contract catalogue and the project filings made from it, every workflow state
of every filing type with its submissions (snapshots built field for field the way
`laowu.review.snapshots` builds them), attachments pointing at a few real PDFs stored
through `laowu.documents.storage`, committee supervision records, messages and audit rows.
Names, addresses and numbers are made up; credit codes and ID numbers pass their checks.

How it stays fast: rows are formatted as COPY text in Python and streamed with psycopg 3's
COPY; every primary key is explicit and computed, so nothing is read back while loading.

How it resumes: each stage is cut into fixed chunks. A chunk's rows depend only on the
dataset's sizes, its seed and the chunk number (anything another chunk refers to, such as an
enterprise's name or a person's state, is a pure function of the seed and the row's number),
and a chunk is written in one transaction together with its row in `laowu_scale_progress`.
A run that is killed loses at most the chunks in flight; the next run with the same sizes
skips the chunks already recorded and writes the rest. `laowu_scale_dataset` holds the one
dataset's sizes, the time everything is dated from, the stored PDFs and `completed_at`.

Chunks of a stage are independent, so they are written by worker processes in parallel
(`--workers`): Python formats a chunk while PostgreSQL loads another.
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import datetime as dt
import json
import math
import multiprocessing
import random
import re
import secrets
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from laowu.accounts.models import PHONE_INDEX_CONTEXT
from laowu.contracts.models import CONTRACT_NO_GRAMS, PROJECT_TEXT_GRAMS
from laowu.core.crypto import seal
from laowu.core.fields import index_value
from laowu.core.numbers import format_amount
from laowu.core.search import rebuild_ordered_grams
from laowu.core.validators import id_number_check_char
from laowu.personnel.models import ID_INDEX_CONTEXT
from laowu.review.fields import CONTEXT as SNAPSHOT_CONTEXT

GENERATOR_VERSION = 1
DEFAULT_SEED = 20260501
DEFAULT_ENTERPRISES = 100_000
DEFAULT_PEOPLE = 1_000_000
DEFAULT_CONTRACTS = 2_000_000
PASSWORD = "Laowu@2026"  # noqa: S105 - the documented password of every generated account (context file)
SAFETY_SHARE = 0.55  # of --people; the rest are 劳资专管员
REVIEWERS = 20
REVIEWER_USERNAME = "scale_shenhe{:02d}"
SUPERVISOR_USERNAME = "scale_jianguan"

PROGRESS_TABLE = "laowu_scale_progress"
DATASET_TABLE = "laowu_scale_dataset"
INDEX_TABLE = "laowu_scale_indexes"  # plain indexes dropped for the load, rebuilt at the end
# The big tables the chunks COPY into: their plain (non-unique) indexes are built once at the
# end, by sorting, instead of being updated row by row (GIN ones evaluate a SQL function per row).
LOAD_TABLES = (
    "accounts_user",
    "audit_auditevent",
    "contracts_cataloguecontract",
    "contracts_projectfiling",
    "documents_attachment",
    "enterprises_basicinfo",
    "enterprises_enterprise",
    "personnel_personclaim",
    "personnel_safetyofficer",
    "personnel_wagemanager",
    "review_submission",
    "supervision_message",
)

# Fixed chunk sizes: part of a dataset's identity (a chunk's rows depend on its bounds).
CHUNK_SIZES = {"enterprises": 2_000, "safety_officers": 5_000, "wage_managers": 5_000, "contracts": 10_000}
STAGES = ("enterprises", "safety_officers", "wage_managers", "contracts", "supervision")

# Stride of the explicit keys given per filing: a filing's submissions are
# base + (filing id - 1) * 4 + revision, its attachments base + (filing id - 1) * 4 + slot
# (base: after the keys of the filing types written before). Gaps are harmless.
SUB_STRIDE = 4
ATT_STRIDE = 4
MSG_STRIDE = 8  # messages per enterprise written with it
AUDIT_STRIDE = 8  # audit rows per enterprise written with it

DAY = 86_400
HOUR = 3_600
YEAR_DAYS = 365
SPAN_DAYS = 3 * YEAR_DAYS  # everything is dated within the last three years
LOCAL_OFFSET = 8 * HOUR  # Asia/Shanghai, no daylight saving


class ScaleDataError(Exception):
    """Refusal with a message for the operator (the command turns it into a CommandError)."""


# ============================================================================ word pools
# Everything below is made up; only place names are real. Weights make common names common.

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "慕容", "司徒")
MALE_CHARS = (
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林阳建国志新兵峰亮成东文海生春荣德庆福祥安永胜"
    "利民忠宏晨毅坤锋振昊博睿哲航轩然豪晖康伦彬栋维启克良贵金山江云松柏青立学兴耀光富贤松涛洪武卫晓剑"
)
FEMALE_CHARS = (
    "芳娜敏静丽艳娟霞秀玲桂英慧巧美婷雪琳颖倩洁琴莲真环红月梅凤萍燕蓉丹蕾薇菲璐佳欣怡悦晴瑶雯诗梦雅楠"
    "晓玉兰春秋冬霜露婉淑惠琪瑾璇嘉宁静茹萱妍彤珊珍琼翠菊"
)
TRADE_CHARS = (
    "鑫达宏远恒泰盛华建安通兴利祥顺丰永信诚德润嘉和瑞福凯旭晟昌隆茂源峰发腾飞宇创新天金银东方中汇聚合力博卓越"
    "佳豪锦程荣辉光明正立业成众鼎赢海川江湖山林森宝龙凤泽晖鸿运广益鹏坤乾元亨久大同春秋阳澄吴太湖苏城嘉禾"
)
COMPANY_SUFFIXES = (
    ("建筑劳务有限公司", 40),
    ("劳务有限公司", 12),
    ("建设劳务有限公司", 10),
    ("建筑劳务分包有限公司", 8),
    ("建筑工程劳务有限公司", 8),
    ("劳务服务有限公司", 6),
    ("建筑安装劳务有限公司", 5),
    ("劳务工程有限公司", 5),
    ("人力资源劳务有限公司", 3),
    ("建筑劳务有限责任公司", 3),
)
COMPANY_TYPES = (
    ("有限责任公司(自然人投资或控股)", 70),
    ("有限责任公司(自然人独资)", 20),
    ("有限责任公司(法人独资)", 6),
    ("股份有限公司(非上市、自然人投资或控股)", 4),
)
CAPITALS = ("100万人民币", "200万人民币", "300万人民币", "500万人民币", "800万人民币", "1000万人民币", "2000万人民币")
BUSINESS_SCOPE = (
    "许可项目：建设工程施工（除核电站建设经营、民用机场建设）；施工专业作业；建筑劳务分包。"
    "（依法须经批准的项目，经相关部门批准后方可开展经营活动，具体经营项目以审批结果为准）"
    "一般项目：劳务服务（不含劳务派遣）；建筑材料销售；建筑工程机械与设备租赁；五金产品零售。"
    "（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）"
)
ROADS = [
    "人民路",
    "中山路",
    "解放路",
    "建设路",
    "长江路",
    "黄河路",
    "新华路",
    "和平路",
    "友谊路",
    "胜利路",
    "青年路",
    "文化路",
    "振兴路",
    "学府路",
    "科技路",
    "兴业路",
    "创业路",
    "工业园路",
    "迎宾大道",
    "太湖大道",
    "金港路",
    "通江路",
    "东环路",
    "西环路",
    "南环路",
    "北环路",
    "滨河路",
    "湖滨路",
    "春晖路",
    "阳光大道",
    "嘉元路",
    "春申路",
    "御窑路",
    "相城大道",
    "澄阳路",
    "富元路",
    "华元路",
    "永方路",
    "康阳路",
    "渭中路",
]
STREETS = (
    "城东街道",
    "城西街道",
    "城南街道",
    "城北街道",
    "新城街道",
    "开发区",
    "高新区",
    "经济开发区",
    "中心镇",
    "滨湖街道",
)
BUILDINGS = ("大厦", "商务中心", "广场", "科技园", "创业园", "综合楼")
PROJECT_PLACES = [
    "锦绣",
    "翡翠",
    "天悦",
    "云栖",
    "星湖",
    "春江",
    "滨湖",
    "御景",
    "金色",
    "阳光",
    "紫金",
    "玉兰",
    "香樟",
    "枫林",
    "澜山",
    "铂悦",
    "湖畔",
    "水岸",
    "观澜",
    "君临",
    "盛世",
    "东方",
    "新城",
    "璟园",
    "雅居",
    "泰和",
    "嘉禾",
    "万科",
    "碧桂",
    "华润",
    "青龙港",
    "春申湖",
    "御窑",
    "阳澄",
    "元和",
    "漕湖",
    "太湖",
    "运河",
    "高铁新城",
    "科创",
]
PROJECT_KINDS = (
    ("花园", 12),
    ("雅苑", 8),
    ("名邸", 5),
    ("华府", 5),
    ("家园", 6),
    ("人才公寓", 4),
    ("安置房", 8),
    ("商业综合体", 4),
    ("产业园标准厂房", 7),
    ("研发楼", 3),
    ("学校新建工程", 4),
    ("幼儿园新建工程", 3),
    ("医院建设工程", 2),
    ("道路改造工程", 5),
    ("综合管廊工程", 2),
    ("邻里中心", 3),
    ("污水管网工程", 2),
    ("体育中心", 1),
)
PROJECT_PHASES = (("", 30), ("一期", 20), ("二期", 18), ("三期", 8), ("（A区）", 5), ("（B区）", 4), ("项目", 15))
BUILDER_KINDS = ("置业有限公司", "房地产开发有限公司", "城市建设投资有限公司", "城乡发展有限公司", "产业投资有限公司")
CONTRACTOR_KINDS = (
    "建设集团有限公司",
    "建工集团有限公司",
    "建设工程有限公司",
    "市政工程有限公司",
    "建筑安装工程有限公司",
)
EDUCATION_WEIGHTS = (("初中及以下", 18), ("高中/中专", 34), ("大专", 30), ("本科", 16), ("研究生", 2))
REJECT_REASONS = (
    "营业执照扫描件不清晰，请重新上传。",
    "资质证书有效期填写有误，请与证书核对。",
    "安全生产许可证编号与证书不一致，请核对。",
    "身份证复印件与填写的身份证号不一致。",
    "证书扫描件缺少有效期页，请补充上传。",
    "联系电话无法接通，请核实后重新申报。",
    "劳务分包合同未加盖双方公章，请上传盖章版。",
    "现场负责人信息不完整，请补充。",
    "培训合格证书已过期，请更新后重新申报。",
    "上传的附件与附件类型不符，请重新上传。",
)
INSPECTORS = ("王建华、李志强", "张卫东、陈明", "刘国平、周文斌", "吴海涛、徐立新", "孙振华、马永刚", "朱晓东、胡建军")
INSPECTION_PROBLEMS = (
    "现场考勤记录与花名册不一致，部分人员未录入实名制系统。",
    "未按月足额支付农民工工资，工资专户流水缺失。",
    "劳资专管员未在岗，工资台账未及时更新。",
    "安全员证书过期，未及时更换。",
    "部分作业人员未签订劳动合同。",
    "安全教育记录不全，技术交底签字缺失。",
    "现场临边防护不到位，材料堆放杂乱。",
)
BAD_FACTS = {
    "wage_arrears": "拖欠农民工工资，经查属实，涉及人数较多，造成不良社会影响。",
    "safety_accident": "施工现场发生一般生产安全事故，企业安全管理责任落实不到位。",
    "illegal_subcontract": "将承接的劳务作业违法分包给不具备资质的个人。",
    "real_name": "未按规定落实实名制管理，现场人员与花名册严重不符。",
    "contract": "未依法与作业人员签订劳动合同。",
    "fraud": "在信息归集中提供虚假材料。",
    "certificate": "安全员无证上岗，证书存在挂靠情形。",
    "other": "违反建筑劳务管理相关规定，经责令整改后仍未改正。",
}
LEGAL_BASIS = "《保障农民工工资支付条例》《建筑市场信用管理暂行办法》及本市建筑劳务管理相关规定。"
NOTICE_TITLES = (
    "关于开展建筑劳务企业信息归集工作的通知",
    "关于做好农民工工资支付保障工作的通知",
    "关于开展施工现场实名制管理专项检查的通知",
    "关于安全员证书到期换证的提醒",
    "关于公布年度诚信劳务企业名单的公告",
    "关于进一步规范劳务分包合同备案的通知",
    "关于开展冬季施工安全大检查的通知",
    "关于平台系统升级维护的公告",
    "关于做好节前农民工工资清欠工作的通知",
    "关于劳资专管员培训报名的通知",
)

# (code, district, city, weight, towns): 江苏 districts; 相城区 is the committee's own and the heaviest.
DISTRICTS: tuple[tuple[str, str, str, int, tuple[str, ...]], ...] = (
    ("320507", "相城区", "苏州市", 80, ("元和街道", "黄埭镇", "渭塘镇", "阳澄湖镇", "北桥街道", "望亭镇", "太平街道")),
    ("320505", "虎丘区", "苏州市", 25, ("狮山街道", "枫桥街道", "浒墅关镇", "通安镇")),
    ("320506", "吴中区", "苏州市", 35, ("长桥街道", "木渎镇", "甪直镇", "胥口镇")),
    ("320508", "姑苏区", "苏州市", 15, ("平江街道", "沧浪街道", "金阊街道")),
    ("320509", "吴江区", "苏州市", 35, ("松陵街道", "盛泽镇", "震泽镇", "同里镇")),
    ("320571", "苏州工业园区", "苏州市", 30, ("娄葑街道", "斜塘街道", "唯亭街道", "胜浦街道")),
    ("320581", "常熟市", "苏州市", 30, ("虞山街道", "梅李镇", "海虞镇", "支塘镇")),
    ("320582", "张家港市", "苏州市", 25, ("杨舍镇", "金港街道", "锦丰镇")),
    ("320583", "昆山市", "苏州市", 40, ("玉山镇", "花桥镇", "周庄镇", "陆家镇")),
    ("320585", "太仓市", "苏州市", 15, ("城厢镇", "沙溪镇", "浏河镇")),
    ("320102", "玄武区", "南京市", 12, ()),
    ("320104", "秦淮区", "南京市", 12, ()),
    ("320105", "建邺区", "南京市", 15, ()),
    ("320106", "鼓楼区", "南京市", 12, ()),
    ("320111", "浦口区", "南京市", 18, ()),
    ("320113", "栖霞区", "南京市", 18, ()),
    ("320114", "雨花台区", "南京市", 14, ()),
    ("320115", "江宁区", "南京市", 30, ()),
    ("320116", "六合区", "南京市", 12, ()),
    ("320117", "溧水区", "南京市", 8, ()),
    ("320118", "高淳区", "南京市", 6, ()),
    ("320205", "锡山区", "无锡市", 14, ()),
    ("320206", "惠山区", "无锡市", 14, ()),
    ("320211", "滨湖区", "无锡市", 14, ()),
    ("320213", "梁溪区", "无锡市", 12, ()),
    ("320214", "新吴区", "无锡市", 16, ()),
    ("320281", "江阴市", "无锡市", 20, ()),
    ("320282", "宜兴市", "无锡市", 16, ()),
    ("320402", "天宁区", "常州市", 10, ()),
    ("320404", "钟楼区", "常州市", 10, ()),
    ("320411", "新北区", "常州市", 14, ()),
    ("320412", "武进区", "常州市", 20, ()),
    ("320413", "金坛区", "常州市", 8, ()),
    ("320481", "溧阳市", "常州市", 8, ()),
    ("320602", "崇川区", "南通市", 14, ()),
    ("320612", "通州区", "南通市", 16, ()),
    ("320681", "启东市", "南通市", 10, ()),
    ("320682", "如皋市", "南通市", 12, ()),
    ("320685", "海安市", "南通市", 14, ()),
    ("320302", "鼓楼区（徐州）", "徐州市", 8, ()),
    ("320311", "泉山区", "徐州市", 10, ()),
    ("320312", "铜山区", "徐州市", 12, ()),
    ("320382", "邳州市", "徐州市", 8, ()),
    ("321002", "广陵区", "扬州市", 8, ()),
    ("321003", "邗江区", "扬州市", 10, ()),
    ("321012", "江都区", "扬州市", 8, ()),
    ("321102", "京口区", "镇江市", 6, ()),
    ("321112", "丹徒区", "镇江市", 6, ()),
    ("321181", "丹阳市", "镇江市", 8, ()),
    ("321202", "海陵区", "泰州市", 8, ()),
    ("321204", "姜堰区", "泰州市", 6, ()),
    ("321281", "兴化市", "泰州市", 8, ()),
    ("320902", "亭湖区", "盐城市", 8, ()),
    ("320903", "盐都区", "盐城市", 8, ()),
    ("320981", "东台市", "盐城市", 6, ()),
    ("320803", "淮安区", "淮安市", 6, ()),
    ("320812", "清江浦区", "淮安市", 8, ()),
    ("320703", "连云区", "连云港市", 4, ()),
    ("320707", "赣榆区", "连云港市", 6, ()),
    ("321302", "宿城区", "宿迁市", 6, ()),
    ("321311", "宿豫区", "宿迁市", 6, ()),
)
COMMITTEE_DISTRICT = "320507"  # 相城区: registration_place is 相城区内 only there
# Today's carriers' mobile prefixes. 138/139/199 are left out: the demo accounts and the
# generated staff use them, and an account's phone must be unique.
MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "134",
    "135",
    "136",
    "137",
    "147",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "173",
    "175",
    "176",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "184",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
]


# ============================================================================ small helpers

MASK64 = (1 << 64) - 1


def mix(*parts: int) -> int:
    """A 64-bit hash of integers: the seed of one row's own random numbers.

    CPython's tuple hash (xxHash-style, in C; integers hash the same in every process, unlike
    strings) and a splitmix64 finaliser so the high bits are as good as the low ones."""
    h = hash(parts) & MASK64
    h = ((h ^ (h >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    h = ((h ^ (h >> 27)) * 0x94D049BB133111EB) & MASK64
    return h ^ (h >> 31)


def unit(h: int) -> float:
    """A float in [0, 1) from a hash."""
    return (h >> 11) / float(1 << 53)


# Tags keep each kind of row's random numbers apart.
TAG_ENTERPRISE, TAG_BASIC, TAG_SAFETY, TAG_WAGE, TAG_CONTRACT, TAG_PROJECT, TAG_CHUNK = range(1, 8)
TAG_SCENARIO = 100


def rng_for(*parts: int) -> random.Random:
    return random.Random(mix(*parts))  # noqa: S311 - made-up data; tokens come from `secrets`


def coprime_multiplier(n: int, start: int = 2_654_435_761) -> int:
    """A multiplier coprime with n: i -> i * m mod n is then a permutation of range(n)."""
    if n <= 1:
        return 1
    m = start % n or 1
    while math.gcd(m, n) != 1:
        m += 1
    return m


@dataclasses.dataclass(frozen=True)
class Scatter:
    """A permutation of 0..n-1 by multiplication: spreads an enterprise's rows over the id range."""

    n: int
    mul: int
    inv: int

    @classmethod
    def of(cls, n: int, salt: int) -> Scatter:
        mul = coprime_multiplier(n, 2_654_435_761 + salt * 7919)
        inv = pow(mul, -1, n) if n > 1 else 1
        return cls(n, mul, inv)

    def id_of(self, index: int) -> int:
        return (index * self.mul) % self.n + 1

    def index_of(self, pk: int) -> int:
        return ((pk - 1) * self.inv) % self.n


def weighted(pairs: Iterable[tuple[Any, int]]) -> tuple[list[Any], list[float]]:
    items, cum, total = [], [], 0.0
    for item, w in pairs:
        total += w
        items.append(item)
        cum.append(total)
    return items, [c / total for c in cum]


def pick(items: list[Any], cum: list[float], u: float) -> Any:
    return items[min(bisect.bisect_right(cum, u), len(items) - 1)]


_DAY_TEXT: dict[int, str] = {}
_TIME_OF_DAY = [f" {s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}+00" for s in range(DAY)]


def ts(t: int) -> str:
    """COPY text of a timestamptz given as seconds since the epoch (UTC). Tens of millions are
    formatted, so by table: the day's text (cached) and the time of day's (precomputed)."""
    d, r = divmod(t, DAY)
    text = _DAY_TEXT.get(d)
    if text is None:
        text = _DAY_TEXT[d] = dt.date.fromordinal(d + 719163).isoformat()
    return text + _TIME_OF_DAY[r]


def local_day(t: int) -> int:
    """The local (Asia/Shanghai) date's ordinal of an epoch second."""
    return (t + LOCAL_OFFSET) // DAY + 719163  # 719163 = date(1970, 1, 1).toordinal()


_ISO_DAYS: dict[int, str] = {}


def day_iso(ordinal: int) -> str:
    text = _ISO_DAYS.get(ordinal)
    if text is None:
        text = _ISO_DAYS[ordinal] = dt.date.fromordinal(ordinal).isoformat()
    return text


def day_start(ordinal: int) -> int:
    """Epoch second of local midnight of a date ordinal."""
    return (ordinal - 719163) * DAY - LOCAL_OFFSET


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def esc(s: str) -> str:
    """A text value for COPY's text format."""
    if "\\" in s or "\t" in s or "\n" in s or "\r" in s:
        return s.translate(_COPY_ESCAPES)
    return s


NULL = "\\N"  # COPY's NULL


def opt(value: Any) -> str:
    return NULL if value is None else str(value)


_JSON_SPECIAL = re.compile(r'["\\\x00-\x1f]')


def js(s: str) -> str:
    """A JSON string literal; the generated text needs no escaping, anything else goes through json."""
    if _JSON_SPECIAL.search(s):
        return json.dumps(s, ensure_ascii=False)
    return '"' + s + '"'


def make_credit_code(district_code: str, serial: int) -> str:
    """A GB 32100 code: 9 (工商) 1 (企业), the district, a made-up 主体标识码, the check character.

    The 主体标识码 deliberately carries a wrong GB 11714 check digit (like the offline
    provider's entries), so a generated code can never be one really issued. `serial` is
    different for every enterprise, and the 主体标识码 is injective in it: codes are unique.
    """
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    if serial % 10 < 3:  # older, all-digit organisation codes
        body = f"{(serial * 7_368_787) % 100_000_000:08d}"
    else:
        x = (serial * 9_369_319) % 31**5
        chars = []
        for _ in range(5):
            x, r = divmod(x, 31)
            chars.append(alphabet[r])
        body = "MA" + "12"[serial % 2] + "".join(chars)
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in body]
    check = 11 - sum(v * w for v, w in zip(values, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    right = "X" if check == 10 else "0" if check == 11 else str(check)
    wrong = "1" if right in ("X", "0") else str((int(right) + 1) % 10)
    first17 = "91" + district_code + body + wrong
    total = sum(_CREDIT_VALUES[c] * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return first17 + _CREDIT_ALPHABET[(31 - total % 31) % 31]  # = validators.credit_code_check_char


_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUES = {c: i for i, c in enumerate(_CREDIT_ALPHABET)}
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def make_mobile(prefix_index: int, suffix: int) -> str:
    return MOBILE_PREFIXES[prefix_index % len(MOBILE_PREFIXES)] + f"{suffix % 100_000_000:08d}"


# ============================================================================ snapshots


@dataclasses.dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str  # str, choice, date, int, decimal, fk
    head: str  # the row's JSON up to the value: {"name": ..., "label": ..., "value":
    choices: dict[str, str]
    mask: str


@dataclasses.dataclass(frozen=True)
class SnapshotSpec:
    """What `snapshots.build_snapshot` writes for one filing type, read from the model itself."""

    filing_type: str
    label: str
    fields: tuple[FieldSpec, ...]
    kind_labels: dict[str, str]

    @classmethod
    def of(cls, model: Any) -> SnapshotSpec:
        from django.db import models

        specs = []
        for name in model.SNAPSHOT_FIELDS:
            field = model._meta.get_field(name)
            if isinstance(field, models.ForeignKey):
                kind = "fk"
            elif field.choices:
                kind = "choice"
            elif isinstance(field, models.DateField):
                kind = "date"
            elif isinstance(field, models.DecimalField):
                kind = "decimal"
            elif isinstance(field, models.IntegerField):
                kind = "int"
            else:
                kind = "str"
            head = '{"name": ' + js(name) + ', "label": ' + js(str(field.verbose_name)) + ', "value": '
            choices = {str(k): str(v) for k, v in field.choices} if field.choices else {}
            specs.append(FieldSpec(name, kind, head, choices, model.SENSITIVE_FIELDS.get(name, "")))
        labels = {k.code: k.label for k in model.ATTACHMENT_KINDS}
        return cls(model.FILING_TYPE, model.FILING_LABEL, tuple(specs), labels)

    def render(
        self, title: str, values: dict[str, Any], provider: frozenset[str], attachments: list[tuple[str, Blob]]
    ) -> str:
        """The snapshot's JSON. Values as `snapshots._json_value` / `_display` see them:
        str ('' if empty), date ISO string or None, int or None, decimal string, choice code,
        fk (pk, str(object)) or None."""
        parts = []
        for f in self.fields:
            v = values.get(f.name)
            if v is None or v == "":
                value = "null" if v is None else '""'
                display = '""'
            elif f.kind == "int":
                value = display = str(v)
                display = '"' + display + '"'
            elif f.kind == "fk":
                value, display = str(v[0]), js(v[1])
            elif f.kind == "choice":
                value, display = js(v), js(f.choices.get(v, v))
            elif f.kind == "date":  # ISO dates: nothing to escape
                value = display = '"' + v + '"'
            elif f.kind == "decimal":  # the stored decimal string, shown as `format_amount` writes it
                value, display = '"' + v + '"', '"' + format_amount(v) + '"'
            elif f.mask:  # personal: sealed as laowu/review/fields.py seals it
                context = f"{SNAPSHOT_CONTEXT}.{f.name}"
                value, display = js(seal(v, context=context)), js(seal(v, context=context))
            else:
                value = display = js(v)
            parts.append(
                f.head
                + value
                + ', "display": '
                + display
                + ', "provider": '
                + ("true" if f.name in provider else "false")
                + ', "mask": "'
                + f.mask
                + '"}'
            )
        files = [
            '{"kind": '
            + js(kind)
            + ', "kind_label": '
            + js(self.kind_labels.get(kind, kind))
            + ', "name": '
            + js(blob.name)
            + ', "sha256": "'
            + blob.sha256
            + '", "size": '
            + str(blob.size)
            + "}"
            for kind, blob in sorted(attachments, key=lambda a: a[0])
        ]
        return (
            '{"type": "'
            + self.filing_type
            + '", "label": '
            + js(self.label)
            + ', "title": '
            + js(title)
            + ', "fields": ['
            + ", ".join(parts)
            + '], "attachments": ['
            + ", ".join(files)
            + "]}"
        )


# ============================================================================ workflow scenarios

PENDING, APPROVED, REJECTED, WITHDRAWN, SUPERSEDED, REVOKED = (
    "pending",
    "approved",
    "rejected",
    "withdrawn",
    "superseded",
    "revoked",
)


@dataclasses.dataclass(frozen=True)
class Scenario:
    """One path through the workflow: the submissions' final statuses and where the filing ends."""

    code: str
    statuses: tuple[str, ...]
    state: str
    approved: int | None = None  # index of the revision in approved_submission
    pending: int | None = None  # index of the revision in pending_submission

    @property
    def active(self) -> bool:
        """`Filing.is_active`: declared, or a valid approved revision."""
        return self.state == "declared" or (self.approved is not None and self.state != "deregistered")

    @property
    def usable(self) -> bool:
        """A person a project may name: approved revision, not deregistered."""
        return self.approved is not None and self.state != "deregistered"


SCENARIOS = {
    s.code: s
    for s in (
        Scenario("approved", (APPROVED,), "approved", approved=0),
        Scenario("approved_changed", (SUPERSEDED, APPROVED), "approved", approved=1),
        Scenario("approved_after_reject", (REJECTED, APPROVED), "approved", approved=1),
        Scenario("declared", (PENDING,), "declared", pending=0),
        Scenario("declared_after_reject", (REJECTED, PENDING), "declared", pending=1),
        Scenario("declared_change", (APPROVED, PENDING), "declared", approved=0, pending=1),
        Scenario("rejected", (REJECTED,), "rejected"),
        Scenario("rejected_change", (APPROVED, REJECTED), "rejected", approved=0),
        Scenario("draft", (), "draft"),
        Scenario("withdrawn", (WITHDRAWN,), "draft"),
        Scenario("changing", (APPROVED,), "draft", approved=0),  # a 变更 being edited
        Scenario("deregistered", (REVOKED,), "deregistered", approved=0),
    )
}
_FILING_MIX = {
    "approved": 69.5,
    "approved_changed": 6,
    "approved_after_reject": 4,
    "declared": 6,
    "declared_after_reject": 1,
    "declared_change": 1.5,
    "rejected": 3.5,
    "rejected_change": 0.5,
    "draft": 5,
    "withdrawn": 1,
    "changing": 2,
}
# Personnel also leave: 注销. Taken from the plain approvals so the approved share stays ~70%.
_PERSON_MIX = {**_FILING_MIX, "approved": 64.5, "deregistered": 5}
FILING_MIX = weighted((SCENARIOS[code], w) for code, w in _FILING_MIX.items())
PERSON_MIX = weighted((SCENARIOS[code], w) for code, w in _PERSON_MIX.items())


@dataclasses.dataclass
class Revision:
    status: str
    declared: int
    decided: int | None
    changed: int  # status_changed_at


def timeline(rng: random.Random, scenario: Scenario, lo: int, hi: int) -> tuple[int, list[Revision], int]:
    """(created, revisions, updated) for a filing created no earlier than `lo`, everything before `hi`.

    A pending revision is recent (a queue is worked within weeks), the rest spread out."""
    lo = min(lo, hi - 2 * DAY)
    n = len(scenario.statuses)
    created = lo + int(rng.random() * (hi - lo) * (0.8 if n else 1.0))
    if not n:
        return created, [], created + int(rng.random() * min(3 * DAY, hi - created))
    times = sorted(created + 600 + int(rng.random() * (hi - created - 600)) for _ in range(n))
    if scenario.statuses[-1] == PENDING:
        recent = hi - int(rng.random() * 30 * DAY)
        floor = times[-2] + 2 * DAY if n > 1 else created + 600
        times[-1] = max(min(recent, hi - 60), floor) if floor < hi else hi - 60
        if n > 1 and times[-2] >= times[-1]:
            times[-2] = max(created + 300, times[-1] - DAY)
    revisions = []
    for i, status in enumerate(scenario.statuses):
        declared = times[i]
        limit = times[i + 1] if i + 1 < n else hi
        room = max(60, limit - declared)
        decided = None
        if status != PENDING and status != WITHDRAWN:
            decided = declared + min(int(HOUR + rng.random() * 5 * DAY), room // 2)
        changed = declared if decided is None else decided
        if status == WITHDRAWN:
            changed = declared + min(int(rng.random() * 2 * DAY), room // 2)
        revisions.append(Revision(status, declared, decided, changed))
    for i, rev in enumerate(revisions):
        if rev.status == SUPERSEDED and i + 1 < n:
            rev.changed = revisions[i + 1].decided or rev.changed
        elif rev.status == REVOKED:
            rev.changed = rev.decided + int(rng.random() * (hi - rev.decided)) if rev.decided else rev.declared
    last = revisions[-1]
    updated = max(last.changed, last.decided or 0, last.declared)
    if scenario.state == "draft" and scenario.approved is not None:  # a 变更 started after approval
        updated = updated + int(rng.random() * (hi - updated))
    return created, revisions, min(updated, hi)


# ============================================================================ blobs


@dataclasses.dataclass(frozen=True)
class Blob:
    sha256: str
    size: int
    name: str  # the original file name attachments show


# kind → (file name on upload, heading printed in the PDF). "old" is the file a 变更 replaced.
SAMPLE_FILES = {
    "business_license": ("营业执照副本.pdf", "营业执照（副本）"),
    "qualification": ("施工劳务资质证书.pdf", "施工劳务资质证书"),
    "safety_license": ("安全生产许可证.pdf", "安全生产许可证"),
    "id_card": ("身份证正反面.pdf", "居民身份证（正反面）"),
    "certificate": ("证书扫描件.pdf", "考核合格证书 / 培训合格证书"),
    "subcontract": ("劳务分包合同.pdf", "建设工程施工劳务分包合同"),
    "evidence": ("整改证明材料.pdf", "整改情况说明及现场照片"),
    "old": ("扫描件（旧）.pdf", "原扫描件"),
}
# Attachment kind of a filing type → the sample file it points at.
KIND_FILES = {
    "business_license": "business_license",
    "qualification": "qualification",
    "safety_license": "safety_license",
    "other": "old",
    "id_card": "id_card",
    "safety_cert": "certificate",
    "training_cert": "certificate",
    "labour_contract": "subcontract",
    "social_insurance": "evidence",
    "subcontract": "subcontract",
    "decision": "evidence",
    "evidence": "evidence",
    "support": "evidence",
}


def sample_pdf(heading: str) -> bytes:
    """A real one-page PDF (WeasyPrint, the sheets' renderer) saying it is sample data."""
    import weasyprint

    html = (
        "<html><head><meta charset='utf-8'><style>@page{size:A4;margin:30mm}"
        "body{font-family:'Noto Sans CJK SC','Noto Serif CJK SC',sans-serif}"
        "h1{font-size:24pt}p{font-size:12pt;color:#555}</style></head><body>"
        f"<h1>{heading}</h1><p>样例附件：由 generate_scale_data 生成的规模测试数据，不是真实证照或合同。</p>"
        "</body></html>"
    )
    return weasyprint.HTML(string=html).write_pdf()


def store_samples() -> dict[str, Blob]:
    """Store the sample PDFs the way an upload is stored (validated, content-addressed)."""
    from laowu.documents.storage import store_blob
    from laowu.documents.validation import validate_pdf

    blobs = {}
    for key, (name, heading) in SAMPLE_FILES.items():
        data = sample_pdf(heading)
        validate_pdf(data)
        blob = store_blob(data, content_type="application/pdf")
        blobs[key] = Blob(blob.sha256, blob.size, name)
    return blobs


# ============================================================================ the plan


@dataclasses.dataclass(frozen=True)
class Sizes:
    enterprises: int
    people: int
    contracts: int
    seed: int = DEFAULT_SEED

    @property
    def safety_officers(self) -> int:
        return round(self.people * SAFETY_SHARE)

    @property
    def wage_managers(self) -> int:
        return self.people - self.safety_officers

    @property
    def projects(self) -> int:
        return self.contracts // 2  # every even-numbered contract is filed: project id = contract id / 2

    def chunk_count(self, stage: str) -> int:
        if stage == "supervision":
            return 1
        total = self.stage_total(stage)
        return -(-total // CHUNK_SIZES[stage])

    def stage_total(self, stage: str) -> int:
        return {
            "enterprises": self.enterprises,
            "safety_officers": self.safety_officers,
            "wage_managers": self.wage_managers,
            "contracts": self.contracts,
            "supervision": 1,
        }[stage]


@dataclasses.dataclass
class Context:
    """What a run reads from the database once: ids the generated rows refer to."""

    anchor: int  # epoch second everything is dated back from (the dataset's start)
    districts: list[int]  # district id per DISTRICTS entry
    content_types: dict[str, int]
    blobs: dict[str, Blob]
    password: str
    reviewer_ids: list[int]
    supervisor_id: int
    links: dict[str, str]


class Plan:
    """Everything a chunk needs that is not its own: the enterprises (names, codes, districts,
    when their 基本信息 was first approved), how people and contracts are spread over them,
    and which people a project may name. Built identically by every run from the seed, in the
    parent process before the workers fork, so the workers share it."""

    def __init__(self, sizes: Sizes, ctx: Context) -> None:
        from laowu.contracts.models import CATALOGUE_FIELDS, ProjectFiling
        from laowu.enterprises.models import BasicInfo
        from laowu.personnel.models import SafetyOfficer, WageManager

        self.sizes = sizes
        self.ctx = ctx
        self.seed = sizes.seed
        self.hi = ctx.anchor - HOUR
        self.lo = ctx.anchor - SPAN_DAYS * DAY
        self.today = local_day(ctx.anchor)
        self.specs = {
            "basic_info": SnapshotSpec.of(BasicInfo),
            "safety_officer": SnapshotSpec.of(SafetyOfficer),
            "wage_manager": SnapshotSpec.of(WageManager),
            "project": SnapshotSpec.of(ProjectFiling),
        }
        self.project_provider = frozenset(CATALOGUE_FIELDS)
        models = {"basic_info": BasicInfo, "safety_officer": SafetyOfficer, "wage_manager": WageManager}
        # Date fields 通过 copies into indexed `approved_<name>` columns (Filing.APPROVED_COPIES).
        self.copies: dict[str, tuple[tuple[str, str], ...]] = {
            ftype: tuple(getattr(model, "APPROVED_COPIES", {}).items())
            for ftype, model in {**models, "project": ProjectFiling}.items()
        }
        self.kinds = {
            "basic_info": BasicInfo.ATTACHMENT_KINDS,
            "safety_officer": SafetyOfficer.ATTACHMENT_KINDS,
            "wage_manager": WageManager.ATTACHMENT_KINDS,
            "project": ProjectFiling.ATTACHMENT_KINDS,
        }
        self._build_enterprises()
        self.so_scatter = Scatter.of(sizes.safety_officers, 1)
        self.wm_scatter = Scatter.of(sizes.wage_managers, 2)
        self.ct_scatter = Scatter.of(sizes.contracts, 3)
        self.so_prefix = self._spread(sizes.safety_officers, self.people_weight)
        self.wm_prefix = self._spread(sizes.wage_managers, self.people_weight)
        self.ct_prefix = self._spread(sizes.contracts, self.contract_weight)
        self.so_usable = self._usable(TAG_SAFETY, self.so_prefix, self.so_scatter)
        self.wm_usable = self._usable(TAG_WAGE, self.wm_prefix, self.wm_scatter)
        self._contractors()

    # ------------------------------------------------------------ enterprises

    def _build_enterprises(self) -> None:
        n = self.sizes.enterprises
        rng = rng_for(self.seed, TAG_ENTERPRISE)
        districts, dcum = weighted((i, d[3]) for i, d in enumerate(DISTRICTS))
        suffixes, scum = weighted(COMPANY_SUFFIXES)
        self.e_name: list[str] = [""]
        self.e_code: list[str] = [""]
        self.e_district: list[int] = [0]
        self.e_created: list[int] = [0]
        self.e_contact: list[str] = [""]
        self.e_phone: list[str] = [""]
        self.e_confirmed: list[bool] = [False]
        self.e_scenario: list[Scenario] = [SCENARIOS["draft"]]
        self.e_ready: list[int | None] = [None]  # when 基本信息 was first approved
        self.people_weight: list[float] = [0.0]
        self.contract_weight: list[float] = [0.0]
        used: set[str] = set()
        trade = TRADE_CHARS
        for e in range(1, n + 1):
            d = pick(districts, dcum, rng.random())
            code, district, city, _, _ = DISTRICTS[d]
            short_city = city[:-1]
            for attempt in range(20):
                zihao = trade[int(rng.random() * len(trade))] + trade[int(rng.random() * len(trade))]
                if attempt > 8 or rng.random() < 0.08:
                    zihao += trade[int(rng.random() * len(trade))]
                style = rng.random()
                if style < 0.55:
                    prefix = short_city
                elif style < 0.8:
                    prefix = short_city + district.split("（")[0].removesuffix("区").removesuffix("市")
                else:
                    prefix = "江苏"
                name = prefix + zihao + pick(suffixes, scum, rng.random())
                if name not in used:
                    break
            used.add(name)
            self.e_name.append(name)
            self.e_code.append(make_credit_code(code, e))
            self.e_district.append(d)
            # Registrations spread over the three years, a little busier at launch.
            u = rng.random()
            u = u * u if rng.random() < 0.25 else u
            self.e_created.append(self.lo + int(u * (self.hi - 10 * DAY - self.lo)))
            self.e_contact.append(person_name(rng, rng.random() < 0.7))
            self.e_phone.append(make_mobile(e * 7, e * 48_271 + 12_345_678))
            self.e_confirmed.append(rng.random() < 0.92)
            scenario = pick(*FILING_MIX, unit(mix(self.seed, TAG_SCENARIO, TAG_BASIC, e)))
            self.e_scenario.append(scenario)
            _, revs, _ = self.basic_timeline(e)
            ready = next((r.decided for r in revs if r.status in (APPROVED, SUPERSEDED, REVOKED)), None)
            self.e_ready.append(ready)
            # Sizes are skewed: most enterprises are small, a few employ hundreds.
            w = rng.lognormvariate(0, 1.25)
            if ready is None:
                w *= 0.05  # not yet through 基本信息: a few draft people at most
            self.people_weight.append(w)
            self.contract_weight.append(w**0.8 * (0.5 + rng.random()))

    def copy_columns(self, ftype: str) -> str:
        return "".join(" " + column for _, column in self.copies[ftype])

    def basic_timeline(self, e: int) -> tuple[int, list[Revision], int]:
        rng = rng_for(self.seed, TAG_BASIC, e, 1)
        return timeline(rng, self.e_scenario[e], self.e_created[e] + 600, self.hi)

    # ------------------------------------------------------------ spreading rows over enterprises

    def _spread(self, total: int, weights: list[float]) -> list[int]:
        """prefix[e] = rows of enterprises 1..e; enterprise e owns indexes prefix[e-1]..prefix[e]-1."""
        s = sum(weights)
        prefix = [0]
        acc = 0.0
        for w in weights[1:]:
            acc += w
            prefix.append(round(total * acc / s) if s else 0)
        prefix[-1] = total
        return prefix

    def owner(self, prefix: list[int], scatter: Scatter, pk: int) -> int:
        return bisect.bisect_right(prefix, scatter.index_of(pk))

    def person_scenario(self, tag: int, pk: int, e: int) -> Scenario:
        if self.e_ready[e] is None:
            return SCENARIOS["draft"]  # 基本信息 not approved: people can only be drafted
        return pick(*PERSON_MIX, unit(mix(self.seed, TAG_SCENARIO, tag, pk)))

    def _usable(self, tag: int, prefix: list[int], scatter: Scatter) -> tuple[list[int], list[int]]:
        """(offsets, ids): the people each enterprise's projects may name (approved, not deregistered)."""
        offsets, ids = [0], []
        for e in range(1, self.sizes.enterprises + 1):
            if self.e_ready[e] is not None:
                for i in range(prefix[e - 1], prefix[e]):
                    pk = scatter.id_of(i)
                    if self.person_scenario(tag, pk, e).usable:
                        ids.append(pk)
            offsets.append(len(ids))
        return offsets, ids

    @staticmethod
    def pick_usable(which: tuple[list[int], list[int]], e: int, u: float) -> int | None:
        """One of the enterprise's usable people (u in [0, 1)), None when it has none."""
        offsets, ids = which
        lo, hi = offsets[e - 1], offsets[e]
        return ids[lo + int(u * (hi - lo))] if hi > lo else None

    def _contractors(self) -> None:
        rng = rng_for(self.seed, TAG_CONTRACT)
        trade = TRADE_CHARS
        cities = sorted({d[2] for d in DISTRICTS})

        def firm(kinds: tuple[str, ...]) -> str:
            place = rng.choice(["江苏", "江苏", "中建", *[c[:-1] for c in cities]])
            return (
                place
                + trade[int(rng.random() * len(trade))]
                + trade[int(rng.random() * len(trade))]
                + rng.choice(kinds)
            )

        self.contractors = [firm(CONTRACTOR_KINDS) for _ in range(400)]
        self.builders = [firm(BUILDER_KINDS) for _ in range(1500)]


def person_name(rng: random.Random, male: bool) -> str:
    r = rng.random()
    if r < 0.004:
        surname = COMPOUND_SURNAMES[int(rng.random() * len(COMPOUND_SURNAMES))]
    else:
        # Common surnames are common: the pool is ordered by frequency.
        surname = SURNAMES[int(len(SURNAMES) * rng.random() ** 2.2)]
    chars = MALE_CHARS if male else FEMALE_CHARS
    given = chars[int(rng.random() * len(chars))]
    if rng.random() < 0.72:
        given += chars[int(rng.random() * len(chars))]
    return surname + given


# ============================================================================ chunk output


class Tables:
    """COPY text per table, in the order written (FK checks are deferred to commit anyway)."""

    def __init__(self) -> None:
        self.columns: dict[str, tuple[str, ...]] = {}
        self.lines: dict[str, list[str]] = {}

    def table(self, name: str, columns: str) -> list[str]:
        if name not in self.lines:
            self.columns[name] = tuple(columns.split())
            self.lines[name] = []
        return self.lines[name]

    @property
    def rows(self) -> int:
        return sum(len(v) for v in self.lines.values())


USER_COLS = (
    "id password last_login is_superuser username first_name last_name email is_staff is_active date_joined role "
    "display_name phone password_changed_at enterprise_id must_change_password phone_index"
)


def sealed_or_empty(value: str, context: str) -> str:
    """A personal value as laowu/core/fields.py SealedCharField stores it ("" stays "")."""
    return seal(value, context=context) if value else ""


FILING_COLS = (
    "id state revision last_reject_reason created_at updated_at enterprise_id pending_submission_id "
    "approved_submission_id"
)
SUBMISSION_COLS = (
    "id filing_type_id filing_id enterprise_id revision title snapshot status declared_by_id declared_at "
    "decided_by_id decided_at reason verify_token status_changed_at"
)
ATTACHMENT_COLS = "id filing_type_id filing_id kind blob_id original_name uploaded_by_id uploaded_at"
# The chain columns are left empty here and sealed in id order at the end (finalize): chunks
# are written in parallel, and each row's hash needs the one before it.
AUDIT_COLS = (
    "id created_at user_id username role ip action object_type object_id object_repr result detail "
    "seq prev_hash row_hash mac alg key_id"
)
MESSAGE_COLS = "id enterprise_id title body link created_at read_at"


@dataclasses.dataclass
class FilingRows:
    """What one filing contributes: the filing's own workflow columns, plus submissions and attachments."""

    state: str
    revision: int
    reason: str
    created: int
    updated: int
    pending_id: int | None
    approved_id: int | None
    approved_values: dict[str, Any] | None  # the field values of the approved revision


class Writer:
    """Builds one chunk's COPY text."""

    def __init__(self, plan: Plan, stage: str, chunk: int) -> None:
        self.plan = plan
        self.ctx = plan.ctx
        self.out = Tables()
        self.rng = rng_for(plan.seed, TAG_CHUNK, STAGES.index(stage), chunk)

    # ------------------------------------------------------------ workflow rows shared by every filing type

    def filing(
        self,
        *,
        ftype: str,
        filing_id: int,
        sub_base: int,
        att_base: int,
        enterprise: int,
        scenario: Scenario,
        created: int,
        revisions: list[Revision],
        updated: int,
        title: str,
        live: dict[str, Any],
        variant: dict[str, Any],
        provider: frozenset[str],
        complete: bool,
    ) -> FilingRows:
        plan, rng, ctx = self.plan, self.rng, self.ctx
        spec = plan.specs[ftype]
        ct = ctx.content_types[ftype]
        blobs = ctx.blobs
        # Live attachments: one per required kind (a draft may lack some), optional ones sometimes.
        live_files: list[tuple[str, Blob]] = []
        for kind in plan.kinds[ftype]:
            if kind.required:
                if complete or rng.random() < 0.5:
                    live_files.append((kind.code, blobs[KIND_FILES[kind.code]]))
            elif rng.random() < 0.12:
                live_files.append((kind.code, blobs[KIND_FILES[kind.code]]))
        # An earlier revision had another file in the first slot (and the variant's field values).
        old_files = list(live_files)
        if old_files:
            old_files[0] = (old_files[0][0], blobs["old"])
        first_event = revisions[0].declared if revisions else updated
        user = enterprise  # the enterprise's account has the enterprise's id
        att = self.out.table("documents_attachment", ATTACHMENT_COLS)
        for slot, (kind, blob) in enumerate(live_files):
            uploaded = created + int(rng.random() * max(60, first_event - created))
            att.append(
                f"{att_base + (filing_id - 1) * ATT_STRIDE + slot + 1}\t{ct}\t{filing_id}\t{kind}\t{blob.sha256}\t"
                f"{blob.name}\t{user}\t{ts(uploaded)}"
            )
        subs = self.out.table("review_submission", SUBMISSION_COLS)
        reason = ""
        n = len(revisions)
        for i, rev in enumerate(revisions):
            pk = sub_base + (filing_id - 1) * SUB_STRIDE + i + 1
            is_live = i == n - 1 and scenario.code != "changing"
            snapshot = spec.render(title, live if is_live else variant, provider, live_files if is_live else old_files)
            decided_by = ctx.reviewer_ids[int(rng.random() * len(ctx.reviewer_ids))] if rev.decided else None
            rev_reason = REJECT_REASONS[int(rng.random() * len(REJECT_REASONS))] if rev.status == REJECTED else ""
            if rev_reason and i == n - 1:
                reason = rev_reason
            token = secrets.token_urlsafe(24) if rev.status in (APPROVED, SUPERSEDED, REVOKED) else None
            subs.append(
                f"{pk}\t{ct}\t{filing_id}\t{enterprise}\t{i + 1}\t{esc(title[:200])}\t{esc(snapshot)}\t{rev.status}\t"
                f"{user}\t{ts(rev.declared)}\t{opt(decided_by)}\t{ts(rev.decided) if rev.decided else NULL}\t"
                f"{esc(rev_reason)}\t{opt(token)}\t{ts(rev.changed)}"
            )
        sub_id = sub_base + (filing_id - 1) * SUB_STRIDE + 1
        approved_values = None
        if scenario.approved is not None:
            live_is_approved = scenario.approved == n - 1 and scenario.code != "changing"
            approved_values = live if live_is_approved else variant
        return FilingRows(
            state=scenario.state,
            revision=n,
            reason=reason if scenario.state == "rejected" else "",
            created=created,
            updated=updated,
            pending_id=sub_id + scenario.pending if scenario.pending is not None else None,
            approved_id=sub_id + scenario.approved if scenario.approved is not None else None,
            approved_values=approved_values,
        )

    def approved_copies(self, ftype: str, rows: FilingRows) -> str:
        """The `Filing.APPROVED_COPIES` columns: what 通过 copies from the approved revision."""
        copies = self.plan.copies[ftype]
        if not copies:
            return ""
        values = rows.approved_values or {}
        return "\t" + "\t".join(opt(values.get(field) or None) for field, _ in copies)

    @staticmethod
    def filing_cols(filing_id: int, enterprise: int, rows: FilingRows) -> str:
        return (
            f"{filing_id}\t{rows.state}\t{rows.revision}\t{esc(rows.reason)}\t{ts(rows.created)}\t{ts(rows.updated)}\t"
            f"{enterprise}\t{opt(rows.pending_id)}\t{opt(rows.approved_id)}"
        )

    def date_between(self, lo: int, hi: int) -> int:
        return lo + int(self.rng.random() * max(1, hi - lo))

    def audit(
        self,
        pk: int,
        t: int,
        user: int | None,
        username: str,
        role: str,
        action: str,
        obj: tuple[str, int, str],
        detail: str,
    ) -> None:
        rows = self.out.table("audit_auditevent", AUDIT_COLS)
        ip = f"10.{(pk >> 16) & 255}.{(pk >> 8) & 255}.{pk & 255 or 1}"
        rows.append(
            f"{pk}\t{ts(t)}\t{opt(user)}\t{username}\t{role}\t{ip}\t{action}\t{obj[0]}\t{obj[1]}\t{esc(obj[2][:200])}\t"
            f"success\t{esc(detail)}\t{NULL}\t\t\t\t\t"
        )


# ============================================================================ stage: enterprises


COMPANY_TYPE_MIX = weighted(COMPANY_TYPES)


def write_enterprises(plan: Plan, chunk: int) -> Tables:
    w = Writer(plan, "enterprises", chunk)
    ctx, rng, out = plan.ctx, w.rng, w.out
    first = chunk * CHUNK_SIZES["enterprises"] + 1
    last = min(plan.sizes.enterprises, first + CHUNK_SIZES["enterprises"] - 1)
    ent = out.table(
        "enterprises_enterprise",
        "id name credit_code district_id provider_confirmed provider_data provider_checked_at contact_name "
        "contact_phone created_at",
    )
    users = out.table("accounts_user", USER_COLS)
    infos = out.table(
        "enterprises_basicinfo",
        FILING_COLS + " " + " ".join(f.name for f in plan.specs["basic_info"].fields) + plan.copy_columns("basic_info"),
    )
    messages = out.table("supervision_message", MESSAGE_COLS)
    spec = plan.specs["basic_info"]
    link = ctx.links["basic_info"]
    from laowu.enterprises.models import PROVIDER_FIELDS

    for e in range(first, last + 1):
        d = plan.e_district[e]
        code, district, city, _, towns = DISTRICTS[d]
        name, credit, created = plan.e_name[e], plan.e_code[e], plan.e_created[e]
        contact, phone = plan.e_contact[e], plan.e_phone[e]
        town = towns[int(rng.random() * len(towns))] if towns else STREETS[int(rng.random() * len(STREETS))]
        road = ROADS[int(rng.random() * len(ROADS))]
        address = f"{city}{district.split('（')[0]}{town}{road}{1 + int(rng.random() * 1200)}号"
        office = address
        if rng.random() < 0.4:
            office = address + f"{rng.choice(BUILDINGS)}{1 + int(rng.random() * 20)}层{100 + int(rng.random() * 30)}室"
        established = local_day(created) - int(rng.random() * 12 * YEAR_DAYS) - 30
        term_to = None if rng.random() < 0.55 else established + int(rng.choice((20, 30, 50)) * 365.25) - 1
        legal = person_name(rng, rng.random() < 0.85)
        authority = f"{city}{district.split('（')[0]}" + ("行政审批局" if rng.random() < 0.6 else "市场监督管理局")
        provider_values = {
            "name": name,
            "credit_code": credit,
            "legal_representative": legal,
            "registered_capital": CAPITALS[int(rng.random() * len(CAPITALS))],
            "established_date": day_iso(established),
            "company_type": pick(*COMPANY_TYPE_MIX, rng.random()),
            "registration_authority": authority,
            "business_status": "存续" if rng.random() < 0.8 else "在业",
            "registered_address": address,
            "business_scope": BUSINESS_SCOPE,
            "business_term_from": day_iso(established),
            "business_term_to": day_iso(term_to) if term_to else None,
        }
        confirmed = plan.e_confirmed[e]
        provider_data = json.dumps(provider_values, ensure_ascii=False) if confirmed else "{}"
        ent.append(
            f"{e}\t{name}\t{credit}\t{ctx.districts[d]}\t{'t' if confirmed else 'f'}\t{esc(provider_data)}\t"
            f"{ts(created)}\t{contact}\t{sealed_or_empty(phone, 'enterprises.enterprise.contact_phone')}\t"
            f"{ts(created)}"
        )
        last_login = ts(plan.hi - int(rng.random() * 60 * DAY)) if rng.random() < 0.6 else NULL
        # Passwords are changed every 90 days (laowu/accounts/passwords.py): the last change
        # falls within the 60 days before the dataset's start, so its accounts log in.
        changed = max(created, plan.hi - (e % 60) * DAY)
        users.append(
            f"{e}\t{ctx.password}\t{last_login}\tf\t{credit}\t\t\t\tf\tt\t{ts(created)}\tenterprise\t{contact}\t"
            f"{sealed_or_empty(phone, 'accounts.user.phone')}\t{ts(changed)}\t{e}\tf\t"
            f"{index_value(phone, context=PHONE_INDEX_CONTEXT)}"
        )
        # ---- 基本信息
        scenario = plan.e_scenario[e]
        created_bi, revisions, updated = plan.basic_timeline(e)
        today = plan.today
        # Licences: some about to expire, some expired (the reminders' and dashboard's buckets).
        q_until = today + int(rng.random() * 3 * YEAR_DAYS) - 120
        s_until = today + int(rng.random() * 3 * YEAR_DAYS) - 90
        if scenario.pending is not None:  # a declared revision had valid licences when declared
            q_until, s_until = max(q_until, today + 120), max(s_until, today + 120)
        live: dict[str, Any] = {
            **provider_values,
            "business_term_to": provider_values["business_term_to"],
            "registration_place": "in_district" if code == COMMITTEE_DISTRICT else "out_of_district",
            "office_address": office,
            "contact_name": contact,
            "contact_phone": phone,
            "principal": legal if rng.random() < 0.6 else person_name(rng, True),
            "employee_count": 20 + int(rng.random() ** 2 * 800),
            "qualification_no": f"D3{code[:2]}{(e * 7919) % 1_000_000:06d}",
            "qualification_issuer": f"{city}住房和城乡建设局",
            "qualification_valid_until": day_iso(q_until),
            "safety_license_no": (
                f"（苏）JZ安许证字〔{dt.date.fromordinal(s_until).year - 3}〕{(e * 104_729) % 1_000_000:06d}"
            ),
            "safety_license_valid_until": day_iso(s_until),
        }
        complete = scenario.code != "draft" or rng.random() < 0.5
        if not complete:
            for f in ("office_address", "principal", "employee_count", "qualification_no", "qualification_issuer"):
                live[f] = None if f == "employee_count" else ""
            live["qualification_valid_until"] = live["safety_license_valid_until"] = None
            live["safety_license_no"] = ""
        variant = dict(live)
        variant["contact_phone"] = make_mobile(e * 13 + 5, e * 69_621 + 3_141_592)
        variant["office_address"] = address
        provider = frozenset(f for f in PROVIDER_FIELDS if confirmed and provider_values.get(f) not in (None, ""))
        rows = w.filing(
            ftype="basic_info",
            filing_id=e,
            sub_base=0,
            att_base=0,
            enterprise=e,
            scenario=scenario,
            created=created_bi,
            revisions=revisions,
            updated=updated,
            title=name,
            live=live,
            variant=variant,
            provider=provider,
            complete=complete,
        )
        values = []
        for f in spec.fields:
            v = live.get(f.name)
            if f.name == "contact_phone":
                v = sealed_or_empty(v or "", "enterprises.basicinfo.contact_phone")
            values.append(NULL if v is None else esc(str(v)))
        infos.append(w.filing_cols(e, e, rows) + "\t" + "\t".join(values) + w.approved_copies("basic_info", rows))
        # ---- audit: registration, and each 申报 and decision of 基本信息
        a = (e - 1) * AUDIT_STRIDE + 1
        obj = ("enterprises.enterprise", e, name)
        w.audit(a, created, e, credit, "enterprise", "account.register", obj, '{"provider": "confirmed"}')
        for i, rev in enumerate(revisions):
            bi = ("enterprises.basicinfo", e, name)
            sub = (e - 1) * SUB_STRIDE + i + 1
            detail = f'{{"submission": {sub}, "revision": {i + 1}}}'
            w.audit(a + 1 + 2 * i, rev.declared, e, credit, "enterprise", "filing.declare", bi, detail)
            if rev.decided:
                reviewer = ctx.reviewer_ids[(e + i) % len(ctx.reviewer_ids)]
                action = "filing.reject" if rev.status == REJECTED else "filing.approve"
                w.audit(
                    a + 2 + 2 * i,
                    rev.decided,
                    reviewer,
                    REVIEWER_USERNAME.format(ctx.reviewer_ids.index(reviewer) + 1),
                    "reviewer",
                    action,
                    bi,
                    f'{{"submission": {sub}}}',
                )
        # ---- 站内消息: the decisions on 基本信息 and a few committee messages
        m = (e - 1) * MSG_STRIDE + 1
        for i, rev in enumerate(revisions[: MSG_STRIDE - 3]):
            if not rev.decided or rev.status == WITHDRAWN:
                continue
            if rev.status == REJECTED:
                title, body = (
                    "审核退回：企业基本信息",
                    "您单位申报的企业基本信息已被退回，请根据退回原因修改后重新申报。",
                )
            else:
                title, body = "审核通过：企业基本信息", "您单位申报的企业基本信息已审核通过，可以打印企业基本情况表。"
            read = ts(rev.decided + int(rng.random() * 3 * DAY)) if rng.random() < 0.8 else NULL
            messages.append(f"{m + i}\t{e}\t{title}\t{body}\t{link}\t{ts(rev.decided)}\t{read}")
        for k in range(int(rng.random() * 3)):
            t = w.date_between(max(created, plan.hi - 365 * DAY), plan.hi)
            title = NOTICE_TITLES[int(rng.random() * len(NOTICE_TITLES))]
            read = ts(t + int(rng.random() * 5 * DAY)) if rng.random() < 0.6 else NULL
            messages.append(f"{m + 5 + k}\t{e}\t{title}\t请登录平台查看通知公告：{title}。\t\t{ts(t)}\t{read}")
    return out


# ============================================================================ stage: personnel

EDUCATIONS = weighted(EDUCATION_WEIGHTS)
SAFETY_CATEGORY_MIX = weighted((("C1", 20), ("C2", 30), ("C3", 50)))
SAFETY_LIFETIME_DAYS = 3 * YEAR_DAYS  # 安全生产考核合格证书: valid three years


ID_AREAS = tuple(d[0] for d in DISTRICTS)
ID_FIRST_DAY = dt.date(1965, 1, 1).toordinal()
ID_DAYS = dt.date(2002, 12, 31).toordinal() - ID_FIRST_DAY + 1
ID_SPACE = len(ID_AREAS) * ID_DAYS * 500
ID_MUL = coprime_multiplier(ID_SPACE, 2_246_822_519)


def id_number(g: int, male: bool) -> str:
    """A GB 11643 身份证号 (江苏 area, born 1965-2002), injective in the person's global number g.

    g → (area, birth date, sequence / 2) is a permutation of a space far larger than any
    dataset, and the sequence's last bit is the sex (odd for men), so no two people share one."""
    x = (g * ID_MUL + 12_345) % ID_SPACE
    x, area = divmod(x, len(ID_AREAS))
    half, day = divmod(x, ID_DAYS)
    first17 = f"{ID_AREAS[area]}{dt.date.fromordinal(ID_FIRST_DAY + day):%Y%m%d}{half * 2 + (1 if male else 0):03d}"
    return first17 + id_number_check_char(first17)


def write_people(plan: Plan, stage: str, chunk: int) -> Tables:
    safety = stage == "safety_officers"
    ftype = "safety_officer" if safety else "wage_manager"
    table = "personnel_safetyofficer" if safety else "personnel_wagemanager"
    tag = TAG_SAFETY if safety else TAG_WAGE
    prefix, scatter = (plan.so_prefix, plan.so_scatter) if safety else (plan.wm_prefix, plan.wm_scatter)
    sizes = plan.sizes
    # Keys: submissions and attachments after the 基本信息 ones; a person's number among everyone.
    e_n, so_n = sizes.enterprises, sizes.safety_officers
    sub_base = SUB_STRIDE * (e_n if safety else e_n + so_n)
    att_base = ATT_STRIDE * (e_n if safety else e_n + so_n)
    g_base = 0 if safety else so_n
    w = Writer(plan, stage, chunk)
    rng, out = w.rng, w.out
    spec = plan.specs[ftype]
    people = out.table(
        table,
        FILING_COLS
        + " consent_confirmed_at "
        + " ".join(f.name for f in spec.fields)
        + plan.copy_columns(ftype)
        + " id_index",
    )
    claims = out.table("personnel_personclaim", "id id_index enterprise_id claimed_at")
    # 身份证号 and 手机号 sealed, the number indexed, as laowu/core/fields.py writes them.
    sealed = {name: f"personnel.{table.split('_', 1)[1]}.{name}" for name in ("id_number", "mobile")}
    size = CHUNK_SIZES[stage]
    first = chunk * size + 1
    last = min(sizes.stage_total(stage), first + size - 1)
    today = plan.today
    for pk in range(first, last + 1):
        e = plan.owner(prefix, scatter, pk)
        scenario = plan.person_scenario(tag, pk, e)
        prng = rng_for(plan.seed, tag, pk)
        male = prng.random() < (0.86 if safety else 0.62)
        name = person_name(prng, male)
        idn = id_number(g_base + pk - 1, male)
        lo = plan.e_ready[e] or plan.e_created[e]
        created, revisions, updated = timeline(rng, scenario, lo + 600, plan.hi)
        mobile = make_mobile(int(rng.random() * 1000), int(rng.random() * 100_000_000))
        live: dict[str, Any] = {
            "name": name,
            "gender": "男" if male else "女",
            "id_number": idn,
            "mobile": mobile,
            "education": pick(*EDUCATIONS, rng.random()),
        }
        if safety:
            until = today + int(rng.random() * (SAFETY_LIFETIME_DAYS + 240)) - 240
            if scenario.pending is not None:
                until = max(until, today + 100)
            issue = until - SAFETY_LIFETIME_DAYS
            category = pick(*SAFETY_CATEGORY_MIX, rng.random())
            live.update(
                cert_no=f"苏建安{category}({dt.date.fromordinal(issue).year}){(pk * 7_654_321) % 10_000_000:07d}",
                cert_category=category,
                issue_date=day_iso(issue),
                valid_until=day_iso(until),
                issuer="江苏省住房和城乡建设厅",
            )
        else:
            issue = min(today - 1, local_day(created) - int(rng.random() * 4 * YEAR_DAYS))
            year = dt.date.fromordinal(issue).year
            live.update(
                cert_no=f"LZ{year}-{(pk * 48_271) % 1_000_000:06d}",
                issue_date=day_iso(issue),
                issuer=rng.choice(("江苏省建筑行业协会", f"{DISTRICTS[plan.e_district[e]][2]}人力资源和社会保障局")),
            )
        complete = scenario.code != "draft" or rng.random() < 0.6
        if not complete:
            live["education"] = ""
            live["issue_date"] = None
            if safety:
                live["valid_until"] = None
        variant = dict(live, mobile=make_mobile(int(rng.random() * 1000), int(rng.random() * 100_000_000)))
        rows = w.filing(
            ftype=ftype,
            filing_id=pk,
            sub_base=sub_base,
            att_base=att_base,
            enterprise=e,
            scenario=scenario,
            created=created,
            revisions=revisions,
            updated=updated,
            title=name,
            live=live,
            variant=variant,
            provider=frozenset(),
            complete=complete,
        )
        consent = ts(created + 300) if complete or rng.random() < 0.5 else NULL
        values = []
        for f in spec.fields:
            v = live.get(f.name)
            if v and f.name in sealed:
                v = seal(str(v), context=sealed[f.name])
            values.append(NULL if v is None else str(v))
        id_index = index_value(idn, context=ID_INDEX_CONTEXT)
        people.append(
            w.filing_cols(pk, e, rows)
            + f"\t{consent}\t"
            + "\t".join(values)
            + w.approved_copies(ftype, rows)
            + f"\t{id_index}"
        )
        if scenario.active:
            claims.append(f"{g_base + pk}\t{id_index}\t{e}\t{ts(revisions[0].declared)}")
    return out


# ============================================================================ stage: contracts


def write_contracts(plan: Plan, chunk: int) -> Tables:
    sizes = plan.sizes
    e_n, people = sizes.enterprises, sizes.people
    sub_base = SUB_STRIDE * (e_n + people)
    att_base = ATT_STRIDE * (e_n + people)
    w = Writer(plan, "contracts", chunk)
    rng, out = w.rng, w.out
    spec = plan.specs["project"]
    catalogue = out.table(
        "contracts_cataloguecontract",
        "id project_code project_name project_location builder general_contractor contract_no subcontractor "
        "subcontractor_credit_code amount signed_date planned_start planned_end source imported_at updated_at",
    )
    projects = out.table(
        "contracts_projectfiling",
        FILING_COLS
        + " catalogue_id "
        + " ".join(f.name + ("_id" if f.kind == "fk" else "") for f in spec.fields)
        + plan.copy_columns("project"),
    )
    kinds, kcum = weighted(PROJECT_KINDS)
    phases, pcum = weighted(PROJECT_PHASES)
    size = CHUNK_SIZES["contracts"]
    first = chunk * size + 1
    last = min(sizes.contracts, first + size - 1)
    today = plan.today
    for cid in range(first, last + 1):
        e = plan.owner(plan.ct_prefix, plan.ct_scatter, cid)
        # Nothing outside this chunk needs a contract's own numbers: the chunk's generator will do.
        # Most sites are in the enterprise's district, one in five elsewhere in 江苏.
        crng = rng
        d = plan.e_district[e if crng.random() < 0.8 else 1 + int(crng.random() * sizes.enterprises)]
        code, district, city, _, towns = DISTRICTS[d]
        dname = district.split("（")[0]
        place = PROJECT_PLACES[int(crng.random() * len(PROJECT_PLACES))]
        project_name = dname + place + pick(kinds, kcum, crng.random()) + pick(phases, pcum, crng.random())
        town = towns[int(crng.random() * len(towns))] if towns else STREETS[int(crng.random() * len(STREETS))]
        location = f"{city}{dname}{town}{ROADS[int(crng.random() * len(ROADS))]}"
        signed = today - 3 - int(crng.random() * (SPAN_DAYS - 10))
        start = signed + 5 + int(crng.random() * 35)
        end = start + 180 + int(crng.random() * 720)
        signed_iso = day_iso(signed)
        year = signed_iso[:4]
        style = cid % 4
        if style == 0:
            contract_no = f"HT-{code[:4]}-{year}-{cid:07d}"
        elif style == 1:
            contract_no = f"LWFB-{year}-{cid:07d}"
        elif style == 2:
            contract_no = f"{code}LW{year}{cid:07d}"
        else:
            contract_no = f"SZLW{year}-{code[2:]}-{cid:07d}"
        cents = int(30_000 + crng.random() ** 2 * 3_000_000)
        amount = f"{cents // 100}.{cents % 100:02d}00"  # 万元, numeric(14, 4) as Django reads it back
        imported = min(plan.hi, day_start(signed) + int(DAY + crng.random() * 20 * DAY))
        builder = plan.builders[int(crng.random() * len(plan.builders))]
        contractor = plan.contractors[int(crng.random() * len(plan.contractors))]
        project_code = f"{code}{year}{signed_iso[5:7]}{cid:07d}"
        name, credit = plan.e_name[e], plan.e_code[e]
        source = "pull" if crng.random() < 0.15 else "import"
        catalogue.append(
            f"{cid}\t{project_code}\t{project_name}\t{location}\t{builder}\t{contractor}\t{contract_no}\t{name}\t"
            f"{credit}\t{amount}\t{signed_iso}\t{day_iso(start)}\t{day_iso(end)}\t{source}\t{ts(imported)}\t"
            f"{ts(imported)}"
        )
        if cid % 2:
            continue
        # ---- the enterprise's 项目信息归集 of this contract
        pid = cid // 2
        safety = plan.pick_usable(plan.so_usable, e, rng.random())
        wage = plan.pick_usable(plan.wm_usable, e, rng.random())
        if plan.e_ready[e] is None or safety is None or wage is None:
            scenario = SCENARIOS["draft"]  # cannot be declared: no approved 基本信息 or people to name
        else:
            scenario = pick(*FILING_MIX, unit(mix(plan.seed, TAG_SCENARIO, TAG_PROJECT, pid)))
        lo = max(imported, plan.e_ready[e] or plan.e_created[e])
        created, revisions, updated = timeline(rng, scenario, lo + 600, plan.hi)
        complete = scenario.code != "draft" or (safety is not None and wage is not None and rng.random() < 0.5)
        site_manager = person_name(rng, rng.random() < 0.9)
        live: dict[str, Any] = {
            "project_code": project_code,
            "project_name": project_name,
            "project_location": location,
            "builder": builder,
            "general_contractor": contractor,
            "contract_no": contract_no,
            "subcontractor": name,
            "subcontractor_credit_code": credit,
            "amount": amount,
            "signed_date": signed_iso,
            "planned_start": day_iso(start),
            "planned_end": day_iso(end),
            "site_manager": site_manager if complete else "",
            "site_manager_phone": make_mobile(int(rng.random() * 1000), int(rng.random() * 1e8)) if complete else "",
            "safety_officer": (safety, person_display(plan, TAG_SAFETY, safety)) if complete and safety else None,
            "wage_manager": (wage, person_display(plan, TAG_WAGE, wage)) if complete and wage else None,
            "planned_workers": 10 + int(rng.random() ** 2 * 400) if complete else None,
        }
        variant = dict(live, site_manager_phone=make_mobile(int(rng.random() * 1000), int(rng.random() * 1e8)))
        if live["planned_workers"]:
            variant["planned_workers"] = live["planned_workers"] + 10
        rows = w.filing(
            ftype="project",
            filing_id=pid,
            sub_base=sub_base,
            att_base=att_base,
            enterprise=e,
            scenario=scenario,
            created=created,
            revisions=revisions,
            updated=updated,
            title=project_name,
            live=live,
            variant=variant,
            provider=plan.project_provider,
            complete=complete,
        )
        values = []
        for f in spec.fields:
            v = live.get(f.name)
            if f.name == "site_manager_phone":
                v = sealed_or_empty(v or "", "contracts.projectfiling.site_manager_phone")
            values.append(NULL if v is None else str(v[0]) if f.kind == "fk" else str(v))
        projects.append(
            w.filing_cols(pid, e, rows) + f"\t{cid}\t" + "\t".join(values) + w.approved_copies("project", rows)
        )
    return out


_NAMES: dict[tuple[int, int], str] = {}


def person_display(plan: Plan, tag: int, pk: int) -> str:
    """str(person): the name, a pure function of the person's number (see write_people)."""
    name = _NAMES.get((tag, pk))
    if name is None:
        if len(_NAMES) > 400_000:
            _NAMES.clear()
        name = _NAMES[(tag, pk)] = _person_name(plan, tag, pk)
    return name


def _person_name(plan: Plan, tag: int, pk: int) -> str:
    prng = rng_for(plan.seed, tag, pk)
    male = prng.random() < (0.86 if tag == TAG_SAFETY else 0.62)
    return person_name(prng, male)


# ============================================================================ stage: supervision

REVIEW_NOTES = {"passed": "复查通过。", "returned": "整改不到位，请继续整改。"}


def write_supervision(plan: Plan, chunk: int) -> Tables:
    """Committee records in realistic proportions. Small, so one chunk; it reads the approved
    projects back from the database (the contracts stage is committed by then)."""
    from laowu.core.dates import add_months, add_years
    from laowu.supervision.bad_behaviour import DEFAULT_ISSUER
    from laowu.supervision.models import BAD_BEHAVIOUR_CATEGORIES, INSPECTION_ITEMS

    w = Writer(plan, "supervision", chunk)
    rng, out, ctx = w.rng, w.out, plan.ctx
    sizes = plan.sizes
    today = plan.today
    reviewers = ctx.reviewer_ids
    with connection.cursor() as cur:
        cur.execute(
            "SELECT id, enterprise_id, project_name FROM contracts_projectfiling "
            "WHERE approved_submission_id IS NOT NULL AND state <> 'deregistered' ORDER BY id"
        )
        approved_projects = cur.fetchall()
    ready = [e for e in range(1, sizes.enterprises + 1) if plan.e_ready[e] is not None]
    msg_id = sizes.enterprises * MSG_STRIDE
    att_id = ATT_STRIDE * (sizes.enterprises + sizes.people + sizes.projects)
    messages = out.table("supervision_message", MESSAGE_COLS)
    attachments = out.table("documents_attachment", ATTACHMENT_COLS)
    blobs = ctx.blobs

    def message(e: int, t: int, title: str, body: str, link: str) -> None:
        nonlocal msg_id
        msg_id += 1
        read = ts(t + int(rng.random() * 4 * DAY)) if rng.random() < 0.7 and t + 4 * DAY < plan.hi else NULL
        messages.append(f"{msg_id}\t{e}\t{esc(title[:100])}\t{esc(body)}\t{link}\t{ts(t)}\t{read}")

    def attach(model: str, pk: int, kind: str, user: int, t: int) -> None:
        nonlocal att_id
        att_id += 1
        blob = blobs[KIND_FILES[kind]]
        attachments.append(
            f"{att_id}\t{ctx.content_types[model]}\t{pk}\t{kind}\t{blob.sha256}\t{blob.name}\t{user}\t{ts(t)}"
        )

    # ---------------------------------------------------------------- 不良行为记录 (~1% of enterprises)
    bad = out.table(
        "supervision_badbehaviour",
        "id enterprise_id person_name person_id_number person_id_index grade category facts legal_basis decision_no "
        "decision_date "
        "points issuer publicity_start publicity_end status ended_early_on revoke_reason created_by_id created_at "
        "published_at revoked_at updated_at",
    )
    removals = out.table(
        "supervision_removalapplication",
        "id record_id enterprise_id rectification status created_by_id created_at submitted_at decided_by_id "
        "decided_at decision_note",
    )
    grades, gcum = weighted((("A", 15), ("B", 45), ("C", 40)))
    points_of = {"A": (10, 30), "B": (5, 15), "C": (1, 6)}
    n_bad = max(3, sizes.enterprises // 100)
    removal_id = 0
    for pk in range(1, n_bad + 1):
        e = ready[int(rng.random() * len(ready))] if ready else 1 + int(rng.random() * sizes.enterprises)
        grade = pick(grades, gcum, rng.random())
        category = BAD_BEHAVIOUR_CATEGORIES[int(rng.random() * len(BAD_BEHAVIOUR_CATEGORIES))][0]
        decision = today - 5 - int(rng.random() * (SPAN_DAYS - 200))
        start = decision + int(rng.random() * 10)
        start_d = dt.date.fromordinal(start)
        low = add_months(start_d, 6).toordinal() - 1
        high = add_years(start_d, 3).toordinal() - 1
        end = low + int(rng.random() * (high - low))
        status_roll = rng.random()
        status = "draft" if status_roll < 0.08 else "revoked" if status_roll < 0.15 else "published"
        if status == "draft":
            start = max(start, today + 1)  # a draft's publicity has not started
            start_d = dt.date.fromordinal(start)
            end = add_months(start_d, 12).toordinal() - 1
            decision = min(decision, today)
        lo_pts, hi_pts = points_of[grade]
        points = lo_pts + int(rng.random() * (hi_pts - lo_pts + 1))
        person, person_id = "", ""
        if category in ("certificate", "safety_accident") and rng.random() < 0.6:
            male = rng.random() < 0.85
            person, person_id = person_name(rng, male), id_number(sizes.people + pk, male)
        # Sealed and indexed as laowu/core/fields.py writes them.
        sealed_id = seal(person_id, context="supervision.badbehaviour.person_id_number") if person_id else ""
        id_index = index_value(person_id, context=ID_INDEX_CONTEXT)
        created = min(plan.hi - 3 * HOUR, day_start(decision) + 9 * HOUR)
        published = min(plan.hi, day_start(start) + 10 * HOUR) if status != "draft" else None
        revoked = None
        revoke_reason = ""
        ended_early = None
        if status == "revoked":
            revoked = min(plan.hi, published + int(rng.random() * 200 * DAY))
            revoke_reason = "经复核，原处理决定已被撤销。"
        elif status == "published":
            earliest = add_months(start_d, 3).toordinal()
            if start <= today <= end and today > earliest and rng.random() < 0.25:
                # 提前移出: approved early removal; the end moves to the day before.
                ended_early = earliest + int(rng.random() * (today - earliest))
                end = ended_early - 1
        issuer = DEFAULT_ISSUER if rng.random() < 0.6 else f"{DISTRICTS[plan.e_district[e]][2]}住房和城乡建设局"
        updated = max(t for t in (created, published or 0, revoked or 0) if t)
        bad.append(
            f"{pk}\t{e}\t{person}\t{sealed_id}\t{id_index}\t{grade}\t{category}\t{BAD_FACTS[category]}\t{LEGAL_BASIS}\t"
            f"相劳专罚〔{start_d.year}〕{pk:04d}号\t{day_iso(decision)}\t{points}\t{issuer}\t{day_iso(start)}\t"
            f"{day_iso(end)}\t{status}\t{day_iso(ended_early) if ended_early else NULL}\t{revoke_reason}\t"
            f"{reviewers[pk % len(reviewers)]}\t{ts(created)}\t{opt(published and ts(published))}\t"
            f"{opt(revoked and ts(revoked))}\t{ts(min(updated, plan.hi))}"
        )
        if rng.random() < 0.5:
            attach("bad_behaviour", pk, "decision", reviewers[pk % len(reviewers)], created + 600)
        if published:
            message(
                e,
                published,
                f"不良行为记录公示通知（相劳专罚〔{start_d.year}〕{pk:04d}号）",
                f"贵单位的不良行为记录自{start_d.year}年{start_d.month}月{start_d.day}日起公示。",
                ctx.links["bad_behaviour"].replace("999999999", str(pk)),
            )
        # 提前移出申请: approved for the records ended early; some pending, rejected or drafted for others.
        if status == "published" and (ended_early or rng.random() < 0.3):
            removal_id += 1
            sub_t = day_start(ended_early) - 5 * DAY if ended_early else published + int(rng.random() * 90 * DAY)
            sub_t = min(sub_t, plan.hi - DAY)
            if ended_early:
                status_r, decided = "approved", day_start(ended_early) + 10 * HOUR
            else:
                status_r = rng.choice(("pending", "pending", "rejected", "draft"))
                decided = sub_t + int(rng.random() * 5 * DAY) if status_r == "rejected" else None
            note = "整改到位，同意提前移出。" if status_r == "approved" else "整改材料不充分。" if decided else ""
            removals.append(
                f"{removal_id}\t{pk}\t{e}\t已按要求完成整改，工资已全部结清，相关人员已完成教育培训。\t{status_r}\t{e}\t"
                f"{ts(sub_t - DAY)}\t{ts(sub_t) if status_r != 'draft' else NULL}\t"
                f"{opt(decided and reviewers[0])}\t{opt(decided and ts(min(decided, plan.hi)))}\t{note}"
            )
            attach("removal", removal_id, "evidence", e, sub_t - DAY + 600)

    # ---------------------------------------------------------------- 现场检查 and 整改
    inspections = out.table(
        "supervision_inspection",
        "id project_id enterprise_id inspected_on inspectors scores total_score problems needs_rectification "
        "notice_no deadline status rounds replied_late created_by_id created_at issued_at closed_at updated_at "
        "verify_token",
    )
    replies = out.table(
        "supervision_rectification",
        "id inspection_id enterprise_id round content status created_by_id created_at submitted_at late "
        "reviewed_by_id reviewed_at review_note",
    )
    n_insp = min(len(approved_projects), max(5, sizes.contracts // 500))
    chosen = sorted(rng.sample(range(len(approved_projects)), n_insp)) if n_insp else []
    planned = []
    for idx in chosen:
        project, e, project_name = approved_projects[idx]
        inspected = today - int(rng.random() * 2 * YEAR_DAYS)
        planned.append((inspected, project, e, project_name))
    planned.sort()
    notice_seq: dict[int, int] = {}
    reply_id = 0
    for pk, (inspected, project, e, project_name) in enumerate(planned, start=1):
        scores = {}
        for code, _, full in INSPECTION_ITEMS:
            scores[code] = full - (int(rng.random() * (full // 2 + 1)) if rng.random() < 0.45 else 0)
        total = sum(scores.values())
        needs = total < 85 or rng.random() < 0.15
        problems = "；".join(rng.sample(INSPECTION_PROBLEMS, 2)) if needs else ""
        created = min(plan.hi - 2 * HOUR, day_start(inspected) + 15 * HOUR)
        draft = (inspected >= today - 3 and rng.random() < 0.5) or rng.random() < 0.03
        issued = None if draft else min(plan.hi, created + int(HOUR + rng.random() * 2 * DAY))
        deadline = inspected + 15 + int(rng.random() * 30) if needs else None
        status, rounds, late, closed, notice_no = "draft", 0, False, None, ""
        if issued and not needs:
            status, closed = "closed", issued
        elif issued:
            year = dt.date.fromordinal(local_day(issued)).year
            notice_seq[year] = notice_seq.get(year, 0) + 1
            notice_no = f"XCZG-{year}-{notice_seq[year]:04d}"
            message(
                e,
                issued,
                f"整改通知：{project_name}",
                f"区劳务专委会对“{project_name}”进行了现场检查，得分{total}分，"
                f"发现问题需要整改（整改通知书编号 {notice_no}）。",
                ctx.links["inspection"].replace("999999999", str(pk)),
            )
            # How far the rectification loop got depends on how long ago the notice went out.
            age = today - local_day(issued)
            returned = rng.random() < 0.2
            submitted_rounds = 0 if age < 5 and rng.random() < 0.6 else (2 if returned else 1)
            if deadline is not None and deadline < today - 20 and submitted_rounds == 0:
                submitted_rounds = 1  # old notices were answered (late or not)
            if rng.random() < 0.08:
                submitted_rounds = 0  # and a few never were: overdue
            t = issued
            status = "rectifying"
            for r in range(1, submitted_rounds + 1):
                sub_t = min(plan.hi - HOUR, t + int(DAY + rng.random() * 20 * DAY))
                is_late = deadline is not None and local_day(sub_t) > deadline
                late = late or is_late
                final = r == submitted_rounds
                reviewed = (
                    None if final and rng.random() < 0.25 else min(plan.hi, sub_t + int(HOUR + rng.random() * 4 * DAY))
                )
                r_status = "submitted" if reviewed is None else ("passed" if final else "returned")
                reply_id += 1
                replies.append(
                    f"{reply_id}\t{pk}\t{e}\t{r}\t已按整改通知要求完成整改：补录实名制信息，补签劳动合同，现场防护已整改到位。\t"
                    f"{r_status}\t{e}\t{ts(sub_t - HOUR)}\t{ts(sub_t)}\t{'t' if is_late else 'f'}\t"
                    f"{opt(reviewed and reviewers[pk % len(reviewers)])}\t{opt(reviewed and ts(reviewed))}\t"
                    + REVIEW_NOTES.get(r_status, "")
                )
                attach("rectification", reply_id, "evidence", e, sub_t - HOUR + 60)
                rounds = r
                if r_status == "submitted":
                    status = "replied"
                elif r_status == "passed":
                    status, closed = "closed", reviewed
                else:
                    status = "rectifying"
                    t = reviewed or sub_t
            if status == "rectifying" and rng.random() < 0.3 and age > 2:
                reply_id += 1  # an unsent reply the enterprise is still writing
                replies.append(
                    f"{reply_id}\t{pk}\t{e}\t{rounds + 1}\t整改进行中。\tdraft\t{e}\t{ts(min(plan.hi, t + DAY))}\t"
                    f"{NULL}\tf\t{NULL}\t{NULL}\t"
                )
        updated = max(x for x in (created, issued or 0, closed or 0) if x)
        inspections.append(
            f"{pk}\t{project}\t{e}\t{day_iso(inspected)}\t{INSPECTORS[pk % len(INSPECTORS)]}\t"
            f"{esc(json.dumps(scores))}\t{total}\t{problems}\t{'t' if needs else 'f'}\t{notice_no}\t"
            f"{day_iso(deadline) if deadline else NULL}\t{status}\t{rounds}\t{'t' if late else 'f'}\t"
            f"{reviewers[pk % len(reviewers)]}\t{ts(created)}\t{opt(issued and ts(issued))}\t"
            f"{opt(closed and ts(closed))}\t"
            f"{ts(min(plan.hi, updated))}\t"
            # An issued 整改通知书 prints with a QR code to its verification page.
            f"{secrets.token_urlsafe(24) if notice_no else NULL}"
        )
        if rng.random() < 0.6:
            attach("inspection", pk, "evidence", reviewers[pk % len(reviewers)], created + 600)

    # ---------------------------------------------------------------- 评优创先 (~1% of enterprises)
    awards = out.table(
        "supervision_award",
        "id year title enterprise_id project_id reasons status decided_on created_by_id created_at updated_at",
    )
    this_year = dt.date.fromordinal(today).year
    projects_of: dict[int, list[int]] = {}
    for project, e, _ in approved_projects:
        projects_of.setdefault(e, []).append(project)
    used: set[tuple[int, str, int, bool]] = set()
    award_id = 0
    for _ in range(max(2, sizes.enterprises // 100)):
        e = ready[int(rng.random() * len(ready))] if ready else 1
        year = this_year - int(rng.random() * 3)
        title = rng.choice(("excellent_enterprise", "credit_enterprise", "excellent_project", "safe_project"))
        project = None
        if title in ("excellent_project", "safe_project"):
            if not projects_of.get(e):
                continue
            project = rng.choice(projects_of[e])
        key = (year, title, project or e, project is not None)
        if key in used:
            continue
        used.add(key)
        award_id += 1
        created = day_start(min(today - 1, dt.date(year, 3, 1).toordinal() + int(rng.random() * 200))) + 10 * HOUR
        if year == this_year and rng.random() < 0.7:
            status, decided = ("nominated" if rng.random() < 0.9 else "withdrawn"), None
        else:
            status = "granted" if rng.random() < 0.65 else "not_granted"
            decided = min(today - 1, local_day(created) + 30 + int(rng.random() * 60))
        updated = day_start(decided) + 10 * HOUR if decided else created
        awards.append(
            f"{award_id}\t{year}\t{title}\t{e}\t{opt(project)}\t劳务管理规范，农民工工资按时足额发放，全年无安全事故。\t"
            f"{status}\t{day_iso(decided) if decided else NULL}\t{reviewers[award_id % len(reviewers)]}\t"
            f"{ts(created)}\t{ts(min(plan.hi, updated))}"
        )

    # ---------------------------------------------------------------- 通知公告
    notices = out.table(
        "supervision_notice",
        "id title body pinned is_published published_at created_by_id created_at updated_at district_id",
    )
    # Most notices are 相城's committee's; every fifth is province-wide (no district).
    committee = ctx.districts[next(i for i, d in enumerate(DISTRICTS) if d[0] == COMMITTEE_DISTRICT)]
    for pk in range(1, 31):
        title = NOTICE_TITLES[pk % len(NOTICE_TITLES)]
        year = this_year - (30 - pk) // 12
        title = f"{title}（{year}年第{pk}号）"
        created = plan.lo + int((plan.hi - plan.lo) * pk / 31)
        published = pk % 6 != 0
        notices.append(
            f"{pk}\t{title}\t各劳务企业：\\n现将有关事项通知如下，请遵照执行。\\n区劳务专委会\t"
            f"{'t' if pk in (29, 30) else 'f'}\t"
            f"{'t' if published else 'f'}\t{ts(created + HOUR) if published else NULL}\t{ctx.supervisor_id}\t"
            f"{ts(created)}\t{ts(created + HOUR)}\t{NULL if pk % 5 == 0 else committee}"
        )
    return out


# ============================================================================ the database side


def _sql(sql: str, params: Iterable[Any] | None = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else []


def ensure_tables() -> None:
    _sql(
        f"CREATE TABLE IF NOT EXISTS {PROGRESS_TABLE} (stage text NOT NULL, chunk int NOT NULL, "
        "rows bigint NOT NULL, seconds double precision NOT NULL, done_at timestamptz NOT NULL DEFAULT now(), "
        "PRIMARY KEY (stage, chunk))"
    )
    _sql(
        f"CREATE TABLE IF NOT EXISTS {INDEX_TABLE} (name text PRIMARY KEY, tablename text NOT NULL, "
        "definition text NOT NULL)"
    )
    _sql(
        f"CREATE TABLE IF NOT EXISTS {DATASET_TABLE} (id int PRIMARY KEY DEFAULT 1 CHECK (id = 1), "
        "enterprises int NOT NULL, people int NOT NULL, contracts int NOT NULL, seed bigint NOT NULL, "
        "version int NOT NULL, anchor timestamptz NOT NULL, started_at timestamptz NOT NULL DEFAULT now(), "
        "completed_at timestamptz, seconds double precision, blobs jsonb, stats jsonb)"
    )


def read_dataset() -> dict[str, Any] | None:
    rows = _sql(
        f"SELECT enterprises, people, contracts, seed, version, anchor, completed_at, blobs FROM {DATASET_TABLE}"  # noqa: S608  # nosec B608  # fixed table names
    )
    if not rows:
        return None
    keys = ("enterprises", "people", "contracts", "seed", "version", "anchor", "completed_at", "blobs")
    return dict(zip(keys, rows[0], strict=True))


def has_dataset_table() -> bool:
    return bool(_sql("SELECT 1 FROM pg_tables WHERE tablename = %s", [DATASET_TABLE]))


def done_chunks() -> dict[str, set[int]]:
    done: dict[str, set[int]] = {}
    for stage, chunk in _sql(f"SELECT stage, chunk FROM {PROGRESS_TABLE}"):  # noqa: S608  # nosec B608  # fixed table names
        done.setdefault(stage, set()).add(chunk)
    return done


def app_tables() -> list[str]:
    """Every table of the project's apps (and the sessions/lockout ones): what --reset empties."""
    from django.apps import apps

    tables = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy and model._meta.app_label not in ("contenttypes", "auth"):
            tables.append(model._meta.db_table)
    return sorted(set(tables))


def reset_database() -> None:
    """Empty every application table and the generator's own: the database is as freshly migrated.

    TRUNCATE, not DELETE: the audit log's append-only trigger refuses row deletes, by design."""
    tables = [t for t in app_tables() if _sql("SELECT 1 FROM pg_tables WHERE tablename = %s", [t])]
    with transaction.atomic():
        _sql("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE")
        for name, _ in saved_indexes():  # the tables are empty: instant
            build_index(name)
        _sql(f"DROP TABLE IF EXISTS {PROGRESS_TABLE}, {DATASET_TABLE}, {INDEX_TABLE}")


def holds_other_data() -> bool:
    from laowu.accounts.models import User
    from laowu.enterprises.models import Enterprise
    from laowu.review.models import Submission

    return User.objects.exists() or Enterprise.objects.exists() or Submission.objects.exists()


def setup(sizes: Sizes, anchor: int) -> Context:
    """Districts, staff accounts and sample PDFs (once), then what every run reads: ids and links."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.contenttypes.models import ContentType
    from django.urls import reverse

    from laowu.accounts.models import District, Role, User
    from laowu.contracts.models import ProjectFiling
    from laowu.enterprises.models import BasicInfo
    from laowu.personnel.models import SafetyOfficer, WageManager
    from laowu.supervision import models as sv

    password = make_password(PASSWORD)  # hashed once; every generated account shares it
    done = done_chunks().get("setup", set())
    if 0 not in done:
        started = time.monotonic()
        blobs = store_samples()  # files first (outside the transaction), like an upload
        with transaction.atomic():
            existing = set(District.objects.values_list("code", flat=True))
            District.objects.bulk_create(
                [District(code=c, name=n) for c, n, *_ in DISTRICTS if c not in existing], batch_size=500
            )
            districts = list(District.objects.filter(code__in=[d[0] for d in DISTRICTS]))
            staff = []
            now = dt.datetime.fromtimestamp(anchor - SPAN_DAYS * DAY, tz=dt.UTC)
            # Changed lately, as the 90-day expiry (laowu/accounts/passwords.py) has them do.
            changed = dt.datetime.fromtimestamp(anchor - HOUR, tz=dt.UTC)
            for k in range(1, REVIEWERS + 1):
                staff.append(
                    User(
                        pk=sizes.enterprises + k,
                        username=REVIEWER_USERNAME.format(k),
                        role=Role.REVIEWER,
                        display_name=f"审核员{k:02d}（规模测试）",
                        phone=f"1990000{k:04d}",
                        password=password,
                        password_changed_at=changed,
                        date_joined=now,
                    )
                )
            staff.append(
                User(
                    pk=sizes.enterprises + REVIEWERS + 1,
                    username=SUPERVISOR_USERNAME,
                    role=Role.SUPERVISOR,
                    display_name="监管人员（规模测试）",
                    phone="19900009999",
                    password=password,
                    password_changed_at=changed,
                    date_joined=now,
                )
            )
            User.objects.bulk_create(staff)
            through = User.districts.through
            through.objects.bulk_create(
                [through(user_id=u.pk, district_id=d.pk) for u in staff for d in districts], batch_size=2000
            )
            _sql(
                f"UPDATE {DATASET_TABLE} SET blobs = %s",  # noqa: S608  # nosec B608  # fixed table names
                [json.dumps({k: dataclasses.asdict(b) for k, b in blobs.items()}, ensure_ascii=False)],
            )
            _sql(
                f"INSERT INTO {PROGRESS_TABLE} (stage, chunk, rows, seconds) VALUES ('setup', 0, %s, %s)",  # noqa: S608  # nosec B608  # fixed table names
                [len(staff), time.monotonic() - started],
            )
    dataset = read_dataset()
    assert dataset is not None and dataset["blobs"]
    stored = dataset["blobs"]
    stored = json.loads(stored) if isinstance(stored, str) else stored  # Django reads jsonb as text
    blobs = {k: Blob(**v) for k, v in stored.items()}
    codes = dict(District.objects.values_list("code", "pk"))
    cts = {
        "basic_info": BasicInfo,
        "safety_officer": SafetyOfficer,
        "wage_manager": WageManager,
        "project": ProjectFiling,
        "bad_behaviour": sv.BadBehaviour,
        "removal": sv.RemovalApplication,
        "inspection": sv.Inspection,
        "rectification": sv.Rectification,
        "award": sv.Award,
    }
    content_types = {k: ContentType.objects.get_for_model(m).pk for k, m in cts.items()}
    reviewer_ids = [sizes.enterprises + k for k in range(1, REVIEWERS + 1)]
    return Context(
        anchor=anchor,
        districts=[codes[d[0]] for d in DISTRICTS],
        content_types=content_types,
        blobs=blobs,
        password=password,
        reviewer_ids=reviewer_ids,
        supervisor_id=sizes.enterprises + REVIEWERS + 1,
        links={
            "basic_info": reverse("enterprises:basic_info"),
            "bad_behaviour": reverse("supervision:bad_behaviour_detail", args=[999_999_999]),
            "inspection": reverse("supervision:inspection_detail", args=[999_999_999]),
        },
    )


WRITERS: dict[str, Callable[[Plan, int], Tables]] = {
    "enterprises": write_enterprises,
    "safety_officers": lambda plan, chunk: write_people(plan, "safety_officers", chunk),
    "wage_managers": lambda plan, chunk: write_people(plan, "wage_managers", chunk),
    "contracts": write_contracts,
    "supervision": write_supervision,
}

_PLAN: Plan | None = None  # set in the parent before the workers fork; they inherit it


def _tune_session() -> None:
    """Per-session settings for loading; called inside each chunk's transaction."""
    # Losing the last commits in a server crash only means redoing those chunks: their
    # progress rows are lost with them.
    _sql("SET synchronous_commit TO off")
    # Foreign keys are checked once, set-based, at the end (check_foreign_keys) instead of per
    # row: each per-row check locks the referenced row (FOR KEY SHARE), and two workers locking
    # the same content-type and reviewer rows millions of times turns into MultiXact churn.
    # Only a superuser may do this; anyone else loads with the usual per-row checks.
    with contextlib.suppress(DatabaseError), transaction.atomic():
        _sql("SET session_replication_role = replica")
    # Snapshots are ~2.5 kB each: lz4 compresses them far faster than the default pglz.
    with contextlib.suppress(DatabaseError), transaction.atomic():
        _sql("SET default_toast_compression = lz4")


def drop_plain_indexes() -> int:
    """Drop the load tables' plain indexes, keeping their definitions to rebuild them.

    Unique indexes and constraints stay: they keep guarding the data while it loads. Runs at
    the start of every unfinished run, so an index a new migration added is dropped too."""
    rows = _sql(
        "SELECT i.indexrelid::regclass::text, t.relname, pg_get_indexdef(i.indexrelid) "
        "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
        "WHERE t.relname = ANY(%s) AND NOT i.indisunique "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        [list(LOAD_TABLES)],
    )
    with transaction.atomic():
        for name, table, definition in rows:
            _sql(
                f"INSERT INTO {INDEX_TABLE} (name, tablename, definition) VALUES (%s, %s, %s) "  # noqa: S608  # nosec B608  # fixed table names
                "ON CONFLICT (name) DO UPDATE SET definition = EXCLUDED.definition",
                [name, table, definition],
            )
            _sql(f"DROP INDEX {name}")
    return len(rows)


def saved_indexes() -> list[tuple[str, str]]:
    """(name, table) of the dropped indexes, those of the biggest tables first."""
    if not _sql("SELECT 1 FROM pg_tables WHERE tablename = %s", [INDEX_TABLE]):
        return []
    rows = _sql(
        f"SELECT s.name, s.tablename FROM {INDEX_TABLE} s "  # noqa: S608  # nosec B608  # fixed table names
        "ORDER BY pg_relation_size(s.tablename::regclass) DESC, s.definition LIKE '%%USING gin%%' DESC, s.name"
    )
    return [(r[0], r[1]) for r in rows]


def build_index(name: str) -> tuple[str, float]:
    """Rebuild one saved index (IF NOT EXISTS: a killed run may have built it already)."""
    started = time.monotonic()
    with transaction.atomic():
        # Two builds run side by side on two cores: no parallel helpers on top of them.
        _sql("SET maintenance_work_mem = '512MB'")
        _sql("SET max_parallel_maintenance_workers = 0")
        rows = _sql(f"SELECT definition FROM {INDEX_TABLE} WHERE name = %s", [name])  # noqa: S608  # nosec B608  # fixed table names
        if rows:
            _sql(rows[0][0].replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
            _sql(f"DELETE FROM {INDEX_TABLE} WHERE name = %s", [name])  # noqa: S608  # nosec B608  # fixed table names
    return name, time.monotonic() - started


def foreign_keys() -> list[tuple[str, str, str, str]]:
    """(table, column, referenced table, referenced column) of every single-column FK of the apps' tables."""
    rows = _sql(
        "SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, af.attname "
        "FROM pg_constraint c "
        "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
        "JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1] "
        "WHERE c.contype = 'f' AND array_length(c.conkey, 1) = 1 AND c.conrelid::regclass::text = ANY(%s) "
        "ORDER BY 1, 2",
        [app_tables()],
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


def dangling(fk: tuple[str, str, str, str]) -> tuple[tuple[str, str, str, str], int]:
    """How many rows' foreign key points at no row."""
    table, column, ref_table, ref_column = fk
    n = _sql(
        f"SELECT count(*) FROM {table} t WHERE t.{column} IS NOT NULL AND NOT EXISTS "  # noqa: S608  # nosec B608  # catalog names
        f"(SELECT 1 FROM {ref_table} r WHERE r.{ref_column} = t.{column})"
    )[0][0]
    return fk, n


def check_foreign_keys(workers: int) -> None:
    """Every foreign key of the loaded rows points at a row (what per-row checks would have ensured)."""
    broken = [f"{fk[0]}.{fk[1]} → {fk[2]}: {n}" for fk, n in parallel(dangling, foreign_keys(), workers) if n]
    if broken:
        raise ScaleDataError("生成的数据外键不一致（生成器缺陷）：" + "；".join(broken))


def vacuum(table: str) -> tuple[str, float]:
    started = time.monotonic()
    with connection.cursor() as cur:
        if connection.in_atomic_block:  # inside a caller's transaction, where VACUUM cannot run
            cur.execute(f"ANALYZE {table}")
        else:
            cur.execute(f"VACUUM (ANALYZE) {table}")
    return table, time.monotonic() - started


def _copy(table: str, columns: tuple[str, ...], lines: list[str]) -> None:
    with connection.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        block: list[str] = []
        size = 0
        for line in lines:
            block.append(line)
            size += len(line)
            if size > 1 << 20:
                copy.write("\n".join(block) + "\n")
                block, size = [], 0
        if block:
            copy.write("\n".join(block) + "\n")


def run_chunk(task: tuple[str, int]) -> tuple[str, int, int, float]:
    """Generate and write one chunk with its progress row, in one transaction."""
    stage, chunk = task
    assert _PLAN is not None
    started = time.monotonic()
    out = WRITERS[stage](_PLAN, chunk)
    with transaction.atomic():
        _tune_session()
        for table, lines in out.lines.items():
            if lines:
                _copy(table, out.columns[table], lines)
        _sql(
            f"INSERT INTO {PROGRESS_TABLE} (stage, chunk, rows, seconds) VALUES (%s, %s, %s, %s)",  # noqa: S608  # nosec B608  # fixed table names
            [stage, chunk, out.rows, time.monotonic() - started],
        )
        # Per-row FK checks back on for whatever else this connection does (a caller's
        # transaction, when generating inline inside one).
        with contextlib.suppress(DatabaseError), transaction.atomic():
            _sql("SET session_replication_role = origin")
    return stage, chunk, out.rows, time.monotonic() - started


def _worker_init() -> None:
    # A worker must not outlive a killed parent (its chunk then rolls back with the connection).
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    # The connection object inherited from the parent was closed before the fork; open our own.
    connections["default"].close()


def finalize(workers: int, report: Callable[[str], None], every: float) -> dict[str, float]:
    """Rebuild the dropped indexes, check the foreign keys, move every sequence past the largest
    id, and VACUUM ANALYZE (statistics for the planner, and the visibility map for index-only scans)."""
    from django.apps import apps

    seconds: dict[str, float] = {}
    indexes = saved_indexes()
    if indexes:
        progress = Progress("indexes", len(indexes), 0, report, every)
        for _name, _spent in parallel(build_index, [name for name, _ in indexes], workers):
            progress.add(1, 0)
        progress.show()
        seconds["indexes"] = progress.seconds
    t = time.monotonic()
    report("[finalize] 外键检查、序列……")
    check_foreign_keys(workers)
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        auto = ("AutoField", "BigAutoField", "SmallAutoField")
        if not meta.managed or meta.proxy or meta.pk is None or meta.pk.get_internal_type() not in auto:
            continue
        table, column = meta.db_table, meta.pk.column
        seq = _sql("SELECT pg_get_serial_sequence(%s, %s)", [table, column])[0][0]
        if seq:  # the next id the application hands out is past every generated one
            _sql(f"SELECT setval(%s, COALESCE((SELECT max({column}) FROM {table}), 0) + 1, false)", [seq])  # noqa: S608  # nosec B608  # the code's own quoted names, values are parameters
    seconds["foreign_keys_sequences"] = time.monotonic() - t
    t = time.monotonic()
    # The load ran without triggers: 合同编号's ordered gram table is filled in one statement.
    report("[finalize] 合同编号检索表……")
    rebuild_ordered_grams(CONTRACT_NO_GRAMS)
    rebuild_ordered_grams(PROJECT_TEXT_GRAMS)
    seconds["ordered_grams"] = time.monotonic() - t
    t = time.monotonic()
    report("[finalize] 审计日志哈希链……")
    seconds["audit_chain"] = seal_audit_chain(report)
    t = time.monotonic()
    report("[finalize] VACUUM ANALYZE……")
    # Biggest first, so the two workers finish together.
    tables = [
        r[0]
        for r in _sql(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND relname = ANY(%s) "
            "ORDER BY pg_total_relation_size(oid) DESC",
            [[*app_tables(), PROGRESS_TABLE, CONTRACT_NO_GRAMS.name, PROJECT_TEXT_GRAMS.name]],
        )
    ]
    for table, spent in parallel(vacuum, tables, workers):
        if spent > 5:
            report(f"  VACUUM ANALYZE {table}: {spent:.0f}s")
    seconds["vacuum_analyze"] = time.monotonic() - t
    return seconds


def seal_audit_chain(report: Callable[[str], None]) -> float:
    """Seal the generated audit rows into the hash chain (laowu/audit/chain.py), in id order, as
    migration 0004 sealed the rows from before the chain: `verify_audit` then passes on a
    generated dataset like on a real one."""
    from laowu.audit import chain
    from laowu.audit.models import AuditEvent

    t = time.monotonic()
    count = chain.rechain(AuditEvent, report=report)
    report(f"[finalize] 审计日志哈希链：{count:,} 条，用时 {time.monotonic() - t:.1f}s")
    return time.monotonic() - t


@dataclasses.dataclass
class Outcome:
    status: str  # "complete", "already_complete", "stopped"
    seconds: float
    stage_seconds: dict[str, float]


def parallel(func: Callable[[Any], Any], tasks: list[Any], workers: int) -> Iterator[Any]:
    """func over tasks, in `workers` forked processes (each with its own connection), or inline."""
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            yield func(task)
        return
    connections.close_all()  # the workers fork: they must not share the parent's connection
    with multiprocessing.get_context("fork").Pool(min(workers, len(tasks)), initializer=_worker_init) as pool:
        yield from pool.imap_unordered(func, tasks)


class Progress:
    """One stage's progress line: done / total, rate, rows written and ETA, every few seconds."""

    def __init__(self, stage: str, total: int, done: int, report: Callable[[str], None], every: float) -> None:
        self.stage, self.total, self.done, self.report, self.every = stage, total, done, report, every
        self.started = self.last = time.monotonic()
        self.this_run = 0
        self.rows = 0
        self.shown = -1

    def add(self, n: int, rows: int) -> None:
        self.done += n
        self.this_run += n
        self.rows += rows
        if time.monotonic() - self.last >= self.every:
            self.show()

    def show(self) -> None:
        if self.shown == self.done:
            return
        self.last, self.shown = time.monotonic(), self.done
        elapsed = max(self.last - self.started, 1e-6)
        rate = self.this_run / elapsed
        eta = (self.total - self.done) / rate if rate else 0.0
        self.report(
            f"[{self.stage}] {self.done:,}/{self.total:,} ({100 * self.done / max(self.total, 1):.0f}%)，"
            f"{rate:,.1f}/s，"
            + (f"写入 {self.rows:,} 行（{self.rows / elapsed:,.0f} 行/s），" if self.rows else "")
            + f"用时 {elapsed:.0f}s，预计剩余 {eta:.0f}s"
        )

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started


def open_dataset(sizes: Sizes, reset: bool, report: Callable[[str], None]) -> dict[str, Any]:
    """The dataset row for `sizes`, created on a fresh database; refuses a database holding anything else."""
    dataset = read_dataset() if has_dataset_table() else None
    if dataset is None and holds_other_data():
        # Checked before anything is created, so a refused run leaves no trace that a later
        # --reset could mistake for a generated database.
        raise ScaleDataError(
            "数据库中已有不是本命令生成的数据（用户、企业或申报记录）"
            + ("，--reset 只清空由本命令生成的数据库" if reset else "")
            + "。规模测试数据须写入新建并已迁移的空数据库：createdb <名称> 后执行 manage.py migrate。"
        )
    if reset and dataset is not None:
        report("--reset：清空全部应用数据表……")
        reset_database()
        dataset = None
    ensure_tables()
    wanted = (sizes.enterprises, sizes.people, sizes.contracts, sizes.seed)
    if dataset is None:
        _sql(
            f"INSERT INTO {DATASET_TABLE} (enterprises, people, contracts, seed, version, anchor) "  # noqa: S608  # nosec B608  # fixed table names
            "VALUES (%s, %s, %s, %s, %s, to_timestamp(%s))",
            [*wanted, GENERATOR_VERSION, int(time.time()) // 60 * 60],
        )
        dataset = read_dataset()
        assert dataset is not None
    have = (dataset["enterprises"], dataset["people"], dataset["contracts"], dataset["seed"])
    if have != wanted:
        raise ScaleDataError(
            f"数据库中已有另一规模的数据集（企业 {have[0]}、人员 {have[1]}、合同 {have[2]}、种子 {have[3]}，"
            f"{'已完成' if dataset['completed_at'] else '未完成'}）。如需按新的规模重新生成，请加 --reset"
            "（清空全部应用数据），或使用新建的数据库。"
        )
    if dataset["completed_at"] is None and dataset["version"] != GENERATOR_VERSION:
        raise ScaleDataError(
            f"未完成的数据集由另一版本的生成器（{dataset['version']}）写入，不能续写。请加 --reset 重新生成。"
        )
    return dataset


def generate(
    sizes: Sizes,
    *,
    workers: int = 2,
    reset: bool = False,
    stop_after: int | None = None,
    report: Callable[[str], None] = print,
    report_every: float = 3.0,
) -> Outcome:
    """Generate (or finish generating) the dataset of `sizes`. See the module docstring.

    `stop_after` stops after that many chunks (an interruption, for tests); the next run goes on."""
    global _PLAN
    if connection.vendor != "postgresql":
        raise ScaleDataError(
            f"generate_scale_data 只支持 PostgreSQL（使用 COPY 批量写入），当前数据库为 {connection.vendor}。"
        )
    if sizes.enterprises < 10 or sizes.people < 0 or sizes.contracts < 0:
        raise ScaleDataError("--enterprises 至少为 10，--people 与 --contracts 不能为负数。")
    started = time.monotonic()
    if connection.in_atomic_block:
        # Called inside a transaction (a test's): everything must happen in it, on this
        # connection, so no workers; and it all goes when that transaction rolls back.
        workers = 1
    dataset = open_dataset(sizes, reset, report)
    if dataset["completed_at"] is not None:
        report(f"数据集已完成（{timezone.localtime(dataset['completed_at']):%Y-%m-%d %H:%M}），无需生成。")
        return Outcome("already_complete", time.monotonic() - started, {})
    report(
        f"数据集：企业 {sizes.enterprises:,}、安全员 {sizes.safety_officers:,}、劳资专管员 {sizes.wage_managers:,}、"
        f"合同 {sizes.contracts:,}（项目申报 {sizes.projects:,}），种子 {sizes.seed}，工作进程 {workers}"
    )
    ctx = setup(sizes, int(dataset["anchor"].timestamp()))
    # Inside a caller's transaction the data is small, and index DDL would meet its pending
    # deferred-FK events ("cannot CREATE INDEX ... pending trigger events"): keep the indexes.
    dropped = 0 if connection.in_atomic_block else drop_plain_indexes()
    if dropped:
        report(f"[indexes] 暂时删除 {dropped} 个普通索引，写入完成后重建")
    t = time.monotonic()
    _PLAN = Plan(sizes, ctx)
    report(f"[plan] 企业、人员与合同的分布计算完成，用时 {time.monotonic() - t:.1f}s")
    stage_seconds: dict[str, float] = {}
    written = 0
    done = done_chunks()
    for stage in STAGES:
        total = sizes.chunk_count(stage)
        todo = [c for c in range(total) if c not in done.get(stage, set())]
        if not todo:
            continue
        if stop_after is not None:
            if written >= stop_after:
                break
            todo = todo[: stop_after - written]
        size = CHUNK_SIZES.get(stage, 1)
        entities = sizes.stage_total(stage)
        progress = Progress(
            stage, entities, entities - sum(min(size, entities - c * size) for c in todo), report, report_every
        )
        for _, chunk, rows, _ in parallel(run_chunk, [(stage, c) for c in todo], workers):
            progress.add(min(size, entities - chunk * size), rows)
            written += 1
        progress.show()
        stage_seconds[stage] = progress.seconds
    remaining = [s for s in STAGES if len(done_chunks().get(s, set())) < sizes.chunk_count(s)]
    if remaining:
        report(f"已按 --stop-after 停止；未完成的阶段：{'、'.join(remaining)}。以相同参数再次运行即可继续。")
        return Outcome("stopped", time.monotonic() - started, stage_seconds)
    stage_seconds.update(finalize(workers, report, report_every))
    seconds = time.monotonic() - started
    counts = {t: _sql(f"SELECT count(*) FROM {t}")[0][0] for t in LOAD_TABLES}  # noqa: S608  # nosec B608  # fixed names
    _sql(
        f"UPDATE {DATASET_TABLE} SET completed_at = now(), seconds = %s, stats = %s",  # noqa: S608  # nosec B608  # fixed table names
        [seconds, json.dumps({"rows": counts, "stage_seconds": stage_seconds})],
    )
    report(f"完成：本次用时 {seconds:.0f}s（" + "，".join(f"{k} {v:.0f}s" for k, v in stage_seconds.items()) + "）。")
    return Outcome("complete", seconds, stage_seconds)
