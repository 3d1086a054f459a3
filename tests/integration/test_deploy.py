"""Deployment beyond one machine: the container recipe (server/deploy/Dockerfile)
and several fronts behind HAProxy (server/deploy/haproxy.cfg).

The recipe is built and run where a container tool can build and run
images here (docker with a running engine, or podman), with debian:12-slim
already present or pullable; otherwise that test is skipped with the
reason, and the recipe's files are checked against the real build instead:
stages, every COPY source, the runtime packages against the libraries the
built programs load, a user that is not root, the commands it selects.

The load-balancer test runs the shipped haproxy.cfg (its addresses and paths
changed to the test's) in front of two real `serve --no-tls` fronts with
verification on (the throw-away chain of certs/make-test-chain.sh, served by
tests/chain_host.py), sends signed requests through HAProxy over TLS from
several threads, kills one front with SIGKILL mid-run and counts the
requests that failed; then starts the front again and checks that HAProxy
puts it back in rotation."""
import csv
import io
import json
import os
import re
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import unittest
import uuid

import http.client

from harness import (FIXTURES, SKILLSERVER, SKILLS, SOURCE_ROOT, Server, make_endpoint_cert,
                     wait_for_port_file, temp_dir)

DEPLOY = os.path.join(SOURCE_ROOT, "server", "deploy")
DOCKERFILE = os.path.join(DEPLOY, "Dockerfile")
DOCKERIGNORE = os.path.join(DEPLOY, "Dockerfile.dockerignore")
HAPROXY_CFG = os.path.join(DEPLOY, "haproxy.cfg")
MAKEFILE = os.path.join(SOURCE_ROOT, "Makefile")
WORKER = os.path.join(os.path.dirname(SKILLSERVER), "skillserver-worker")
BASE_IMAGE = "debian:12-slim"

# What the Makefile's BUILD_PACKAGES hold for people and tests only, and the
# image's build stage leaves out (the Dockerfile says why).
NOT_FOR_THE_IMAGE_BUILD = {"make", "openssl", "espeak-ng", "ca-certificates"}
# Packages every Debian image has, whatever the recipe installs.
IN_EVERY_IMAGE = {"libc6"}

EVENT_S = 60


# ---- reading the Dockerfile ----

def dockerfile_instructions(path=DOCKERFILE):
    """[(line number, INSTRUCTION, arguments)] with continuation lines joined
    and comments dropped."""
    out, pending, start = [], "", 0
    with open(path) as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not pending and (not line.strip() or line.lstrip().startswith("#")):
                continue
            if pending and line.lstrip().startswith("#"):
                continue
            if not pending:
                start = n
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            text = (pending + line).strip()
            pending = ""
            word, _, rest = text.partition(" ")
            out.append((start, word.upper(), rest.strip()))
    return out


def stages(instructions):
    """[{"from": image, "name": name or None, "items": [(n, INSTR, args)]}]"""
    result = []
    for n, word, args in instructions:
        if word == "FROM":
            parts = args.split()
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            result.append({"from": parts[0], "name": name, "items": []})
        elif result:
            result[-1]["items"].append((n, word, args))
    return result


def apt_packages(stage):
    """Every package named by an `apt-get install` in the stage's RUN lines."""
    pkgs = set()
    for _, word, args in stage["items"]:
        if word != "RUN":
            continue
        for command in re.split(r"&&|;", args):
            words = shlex.split(command)
            if "apt-get" in words and "install" in words:
                after = words[words.index("install") + 1:]
                pkgs |= {w for w in after if not w.startswith("-")}
    return pkgs


def exec_form(args):
    return json.loads(args) if args.startswith("[") else None


def makefile_list(name):
    with open(MAKEFILE) as f:
        text = f.read().replace("\\\n", " ")
    m = re.search(r"^%s\s*=(.*)$" % re.escape(name), text, re.M)
    return set(m.group(1).replace("$(BUILD_PACKAGES)", "").split())


def dockerignore_patterns():
    with open(DOCKERIGNORE) as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


# ---- the libraries the built programs load, and their Debian packages ----

