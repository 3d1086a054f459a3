"""Persistent attributes under concurrency, end to end: real `serve`
processes, real sockets, the tally skill (tests/data/skills/tally),
and for the shared store a real PostgreSQL (tests/pg_cluster.py).

What must hold: every visit a user was told about is kept, exactly once
(two requests of the same user that overlap never lose an update, in one
front or across two); a database that goes away gives the spoken apology
with 200, never a crash or a hang, and the log says why without the
password; when the database is back, service resumes by itself and the
count goes on."""
import json
import os
import re
import subprocess
import sys
import threading
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

from harness import FIXTURES, SKILLSERVER, Server, copy_skills, temp_dir

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import pg_cluster  # noqa: E402

SORRY = "Sorry, I can't answer right now. Please try again."
PG_MISSING = pg_cluster.missing_reason()

with open(os.path.join(FIXTURES, "launch.json")) as f:
    LAUNCH = json.load(f)

_ids = iter(range(1, 1 << 30))
_ids_lock = threading.Lock()


def launch(user):
    """A LaunchRequest of user, with a request id of its own."""
    with _ids_lock:
        n = next(_ids)
    doc = json.loads(json.dumps(LAUNCH))
    doc["session"]["user"]["userId"] = user
    doc["context"]["System"]["user"]["userId"] = user
    doc["request"]["requestId"] = f"amzn1.echo-api.request.store-{n}"
    return json.dumps(doc).encode()


def visit(srv, user, timeout=30):
    """One visit of user to the tally on srv: (status, spoken text)."""
    status, _, body = srv.request("POST", "/skills/tally", launch(user), timeout=timeout)
    text = None
    if status == 200:
        speech = json.loads(body)["response"].get("outputSpeech") or {}
        text = speech.get("text")
    return status, text


def count_of(text):
    m = re.fullmatch(r"Count (\d+)\.", text or "")
    return int(m.group(1)) if m else None


