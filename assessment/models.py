"""County assessment: the checklist (政府保障程度, 教育质量, 一票否决), the bureau's entered figures
and evidence, the 社会认可度 survey and the problem list (问题清单).

The checklist is versioned data attached to a rule profile, like the profile's own rules: an
edit adds a ChecklistVersion, earlier versions stay as they were. Judgements are not stored: they
are computed from the current statistics, entries and survey answers whenever they are shown
(assessment/formulas/), so they are never out of date. Problems are stored: they have an owner,
a deadline and a history of their own.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from assessment.formulas.text import from_json
from indicators.models import RuleProfile
from schools.models import District, School


class ChecklistVersion(models.Model):
    """One immutable version of a profile's county checklist (assessment/defaults.py format)."""

    profile = models.ForeignKey(RuleProfile, on_delete=models.CASCADE, related_name="checklist_versions")
    version = models.PositiveIntegerField()
    definition = models.JSONField(_("检查项定义"))
    note = models.CharField(_("修订说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["profile_id", "version"]
        constraints = [models.UniqueConstraint(fields=["profile", "version"], name="one_checklist_version")]
        verbose_name = _("县域评估检查项")
        verbose_name_plural = _("县域评估检查项")

    def __str__(self) -> str:
        return f"{self.profile_id} checklist v{self.version}"


class ItemEntry(models.Model):
    """The bureau's figures for one entered item in one district and year.

    `values` maps the item's input keys to text (numbers as decimal text, declarations as
    "true"/"false"), so that what was typed is kept exactly. Inputs linked to a county figure
    (巩固率) are stored as that CountyFigure instead and are not repeated here.
    """

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="assessment_entries")
    year = models.PositiveSmallIntegerField(_("学年"))
    item_key = models.CharField(_("检查项"), max_length=16)
    values = models.JSONField(_("填报数据"), default=dict, blank=True)
    note = models.TextField(_("说明"), blank=True)
    revision = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["district_id", "year", "item_key"]
        constraints = [models.UniqueConstraint(fields=["district", "year", "item_key"], name="one_entry_per_item_year")]

    def __str__(self) -> str:
        return f"{self.district_id}/{self.year}/{self.item_key}"


class ItemEvidence(models.Model):
    """An evidence file of an entry, stored by checksum (plans/files.py) and only downloaded."""

    entry = models.ForeignKey(ItemEntry, on_delete=models.CASCADE, related_name="evidence")
    original_name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["entry_id", "uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


# --- survey ---------------------------------------------------------------------------------


class Survey(models.Model):
    """The 社会认可度 survey of a district and year, with its sample plan and scoring rules.

    `definition` is a snapshot of the questionnaires when the survey was opened, so answers keep
    their meaning whatever changes later. Scoring (positive options, weights, threshold) is copied
    from the checklist when opened; an administrator may change it for the survey.
    """

    class State(models.TextChoices):
        OPEN = "open", _("进行中")
        CLOSED = "closed", _("已结束")

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="surveys")
    year = models.PositiveSmallIntegerField(_("学年"))
    state = models.CharField(_("状态"), max_length=8, choices=State.choices, default=State.OPEN)
    population = models.PositiveIntegerField(_("常住人口"), null=True, blank=True)
    sample_permille = models.DecimalField(_("抽样比例(‰)"), max_digits=6, decimal_places=3, default=1.5)
    parent_share = models.DecimalField(_("家长最低占比"), max_digits=4, decimal_places=3, default=0.5)
    area_shares = models.JSONField(_("城乡样本占比"), default=dict)  # {"urban": "0.40", …}
    positive_options = models.JSONField(_("计为认可的选项"), default=list)
    group_weights = models.JSONField(_("群体权重"), default=dict, blank=True)
    rate_basis = models.CharField(_("计算口径"), max_length=10, default="overall")
    threshold = models.DecimalField(_("认可度标准"), max_digits=4, decimal_places=3, default=0.85)
    veto = models.BooleanField(_("一票否决"), default=True)
    min_fill_seconds = models.PositiveSmallIntegerField(_("最短作答时间(秒)"), default=20)
    definition = models.JSONField(_("问卷"))
    opened_at = models.DateTimeField(auto_now_add=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["district_id", "year"]
        constraints = [models.UniqueConstraint(fields=["district", "year"], name="one_survey_per_district_year")]

    def __str__(self) -> str:
        return f"{self.district_id}/{self.year} survey"

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN


class SurveyLink(models.Model):
    """A questionnaire's public link (and QR code) for one school, or for the whole district.

    The token in the URL is random (not guessable, revocable by deactivating the link); it only
    says which questionnaire and school. Each visit gets its own one-time RespondentToken.
    """

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="links")
    questionnaire = models.CharField(max_length=10)  # social | staff | student
    school = models.ForeignKey(School, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=32, unique=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["survey_id", "questionnaire", "school_id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "questionnaire", "school"], name="one_link_per_school"),
            models.UniqueConstraint(
                fields=["survey", "questionnaire"], condition=Q(school__isnull=True), name="one_district_link"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}/{self.questionnaire}/{self.school_id or '-'}"


class RespondentToken(models.Model):
    """A one-time token issued when someone opens a link; a response uses it up."""

    link = models.ForeignKey(SurveyLink, on_delete=models.CASCADE, related_name="respondent_tokens")
    token = models.CharField(max_length=48, unique=True)
    issued_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.link_id}:{self.token[:6]}…"


class SurveyResponse(models.Model):
    """One submitted questionnaire. One per respondent token (a database constraint)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    link = models.ForeignKey(SurveyLink, on_delete=models.CASCADE, related_name="responses")
    respondent = models.OneToOneField(RespondentToken, on_delete=models.CASCADE, related_name="response")
    questionnaire = models.CharField(max_length=10)
    group = models.CharField(_("身份"), max_length=12)
    area_type = models.CharField(_("城乡"), max_length=10)
    grade = models.PositiveSmallIntegerField(_("年级"), null=True, blank=True)
    school = models.ForeignKey(School, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    valid = models.BooleanField(default=True)
    seconds = models.PositiveIntegerField(default=0)  # time from opening to submitting
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["survey_id", "submitted_at", "id"]
        indexes = [models.Index(fields=["survey", "valid", "group"])]

    def __str__(self) -> str:
        return f"{self.survey_id}/{self.questionnaire}/{self.group}"


class SurveyAnswer(models.Model):
    """One answer of a response: the raw data the per-group counts are taken from."""

    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.CharField(max_length=16)
    option = models.CharField(max_length=16)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="one_answer_per_question")]

    def __str__(self) -> str:
        return f"{self.question}={self.option}"


# --- problems -------------------------------------------------------------------------------


class Problem(models.Model):
    """A problem to rectify (问题清单): found by the system or added by the bureau.

    System problems carry a `key` that names what failed (a school's indicator, a CV, an item,
    the survey); problems_sync opens one when a finding has no open problem and closes it when
    later approved data passes. At most one open problem per district and key.
    """

    class Source(models.TextChoices):
        BALANCE_UNIT = "balance_unit", _("学校资源配置指标")
        BALANCE_CV = "balance_cv", _("校际差异系数")
        ITEM = "item", _("县域检查项")
        ITEM_SCHOOL = "item_school", _("学校检查项")
        RECOGNITION = "recognition", _("社会认可度")
        MANUAL = "manual", _("自行添加")

    class State(models.TextChoices):
        OPEN = "open", _("待整改")
        IN_PROGRESS = "in_progress", _("整改中")
        CLOSED = "closed", _("已整改")

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="problems")
    year = models.PositiveSmallIntegerField(_("发现学年"))
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    key = models.CharField(max_length=160, blank=True)
    profile_name = models.CharField(max_length=64, blank=True)
    school = models.ForeignKey(School, null=True, blank=True, on_delete=models.SET_NULL, related_name="problems")
    title = models.CharField(_("问题"), max_length=300)
    detail = models.TextField(_("具体情况"), blank=True)
    # How a system problem's title and detail were made (assessment.formulas.text.to_json), so a
    # page says them in the reader's language; {} for the bureau's own words.
    title_text = models.JSONField(default=dict, blank=True)
    detail_text = models.JSONField(default=dict, blank=True)
    owner = models.CharField(_("责任单位/责任人"), max_length=100, blank=True)
    deadline = models.DateField(_("整改期限"), null=True, blank=True)
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.OPEN)
    closed_auto = models.BooleanField(default=False)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    close_note = models.TextField(_("整改说明"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["district_id", "state", "deadline", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "key"],
                condition=~Q(state="closed") & ~Q(key=""),
                name="one_open_problem_per_key",
            )
        ]
        indexes = [models.Index(fields=["district", "state"]), models.Index(fields=["district", "key"])]

    def __str__(self) -> str:
        return self.title

    @property
    def shown_title(self) -> str:
        """The title as made (a Text the `tr` filter says in the reader's language), else as stored."""
        return from_json(self.title_text, self.title)

    @property
    def shown_detail(self) -> str:
        return from_json(self.detail_text, self.detail)

    @property
    def is_open(self) -> bool:
        return self.state != self.State.CLOSED
