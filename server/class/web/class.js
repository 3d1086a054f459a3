// class.js - the child's page: join with the class code and a first name,
// then edit the skill (left) and talk to it or a friend's (right).
"use strict";
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var editor = null, me = null, session = null, CODE_LIMIT = 64 * 1024;

  function api(path, body) {
    var opts = { method: body === undefined ? "GET" : "POST", credentials: "same-origin",
                 headers: {} };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch("/class/api/" + path, opts).then(function (r) {
      return r.json().then(function (j) { j._status = r.status; return j; },
                           function () { return { _status: r.status, message: "The class server did not answer." }; });
    });
  }
  function speak(text) {
    if (!text || !window.speechSynthesis) return;
    window.speechSynthesis.speak(new SpeechSynthesisUtterance(text));
  }
  function add(cls, text) {
    var p = document.createElement("p");
    p.className = cls;
    p.textContent = text;
    $("chat").appendChild(p);
    $("chat").scrollTop = $("chat").scrollHeight;
  }
  function showProblem(problem) {
    $("problem").textContent = problem || "";
    var m = problem && /line (\d+)|:(\d+):/.exec(problem);
    editor.markLine(m ? Number(m[1] || m[2]) : 0);
    $("state").textContent = problem ? "broken: the last good version still answers" : "answers";
    $("state").className = "state " + (problem ? "broken" : "ok");
  }
  function refresh() {
    return api("me").then(function (j) {
      if (j._status !== 200) return;
      showProblem(j.problem);
    });
  }
  function loadTargets() {
    api("skills").then(function (j) {
      if (j._status !== 200) return;
      var sel = $("target"), keep = sel.value;
      sel.innerHTML = "";
      j.skills.forEach(function (s) {
        var o = document.createElement("option");
        o.value = s.skill;
        o.textContent = s.skill === me.skill ? "my skill" : s.name + "'s skill";
        sel.appendChild(o);
      });
      sel.value = keep || me.skill;
    });
  }
  function startEditor(j) {
    me = j;
    $("join").hidden = true;
    $("editor").hidden = false;
    $("title").textContent = j.name + "'s skill";
    editor = ClassEditor.attach($("code"), $("lines"), $("colour"));
    editor.set(j.code);
    showProblem(j.problem);
    loadTargets();
    $("code").addEventListener("input", function () {
      var n = new Blob([editor.get()]).size;
      $("size").textContent = n > CODE_LIMIT ? "Your code is too long for the class server (the limit is 64 KB)." : "";
    });
  }
  function save() {
    $("save").disabled = true;
    api("save", { code: editor.get() }).then(function (j) {
      if (j._status !== 200) { $("problem").textContent = j.message; return; }
      // The server loads the new version in a moment (longer when the whole
      // class saves at once); ask how it went a few times.
      [500, 1000, 2000, 3500, 6000].forEach(function (ms) { setTimeout(refresh, ms); });
    }).finally(function () { $("save").disabled = false; });
  }
  function say(text) {
    if (!text) return;
    add("you", text);
    var target = $("target").value || me.skill;
    var path = target === me.skill ? "turn" : "call/" + encodeURIComponent(target);
    api(path, { text: text, session: session }).then(function (j) {
      if (j._status !== 200) { add("alexa", j.message || "Something went wrong."); return; }
      session = j.session || null;
      var words = j.speech || j.said || "(no answer)";
      add("alexa", words);
      speak(j.speech);
      if (target === me.skill) showProblem(j.problem);
    });
  }
  function listen() {
    var R = window.SpeechRecognition || window.webkitSpeechRecognition;
    if (!R) { add("alexa", "This browser cannot listen; type instead."); return; }
    var r = new R();
    r.lang = "en-US";
    r.onresult = function (e) { say(e.results[0][0].transcript); };
    r.start();
  }

  $("join-form").addEventListener("submit", function (e) {
    e.preventDefault();
    api("join", { code: $("join-code").value, name: $("join-name").value }).then(function (j) {
      if (j._status !== 200) { $("join-error").textContent = j.message; return; }
      api("me").then(startEditor);
    });
  });
  $("save").addEventListener("click", save);
  $("say-form").addEventListener("submit", function (e) {
    e.preventDefault();
    say($("say").value.trim());
    $("say").value = "";
  });
  $("mic").addEventListener("click", listen);
  $("target").addEventListener("change", function () { session = null; });
  api("me").then(function (j) {
    if (j._status === 200) startEditor(j); else $("join").hidden = false;
  });
})();
