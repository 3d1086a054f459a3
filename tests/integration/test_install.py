"""skillserver installed: `meson install` into a staging folder (DESTDIR),
the staged tree copied to another prefix, and the installed programs run
with the checkout out of sight (a private mount namespace lays an empty
folder over it, so nothing of the system is touched): invoke and serve from
the installed files, their defaults, skillkit for a plain python3 and for
pip, the man page, and the Debian package."""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

from harness import FIXTURES, SKILLSERVER, SOURCE_ROOT, Server, temp_dir

BUILD_ROOT = os.environ.get("BUILD_ROOT", os.path.join(SOURCE_ROOT, "build"))
SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's: its dist-packages, its setuptools
COMMANDS = ["serve", "invoke", "request", "say", "ssml", "model", "sign", "new", "export"]

stage = prefix = moved = None


def setUpModule():
    global stage, prefix, moved
    stage = temp_dir("skillserver-install-")
    done = subprocess.run(["meson", "install", "-C", BUILD_ROOT, "--destdir",
                           os.path.join(stage, "destdir"), "--no-rebuild", "--quiet"],
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise AssertionError("meson install failed:\n" + done.stdout + done.stderr)
    options = json.loads(subprocess.run(["meson", "introspect", BUILD_ROOT, "--buildoptions"],
                                        capture_output=True, text=True, check=True).stdout)
    prefix = next(o["value"] for o in options if o["name"] == "prefix")
    # Another prefix than the one it was built for: a moved installation.
    moved = os.path.join(stage, "elsewhere", "skillserver")
    shutil.copytree(os.path.join(stage, "destdir") + prefix, moved, symlinks=True)
    # The server drops to nobody when started as root: the copy must be
    # readable by everyone, as an installation is.
    for folder in (stage, os.path.dirname(moved)):
        os.chmod(folder, 0o755)


def tearDownModule():
    if stage:
        shutil.rmtree(stage, ignore_errors=True)


def can_hide_checkout():
    return os.geteuid() == 0 and shutil.which("unshare") is not None


def hiding(binary):
    """A command prefix that lays empty folders over the checkout and the
    build folder (in a mount namespace of its own) and runs binary with the
    arguments that follow the original program's path."""
    script = ('mount -t tmpfs -o size=1m none "$1" && '
              '{ [ -d "$2" ] && mount -t tmpfs -o size=1m none "$2" || true; } && '
              'bin=$3 && shift 4 && exec "$bin" "$@"')
    return ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh",
            SOURCE_ROOT, BUILD_ROOT, binary]


def installed(*parts):
    return os.path.join(moved, *parts)


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("SKILLSERVER", "PYTHONPATH", "STATE_DIRECTORY")}
    env.update(extra)
    return env


