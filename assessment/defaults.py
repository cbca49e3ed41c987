"""The default county checklist and survey questionnaires, as plain data.

Source: ``/work/shared/reference/standards.md`` §1, §3.3 (政府保障程度, 15 items), §3.4 (教育质量,
9 items), §3.5 (社会认可度), §3.6 (一票否决) and §6. Each item carries the evidence tag of its
wording and numbers: **[U]** items are recalled, not confirmed from 教督〔2017〕6号, so every
threshold, wording and reading here is data an administrator can change (a new checklist
version, see assessment.services.checklist_update); ``Checklist.from_dict(X).to_dict() == X``
holds for the default.

An item is judged one of two ways:

* ``"judge": "auto"`` — from the schools' annual statistics (``auto`` names the judgement in
  assessment/formulas/judgements.py: ``class_size``, ``school_size``, ``music_art_rooms``; ``params`` are its
  numbers), per school, listing the failing ones;
* ``"judge": "entered"`` — the bureau enters the ``inputs`` (numbers or a yes/no declaration)
  with evidence files; each of the ``checks`` compares ``num`` (÷ ``den`` × ``scale``) with the
  threshold. An input with ``source: "county_figure:<kind>"`` is stored as the plans app's
  CountyFigure of that kind (巩固率 is entered once for the county plan and this checklist).

``veto: true`` marks a 一票否决 item: failing it fails its area and the whole county verdict,
whatever the other items.
"""

from __future__ import annotations

from typing import Any

CHECKLIST_DEFAULT_PROFILE = "quality-2017"
AREAS: dict[str, str] = {"guarantee": "政府保障程度", "quality": "教育质量", "veto": "一票否决事项"}
AUTO_KINDS = ("class_size", "school_size", "music_art_rooms")


def _percent(key: str, label: str, *, source: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"key": key, "label": label, "type": "number", "unit": "%", "min": 0, "max": 100}
    if source:
        spec["source"] = source
    return spec


def _declared(key: str, label: str) -> dict[str, Any]:
    return {"key": key, "label": label, "type": "bool"}


def _check(
    label: str,
    num: str,
    op: str,
    threshold: float | None = None,
    *,
    den: str | None = None,
    scale: float = 1,
    unit: str = "",
) -> dict[str, Any]:
    return {"label": label, "num": num, "den": den, "scale": scale, "op": op, "threshold": threshold, "unit": unit}


def _item(
    key: str,
    area: str,
    number: int,
    text: str,
    tag: str,
    *,
    judge: str = "entered",
    auto: str | None = None,
    params: dict[str, Any] | None = None,
    inputs: list[dict[str, Any]] | None = None,
    checks: list[dict[str, Any]] | None = None,
    veto: bool = False,
    owner: str = "县教育局",
) -> dict[str, Any]:
    return {
        "key": key,
        "area": area,
        "number": number,
        "text": text,
        "tag": tag,
        "judge": judge,
        "auto": auto,
        "params": params or {},
        "inputs": inputs or [],
        "checks": checks or [],
        "veto": veto,
        "enabled": True,
        "owner": owner,
    }


def _yes(key: str, area: str, number: int, text: str, tag: str, label: str, **kw: Any) -> dict[str, Any]:
    """An item the bureau declares met (是/否) with evidence files."""
    return _item(
        key,
        area,
        number,
        text,
        tag,
        inputs=[_declared("met", label)],
        checks=[_check(label, "met", "true")],
        **kw,
    )


def _share(
    key: str, area: str, number: int, text: str, tag: str, label: str, threshold: float, **kw: Any
) -> dict[str, Any]:
    """An item judged on one percentage the bureau enters (≥ threshold %)."""
    source = kw.pop("source", None)
    return _item(
        key,
        area,
        number,
        text,
        tag,
        inputs=[_percent("value", label, source=source)],
        checks=[_check(label, "value", ">=", threshold, unit="%")],
        **kw,
    )


