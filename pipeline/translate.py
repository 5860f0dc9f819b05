"""Translate, check and store: masked requests through an engine, results back as versions.

Plural segments are sent once per target plural form with that form's sample number, so
every msgstr[i] is translated, never copied. Every result is unmasked and checked; clean
output is stored as `machine`, anything with issues as `needs_review` with the reasons.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy.orm import Session

from locflow.catalog.checks import CHECKS, CheckContext, Issue, run_checks
from locflow.catalog.dnt import protect_dnt, restore_dnt
from locflow.catalog.placeholders import Masked, PlaceholderMismatch, mask, unmask
from locflow.catalog.plural_sample import count_placeholder, restore_count, with_sample
from locflow.catalog.plurals import plural_info
from locflow.catalog.terms import TermExpectation, check_terms
from locflow.connectors.engines.base import (
    Engine,
    OverBudget,
    RateLimited,
    Request,
    Result,
    Transient,
)
from locflow.db import repo
from locflow.db.states import State
from locflow.pipeline.plan import LocalePlan, WorkItem
from locflow.pipeline.terms import violated


@dataclass(frozen=True)
class Job:
    """One string (all its plural forms) to translate; its result serves every item."""

    items: tuple[WorkItem, ...]

    @property
    def lead(self) -> WorkItem:
        return self.items[0]


@dataclass(frozen=True)
class Outcome:
    job: Job
    forms: tuple[str, ...]
    issues: tuple[Issue, ...]
    tokens_in: int = 0
    tokens_out: int = 0
    model: str = ""
    forms_sent: int = 0
    """Texts handed to the engine (one per plural form, again for a glossary retry); the
    engine decides how many HTTP requests carry them."""
    retry_later: bool = False
    """A transient failure outlasted its retries: store nothing, the next run tries again."""
    retried: bool = False
    """The first answer ignored the glossary and was asked for again."""


@dataclass
class StoreCounts:
    machine: int = 0
    needs_review: int = 0
    reused: int = 0
    deferred: int = 0
    retried: int = 0
    superseded: int = 0
    """Results dropped because a reviewer or another run stored a version meanwhile."""
    issues: dict[str, int] = field(default_factory=dict)

    def add(self, other: StoreCounts) -> None:
        self.superseded += other.superseded
        self.machine += other.machine
        self.needs_review += other.needs_review
        self.reused += other.reused
        self.deferred += other.deferred
        self.retried += other.retried
        for k, v in other.issues.items():
            self.issues[k] = self.issues.get(k, 0) + v


def jobs_of(plan: LocalePlan) -> list[Job]:
    return [Job(tuple(items)) for items in plan.queued.values()]


@dataclass(frozen=True)
class FormRequest:
    """One target plural form (or the only form) as sent: masked text and how to map back."""

    masked: Masked
    sample: int | None = None
    count_placeholder: str | None = None
    occurrences: int = 0
    dnt: tuple[tuple[str, str], ...] = ()
    """(sentinel, term) for do-not-translate terms protected as tokens."""


def form_requests(item: WorkItem, source_locale: str) -> list[FormRequest]:
    """Per target form: the source that fits its sample number, with n written in.

    A form selected by n=1 alone may use msgid even without the number (gettext allows it);
    another form whose sample is 1 (French "one" covers 0 and 1) uses msgid only when msgid
    carries the number, else msgid_plural, so the number stays in the translation.
    """
    seg = item.segment

    def masked(
        text: str, sample: int | None = None, placeholder: str | None = None, occurrences: int = 0
    ) -> FormRequest:
        protected, dnt = protect_dnt(text, item.terms.dnt)
        m = mask(protected, seg.flags, markdown="markdown" in seg.flags)
        return FormRequest(m, sample, placeholder, occurrences, tuple(dnt.items()))

    if not seg.is_plural:
        return [masked(seg.msgid)]
    source_plural = plural_info(source_locale)
    out = []
    for form in item.plural.forms:
        n = form.sample
        text = seg.msgid_plural or seg.msgid
        # msgid reads right for n; without the number it only fits a form for n=1 alone
        if (
            n is not None
            and source_plural.index(n) == 0
            and (form.single or count_placeholder(seg.msgid, seg.flags) is not None)
        ):
            text = seg.msgid
        placeholder = count_placeholder(text, seg.flags) if n is not None else None
        if placeholder is not None and n is not None:
            occurrences = text.count(placeholder)
            out.append(masked(with_sample(text, placeholder, n), n, placeholder, occurrences))
        else:
            out.append(masked(text, n))
    return out


def build_requests(
    job: Job, source_locale: str, job_key: str, insist: Sequence[TermExpectation] = ()
) -> tuple[list[Request], list[FormRequest]]:
    """The requests for one job; `insist` names terms a first answer ignored (the retry sends
    only those as terms, and says so in the context for engines that read it)."""
    item = job.lead
    requests = []
    forms = form_requests(item, source_locale)
    notes = [item.segment.msgctxt or "", item.segment.extracted_comments]
    terms = item.terms.pairs
    if insist:
        terms = tuple((e.source, e.accepted[0]) for e in insist if e.accepted)
        wanted = ", ".join(f'"{e.source}" as "{e.accepted[0]}"' for e in insist if e.accepted)
        forbidden = ", ".join(f'"{f}"' for e in insist for f in e.forbidden)
        notes.append(f"Required terminology: translate {wanted}." if wanted else "")
        notes.append(f"Never use {forbidden}." if forbidden else "")
    context = "\n".join(x for x in notes if x)
    for i, form in enumerate(forms):
        requests.append(
            Request(
                key=f"{job_key}:{i}",
                text=form.masked.text,
                source_locale=source_locale,
                target_locale=item.locale,
                tokens=tuple(t.token for t in form.masked.tokens),
                context=context,
                terms=terms,
                memory=item.memory,
                plural_sample=form.sample,
                markup="markdown" if "markdown" in item.segment.flags else "",
            )
        )
    return requests, forms


def _restore(form: FormRequest, result: Result) -> tuple[str, Issue | None]:
    masked = form.masked
    if result.error is not None or result.text is None:
        reason = str(result.error) if result.error else "no text returned"
        return "", Issue("engine", "error", f"engine could not translate this string: {reason}")
    try:
        text, issue = unmask(masked, result.text), None
    except PlaceholderMismatch as exc:
        text = result.text
        for t in masked.tokens:
            text = text.replace(t.token, t.original)
        text, issue = (
            masked.leading + text + masked.trailing,
            Issue("placeholders", "error", str(exc)),
        )
    text = restore_dnt(text, dict(form.dnt))
    if form.count_placeholder is not None and form.sample is not None:
        restored = restore_count(text, form.sample, form.count_placeholder, form.occurrences)
        if restored is None:
            return text, issue or Issue(
                "plural-sample",
                "error",
                f"the sample number {form.sample} did not come back where "
                f"{form.count_placeholder} belongs",
            )
        text = restored
    return text, issue


async def translate_jobs(engine: Engine, jobs: Sequence[Job], source_locale: str) -> list[Outcome]:
    """Send every job's requests in one engine batch (the engine paces and splits); answers
    that ignore the glossary get one more try with only the violated terms."""
    outcomes = await _send(engine, jobs, source_locale, {})
    insist: dict[int, tuple[TermExpectation, ...]] = {}
    for i, outcome in enumerate(outcomes):
        item = outcome.job.lead
        if item.terms.expectations and all(outcome.forms) and not outcome.retry_later:
            problems = check_terms(outcome.forms, item.terms.expectations, item.locale)
            broken = violated(item.terms.expectations, problems)
            if broken:
                insist[i] = broken
    if not insist:
        return outcomes
    retried = await _send(
        engine, [outcomes[i].job for i in insist], source_locale, dict(enumerate(insist.values()))
    )
    for i, second in zip(insist, retried, strict=True):
        first = outcomes[i]
        keep = second if all(second.forms) and not second.retry_later else first
        outcomes[i] = replace(
            keep,
            tokens_in=first.tokens_in + second.tokens_in,
            tokens_out=first.tokens_out + second.tokens_out,
            forms_sent=first.forms_sent + second.forms_sent,
            retried=True,
        )
    return outcomes


async def _send(
    engine: Engine,
    jobs: Sequence[Job],
    source_locale: str,
    insist: dict[int, tuple[TermExpectation, ...]],
) -> list[Outcome]:
    batch: list[Request] = []
    spans: list[tuple[int, int, list[FormRequest]]] = []
    for j, job in enumerate(jobs):
        requests, forms = build_requests(job, source_locale, str(j), insist.get(j, ()))
        spans.append((len(batch), len(requests), forms))
        batch.extend(requests)
    results = await engine.translate(batch) if batch else []
    outcomes = []
    for job, (start, count, form_reqs) in zip(jobs, spans, strict=True):
        forms, issues = [], []
        tin = tout = 0
        model = ""
        for form, result in zip(form_reqs, results[start : start + count], strict=True):
            text, issue = _restore(form, result)
            forms.append(text)
            if issue is not None:
                issues.append(issue)
            tin, tout = tin + result.tokens_in, tout + result.tokens_out
            model = result.model or model
        chunk = results[start : start + count]
        # throttled, unreachable or over the cost cap: nothing is stored, the next run retries
        retry_later = any(isinstance(r.error, Transient | RateLimited | OverBudget) for r in chunk)
        outcomes.append(
            Outcome(job, tuple(forms), tuple(issues), tin, tout, model, count, retry_later)
        )
    return outcomes


def check_outcome(outcome: Outcome, source_locale: str) -> tuple[Issue, ...]:
    item = outcome.job.lead
    ctx = CheckContext(
        source_locale=source_locale,
        target_locale=item.locale,
        plural=item.plural,
        terms=item.terms.expectations,
        charset=item.charset,
    )
    issues = list(outcome.issues)
    seen = {i.check for i in issues}
    if "engine" in seen:
        return tuple(issues)  # nothing came back: the engine's reason says it all
    issues += [i for i in run_checks(item.segment, outcome.forms, ctx) if i.check not in seen]
    return tuple(issues)


def store_outcomes(
    s: Session,
    outcomes: Iterable[Outcome],
    *,
    source_locale: str,
    engine_name: str,
    run_id: int | None,
    cost_of: Callable[[int, int], float] | None = None,
) -> StoreCounts:
    counts = StoreCounts()
    pending: list[repo.NewVersion] = []
    for outcome in outcomes:
        if outcome.retry_later:
            counts.deferred += len(outcome.job.items)
            continue
        issues = check_outcome(outcome, source_locale)
        state = State.NEEDS_REVIEW if issues else State.MACHINE
        counts.retried += len(outcome.job.items) if outcome.retried else 0
        cost = cost_of(outcome.tokens_in, outcome.tokens_out) if cost_of else 0.0
        for k, item in enumerate(outcome.job.items):
            pending.append(
                repo.NewVersion(
                    segment_id=item.segment_id,
                    locale=item.locale,
                    forms=outcome.forms,
                    state=state,
                    origin="engine",
                    source_hash=item.source_hash,
                    author=engine_name,
                    engine=engine_name,
                    model=outcome.model,
                    issues=tuple(issue_dict(i) for i in issues),
                    terms_hash=item.terms.hash,
                    glossary_hash=item.glossary_hash,
                    # usage is billed once, to the first item sharing the request
                    tokens_in=outcome.tokens_in if k == 0 else 0,
                    tokens_out=outcome.tokens_out if k == 0 else 0,
                    cost=cost if k == 0 else 0.0,
                    run_id=run_id,
                    base_n=item.base_n,
                )
            )
        for i in issues:
            counts.issues[i.check] = counts.issues.get(i.check, 0) + len(outcome.job.items)
    # a reviewer's (or another writer's) version stored since planning wins: ours is kept
    # as rejected history, so the request's usage stays in the cost ledger
    fresh = repo.still_newest(s, pending)
    final = [
        v if ok else replace(v, state=State.REJECTED, issues=(*v.issues, SUPERSEDED), base_n=None)
        for v, ok in zip(pending, fresh, strict=True)
    ]
    repo.add_versions(s, final)
    counts.superseded = fresh.count(False)
    counts.machine = sum(1 for v in final if v.state == State.MACHINE)
    counts.needs_review = sum(1 for v in final if v.state == State.NEEDS_REVIEW)
    return counts


SUPERSEDED = {
    "check": "superseded",
    "severity": "warning",
    "message": "a newer version was stored while this one was being translated",
}


def store_reused(
    s: Session, reused: Iterable[tuple[WorkItem, tuple[str, ...]]], *, run_id: int | None
) -> StoreCounts:
    """Memory hits, as `machine`; one its catalogue's charset cannot hold (remembered from
    a UTF-8 catalogue) waits for review with the reason."""
    counts = StoreCounts()
    pending = []
    for item, forms in reused:
        issues = _charset_issues(item, forms)
        pending.append(
            repo.NewVersion(
                segment_id=item.segment_id,
                locale=item.locale,
                forms=forms,
                state=State.NEEDS_REVIEW if issues else State.MACHINE,
                origin="tm",
                source_hash=item.source_hash,
                terms_hash=item.terms.hash,
                glossary_hash=item.glossary_hash,
                author="memory",
                run_id=run_id,
                base_n=item.base_n,
                issues=issues,
            )
        )
        for i in issues:
            counts.issues[i["check"]] = counts.issues.get(i["check"], 0) + 1
    counts.reused = len(repo.add_versions(s, pending))
    counts.superseded = len(pending) - counts.reused
    return counts


def _charset_issues(item: WorkItem, forms: tuple[str, ...]) -> tuple[dict[str, str], ...]:
    ctx = CheckContext("", item.locale, item.plural, charset=item.charset)
    fn, _ = CHECKS["charset"]
    issue = fn(item.segment, forms, ctx)
    return (issue_dict(issue),) if issue is not None else ()


def issue_dict(issue: Issue) -> dict[str, str]:
    """An issue as versions store it (and the review app shows it)."""
    return {"check": issue.check, "severity": issue.severity, "message": issue.message}
