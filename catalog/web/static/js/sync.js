// The outbox: every answer, heartbeat, submit and offline practice stays in IndexedDB until
// the server has confirmed it. Each carries its client id, so a retry after a lost answer
// never counts twice; it flows again by itself when the network returns.
import { request, signedIn } from "./api.js";
import * as store from "./store.js";

const listeners = new Set();
const problemListeners = new Set();
let flushing = null;
let seq = 0;

export const uid = () =>
  crypto.randomUUID ? crypto.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;

export function onChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

// What the server refused for good (an answer after the exam closed, a malformed record):
// said to the learner, never retried for ever.
export function onProblem(listener) {
  problemListeners.add(listener);
  return () => problemListeners.delete(listener);
}

async function notify() {
  const counts = await waiting();
  for (const listener of listeners) listener(counts);
}

export async function waiting() {
  const [answers, statements, pending, offline, scorings] = await Promise.all(
    ["answers", "statements", "pending", "offline", "scorings"].map((s) => store.all(s))
  );
  return { answers: answers.length, statements: statements.length, submits: pending.length, offline: offline.length,
    scorings: scorings.length,
    total: answers.length + statements.length + pending.length + offline.length + scorings.length };
}

// An answer is kept first, then sent; a later answer to the same question replaces a queued one.
export async function queueAnswer(sessionId, position, response) {
  const entry = {
    client_answer_id: uid(),
    session_id: sessionId,
    position,
    response,
    client_answered_at: new Date().toISOString(),
    seq: Date.now() * 1000 + (seq++ % 1000),
  };
  for (const older of await store.bySession(sessionId)) {
    if (older.position === position) await store.remove("answers", older.client_answer_id);
  }
  await store.put("answers", entry);
  await notify();
  return entry;
}

export async function confirmAnswer(clientAnswerId) {
  await store.remove("answers", clientAnswerId);
  await notify();
}

export async function queueStatements(statements) {
  for (const statement of statements) await store.put("statements", statement);
  await notify();
  return flush();
}

export async function queueSubmit(sessionId) {
  await store.put("pending", { session_id: sessionId, at: new Date().toISOString() });
  await notify();
}

export async function queueOffline(result) {
  await store.put("offline", result);
  await notify();
  return flush();
}

// An assessor's scoring of one candidate, photos included, kept until the server has it; its
// client id makes a resend the same submission.
export async function queueScoring(scoring) {
  await store.put("scorings", scoring);
  await notify();
  return flush();
}

export function flush() {
  if (!signedIn()) return Promise.resolve({ offline: false, problems: [] }); // theirs waits for them
  flushing ||= sendAll().finally(() => { flushing = null; notify(); });
  return flushing;
}

async function sendAll() {
  const problems = [];
  let offline = false;
  try {
    await sendAnswers(problems);
    await sendStatements(problems);
    await sendSubmits(problems);
    await sendOffline(problems);
    await sendScorings(problems);
  } catch (error) {
    // offline, the server busy or unreachable, or signed out: everything stays queued
    offline = true;
  }
  if (problems.length) for (const listener of problemListeners) listener(problems);
  return { offline, problems };
}

async function sendAnswers(problems) {
  const bySession = new Map();
  for (const answer of await store.all("answers")) {
    if (!bySession.has(answer.session_id)) bySession.set(answer.session_id, []);
    bySession.get(answer.session_id).push(answer);
  }
  for (const [sessionId, answers] of bySession) {
    answers.sort((a, b) => a.seq - b.seq);
    let outcome;
    try {
      outcome = await request("POST", `/quiz-sessions/${sessionId}/answers/batch`, {
        answers: answers.map(({ position, response, client_answer_id, client_answered_at }) =>
          ({ position, response, client_answer_id, client_answered_at })),
      });
    } catch (error) {
      if (error.offline || error.status >= 500 || error.status === 429 || error.status === 401) throw error;
      // the session is gone or closed: these answers can never land; say so, keep nothing stuck
      problems.push(error.message);
      for (const answer of answers) await store.remove("answers", answer.client_answer_id);
      continue;
    }
    for (const result of outcome.results) {
      if (result.status === "rejected") problems.push(`第 ${result.position} 题：${result.reason}`);
      await store.remove("answers", result.client_answer_id);
    }
  }
}