GUARANTEE: list[dict[str, Any]] = [
    _yes("G01", "guarantee", 1, "县域内义务教育学校规划布局合理,符合国家规定要求。", "S", "规划布局合理"),
    _yes(
        "G02",
        "guarantee",
        2,
        "县级人民政府制定义务教育学校办学标准,执行城乡统一的建设标准、编制标准、公用经费基准定额等。",
        "U",
        "执行城乡统一的办学标准",
        owner="县人民政府",
    ),
    # Rule [S]; 96/90 m² [U]; "每12个班级…1间以上" below 12 classes is ambiguous (§6) -> `reading`.
    _item(
        "G03",
        "guarantee",
        3,
        "所有小学、初中每12个班级配备音乐、美术专用教室1间以上;其中每间音乐专用教室面积不小于96㎡,"
        "每间美术专用教室面积不小于90㎡。",
        "U",
        judge="auto",
        auto="music_art_rooms",
        params={
            "per_classes": 12,
            "music_min_area": 96,
            "art_min_area": 90,
            # "ceil": required = ceil(班级数/12) for every school with classes;
            # "from_12_classes": schools with fewer than 12 classes are not assessed.
            "reading": "ceil",
            "exclude_types": ["special"],
        },
    ),
    # 2000 / 2500 [U]; the 2500 cap counts the compulsory stage of 一贯制 schools only (§5.2 [U]).
    _item(
        "G04",
        "guarantee",
        4,
        "所有小学、初中规模不超过2000人,九年一贯制学校、十二年一贯制学校义务教育阶段规模不超过2500人。",
        "U",
        judge="auto",
        auto="school_size",
        params={
            "limit": 2000,
            "through_limit": 2500,
            "through_types": ["nine_year", "twelve_year"],
            "exclude_types": [],
        },
    ),
    _item(
        "G05",
        "guarantee",
        5,
        "小学、初中所有班级学生数分别不超过45人、50人。",
        "S",
        judge="auto",
        auto="class_size",
        params={"limits": {"primary": 45, "junior": 50}, "exclude_types": ["special"]},
    ),
    _yes(
        "G06",
        "guarantee",
        6,
        "不足100名学生村小学和教学点按100名学生核定公用经费。",
        "S",
        "不足100人的村小、教学点均按100人核定公用经费",
        owner="县教育局、县财政局",
    ),
    _item(
        "G07",
        "guarantee",
        7,
        "特殊教育学校生均公用经费不低于6000元。",
        "S",
        inputs=[
            {
                "key": "value",
                "label": "特殊教育学校生均公用经费",
                "type": "number",
                "unit": "元",
                "min": 0,
                "max": 1000000,
            }
        ],
        checks=[_check("生均公用经费", "value", ">=", 6000, unit="元")],
        owner="县教育局、县财政局",
    ),
    _item(
        "G08",
        "guarantee",
        8,
        "全县义务教育学校教师平均工资收入水平不低于当地公务员平均工资收入水平,按规定足额核定教师绩效工资总量。",
        "V",
        inputs=[
            {
                "key": "teacher_pay",
                "label": "教师年平均工资收入",
                "type": "number",
                "unit": "元",
                "min": 0,
                "max": 10000000,
            },
            {
                "key": "civil_servant_pay",
                "label": "当地公务员年平均工资收入",
                "type": "number",
                "unit": "元",
                "min": 0,
                "max": 10000000,
            },
            _declared("merit_pay", "足额核定教师绩效工资总量"),
        ],
        checks=[
            _check("教师工资为公务员工资的", "teacher_pay", ">=", 100, den="civil_servant_pay", scale=100, unit="%"),
            _check("足额核定绩效工资总量", "merit_pay", "true"),
        ],
        owner="县人民政府(教育、人社、财政部门)",
    ),
    # 5 years / 360 学时 / 100 % [U].
    _share("G09", "guarantee", 9, "教师5年360学时培训完成率达到100%。", "U", "教师5年360学时培训完成率", 100),
    _yes(
        "G10",
        "guarantee",
        10,
        "县级教育行政部门在核定的教职工编制总额和岗位总量内,统筹分配各校教职工编制和岗位数量。",
        "U",
        "统筹分配各校教职工编制和岗位",
        owner="县教育局、县编办、县人社局",
    ),
    # 10 % / 20 % [S]; the 20 % is of those rotated nationally, of the eligible in 安徽 (§3.3 #11):
    # the second check's `den` is the configurable denominator ("rotated" or "eligible").
    _item(
        "G11",
        "guarantee",
        11,
        "全县每年交流轮岗教师的比例不低于符合交流条件教师总数的10%;其中骨干教师不低于交流轮岗教师总数的20%。",
        "S",
        inputs=[
            {
                "key": "eligible",
                "label": "符合交流条件教师总数",
                "type": "integer",
                "unit": "人",
                "min": 0,
                "max": 1000000,
            },
            {
                "key": "rotated",
                "label": "本年交流轮岗教师数",
                "type": "integer",
                "unit": "人",
                "min": 0,
                "max": 1000000,
                "max_of": "eligible",
            },
            {
                "key": "backbone_rotated",
                "label": "其中骨干教师数",
                "type": "integer",
                "unit": "人",
                "min": 0,
                "max": 1000000,
                "max_of": "rotated",
            },
        ],
        checks=[
            _check("交流轮岗教师比例", "rotated", ">=", 10, den="eligible", scale=100, unit="%"),
            _check("骨干教师比例", "backbone_rotated", ">=", 20, den="rotated", scale=100, unit="%"),
        ],
    ),
    _share("G12", "guarantee", 12, "专任教师持有教师资格证上岗率达到100%。", "U", "专任教师持证上岗率", 100),
    _item(
        "G13",
        "guarantee",
        13,
        "城区和镇区公办小学、初中(均不含寄宿制学校)就近划片入学比例分别达到100%、95%以上。",
        "U",
        inputs=[_percent("primary", "公办小学就近划片入学比例"), _percent("junior", "公办初中就近划片入学比例")],
        checks=[
            _check("小学就近划片入学比例", "primary", ">=", 100, unit="%"),
            _check("初中就近划片入学比例", "junior", ">=", 95, unit="%"),
        ],
    ),
    _item(
        "G14",
        "guarantee",
        14,
        "全县优质高中招生名额分配比例不低于50%,并向农村初中倾斜。",
        "S",
        inputs=[_percent("value", "优质高中招生名额分配比例"), _declared("rural", "分配名额向农村初中倾斜")],
        checks=[_check("名额分配比例", "value", ">=", 50, unit="%"), _check("向农村初中倾斜", "rural", "true")],
    ),
    # 85 % [V]; whether 留守儿童 belongs to the same item is [U].
    _item(
        "G15",
        "guarantee",
        15,
        "县域内留守儿童关爱体系健全,全面纳入政府保障范围;符合条件的随迁子女在公办学校和政府购买服务的民办学校就读的比例不低于85%。",
        "V",
        inputs=[
            _percent("value", "随迁子女在公办学校和政府购买服务的民办学校就读比例"),
            _declared("care", "留守儿童关爱体系健全"),
        ],
        checks=[
            _check("随迁子女就读比例", "value", ">=", 85, unit="%"),
            _check("留守儿童关爱体系健全", "care", "true"),
        ],
    ),
]

