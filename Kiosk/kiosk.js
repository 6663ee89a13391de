// The reception kiosk page: place the card → face or PIN → camera check → PIN pad on failure → consent → result.
// Talks only to the local `mynaface serve` (same origin). Frames live in memory for one request; nothing here stores
// or logs an image, a score or a PIN.
"use strict";

const FRAMES_PER_ATTEMPT = 3;      // frames captured over about a second, fused by the service into one decision
const FRAME_INTERVAL_MS = 400;
const FACE_ATTEMPTS = 3;           // attempts with no usable face before the PIN pad

const visit = { templateId: null, method: null, consents: {}, faceAttempts: 0, pin: "", stream: null, busy: false };

const $ = (id) => document.getElementById(id);
const bilingual = (ja, en) => `<span class="ja">${ja}</span><span class="en">${en}</span>`;

const RESULT_SECONDS = 60;         // the result screen returns to the start by itself
let resultTimer = null;

function show(name) {
  clearTimeout(resultTimer);
  if (name === "result") resultTimer = setTimeout(restart, RESULT_SECONDS * 1000);
  for (const s of document.querySelectorAll(".screen")) s.hidden = s.id !== `screen-${name}`;
  document.body.dataset.screen = name;
  $("cancel").hidden = name === "start" || name === "result";
}

// Messages are set as text (the service's patient messages included), never as markup.
function say(id, ja, en) {
  const element = $(id);
  element.textContent = "";
  if (!ja) return;
  for (const [lang, text] of [["ja", ja], ["en", en]]) {
    const span = document.createElement("span");
    span.className = lang;
    span.textContent = text;
    element.append(span);
  }
}

// The service's patient messages read "日本語 / English".
function sayServer(id, text) {
  const cut = text.indexOf(" / ");
  say(id, cut < 0 ? text : text.slice(0, cut), cut < 0 ? "" : text.slice(cut + 3));
}

async function api(method, path, body) {
  const response = await fetch(path, {
    method, headers: body ? { "Content-Type": "application/json" } : {}, body: body ? JSON.stringify(body) : undefined,
  });
  const json = response.status === 204 ? {} : await response.json().catch(() => ({}));
  return { status: response.status, json };
}

function toBase64(buffer) {
  const bytes = new Uint8Array(buffer);
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

// MARK: card

async function enrolled(reply) {
  if (reply.status !== 201) {
    say("start-message", "カードを読み取れませんでした。窓口にお越しください", "The card could not be read. Please go to the counter");
    return;
  }
  visit.templateId = reply.json.templateId;
  say("start-message", "");
  show("choose");
}

async function placeCard() {
  if (visit.busy) return;
  visit.busy = true;
  say("start-message", "カードを読み取っています…", "Reading the card…");
  try { await enrolled(await api("POST", "/v1/kiosk/card")); } finally { visit.busy = false; }
}

async function uploadPortrait(file) {
  if (!file || visit.busy) return;
  visit.busy = true;
  say("start-message", "カードを読み取っています…", "Reading the card…");
  try {
    await enrolled(await api("POST", "/v1/templates", { portrait: toBase64(await file.arrayBuffer()) }));
  } finally {
    visit.busy = false;
    $("portrait-file").value = "";
  }
}

// MARK: camera

async function startFace() {
  visit.method = "face";
  visit.faceAttempts = 0;
  say("camera-message", "カメラを準備しています…", "Starting the camera…");
  show("camera");
  try {
    visit.stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
  } catch (e) {
    toPin("カメラを使えません。暗証番号で確認します", "The camera is not available. Please use your PIN");
    return;
  }
  const video = $("camera");
  video.srcObject = visit.stream;
  await video.play().catch(() => {});
  faceAttempt();
}

function stopCamera() {
  if (visit.stream) for (const track of visit.stream.getTracks()) track.stop();
  visit.stream = null;
  $("camera").srcObject = null;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function captureFrame() {
  const video = $("camera"), canvas = $("frame");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const context = canvas.getContext("2d");
  context.drawImage(video, 0, 0);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.92));
  context.clearRect(0, 0, canvas.width, canvas.height);
  return toBase64(await blob.arrayBuffer());
}

async function faceAttempt() {
  const video = $("camera");
  while (visit.stream && video.videoWidth === 0) await sleep(100);
  if (!visit.stream) return;
  say("camera-message", "そのまま動かないでください…", "Please hold still…");
  let frames = [];
  for (let i = 0; i < FRAMES_PER_ATTEMPT; i++) {
    if (i > 0) await sleep(FRAME_INTERVAL_MS);
    if (!visit.stream) return;
    frames.push(await captureFrame());
  }
  say("camera-message", "確認しています…", "Checking…");
  const reply = await api("POST", "/v1/verify", { templateId: visit.templateId, frames });
  frames = null;
  if (document.body.dataset.screen !== "camera") return;   // cancelled meanwhile
  visit.faceAttempts += 1;
  const decision = reply.status === 200 ? reply.json.decision : "error";
  if (decision === "match") {
    stopCamera();
    show("consent-medication");
  } else if (decision === "notAcquired" && visit.faceAttempts < FACE_ATTEMPTS) {
    sayServer("camera-message", reply.json.patientMessage || "顔が確認できません / No face found");
    await sleep(1500);
    if (document.body.dataset.screen === "camera") faceAttempt();
  } else if (decision === "notAcquired") {
    toPin("顔が確認できませんでした。暗証番号を入力してください", "Your face could not be checked. Please enter your PIN");
  } else {
    toPin("顔認証できませんでした。暗証番号を入力してください", "Face authentication failed. Please enter your PIN");
  }
}

