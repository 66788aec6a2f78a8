// The API as the app uses it: tokens kept as the API intends, errors as one shape.
// The access token (15 min) lives in memory only; the refresh token (rotated at every use)
// in IndexedDB, so the app opens signed in after the phone restarts it. Refreshing takes a
// lock shared by every tab and reads the token inside it: two tabs presenting the same
// refresh token would look like a stolen copy, and the server would end the login.
import { keepSetting, setting, useDatabaseOf } from "./store.js";

const API = "/api/v1";
const REFRESH = "refresh";
const ATTEMPT = "refresh_attempt"; // the Idempotency-Key of a refresh, kept until it answers
const USER = "jy.user"; // who is signed in (shown at once, before any request)
let access = null;
let accessUntil = 0;

export class ApiError extends Error {
  constructor(status, body, offline = false) {
    super(body?.error?.message || (offline ? "网络不可用，稍后自动重试" : `请求失败（${status}）`));
    this.status = status;
    this.code = body?.error?.code || (offline ? "offline" : "error");
    this.details = body?.error?.details || null;
    this.offline = offline;
  }
}

export const signedIn = () => Boolean(localStorage.getItem(USER));

export function currentUser() {
  try {
    return JSON.parse(localStorage.getItem(USER) || "null");
  } catch {
    return null;
  }
}

async function keep(tokens) {
  access = tokens.access_token;
  accessUntil = Date.now() + (tokens.expires_in - 30) * 1000;
  if (tokens.user) {
    useDatabaseOf(tokens.user.id); // this tab's database is this user's
    localStorage.setItem(USER, JSON.stringify(tokens.user));
  }
  if (tokens.refresh_token) await keepSetting(REFRESH, tokens.refresh_token);
}

export async function forget() {
  access = null;
  accessUntil = 0;
  await keepSetting(REFRESH, null); // in this user's database, before forgetting who it was
  await keepSetting(ATTEMPT, null);
  localStorage.removeItem(USER);
  useDatabaseOf(null);
}

async function send(method, path, { body, token, headers = {} } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers } };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path.startsWith("/") && !path.startsWith("/api") ? API + path : path, init);
  } catch {
    throw new ApiError(0, null, true);
  }
  if (response.status === 204) return { response, data: null };
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data, response.status === 503 && !data);
  return { response, data };
}

export async function signIn(username, password) {
  const { data } = await send("POST", "/auth/token", { body: { username, password } });
  if (signedIn() && currentUser()?.id !== data.user.id) await forget(); // another worker's phone
  await keep(data);
  return data.user;
}

async function renew() {
  const run = async () => {
    if (access && Date.now() < accessUntil) return;
    const token = await setting(REFRESH); // read inside the lock: another tab may have rotated it
    if (!token) {
      await forget();
      throw new ApiError(401, null);
    }
    // The same key with the same token if the answer is lost on the way (a weak signal, the
    // app closed): the server recognises the retry instead of taking it for a stolen copy.
    let attempt = await setting(ATTEMPT);
    if (!attempt || attempt.token !== token) {
      attempt = { token, key: crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}` };
      await keepSetting(ATTEMPT, attempt);
    }
    try {
      const { data } = await send("POST", "/auth/refresh", { token, headers: { "Idempotency-Key": attempt.key } });
      await keep(data);
    } catch (error) {
      if (error.status === 401 || error.status === 422) await forget();
      throw error;
    }
  };
  if (navigator.locks) return navigator.locks.request("jiangyun-refresh", run);
  return run();
}

let renewing = null;
async function accessToken() {
  if (access && Date.now() < accessUntil) return access;
  renewing ||= renew().finally(() => { renewing = null; });
  await renewing;
  return access;
}

// One call: refreshes the access token when it has expired or the server says so.
export async function request(method, path, body, options = {}) {
  const attempt = async () => send(method, path, { body, token: await accessToken(), headers: options.headers });
  try {
    return (await attempt()).data;
  } catch (error) {
    if (error.status !== 401 || !signedIn()) throw error;
    access = null;
    return (await attempt()).data;
  }
}

export async function signOut() {
  try {
    const token = await setting(REFRESH); // revokes the access token with it
    if (token) await send("POST", "/auth/logout", { token });
  } catch {
    // signed out here in any case; the server lets the tokens expire
  }
  await forget();
}

export function remember(user) {
  localStorage.setItem(USER, JSON.stringify(user));
}
