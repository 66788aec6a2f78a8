// A course: chapters, what I finished, enrol.
import { request } from "../api.js";
import { bar, errorBox, h, minutes, show, sized } from "../ui.js";

export async function render(_hash, id) {
  const [course, mine, progress] = await Promise.all([
    request("GET", `/courses/${id}`),
    request("GET", "/me/courses"),
    request("GET", "/me/progress"),
  ]);
  const entry = mine.items.find((c) => c.course.id === Number(id));
  const done = new Set(progress.lectures.filter((l) => l.completed_at).map((l) => l.microlecture_id));
  const status = h("div", { "aria-live": "polite" });
  const enrol = entry ? null : h("button", { class: "block" }, "报名学习");
  enrol?.addEventListener("click", async () => {
    try {
      await request("PUT", `/me/courses/${id}`);
      render(_hash, id);
    } catch (error) {
      status.replaceChildren(errorBox(error));
    }
  });
  const page = h("div", {},
    h("h1", {}, course.title),
    h("p", { class: "muted" }, [course.industry?.name, course.occupation?.name, course.skill_level?.name,
      `${course.class_hours} 学时`, `${course.credits} 学分`].filter(Boolean).join(" · ")),
    entry ? h("div", { class: "card" },
      h("div", { class: "spread" }, h("span", {}, entry.required ? "必修课" : "已报名"),
        h("span", {}, `${entry.lectures_done}/${entry.lectures_total} 节`)), bar(entry.share),
      entry.next_lecture ? h("a", { class: "button block", href: `#/lecture/${entry.next_lecture.id}` }, `继续：${entry.next_lecture.title}`) : null)
      : enrol,
    status,
    course.summary ? h("p", {}, course.summary) : null,
    course.objectives?.length ? [h("h2", {}, "学习目标"), h("ul", {}, course.objectives.map((o) => h("li", {}, o)))] : null,
    course.chapters.map((chapter) => h("section", { class: "card" },
      h("h2", {}, chapter.title),
      h("ul", { class: "list" }, chapter.microlectures.map((m) => h("li", {},
        h("a", { class: "item spread", href: `#/lecture/${m.id}` },
          h("span", {}, m.title, m.required ? "" : "（选学）"),
          h("span", { class: done.has(m.id) ? "tag ok" : "muted" }, done.has(m.id) ? "已完成" : minutes(m.duration_seconds)))))))));
  show("course", sized(page));
}