// MARK: PIN

function toPin(ja, en) {
  stopCamera();
  visit.method = "pin";
  visit.pin = "";
  drawPin();
  if (ja) say("pin-message", ja, en); else say("pin-message", "");
  show("pin");
}

function drawPin() { $("pin-dots").textContent = "●".repeat(visit.pin.length) + "○".repeat(4 - visit.pin.length); }

function buildPad() {
  const pad = $("pin-pad");
  const keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "ok"];
  for (const key of keys) {
    const button = document.createElement("button");
    button.id = `pin-key-${key}`;
    if (key === "clear") { button.innerHTML = bilingual("訂正", "Clear"); button.className = "small"; }
    else if (key === "ok") { button.innerHTML = bilingual("確定", "OK"); button.className = "small primary"; }
    else button.textContent = key;
    button.addEventListener("click", () => pinKey(key));
    pad.appendChild(button);
  }
}

async function pinKey(key) {
  if (visit.busy) return;
  if (key === "clear") visit.pin = "";
  else if (key === "ok") return submitPin();
  else if (visit.pin.length < 4) visit.pin += key;
  drawPin();
}

async function submitPin() {
  if (visit.pin.length !== 4) {
    say("pin-message", "4桁の数字を入力してください", "Please enter four digits");
    return;
  }
  visit.busy = true;
  const pin = visit.pin;
  visit.pin = "";
  drawPin();
  try {
    const reply = await api("POST", "/v1/kiosk/pin", { templateId: visit.templateId, pin });
    if (reply.status === 200 && reply.json.accepted) {
      say("pin-message", "");
      show("consent-medication");
    } else if (reply.status === 200 && reply.json.triesLeft > 0) {
      say("pin-message", `暗証番号が違います。あと${reply.json.triesLeft}回入力できます`,
          `The PIN is wrong. ${reply.json.triesLeft} more ${reply.json.triesLeft === 1 ? "try" : "tries"}`);
    } else {
      finish(false, "本人確認ができませんでした。窓口にお越しください", "Your identity could not be confirmed. Please go to the counter");
    }
  } finally { visit.busy = false; }
}

// MARK: consent and result

function consent(kind, agreed) {
  visit.consents[kind] = agreed;
  if (kind === "medication") show("consent-treatment");
  else finish(true, "受付が完了しました", "Reception complete");
}

function finish(ok, ja, en) {
  stopCamera();
  const title = $("result-title");
  title.innerHTML = bilingual(ja, en);
  title.className = ok ? "ok" : "stop";
  const summary = $("result-summary");
  summary.innerHTML = "";
  const row = (termJa, termEn, valueJa, valueEn) => {
    const dt = document.createElement("dt"), dd = document.createElement("dd");
    dt.innerHTML = bilingual(termJa, termEn);
    dd.innerHTML = bilingual(valueJa, valueEn);
    summary.append(dt, dd);
  };
  const yesNo = (v) => (v === undefined ? ["—", "—"] : v ? ["同意する", "Agreed"] : ["同意しない", "Not agreed"]);
  if (ok) {
    row("本人確認", "Identity", ...(visit.method === "face" ? ["顔認証", "Face"] : ["暗証番号", "PIN"]));
    row("薬剤情報・特定健診情報", "Medication, health check-ups", ...yesNo(visit.consents.medication));
    row("診療・手術情報", "Treatment, surgery", ...yesNo(visit.consents.treatment));
  }
  document.body.dataset.outcome = ok ? "complete" : "counter";
  endVisit();
  show("result");
}

function cancel() {
  stopCamera();
  document.body.dataset.outcome = "cancelled";
  $("result-title").innerHTML = bilingual("受付を中止しました", "Reception cancelled");
  $("result-title").className = "stop";
  $("result-summary").innerHTML = "";
  endVisit();
  show("result");
}

// The template is wiped as soon as the visit ends (it would expire anyway).
function endVisit() {
  if (visit.templateId) api("DELETE", `/v1/templates/${encodeURIComponent(visit.templateId)}`).catch(() => {});
  visit.templateId = null;
  visit.pin = "";
  visit.consents = {};
}

function restart() {
  delete document.body.dataset.outcome;
  visit.method = null;
  say("start-message", "");
  show("start");
}

document.addEventListener("DOMContentLoaded", () => {
  buildPad();
  drawPin();
  $("place-card").addEventListener("click", placeCard);
  $("portrait-file").addEventListener("change", (e) => uploadPortrait(e.target.files[0]));
  $("choose-face").addEventListener("click", startFace);
  $("choose-pin").addEventListener("click", () => toPin());
  $("face-to-pin").addEventListener("click", () => toPin());
  $("medication-agree").addEventListener("click", () => consent("medication", true));
  $("medication-disagree").addEventListener("click", () => consent("medication", false));
  $("treatment-agree").addEventListener("click", () => consent("treatment", true));
  $("treatment-disagree").addEventListener("click", () => consent("treatment", false));
  $("cancel").addEventListener("click", cancel);
  $("restart").addEventListener("click", restart);
  show("start");
});
