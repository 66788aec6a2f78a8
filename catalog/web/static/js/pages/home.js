// Home: required courses with due dates, what to continue, today's practice, expiring certificates.
import { currentUser, request } from "../api.js";
import { sessionStarter } from "../quiz.js";
import { bar, day, h, show, sized } from "../ui.js";

const STATUS = { not_started: ["未开始", ""], in_progress: ["学习中", "warn"], done: ["已完成", "ok"], overdue: ["已逾期", "bad"] };

export async function render() {
  const user = currentUser();
  show("home", h("h1", {}, `你好，${user?.display_name || ""}`), h("p", { class: "muted" }, "加载中…"));
  const [mine, expiring] = await Promise.all([
    request("GET", "/me/courses"),
    request("GET", "/me/certificates?expiring=true").catch(() => []),
  ]);
  const required = mine.items.filter((c) => c.required);
  const going = mine.items.filter((c) => c.status === "in_progress" && c.next_lecture);
  const dailyStatus = h("div", { "aria-live": "polite" });
  const daily = sessionStarter("开始每日一练", "/me/daily-practice", dailyStatus, { id: "daily" });
  const page = h("div", {},
    h("h1", {}, `你好，${user?.display_name || ""}`),
    h("section", { class: "card", "aria-labelledby": "daily-title" },
      h("h2", { id: "daily-title" }, "每日一练"),
      h("p", { class: "muted" }, "每天几道题，来自你的必修课，巩固所学。"), daily, dailyStatus),
    h("h2", {}, "必修课"),
    required.length ? h("div", {}, required.map(courseCard)) : h("p", { class: "muted" }, "单位还没有给你分配必修课。"),
    going.length ? [h("h2", {}, "继续学习"), going.map((c) =>
      h("a", { class: "card button secondary block", href: `#/lecture/${c.next_lecture.id}` },
        `${c.course.title}：${c.next_lecture.title}`))] : null,
    expiring.length ? [h("h2", {}, "即将到期的证书"), expiring.map((c) =>
      h("div", { class: "card" }, h("h3", {}, `${c.issuer || ""} ${c.number || ""}`),
        h("p", { class: "tag warn" }, `${day(c.expires_on)} 到期`)))] : null,
    mine.items.filter((c) => !c.required).length
      ? [h("h2", {}, "我选的课"), mine.items.filter((c) => !c.required).map(courseCard)] : null);
  show("home", sized(page));
}

function courseCard(item) {
  const [label, tone] = STATUS[item.status] || [item.status, ""];
  return h("a", { class: "card", href: `#/course/${item.course.id}` },
    h("div", { class: "spread" }, h("h3", {}, item.course.title), h("span", { class: `tag ${tone}` }, label)),
    h("p", { class: "muted" }, `${item.lectures_done}/${item.lectures_total} 节微课`,
      item.due_date ? ` · ${day(item.due_date)} 截止` : ""),
    bar(item.share));
}
