// Catalogue and search: as you type, in characters, pinyin or initials (daozha, dzcz), with
// filters by industry, occupation and level.
import { request } from "../api.js";
import { errorBox, h, marked, minutes, show } from "../ui.js";

let reference = null;

export async function render() {
  reference ||= await Promise.all(["/industries", "/occupations", "/skill-levels"].map((p) => request("GET", p)));
  const [industries, occupations, levels] = reference;
  const q = h("input", { id: "q", type: "search", placeholder: "搜课程或微课：倒闸、daozha、dzcz", "aria-label": "搜索", autocomplete: "off", enterkeyhint: "search" });
  const kind = select("kind", "类型", [["course", "课程"], ["microlecture", "微课"]], false);
  const industry = select("industry", "行业", industries.map((i) => [i.code, i.name]));
  const occupation = select("occupation", "工种", occupations.map((o) => [o.code, o.name]));
  const level = select("level", "等级", levels.map((l) => [l.level, l.name]));
  const results = h("div", { id: "results", "aria-live": "polite" });
  let timer = null;
  let asked = 0;
  const search = async () => {
    const mine = ++asked;
    const params = new URLSearchParams({ q: q.value.trim(), type: kind.value, limit: 20 });
    for (const [name, el] of [["industry", industry], ["occupation", occupation], ["level", level]]) {
      if (el.value) params.set(name, el.value);
    }
    try {
      const found = await request("GET", `/search?${params}`);
      if (mine !== asked) return; // a later keystroke already asked again
      results.replaceChildren(found.hits.length
        ? h("ul", { class: "list" }, found.hits.map((hit) => hitItem(hit, found.type)))
        : h("p", { class: "muted" }, "没有找到，换个词试试（也可以输入拼音或首字母）。"));
    } catch (error) {
      if (mine === asked) results.replaceChildren(errorBox(error));
    }
  };
  const soon = () => { clearTimeout(timer); timer = setTimeout(search, 250); };
  q.addEventListener("input", soon);
  for (const el of [kind, industry, occupation, level]) el.addEventListener("change", search);
  show("catalog", h("h1", {}, "课程与微课"), q,
    h("div", { class: "chips" }, kind, industry, occupation, level), results);
  await search();
}

function select(id, label, options, any = true) {
  return h("select", { id, "aria-label": label },
    any ? h("option", { value: "" }, `全部${label}`) : null,
    options.map(([value, text]) => h("option", { value }, text)));
}

function hitItem(hit, type) {
  const title = hit.highlights?.title ? marked(hit.highlights.title) : hit.title;
  if (type === "microlecture") {
    return h("li", {}, h("a", { class: "item", href: `#/lecture/${hit.id}` }, h("strong", {}, title),
      h("div", { class: "muted" }, `${minutes(hit.duration_seconds)} · ${hit.instructor?.display_name || ""}`)));
  }
  return h("li", {}, h("a", { class: "item", href: `#/course/${hit.id}` }, h("strong", {}, title),
    h("div", { class: "muted" }, [hit.industry?.name, hit.occupation?.name, hit.skill_level?.name,
      `${hit.class_hours} 学时`, `${hit.credits} 学分`].filter(Boolean).join(" · "))));
}
