"""Reference data services: the platform admins' industries, occupations and level labels."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from catalog.database import db
from catalog.errors import Conflict, Invalid, NotFound
from catalog.reference.models import Industry, Occupation, SkillLevel


def industries() -> list[Industry]:
    return list(db.session.scalars(select(Industry).order_by(Industry.sort_order, Industry.code)))


def create_industry(data: dict[str, Any]) -> Industry:
    if db.session.scalar(select(Industry.id).where(Industry.code == data["code"])) is not None:
        raise Conflict(
            f"行业代码已存在 / Industry {data['code']!r} exists", details={"code": data["code"]}
        )
    industry = Industry(**data)
    db.session.add(industry)
    db.session.commit()
    return industry


def update_industry(code: str, changes: dict[str, Any]) -> Industry:
    industry: Industry | None = db.session.scalar(select(Industry).where(Industry.code == code))
    if industry is None:
        raise NotFound(f"行业不存在 / No industry {code!r}")
    for name, value in changes.items():
        setattr(industry, name, value)
    db.session.commit()
    return industry


def occupations(industry: str | None) -> list[Occupation]:
    query = select(Occupation).order_by(Occupation.code)
    if industry:
        query = query.join(Industry).where(Industry.code == industry)
    return list(db.session.scalars(query))


def _industry_id(code: str | None) -> int | None:
    if code is None:
        return None
    found = db.session.scalar(select(Industry.id).where(Industry.code == code))
    if found is None:
        raise Invalid(details={"json": {"industry": [f"未知行业 / unknown industry {code!r}"]}})
    return int(found)


def occupation_id(code: str | None, field: str = "occupation") -> int | None:
    """The id of the occupation with this national code (none for none); 422 naming ``field``
    when there is no such occupation."""
    if code is None:
        return None
    found = db.session.scalar(select(Occupation.id).where(Occupation.code == code))
    if found is None:
        raise Invalid(details={"json": {field: [f"未知工种 / unknown occupation {code!r}"]}})
    return int(found)


def occupation_code(occupation_id: int | None) -> str | None:
    found = db.session.get(Occupation, occupation_id) if occupation_id else None
    return found.code if found else None


def create_occupation(data: dict[str, Any]) -> Occupation:
    if db.session.scalar(select(Occupation.id).where(Occupation.code == data["code"])) is not None:
        raise Conflict(
            f"工种代码已存在 / Occupation {data['code']!r} exists", details={"code": data["code"]}
        )
    occupation = Occupation(
        code=data["code"], name=data["name"], industry_id=_industry_id(data.get("industry"))
    )
    db.session.add(occupation)
    db.session.commit()
    return occupation


def update_occupation(code: str, changes: dict[str, Any]) -> Occupation:
    occupation: Occupation | None = db.session.scalar(
        select(Occupation).where(Occupation.code == code)
    )
    if occupation is None:
        raise NotFound(f"工种不存在 / No occupation {code!r}")
    if "industry" in changes:
        occupation.industry_id = _industry_id(changes.pop("industry"))
    for name, value in changes.items():
        setattr(occupation, name, value)
    db.session.commit()
    return occupation


def skill_levels() -> list[SkillLevel]:
    return list(db.session.scalars(select(SkillLevel).order_by(SkillLevel.level.desc())))


def update_skill_level(level: int, changes: dict[str, Any]) -> SkillLevel:
    found = db.session.get(SkillLevel, level)
    if found is None:
        raise NotFound(f"等级不存在 / No skill level {level}")
    for name, value in changes.items():
        setattr(found, name, value)
    db.session.commit()
    return found
