// The web simulator of `skillserver serve --dev`, end to end: the real
// server on a free port, the page in Debian's headless Chromium driven by
// playwright-core. Run by run.sh (meson test 'web'); SKILLSERVER names the
// binary, SOURCE_ROOT the repository.
"use strict";

const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { chromium } = require("playwright-core");

const ROOT = process.env.SOURCE_ROOT || path.resolve(__dirname, "..", "..");
const SKILLSERVER = process.env.SKILLSERVER || path.join(ROOT, "build", "server", "skillserver");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const START_MS = 120000; // workers start CPython; slow under ASan
const STEP_MS = 30000;

let server, serverLog = "", base, browser, page, profile, dataDir; // browser: a context

function startServer() {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "skillserver-web-data-"));
  server = spawn(SKILLSERVER, ["serve", "--dev", "--no-tls", "--no-verify",
    "--listen", "127.0.0.1:0", "--skills", path.join(ROOT, "skills"), "--data", dataDir],
  { stdio: ["ignore", "ignore", "pipe"] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start:\n${serverLog}`)),
      START_MS);
    server.stderr.on("data", (chunk) => {
      serverLog += chunk.toString();
      const m = serverLog.match(/listening on (http:\/\/\S+:\d+) /);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    server.on("error", (e) => { clearTimeout(timer); reject(e); });
    server.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before listening:\n${serverLog}`));
    });
  });
}

before(async () => {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install ` +
      "chromium, or `make test`, which installs it)");
  base = await startServer();
  profile = fs.mkdtempSync(path.join(os.tmpdir(), "skillserver-chromium-"));
  try {
    // A fresh profile: playwright passes it as --user-data-dir.
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      timeout: START_MS,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  } catch (e) {
    throw new Error(`Chromium (${CHROMIUM}) did not start: ${e.message}`);
  }
  page = await browser.newPage();
  page.setDefaultTimeout(STEP_MS);
  await page.goto(base + "/");
});

// The lines sanitizers print when they find something (as in tests/summary.py).
const SANITIZER_REPORT = /runtime error: |ERROR: (Address|Leak|UndefinedBehavior|Thread|Memory)Sanitizer|SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer/;

// SIGTERM the server and wait for it; resolves to { code, signal }.
function stopServer() {
  if (server.exitCode !== null || server.signalCode !== null)
    return Promise.resolve({ code: server.exitCode, signal: server.signalCode });
  const exited = new Promise((resolve) =>
    server.once("exit", (code, signal) => resolve({ code, signal })));
  server.kill("SIGTERM");
  return exited;
}

after(async () => {
  // Only when a test failed before the last one stopped them.
  if (browser) await browser.close();
  if (server) await stopServer();
  for (const dir of [profile, dataDir])
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

// Type words into the page and wait until the answer for them is shown.
async function say(words) {
  const before = await page.locator("#conversation .alexa").count();
  await page.getByLabel("You say").fill(words);
  await page.getByLabel("You say").press("Enter");
  await page.locator("#conversation .alexa").nth(before).waitFor();
  return (await page.locator("#conversation .alexa").nth(before).textContent()).trim();
}

async function panel(id) {
  return JSON.parse(await page.locator(id).textContent());
}

test("the page lists the skills", async () => {
  assert.match(await page.title(), /simulator/);
  const names = await page.locator("#skill option").evaluateAll(
    (opts) => opts.map((o) => o.value));
  for (const name of ["thank_you", "counter"]) assert.ok(names.includes(name), names.join());
});

test("open thank you, then thank you", async () => {
  const welcome = await say("open thank you");
  assert.ok(welcome.length > 0, "the welcome is shown");
  let req = await panel("#request"), resp = await panel("#response");
  assert.equal(req.request.type, "LaunchRequest");
  assert.equal(req.session.new, true);
  assert.ok(resp.response.outputSpeech, "the response panel holds the response");
  assert.match(await page.locator("#session").textContent(), /Session open with thank_you/);

  assert.equal(await say("thank you"), "You're welcome!");
  req = await panel("#request");
  resp = await panel("#response");
  assert.equal(req.request.type, "IntentRequest");
  assert.equal(req.request.intent.name, "ThankYouIntent");
  assert.equal(req.session.new, false, "the session was kept");
  assert.match(JSON.stringify(resp.response.outputSpeech), /You're welcome!/);
  assert.match(await page.locator("#conversation").textContent(), /Heard by thank_you: ThankYouIntent/);
  assert.equal(await page.locator("#error").isHidden(), true, "no error is shown");
});

test("a counter session is kept across turns, until stop ends it", async () => {
  await say("open counting game");
  const first = (await panel("#request")).session.sessionId;
  assert.match(await say("next"), /^One\./);
  assert.match(await say("next"), /^Two\./);
  const req = await panel("#request");
  assert.equal(req.session.sessionId, first);
  assert.equal(req.session.attributes.count, 1, "the attributes came back from the page");
  await say("stop");
  await page.locator("#conversation .ended", { hasText: "Session ended." }).last().waitFor();
  assert.match(await page.locator("#session").textContent(), /No session is open/);
});

// Last: the server stops cleanly. Under ASan a leak or an error at exit
// shows only here, in its exit status and its log.
test("the server exits 0 on SIGTERM, with no sanitizer report", async () => {
  if (browser) await browser.close();
  browser = null;
  const { code, signal } = await stopServer();
  assert.equal(signal, null, `the server was killed by ${signal}:\n${serverLog}`);
  assert.equal(code, 0, `the server exited with ${code}:\n${serverLog}`);
  assert.doesNotMatch(serverLog, SANITIZER_REPORT, serverLog);
});
