// Answering, shared by every kind of quiz: each answer is kept on the phone first (with its
// client id and the device's time), then sent; when the network is gone it waits in the
// outbox and flows again when it returns. The same client id makes every retry harmless.
import { request } from "./api.js";
import { confirmAnswer, queueAnswer } from "./sync.js";
import * as store from "./store.js";
import { errorBox, h } from "./ui.js";

export async function saveAnswer(sessionId, position, response) {
  const entry = await queueAnswer(sessionId, position, response);
  try {
    const saved = await request("PUT", `/quiz-sessions/${sessionId}/answers/${position}`, {
      response,
      client_answer_id: entry.client_answer_id,
      client_answered_at: entry.client_answered_at,
    });
    await confirmAnswer(entry.client_answer_id);
    return { saved, pending: false };
  } catch (error) {
    if (error.offline || error.status >= 500 || error.status === 429) return { saved: null, pending: true };
    await confirmAnswer(entry.client_answer_id); // refused for good: nothing to retry
    throw error;
  }
}

export async function queued(sessionId) {
  const byPosition = new Map();
  for (const entry of await store.bySession(sessionId)) byPosition.set(entry.position, entry);
  return byPosition;
}

export function blanksIn(stem) {
  return Math.max(1, (String(stem).match(/_{2,}|（\s*）|\(\s*\)/g) || []).length);
}

export function answered(response) {
  if (!response) return false;
  if (Array.isArray(response.selected)) return response.selected.length > 0;
  if (typeof response.value === "boolean") return true;
  if (Array.isArray(response.blanks)) return response.blanks.some((b) => String(b).trim());
  return Boolean(String(response.text || "").trim());
}

// A key as the learner reads it: 对/错, the right letters, the accepted blanks, the key words.
export function keyText(key) {
  if (!key) return "";
  if (typeof key.correct === "boolean") return key.correct ? "对" : "错";
  if (Array.isArray(key.correct)) return key.correct.join("、");
  if (key.blanks) return key.blanks.map((b) => (b.accepted || []).join(" / ")).join("；");
  if (key.keywords) return `要点：${key.keywords.map((k) => k.word).join("、")}`;
  return "";
}

// The controls of one question, for a session or a practice pack. `give(response)` takes
// the learner's answer. A choice goes at once; several choices go at once each (a session)
// or on a confirm (a pack, `confirmChoices`); blanks and text on their button (`saveLabel`).
// With `key`, the options are marked right and wrong.
export function answerControl(item, response, give, { locked, key = null, confirmChoices = false, saveLabel }) {
  const button = (label, go, secondary = true) => {
    const b = h("button", { class: `${secondary ? "secondary " : ""}block`, disabled: locked }, label);
    b.addEventListener("click", go);
    return b;
  };
  if (item.type === "single_choice" || item.type === "multiple_choice") {
    const chosen = new Set(response?.selected || []);
    const right = new Set(key?.correct || []);
    let confirmed = null; // a pack's 确定, pressed only with something chosen
    const mark = (label) => (key ? (right.has(label) ? "right" : chosen.has(label) ? "wrong" : "") : "");
    const options = item.options.map((option) => {
      const b = h("button", { class: `option ${mark(option.label)}`, "aria-pressed": chosen.has(option.label) ? "true" : "false",
        disabled: locked, "data-label": option.label }, h("b", {}, option.label), h("span", {}, option.text));
      b.addEventListener("click", () => {
        if (item.type === "single_choice") return give({ selected: [option.label] });
        chosen.has(option.label) ? chosen.delete(option.label) : chosen.add(option.label);
        if (!confirmChoices) {
          // no answer is not an answer: the last choice stays until another is chosen
          if (!chosen.size) return void chosen.add(option.label);
          return give({ selected: [...chosen].sort() });
        }
        b.setAttribute("aria-pressed", chosen.has(option.label) ? "true" : "false");
        if (confirmed) confirmed.disabled = !chosen.size;
      });
      return b;
    });
    confirmed = item.type === "multiple_choice" && confirmChoices && !locked
      ? button(saveLabel, () => chosen.size && give({ selected: [...chosen].sort() }), false) : null;
    if (confirmed) confirmed.disabled = !chosen.size;
    return h("div", { class: "options", role: item.type === "single_choice" ? "radiogroup" : "group", "aria-labelledby": "stem" },
      options, confirmed);
  }
  if (item.type === "true_false") {
    return h("div", { class: "options", role: "radiogroup", "aria-labelledby": "stem" },
      [[true, "对"], [false, "错"]].map(([value, label]) => {
        const b = h("button", { class: "option", "aria-pressed": response?.value === value ? "true" : "false",
          disabled: locked, "data-value": String(value) }, h("b", {}, label));
        b.addEventListener("click", () => give({ value }));
        return b;
      }));
  }
  if (item.type === "fill_blank") {
    const inputs = Array.from({ length: blanksIn(item.stem) }, (_, i) =>
      h("input", { "aria-label": `第 ${i + 1} 空`, value: response?.blanks?.[i] || "", disabled: locked }));
    return h("div", {}, inputs, button(saveLabel, () => give({ blanks: inputs.map((i) => i.value.trim()) }), !confirmChoices));
  }
  const text = h("textarea", { "aria-label": "你的回答", disabled: locked }, response?.text || "");
  return h("div", {}, text, button(saveLabel, () => give({ text: text.value }), !confirmChoices));
}

// A button that starts a session (daily practice, a review, a paper) and opens it.
export function sessionStarter(label, path, status, attrs = {}) {
  const go = h("button", { class: "block", ...attrs }, label);
  go.addEventListener("click", async () => {
    go.disabled = true;
    try {
      const session = await request("POST", path);
      location.hash = `#/session/${session.id}`;
    } catch (error) {
      status.replaceChildren(errorBox(error));
      go.disabled = false;
    }
  });
  return go;
}
