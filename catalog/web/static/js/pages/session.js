// A quiz session of any mode: practice, exam, contest, daily practice, review of mistakes.
// The timer follows the server's deadline (its clock, not the phone's); answers go through
// the outbox; results show only what the quiz's feedback policy allows.
import { request } from "../api.js";
import { answerControl, answered, keyText, queued, saveAnswer } from "../quiz.js";
import { flush, queueSubmit } from "../sync.js";
import { errorBox, fill, h, MODES, show, TYPES } from "../ui.js";

export async function render(_hash, sessionId) {
  const session = await request("GET", `/quiz-sessions/${sessionId}`);
  if (session.status !== "in_progress") return results(session);
  return answering(session);
}

async function leaderboard(session) {
  if (session.mode !== "contest" || !session.template_id) return null;
  try {
    const board = await request("GET", `/quiz-templates/${session.template_id}/leaderboard?limit=10`);
    return [h("h2", {}, "竞赛排名"),
      board.me ? h("p", { class: "tag ok", id: "my-rank" }, `我的名次：第 ${board.me.rank} 名（${board.me.score} 分）`) : null,
      h("ol", { class: "list" }, (board.top || []).map((row) => h("li", { class: "spread" },
        h("span", {}, `${row.rank}. ${row.display_name}`), h("span", {}, `${row.score} 分`))))];
  } catch {
    return null; // the board shows as the contest's rules allow
  }
}

async function answering(session) {
  const offset = Date.parse(session.server_time) - Date.now(); // server clock minus ours
  const local = await queued(session.id);
  const responses = new Map(session.items.map((i) => [i.position, i.response]));
  for (const [position, entry] of local) responses.set(position, entry.response);
  const pending = new Set(local.keys());
  const feedback = new Map(session.items.filter((i) => i.revealed).map((i) => [i.position, i]));
  let current = Math.max(1, session.items.findIndex((i) => !answered(responses.get(i.position))) + 1);
  let ticking = null;

  const timer = h("span", { class: "timer", id: "timer", role: "timer", "aria-live": "off" });
  const status = h("div", { "aria-live": "polite", id: "save-status" });
  const body = h("div", { id: "question" });
  const grid = h("div", { class: "grid", role: "navigation", "aria-label": "题号" });

  const tick = () => {
    if (!session.deadline_at) return;
    const left = Math.max(0, Math.round((Date.parse(session.deadline_at) - (Date.now() + offset)) / 1000));
    timer.textContent = `剩余 ${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
    timer.classList.toggle("low", left <= 60);
    if (left === 0) { clearInterval(ticking); submit(true); }
  };

  const paintGrid = () => grid.replaceChildren(...session.items.map((item) => {
    const b = h("button", { class: `${answered(responses.get(item.position)) ? "done" : ""} ${item.position === current ? "current" : ""}`,
      "aria-label": `第 ${item.position} 题${answered(responses.get(item.position)) ? "（已答）" : ""}${pending.has(item.position) ? "（待上传）" : ""}` }, item.position);
    b.addEventListener("click", () => { current = item.position; paint(); });
    return b;
  }));

  const give = async (item, response) => {
    responses.set(item.position, response);
    pending.add(item.position);
    paint(); // the choice shows at once, saved or not
    status.textContent = "保存中…";
    try {
      const { saved, pending: waiting } = await saveAnswer(session.id, item.position, response);
      if (!waiting) pending.delete(item.position);
      status.textContent = waiting ? "已保存在手机上，联网后自动上传" : "已保存";
      status.className = waiting ? "pending" : "muted";
      if (saved?.revealed) { feedback.set(item.position, saved); paint(); } else paintGrid();
    } catch (error) {
      pending.delete(item.position);
      status.replaceChildren(errorBox(error));
    }
  };

  const paint = () => {
    const item = session.items[current - 1];
    const response = responses.get(item.position) || null;
    const shown = feedback.get(item.position);
    fill(body, 
      h("p", { class: "muted" }, `第 ${item.position}/${session.items.length} 题 · ${TYPES[item.type] || item.type} · ${item.points} 分`),
      h("h2", { id: "stem" }, item.stem),
      answerControl(item, response, (r) => give(item, r),
        { locked: Boolean(shown), key: shown?.answer, saveLabel: "保存答案" }),
      shown ? explain(shown) : null,
      h("div", { class: "spread" },
        nav("上一题", current > 1, () => { current -= 1; paint(); }),
        nav("下一题", current < session.items.length, () => { current += 1; paint(); })));
    paintGrid();
  };

  const submit = async (timeUp = false) => {
    const left = session.items.filter((i) => !answered(responses.get(i.position))).length;
    if (!timeUp && left && !confirm(`还有 ${left} 题未答，确定交卷吗？`)) return;
    clearInterval(ticking);
    finish.disabled = true;
    const later = async () => {
      await queueSubmit(session.id);
      status.className = "pending";
      status.textContent = "网络不通：答案都已保存在手机上，联网后自动交卷。";
      // back online: the outbox sends the answers and the submit, then the result shows (or
      // what the server refused, if the exam closed meanwhile)
      addEventListener("online", async () => {
        await flush();
        if (location.hash === `#/session/${session.id}`) render(null, session.id);
      }, { once: true });
    };
    const sent = await flush();
    if (sent?.offline || !navigator.onLine) return later();
    try {
      const done = await request("POST", `/quiz-sessions/${session.id}/submit`);
      await results(done);
    } catch (error) {
      if (error.offline) return later();
      finish.disabled = false;
      status.replaceChildren(errorBox(error));
    }
  };

  const finish = h("button", { class: "block", id: "submit" }, "交卷");
  finish.addEventListener("click", () => submit(false));
  show("session",
    h("div", { class: "spread" }, h("h1", {}, MODES[session.mode] || "答题"), timer),
    grid, body, status, finish);
  paint();
  if (session.deadline_at) { tick(); ticking = setInterval(tick, 1000); }
  return () => clearInterval(ticking);
}

