// teacher.js - the teacher's page: sign in, make the class code, and see
// every child's skill, its state and the last things said to it.
"use strict";
(function () {
  var $ = function (id) { return document.getElementById(id); };
  function api(path, body) {
    var opts = { method: body === undefined ? "GET" : "POST", credentials: "same-origin",
                 headers: {} };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch("/class/api/" + path, opts).then(function (r) {
      return r.json().then(function (j) { j._status = r.status; return j; });
    });
  }
  function cell(tr, text, cls) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }
  function show(j) {
    $("login").hidden = true;
    $("board").hidden = false;
    $("code").textContent = j.code || "none yet";
    var body = document.querySelector("#children tbody");
    body.innerHTML = "";
    j.children.forEach(function (c) {
      var tr = document.createElement("tr");
      cell(tr, c.name);
      cell(tr, c.skill);
      cell(tr, c.state === "broken" ? "broken: " + (c.problem || "") : "answers",
           "state " + (c.state === "broken" ? "broken" : "ok"));
      cell(tr, (c.recent || []).map(function (t) { return t.said + " -> " + t.heard; }).join("\n"));
      var td = cell(tr, "");
      var reset = document.createElement("button");
      reset.textContent = "Reset";
      reset.onclick = function () { api("reset", { name: c.skill }).then(load); };
      var share = document.createElement("button");
      share.textContent = c.anyone ? "Class only" : "Share with anyone";
      share.onclick = function () { api("share", { name: c.skill, anyone: !c.anyone }).then(load); };
      td.appendChild(reset);
      td.appendChild(share);
      body.appendChild(tr);
    });
  }
  function load() {
    return api("class").then(function (j) {
      if (j._status === 200) show(j); else { $("board").hidden = true; $("login").hidden = false; }
    });
  }
  $("login-form").addEventListener("submit", function (e) {
    e.preventDefault();
    api("login", { password: $("password").value }).then(function (j) {
      if (j._status !== 200) { $("login-error").textContent = j.message; return; }
      load();
    });
  });
  $("create").addEventListener("click", function () { api("create", {}).then(load); });
  load();
  setInterval(function () { if (!$("board").hidden) load(); }, 3000);
})();