def needed_libraries(binary):
    """The sonames the binary names: NEEDED entries (readelf), and the
    libraries it loads with dlopen, whose names are strings in it."""
    out = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True,
                         check=True).stdout
    names = set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out))
    with open(binary, "rb") as f:
        names |= {m.decode() for m in re.findall(rb"lib[A-Za-z0-9_+-]+\.so\.[0-9]+", f.read())}
    return names


def library_path(soname):
    """Where the dynamic linker finds soname (ldconfig's cache), or None."""
    out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        name, _, path = line.strip().partition(" => ")
        if name.split(" ")[0] == soname and path:
            return path
    return None


def debian_package(path):
    """The package that owns path (through /usr merges), or None."""
    for candidate in (path, os.path.realpath(path)):
        for p in (candidate, candidate.replace("/usr/lib/", "/lib/", 1)):
            r = subprocess.run(["dpkg", "-S", p], capture_output=True, text=True)
            if r.returncode == 0:
                return r.stdout.split(":", 1)[0].strip()
    return None


# ---- a container tool that can build and run images here ----

def container_tool():
    """(tool, None) for a tool that can run a container of BASE_IMAGE here,
    or (None, why not)."""
    reasons = []
    for tool in ("docker", "podman"):
        if not shutil.which(tool):
            reasons.append(f"no {tool} command")
            continue
        info = subprocess.run([tool, "info"], capture_output=True, text=True, timeout=60)
        if info.returncode != 0:
            first = (info.stderr.strip().splitlines() or ["no answer"])[-1]
            reasons.append(f"{tool} cannot reach an engine ({first})")
            continue
        have = subprocess.run([tool, "image", "inspect", BASE_IMAGE], capture_output=True,
                              timeout=60).returncode == 0
        if not have:
            pull = subprocess.run([tool, "pull", BASE_IMAGE], capture_output=True, text=True,
                                  timeout=300)
            if pull.returncode != 0:
                reasons.append(f"{tool} has no {BASE_IMAGE} and cannot pull it")
                continue
        probe = subprocess.run([tool, "run", "--rm", BASE_IMAGE, "true"], capture_output=True,
                               text=True, timeout=300)
        if probe.returncode != 0:
            first = (probe.stderr.strip().splitlines() or ["no message"])[-1]
            reasons.append(f"{tool} cannot run a container here ({first})")
            continue
        return tool, None
    return None, "; ".join(reasons)


