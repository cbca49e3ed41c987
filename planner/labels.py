"""Words for the planner's actions, in the interface language (Chinese first, English through gettext)."""

from __future__ import annotations

from typing import Final

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

KIND_LABELS: Final[dict[str, Promise]] = {
    "teaching_area": _("新建教学及辅助用房"),
    "sports_ground": _("新增运动场地"),
    "equipment": _("购置教学仪器设备"),
    "multimedia_rooms": _("新建网络多媒体教室"),
    "computers": _("购置教学用计算机"),
    "books": _("购置图书"),
    "hire_qualified": _("招聘专任教师"),
    "hire_pe_art": _("招聘体育艺术教师"),
    "designate_backbone": _("培训认定骨干教师"),
    "transfer_backbone": _("交流轮岗骨干教师"),
    "transfer_qualified": _("交流轮岗教师"),
    "transfer_pe_art": _("交流轮岗体育艺术教师"),
    "transfer_mid_title": _("交流轮岗中级职称教师"),
}
LEVEL_LABELS: Final[dict[str, Promise]] = {"primary": _("小学"), "junior": _("初中")}
BINDING_LABELS: Final[dict[str, Promise]] = {
    "budget": _("预算不足"),
    "caps": _("学校上限(用地、编制)"),
    "data": _("数据未填报"),
    "time_limit": _("求解时限"),
}


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))
