"""Writes for reports: ask for a report (reuse or queue), render a job, store the file.

Rules:
- Same inputs, same file: a request computes the report's fingerprint (selectors.report_identity)
  and answers with the finished job of that fingerprint when its file exists, at once; an equal
  request already queued or rendering is joined, not duplicated.
- Changed inputs make a new job, rendered by a Celery worker (reports.tasks.render_report).
- A render that fails leaves the job `failed` with a reason the page shows.
- A worker that dies mid-render (killed with its children, out of memory) leaves the job
  `rendering` with a heartbeat that stopped (the worker renews `heartbeat_at` every
  REPORT_HEARTBEAT_SECONDS while it renders). Such a job is queued again, with the reason
  INTERRUPTED shown on the page, by the next request for it, by a worker that starts and by the
  catch-up beat job (reports_requeue_interrupted); after MAX_ATTEMPTS renders it is failed. A
  render claims its job first (a conditional UPDATE), so a task delivered twice renders once. A
  job queued for longer than STUCK_AFTER (its message lost with a Redis restart) is sent again.
- Files live under MEDIA_ROOT/reports/ (no URL; sent only by the download view), named by
  fingerprint. The newest report of each kind, format, district, school, year and profile keeps
  its file; superseded ones lose it after REPORT_KEEP_DAYS (reports_prune, run daily).
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from reports import pdf, pdfsplit, selectors, xlsx
from reports.models import ACTIVE_STATUSES, JobStatus, ReportFormat, ReportJob, ReportKind
from schools.models import District, School

if TYPE_CHECKING:
    from core.models import User

log = logging.getLogger(__name__)

STUCK_AFTER = timedelta(minutes=15)  # queued this long without a worker taking it: sent again
MAX_ATTEMPTS = 3  # renders started before an interrupted job is failed rather than queued again
TEMPLATES = {ReportKind.COUNTY: "reports/pdf/county.html", ReportKind.SCHOOL: "reports/pdf/school.html"}
REPORTS_DIR = "reports"
PROFILE_NOT_USED = "该区县未采用此评估规则"
SCHOOL_REQUIRED = "学校报告需要选择学校"
# Reasons stored on the job (Chinese, the data's language) and shown through the catalogue.
QUEUE_FAILED = gettext_noop("无法提交到渲染队列,请稍后重试")
INTERRUPTED = gettext_noop("渲染中断,已重新排队")
INTERRUPTED_TOO_OFTEN = gettext_noop("渲染多次中断,已停止;请稍后重新生成或联系管理员")


def heartbeat_seconds() -> float:
    return float(getattr(settings, "REPORT_HEARTBEAT_SECONDS", 5))


def heartbeat_stale_seconds() -> float:
    """A rendering job whose heartbeat is older than this is taken as interrupted."""
    return float(getattr(settings, "REPORT_HEARTBEAT_STALE_SECONDS", 30))


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
        if active is not None:
            _recover(active, timezone.now())
            active.refresh_from_db()
            if active.status in ACTIVE_STATUSES:
                return active
        job = ReportJob.objects.create(
            kind=kind,
            fmt=fmt,
            district=district,
            school=school if kind == ReportKind.SCHOOL else None,
            year=year,
            profile_name=profile_name,
            fingerprint=fingerprint,
            requested_by=user,
            queued_at=timezone.now(),
        )
        transaction.on_commit(partial(_enqueue, job.pk))
    return job


def _interrupted(now: datetime) -> Q:
    """Rendering jobs whose worker stopped beating."""
    stale = now - timedelta(seconds=heartbeat_stale_seconds())
    return Q(status=JobStatus.RENDERING) & (
        Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, started_at__lt=stale)
    )


def _lost(now: datetime) -> Q:
    """Queued jobs whose task no worker has taken for STUCK_AFTER (its message may be gone)."""
    return Q(status=JobStatus.QUEUED, queued_at__lt=now - STUCK_AFTER)


def _recover(job: ReportJob, now: datetime) -> bool:
    """Queue an interrupted or lost job again (or fail it after MAX_ATTEMPTS); True if it was."""
    candidates = ReportJob.objects.filter(pk=job.pk).filter(_interrupted(now) | _lost(now))
    if job.attempts >= MAX_ATTEMPTS:
        return bool(
            candidates.update(status=JobStatus.FAILED, reason=INTERRUPTED_TOO_OFTEN, finished_at=now, progress=0)
        )
    # Conditional on the state just read: a heartbeat renewed meanwhile keeps the job where it is.
    requeued = candidates.filter(status=job.status, heartbeat_at=job.heartbeat_at).update(
        status=JobStatus.QUEUED,
        progress=0,
        queued_at=now,
        reason=INTERRUPTED if job.status == JobStatus.RENDERING else job.reason,
    )
    if requeued:
        log.warning("report job %s: interrupted or lost, queued again", job.pk)
        transaction.on_commit(partial(_enqueue, job.pk))
    return bool(requeued)


def reports_requeue_interrupted(*, now: datetime | None = None) -> int:
    """Queue again every job whose render was interrupted or whose task was lost (the catch-up
    beat job, and every worker when it starts). Returns how many were queued again or failed."""
    now = now or timezone.now()
    jobs = ReportJob.objects.filter(_interrupted(now) | _lost(now)).only("status", "reason", "attempts", "heartbeat_at")
    return sum(_recover(job, now) for job in jobs)


def _enqueue(job_id: int) -> None:
    from reports.tasks import render_report

    if getattr(settings, "REPORT_RENDER_IN_THREAD", False):
        # No broker (`make run`): render beside the request, which answers at once and whose page
        # polls the job's progress like a worker's; an interrupted render is taken up as above.
        threading.Thread(target=_render_in_thread, args=(job_id,), name=f"report-{job_id}", daemon=True).start()
        return
    try:
        render_report.delay(job_id)
    except Exception:
        # Broker down: say so on the page rather than leave the job queued forever.
        log.warning("could not queue report job %s", job_id, exc_info=True)
        _fail(job_id, QUEUE_FAILED)


def _render_in_thread(job_id: int) -> None:
    try:
        report_render(job_id=job_id)
    except Exception:  # the job is failed with its reason by report_render; nothing to raise to
        log.exception("report job %s failed in its thread", job_id)
    finally:
        connection.close()  # this thread's own connection


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
    html = pdf.render_html(TEMPLATES[ReportKind(kind)], context)
    if progress:
        progress(30)
    # The county report's parts render at once in forked processes (reports.pdfsplit).
    rendered = pdfsplit.render_split(html, progress=progress, expected_pages=expected_pages)
    return rendered.data, rendered.pages


def report_render(*, job_id: int) -> ReportJob:
    """Render a job and store its file; idempotent (a finished job with its file is kept).

    The fingerprint is taken again when rendering starts, so a file always carries the identity
    of data at least as old as what it shows.
    """
    job = ReportJob.objects.select_related("district", "school").get(pk=job_id)
    if job.status == JobStatus.DONE and job.file and (Path(settings.MEDIA_ROOT) / job.file).is_file():
        return job
    if not _claim(job.pk):
        job.refresh_from_db()  # another worker renders it (a task delivered twice), or it gave up
        return job
    started = time.perf_counter()
    try:
        with _heartbeat(job.pk):
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
            reason="",
        )
    job.refresh_from_db()
    return job


def _claim(job_id: int) -> bool:
    """Mark the job rendering by this worker, unless another worker renders it (its heartbeat is
    fresh) or it has been started MAX_ATTEMPTS times. One conditional UPDATE: of two deliveries
    of the same task, one claims the job."""
    now = timezone.now()
    rendering_elsewhere = Q(
        status=JobStatus.RENDERING, heartbeat_at__gte=now - timedelta(seconds=heartbeat_stale_seconds())
    )
    claimed = (
        ReportJob.objects.filter(pk=job_id, attempts__lt=MAX_ATTEMPTS)
        .exclude(rendering_elsewhere)
        .update(status=JobStatus.RENDERING, progress=5, started_at=now, heartbeat_at=now, attempts=F("attempts") + 1)
    )
    return bool(claimed)


@contextmanager
def _heartbeat(job_id: int) -> Iterator[None]:
    """Renew the job's heartbeat every REPORT_HEARTBEAT_SECONDS from a thread while the block runs
    (WeasyPrint may lay out for a while between two progress reports)."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(heartbeat_seconds()):
                ReportJob.objects.filter(pk=job_id, status=JobStatus.RENDERING).update(heartbeat_at=timezone.now())
        except Exception:  # a missed beat only lets another worker take the job over
            log.warning("report job %s: heartbeat failed", job_id, exc_info=True)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"report-heartbeat-{job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(error.messages)
    return str(error)


def _progress(job_id: int, percent: int) -> None:
    ReportJob.objects.filter(pk=job_id, status=JobStatus.RENDERING).update(
        progress=min(percent, 99), heartbeat_at=timezone.now()
    )


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
