// Practice, exams and contests open to me, my past sessions, and practice packs for offline.
import { request } from "../api.js";
import { sessionStarter } from "../quiz.js";
import { day, h, MODES, show, when, zh } from "../ui.js";

export async function render() {
  const [templates, sessions] = await Promise.all([
    request("GET", "/quiz-templates?page_size=100"),
    request("GET", "/me/quiz-sessions?limit=20").catch(() => ({ items: [] })),
  ]);
  const status = h("div", { "aria-live": "polite" });
  const groups = ["practice", "exam", "contest"].map((mode) => {
    const mine = templates.items.filter((t) => t.mode === mode);
    if (!mine.length) return null;
    return [h("h2", {}, MODES[mode]), mine.map((t) => {
      const go = sessionStarter(mode === "practice" ? "开始练习" : mode === "exam" ? "开始考试" : "参加竞赛",
        `/quiz-templates/${t.id}/sessions`, status, { "data-template": t.id });
      return h("div", { class: "card" }, h("h3", {}, t.title),
        h("p", { class: "muted" }, [t.time_limit_seconds ? `限时 ${Math.round(t.time_limit_seconds / 60)} 分钟` : "不限时",
          t.attempts_allowed ? `可考 ${t.attempts_allowed} 次` : null, `${t.pass_mark} 分合格`,
          t.closes_at ? `${day(t.closes_at)} 截止` : null].filter(Boolean).join(" · ")), go);
    })];
  });
  show("quizzes", h("h1", {}, "练习考试"), status,
    h("a", { class: "button secondary block", href: "#/offline" }, "离线练习包（没有网络也能练）"),
    groups,
    sessions.items?.length ? [h("h2", {}, "我的记录"), h("ul", { class: "list" }, sessions.items.map((s) =>
      h("li", {}, h("a", { class: "item spread", href: `#/session/${s.id}` },
        h("span", {}, `${zh(s.title) || MODES[s.mode] || s.mode} · ${when(s.started_at)}`),
        h("span", {}, s.status === "in_progress" ? "进行中" : s.score !== null && s.score !== undefined ? `${s.score} 分` : "已交卷")))))] : null);
}
