"""Listing 50 of 1,000 published courses with two filters, in process (target p50 ≤ 10 ms).

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_catalogue.py``.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.measure import emit, measure
from benchmarks.setup import bench_app
from catalog.clock import utcnow
from catalog.courses.models import Course, CourseRelease, CourseReleaseTag, CourseStatus
from catalog.database import db
from catalog.reference.models import Industry

COURSES = 1000
INDUSTRIES = ["power", "gas", "geology", "manufacturing", "ic", "biomed", "ai"]
TAGS = ["安全", "技能", "规程", "应急", "数字化", "工匠精神"]


def seed(organisation_id: int, owner_id: int) -> None:
    rng = random.Random(39)
    industries = []
    for code in INDUSTRIES:
        industry = Industry(code=code, name=code, name_en=code)
        db.session.add(industry)
        industries.append(industry)
    db.session.flush()
    now = utcnow()
    for n in range(COURSES):
        industry = rng.choice(industries)
        level = rng.randint(1, 5)
        course = Course(
            code=f"B-{n:04d}",
            title=f"标准化课程 {n:04d}",
            summary="课程简介" * 20,
            objectives=["目标一", "目标二"],
            industry_id=industry.id,
            skill_level=level,
            class_hours=rng.randint(2, 40),
            credits=1,
            provider_org_id=organisation_id,
            owner_id=owner_id,
            status=CourseStatus.PUBLISHED,
            published_version=1,
        )
        db.session.add(course)
        db.session.flush()
        document = {
            "objectives": course.objectives,
            "chapters": [{"title": "第一章", "microlectures": []}],
        }
        db.session.add(
            CourseRelease(
                course_id=course.id,
                version=1,
                code=course.code,
                title=course.title,
                summary=course.summary,
                industry_id=industry.id,
                skill_level=level,
                provider_org_id=organisation_id,
                class_hours=course.class_hours,
                credits=1,
                lecture_count=90,
                duration_seconds=40_000,
                document=document,
                document_key=f"courses/{course.id}/v1.json",
                published_at=now,
                tag_rows=[CourseReleaseTag(tag=t) for t in rng.sample(TAGS, 2)],
            )
        )
    db.session.commit()


def main() -> None:
    with bench_app() as bench:
        seed(bench.organisation.id, bench.users["instructor"].id)
        client = bench.app.test_client()
        headers = bench.headers("learner")
        url = "/api/v1/courses?industry=power&level=3&limit=50"
        url_tag = "/api/v1/courses?industry=power&tag=安全&limit=50"
        count = len(client.get(url, headers=headers).get_json()["items"])
        count_tag = len(client.get(url_tag, headers=headers).get_json()["items"])
        results = [
            measure(
                f"list courses: industry+level ({count} hits)",
                lambda: client.get(url, headers=headers),
                runs=500,
                target="p50 ≤ 10 ms",
            ),
            measure(
                f"list courses: industry+tag ({count_tag} hits)",
                lambda: client.get(url_tag, headers=headers),
                runs=500,
                target="p50 ≤ 10 ms",
            ),
            measure(
                "list courses: no filter, 50 items",
                lambda: client.get("/api/v1/courses?limit=50", headers=headers),
                runs=500,
                target="p50 ≤ 10 ms",
            ),
        ]
    print(f"catalogue, {COURSES} published courses, in process, SQLite")
    for result in results:
        print("  " + result.row())
    emit("catalogue", results)


if __name__ == "__main__":
    main()
