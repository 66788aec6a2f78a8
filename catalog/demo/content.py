"""The demo's content, as `make run` loads it: organisations, users, reference data, courses,
questions and synonyms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from catalog.accounts.models import OrganisationKind, Role
from ingest.questions import tabular

DEMO_PASSWORD = "jiangyun-demo"


DEMO_ORGANISATIONS = (
    ("demo-power", "示范电力公司", OrganisationKind.ENTERPRISE),
    ("demo-gas", "示范燃气集团", OrganisationKind.ENTERPRISE),
    ("demo-college", "示范技师学院", OrganisationKind.SCHOOL),
)


DEMO_USERS = (
    ("platform", "平台管理员", (Role.PLATFORM_ADMIN,), None),
    ("power-admin", "电力公司培训管理员", (Role.ADMIN,), "demo-power"),
    ("power-workshop-admin", "配电运维车间培训员", (Role.ADMIN,), "demo-power"),
    ("power-instructor", "王师傅（劳模讲师）", (Role.INSTRUCTOR,), "demo-power"),
    ("power-editor", "李编辑", (Role.EDITOR,), "demo-power"),
    ("power-learner", "张工（配电运维）", (Role.LEARNER,), "demo-power"),
    ("power-assessor", "周师傅（考评员）", (Role.INSTRUCTOR,), "demo-power"),
    ("gas-learner", "赵工（燃气管网）", (Role.LEARNER,), "demo-gas"),
    ("gas-instructor", "刘师傅（燃气工匠）", (Role.INSTRUCTOR,), "demo-gas"),
    ("college-instructor", "陈老师（技师学院）", (Role.INSTRUCTOR,), "demo-college"),
)


# The power company's tree (分公司 / 车间 / 班组) and who works where: a workshop's own admin
# manages only its subtree.
DEMO_DEPARTMENTS = (
    ("北区供电分公司", "配电运维车间", "运维一班"),
    ("北区供电分公司", "配电运维车间", "运维二班"),
    ("北区供电分公司", "变电检修车间", "检修一班"),
    ("南区供电分公司", "输电运检车间", "带电作业班"),
)
DEMO_PROFILES = {
    # username: (department path, employee no., occupation 工种, skill level 1–5, phone)
    "power-learner": (
        ("北区供电分公司", "配电运维车间", "运维一班"),
        "BJ-0001",
        "配电线路工",
        3,
        "13800000001",
    ),
    "power-assessor": (
        ("北区供电分公司", "变电检修车间", "检修一班"),
        "BJ-0042",
        "变配电运行值班员",
        2,
        "13800000042",
    ),
    "power-workshop-admin": (
        ("北区供电分公司", "配电运维车间"),
        "BJ-0100",
        "培训专责",
        4,
        None,
    ),
}
DEMO_WORKSHOP_ADMIN = ("power-workshop-admin", ("北区供电分公司", "配电运维车间"))

# The power company's evaluation plan (评价方案) for 变配电运行值班员, level 4 (中级工):
# the demo course first (逢考必训), a theory exam (40 %) and a practical checklist (60 %)
# scored by power-assessor, who works in another team than the demo learner.
DEMO_PLAN_OCCUPATION = "6-28-01-14"
DEMO_PLAN_CHECKLIST = (
    {"key": "ticket", "title": "审核并填写倒闸操作票", "points": 20, "critical": False},
    {
        "key": "sequence",
        "title": "按“停电、验电、装设接地线”顺序操作",
        "points": 40,
        "critical": True,
    },
    {"key": "tools", "title": "正确使用验电器和绝缘手套", "points": 25, "critical": False},
    {"key": "report", "title": "向调度汇报并记录", "points": 15, "critical": False},
)


DEMO_INDUSTRIES = (
    ("power", "电力", "Electric power"),
    ("gas", "燃气", "Gas"),
    ("geology", "地质", "Geology"),
    ("manufacturing", "装备制造", "Equipment manufacturing"),
    ("ic", "集成电路", "Integrated circuits"),
    ("biomed", "生物医药", "Biomedicine"),
    ("ai", "人工智能", "Artificial intelligence"),
)


# Demo occupations; the codes follow the national classification's shape (大类-中类-小类-细类).
DEMO_OCCUPATIONS = (
    ("6-28-01-14", "变配电运行值班员", "power"),
    ("6-28-02-05", "燃气输送工", "gas"),
    ("6-18-01-01", "车工", "manufacturing"),
)


@dataclass(frozen=True)
class DemoCourse:
    code: str
    instructor: str
    fields: dict[str, Any]
    chapters: tuple[tuple[str, tuple[str, list[str]]], ...]


DEMO_COURSES: tuple[DemoCourse, ...] = (
    DemoCourse(
        code="DEMO-POWER-01",
        instructor="power-instructor",
        fields={
            "code": "DEMO-POWER-01",
            "title": "配电网运维与倒闸操作",
            "summary": "面向一线运维人员，讲清配电网结构、倒闸操作票与安全措施。",
            "objectives": ["掌握配电网基本结构", "能够正确填写和执行倒闸操作票"],
            "industry": "power",
            "occupation": "6-28-01-14",
            "skill_level": 4,
            "class_hours": 6,
            "credits": 1,
            "tags": ["配电", "安全", "倒闸操作"],
        },
        chapters=(
            (
                "第一章 配电网结构",
                (
                    "配电网的组成",
                    ["配电网由变电站、线路和配电变压器组成", "运维人员要熟悉接线方式"],
                ),
            ),
            (
                "第二章 倒闸操作",
                ("倒闸操作票怎么填", ["操作前核对设备名称和编号", "严格执行监护复诵制度"]),
            ),
        ),
    ),
    DemoCourse(
        code="DEMO-GAS-01",
        instructor="gas-instructor",
        fields={
            "code": "DEMO-GAS-01",
            "title": "城镇燃气管网巡检",
            "summary": "燃气管网日常巡检的要点、泄漏检测与应急处置。",
            "objectives": ["掌握管网巡检路线与记录", "能够识别并处置燃气泄漏"],
            "industry": "gas",
            "occupation": "6-28-02-05",
            "skill_level": 5,
            "class_hours": 4,
            "credits": 0.5,
            "tags": ["燃气", "巡检", "应急"],
        },
        chapters=(
            (
                "第一章 巡检要点",
                ("巡检路线与记录", ["按规定路线巡检并做好记录", "重点关注阀门井和调压箱"]),
            ),
            (
                "第二章 泄漏处置",
                ("发现泄漏怎么办", ["立即疏散人员并禁止明火", "报告调度并设置警戒区"]),
            ),
        ),
    ),
    DemoCourse(
        code="DEMO-MFG-01",
        instructor="college-instructor",
        fields={
            "code": "DEMO-MFG-01",
            "title": "数控车床操作入门",
            "summary": "技师学院精品课：数控车床的安全操作与基本编程。",
            "objectives": ["了解数控车床结构", "能够完成简单零件的编程与加工"],
            "industry": "manufacturing",
            "occupation": "6-18-01-01",
            "skill_level": 3,
            "class_hours": 8,
            "credits": 1.5,
            "tags": ["数控", "车工", "安全操作"],
        },
        chapters=(
            (
                "第一章 安全操作",
                ("开机前的安全检查", ["检查防护门和急停按钮", "穿戴好劳动防护用品"]),
            ),
            ("第二章 基础编程", ("G代码入门", ["G00 快速定位，G01 直线插补", "先空运行再加工"])),
        ),
    ),
)


DEMO_VIDEO_SECONDS = 4


DEMO_QUESTIONS = (
    tabular.TEMPLATE_SAMPLES[0],  # the template's sample, as editors first see it
    {
        "type": "multiple_choice",
        "stem": "下列属于电气安全工器具的有（ ）。",
        "options": [
            {"label": "A", "text": "绝缘手套"},
            {"label": "B", "text": "验电器"},
            {"label": "C", "text": "活动扳手"},
            {"label": "D", "text": "携带型接地线"},
        ],
        "answer": {"correct": ["A", "B", "D"]},
        "explanation": "扳手是一般工具。",
        "difficulty": 3,
        "knowledge_points": ["安全工器具"],
        "tags": ["安全"],
    },
    {
        "type": "true_false",
        "stem": "倒闸操作可以不填写操作票，凭经验进行。",
        "answer": {"correct": False},
        "explanation": "倒闸操作必须填写操作票并执行监护复诵制度。",
        "difficulty": 1,
        "knowledge_points": ["倒闸操作"],
        "tags": ["两票三制"],
    },
    {
        "type": "fill_blank",
        "stem": "我国电力系统的额定频率为____Hz。",
        "answer": {"blanks": [{"accepted": ["50"], "tolerance": 0}], "ordered": True},
        "explanation": "工频 50Hz。",
        "difficulty": 1,
        "knowledge_points": ["电力系统基础"],
        "tags": [],
    },
    {
        "type": "short_answer",
        "stem": "简述装设接地线的顺序。",
        "answer": {
            "keywords": [{"word": "接地端", "weight": 2}, {"word": "导体端", "weight": 2}],
            "reference": "先接接地端，后接导体端；拆除时顺序相反。",
            "manual": False,
        },
        "explanation": "",
        "difficulty": 3,
        "knowledge_points": ["接地线"],
        "tags": ["安全"],
    },
)


def _exam_only(
    knowledge_point: str, rows: tuple[tuple[str, tuple[str, ...], str, str], ...]
) -> tuple[dict[str, Any], ...]:
    """Single-choice questions for exams and contests only: never in a practice pack, so a
    learner cannot read the paper's keys before sitting it."""
    return tuple(
        {
            "type": "single_choice",
            "stem": stem,
            "options": [
                {"label": label, "text": text} for label, text in zip("ABCD", options, strict=True)
            ],
            "answer": {"correct": [right]},
            "explanation": explanation,
            "usage": "exam",
            "knowledge_points": [knowledge_point],
        }
        for stem, options, right, explanation in rows
    )