class ContainerRecipe(unittest.TestCase):
    """server/deploy/Dockerfile, read and checked against the real build."""

    @classmethod
    def setUpClass(cls):
        cls.instructions = dockerfile_instructions()
        cls.stages = stages(cls.instructions)
        cls.build = cls.stages[0]
        cls.final = cls.stages[-1]

    def items(self, stage, word):
        return [(n, args) for n, w, args in stage["items"] if w == word]

    def workdir(self, stage, before_line=None):
        dirs = [args for n, args in self.items(stage, "WORKDIR")
                if before_line is None or n < before_line]
        return dirs[-1] if dirs else "/"

    def test_stages(self):
        self.assertGreaterEqual(len(self.stages), 2, "a build stage and the image")
        for stage in self.stages:
            self.assertEqual(stage["from"], BASE_IMAGE)
        self.assertEqual(self.build["name"], "build")
        # The image installs no compiler or -dev package.
        runtime = apt_packages(self.final)
        self.assertFalse({p for p in runtime if p.endswith("-dev") or p.startswith("gcc")},
                         runtime)

    def test_build_stage_has_the_build_packages(self):
        wanted = makefile_list("BUILD_PACKAGES") - NOT_FOR_THE_IMAGE_BUILD
        missing = wanted - apt_packages(self.build)
        self.assertFalse(missing, f"BUILD_PACKAGES the image's build stage does not install: "
                         f"{sorted(missing)}")

    def test_copy_sources_exist_and_are_not_ignored(self):
        patterns = dockerignore_patterns()
        for n, args in self.items(self.build, "COPY") + self.items(self.final, "COPY"):
            words = args.split()
            if any(w.startswith("--from=") for w in words):
                continue
            for src in [w for w in words if not w.startswith("--")][:-1]:
                self.assertTrue(os.path.exists(os.path.join(SOURCE_ROOT, src)),
                                f"Dockerfile line {n} copies {src}, which does not exist")
                self.assertFalse([p for p in patterns if re.fullmatch(
                    p.replace(".", r"\.").replace("**/", "(.*/)?").replace("*", "[^/]*"), src)],
                    f"Dockerfile line {n} copies {src}, which the .dockerignore leaves out")

    def test_copies_from_the_build_stage_are_made_there(self):
        """Every COPY --from=build names what the build stage copied in or
        made, below its working folder; skillkit lands where the worker was
        built to look for it; the two programs land side by side."""
        src_root = self.workdir(self.build)
        made = set()
        for n, args in self.items(self.build, "COPY"):
            words = [w for w in args.split() if not w.startswith("--")]
            made.add(os.path.normpath(os.path.join(self.workdir(self.build, n), words[-1])))
        runs = " ".join(args for _, args in self.items(self.build, "RUN"))
        copies = {}
        for n, args in self.items(self.final, "COPY"):
            if "--from=build" not in args:
                continue
            src, dst = [w for w in args.split() if not w.startswith("--")]
            src = os.path.normpath(src)
            copies[src] = os.path.normpath(dst)
            self.assertTrue(src.startswith(src_root + "/"), f"line {n}: {src}")
            rel = os.path.relpath(src, src_root)
            self.assertTrue(any(src == m or src.startswith(m + "/") for m in made)
                            or rel.split("/")[0] in runs,
                            f"line {n}: the build stage neither copies nor makes {src}")
        # SKILLKIT_DIR is the source tree's server/worker (worker/meson.build):
        # the binary built here names this checkout's.
        with open(SKILLSERVER, "rb") as f:
            binary = f.read()
        self.assertIn(os.path.join(SOURCE_ROOT, "server", "worker").encode() + b"\0", binary)
        kit = os.path.join(src_root, "server", "worker", "skillkit")
        self.assertEqual(copies.get(kit), kit, "skillkit must keep its build-time path")
        bins = [d for s, d in copies.items() if s.endswith("/bin")]
        self.assertEqual(len(bins), 1, copies)
        self.assertRegex(runs, r"cp build/server/skillserver build/server/skillserver-worker bin/")
        entry = exec_form(self.items(self.final, "ENTRYPOINT")[-1][1])
        self.assertEqual(entry[0], os.path.join(bins[0], "skillserver"))
        self.assertIn(os.path.join(src_root, "skills"), entry)

    def test_runtime_packages_cover_every_library(self):
        """Each library the built programs name (linked, or loaded with
        dlopen) belongs to a package the image installs."""
        runtime = apt_packages(self.final) | IN_EVERY_IMAGE
        uncovered = []
        for binary in (SKILLSERVER, WORKER):
            for soname in sorted(needed_libraries(binary)):
                if soname.startswith(("libasan", "libubsan", "ld-linux")):
                    continue  # a sanitizer build's runtime; the loader is libc6's
                path = library_path(soname)
                self.assertIsNotNone(path, f"{binary} names {soname}, which ldconfig cannot find")
                pkg = debian_package(path)
                self.assertIsNotNone(pkg, f"no Debian package owns {path}")
                if pkg not in runtime:
                    uncovered.append(f"{soname} ({pkg}) for {os.path.basename(binary)}")
        self.assertFalse(uncovered, "the image's runtime packages miss: " + ", ".join(uncovered))

    def test_runtime_packages_hold_the_standard_library(self):
        """The worker's CPython reads its standard library from the system
        (/usr/lib/python3.11): its package, or one it depends on, is listed."""
        runtime = apt_packages(self.final)
        listed = set(runtime)
        for pkg in runtime:
            r = subprocess.run(["dpkg-query", "-W", "-f=${Depends}", pkg], capture_output=True,
                               text=True)
            listed |= {d.split()[0].split(":")[0] for d in r.stdout.split(",") if d.strip()}
        for module in ("os.py", "json/__init__.py", "encodings/utf_8.py"):
            pkg = debian_package(os.path.join("/usr/lib/python3.11", module))
            self.assertIsNotNone(pkg, module)
            self.assertIn(pkg, listed, f"the image has no package that holds {module}")

    def test_runs_as_an_ordinary_user(self):
        users = self.items(self.final, "USER")
        self.assertTrue(users, "the image must name a USER")
        user = users[-1][1].split(":")[0]
        self.assertNotIn(user, ("root", "0"))

    def test_command_selects_serve_or_lambda(self):
        entry = exec_form(self.items(self.final, "ENTRYPOINT")[-1][1])
        cmd = exec_form(self.items(self.final, "CMD")[-1][1])
        self.assertIsNotNone(entry, "ENTRYPOINT in exec form, so a command can replace CMD")
        self.assertEqual(cmd[0], "serve")
        # The default command, as the image runs it, on a loopback port.
        args = cmd[1:]
        i = args.index("--listen")
        args[i + 1] = "127.0.0.1:0"
        with Server(*args, skills=SKILLS, tls=None, verify=True) as srv:
            self.assertEqual(srv.scheme, "http")
            self.assertEqual(srv.request("GET", "/healthz")[:3:2], (200, b"ok"))
        # lambda is the other command the image is for (for a Lambda
        # container-image function, its command is ["lambda"]).
        with open(DOCKERFILE) as f:
            self.assertIn('["lambda"]', f.read())
        listed = subprocess.run([SKILLSERVER, "--help"], capture_output=True, text=True).stdout
        if re.search(r"^\s+lambda\b", listed, re.M):
            p = subprocess.run([SKILLSERVER, "lambda", "--help"],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 0, p.stderr)
        else:
            print("# note: this skillserver has no lambda command yet; only its naming in the "
                  "recipe was checked", flush=True)

    def test_dockerignore_keeps_build_output_out(self):
        patterns = dockerignore_patterns()
        for needed in (".git", "build*", "**/node_modules", "data"):
            self.assertIn(needed, patterns)

    def test_image_builds_and_runs(self):
        if os.environ.get("SKILLSERVER_NO_IMAGE_BUILD"):
            self.skipTest("SKILLSERVER_NO_IMAGE_BUILD is set")
        tool, why = container_tool()
        if not tool:
            self.skipTest("no container builder works here, so the recipe's files were checked "
                          "instead: " + why)
        tag = "skillserver-test:" + uuid.uuid4().hex[:12]
        build = subprocess.run([tool, "build", "-f", DOCKERFILE, "-t", tag, SOURCE_ROOT],
                               capture_output=True, text=True, timeout=1800)
        self.assertEqual(build.returncode, 0, build.stdout[-3000:] + build.stderr[-3000:])
        try:
            request = subprocess.run([SKILLSERVER, "--skills", SKILLS, "request", "thank_you",
                                      "ThankYouIntent", "name=Sam"], capture_output=True,
                                     check=True, timeout=60).stdout
            sandbox = ["--security-opt", "seccomp=unconfined", "--security-opt",
                       "apparmor=unconfined", "--security-opt", "systempaths=unconfined"]
            run = subprocess.run([tool, "run", "--rm", "-i", *sandbox, tag, "invoke", "thank_you"],
                                 input=request, capture_output=True, timeout=300)
            self.assertEqual(run.returncode, 0, run.stderr.decode(errors="replace"))
            speech = json.loads(run.stdout)["response"]["outputSpeech"]
            self.assertIn("You're welcome, Sam!", json.dumps(speech))
            who = subprocess.run([tool, "run", "--rm", "--entrypoint", "id", tag, "-u"],
                                 capture_output=True, text=True, timeout=300)
            self.assertNotEqual(who.stdout.strip(), "0")
        finally:
            subprocess.run([tool, "rmi", "-f", tag], capture_output=True, timeout=300)


