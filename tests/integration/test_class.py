"""serve --class (server/class/README), end to end and attacked: the real
binary over HTTPS, a teacher and children with their own cookies, and
requests without a session, with another's session, from another site, with
code too large, with paths for names, and children's code that loops or
reads what is not theirs."""
import ipaddress
import json
import os
import re
import socket
import ssl
import subprocess
import time
import unittest
import http.client

from harness import SOURCE_ROOT, Server, make_endpoint_cert, temp_dir

PASSWORD = "correct horse battery"


class Browser:
    """One browser: its own cookie (the class's only), the class's Origin."""

    def __init__(self, srv, origin=None):
        self.srv = srv
        self.cookie = None
        self.origin = origin if origin is not None else f"https://localhost:{srv.port}"
        self.set_cookie = None

    def call(self, method, path, body=None, headers=None, raw=None):
        hdrs = {}
        if self.origin:
            hdrs["Origin"] = self.origin
        if self.cookie:
            hdrs["Cookie"] = self.cookie
        hdrs.update(headers or {})
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None
                                            else None)
        if method == "POST" and data is None:
            data = b"{}"
        status, h, out = self.srv.request(method, path, data, headers=hdrs)
        if "set-cookie" in h:
            self.set_cookie = h["set-cookie"]
            m = re.match(r"ss_class=([^;]*)", h["set-cookie"])
            self.cookie = f"ss_class={m.group(1)}" if m and m.group(1) else None
        try:
            doc = json.loads(out) if out else None
        except ValueError:
            doc = out
        return status, h, doc

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body, **kw)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def say(self, text, skill=None):
        path = "/class/api/turn" if skill is None else "/class/api/call/" + skill
        return self.post(path, {"text": text})


def save_and_wait(child, code, want=None, timeout=10):
    """Save code and wait until the skill answers "hello" with want (or, when
    want is None, until /me shows a problem). Returns the last /me."""
    status, _, doc = child.post("/class/api/save", {"code": code})
    assert status == 200, doc
    deadline = time.monotonic() + timeout
    while True:
        _, _, me = child.get("/class/api/me")
        if want is None and me.get("problem"):
            return me
        if want is not None and not me.get("problem"):
            _, _, t = child.say("hello")
            if t.get("speech") == want:
                return me
        if time.monotonic() > deadline:
            raise AssertionError(f"the save did not take: {me}")
        time.sleep(0.2)