# The contest's own paper: exam-only questions, so holding them while it runs takes nothing
# from practice (a contest holds its questions until it closes).
DEMO_CONTEST_QUESTIONS = _exam_only(
    "竞赛",
    (
        (
            "【竞赛】倒闸操作应由几人进行？",
            ("一人", "两人，一人操作一人监护", "三人", "不限"),
            "B",
            "倒闸操作须由两人进行，一人操作，一人监护。",
        ),
        (
            "【竞赛】验电时应使用什么验电器？",
            ("任意电压等级", "相应电压等级且合格", "低一级电压等级", "高一级电压等级"),
            "B",
            "须使用相应电压等级、试验合格的接触式验电器。",
        ),
        (
            "【竞赛】装设接地线的顺序是？",
            ("先接导体端后接接地端", "先接接地端后接导体端", "同时接", "不分先后"),
            "B",
            "先接接地端，后接导体端；拆除时顺序相反。",
        ),
        (
            "【竞赛】工作票由谁签发？",
            ("工作负责人", "工作票签发人", "工作许可人", "任意运维人员"),
            "B",
            "工作票由具备资格的工作票签发人签发。",
        ),
        (
            "【竞赛】高压设备发生接地时，室内人员应距离故障点多少米以外？",
            ("2 米", "4 米", "8 米", "10 米"),
            "B",
            "室内不得接近故障点 4 米以内，室外不得接近 8 米以内。",
        ),
    ),
)

