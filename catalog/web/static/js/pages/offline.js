// Practice packs (离线练习包): a bank's practice questions downloaded whole, to practise with no
// network at all. Feedback is shown from the pack at once; the answers themselves go to the
// server when the phone is back online, and the server grades them again (it believes no
// score a phone sends).
import { request } from "../api.js";
import { answerControl, keyText } from "../quiz.js";
import * as store from "../store.js";
import { queueOffline, uid } from "../sync.js";
import { day, errorBox, fill, h, show, toast, TYPES } from "../ui.js";

const PER_ROUND = 10;

export async function render(hash, bankId) {
  return bankId ? practise(Number(bankId)) : packs();
}

async function packs() {
  const kept = new Map((await store.all("packs")).map((p) => [p.bank_id, p]));
  let offered = [];
  let problem = null;
  try {
    offered = await request("GET", "/me/practice-packs");
  } catch (error) {
    problem = error;
  }
  const status = h("div", { "aria-live": "polite" });
  const download = async (pack, button) => {
    button.disabled = true;
    status.textContent = `下载“${pack.name}”…`;
    try {
      const snapshot = await request("GET", `/banks/${pack.bank_id}/snapshot`);
      const body = await fetch(snapshot.url);
      if (!body.ok) throw new Error(`下载失败（${body.status}）`);
      const text = await new Response(body.body.pipeThrough(new DecompressionStream("gzip"))).text();
      const document = JSON.parse(text);
      await store.put("packs", { bank_id: pack.bank_id, name: pack.name, version: document.version,
        etag: snapshot.etag, questions: document.questions, downloaded_at: new Date().toISOString() });
      toast(`已下载“${pack.name}”，共 ${document.questions.length} 题，没有网络也能练。`);
      packs();
    } catch (error) {
      status.replaceChildren(errorBox(error));
      button.disabled = false;
    }
  };
  if (!problem) {
    // a pack the server no longer offers me (the bank is no longer mine to practise) goes
    for (const id of kept.keys()) {
      if (!offered.some((p) => p.bank_id === id)) { await store.remove("packs", id); kept.delete(id); }
    }
  }
  const ids = new Set([...offered.map((p) => p.bank_id), ...kept.keys()]);
  show("offline", h("h1", {}, "离线练习包"),
    h("p", { class: "muted" }, "在有网络的时候下载，车间里没有信号也能练习；练习结果联网后自动上传。"),
    problem ? h("p", { class: "pending" }, problem.offline ? "现在没有网络，只显示已下载的练习包。" : problem.message) : null,
    status,
    ids.size ? [...ids].map((id) => {
      const server = offered.find((p) => p.bank_id === id);
      const local = kept.get(id);
      const stale = server && local && server.version !== local.version;
      const get = server ? h("button", { class: local && !stale ? "secondary block" : "block", "data-download": id },
        !local ? `下载（${Math.max(1, Math.round(server.size / 1024))} KB）` : stale ? "有更新，重新下载" : "重新下载") : null;
      get?.addEventListener("click", () => download(server, get));
      return h("div", { class: "card" }, h("h3", {}, (server || local).name),
        h("p", { class: "muted" }, local ? `已下载 ${local.questions.length} 题 · ${day(local.downloaded_at)}` : `${server.question_count} 题`),
        local ? h("a", { class: "button block", href: `#/pack/${id}`, "data-practise": id }, "开始离线练习") : null, get);
    }) : h("p", { class: "muted" }, "暂时没有可下载的练习包。"));
}

async function practise(bankId) {
  const pack = await store.get("packs", bankId);
  if (!pack) return void (location.hash = "#/offline");
  const round = [...pack.questions].sort(() => Math.random() - 0.5).slice(0, PER_ROUND);
  const startedAt = new Date().toISOString();
  const given = new Map();
  let index = 0;
  const body = h("div", {});
  const paint = () => {
    const question = round[index];
    const mine = given.get(question.id);
    fill(body, 
      h("p", { class: "muted" }, `离线练习 · 第 ${index + 1}/${round.length} 题 · ${TYPES[question.type] || question.type}`),
      h("h2", { id: "stem" }, question.stem),
      answerControl(question, mine?.response, (response) => {
        given.set(question.id, { question_id: question.id, version: question.version, response, client_answered_at: new Date().toISOString() });
        paint();
      }, { locked: Boolean(mine), confirmChoices: true, saveLabel: "确定" }),
      mine ? feedback(question, mine.response) : null,
      index < round.length - 1
        ? next("下一题", () => { index += 1; paint(); })
        : next("完成练习", finish));
  };
  const finish = async () => {
    const answers = round.map((q) => given.get(q.id)).filter(Boolean);
    if (answers.length) {
      const id = uid();
      await queueOffline({ client_id: id, body: { client_id: id, bank_id: bankId, started_at: startedAt, answers } });
    }
    const right = answers.filter((a) => grade(round.find((q) => q.id === a.question_id), a.response)).length;
    show("offline-done", h("h1", {}, "离线练习完成"),
      h("div", { class: "card" }, h("div", { class: "score" }, `${right} / ${round.length}`),
        h("p", { class: "muted" }, navigator.onLine ? "结果已上传，错题会进入错题本。" : "结果已保存在手机上，联网后自动上传，错题会进入错题本。")),
      h("a", { class: "button block", href: `#/pack/${bankId}` }, "再练一组"),
      h("a", { class: "button secondary block", href: "#/offline" }, "返回练习包"));
  };
  show("pack", h("h1", {}, pack.name), body);
  paint();
}

function next(label, go) {
  const b = h("button", { class: "block" }, label);
  b.addEventListener("click", go);
  return b;
}

const squeeze = (s) => String(s || "").replace(/\s+/g, "").toLowerCase();

function grade(question, response) {
  const key = question.answer || {};
  if (typeof key.correct === "boolean") return response.value === key.correct; // true or false
  if (Array.isArray(key.correct)) return squeeze((response.selected || []).sort().join()) === squeeze([...key.correct].sort().join());
  if (key.blanks) {
    return key.blanks.every((blank, i) => (blank.accepted || []).some((a) => {
      const [x, y] = [Number(a), Number(response.blanks?.[i])];
      return Number.isFinite(x) && Number.isFinite(y) ? Math.abs(x - y) <= (blank.tolerance || 0) : squeeze(a) === squeeze(response.blanks?.[i]);
    }));
  }
  if (key.keywords) return key.keywords.every((k) => [k.word, ...(k.synonyms || [])].some((w) => squeeze(response.text).includes(squeeze(w))));
  return false;
}

function feedback(question, response) {
  const right = grade(question, response);
  const answer = keyText(question.answer);
  return h("div", { class: `feedback ${right ? "" : "wrong"}` }, h("strong", {}, right ? "回答正确" : "回答错误"),
    answer ? h("p", {}, `答案：${answer}`) : null, question.explanation ? h("p", {}, `解析：${question.explanation}`) : null);
}