async function sendStatements(problems) {
  const statements = await store.all("statements");
  for (let start = 0; start < statements.length; start += 200) {
    const chunk = statements.slice(start, start + 200);
    const outcome = await request("POST", "/me/statements:batch", { statements: chunk });
    for (const [index, result] of outcome.results.entries()) {
      if (result.status === "rejected") problems.push(`学习记录：${JSON.stringify(result.reason)}`);
      await store.remove("statements", result.id || chunk[index].id);
    }
  }
}

async function sendSubmits(problems) {
  for (const pending of await store.all("pending")) {
    const left = await store.bySession(pending.session_id);
    if (left.length) continue; // its answers first
    try {
      await request("POST", `/quiz-sessions/${pending.session_id}/submit`);
    } catch (error) {
      if (error.offline || error.status >= 500 || error.status === 401) throw error;
      problems.push(error.message);
    }
    await store.remove("pending", pending.session_id);
  }
}

async function sendOffline(problems) {
  const queue = await store.all("offline");
  for (let result = queue.shift(); result; result = queue.shift()) {
    try {
      const recorded = await request("POST", "/me/offline-practice", result.body);
      if (recorded.refused?.length) {
        problems.push(`离线练习中 ${recorded.refused.length} 道题已被考试占用，未计入`);
      }
    } catch (error) {
      if (error.offline || error.status >= 500 || error.status === 401) throw error;
      const named = error.details?.json?.answers; // by the answer's place: {"2": {...}}
      const malformed = named && !Array.isArray(named) ? Object.keys(named).map(Number).filter(Number.isInteger) : [];
      const kept = result.body.answers.filter((_, i) => !malformed.includes(i));
      if (error.status === 422 && malformed.length && kept.length && kept.length < result.body.answers.length) {
        // the rest of the practice is kept: it goes again without the answers named malformed
        problems.push(`离线练习中 ${malformed.length} 道题的作答格式不正确，未计入`);
        const rest = { ...result, body: { ...result.body, answers: kept } };
        await store.put("offline", rest);
        queue.push(rest);
        continue;
      }
      problems.push(error.message);
    }
    await store.remove("offline", result.client_id);
  }
}

async function sendScorings(problems) {
  for (const scoring of await store.all("scorings")) {
    try {
      for (const photo of [...scoring.photos]) {
        if (photo.key) continue;
        const type = photo.blob.type || "image/jpeg";
        try {
          const ticket = await request("POST", `/assessments/${scoring.assessment_id}/evidence-upload`,
            { content_type: type, size: photo.blob.size });
          const put = await fetch(ticket.url, { method: ticket.method || "PUT", body: photo.blob, headers: { "Content-Type": type } });
          if (!put.ok) throw Object.assign(new Error(`照片上传失败（${put.status}）`), { status: put.status });
          photo.key = ticket.key;
        } catch (error) {
          if (!REFUSED_PHOTO.has(error.status)) throw error;
          scoring.photos = dropPhotos(scoring, [photo], problems); // the scoring itself goes on
        }
        await store.put("scorings", scoring); // an uploaded photo is not sent twice
      }
      const submit = () => request("POST", `/assessments/${scoring.assessment_id}/submit`, {
        client_id: scoring.client_id, scored_at: scoring.scored_at, items: scoring.items,
        evidence_keys: scoring.photos.map((p) => p.key),
      });
      try {
        await submit();
      } catch (error) {
        // the server read a photo's bytes and refused it: the scoring goes again without it
        if (!REFUSED_PHOTO.has(error.status) || !scoring.photos.length) throw error;
        const named = scoring.photos.filter((p) => p.key === error.details?.key);
        scoring.photos = dropPhotos(scoring, named.length ? named : scoring.photos, problems);
        await store.put("scorings", scoring);
        await submit();
      }
    } catch (error) {
      if (error.offline || !error.status || error.status >= 500 || error.status === 429 || error.status === 401) throw error;
      problems.push(`${scoring.candidate}的评分：${error.message}`);
    }
    await store.remove("scorings", scoring.client_id);
    await store.remove("assessments", scoring.assessment_id);
  }
}

// A photo the server will not take (its type, its size, its bytes): dropped from the scoring,
// with a word to the assessor, so the scores themselves are never lost with it.
const REFUSED_PHOTO = new Set([413, 415]);

function dropPhotos(scoring, dropped, problems) {
  problems.push(`${scoring.candidate}的评分：${dropped.length} 个照片或视频格式不支持或过大，未上传；评分照常提交`);
  return scoring.photos.filter((p) => !dropped.includes(p));
}

addEventListener("online", () => flush());
setInterval(() => { if (navigator.onLine) flush(); }, 20000);