def hammer(fronts, users, total, clients):
    """total visits, spread over users and fronts, from clients threads at
    once; returns [(front index, user, status, text)]."""
    def one(i):
        front = i % len(fronts)
        user = users[(i // len(fronts)) % len(users)]
        status, text = visit(fronts[front], user)
        return front, user, status, text
    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(one, range(total)))


class Counts:
    """What the answers told each user: every count must be told once."""

    def __init__(self, test):
        self.test = test
        self.told = {}
        self.apologies = 0

    def add(self, results):
        for _, user, status, text in results:
            self.test.assertEqual(status, 200, text)
            n = count_of(text)
            if n is None:
                self.test.assertEqual(text, SORRY)
                self.apologies += 1
                continue
            self.test.assertNotIn(n, self.told.setdefault(user, set()),
                                  f"{user} was told {n} twice: an update was lost")
            self.told[user].add(n)

    def assert_exact(self, user, saved):
        """saved (what the store holds) is every count told, 1..saved."""
        self.test.assertEqual(self.told.get(user, set()), set(range(1, saved + 1)),
                              f"{user}: the store holds {saved}")


def assert_refusals_logged(test, fronts, apologies, total):
    """Every apology of a storm of visits is a conflict the retries did not
    win, logged as such; and they are few."""
    refused = sum(len(re.findall(r"so this one is not saved", srv.log())) for srv in fronts)
    test.assertEqual(refused, apologies, "an apology that is not a logged conflict")
    test.assertLessEqual(apologies, total // 10, "the retries lose too often")


def skills():
    return copy_skills(temp_dir("skillserver-store-skills-"), ["tally"])


class OneFrontSQLite(unittest.TestCase):
    """Several workers of one front, the same users at once, SQLite."""

    def test_no_update_is_lost(self):
        folder = skills()
        with Server("--workers", "3", skills=folder) as srv:
            results = hammer([srv], ["ann", "bob"], 60, 6)
            counts = Counts(self)
            counts.add(results)
            for user in ("ann", "bob"):
                _, text = visit(srv, user)
                saved = count_of(text) - 1
                counts.told[user].add(saved + 1)
                counts.assert_exact(user, saved + 1)
            reruns = len(re.findall(r"the handler runs again", srv.log()))
            print(f"# one front, 3 workers, 6 clients, 2 users: 60 visits, "
                  f"{counts.apologies} apologies, {reruns} handler runs repeated after a "
                  "conflict")
            assert_refusals_logged(self, [srv], counts.apologies, 60)
            # Without overlapping visits this test could not fail.
            self.assertGreater(reruns, 0, "no two visits of one user overlapped")


@unittest.skipIf(PG_MISSING, PG_MISSING or "")
class TwoFrontsPostgres(unittest.TestCase):
    """Two fronts on one PostgreSQL, as behind a load balancer."""

    @classmethod
    def setUpClass(cls):
        cls.pg = pg_cluster.Cluster()
        cls.skills = skills()
        cls.fronts = []
        try:
            for _ in range(2):
                cls.fronts.append(Server("--workers", "2", "--store", cls.pg.url,
                                         skills=cls.skills))
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            for srv in cls.fronts:
                srv.stop()
        finally:
            cls.pg.close()

    def saved(self):
        rows = self.pg.sql("SELECT user_id, value, version FROM skillserver_attributes "
                           "WHERE skill = 'tally'")
        out = {}
        for line in rows.splitlines():
            user, value, version = line.split("|")
            out[user] = (json.loads(value)["count"], int(version))
        return out

    def test_1_started_on_the_database(self):
        for srv in self.fronts:
            self.assertIsNotNone(srv.wait_for(
                re.escape("persistent attributes in " + self.pg.url_without_password()), 5),
                srv.log())

    def test_2_concurrent_increments_end_at_the_exact_total(self):
        users = ["ann", "bob", "cy"]
        t0 = time.monotonic()
        results = hammer(self.fronts, users, 150, 6)
        took = time.monotonic() - t0
        counts = Counts(self)
        counts.add(results)
        saved = self.saved()
        for user in users:
            value, version = saved[user]
            self.assertEqual(value, version, "one save per visit")
            counts.assert_exact(user, value)
        total = sum(saved[u][0] for u in users)
        reruns = sum(len(re.findall(r"the handler runs again", f.log())) for f in self.fronts)
        print(f"# two fronts, 2 workers each, 6 clients, 3 users: 150 visits in {took:.1f} s, "
              f"{total} kept, {counts.apologies} apologies, {reruns} handler runs repeated")
        self.assertEqual(total + counts.apologies, 150)
        assert_refusals_logged(self, self.fronts, counts.apologies, 150)
        self.assertGreater(reruns, 0, "no two visits of one user overlapped")

    def test_3_database_down_and_back(self):
        users = ["dee", "eve"]
        counts = Counts(self)
        counts.add(hammer(self.fronts, users, 20, 4))
        marks = [len(f.lines) for f in self.fronts]

        # Visits go on while the database stops at once.
        results = []
        stop = threading.Event()

        def keep_visiting(front, user):
            while not stop.is_set():
                status, text = visit(self.fronts[front], user)
                results.append((front, user, status, text))

        threads = [threading.Thread(target=keep_visiting, args=(i % 2, users[i % 2]))
                   for i in range(4)]
        for t in threads:
            t.start()
        try:
            time.sleep(0.3)
            self.pg.stop("immediate")
            time.sleep(1.5)
        finally:
            stop.set()
            for t in threads:
                t.join(60)
        down = [r for r in results if r[3] == SORRY]
        self.assertTrue(down, "no visit found the database down")
        counts.add(results)
        for srv, mark in zip(self.fronts, marks):
            self.assertIsNone(srv.proc.poll(), "a front stopped:\n" + srv.log())
            why = srv.wait_for(r"cannot reach the PostgreSQL database "
                               + re.escape(self.pg.url_without_password()), 10, mark)
            self.assertIsNotNone(why, srv.log()[-3000:])
        # While it is down, each visit is answered at once.
        t0 = time.monotonic()
        status, text = visit(self.fronts[0], "dee")
        self.assertEqual((status, text), (200, SORRY))
        self.assertLess(time.monotonic() - t0, 3)

        # Back: the fronts find it by themselves, and the count goes on. A
        # front looks for the database again only when a request comes (and
        # then at most so often), so each is visited until it answers.
        self.pg.start()
        for i, srv in enumerate(self.fronts):
            deadline = time.monotonic() + 20
            while visit(srv, "zed")[1] == SORRY:
                self.assertLess(time.monotonic(), deadline,
                                f"front {i} still apologises 20 s after the database came back:\n"
                                + srv.log()[-2000:])
                time.sleep(0.2)
        counts.add(hammer(self.fronts, users, 20, 4))
        saved = self.saved()
        for user in users:
            value, _ = saved[user]
            # A save cut off by the stop may have been kept without its
            # answer: the user was told an apology, never a wrong count.
            missing = set(range(1, value + 1)) - counts.told[user]
            self.assertLessEqual(missing, set(range(1, value + 1)))
            self.assertEqual(max(counts.told[user]), value, f"{user}: the last answer is kept")
            self.assertLessEqual(len(missing), len(down))
        print(f"# database stopped under load: {len(down)} apologies of {len(results)} visits "
              "while it was down; service resumed without a restart")
        for srv in self.fronts:
            self.assertIsNotNone(srv.wait_for("answers again", 5), srv.log()[-2000:])
            self.assertNotIn(self.pg.password, srv.log())


class BadStore(unittest.TestCase):
    """A store that cannot work is said clearly, without the password."""

    def serve(self, *args, env=None, timeout=60):
        data = temp_dir("skillserver-store-")
        return subprocess.run([SKILLSERVER, "serve", "--listen", "127.0.0.1:0", "--no-tls",
                               "--no-verify", "--skills", skills(), "--data", data, *args],
                              capture_output=True, text=True, timeout=timeout, env=env)

    def test_url_that_does_not_parse(self):
        p = self.serve("--store", "postgresql://ann:hunter%zz22@db.example/skills")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("not a PostgreSQL URL", p.stderr)
        self.assertIn("postgresql://USER:PASSWORD@HOST:PORT/DATABASE", p.stderr)
        self.assertNotIn("hunter", p.stderr)

    def test_folder_given_as_store(self):
        p = self.serve("--store", "/var/lib/somewhere")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("--data DIR", p.stderr)
        env = dict(os.environ, SKILLSERVER_STORE="mysql://db/x")
        p = self.serve(env=env)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("SKILLSERVER_STORE", p.stderr)
        # A command that keeps no attributes does not care.
        p = subprocess.run([SKILLSERVER, "ssml", "check", "-"], input="<speak>hi</speak>",
                           capture_output=True, text=True, timeout=60, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_unreachable_database(self):
        url = "postgresql://ann:hunter22@127.0.0.1:1/skills"
        with Server("--store", url, skills=skills()) as srv:
            line = srv.wait_for("persistent attributes: cannot reach the PostgreSQL database "
                                + re.escape("postgresql://ann@127.0.0.1:1/skills"), 5)
            self.assertIsNotNone(line, srv.log())
            self.assertIn("refused", line)
            self.assertIn("apology", line)
            self.assertEqual(visit(srv, "ann"), (200, SORRY))
            self.assertNotIn("hunter22", srv.log())

    def test_invoke_reads_the_environment(self):
        env = dict(os.environ, SKILLSERVER_STORE="postgresql://ann:hunter22@127.0.0.1:1/skills")
        p = subprocess.run([SKILLSERVER, "invoke", "tally", "--skills", skills()],
                           input=launch("ann").decode(), capture_output=True, text=True,
                           timeout=60, env=env)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(json.loads(p.stdout)["response"]["outputSpeech"]["text"], SORRY)
        self.assertIn("postgresql://ann@127.0.0.1:1/skills", p.stderr)
        self.assertNotIn("hunter22", p.stderr + p.stdout)


if __name__ == "__main__":
    unittest.main()
