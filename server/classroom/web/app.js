// The simulator page: send what the user says to /simulator/turn, show the
// answer and the JSON, speak it, and keep the session the server hands back.
"use strict";

const $ = (id) => document.getElementById(id);
let session = null; // {skill, id, attributes} while a session is open

function addLine(kind, text) {
  const p = document.createElement("p");
  p.className = kind;
  p.textContent = text;
  $("conversation").appendChild(p);
  p.scrollIntoView({ block: "nearest" });
  return p;
}

function showSession() {
  $("session").textContent = session
    ? `Session open with ${session.skill}. Keep talking, or say "stop".`
    : "No session is open.";
}

function showError(text) {
  const box = $("error");
  box.hidden = !text;
  box.textContent = text ? `Something went wrong in the skill:\n${text}` : "";
}

// A save that broke the skill: the last good version still answers, and
// this says what to fix.
function showProblem(skill, text) {
  const box = $("problem");
  box.hidden = !text;
  box.textContent = text
    ? `The newest version of ${skill} does not load, so the last version that did is answering:\n${text}`
    : "";
}

function speak(text) {
  if (!text || !$("voice").checked || !("speechSynthesis" in window)) return;
  window.speechSynthesis.cancel();
  window.speechSynthesis.speak(new SpeechSynthesisUtterance(text));
}

async function loadSkills() {
  try {
    const res = await fetch("/simulator/skills");
    const data = await res.json();
    for (const s of data.skills) {
      const opt = document.createElement("option");
      opt.value = s.name;
      opt.textContent = s.invocation ? `${s.name} (say "open ${s.invocation}")` : s.name;
      $("skill").appendChild(opt);
    }
    const first = data.skills.find((s) => s.name === data.default) || data.skills[0];
    if (first && first.invocation) $("utterance").placeholder = `open ${first.invocation}`;
  } catch (e) {
    showError(`Could not list the skills: ${e.message}`);
  }
}

async function say(words) {
  addLine("you", words);
  showError("");
  const body = { skill: $("skill").value || null, utterance: words, session };
  let data;
  try {
    const res = await fetch("/simulator/turn", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    data = await res.json();
    if (!res.ok) {
      showError(data.error || `The server answered ${res.status}.`);
      $("hint").textContent = data.error || "";
      return;
    }
  } catch (e) {
    showError(`The server did not answer: ${e.message}`);
    return;
  }
  if (data.heard) addLine("heard", `Heard by ${data.skill}: ${data.heard}`);
  const words_said = data.speech || (data.said || "").trim();
  if (words_said) addLine("alexa", words_said);
  if (data.reprompt) addLine("heard", `If you say nothing: ${data.reprompt}`);
  $("request").textContent = JSON.stringify(data.request, null, 2);
  $("response").textContent = JSON.stringify(data.response, null, 2);
  showError(data.error);
  showProblem(data.skill, data.problem);
  session = data.session;
  if (data.ended) addLine("ended", "Session ended.");
  showSession();
  speak(words_said);
}

function setUpMic() {
  const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
  if (!Recognition) return;
  const mic = $("mic");
  mic.hidden = false;
  mic.addEventListener("click", () => {
    const rec = new Recognition();
    rec.lang = "en-US";
    rec.interimResults = false;
    mic.classList.add("listening");
    $("hint").textContent = "Listening...";
    rec.onresult = (ev) => {
      const words = ev.results[0][0].transcript;
      $("utterance").value = words;
      $("hint").textContent = "";
      say(words);
    };
    rec.onerror = (ev) => { $("hint").textContent = `The microphone did not work (${ev.error}).`; };
    rec.onend = () => mic.classList.remove("listening");
    rec.start();
  });
}

$("say").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const words = $("utterance").value.trim();
  if (!words) return;
  $("utterance").value = "";
  $("hint").textContent = "";
  say(words);
});
$("reset").addEventListener("click", () => {
  session = null;
  showSession();
  addLine("ended", "New session: start again with \"open ...\".");
  $("utterance").focus();
});
$("skill").addEventListener("change", () => { session = null; showSession(); });

setUpMic();
loadSkills();
$("utterance").focus();
