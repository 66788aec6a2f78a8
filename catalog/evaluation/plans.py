"""Evaluation plans (评价方案): an organisation's admins write one per occupation and level,
publish it, and change it only as a new version (an application keeps the version it started
under). Learners of the organisation read what they will sit, never a practical checklist."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from catalog.accounts.models import User
from catalog.accounts.scope import is_admin
from catalog.clock import utcnow
from catalog.courses.models import Course, CourseStatus
from catalog.database import db
from catalog.errors import Conflict, Invalid, NotFound, PermissionDenied
from catalog.evaluation.models import ComponentKind, EvaluationPlan, PlanStatus
from catalog.quiz.models import FeedbackPolicy, QuizMode, QuizTemplate
from catalog.reference.services import occupation_id

LOWEST_LEVEL = 5  # 五级/初级工: no certificate below it


def require_evaluator(user: User) -> None:
    """Approvals and assignments are an organisation admin's work (a workshop's admin, for
    the people of their workshop)."""
    if not is_admin(user) or user.organisation_id is None:
        raise PermissionDenied(
            "只有组织管理员可以管理技能评价 / Only organisation admins run evaluations"
        )


def require_plan_admin(user: User) -> None:
    """A plan is the whole organisation's: written by its admins, not a workshop's."""
    require_evaluator(user)
    if user.admin_scope_id is not None:
        raise PermissionDenied(
            "评价方案由组织级管理员维护 / Plans are kept by the organisation's own admins",
            code="organisation_admins_only",
        )


def list_plans(user: User, status: PlanStatus | None) -> list[PlanView]:
    found: list[EvaluationPlan] = list(db.session.scalars(plans_query(user, status)))
    return [shown_to(user, plan) for plan in found]


def plans_query(user: User, status: PlanStatus | None = None) -> Select[tuple[EvaluationPlan]]:
    """The organisation's plans: every version for its admins, the published ones for its
    learners; another organisation's, never."""
    query = select(EvaluationPlan).where(EvaluationPlan.organisation_id == user.organisation_id)
    if not is_admin(user):
        query = query.where(EvaluationPlan.status == PlanStatus.PUBLISHED)
    if status is not None:
        query = query.where(EvaluationPlan.status == status)
    return query.order_by(EvaluationPlan.code, EvaluationPlan.version.desc())


def get_plan(user: User, plan_id: int) -> EvaluationPlan:
    plan = db.session.get(EvaluationPlan, plan_id)
    if plan is None or plan.organisation_id != user.organisation_id:
        raise NotFound("评价方案不存在 / No such evaluation plan", details={"id": plan_id})
    if plan.status is not PlanStatus.PUBLISHED and not is_admin(user):
        raise NotFound("评价方案不存在 / No such evaluation plan", details={"id": plan_id})
    return plan


class PlanView:
    """A plan as its reader may see it: a learner reads each component's title, weight and
    pass mark, never a practical checklist or the exam it draws from."""

    HIDDEN = ("checklist", "max_gap", "template_id")

    def __init__(self, plan: EvaluationPlan, *, full: bool) -> None:
        self._plan = plan
        self.components = (
            plan.components
            if full
            else [{k: v for k, v in c.items() if k not in self.HIDDEN} for c in plan.components]
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._plan, name)


def shown(plan: EvaluationPlan, *, full: bool) -> PlanView:
    return PlanView(plan, full=full)


def shown_to(user: User, plan: EvaluationPlan) -> PlanView:
    return PlanView(plan, full=is_admin(user))


def create_plan(admin: User, data: dict[str, Any]) -> EvaluationPlan:
    """A draft, version 1 of a new code."""
    require_plan_admin(admin)
    if _versions(admin.organisation_id, data["code"]):
        raise Conflict(
            "方案编号已存在，请新建版本 / This code exists: make a new version of it",
            code="code_taken",
        )
    plan = EvaluationPlan(
        organisation_id=admin.organisation_id, created_by_id=admin.id, version=1, code=data["code"]
    )
    _fill(admin, plan, data)
    db.session.add(plan)
    db.session.commit()
    return plan


def update_plan(admin: User, plan_id: int, data: dict[str, Any]) -> EvaluationPlan:
    """A draft is rewritten whole; a published version never changes."""
    plan = _own(admin, plan_id)
    if plan.status is not PlanStatus.DRAFT:
        raise Conflict(
            "已发布的方案不能修改，请新建版本 / A published plan is changed by a new version",
            code="not_draft",
        )
    if data["code"] != plan.code:
        raise Invalid(details={"json": {"code": ["方案编号不可修改 / the code stays"]}})
    _fill(admin, plan, data)
    db.session.commit()
    return plan