QUALITY: list[dict[str, Any]] = [
    # The figure is the plans app's CountyFigure "retention_rate" (entered once, used twice).
    _share(
        "Q01",
        "quality",
        1,
        "全县初中三年巩固率达到95%以上。",
        "S",
        "初中三年巩固率",
        95,
        source="county_figure:retention_rate",
    ),
    _share(
        "Q02",
        "quality",
        2,
        "全县残疾儿童少年入学率达到95%以上。",
        "S",
        "残疾儿童少年入学率",
        95,
        owner="县教育局、县残联",
    ),
    _yes(
        "Q03",
        "quality",
        3,
        "所有学校制定章程,实现学校管理与教学信息化。",
        "S",
        "所有学校制定章程并实现管理与教学信息化",
    ),
    # 5 % [U]: judged as the share of schools that budget at least that much.
    _share(
        "Q04",
        "quality",
        4,
        "所有学校按照不低于学校年度公用经费预算总额的5%安排教师培训经费。",
        "U",
        "按不低于5%安排教师培训经费的学校比例",
        100,
    ),
    _yes(
        "Q05",
        "quality",
        5,
        "教师能熟练运用信息化手段组织教学,设施设备利用率达到较高水平。",
        "S",
        "信息化教学与设施设备利用率达到要求",
    ),
    _yes(
        "Q06",
        "quality",
        6,
        "所有学校德育工作、校园文化建设水平达到良好以上。",
        "S",
        "所有学校德育、校园文化建设达到良好以上",
    ),
    _yes("Q07", "quality", 7, "课程开齐开足,教学秩序规范,综合实践活动有效开展。", "S", "课程开齐开足、教学秩序规范"),
    _yes("Q08", "quality", 8, "无过重课业负担。", "S", "无过重课业负担"),
    # Ⅲ级 / 0.15 [U].
    _item(
        "Q09",
        "quality",
        9,
        "在国家义务教育质量监测中,相关科目学生学业水平达到Ⅲ级以上,且校际差异率低于0.15。",
        "U",
        inputs=[
            _declared("level", "相关科目学生学业水平达到Ⅲ级以上"),
            {"key": "difference", "label": "校际差异率", "type": "number", "unit": "", "min": 0, "max": 10},
        ],
        checks=[_check("学业水平达到Ⅲ级以上", "level", "true"), _check("校际差异率", "difference", "<", 0.15)],
    ),
]

# §3.6: 考试招生、违规择校、重点校/重点班 [V]; 重大安全事故、弄虚作假 [U].
VETO: list[dict[str, Any]] = [
    _yes("V01", "veto", 1, "无以考试方式招生。", "V", "无以考试方式招生", veto=True),
    _yes("V02", "veto", 2, "无违规择校。", "V", "无违规择校", veto=True),
    _yes("V03", "veto", 3, "无重点校、重点班。", "V", "无重点校、重点班", veto=True),
    _yes("V04", "veto", 4, "无重大安全责任事故。", "U", "无重大安全责任事故", veto=True),
    _yes("V05", "veto", 5, "无弄虚作假行为。", "U", "无弄虚作假行为", veto=True),
]

