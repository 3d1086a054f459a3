"""skillserver sign: headers that openssl itself accepts as Amazon's would be."""
import base64
import os
import shutil
import subprocess
import unittest

from harness import FIXTURES, SOURCE_ROOT, run, temp_dir

URL = "https://s3.amazonaws.com/echo.api/echo-api-cert.pem"


class Sign(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = temp_dir("skillserver-sign-")
        subprocess.run(["sh", os.path.join(SOURCE_ROOT, "certs", "make-test-chain.sh"), cls.dir],
                       check=True, capture_output=True)
        subprocess.run(["openssl", "x509", "-in", os.path.join(cls.dir, "chain.pem"), "-pubkey",
                        "-noout", "-out", os.path.join(cls.dir, "leaf.pub")], check=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def headers(self, *extra, body_path=None):
        body_path = body_path or os.path.join(FIXTURES, "launch.json")
        p = run("sign", "--key", os.path.join(self.dir, "leaf.key"), "--cert-url", URL, *extra,
                body_path)
        self.assertEqual(p.returncode, 0, p.stderr)
        return dict(line.split(": ", 1) for line in p.stdout.splitlines())

    def openssl_verifies(self, digest, signature_b64, body_path):
        sig = os.path.join(self.dir, "sig.bin")
        with open(sig, "wb") as f:
            f.write(base64.b64decode(signature_b64))
        p = subprocess.run(["openssl", "dgst", "-" + digest, "-verify",
                            os.path.join(self.dir, "leaf.pub"), "-signature", sig, body_path],
                           capture_output=True, text=True)
        return p.returncode == 0

    def test_signature_256_verifies_with_openssl(self):
        body = os.path.join(FIXTURES, "launch.json")
        h = self.headers(body_path=body)
        self.assertEqual(h["SignatureCertChainUrl"], URL)
        self.assertNotIn("Signature", h)
        self.assertTrue(self.openssl_verifies("sha256", h["Signature-256"], body))

    def test_sha1_adds_the_legacy_header(self):
        body = os.path.join(FIXTURES, "intent_help.json")
        h = self.headers("--sha1", body_path=body)
        self.assertTrue(self.openssl_verifies("sha1", h["Signature"], body))
        self.assertTrue(self.openssl_verifies("sha256", h["Signature-256"], body))

    def test_signature_covers_the_exact_bytes(self):
        body = os.path.join(FIXTURES, "launch.json")
        h = self.headers(body_path=body)
        changed = os.path.join(self.dir, "changed.json")
        with open(body, "rb") as src, open(changed, "wb") as dst:
            dst.write(src.read() + b" ")
        self.assertFalse(self.openssl_verifies("sha256", h["Signature-256"], changed))

    def test_usage_errors(self):
        p = run("sign", "--cert-url", URL, os.path.join(FIXTURES, "launch.json"))
        self.assertEqual(p.returncode, 2)
        self.assertIn("--key", p.stderr)
        p = run("sign", "--key", "/nonexistent.key", "--cert-url", URL,
                os.path.join(FIXTURES, "launch.json"))
        self.assertEqual(p.returncode, 2)
        self.assertIn("/nonexistent.key", p.stderr)
        p = run("sign", "--key", os.path.join(FIXTURES, "launch.json"), "--cert-url", URL,
                os.path.join(FIXTURES, "launch.json"))
        self.assertEqual(p.returncode, 2)


if __name__ == "__main__":
    unittest.main()
