// Small DOM helpers: elements are built, never parsed from strings, so no text a server or a
// user wrote can become markup (search highlights are the one exception, see marked()).

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// Search highlights arrive HTML-escaped by the server with <em> marks only; anything else is
// rebuilt as text, so a title can never carry a script.
export function marked(text) {
  const span = h("span");
  const parts = String(text).split(/(<em>|<\/em>)/);
  let inside = false;
  for (const part of parts) {
    if (part === "<em>") inside = true;
    else if (part === "</em>") inside = false;
    else if (part) {
      const plain = part.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"')
        .replace(/&#x27;/g, "'").replace(/&#39;/g, "'").replace(/&amp;/g, "&");
      span.append(inside ? h("mark", {}, plain) : plain);
    }
  }
  return span;
}

// Replace an element's children; nulls (a part not shown) are left out, nested lists flattened.
export function fill(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

export function show(view, ...children) {
  const main = document.getElementById("view");
  fill(main, ...children);
  main.focus({ preventScroll: true });
  window.scrollTo(0, 0);
  return view;
}

let toastTimer = null;
export function toast(message) {
  const box = document.getElementById("toast");
  box.textContent = message;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, 4000);
}

// The server speaks "中文 / English"; the app shows the Chinese.
export const zh = (text) => String(text ?? "").split(" / ")[0];

export function errorBox(error) {
  const details = error?.details?.json ? JSON.stringify(error.details.json) : "";
  return h("div", { class: "card error", role: "alert" }, zh(error?.message || String(error)),
    details ? h("details", {}, h("summary", {}, "详细信息"), h("code", {}, details)) : null);
}

export const pct = (share) => `${Math.round((share || 0) * 100)}%`;
export const day = (iso) => (iso ? new Date(iso).toLocaleDateString("zh-CN") : "");
export const when = (iso) => (iso ? new Date(iso).toLocaleString("zh-CN", { hour12: false }) : "");
export function minutes(seconds) {
  const s = Math.max(0, Math.round(seconds || 0));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export function bar(share) {
  return h("div", { class: "progress", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100,
    "aria-valuenow": Math.round((share || 0) * 100), "aria-label": "学习进度" },
  h("span", { style: null, "data-w": pct(share) }));
}

// Widths through the CSSOM (a style attribute would need 'unsafe-inline' in the CSP).
export function sized(root) {
  for (const span of root.querySelectorAll("[data-w]")) span.style.width = span.dataset.w;
  return root;
}

export const MODES = { practice: "练习", exam: "考试", contest: "竞赛", daily: "每日一练", review: "错题复习" };
export const TYPES = { single_choice: "单选题", multiple_choice: "多选题", true_false: "判断题", fill_blank: "填空题", short_answer: "简答题" };