class InstalledFiles(unittest.TestCase):
    def test_every_part_is_installed(self):
        for path in ["bin/skillserver", "libexec/skillserver/skillserver-worker",
                     "lib/python3/dist-packages/skillkit/__init__.py",
                     "lib/python3/dist-packages/skillkit/testing.py",
                     "share/man/man1/skillserver.1",
                     "lib/systemd/system/skillserver.service",
                     "lib/systemd/system/skillserver.socket",
                     "share/skillserver/skills/thank_you/skill.py",
                     "share/skillserver/make-endpoint-cert.sh"]:
            self.assertTrue(os.path.isfile(installed(path)), path + " is not installed")
        self.assertTrue(os.access(installed("libexec/skillserver/skillserver-worker"), os.X_OK))

    def test_skillkit_bytecode_is_installed_and_current(self):
        package = installed("lib/python3/dist-packages/skillkit")
        sources = glob.glob(os.path.join(package, "*.py"))
        self.assertGreater(len(sources), 10)
        tag = sys.implementation.cache_tag if sys.version_info[:2] == (3, 11) else "cpython-311"
        for source in sources:
            name = os.path.basename(source)[:-3]
            pyc = os.path.join(package, "__pycache__", f"{name}.{tag}.pyc")
            self.assertTrue(os.path.isfile(pyc), f"no bytecode for {name}")
            with open(pyc, "rb") as f:
                head = f.read(16)
            # PEP 552: flags 0 (checked by timestamp), then the source's mtime and size.
            flags, mtime, size = (int.from_bytes(head[i:i + 4], "little") for i in (4, 8, 12))
            st = os.stat(source)
            self.assertEqual((flags, mtime, size),
                             (0, int(st.st_mtime) & 0xFFFFFFFF, st.st_size & 0xFFFFFFFF),
                             f"{pyc} is not the bytecode of {source} as installed")

    def test_man_page_is_the_help_text(self):
        with open(installed("share/man/man1/skillserver.1")) as f:
            page = f.read()
        self.assertTrue(page.startswith(".TH SKILLSERVER 1"))
        text = page.replace("\\&", "").replace("\\-", "-").replace("\\e", "\\")
        for command in COMMANDS:
            self.assertIn(f".SS {command}\n", page)
            help_text = subprocess.run([SKILLSERVER, command, "--help"], capture_output=True,
                                       text=True, timeout=30).stdout
            self.assertTrue(help_text.strip())
            self.assertIn(help_text, text, f"the man page lacks `skillserver {command} --help`")
        main_help = subprocess.run([SKILLSERVER, "--help"], capture_output=True, text=True,
                                   timeout=30).stdout
        self.assertIn(main_help, text)
        if shutil.which("man"):
            shown = subprocess.run(["man", "-l", "-P", "cat",
                                    installed("share/man/man1/skillserver.1")],
                                   capture_output=True, text=True, timeout=60,
                                   env=dict(os.environ, MANWIDTH="100"))
            self.assertEqual(shown.returncode, 0, shown.stderr)
            self.assertIn("--tls-cert PEM", shown.stdout)


class InstalledSkillkitFromTheWorker(unittest.TestCase):
    """The installed worker imports skillkit's modules from the bytecode it
    carries, under the installed files' names; a module whose installed file
    was edited is read from that file instead."""

    def probe(self):
        from test_invoke import PROBE, launch_request
        import ast
        folder = tempfile.mkdtemp(dir=stage)
        os.makedirs(os.path.join(folder, "probe"))
        with open(os.path.join(folder, "probe", "skill.py"), "w") as f:
            f.write(PROBE)
        done = subprocess.run([installed("bin/skillserver"), "--skills", folder, "--data", folder,
                               "invoke", "probe"], input=launch_request(), capture_output=True,
                              text=True, timeout=120, env=clean_env())
        self.assertEqual(done.returncode, 0, done.stderr)
        return ast.literal_eval(json.loads(done.stdout)["response"]["outputSpeech"]["text"])

    def test_bundle_names_the_installed_files_and_yields_to_an_edit(self):
        package = installed("lib/python3/dist-packages/skillkit")
        said = self.probe()
        self.assertEqual(said["skillkit.errors"][:2],
                         ["BundleFinder", os.path.join(package, "errors.py")])
        self.assertEqual(said["code"], os.path.join(package, "_runner.py"))
        self.assertFalse(said["probe"])

        errors_py = os.path.join(package, "errors.py")
        st = os.stat(errors_py)
        with open(errors_py) as f:
            original = f.read()
        try:
            with open(errors_py, "a") as f:
                f.write("\nBUNDLE_PROBE = 1\n")
            said = self.probe()
            self.assertEqual(said["skillkit.errors"][0], "SourceFileLoader")
            self.assertTrue(said["probe"], "the edited file was not the one imported")
            self.assertEqual(said["skillkit._runner"][0], "BundleFinder")
        finally:
            with open(errors_py, "w") as f:
                f.write(original)
            os.utime(errors_py, ns=(st.st_atime_ns, st.st_mtime_ns))
        self.assertEqual(self.probe()["skillkit.errors"][0], "BundleFinder")


