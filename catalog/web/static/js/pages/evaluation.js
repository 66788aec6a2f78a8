// Skill-level evaluation (技能等级评价): what a worker still lacks before applying, their
// applications and each part's result, the theory exam sat through the application; and, for
// an assessor (考评员), the candidates to score in the workshop — taken onto the phone, scored
// item by item with no network if need be, photos included, sent once the network returns.
import { request } from "../api.js";
import * as store from "../store.js";
import { queueScoring, uid } from "../sync.js";
import { day, errorBox, h, show, when, zh } from "../ui.js";

const STATUS = {
  pending: ["待审核", "warn"], approved: ["考核中", "warn"], certified: ["已取证", "ok"], failed: ["未通过", "bad"],
  rejected: ["未批准", "bad"], withdrawn: ["已撤回", ""], lapsed: ["已过期", "bad"],
};
const RESULT = { pending: "进行中", disputed: "待第三名考评员", passed: "通过", failed: "未通过", waived: "免考", void: "作废" };

export async function render(hash, assessmentId) {
  if (assessmentId) return scoring(assessmentId);
  if (hash === "#/assess") return tasks();
  return overview();
}

async function overview() {
  const [plans, mine] = await Promise.all([
    request("GET", "/evaluation/plans"),
    request("GET", "/me/evaluation/applications"),
  ]);
  const open = new Set(mine.filter((a) => ["pending", "approved"].includes(a.status)).map((a) => a.plan.code));
  const checks = await Promise.all(plans.map((p) => request("GET", `/evaluation/plans/${p.id}/eligibility`)
    .catch(() => null)));
  const status = h("div", { "aria-live": "polite" });
  show("evaluation", h("h1", {}, "技能等级评价"), status,
    h("a", { class: "button secondary block", href: "#/assess" }, "考评任务（考评员）"),
    h("h2", {}, "我的申报"),
    mine.length ? mine.map((a) => application(a, status)) : h("p", { class: "muted" }, "还没有申报。"),
    h("h2", {}, "可申报的评价"),
    plans.length ? plans.map((plan, i) => planCard(plan, checks[i], open.has(plan.code), status))
      : h("p", { class: "muted" }, "本单位还没有发布评价方案。"));
}

function planCard(plan, check, applied, status) {
  const apply = h("button", { class: "block", "data-plan": plan.id }, "申报");
  apply.addEventListener("click", async () => {
    apply.disabled = true;
    try {
      await request("POST", "/evaluation/applications", { plan_id: plan.id });
      overview();
    } catch (error) {
      apply.disabled = false;
      status.replaceChildren(errorBox(error), unmetList(error.details?.unmet));
    }
  });
  return h("div", { class: "card" }, h("h3", {}, plan.title),
    h("p", { class: "muted" }, plan.components.map((c) => `${c.title} ${c.weight}%`).join(" · ")),
    check && !check.eligible ? unmetList(check.unmet) : null,
    applied ? h("p", { class: "muted" }, "已申报") : apply);
}

function unmetList(unmet) {
  if (!unmet?.length) return null;
  return h("ul", { class: "list unmet" }, unmet.map((u) => h("li", {}, zh(u.message))));
}

function application(a, status) {
  const [label, tone] = STATUS[a.status] || [a.status, ""];
  const parts = a.plan.components.map((c) => {
    const tries = a.results.filter((r) => r.component_key === c.key);
    const last = tries[tries.length - 1];
    const sit = a.status === "approved" && c.kind === "theory" && (!last || ["pending", "failed"].includes(last.status))
      ? theoryButton(a, c, last, status) : null;
    return h("li", {}, h("div", { class: "spread" }, h("span", {}, `${c.title}（${c.weight}%）`),
      h("span", {}, last ? `${RESULT[last.status] || last.status}${last.score !== null && last.score !== undefined ? ` · ${last.score} 分` : ""}` : "未开始")),
    tries.length > 1 ? h("small", { class: "muted" }, `第 ${last.attempt} 次`) : null, sit);
  });
  return h("div", { class: "card", "data-application": a.id },
    h("div", { class: "spread" }, h("h3", {}, a.plan.title), h("span", { class: `tag ${tone}` }, label)),
    h("p", { class: "muted" }, [`${day(a.applied_at)} 申报`, a.valid_until ? `${day(a.valid_until)} 前完成` : null,
      a.total_score !== null && a.total_score !== undefined ? `总成绩 ${a.total_score}` : null].filter(Boolean).join(" · ")),
    a.decision_note ? h("p", {}, zh(a.decision_note)) : null,
    h("ul", { class: "list" }, parts),
    a.status === "certified" ? h("a", { class: "button secondary block", href: "#/certificates" }, "查看证书") : null);
}

function theoryButton(a, component, last, status) {
  const go = h("button", { class: "block" }, last?.status === "pending" ? "继续理论考试" : last ? "补考理论" : "参加理论考试");
  go.addEventListener("click", async () => {
    go.disabled = true;
    try {
      const session = await request("POST", `/evaluation/applications/${a.id}/theory-sessions`, { component: component.key });
      location.hash = `#/session/${session.id}`;
    } catch (error) {
      go.disabled = false;
      status.replaceChildren(errorBox(error));
    }
  });
  return go;
}

