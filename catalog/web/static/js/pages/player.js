// The lecture player: the mobile rendition (or audio only, to save data), resumes where the
// learner stopped, and reports what was really played: a heartbeat every 15 s while playing,
// and on pause, seek, end and leave, each the stretch played since the last, by the device's
// clock. Completion is shown as the server counts it, never guessed here.
import { request } from "../api.js";
import { flush, queueStatements, uid } from "../sync.js";
import { h, minutes, pct, show } from "../ui.js";

const AUDIO_ONLY = "jy.audioOnly";
const BEAT_MS = 15000;

export async function render(_hash, id) {
  const lectureId = Number(id);
  const [lecture, playback, progress] = await Promise.all([
    request("GET", `/microlectures/${lectureId}`),
    request("GET", `/microlectures/${lectureId}/playback`),
    request("GET", "/me/progress").catch(() => ({ lectures: [] })),
  ]);
  const audioOnly = localStorage.getItem(AUDIO_ONLY) === "1";
  const pick = (kind) => playback.renditions.find((r) => r.kind === kind);
  const source = (audioOnly && pick("audio")) || pick("mobile") || pick("original") || pick("audio");
  const mine = () => progress.lectures.find((l) => l.microlecture_id === lectureId);
  const status = h("p", { id: "completion", "aria-live": "polite" });
  const paint = () => {
    const seen = mine();
    status.className = seen?.completed_at ? "tag ok" : "muted";
    status.textContent = seen?.completed_at ? "已完成（已计入学习记录）" : `已学 ${pct(seen?.share_watched)}`;
  };
  const media = source.kind === "audio"
    ? h("audio", { controls: true, preload: "metadata", src: source.url, id: "media" })
    : h("video", { controls: true, preload: "metadata", playsinline: true, src: source.url, id: "media",
      poster: playback.thumbnail_url || null, width: source.width || null, height: source.height || null });
  if (playback.transcript_url && source.kind !== "audio") {
    media.append(h("track", { kind: "subtitles", srclang: "zh", label: "字幕", src: playback.transcript_url, default: true }));
  }
  const toggle = h("button", { class: "secondary block", id: "audio-only" },
    audioOnly ? "切换为视频" : `只听声音（省流量，约 ${Math.max(1, Math.round((pick("audio")?.size || 0) / 1024))} KB）`);
  toggle.addEventListener("click", () => {
    localStorage.setItem(AUDIO_ONLY, audioOnly ? "0" : "1");
    render(_hash, id);
  });

  // --- heartbeats -----------------------------------------------------------------------
  let from = null; // where the stretch being played began
  let wallFrom = 0;
  let last = 0; // the last position seen before a seek moved it
  const refresh = async () => {
    const result = await flush();
    if (result?.offline) return;
    try {
      progress.lectures = (await request("GET", "/me/progress")).lectures;
      paint();
    } catch { /* shown again at the next beat */ }
  };
  const beat = (to = media.currentTime) => {
    if (from === null) return;
    const wall = (performance.now() - wallFrom) / 1000;
    const stretch = { from, to };
    from = media.paused || media.ended ? null : to;
    wallFrom = performance.now();
    if (stretch.to - stretch.from < 0.25 || wall < 0.25) return;
    queueStatements([{
      id: uid(),
      verb: "progressed",
      object: { type: "microlecture", id: lectureId },
      result: {
        position_from: Number(stretch.from.toFixed(3)),
        position_to: Number(stretch.to.toFixed(3)),
        playback_rate: media.playbackRate,
        wall_seconds: Number(wall.toFixed(3)),
      },
      timestamp: new Date().toISOString(),
      context: { app: "h5", rendition: source.kind },
    }]).then(refresh);
  };
  media.addEventListener("loadedmetadata", () => {
    const at = mine()?.last_position || 0;
    if (at > 1 && at < media.duration - 2) media.currentTime = at;
  }, { once: true });
  media.addEventListener("playing", () => { if (from === null) { from = media.currentTime; wallFrom = performance.now(); } });
  media.addEventListener("timeupdate", () => { if (!media.seeking) last = media.currentTime; });
  media.addEventListener("pause", () => beat());
  media.addEventListener("seeking", () => { beat(last); from = null; });
  media.addEventListener("seeked", () => {
    last = media.currentTime;
    if (!media.paused) { from = media.currentTime; wallFrom = performance.now(); }
  });
  media.addEventListener("ratechange", () => beat());
  const ticker = setInterval(() => { if (!media.paused) beat(); }, BEAT_MS);
  const hidden = () => { if (document.visibilityState === "hidden") beat(); };
  document.addEventListener("visibilitychange", hidden);

  paint();
  show("player",
    h("h1", {}, lecture.title),
    h("p", { class: "muted" }, `${minutes(lecture.duration_seconds)} · ${lecture.instructor?.display_name || ""}`),
    media, status, toggle,
    lecture.description ? h("p", {}, lecture.description) : null,
    lecture.knowledge_points?.length ? h("p", { class: "row" }, lecture.knowledge_points.map((k) => h("span", { class: "tag" }, k))) : null);

  return async () => { // leaving the screen: the stretch played so far, then stop
    beat();
    clearInterval(ticker);
    document.removeEventListener("visibilitychange", hidden);
    media.pause();
    media.removeAttribute("src");
    await flush();
  };
}