@unittest.skipUnless(can_hide_checkout(), "hiding the checkout needs root and unshare (util-linux)")
class RunsWithoutTheCheckout(unittest.TestCase):
    def run_hidden(self, *args, **kw):
        return subprocess.run(hiding(installed("bin/skillserver")) + [SKILLSERVER, *args],
                              capture_output=True, text=True, timeout=120, **kw)

    def test_the_checkout_is_really_hidden(self):
        done = subprocess.run(hiding("/bin/ls") + ["ls", "-A", SOURCE_ROOT],
                              capture_output=True, text=True, timeout=30)
        self.assertEqual((done.returncode, done.stdout), (0, ""), done.stderr)

    def test_invoke(self):
        skills = installed("share/skillserver/skills")
        data = tempfile.mkdtemp(dir=stage)
        made = self.run_hidden("--skills", skills, "--data", data, "request", "thank_you",
                               "ThankYouIntent", "name=Sam")
        self.assertEqual(made.returncode, 0, made.stderr)
        done = self.run_hidden("--skills", skills, "--data", data, "invoke", "thank_you",
                               input=made.stdout)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(json.loads(done.stdout)["response"]["outputSpeech"]["text"],
                         "You're welcome, Sam!")

    def test_serve(self):
        with open(os.path.join(FIXTURES, "launch.json"), "rb") as f:
            launch = f.read()
        with Server(skills=installed("share/skillserver/skills"),
                    prefix=hiding(installed("bin/skillserver"))) as srv:
            self.assertEqual(srv.request("GET", "/healthz")[0], 200)
            status, _, body = srv.request("POST", "/skills/thank_you", body=launch)
            self.assertEqual(status, 200, body)
            self.assertIn("thank you skill", json.loads(body)["response"]["outputSpeech"]["text"])
        self.assertNotIn("Traceback", srv.log())

    def test_defaults_are_below_the_state_folder(self):
        state = tempfile.mkdtemp(dir=stage)
        shutil.copytree(installed("share/skillserver/skills"), os.path.join(state, "skills"))
        with open(os.path.join(FIXTURES, "launch.json")) as f:
            launch = f.read()
        done = self.run_hidden("invoke", "thank_you", input=launch,
                               env=clean_env(STATE_DIRECTORY=state))
        self.assertEqual(done.returncode, 0, done.stderr)
        # Without systemd's folder: below the prefix it was moved to.
        done = self.run_hidden("invoke", "thank_you", input=launch, env=clean_env())
        self.assertEqual(done.returncode, 2)
        self.assertIn(installed("var/lib/skillserver/skills"), done.stderr)

    def test_an_installation_reads_its_own_configuration_file(self):
        # A copy of the installation at yet another prefix, whose
        # PREFIX/etc/skillserver/skillserver.conf names the skills: invoke,
        # told nothing else, takes them from there; the build's binary
        # reads no such file.
        other = os.path.join(stage, "configured", "skillserver")
        shutil.copytree(moved, other, symlinks=True)
        os.chmod(os.path.dirname(other), 0o755)
        conf = os.path.join(other, "etc", "skillserver", "skillserver.conf")
        with open(conf) as f:
            self.assertIn("\nlisten = 0.0.0.0:443\n", f.read())
        skills = os.path.join(other, "share", "skillserver", "skills")
        with open(conf, "a") as f:
            f.write(f"skills = {skills}\n")
        with open(os.path.join(FIXTURES, "launch.json")) as f:
            launch = f.read()
        done = subprocess.run(hiding(os.path.join(other, "bin", "skillserver"))
                              + [SKILLSERVER, "invoke", "thank_you"], input=launch,
                              capture_output=True, text=True, timeout=120, env=clean_env())
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("thank you skill", json.loads(done.stdout)["response"]["outputSpeech"]["text"])
        with open(conf, "a") as f:
            f.write("colour = blue\n")
        done = subprocess.run(hiding(os.path.join(other, "bin", "skillserver"))
                              + [SKILLSERVER, "invoke", "thank_you"], input=launch,
                              capture_output=True, text=True, timeout=120, env=clean_env())
        self.assertEqual(done.returncode, 2)
        self.assertIn(f"{conf}:", done.stderr)
        self.assertIn("'colour' is not a setting", done.stderr)


