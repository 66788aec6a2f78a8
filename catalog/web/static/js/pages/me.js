// Me: profile, credits (学分银行) ledger and balance, certificates (register one by
// photographing it), learning history, password, sign out.
import { currentUser, request, signOut } from "../api.js";
import { clearAll } from "../store.js";
import { flush, waiting } from "../sync.js";
import { day, errorBox, h, show, when } from "../ui.js";

const VERBS = { progressed: "学习", completed: "学完", passed: "考试合格", failed: "考试未合格", answered: "作答", attempted: "开始",
  earned: "获得", applied: "申报", approved: "申报获批", rejected: "申报未获批", withdrawn: "撤回申报", theory_started: "参加理论考试",
  component_passed: "考核通过", component_failed: "考核未通过", component_waived: "竞赛免考", assessors_assigned: "安排考评",
  assessed: "考评员评分", disputed: "评分待复核", attempt_voided: "考核作废", certified: "取得等级证书", lapsed: "申报过期",
  started: "开始", signed_off: "师傅签认", ended: "终止" };
const KINDS = { skill: "职业技能等级证书", training: "培训合格证书", contest: "竞赛获奖证书" };
const STATES = { pending: ["待审核", "warn"], approved: ["有效", "ok"], rejected: ["未通过", "bad"], revoked: ["已撤销", "bad"], expired: ["已过期", "bad"] };

export async function render(hash) {
  if (hash === "#/credits") return credits();
  if (hash === "#/certificates") return certificates();
  if (hash === "#/history") return history();
  return me();
}

async function me() {
  const user = currentUser();
  const left = await waiting();
  const out = h("button", { class: "secondary block", id: "sign-out" }, "退出登录");
  out.addEventListener("click", async () => {
    await flush();
    const still = (await waiting()).total;
    if (still && !confirm(`还有 ${still} 条学习记录没上传，退出后会丢失。仍要退出吗？`)) return;
    await signOut();
    await clearAll();
    location.hash = "#/login";
  });
  show("me", h("h1", {}, user?.display_name || "我的"),
    h("p", { class: "muted" }, [user?.organisation?.name, user?.department?.name, user?.occupation,
      user?.skill_level ? `${user.skill_level} 级` : null].filter(Boolean).join(" · ")),
    left.total ? h("p", { class: "pending" }, `${left.total} 条记录等待上传`) : null,
    h("a", { class: "button secondary block", href: "#/credits" }, "我的学分"),
    h("a", { class: "button secondary block", href: "#/certificates" }, "我的证书"),
    h("a", { class: "button secondary block", href: "#/history" }, "学习记录"),
    h("a", { class: "button secondary block", href: "#/evaluation" }, "技能等级评价"),
    h("a", { class: "button secondary block", href: "#/password" }, "修改密码"),
    out);
}

async function credits() {
  const ledger = await request("GET", "/me/credits?limit=50");
  show("credits", h("h1", {}, "学分银行"),
    h("div", { class: "card" }, h("p", { class: "muted" }, "当前学分"), h("div", { class: "score", id: "balance" }, ledger.balance)),
    ledger.items.length ? h("ul", { class: "list" }, ledger.items.map((t) => h("li", { class: "spread" },
      h("span", {}, t.reason || t.source_type, h("br"), h("small", { class: "muted" }, when(t.created_at))),
      h("strong", {}, `${t.credits > 0 ? "+" : ""}${t.credits}`))))
      : h("p", { class: "muted" }, "学完课程、考试合格、登记证书后，学分会记在这里。"));
}

async function certificates() {
  const [mine, occupations] = await Promise.all([request("GET", "/me/certificates"), request("GET", "/occupations")]);
  const status = h("div", { "aria-live": "polite" });
  const photo = h("input", { id: "scan", type: "file", accept: "image/*", capture: "environment" });
  const form = h("form", { class: "card", id: "register" },
    h("h2", {}, "登记外单位证书"),
    h("label", { for: "kind" }, "证书类别"),
    h("select", { id: "kind" }, Object.entries(KINDS).map(([v, t]) => h("option", { value: v }, t))),
    h("label", { for: "number" }, "证书编号"), h("input", { id: "number", required: true, maxlength: 64 }),
    h("label", { for: "issuer" }, "发证机构"), h("input", { id: "issuer", required: true, maxlength: 200 }),
    h("label", { for: "occupation" }, "工种"),
    h("select", { id: "occupation" }, h("option", { value: "" }, "（不限）"), occupations.map((o) => h("option", { value: o.code }, o.name))),
    h("label", { for: "level" }, "技能等级"),
    h("select", { id: "level" }, h("option", { value: "" }, "（无）"), [5, 4, 3, 2, 1].map((l) => h("option", { value: l }, `${l} 级`))),
    h("label", { for: "issued" }, "发证日期"), h("input", { id: "issued", type: "date", required: true }),
    h("label", { for: "expires" }, "有效期至（可不填）"), h("input", { id: "expires", type: "date" }),
    h("label", { for: "scan" }, "拍照上传证书"), photo,
    status, h("button", { type: "submit", class: "block" }, "提交审核"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = (id) => form.querySelector(`#${id}`).value;
    try {
      let scanKey = null;
      const file = photo.files[0];
      if (file) {
        status.textContent = "上传照片…";
        const ticket = await request("POST", "/me/certificates/scan-upload", { content_type: file.type || "image/jpeg", size: file.size });
        const put = await fetch(ticket.url, { method: ticket.method || "PUT", body: file, headers: { "Content-Type": file.type || "image/jpeg" } });
        if (!put.ok) throw new Error(`照片上传失败（${put.status}）`);
        scanKey = ticket.key;
      }
      await request("POST", "/me/certificates", {
        kind: value("kind"), number: value("number").trim(), issuer: value("issuer").trim(),
        occupation: value("occupation") || null, skill_level: value("level") ? Number(value("level")) : null,
        issued_on: value("issued"), expires_on: value("expires") || null, scan_key: scanKey,
      });
      certificates();
    } catch (error) {
      status.replaceChildren(errorBox(error));
    }
  });
  show("certificates", h("h1", {}, "我的证书"),
    mine.length ? mine.map((c) => {
      const [label, tone] = STATES[c.status] || [c.status, ""];
      return h("div", { class: "card" }, h("div", { class: "spread" }, h("h3", {}, KINDS[c.kind] || c.kind), h("span", { class: `tag ${tone}` }, label)),
        h("p", { class: "muted" }, [c.number, c.issuer, c.skill_level ? `${c.skill_level} 级` : null,
          c.issued_on ? `${day(c.issued_on)} 发证` : null, c.expires_on ? `${day(c.expires_on)} 到期` : null].filter(Boolean).join(" · ")));
    }) : h("p", { class: "muted" }, "还没有证书。"),
    form);
}

async function history() {
  const page = await request("GET", "/me/history?limit=50");
  show("history", h("h1", {}, "学习记录"),
    page.items.length ? h("ul", { class: "list" }, page.items.map((s) => h("li", {},
      h("strong", {}, `${VERBS[s.verb] || s.verb} ${s.title || ""}`), h("br"), h("small", { class: "muted" }, when(s.timestamp)))))
      : h("p", { class: "muted" }, "还没有学习记录。"));
}