# ---- several fronts behind HAProxy ----

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def haproxy_config(lb_port, stats_port, fronts, pem):
    """haproxy.cfg with the test's addresses and certificate: the public
    bind, the stats bind and the servers; nothing else changes. As another
    user than root, HAProxy cannot switch users, so those lines go."""
    with open(HAPROXY_CFG) as f:
        text = f.read()
    text, n = re.subn(r"^(\s*bind )\S*:443 ssl crt \S+", rf"\g<1>127.0.0.1:{lb_port} ssl crt {pem}",
                      text, flags=re.M)
    assert n == 1, "haproxy.cfg: no public `bind :443 ssl crt FILE` line"
    text, n = re.subn(r"^(\s*bind )127\.0\.0\.1:8404", rf"\g<1>127.0.0.1:{stats_port}", text,
                      flags=re.M)
    assert n == 1, "haproxy.cfg: no stats bind line"
    servers = list(re.finditer(r"^(\s*server (\S+) )(\S+)", text, re.M))
    assert len(servers) == len(fronts), f"haproxy.cfg names {len(servers)} servers"
    for m, port in reversed(list(zip(servers, fronts))):
        text = text[:m.start(3)] + f"127.0.0.1:{port}" + text[m.end(3):]
    if os.geteuid() != 0:
        text = re.sub(r"^\s*(user|group) \S+\n", "", text, flags=re.M)
    return text, [m.group(2) for m in servers]


