// The router: one page, each screen a module loaded when first needed.
import { currentUser, signedIn } from "./api.js";
import { databaseOwner } from "./store.js";
import { flush, onChange, onProblem, waiting } from "./sync.js";
import { errorBox, show, toast, zh } from "./ui.js";

const ROUTES = [
  [/^#\/login$/, "account", "login", false],
  [/^#\/password$/, "account", "password", true],
  [/^#\/home$/, "home", "home", true],
  [/^#\/catalog$/, "catalog", "catalog", true],
  [/^#\/course\/(\d+)$/, "course", "catalog", true],
  [/^#\/lecture\/(\d+)$/, "player", "catalog", true],
  [/^#\/quizzes$/, "quizzes", "quizzes", true],
  [/^#\/session\/([0-9a-f]+)$/, "session", "quizzes", true],
  [/^#\/offline$/, "offline", "quizzes", true],
  [/^#\/pack\/(\d+)$/, "offline", "quizzes", true],
  [/^#\/mistakes$/, "mistakes", "mistakes", true],
  [/^#\/me$/, "me", "me", true],
  [/^#\/credits$/, "me", "me", true],
  [/^#\/certificates$/, "me", "me", true],
  [/^#\/history$/, "me", "me", true],
  [/^#\/evaluation$/, "evaluation", "me", true],
  [/^#\/assess$/, "evaluation", "me", true],
  [/^#\/assess\/([0-9a-f]+)$/, "evaluation", "me", true],
];

let leaving = null; // the screen's own clean-up (a player sends its last heartbeat)

async function route() {
  const hash = location.hash || "#/home";
  const found = ROUTES.find(([pattern]) => pattern.test(hash));
  if (!found) return void (location.hash = "#/home");
  const [pattern, module, tab, needsSignIn] = found;
  if (needsSignIn && !signedIn()) return void (location.hash = "#/login");
  if (needsSignIn && currentUser()?.must_change_password && module !== "account") {
    return void (location.hash = "#/password");
  }
  if (leaving) {
    const cleanUp = leaving;
    leaving = null;
    try { await cleanUp(); } catch { /* the outbox keeps what did not go */ }
  }
  const tabs = document.getElementById("tabs");
  tabs.hidden = !needsSignIn;
  for (const link of tabs.querySelectorAll("a")) link.classList.toggle("active", link.dataset.tab === tab);
  if (needsSignIn) flush(); // whoever is signed in now sends what they queued (nothing, often)
  try {
    const page = await import(`./pages/${module}.js`);
    const args = hash.match(pattern).slice(1);
    leaving = (await page.render(hash, ...args)) || null;
  } catch (error) {
    if (error?.status === 401) return void (location.hash = "#/login");
    show(null, errorBox(error));
  }
}

function network() {
  const badge = document.getElementById("net");
  const paint = async (counts) => {
    const left = (counts || (await waiting())).total;
    badge.classList.toggle("offline", !navigator.onLine);
    badge.textContent = !navigator.onLine
      ? `离线${left ? ` · ${left} 条待上传` : ""}`
      : left ? `${left} 条待上传` : "";
  };
  addEventListener("online", () => paint());
  addEventListener("offline", () => paint());
  onChange(paint);
  onProblem((problems) => toast(`未能上传：${problems.map(zh).join("；")}`));
  paint();
}

addEventListener("hashchange", route);
// Another tab signed in someone else, or signed out: this tab's token and database are no
// longer the signed-in user's. Start again as whoever is signed in now.
addEventListener("storage", (event) => {
  if (event.key !== "jy.user" && event.key !== null) return;
  if ((currentUser()?.id ?? null) !== databaseOwner()) location.reload();
});
addEventListener("pagehide", () => { if (leaving) leaving(); });
network();
route();
flush();
if ("serviceWorker" in navigator) {
  addEventListener("load", () => navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {}));
}