# Survey defaults (§3.5, §10.7): sample 1.5‰ of 常住人口 [V], parents ≥ 50 % [V], threshold 85 %
# [S], failing it is a veto [V]. Which answers count as 认可 and any group weighting: no source
# found [U] — the default counts 非常满意 and 满意 on the overall question, pooled over groups.
RECOGNITION: dict[str, Any] = {
    "threshold": 0.85,
    "veto": True,
    "sample_permille": 1.5,
    "parent_share": 0.5,
    "positive_options": ["5", "4"],
    "rate_basis": "overall",
    "group_weights": {},
}

DEFAULT_CHECKLIST: dict[str, Any] = {
    "label": "优质均衡县域评估检查项(教督〔2017〕6号)",
    # min_met: null = every enabled item of the area must be met.
    "areas": {key: {"label": label, "min_met": None} for key, label in AREAS.items()},
    "items": GUARANTEE + QUALITY + VETO,
    "recognition": RECOGNITION,
}

# --- questionnaires -------------------------------------------------------------------------

SCALE: list[list[str]] = [["5", "非常满意"], ["4", "满意"], ["3", "基本满意"], ["2", "不太满意"], ["1", "不满意"]]
GROUPS: dict[str, str] = {
    "parent": "家长",
    "npc": "人大代表",
    "cppcc": "政协委员",
    "resident": "其他群众",
    "principal": "校长",
    "teacher": "教师",
    "student": "学生",
}
AREA_LABELS: dict[str, str] = {"urban": "城区", "town": "镇区", "rural": "乡村"}


def _questions(pairs: list[tuple[str, str]]) -> list[dict[str, Any]]:
    return [{"key": key, "text": text, "options": SCALE} for key, text in pairs]


# Content after §3.5: 立德树人, 教育公平, 优质资源共享, 规范办学, 素质教育, 考试评价改革, 质量, 减负.
QUESTIONNAIRES: dict[str, dict[str, Any]] = {
    "social": {
        "label": "社会卷",
        "audience": "家长、人大代表、政协委员和其他群众",
        "groups": ["parent", "npc", "cppcc", "resident"],
        "asks_grade": True,
        "grades": [1, 2, 3, 4, 5, 6, 7, 8, 9],
        "questions": _questions(
            [
                ("q1", "您对本县政府落实立德树人根本任务、重视义务教育的情况是否满意?"),
                ("q2", "您对本县义务教育城乡、校际之间办学条件的均衡程度是否满意?"),
                ("q3", "您对随迁子女、留守儿童、残疾儿童等群体平等接受义务教育的保障是否满意?"),
                ("q4", "您对学校就近划片入学、招生规范(不以考试方式招生)的情况是否满意?"),
                ("q5", "您对学校的教师队伍和教育教学质量是否满意?"),
                ("q6", "您对学校减轻学生过重课业负担的情况是否满意?"),
                ("overall", "总体上,您对本县义务教育优质均衡发展的情况是否满意?"),
            ]
        ),
        "overall": "overall",
    },
    "staff": {
        "label": "校长教师卷",
        "audience": "校长和教师",
        "groups": ["principal", "teacher"],
        "asks_grade": False,
        "grades": [],
        "questions": _questions(
            [
                ("q1", "您对本县教师工资待遇保障(不低于当地公务员平均工资)的情况是否满意?"),
                ("q2", "您对教师培训、交流轮岗等专业发展机会是否满意?"),
                ("q3", "您对学校的办学条件(校舍、设备、专用教室)是否满意?"),
                ("q4", "您对学校规范办学、课程开齐开足的情况是否满意?"),
                ("q5", "您对考试评价改革和素质教育推进情况是否满意?"),
                ("overall", "总体上,您对本县义务教育优质均衡发展的情况是否满意?"),
            ]
        ),
        "overall": "overall",
    },
    "student": {
        "label": "学生卷",
        "audience": "三年级及以上学生",
        "groups": ["student"],
        "asks_grade": True,
        "grades": [3, 4, 5, 6, 7, 8, 9],
        "questions": _questions(
            [
                ("q1", "你对学校的老师是否满意?"),
                ("q2", "你对学校的教室、运动场、音乐美术教室等条件是否满意?"),
                ("q3", "你对学校开展的体育、艺术和课外活动是否满意?"),
                ("q4", "你对每天的作业量是否满意?"),
                ("overall", "总体上,你对自己的学校是否满意?"),
            ]
        ),
        "overall": "overall",
    },
}
