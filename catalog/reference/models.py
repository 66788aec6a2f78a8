"""Industries, occupations with their national classification codes, and skill levels."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.database import db


class Industry(db.Model):  # type: ignore[name-defined,misc]
    """An industry (行业) such as 电力, 燃气, 集成电路."""

    __tablename__ = "industries"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class Occupation(db.Model):  # type: ignore[name-defined,misc]
    """An occupation (工种/职业) of the national occupational classification, e.g. 6-31-01-03."""

    __tablename__ = "occupations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    industry_id: Mapped[int | None] = mapped_column(
        ForeignKey("industries.id", ondelete="SET NULL"), index=True
    )

    industry: Mapped[Industry | None] = relationship(lazy="joined")


class SkillLevel(db.Model):  # type: ignore[name-defined,misc]
    """The five national skill levels (职业技能等级), 5 (初级工) up to 1 (高级技师)."""

    __tablename__ = "skill_levels"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(40))  # 五级/初级工
    name_en: Mapped[str] = mapped_column(String(60))  # Level 5 / Elementary worker


NATIONAL_SKILL_LEVELS = (
    (5, "五级/初级工", "Level 5 / Elementary worker"),
    (4, "四级/中级工", "Level 4 / Intermediate worker"),
    (3, "三级/高级工", "Level 3 / Senior worker"),
    (2, "二级/技师", "Level 2 / Technician"),
    (1, "一级/高级技师", "Level 1 / Senior technician"),
)