def signed_bodies(chain, n):
    """n ThankYouIntent requests, each naming its own person, signed with
    the test chain's leaf key: [(body, headers, expected speech)]."""
    with open(os.path.join(FIXTURES, "intent_thank_you_name.json")) as f:
        template = json.load(f)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    out = []
    for i in range(n):
        doc = json.loads(json.dumps(template))
        name = f"Person{i}"
        slot = doc["request"]["intent"]["slots"]["name"]
        slot["value"] = name
        if "slotValue" in slot:
            slot["slotValue"]["value"] = name
        doc["request"]["requestId"] = "amzn1.echo-api.request." + str(uuid.uuid4())
        doc["request"]["timestamp"] = now
        body = json.dumps(doc).encode()
        p = subprocess.run([SKILLSERVER, "sign", "--key", os.path.join(chain, "leaf.key"),
                            "--cert-url", "https://s3.amazonaws.com/echo.api/echo-api-cert.pem"],
                           input=body, capture_output=True, check=True, timeout=30)
        headers = dict(line.split(": ", 1) for line in p.stdout.decode().splitlines())
        headers["Content-Type"] = "application/json"
        out.append((body, headers, f"You're welcome, {name}!"))
    return out


class LoadBalancer(unittest.TestCase):
    THREADS = 4
    # Each client thread waits this long between requests: a steady load
    # that leaves the two cores room for HAProxy and both fronts.
    PAUSE_S = 0.01

    @classmethod
    def setUpClass(cls):
        if not shutil.which("haproxy"):
            raise unittest.SkipTest("haproxy is not installed (make test-deps installs it)")
        cls.tmp = temp_dir("skillserver-deploy-")
        cls.fronts = {}
        cls.procs = []
        try:
            cls._start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def _start(cls):
        tmp = cls.tmp
        cls.chain = os.path.join(tmp, "chain")
        subprocess.run(["sh", os.path.join(SOURCE_ROOT, "certs", "make-test-chain.sh"), cls.chain],
                       check=True, capture_output=True, timeout=120)
        www = os.path.join(tmp, "www", "echo.api")
        os.makedirs(www)
        shutil.copy(os.path.join(cls.chain, "chain.pem"), os.path.join(www, "echo-api-cert.pem"))
        port_file = os.path.join(tmp, "chain-port")
        host = subprocess.Popen(
            [sys.executable, os.path.join(SOURCE_ROOT, "tests", "chain_host.py"),
             "--root", os.path.join(tmp, "www"), "--cert", os.path.join(cls.chain, "s3.pem"),
             "--key", os.path.join(cls.chain, "s3.key"), "--port-file", port_file,
             "--log", os.path.join(tmp, "chain.log")])
        cls.procs.append(host)
        cls.chain_port = wait_for_port_file(port_file, host)

        cls.ports = [free_port(), free_port()]
        for port in cls.ports:
            cls.fronts[port] = cls.start_front(port)

        cert, key = make_endpoint_cert(os.path.join(tmp, "tls"))
        cls.endpoint_cert = cert
        pem = os.path.join(tmp, "tls", "haproxy.pem")
        with open(pem, "w") as out:
            for part in (cert, key):
                with open(part) as f:
                    out.write(f.read())
        os.chmod(pem, 0o600)
        cls.lb_port, cls.stats_port = free_port(), free_port()
        text, cls.server_names = haproxy_config(cls.lb_port, cls.stats_port, cls.ports, pem)
        cfg = os.path.join(tmp, "haproxy.cfg")
        with open(cfg, "w") as f:
            f.write(text)
        check = subprocess.run(["haproxy", "-c", "-f", cfg], capture_output=True, text=True,
                               timeout=60)
        assert check.returncode == 0, check.stdout + check.stderr
        cls.haproxy_log = open(os.path.join(tmp, "haproxy.log"), "w+")
        cls.haproxy = subprocess.Popen(["haproxy", "-db", "-f", cfg], stdin=subprocess.DEVNULL,
                                       stdout=cls.haproxy_log, stderr=subprocess.STDOUT)
        cls.procs.append(cls.haproxy)
        cls.wait_for_states({name: "UP" for name in cls.server_names})

    @classmethod
    def start_front(cls, port):
        return Server("--listen", f"127.0.0.1:{port}", "--max-connections-per-address", "1024",
                      "--trust-ca", os.path.join(cls.chain, "root.pem"),
                      "--cert-connect-to", f"s3.amazonaws.com:443:127.0.0.1:{cls.chain_port}",
                      skills=SKILLS, tls=None, verify=True)

    @classmethod
    def tearDownClass(cls):
        problems = []
        for srv in cls.fronts.values():
            try:
                srv.stop()
            except AssertionError as e:
                problems.append(str(e))
        for proc in reversed(cls.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if getattr(cls, "haproxy_log", None):
            cls.haproxy_log.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        assert not problems, "\n".join(problems)

    @classmethod
    def states(cls):
        """{server name: status} from HAProxy's stats page (CSV)."""
        conn = http.client.HTTPConnection("127.0.0.1", cls.stats_port, timeout=10)
        try:
            conn.request("GET", "/stats;csv")
            text = conn.getresponse().read().decode()
        finally:
            conn.close()
        rows = csv.DictReader(io.StringIO(text.lstrip("# ")))
        return {r["svname"]: r["status"] for r in rows if r["pxname"] == "skillserver"}

    @classmethod
    def wait_for_states(cls, want, timeout=EVENT_S):
        deadline = time.monotonic() + timeout
        seen = None
        while time.monotonic() < deadline:
            if cls.haproxy.poll() is not None:
                cls.haproxy_log.seek(0)
                raise AssertionError("haproxy exited:\n" + cls.haproxy_log.read())
            try:
                seen = cls.states()
            except OSError:
                seen = None
            if seen and all(seen.get(k, "").startswith(v) for k, v in want.items()):
                return
            time.sleep(0.1)
        raise AssertionError(f"HAProxy's servers did not become {want}: {seen}")

    def context(self):
        return ssl.create_default_context(cafile=self.endpoint_cert)

    def load(self, bodies, seconds, during=None):
        """THREADS clients, each on its own keep-alive TLS connection to
        HAProxy, for seconds; during(), if given, runs in this thread
        meanwhile. Returns (total, [failure descriptions])."""
        stop = time.monotonic() + seconds
        lock = threading.Lock()
        counts = {"total": 0}
        failures = []
        ctx = self.context()

        def client(k):
            conn = None
            i = k
            while time.monotonic() < stop:
                body, headers, expected = bodies[i % len(bodies)]
                i += self.THREADS
                problem = None
                try:
                    if conn is None:
                        conn = http.client.HTTPSConnection("localhost", self.lb_port, timeout=15,
                                                           context=ctx)
                    conn.request("POST", "/skills/thank_you", body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    if resp.status != 200:
                        problem = f"status {resp.status}: {data[:200]!r}"
                    elif json.loads(data)["response"]["outputSpeech"].get("text") != expected:
                        problem = f"wrong answer {data[:200]!r}"
                except (OSError, http.client.HTTPException, ValueError, KeyError) as e:
                    problem = f"{type(e).__name__}: {e}"
                if problem and conn is not None:
                    conn.close()
                    conn = None
                with lock:
                    counts["total"] += 1
                    if problem:
                        failures.append(f"{time.monotonic() - start:.2f} s: {problem}")
                time.sleep(self.PAUSE_S)
            if conn is not None:
                conn.close()

        start = time.monotonic()
        threads = [threading.Thread(target=client, args=(k,)) for k in range(self.THREADS)]
        for t in threads:
            t.start()
        try:
            if during:
                during()
        finally:
            for t in threads:
                t.join(seconds + 60)
        return counts["total"], failures

    def test_killing_a_front_under_load(self):
        bodies = signed_bodies(self.chain, 8)
        total, failures = self.load(bodies, 2.0)
        self.assertGreater(total, 20)
        self.assertEqual(failures, [], "with both fronts up, every request must be answered")

        victim_port = self.ports[0]
        victim = self.fronts.pop(victim_port)
        victim_name = self.server_names[0]

        def kill_after_a_second():
            time.sleep(1.0)
            victim.proc.kill()
            victim.proc.wait()
            victim._reader.join(30)
            Server.running.discard(victim)
            shutil.rmtree(victim.data, ignore_errors=True)

        total, failures = self.load(bodies, 4.0, during=kill_after_a_second)
        # A request reaches a front or it does not. Each client has at most
        # one request in flight, so at most THREADS requests were inside the
        # front when it died; those fail (HAProxy does not replay a request
        # a front had: haproxy.cfg). Every later one either finds the front
        # refusing connections, and is retried on the other front, or is
        # sent to the other front at once.
        print(f"# killed one of two fronts under load: {len(failures)} of {total} requests "
              f"failed ({self.THREADS} clients)", flush=True)
        for f in failures:
            print("#   " + f, flush=True)
        self.assertLessEqual(len(failures), self.THREADS, failures)
        self.wait_for_states({victim_name: "DOWN"})

        # The front comes back on its port; HAProxy's checks put it back in
        # rotation, and it answers its share again.
        srv = self.start_front(victim_port)
        self.fronts[victim_port] = srv
        self.wait_for_states({name: "UP" for name in self.server_names})
        before = len(srv.access_log())
        total, failures = self.load(bodies, 1.0)
        self.assertEqual(failures, [])
        deadline = time.monotonic() + EVENT_S
        while len(srv.access_log()) - before < total // 4 and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertGreaterEqual(len(srv.access_log()) - before, total // 4,
                                f"the restarted front answered too few of {total} requests")

    def test_only_unsent_requests_are_retried(self):
        """A request that reached a front may have run its handler: the
        config retries only when the connection could not be opened."""
        with open(HAPROXY_CFG) as f:
            conditions = set()
            for line in f:
                words = line.split("#", 1)[0].split()
                if words[:1] == ["retry-on"]:
                    conditions |= set(words[1:])
        self.assertEqual(conditions, {"conn-failure"})

    def test_public_side_hides_metrics_and_checks_health(self):
        conn = http.client.HTTPSConnection("localhost", self.lb_port, timeout=15,
                                           context=self.context())
        try:
            conn.request("GET", "/metrics")
            resp = conn.getresponse()
            resp.read()
            self.assertEqual(resp.status, 404)
            conn.request("GET", "/healthz")
            resp = conn.getresponse()
            self.assertEqual((resp.status, resp.read()), (200, b"ok"))
        finally:
            conn.close()
        # TLS below 1.2 is refused, as Alexa requires of an endpoint.
        old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        old.load_verify_locations(self.endpoint_cert)
        old.minimum_version = old.maximum_version = ssl.TLSVersion.TLSv1_1
        old.set_ciphers("ALL:@SECLEVEL=0")
        with self.assertRaises((ssl.SSLError, OSError)):
            with socket.create_connection(("127.0.0.1", self.lb_port), timeout=15) as s:
                with old.wrap_socket(s, server_hostname="localhost"):
                    pass


if __name__ == "__main__":
    unittest.main()