def new_version(admin: User, plan_id: int) -> EvaluationPlan:
    """A draft copy of a version, numbered after the newest; one draft per code at a time."""
    source = _own(admin, plan_id)
    versions = _versions(admin.organisation_id, source.code)
    if any(v.status is PlanStatus.DRAFT for v in versions):
        raise Conflict("该方案已有草稿版本 / A draft of this plan exists", code="draft_exists")
    copy = EvaluationPlan(
        organisation_id=source.organisation_id,
        code=source.code,
        version=max(v.version for v in versions) + 1,
        created_by_id=admin.id,
        **{name: getattr(source, name) for name in COPIED},
    )
    db.session.add(copy)
    db.session.commit()
    return copy


COPIED = (
    "title",
    "occupation_id",
    "skill_level",
    "required_course_ids",
    "required_certificate_level",
    "required_certificate_years",
    "requires_apprenticeship",
    "components",
    "contest_links",
    "validity_days",
    "certificate_years",
)


def publish(admin: User, plan_id: int) -> EvaluationPlan:
    """The draft becomes the version learners apply under; the one it replaces retires
    (applications under it go on under it). Its theory exams are sat only through
    applications from now on."""
    plan = _own(admin, plan_id)
    if plan.status is not PlanStatus.DRAFT:
        raise Conflict("只能发布草稿 / Only a draft is published", code="not_draft")
    _check_references(admin, plan.components, plan.contest_links, plan.required_course_ids)
    for other in _versions(plan.organisation_id, plan.code):
        if other.status is PlanStatus.PUBLISHED:
            other.status = PlanStatus.RETIRED
    plan.status, plan.published_at = PlanStatus.PUBLISHED, utcnow()
    for component in plan.components:
        if component["kind"] == ComponentKind.THEORY:
            db.session.get_one(QuizTemplate, component["template_id"]).for_evaluation = True
    db.session.commit()
    return plan


def retire(admin: User, plan_id: int) -> EvaluationPlan:
    """No new applications; those under way go on under it."""
    plan = _own(admin, plan_id)
    if plan.status is PlanStatus.PUBLISHED:
        plan.status = PlanStatus.RETIRED
        db.session.commit()
    return plan


def _own(admin: User, plan_id: int) -> EvaluationPlan:
    require_plan_admin(admin)
    return get_plan(admin, plan_id)


def _versions(organisation_id: int | None, code: str) -> list[EvaluationPlan]:
    return list(
        db.session.scalars(
            select(EvaluationPlan).where(
                EvaluationPlan.organisation_id == organisation_id, EvaluationPlan.code == code
            )
        )
    )


def _fill(admin: User, plan: EvaluationPlan, data: dict[str, Any]) -> None:
    """Check the plan as a whole (422 naming each problem) and write it into ``plan``."""
    problems: dict[str, list[str]] = {}
    components = data["components"]
    keys = [c["key"] for c in components]
    if len(set(keys)) != len(keys):
        problems["components"] = ["组成部分的 key 重复 / component keys repeat"]
    if round(sum(c["weight"] for c in components), 6) != 100:
        problems.setdefault("components", []).append(
            "各组成部分权重之和须为 100 / the weights must add up to 100"
        )
    for index, component in enumerate(components):
        problems.update(_component_problems(index, component))
    for index, link in enumerate(data["contest_links"]):
        unknown = set(link["waives"]) - set(keys)
        if unknown:
            problems[f"contest_links.{index}.waives"] = [
                f"没有这些组成部分 / no such components: {', '.join(sorted(unknown))}"
            ]
        if link["rank_to"] < link["rank_from"]:
            problems[f"contest_links.{index}.rank_to"] = ["须不小于 rank_from / below rank_from"]
        if bool(link["waives"]) == bool(link["grants_level"]):
            problems[f"contest_links.{index}"] = [
                "须免考若干部分或直接认定等级，二者取一 / waive components or grant the level"
            ]
    years = data.get("required_certificate_years")
    if years is not None and data["skill_level"] >= LOWEST_LEVEL:
        problems["required_certificate_years"] = [
            "五级没有更低的等级证书 / level 5 has no lower level"
        ]
    if problems:
        raise Invalid(details={"json": problems})
    _check_references(admin, components, data["contest_links"], data["required_course_ids"])
    plan.title = data["title"]
    plan.occupation_id = occupation_id(data["occupation"])  # type: ignore[assignment]
    plan.skill_level = data["skill_level"]
    plan.required_course_ids = sorted(set(data["required_course_ids"]))
    plan.required_certificate_years = years
    plan.required_certificate_level = data["skill_level"] + 1 if years is not None else None
    plan.requires_apprenticeship = data["requires_apprenticeship"]
    plan.components = [_stored_component(c) for c in components]
    plan.contest_links = data["contest_links"]
    plan.validity_days = data["validity_days"]
    plan.certificate_years = data.get("certificate_years")


