// A lesson on `skillserver serve --class`, in headless Chromium: the teacher
// makes the class, two children join, each writes a function, talks to it,
// breaks it, fixes it and calls the other's; a browser without a session is
// refused on every child and teacher route, and a cross-site form post is
// refused. Over HTTPS with a certificate made for localhost, as a class
// server is. Run by run.sh; SKILLSERVER names the binary, SOURCE_ROOT the
// repository.
"use strict";

const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { spawn, execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { chromium } = require("playwright-core");

const ROOT = process.env.SOURCE_ROOT || path.resolve(__dirname, "..", "..");
const SKILLSERVER = process.env.SKILLSERVER || path.join(ROOT, "build", "server", "skillserver");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const START_MS = 120000;
const STEP_MS = 30000;
const PASSWORD = "teacher password 1";

let server, serverLog = "", base, browser, dataDir, certDir;

function startServer() {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "skillserver-class-web-"));
  certDir = fs.mkdtempSync(path.join(os.tmpdir(), "skillserver-class-cert-"));
  execFileSync("sh", [path.join(ROOT, "certs", "make-endpoint-cert.sh"), "localhost", certDir],
    { stdio: "ignore" });
  server = spawn(SKILLSERVER, ["serve", "--class", "--class-password", PASSWORD,
    "--listen", "127.0.0.1:0", "--data", dataDir,
    "--tls-cert", path.join(certDir, "certificate.pem"),
    "--tls-key", path.join(certDir, "private-key.pem")],
  { stdio: ["ignore", "ignore", "pipe"] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start:\n${serverLog}`)),
      START_MS);
    server.stderr.on("data", (chunk) => {
      serverLog += chunk.toString();
      const m = serverLog.match(/listening on https:\/\/\S+:(\d+) /);
      if (m) {
        clearTimeout(timer);
        resolve(`https://localhost:${m[1]}`);
      }
    });
    server.on("error", (e) => { clearTimeout(timer); reject(e); });
  });
}

async function newBrowser() {
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await ctx.newPage();
  page.setDefaultTimeout(STEP_MS);
  return { ctx, page };
}

before(async () => {
  base = await startServer();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: START_MS,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once("exit", (code) => resolve(code)));
    server.kill("SIGTERM");
    assert.equal(await exited, 0, serverLog);
  }
  for (const d of [dataDir, certDir]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

// Replace the editor's text as a child would (select all, type).
async function setCode(page, code) {
  await page.fill("#code", code);
}

async function say(page, words) {
  const before = await page.locator("#chat .alexa").count();
  await page.fill("#say", words);
  await page.click("#say-form button[type=submit]");
  await page.locator("#chat .alexa").nth(before).waitFor();
  return page.locator("#chat .alexa").nth(before).textContent();
}

// Save, then say hello until the answer is want (the reload takes a moment).
async function saveUntil(page, code, want) {
  await setCode(page, code);
  await page.click("#save");
  for (let i = 0; i < 20; i++) {
    await page.waitForTimeout(300);
    const got = await say(page, "hello");
    if (got === want) return got;
  }
  assert.fail(`the saved skill never answered ${want}`);
}

async function join(code, name) {
  const b = await newBrowser();
  await b.page.goto(base + "/");
  await b.page.fill("#join-code", code);
  await b.page.fill("#join-name", name);
  await b.page.click("#join-form button[type=submit]");
  await b.page.locator("#editor").waitFor({ state: "visible" });
  // The new child's skill loads a moment after the join.
  for (let i = 0; i < 40; i++) {
    const ready = await b.page.evaluate(() =>
      fetch("/class/api/me").then((r) => r.json()).then((j) => j.ready));
    if (ready) break;
    await b.page.waitForTimeout(200);
  }
  return b;
}

test("a lesson: the teacher, two children, talk, break, fix, call a friend", async () => {
  const teacher = await newBrowser();
  await teacher.page.goto(base + "/class/teacher");
  await teacher.page.fill("#password", PASSWORD);
  await teacher.page.click("#login-form button[type=submit]");
  await teacher.page.locator("#board").waitFor({ state: "visible" });
  await teacher.page.click("#create");
  await teacher.page.waitForFunction(() => /^[A-Z0-9]{6}$/.test(
    document.getElementById("code").textContent));
  const code = await teacher.page.locator("#code").textContent();

  const ada = await join(code, "Ada");
  const bob = await join(code, "Bob");
  assert.match(await say(ada.page, "hello"), /Ada/);

  await saveUntil(ada.page, "def hello():\n    return 'Hi, I am Ada.'\n", "Hi, I am Ada.");
  await saveUntil(bob.page, "def hello():\n    return 'Bob here.'\n", "Bob here.");

  // Ada breaks hers: the error and its line show, the last good version answers.
  await setCode(ada.page, "def hello(:\n    return 'oops'\n");
  await ada.page.click("#save");
  await ada.page.waitForFunction(() =>
    /SyntaxError/.test(document.getElementById("problem").textContent), null,
  { timeout: STEP_MS });
  assert.equal(await ada.page.locator("#lines .bad").textContent(), "1");
  assert.equal(await say(ada.page, "hello"), "Hi, I am Ada.");
  await saveUntil(ada.page, "def hello():\n    return 'Fixed.'\n", "Fixed.");
  assert.equal(await ada.page.locator("#problem").textContent(), "");

  // Bob calls Ada's skill from his page.
  await bob.page.selectOption("#target", "ada");
  assert.equal(await say(bob.page, "hello"), "Fixed.");

  // The teacher sees both, with what was said.
  await teacher.page.waitForFunction(() =>
    document.querySelectorAll("#children tbody tr").length === 2 &&
    /Fixed\./.test(document.querySelector("#children tbody").textContent), null,
  { timeout: STEP_MS });

  // A third browser without a session: refused on every child and teacher route.
  const stranger = await newBrowser();
  await stranger.page.goto(base + "/");
  const results = await stranger.page.evaluate(async () => {
    const routes = [["GET", "me"], ["GET", "skills"], ["GET", "class"], ["POST", "save"],
      ["POST", "turn"], ["POST", "call/ada"], ["POST", "create"], ["POST", "reset"],
      ["POST", "share"]];
    const out = {};
    for (const [method, route] of routes) {
      const r = await fetch("/class/api/" + route, {
        method,
        headers: method === "POST" ? { "Content-Type": "application/json" } : {},
        body: method === "POST" ? JSON.stringify({ code: "x", text: "hello", name: "ada" })
          : undefined,
      });
      out[route] = r.status;
    }
    return out;
  });
  for (const [route, status] of Object.entries(results))
    assert.equal(status, 401, `${route} without a session`);

  // A cross-site form post from another site, in Ada's own browser (her
  // cookie is there): refused, and her code is unchanged.
  await ada.ctx.route("https://evil.example/**", (route) => route.fulfill({
    contentType: "text/html",
    body: `<form id=f method=post action="${base}/class/api/save">` +
      "<input name=code value=\"def hello(): return 'pwned'\"></form>" +
      "<script>document.getElementById('f').submit()</script>",
  }));
  const evil = await ada.ctx.newPage();
  const posted = evil.waitForResponse((r) => r.url().endsWith("/class/api/save"));
  await evil.goto("https://evil.example/");
  const status = (await posted).status();
  assert.ok([401, 403, 415].includes(status), `the cross-site post was answered ${status}`);
  const me = await ada.page.evaluate(() => fetch("/class/api/me").then((r) => r.json()));
  assert.match(me.code, /Fixed\./);
  assert.doesNotMatch(me.code, /pwned/);
});
