"""Rule profiles (the standards as versioned data) and the stored balance results.

Every number a user sees on the balance pages, in the API, the spreadsheet and the PDF is read
from a BalanceResult: computed once by indicators.services.balance_recompute, stored with the
profile version and the fingerprint of the input data it came from.
"""

from __future__ import annotations

from collections import OrderedDict
from functools import cached_property

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from indicators import results, stored
from schools.models import District


class RuleProfile(models.Model):
    """A named set of rules, e.g. the national `quality-2017` or a province's variant."""

    name = models.SlugField(_("规则标识"), max_length=64, unique=True)
    label = models.CharField(_("名称"), max_length=128)
    province = models.CharField(_("适用省份"), max_length=32, blank=True, help_text=_("空 = 全国默认"))
    districts = models.ManyToManyField(
        District, blank=True, related_name="rule_profiles", verbose_name=_("采用该规则的区县")
    )

    class Meta:
        ordering = ["province", "name"]
        verbose_name = _("评估规则")
        verbose_name_plural = _("评估规则")

    def __str__(self) -> str:
        return f"{self.label} ({self.name})"

    def current_version(self) -> RuleProfileVersion:
        return self.versions.order_by("-version").first()  # type: ignore[return-value]


class CurrentProfile(models.Model):
    """The profile a district is assessed under now: its pages, forms and reports open on it.

    At most one per district; without one the district's first profile of the 2017 method
    (indicators.selectors.current_profile) is used. Set by whoever configures the rules.
    """

    district = models.OneToOneField(District, on_delete=models.CASCADE, related_name="current_profile")
    profile = models.ForeignKey(RuleProfile, on_delete=models.PROTECT, related_name="current_for")
    chosen_at = models.DateTimeField(auto_now=True)
    chosen_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        verbose_name = _("现行评估规则")
        verbose_name_plural = _("现行评估规则")

    def __str__(self) -> str:
        return f"{self.district_id}: {self.profile_id}"


class RuleProfileVersion(models.Model):
    """One immutable version of a profile's rules. Editing a profile adds a version."""

    profile = models.ForeignKey(RuleProfile, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    definition = models.JSONField(_("规则定义"))
    note = models.CharField(_("修订说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["profile_id", "version"]
        constraints = [models.UniqueConstraint(fields=["profile", "version"], name="one_profile_version")]

    def __str__(self) -> str:
        return f"{self.profile.name} v{self.version}"


class BalanceState(models.Model):
    """Whether a district-year's stored results are up to date with its data.

    `requested_at` moves on every change; a recompute that started before the latest request
    leaves the state stale and schedules another run, so a burst of saves gives one or two runs
    and never a result older than the data without saying so.
    """

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="balance_states")
    year = models.PositiveSmallIntegerField()
    stale = models.BooleanField(default=True)
    requested_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["district", "year"], name="one_state_per_district_year")]

    def __str__(self) -> str:
        return f"{self.district_id}/{self.year} {'stale' if self.stale else 'fresh'}"


class BalanceResult(models.Model):
    """The evaluation of one district, year and profile version, stored once.

    `payload` is the outcome in its stored form (indicators.results: compact column-wise JSON as
    bytes, not jsonb: nothing queries inside it, and the server then stores it several times
    faster). Read it only as `outcome`, the typed contract. Written in one transaction and then
    made current, so a reader sees the old set or the new one, never half of one.
    """

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="balance_results")
    year = models.PositiveSmallIntegerField()
    profile_version = models.ForeignKey(RuleProfileVersion, on_delete=models.PROTECT, related_name="results")
    profile_name = models.CharField(max_length=64)  # denormalised for lookups
    input_fingerprint = models.CharField(max_length=64)
    units_total = models.PositiveIntegerField(default=0)
    units_approved = models.PositiveIntegerField(default=0)
    payload = models.BinaryField()
    is_current = models.BooleanField(default=True)
    computed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["district_id", "year", "profile_name", "-computed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "year", "profile_name"],
                condition=Q(is_current=True),
                name="one_current_result",
            )
        ]
        indexes = [models.Index(fields=["district", "year", "profile_name", "is_current"])]

    def __str__(self) -> str:
        return f"{self.district_id}/{self.year}/{self.profile_name}"

    @cached_property
    def outcome(self) -> results.BalanceOutcome:
        """The stored outcome. A result row is never changed once written (a recompute writes a
        new one), so its decoded outcome is kept per process for the next request."""
        found = _DECODED.get(self.pk)
        if found is None:
            found = stored.decode(bytes(self.payload))
            if self.pk is not None:
                _DECODED[self.pk] = found
                while len(_DECODED) > _DECODED_KEEP:
                    _DECODED.popitem(last=False)
        else:
            _DECODED.move_to_end(self.pk)
        return found


# Decoded outcomes of recently read results, newest last (see BalanceResult.outcome).
_DECODED: OrderedDict[int, results.BalanceOutcome] = OrderedDict()
_DECODED_KEEP = 32