class ClassServer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        certs = temp_dir("skillserver-class-tls-")
        cls.tls = make_endpoint_cert(certs)
        cls.data = temp_dir("skillserver-class-data-")
        cls.srv = Server("--class", "--class-password", PASSWORD, "--class-workers", "2",
                         skills=temp_dir("skillserver-class-unused-"), tls=cls.tls,
                         verify=True, data=cls.data)
        cls.teacher = Browser(cls.srv)
        status, _, _ = cls.teacher.post("/class/api/login", {"password": PASSWORD})
        assert status == 200
        status, _, doc = cls.teacher.post("/class/api/create", {})
        assert status == 200, doc
        cls.code = doc["code"]
        cls.sam = cls.join("Sam")
        cls.zoe = cls.join("Zoë")

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    @classmethod
    def join(cls, name):
        """A child joins; returns their browser once their skill is ready."""
        b = Browser(cls.srv)
        status, _, doc = b.post("/class/api/join", {"code": cls.code.lower(), "name": name})
        assert status == 200, doc
        b.skill = doc["skill"]
        deadline = time.monotonic() + 30
        while not b.get("/class/api/me")[2]["ready"]:
            assert time.monotonic() < deadline, "the new skill was never loaded"
            time.sleep(0.1)
        return b

    # ---- sessions and cookies ----

    def test_cookie_flags(self):
        b = Browser(self.srv)
        b.post("/class/api/login", {"password": PASSWORD})
        flags = [f.strip() for f in b.set_cookie.split(";")]
        for want in ("HttpOnly", "SameSite=Strict", "Secure", "Path=/"):
            self.assertIn(want, flags)
        self.assertRegex(b.cookie, r"^ss_class=[0-9a-f]{64}$")

    def test_wrong_password_and_code(self):
        b = Browser(self.srv, origin=None)
        b.origin = f"https://localhost:{self.srv.port}"
        status, _, doc = b.post("/class/api/login", {"password": "guess"})
        self.assertEqual(status, 403)
        self.assertIsNone(b.cookie)
        status, _, doc = b.post("/class/api/join", {"code": "AAAAAA", "name": "Eve"})
        self.assertEqual(status, 403)
        self.assertIn("code is not right", doc["message"])

    def test_names_are_not_paths(self):
        for name in ("../teacher", "sam/..", ".hidden", "", "Sam Lee", "x" * 40, "a\u202eb",
                     "robert'); drop"):
            b = Browser(self.srv)
            status, _, doc = b.post("/class/api/join", {"code": self.code, "name": name})
            self.assertEqual(status, 400, name)
            self.assertIn("first name", doc["message"])
            self.assertIsNone(b.cookie)
        for entry in os.listdir(os.path.join(self.data, "class", "skills")):
            self.assertRegex(entry, r"^[a-z]+[0-9]*$")

    def test_a_second_sam_gets_another_folder(self):
        other = self.join("SAM")
        self.assertNotEqual(other.skill, self.sam.skill)
        self.assertTrue(other.skill.startswith("sam"))

    def test_no_session_is_refused_everywhere(self):
        b = Browser(self.srv)
        for method, path in (("GET", "/class/api/me"), ("GET", "/class/api/skills"),
                             ("GET", "/class/api/class"), ("POST", "/class/api/save"),
                             ("POST", "/class/api/turn"), ("POST", "/class/api/create"),
                             ("POST", "/class/api/reset"), ("POST", "/class/api/share")):
            status, _, doc = b.call(method, path, {"code": "x", "text": "hi", "name": "sam"}
                                    if method == "POST" else None)
            self.assertEqual(status, 401, path)
            self.assertEqual(doc["message"], "Please join the class first.")
        status, _, _ = b.post("/class/api/call/" + self.sam.skill, {"text": "hello"})
        self.assertEqual(status, 401, "a skill not shared with anyone")

    def test_forged_or_doubled_cookies_are_refused(self):
        for cookie in ("ss_class=" + "0" * 64, "ss_class=../../x", "ss_class=",
                       self.sam.cookie + "; " + self.zoe.cookie):
            b = Browser(self.srv)
            b.cookie = cookie
            status, _, _ = b.get("/class/api/me")
            self.assertEqual(status, 401, cookie)

    def test_a_child_is_not_the_teacher(self):
        for method, path, body in (("GET", "/class/api/class", None),
                                   ("POST", "/class/api/create", {}),
                                   ("POST", "/class/api/reset", {"name": self.zoe.skill}),
                                   ("POST", "/class/api/share", {"name": self.sam.skill,
                                                                 "anyone": True})):
            status, _, doc = self.sam.call(method, path, body)
            self.assertEqual(status, 403, path)
            self.assertEqual(doc["message"], "Only the teacher can do that.")

    def test_cross_site_posts_are_refused(self):
        evil = Browser(self.srv, origin="https://evil.example")
        evil.cookie = self.sam.cookie
        status, _, doc = evil.post("/class/api/save", {"code": "def hello():\n    return 'x'\n"})
        self.assertEqual(status, 403)
        self.assertIn("class's own page", doc["message"])
        # No Origin at all (an old client or a stripped header) is refused too.
        bare = Browser(self.srv, origin="")
        bare.cookie = self.sam.cookie
        status, _, _ = bare.post("/class/api/save", {"code": "x"})
        self.assertEqual(status, 403)
        # Sec-Fetch-Site from a sibling host.
        status, _, _ = self.sam.post("/class/api/save", {"code": "x"},
                                     headers={"Sec-Fetch-Site": "same-site"})
        self.assertEqual(status, 403)
        # A form post (what a cross-site page can send without asking).
        status, _, _ = self.sam.post("/class/api/save", raw=b"code=x",
                                     headers={"Content-Type":
                                              "application/x-www-form-urlencoded"})
        self.assertEqual(status, 415)
        _, _, me = self.sam.get("/class/api/me")
        self.assertNotIn("return 'x'", me["code"])

    def test_another_sites_name_is_refused(self):
        # DNS rebinding: evil.example pointed at the class server. Its pages
        # would be same-origin with themselves; the Host gives them away.
        for path in ("/class/", "/class/api/me"):
            status, _, doc = self.sam.get(path, headers={"Host": f"evil.example:{self.srv.port}"})
            self.assertEqual(status, 403, path)
        status, _, _ = self.sam.post("/class/api/save", {"code": "x"},
                                     headers={"Host": f"evil.example:{self.srv.port}",
                                              "Origin": f"https://evil.example:{self.srv.port}"})
        self.assertEqual(status, 403)

    def test_oversize_code(self):
        code = "# " + "x" * (64 * 1024) + "\n"
        status, _, doc = self.zoe.post("/class/api/save", {"code": code})
        self.assertEqual(status, 413)
        self.assertIn("too long", doc["message"])

    def test_pages_are_served_with_their_guard(self):
        for path, kind in (("/", "text/html"), ("/class/", "text/html"),
                           ("/class/teacher", "text/html"),
                           ("/class/web/editor.js", "text/javascript"),
                           ("/class/web/class.css", "text/css")):
            status, h, _ = Browser(self.srv).get(path)
            self.assertEqual(status, 200, path)
            self.assertTrue(h["content-type"].startswith(kind), path)
            self.assertIn("default-src 'self'", h["content-security-policy"])
            self.assertEqual(h["x-frame-options"], "DENY")
        for path in ("/class/web/../../etc/passwd", "/class/web/.x", "/class/web/nope.js",
                     "/class/api/call/../x", "/class/api/nothing", "/simulator/turn"):
            status, _, _ = Browser(self.srv).get(path)
            self.assertIn(status, (404, 405), path)

    # ---- the lesson: talk, break, fix, call a friend ----

    def test_talk_break_fix_and_call(self):
        child = self.join("Ada")
        status, _, t = child.say("hello")
        self.assertEqual(status, 200)
        self.assertIn("Ada", t["speech"])
        save_and_wait(child, "def hello():\n    return 'Hi, I am Ada.'\n", "Hi, I am Ada.")
        me = save_and_wait(child, "def hello(:\n    return 1\n")
        self.assertIn("SyntaxError", me["problem"])
        self.assertTrue(me["problem"].startswith("skill.py:1:"), me["problem"])
        self.assertNotIn(self.data, json.dumps(me), "the server's folders are not shown")
        _, _, t = child.say("hello")
        self.assertEqual(t["speech"], "Hi, I am Ada.", "the last good version answers")
        save_and_wait(child, "def hello():\n    return 'Fixed!'\n", "Fixed!")
        # A friend calls it; the teacher sees it.
        _, _, t = self.zoe.say("hello", skill=child.skill)
        self.assertEqual(t["speech"], "Fixed!")
        _, _, board = self.teacher.get("/class/api/class")
        mine = [c for c in board["children"] if c["skill"] == child.skill][0]
        self.assertEqual(mine["state"], "answers")
        self.assertTrue(any(r["heard"] == "Fixed!" for r in mine["recent"]))
        # Shared with anyone: a browser without a session may call it.
        self.teacher.post("/class/api/share", {"name": child.skill, "anyone": True})
        status, _, t = Browser(self.srv).say("hello", skill=child.skill)
        self.assertEqual((status, t["speech"]), (200, "Fixed!"))
        # Reset by the teacher: the starter again.
        status, _, _ = self.teacher.post("/class/api/reset", {"name": child.skill,
                                                              "attributes": True})
        self.assertEqual(status, 200)
        _, _, me = child.get("/class/api/me")
        self.assertIn("def hello():", me["code"])
        self.assertNotIn("Fixed!", me["code"])

    def test_long_words_keep_the_board_readable(self):
        # What is said is kept cut for the teacher's page: at a character, never
        # inside one, or the board would stop being JSON.
        child = self.join("Eli")
        status, _, _ = child.say("\u00e9" * 300 + " \U0001F600" * 50)
        self.assertEqual(status, 200)
        status, _, board = self.teacher.get("/class/api/class")
        self.assertEqual(status, 200, board)

    def test_a_child_saves_only_their_own(self):
        before = self.zoe.get("/class/api/me")[2]["code"]
        self.sam.post("/class/api/save", {"code": "def hello():\n    return 'sam'\n",
                                          "name": self.zoe.skill, "skill": self.zoe.skill})
        self.assertEqual(self.zoe.get("/class/api/me")[2]["code"], before)

    # ---- hostile code ----

    def test_a_loop_is_stopped_and_others_still_answer(self):
        looper = self.join("Lou")
        calm = self.join("Cal")
        looper.post("/class/api/save", {"code": "def hello():\n    while True:\n        pass\n"})
        time.sleep(1.5)  # the reload; a loop does not stop a module from importing
        t0 = time.monotonic()
        status, _, t = looper.say("hello")
        took = time.monotonic() - t0
        self.assertEqual(status, 200)
        self.assertLess(took, 4.0, "the class's 2 s deadline stops a loop")
        self.assertTrue(t["error"], t)
        t0 = time.monotonic()
        _, _, t = calm.say("hello")
        self.assertIn("Cal", t["speech"])
        self.assertLess(time.monotonic() - t0, 2.0)

    def test_a_skill_cannot_read_another_childs_folder(self):
        spy = self.join("Spy")
        skills = os.path.join(self.data, "class", "skills")
        targets = [f"../{self.zoe.skill}/skill.py",
                   os.path.join(skills, self.zoe.skill, "skill.py"),
                   os.path.join(self.data, "class", "teacher.hash"),
                   os.path.join(self.data, "class", "class.json"),
                   "/proc/1/root/etc/hostname"]
        code = ("def hello():\n"
                "    got = []\n"
                f"    for p in {targets!r}:\n"
                "        try:\n"
                "            open(p).read()\n"
                "            got.append('READ ' + p)\n"
                "        except Exception:\n"
                "            pass\n"
                "    return ' '.join(got) or 'blocked'\n")
        save_and_wait(spy, code, "blocked")