// --- the assessor's side -------------------------------------------------------------------

// what the server keeps as evidence (it checks each file's bytes again)
const EVIDENCE_TYPES = ["image/jpeg", "image/png", "image/webp", "video/mp4"];

async function tasks() {
  let fresh = null;
  try {
    fresh = await request("GET", "/me/assessments");
    const queued = new Set((await store.all("scorings")).map((s) => s.assessment_id));
    for (const task of fresh) if (!queued.has(task.id)) await store.put("assessments", task);
    // a candidate the server no longer lists (voided, reassigned, lapsed) leaves the phone,
    // unless a scoring of them still waits to be sent
    for (const task of await store.all("assessments")) {
      if (!queued.has(task.id) && !fresh.some((t) => t.id === task.id)) await store.remove("assessments", task.id);
    }
  } catch (error) {
    if (!error.offline) throw error; // with no network, the candidates already on the phone
  }
  const kept = await store.all("assessments");
  const waiting = await store.all("scorings");
  show("assess", h("h1", {}, "考评任务"),
    fresh ? null : h("p", { class: "pending" }, "离线：显示已下载到本机的考评任务"),
    waiting.length ? h("p", { class: "pending" }, `${waiting.length} 份评分等待上传`) : null,
    kept.length ? h("ul", { class: "list" }, kept.map((t) => {
      const queued = waiting.some((s) => s.assessment_id === t.id);
      const who = h("span", {}, `${t.candidate}${t.employee_no ? `（${t.employee_no}）` : ""}`, h("br"),
        h("small", { class: "muted" }, `${t.plan_title} · ${t.component.title}`));
      return h("li", {}, queued ? h("div", { class: "item spread" }, who, h("span", { class: "pending" }, "已评分，待上传"))
        : h("a", { class: "item spread", href: `#/assess/${t.id}` }, who, h("span", {}, "评分")));
    }))
      : h("p", { class: "muted" }, "没有待考评的考生。"));
}

async function scoring(assessmentId) {
  const task = await store.get("assessments", assessmentId);
  const queued = (await store.all("scorings")).some((s) => s.assessment_id === assessmentId);
  if (!task || queued) return void (location.hash = "#/assess"); // scored once, never twice
  const status = h("div", { "aria-live": "polite" });
  const rows = task.component.checklist.map((item) => {
    const points = h("input", { id: `p-${item.key}`, type: "number", inputmode: "decimal", min: 0, max: item.points,
      step: 0.5, required: true, "aria-label": `${item.title} 得分` });
    const verdict = item.critical ? h("select", { id: `c-${item.key}`, required: true, "aria-label": `${item.title} 是否通过` },
      h("option", { value: "" }, "否决项：请判定"), h("option", { value: "yes" }, "通过"), h("option", { value: "no" }, "不通过")) : null;
    const note = h("input", { id: `n-${item.key}`, maxlength: 1000, placeholder: "备注（可不填）", "aria-label": `${item.title} 备注` });
    return h("li", { class: "card" }, h("label", { for: `p-${item.key}` }, `${item.title}（${item.points} 分${item.critical ? "，否决项" : ""}）`),
      points, verdict, note);
  });
  const photos = h("input", { id: "evidence", type: "file", accept: EVIDENCE_TYPES.join(","), capture: "environment", multiple: true });
  const form = h("form", { id: "scoring" }, h("ul", { class: "list" }, rows),
    h("label", { for: "evidence" }, "现场照片或视频（可多张）"), photos, status,
    h("button", { type: "submit", class: "block" }, "提交评分"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const items = task.component.checklist.map((item) => {
      const entry = { key: item.key, points: Number(form.querySelector(`#p-${item.key}`).value),
        note: form.querySelector(`#n-${item.key}`).value || null };
      if (item.critical) entry.passed = form.querySelector(`#c-${item.key}`).value === "yes";
      return entry;
    });
    const unfit = [...photos.files].filter((blob) => !EVIDENCE_TYPES.includes(blob.type));
    if (unfit.length) {
      // said at once, while the assessor can still take the photo again
      return void status.replaceChildren(h("p", { class: "error", role: "alert" },
        `只能上传 JPG、PNG、WebP 照片或 MP4 视频：${unfit.map((b) => b.name).join("、")}`));
    }
    const chosen = [...photos.files].map((blob) => ({ blob, key: null }));
    // kept on the phone first, then sent: a dead spot in the workshop loses nothing
    await queueScoring({ client_id: uid(), assessment_id: task.id, candidate: task.candidate,
      scored_at: new Date().toISOString(), items, photos: chosen });
    status.replaceChildren(h("p", { class: "ok" }, navigator.onLine ? "评分已提交" : "评分已保存，联网后自动上传"));
    location.hash = "#/assess";
  });
  show("scoring", h("h1", {}, task.candidate), h("p", { class: "muted" },
    `${task.plan_title} · ${task.component.title} · 第 ${task.attempt} 次 · ${when(task.assigned_at)} 分配`), form);
}