def _component_problems(index: int, component: dict[str, Any]) -> dict[str, list[str]]:
    where = f"components.{index}"
    kind = ComponentKind(component["kind"])
    problems: dict[str, list[str]] = {}
    if kind is ComponentKind.THEORY and component.get("template_id") is None:
        problems[where] = ["理论考试须指定试卷 / a theory exam names its template"]
    if kind is ComponentKind.PRACTICAL:
        items = component.get("checklist") or []
        if not items:
            problems[where] = ["实操考核须有评分细目 / a practical assessment needs a checklist"]
        item_keys = [item["key"] for item in items]
        if len(set(item_keys)) != len(item_keys):
            problems[f"{where}.checklist"] = ["细目 key 重复 / item keys repeat"]
    if kind is not ComponentKind.PRACTICAL and component.get("checklist"):
        problems[f"{where}.checklist"] = ["只有实操考核有评分细目 / practical only"]
    if kind is not ComponentKind.THEORY and component.get("template_id") is not None:
        problems[f"{where}.template_id"] = ["只有理论考试使用试卷 / theory only"]
    return problems


def _stored_component(component: dict[str, Any]) -> dict[str, Any]:
    stored = {
        "key": component["key"],
        "kind": component["kind"],
        "title": component["title"],
        "weight": component["weight"],
        "pass_mark": component["pass_mark"],
        "attempts_allowed": component["attempts_allowed"],
    }
    if component["kind"] == ComponentKind.THEORY:
        stored["template_id"] = component["template_id"]
    if component["kind"] == ComponentKind.PRACTICAL:
        stored["checklist"] = component["checklist"]
        stored["assessors"] = component["assessors"]
        points = sum(item["points"] for item in component["checklist"])
        # two assessors further apart than this (in points) call a third: a tenth of the total
        gap = component.get("max_gap")
        stored["max_gap"] = round(points / 10, 2) if gap is None else gap
    return stored


def _check_references(
    admin: User,
    components: list[dict[str, Any]],
    links: list[dict[str, Any]],
    course_ids: list[int],
) -> None:
    """Templates of the organisation in the right mode; courses published in the catalogue."""
    problems: dict[str, list[str]] = {}
    for index, component in enumerate(components):
        template_id = component.get("template_id")
        if template_id is None:
            continue
        if not _own_template(admin, template_id, QuizMode.EXAM):
            problems[f"components.{index}.template_id"] = [
                "须为本组织的考试试卷 / an exam template of your organisation"
            ]
        elif db.session.get_one(QuizTemplate, template_id).feedback_policy is not (
            FeedbackPolicy.NEVER
        ):
            # a failed candidate re-sits it: the key must never be shown after a sitting
            problems[f"components.{index}.template_id"] = [
                "等级考试试卷须设为不公布答案（feedback_policy: never）/ a level exam never "
                "shows its key (feedback_policy: never)"
            ]
    for index, link in enumerate(links):
        if not _own_template(admin, link["template_id"], QuizMode.CONTEST):
            problems[f"contest_links.{index}.template_id"] = [
                "须为本组织的竞赛 / a contest of your organisation"
            ]
    if course_ids:
        published = set(
            db.session.scalars(
                select(Course.id).where(
                    Course.id.in_(course_ids), Course.status == CourseStatus.PUBLISHED
                )
            )
        )
        missing = sorted(set(course_ids) - published)
        if missing:
            problems["required_course_ids"] = [
                f"课程不存在或未发布 / not published courses: {missing}"
            ]
    if problems:
        raise Invalid(details={"json": problems})


def _own_template(admin: User, template_id: int, mode: QuizMode) -> bool:
    template = db.session.get(QuizTemplate, template_id)
    return (
        template is not None
        and template.organisation_id == admin.organisation_id
        and template.mode is mode
    )