class SkillkitPackage(unittest.TestCase):
    def test_plain_python_finds_the_installed_skillkit_and_server(self):
        code = ("import sys; sys.path.insert(0, sys.argv[1]); import skillkit, skillkit.testing as t;"
                "print(skillkit.__file__); print(t.find_skillserver())")
        done = subprocess.run([SYSTEM_PYTHON, "-I", "-c", code,
                               installed("lib/python3/dist-packages")],
                              capture_output=True, text=True, timeout=60, cwd="/",
                              env=clean_env())
        self.assertEqual(done.returncode, 0, done.stderr)
        found_kit, found_server = done.stdout.split()
        self.assertTrue(found_kit.startswith(installed("lib/python3/dist-packages/skillkit")))
        self.assertEqual(found_server, installed("bin/skillserver"))

    def test_pip_install_into_a_venv(self):
        if subprocess.run([SYSTEM_PYTHON, "-c", "import setuptools, wheel, pip, venv"],
                          capture_output=True).returncode != 0:
            self.skipTest("python3-venv, python3-pip, python3-setuptools and python3-wheel are "
                          "needed (make test-deps installs them)")
        work = tempfile.mkdtemp(dir=stage)
        # pip builds in place: a copy of what `pip install ./server` reads,
        # so the checkout gets no build/ or egg-info of a test.
        src = os.path.join(work, "server")
        os.makedirs(os.path.join(src, "worker"))
        shutil.copy(os.path.join(SOURCE_ROOT, "server", "pyproject.toml"), src)
        shutil.copytree(os.path.join(SOURCE_ROOT, "server", "worker", "skillkit"),
                        os.path.join(src, "worker", "skillkit"),
                        ignore=shutil.ignore_patterns("__pycache__"))
        venv = os.path.join(work, "venv")
        # Debian's pip, setuptools and wheel through the system's site
        # packages: nothing to download, and no copy of pip to make.
        subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--without-pip", "--system-site-packages",
                        venv], check=True, capture_output=True, timeout=120)
        pip = subprocess.run([os.path.join(venv, "bin", "python"), "-m", "pip", "install",
                              "--no-index", "--no-build-isolation", "--no-cache-dir", src],
                             capture_output=True, text=True, timeout=300, env=clean_env())
        self.assertEqual(pip.returncode, 0, pip.stdout + pip.stderr)
        code = ("import skillkit, skillkit.testing as t, importlib.metadata as m;"
                "r = t.run(sys.argv[1], t.intent_request('ThankYouIntent', name='Sam'));"
                "print(skillkit.__file__); print(m.version('skillkit')); print(t.speech(r))")
        done = subprocess.run([os.path.join(venv, "bin", "python"), "-c", "import sys;" + code,
                               os.path.join(SOURCE_ROOT, "skills", "thank_you")],
                              capture_output=True, text=True, timeout=60, cwd="/",
                              env=clean_env())
        self.assertEqual(done.returncode, 0, done.stderr)
        where, version, said = done.stdout.splitlines()
        self.assertTrue(where.startswith(venv), where)
        project = json.loads(subprocess.run(["meson", "introspect", BUILD_ROOT, "--projectinfo"],
                                            capture_output=True, text=True).stdout)
        self.assertEqual(version, project["version"], "pyproject.toml and meson.build disagree")
        self.assertEqual(said, "You're welcome, Sam!")

    def test_testing_invoke_sees_what_the_server_checks(self):
        skills = tempfile.mkdtemp(dir=stage)
        os.makedirs(os.path.join(skills, "too_long_a_break"))
        with open(os.path.join(skills, "too_long_a_break", "skill.py"), "w") as f:
            f.write("from skillkit import launch\n\n\n@launch\ndef hello(req):\n"
                    "    return {'version': '1.0', 'response': {'outputSpeech': {'type': 'SSML',"
                    " 'ssml': \"<speak>hi <break time='99s'/></speak>\"}}}\n")
        code = """
import sys
from skillkit import testing as t
bad = sys.argv[1]
good = sys.argv[2]
assert t.run(bad, t.launch_request())["ok"], "run() does not check SSML"
result = t.invoke(bad, t.launch_request())
assert not result["ok"], result
assert "break time must be at most 10s" in result["error"]["message"], result
said = t.speech(t.invoke(good, t.intent_request("ThankYouIntent", name="Sam")))
assert said == "You're welcome, Sam!", said
print("ok")
"""
        done = subprocess.run([SYSTEM_PYTHON, "-I", "-c",
                               "import sys; sys.path.insert(0, sys.argv.pop(1));" + code,
                               installed("lib/python3/dist-packages"),
                               os.path.join(skills, "too_long_a_break"),
                               installed("share/skillserver/skills/thank_you")],
                              capture_output=True, text=True, timeout=120, cwd="/",
                              env=clean_env())
        self.assertEqual((done.returncode, done.stdout.strip()), (0, "ok"), done.stderr)


