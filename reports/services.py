"""Writes for reports: ask for a report (reuse or queue), render a job, store the file.

Rules:
- Same inputs, same file: a request computes the report's fingerprint (selectors.report_identity)
  and answers with the finished job of that fingerprint when its file exists, at once; an equal
  request already queued or rendering is joined, not duplicated.
- Changed inputs make a new job, rendered by a Celery worker (reports.tasks.render_report).
- A render that fails leaves the job `failed` with a reason the page shows; a job stuck in
  queued/rendering for longer than STUCK_AFTER (a lost worker) is failed and replaced by the
  next request.
- Files live under MEDIA_ROOT/reports/ (no URL; sent only by the download view), named by
  fingerprint. The newest report of each kind, format, district, school, year and profile keeps
  its file; superseded ones lose it after REPORT_KEEP_DAYS (reports_prune, run daily).
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from reports import pdf, selectors, xlsx
from reports.models import ACTIVE_STATUSES, JobStatus, ReportFormat, ReportJob, ReportKind
from schools.models import District, School

if TYPE_CHECKING:
    from core.models import User

log = logging.getLogger(__name__)

STUCK_AFTER = timedelta(minutes=15)
TEMPLATES = {ReportKind.COUNTY: "reports/pdf/county.html", ReportKind.SCHOOL: "reports/pdf/school.html"}
REPORTS_DIR = "reports"
PROFILE_NOT_USED = "该区县未采用此评估规则"
SCHOOL_REQUIRED = "学校报告需要选择学校"
QUEUE_FAILED = "无法提交到渲染队列,请稍后重试"
STUCK = "渲染超时未完成(渲染进程可能已中断),已重新排队"


# --- request ------------------------------------------------------------------------------------


def report_request(
    *,
    user: User | None,
    kind: str,
    fmt: str,
    district: District,
    school: School | None,
    year: int,
    profile_name: str,
) -> ReportJob:
    """A report for these inputs: the stored one when nothing changed, else a queued job.

    Raises ValidationError when the report cannot be made (profile not used by the district, no
    stored result for the year, a school report without a school).
    """
    if kind == ReportKind.SCHOOL and school is None:
        raise ValidationError(SCHOOL_REQUIRED)
    if school is not None and school.district_id != district.pk:
        raise ValidationError(SCHOOL_REQUIRED)
    if profile_name not in {p.name for p in selectors.report_profiles(district)}:
        raise ValidationError(PROFILE_NOT_USED)
    if not selectors.result_exists(district, year, profile_name):
        raise ValidationError(selectors.unavailable_message(district, year, profile_name))
    fingerprint = selectors.report_identity(
        kind=kind, fmt=fmt, district=district, school=school, year=year, profile_name=profile_name
    )
    with transaction.atomic():
        # One request of a district at a time decides between reuse, join and a new job.
        District.objects.select_for_update().filter(pk=district.pk).exists()
        reused = selectors.reusable_job(fingerprint)
        if reused is not None:
            return reused
        active = selectors.active_job(fingerprint)
        if active is not None and not _stuck(active):
            return active
        if active is not None:
            _fail(active.pk, STUCK)
        job = ReportJob.objects.create(
            kind=kind,
            fmt=fmt,
            district=district,
            school=school if kind == ReportKind.SCHOOL else None,
            year=year,
            profile_name=profile_name,
            fingerprint=fingerprint,
            requested_by=user,
        )
        transaction.on_commit(partial(_enqueue, job.pk))
    return job


def _stuck(job: ReportJob) -> bool:
    since = job.started_at or job.created_at
    return timezone.now() - since > STUCK_AFTER


def _enqueue(job_id: int) -> None:
    from reports.tasks import render_report

    try:
        render_report.delay(job_id)
    except Exception:
        # Broker down: say so on the page rather than leave the job queued forever.
        log.warning("could not queue report job %s", job_id, exc_info=True)
        _fail(job_id, QUEUE_FAILED)


# --- render -------------------------------------------------------------------------------------


def render_document(
    *,
    kind: str,
    fmt: str,
    district: District,
    school: School | None,
    year: int,
    profile_name: str,
    progress: Callable[[int], None] | None = None,
    expected_pages: int = 20,
) -> tuple[bytes, int | None]:
    """The report's bytes (PDF or XLSX) and its page count (PDF), rendered now.

    Shared by the worker (report_render) and `manage.py render_report`.
    """
    context: dict[str, Any]
    if kind == ReportKind.SCHOOL:
        if school is None:
            raise ValidationError(SCHOOL_REQUIRED)
        context = selectors.school_report_context(school=school, year=year, profile_name=profile_name)
    else:
        context = selectors.county_report_context(district=district, year=year, profile_name=profile_name)
    if progress:
        progress(20)
    if fmt == ReportFormat.XLSX:
        if kind == ReportKind.SCHOOL:
            return xlsx.school_workbook(context), None
        return xlsx.county_workbook(context), None
    rendered = pdf.render_pdf(TEMPLATES[ReportKind(kind)], context, progress=progress, expected_pages=expected_pages)
    return rendered.data, rendered.pages


def report_render(*, job_id: int) -> ReportJob:
    """Render a job and store its file; idempotent (a finished job with its file is kept).

    The fingerprint is taken again when rendering starts, so a file always carries the identity
    of data at least as old as what it shows.
    """
    job = ReportJob.objects.select_related("district", "school").get(pk=job_id)
    if job.status == JobStatus.DONE and job.file and (Path(settings.MEDIA_ROOT) / job.file).is_file():
        return job
    started = time.perf_counter()
    ReportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RENDERING, progress=5, started_at=timezone.now(), reason=""
    )
    try:
        fingerprint = selectors.report_identity(
            kind=job.kind,
            fmt=job.fmt,
            district=job.district,
            school=job.school,
            year=job.year,
            profile_name=job.profile_name,
        )
        data, pages = render_document(
            kind=job.kind,
            fmt=job.fmt,
            district=job.district,
            school=job.school,
            year=job.year,
            profile_name=job.profile_name,
            progress=partial(_progress, job.pk),
            expected_pages=selectors.expected_pages(job),
        )
        relative = store_file(fingerprint, job.fmt, data)
    except DatabaseError:
        raise  # the task retries
    except (selectors.ReportUnavailable, ValidationError) as error:
        _fail(job.pk, _message(error))
    except Exception as error:
        log.exception("report job %s failed", job.pk)
        _fail(job.pk, f"生成失败:{type(error).__name__}: {error}"[:500])
    else:
        ReportJob.objects.filter(pk=job.pk).update(
            status=JobStatus.DONE,
            progress=100,
            fingerprint=fingerprint,
            file=relative,
            size=len(data),
            pages=pages,
            render_seconds=round(time.perf_counter() - started, 3),
            finished_at=timezone.now(),
        )
    job.refresh_from_db()
    return job


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(error.messages)
    return str(error)


def _progress(job_id: int, percent: int) -> None:
    ReportJob.objects.filter(pk=job_id, status=JobStatus.RENDERING).update(progress=min(percent, 99))


def _fail(job_id: int, reason: str) -> None:
    ReportJob.objects.filter(pk=job_id, status__in=ACTIVE_STATUSES).update(
        status=JobStatus.FAILED, reason=reason, finished_at=timezone.now()
    )


def store_file(fingerprint: str, fmt: str, data: bytes) -> str:
    """Write the file atomically under MEDIA_ROOT/reports/; returns its path relative to MEDIA_ROOT."""
    relative = Path(REPORTS_DIR) / fingerprint[:2] / f"{fingerprint}.{fmt}"
    target = Path(settings.MEDIA_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o640)  # private: read by the app's own user and group only
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return relative.as_posix()


# --- pruning ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PruneResult:
    jobs_cleared: int  # superseded reports whose file was deleted (the job stays listed)
    files_deleted: int  # those files, plus leftovers no job names
    bytes_freed: int


def reports_prune(*, keep_days: int | None = None, now: datetime | None = None) -> PruneResult:
    """Delete the files of superseded reports older than `keep_days` (REPORT_KEEP_DAYS).

    The newest finished report of each kind, format, district, school, year and profile keeps
    its file whatever its age: it is what a request with unchanged inputs reuses. An older one
    was superseded by a render with changed inputs; after `keep_days` its file is deleted and
    its job stays listed as cleared (a request that needs it again renders it anew). Files no
    job names (a partial write, a job deleted) are deleted after the same time, and never before
    a day: a worker may have just written one and not yet recorded it.
    """
    days = settings.REPORT_KEEP_DAYS if keep_days is None else keep_days
    now = now or timezone.now()
    cutoff = now - timedelta(days=days)
    orphan_cutoff = min(cutoff, now - timedelta(days=1))
    done = ReportJob.objects.filter(status=JobStatus.DONE).exclude(file="")
    newest: dict[tuple[object, ...], ReportJob] = {}
    superseded: list[ReportJob] = []
    fields = ("kind", "fmt", "district_id", "school_id", "year", "profile_name", "file", "finished_at")
    for job in done.only(*fields).order_by("-finished_at", "-id"):
        key = (job.kind, job.fmt, job.district_id, job.school_id, job.year, job.profile_name)
        if key not in newest:
            newest[key] = job
        elif job.finished_at is not None and job.finished_at < cutoff:
            superseded.append(job)
    kept = {job.file for job in newest.values()}  # files are named by fingerprint: may be shared
    root = Path(settings.MEDIA_ROOT)
    freed = deleted = 0
    for job in superseded:
        if job.file not in kept:
            size = _unlink(root / job.file)
            deleted += size is not None
            freed += size or 0
    ReportJob.objects.filter(pk__in=[job.pk for job in superseded]).update(file="")
    named = set(done.exclude(pk__in=[job.pk for job in superseded]).values_list("file", flat=True))
    for path in sorted((root / REPORTS_DIR).rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_file() and relative not in named and _modified(path) < orphan_cutoff:
            size = _unlink(path)
            deleted += size is not None
            freed += size or 0
    return PruneResult(jobs_cleared=len(superseded), files_deleted=deleted, bytes_freed=freed)


def _modified(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.get_current_timezone())


def _unlink(path: Path) -> int | None:
    """Delete a file; its size, or None when it was already gone."""
    try:
        size = path.stat().st_size
        path.unlink()
    except FileNotFoundError:
        return None
    return size
