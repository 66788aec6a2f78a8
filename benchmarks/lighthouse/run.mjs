// Lighthouse, mobile profile (its defaults: a mid-range phone, simulated slow 4G and a 4×
// slower CPU), on the learner app's home and player pages, signed in as a demo learner, in
// the system Chromium (CHROME_PATH). Prints one JSON object: the scores per page.
import lighthouse from "lighthouse";
import puppeteer from "puppeteer-core";

const [base, username, password] = process.argv.slice(2);
const api = async (path, init = {}) => {
  const response = await fetch(`${base}/api/v1${path}`, init);
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
};
const tokens = await api("/auth/token", {
  method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ username, password }),
});
const mine = await api("/me/courses", { headers: { Authorization: `Bearer ${tokens.access_token}` } });
const lecture = mine.items.find((c) => c.next_lecture)?.next_lecture.id;
if (!lecture) throw new Error("the demo learner has no lecture to play");

const browser = await puppeteer.launch({
  executablePath: process.env.CHROME_PATH || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage();
  await page.goto(`${base}/`);
  await page.waitForSelector("#username");
  await page.type("#username", username);
  await page.type("#password", password);
  await page.click("button[type=submit]");
  await page.waitForFunction(() => location.hash === "#/home");
  const scores = {};
  for (const [name, hash] of [["home", "#/home"], ["player", `#/lecture/${lecture}`]]) {
    const { lhr } = await lighthouse(`${base}/${hash}`, {
      output: "json",
      logLevel: "error",
      onlyCategories: ["performance", "accessibility", "best-practices"],
      disableStorageReset: true, // stay signed in: the refresh token is in localStorage
    }, undefined, page);
    scores[name] = Object.fromEntries(Object.entries(lhr.categories).map(([key, c]) => [key, Math.round(c.score * 100)]));
    scores[name].metrics = {
      fcp_ms: Math.round(lhr.audits["first-contentful-paint"].numericValue),
      lcp_ms: Math.round(lhr.audits["largest-contentful-paint"].numericValue),
      tbt_ms: Math.round(lhr.audits["total-blocking-time"].numericValue),
      cls: Number(lhr.audits["cumulative-layout-shift"].numericValue.toFixed(3)),
    };
    scores[name].failing_accessibility = lhr.categories.accessibility.auditRefs
      .filter((ref) => ref.weight > 0 && lhr.audits[ref.id].score !== null && lhr.audits[ref.id].score < 1)
      .map((ref) => ref.id);
  }
  console.log(JSON.stringify(scores));
} finally {
  await browser.close();
}
