/* 匠云 service worker: the app shell from its cache, so the app opens on a workshop floor with
   no signal. API calls and signed storage URLs always go to the network: nothing the server
   decides (progress, answers, keys, deadlines) is ever answered stale from a cache. */
const RELEASE = "__RELEASE__";
const SHELL_CACHE = `jiangyun-shell-${RELEASE}`;
const SHELL = [
  "/", "/app/app.css", "/manifest.webmanifest", "/app/icons/icon-192.png",
  "/app/js/app.js", "/app/js/api.js", "/app/js/store.js", "/app/js/sync.js", "/app/js/ui.js",
  "/app/js/quiz.js", "/app/js/pages/account.js", "/app/js/pages/home.js",
  "/app/js/pages/catalog.js", "/app/js/pages/course.js", "/app/js/pages/player.js",
  "/app/js/pages/quizzes.js", "/app/js/pages/session.js", "/app/js/pages/mistakes.js",
  "/app/js/pages/me.js", "/app/js/pages/offline.js", "/app/js/pages/evaluation.js",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(
        names.filter((n) => n.startsWith("jiangyun-shell-") && n !== SHELL_CACHE)
          .map((n) => caches.delete(n))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/") || url.pathname.startsWith("/storage/")) return;
  if (request.mode === "navigate") {
    // The page from the network when there is one (a new release shows at once), else the shell.
    event.respondWith(fetch(request).catch(() => caches.match("/", { cacheName: SHELL_CACHE })));
    return;
  }
  if (url.pathname.startsWith("/app/") || url.pathname === "/manifest.webmanifest") {
    event.respondWith(
      caches.match(request, { cacheName: SHELL_CACHE, ignoreSearch: true })
        .then((hit) => hit || fetch(request))
    );
  }
});
