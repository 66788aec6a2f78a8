// Answering, shared by every kind of quiz: each answer is kept on the phone first (with its
// client id and the device's time), then sent; when the network is gone it waits in the
// outbox and flows again when it returns. The same client id makes every retry harmless.
import { request } from "./api.js";
import { confirmAnswer, queueAnswer } from "./sync.js";
import * as store from "./store.js";

export async function saveAnswer(sessionId, position, response) {
  const entry = await queueAnswer(sessionId, position, response);
  try {
    const saved = await request("PUT", `/quiz-sessions/${sessionId}/answers/${position}`, {
      response,
      client_answer_id: entry.client_answer_id,
      client_answered_at: entry.client_answered_at,
    });
    await confirmAnswer(entry.client_answer_id);
    return { saved, pending: false };
  } catch (error) {
    if (error.offline || error.status >= 500 || error.status === 429) return { saved: null, pending: true };
    await confirmAnswer(entry.client_answer_id); // refused for good: nothing to retry
    throw error;
  }
}

export async function queued(sessionId) {
  const byPosition = new Map();
  for (const entry of await store.bySession(sessionId)) byPosition.set(entry.position, entry);
  return byPosition;
}

export function blanksIn(stem) {
  return Math.max(1, (String(stem).match(/_{2,}|（\s*）|\(\s*\)/g) || []).length);
}

export function answered(response) {
  if (!response) return false;
  if (Array.isArray(response.selected)) return response.selected.length > 0;
  if (typeof response.value === "boolean") return true;
  if (Array.isArray(response.blanks)) return response.blanks.some((b) => String(b).trim());
  return Boolean(String(response.text || "").trim());
}
