// The mistakes book (错题本): what I got wrong, which fall due for review, and a review session.
import { request } from "../api.js";
import { sessionStarter } from "../quiz.js";
import { h, show, TYPES, when } from "../ui.js";

export async function render() {
  const [book, due] = await Promise.all([
    request("GET", "/me/mistakes?page_size=50"),
    request("GET", "/me/mistakes?due_only=true&page_size=1"),
  ]);
  const status = h("div", { "aria-live": "polite" });
  const review = sessionStarter(due.total ? `复习到期的 ${due.total} 道错题` : "今天没有到期的错题",
    "/me/review-sessions", status, { id: "review", disabled: !due.total });
  show("mistakes", h("h1", {}, "错题本"), review, status,
    book.total ? h("ul", { class: "list", id: "mistakes" }, book.items.map((m) => h("li", {},
      h("p", {}, m.stem || `题目 ${m.question_id}`),
      h("p", { class: "muted" }, [TYPES[m.type], m.wrong_count ? `错 ${m.wrong_count} 次` : null,
        m.due_at ? `${when(m.due_at)} 复习` : null].filter(Boolean).join(" · ")))))
      : h("p", { class: "muted", id: "mistakes" }, "还没有错题。做练习、考试时答错的题会自动收进来。"));
}
