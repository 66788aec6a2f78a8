// IndexedDB, the app's memory on the phone: answers and heartbeats until the server confirms
// them, practice packs for practice without a network, and practice done offline. One
// database per signed-in user: on a phone shared by a team, what one worker queued is sent
// as theirs when they sign in again, never as the next worker's, and nobody sees another's
// practice packs.
const VERSION = 3;
const opened = new Map();

// Whose database this tab uses: the user this tab signed in (or found signed in when it
// opened), never whatever another tab wrote to localStorage since; app.js reloads a tab whose
// user changed elsewhere, so its in-memory token and its database always belong together.
let owner = (() => {
  try {
    return JSON.parse(localStorage.getItem("jy.user") || "null")?.id ?? null;
  } catch {
    return null;
  }
})();

export const databaseOwner = () => owner;
export function useDatabaseOf(userId) {
  owner = userId ?? null;
}

function name() {
  return owner ? `jiangyun-${owner}` : "jiangyun";
}

function open() {
  const database = name();
  if (opened.has(database)) return opened.get(database);
  const ready = new Promise((resolve, reject) => {
    const req = indexedDB.open(database, VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      const has = (name) => db.objectStoreNames.contains(name);
      if (!has("answers")) {
        db.createObjectStore("answers", { keyPath: "client_answer_id" }).createIndex("session", "session_id");
      }
      if (!has("statements")) db.createObjectStore("statements", { keyPath: "id" });
      if (!has("packs")) db.createObjectStore("packs", { keyPath: "bank_id" });
      if (!has("offline")) db.createObjectStore("offline", { keyPath: "client_id" });
      if (!has("pending")) db.createObjectStore("pending", { keyPath: "session_id" }); // submits waiting for a network
      // the refresh token: one store every tab reads and writes transactionally (localStorage
      // reaches other tabs late, and a tab refreshing with a used token ends the login)
      if (!has("kv")) db.createObjectStore("kv", { keyPath: "key" });
      // an assessor's candidates and checklists, taken into the workshop; their scorings
      // (with the photos as blobs) until the server has them
      if (!has("assessments")) db.createObjectStore("assessments", { keyPath: "id" });
      if (!has("scorings")) db.createObjectStore("scorings", { keyPath: "client_id" });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  opened.set(database, ready);
  return ready;
}

async function run(store, mode, work) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(store, mode);
    const req = work(tx.objectStore(store));
    tx.oncomplete = () => resolve(req ? req.result : undefined);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export const put = (store, value) => run(store, "readwrite", (s) => s.put(value));
export const remove = (store, key) => run(store, "readwrite", (s) => s.delete(key));
export const get = (store, key) => run(store, "readonly", (s) => s.get(key));
export const all = (store) => run(store, "readonly", (s) => s.getAll());
export const bySession = (sessionId) =>
  run("answers", "readonly", (s) => s.index("session").getAll(sessionId));

export async function setting(key) {
  return (await get("kv", key))?.value ?? null;
}

export const keepSetting = (key, value) =>
  value === null ? remove("kv", key) : put("kv", { key, value });

export async function clearAll() {
  for (const store of ["answers", "statements", "packs", "offline", "pending", "assessments", "scorings"]) {
    await run(store, "readwrite", (s) => s.clear());
  }
}