class DebianPackage(unittest.TestCase):
    def test_the_package_builds_with_its_files_and_depends(self):
        if not shutil.which("dpkg-shlibdeps") or not shutil.which("dpkg-deb"):
            self.skipTest("dpkg-dev is needed (make test-deps installs it)")
        out = tempfile.mkdtemp(dir=stage)
        done = subprocess.run(["sh", os.path.join(SOURCE_ROOT, "server/deploy/deb/build-deb.sh"),
                               BUILD_ROOT, out], capture_output=True, text=True, timeout=300,
                              env=dict(os.environ, STAGED=os.path.join(stage, "destdir"),
                                       DEB_COMPRESS="gzip"))
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        deb = done.stdout.strip().splitlines()[-1]
        self.assertRegex(os.path.basename(deb), r"^skillserver_[0-9.]+_[a-z0-9]+\.deb$")
        info = subprocess.run(["dpkg-deb", "-I", deb], capture_output=True, text=True).stdout
        depends = re.search(r"^ Depends: (.*)$", info, re.M).group(1)
        # The worker links CPython statically where Debian's archive is
        # installed (meson.build), and needs the standard library either way.
        for package in ["libc6", "libjansson4", "libpython3.11-stdlib", "libseccomp2", "libssl3",
                        "libmicrohttpd12", "libgnutls30", "libcurl4", "adduser", "openssl"]:
            self.assertRegex(depends, r"(^|, )" + re.escape(package) + r"( |,|$)", depends)
        for script in ["postinst", "prerm", "postrm"]:
            self.assertIn(script, info)
        files = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True).stdout
        for path in ["./usr/bin/skillserver", "./usr/libexec/skillserver/skillserver-worker",
                     "./usr/lib/python3/dist-packages/skillkit/testing.py",
                     "./usr/lib/systemd/system/skillserver.service",
                     "./usr/lib/systemd/system/skillserver.socket",
                     "./usr/share/man/man1/skillserver.1.gz",
                     "./usr/share/skillserver/skills/thank_you/skill.py",
                     "./usr/share/doc/skillserver/copyright",
                     "./etc/skillserver/skillserver.conf"]:
            self.assertIn(" " + path + "\n", files)
        self.assertNotIn(" root/root ./usr/local", files)
        tree = tempfile.mkdtemp(dir=stage)
        subprocess.run(["dpkg-deb", "-x", deb, tree], check=True)
        with open(os.path.join(tree, "usr/lib/systemd/system/skillserver.service")) as f:
            self.assertIn("\nExecStart=/usr/bin/skillserver serve", f.read())


if __name__ == "__main__":
    unittest.main()