# The demo exam's own paper (exam-only too: the practice pack holds the practice questions,
# answer keys included, and the exam must not be sat with its keys in hand).
DEMO_EXAM_QUESTIONS = _exam_only(
    "考试",
    (
        (
            "【考试】10kV 配电线路停电检修，装设接地线前必须先做什么？",
            ("悬挂标示牌", "验电", "填写工作票", "通知调度"),
            "B",
            "装设接地线前须先验明确无电压。",
        ),
        (
            "【考试】倒闸操作票应由谁填写？",
            ("监护人", "操作人", "工作负责人", "值班长"),
            "B",
            "操作票由操作人填写，监护人审核。",
        ),
        (
            "【考试】绝缘手套使用前应做什么检查？",
            ("称重", "充气检查是否漏气", "水洗", "无需检查"),
            "B",
            "使用前应充气检查有无漏气、裂纹。",
        ),
        (
            "【考试】配电变压器停电操作的顺序是？",
            ("先停高压侧后停低压侧", "先停低压侧后停高压侧", "同时停", "不分先后"),
            "B",
            "停电时先停低压侧负荷，再停高压侧；送电顺序相反。",
        ),
        (
            "【考试】在同杆架设的多回线路中部分停电作业，应防止什么？",
            ("误登带电线路杆塔", "工具丢失", "天气变化", "交通拥堵"),
            "A",
            "应有防止误登、误碰带电线路的措施。",
        ),
    ),
)


DEMO_SYNONYMS = [["变电站", "变电所"], ["安全帽", "安全头盔"], ["倒闸", "倒闸操作"]]