function nav(label, enabled, go) {
  const b = h("button", { class: "secondary", disabled: !enabled }, label);
  b.addEventListener("click", go);
  return b;
}

function explain(item) {
  const right = item.score !== null && item.score >= item.points;
  return h("div", { class: `feedback ${right ? "" : "wrong"}` },
    h("strong", {}, item.score === null ? "待阅卷" : right ? "回答正确" : `得 ${item.score} 分`),
    keyText(item.answer) ? h("p", {}, `答案：${keyText(item.answer)}`) : null,
    item.explanation ? h("p", {}, `解析：${item.explanation}`) : null);
}

async function results(session) {
  const board = await leaderboard(session);
  const result = session.result || {};
  const points = result.knowledge_points || {};
  show("results",
    h("h1", {}, `${MODES[session.mode] || "答题"}结果`),
    h("div", { class: "card", id: "result" },
      h("div", { class: "score" }, `${result.score ?? "—"} / ${result.max_score ?? session.max_score}`),
      result.passed === true ? h("span", { class: "tag ok" }, "合格") : result.passed === false ? h("span", { class: "tag bad" }, "未合格") : null,
      result.pending_manual ? h("p", { class: "muted" }, `${result.pending_manual} 题等待人工阅卷`) : null,
      session.status === "expired" ? h("p", { class: "muted" }, "到时自动交卷") : null),
    Object.keys(points).length ? [h("h2", {}, "各知识点掌握"), h("ul", { class: "list" },
      Object.entries(points).map(([name, share]) => h("li", { class: "spread" }, h("span", {}, name), h("span", {}, `${Math.round(share * 100)}%`))))] : null,
    session.items.some((i) => i.revealed) ? [h("h2", {}, "逐题解析"), session.items.map((item) =>
      h("div", { class: "card" }, h("p", {}, `${item.position}. ${item.stem}`), explain(item)))]
      : h("p", { class: "muted" }, "答案和解析将按考试规定的时间公布。"),
    board,
    h("a", { class: "button block", href: "#/mistakes" }, "去错题本"),
    h("a", { class: "button secondary block", href: "#/quizzes" }, "返回练习考试"));
}