WARNING_WORDS = ("not private", "made its own certificate", "Advanced", "Proceed",
                 "Accept the Risk", "Show Details", "visit this website", "microphone")


def machine_addresses():
    """The addresses a class's network can reach this machine by, as the
    certificate script should find them (no loopback, no link-local)."""
    out = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
    found = []
    for a in out:
        ip = ipaddress.ip_address(a)
        if not ip.is_loopback and not ip.is_link_local:
            found.append(ip)
    return found


class ClassCertificate(unittest.TestCase):
    """certs/make-endpoint-cert.sh --class DATA/tls, then serve --class with no
    TLS flags: the certificate names this machine, the start-up tells the
    teacher the addresses, a browser trusting it connects by address, and the
    pages explain the browser's one-time warning."""

    @classmethod
    def setUpClass(cls):
        cls.data = temp_dir("skillserver-class-cert-")
        cls.tls = os.path.join(cls.data, "tls")
        script = os.path.join(SOURCE_ROOT, "certs", "make-endpoint-cert.sh")
        made = subprocess.run(["sh", script, "--class", cls.tls], check=True,
                              capture_output=True, text=True, timeout=60)
        cls.made = made.stdout
        cls.cert = os.path.join(cls.tls, "certificate.pem")
        cls.srv = Server("--class", "--class-password", PASSWORD, "--listen", "0.0.0.0:0",
                         skills=temp_dir("skillserver-class-unused-"), tls=False,
                         verify=True, data=cls.data)

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def fetch(self, address, path):
        """GET path from address as a browser that trusts the certificate
        (as its CA) and checks that it names address."""
        ctx = ssl.create_default_context(cafile=self.cert)
        self.assertTrue(ctx.check_hostname)
        conn = http.client.HTTPSConnection(address, self.srv.port, timeout=30, context=ctx)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            return resp.status, resp.read().decode()
        finally:
            conn.close()

    def test_the_certificate_names_this_machine(self):
        out = subprocess.run(["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in",
                              self.cert], check=True, capture_output=True, text=True).stdout
        dns = set(re.findall(r"DNS:([^,\s]+)", out))
        ips = {ipaddress.ip_address(a) for a in re.findall(r"IP Address:([^,\s]+)", out)}
        host = socket.gethostname()
        short = host.split(".")[0]
        self.assertLessEqual({host, short + ".local", "localhost"}, dns, out)
        want = set(machine_addresses()) | {ipaddress.ip_address("127.0.0.1"),
                                           ipaddress.ip_address("::1")}
        self.assertLessEqual(want, ips, out)
        self.assertFalse(any(ip.is_link_local for ip in ips), out)
        for ip in machine_addresses():
            shown = f"[{ip}]" if ip.version == 6 else str(ip)
            self.assertIn(f"https://{shown}:8443/class/", self.made)

    def test_the_teacher_is_told_the_addresses(self):
        for ip in machine_addresses():
            if ip.version == 4:
                self.assertTrue(self.srv.wait_for(
                    re.escape(f"class: the children type https://{ip}:{self.srv.port}/class/"),
                    timeout=10), self.srv.log())
        self.assertTrue(self.srv.wait_for(r"class: the teacher opens", timeout=10))
        self.assertNotIn("https://0.0.0.0", "\n".join(
            line for line in self.srv.log().splitlines() if "children type" in line))

    def test_a_browser_trusting_it_connects_by_address(self):
        # The server listens on 0.0.0.0: every IPv4 address of the machine,
        # and loopback, with the name checked against the certificate.
        addresses = [str(ip) for ip in machine_addresses() if ip.version == 4] + ["127.0.0.1"]
        for address in addresses:
            status, body = self.fetch(address, "/class/teacher")
            self.assertEqual(status, 200, address)
            self.assertIn("not private", body, address)
        # A certificate for another name is refused by the same client.
        ctx = ssl.create_default_context(cafile=self.cert)
        with socket.create_connection(("127.0.0.1", self.srv.port), timeout=30) as raw:
            with self.assertRaises(ssl.SSLCertVerificationError):
                ctx.wrap_socket(raw, server_hostname="elsewhere.example").close()

    def test_the_pages_explain_the_warning(self):
        _, teacher = self.fetch("127.0.0.1", "/class/teacher")
        teacher = " ".join(teacher.split())
        for words in WARNING_WORDS:
            self.assertIn(words, teacher)
        self.assertIn("the class's own network", teacher)
        _, join = self.fetch("127.0.0.1", "/class/")
        join = " ".join(join.split())
        for words in ("not private", "made its own certificate", "Advanced", "microphone"):
            self.assertIn(words, join)

    def test_without_a_certificate_it_says_what_to_run(self):
        data = temp_dir("skillserver-class-nocert-")
        cmd = [os.environ.get("SKILLSERVER") or self.srv.cmd[0], "serve", "--class",
               "--class-password", PASSWORD, "--listen", "0.0.0.0:0", "--data", data]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 2, out.stderr)
        self.assertIn(f"certs/make-endpoint-cert.sh --class {data}/tls", out.stderr)


if __name__ == "__main__":
    unittest.main()
