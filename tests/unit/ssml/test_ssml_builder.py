"""Tests of skillkit.ssml, the SSML builder for skill authors.

The markup of each helper is checked exactly, argument errors are checked
for a message a child can act on, and every helper's output is run through
the real C validator (tests/unit/ssml_check_stdin.c, path in the
SSML_CHECK_TOOL environment variable set by tests/meson.build).
"""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.environ.get("SOURCE_ROOT", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")), "server", "worker"))

from skillkit import ssml  # noqa: E402
from skillkit.ssml import (SSML, alexa_name, audio, break_, domain, effect, emotion,  # noqa: E402
                           emphasis, escape, join, lang, p, pause, phoneme, prosody, s,
                           say_as, speak, sub, voice, w, whisper)


def check_tool():
    """Path of the C validator tool, or None when not built."""
    path = os.environ.get("SSML_CHECK_TOOL")
    if path and os.access(path, os.X_OK):
        return path
    build = os.environ.get("BUILD_ROOT")
    if build:
        path = os.path.join(build, "tests", "ssml_check_stdin")
        if os.access(path, os.X_OK):
            return path
    return None


def validate(document, *args):
    """Run the C validator on document; return (exit status, output)."""
    result = subprocess.run([check_tool(), *args], input=document.encode("utf-8"),
                            capture_output=True, timeout=30, check=False)
    return result.returncode, result.stdout.decode("utf-8", "replace")


class Escaping(unittest.TestCase):
    def test_five_specials(self):
        self.assertEqual(escape("Tom & Jerry <3 \"x\" 'y'"),
                         "Tom &amp; Jerry &lt;3 &quot;x&quot; &apos;y&apos;")

    def test_no_double_escaping(self):
        self.assertEqual(escape("Fish &amp; chips"), "Fish &amp; chips")

    def test_forbidden_characters_dropped(self):
        self.assertEqual(escape("a\x01b\x1fc\ufffed\ud800e\tf\ng"), "abcde\tf\ng")

    def test_numbers(self):
        self.assertEqual(escape(42), "42")

    def test_str_joined_with_ssml_is_escaped(self):
        self.assertEqual((pause(1) + "R&D").markup, '<break time="1s"/>R&amp;D')
        self.assertEqual(("<b>" + pause(1)).markup, '&lt;b&gt;<break time="1s"/>')

    def test_ssml_class_kept(self):
        self.assertEqual(SSML("<p>x</p>").markup, "<p>x</p>")
        self.assertEqual(SSML("a") + SSML("b"), SSML("ab"))
        self.assertEqual(str(SSML("x")), "x")

    def test_join_and_speak(self):
        self.assertEqual(join("a&", p("b"), 3).markup, "a&amp;<p>b</p>3")
        self.assertEqual(speak("Hi", pause(1)), '<speak>Hi<break time="1s"/></speak>')

    def test_bad_part_type(self):
        with self.assertRaises(TypeError):
            p(["list"])
        with self.assertRaises(TypeError):
            join(None)


class WithoutRe(unittest.TestCase):
    """escape() and break times are checked with str methods, not re (a
    worker would import re, enum and functools for its first SSML): both
    must say what the regular expressions they replace said."""

    TEXTS = ["plain", "a & b", "&amp;", "&amp;lt;", "&&amp;", "&foo;bar", "&amp", "&AMP;",
             "& amp;", "&apos;&quot;&gt;&lt;", "tab\tnew\nline\rcr", "bell\x07 nul\x00 esc\x1b",
             "del\x7f", "caf\u00e9 \u2603", "lone \ud800 surrogate \udfff", "\ufffe\uffff\ufffd",
             "emoji \U0001f600 & \x01", "", "&", ";", "&;", "<speak>", "\u00e9&amp;\x0b",
             "<<>>''\"\"&&", "&lt;&&lt;&gt;<&amp;>"]

    def test_escape_as_the_regular_expressions_did(self):
        import re
        entity = re.compile(r"&(amp|lt|gt|quot|apos);")
        forbidden = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
        unescapes = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
        escapes = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}
        for text in self.TEXTS:
            with self.subTest(text=text):
                want = forbidden.sub("", entity.sub(lambda m: unescapes[m.group(1)], text))
                want = "".join(escapes.get(ch, ch) for ch in want)
                self.assertEqual(escape(text), want)

    def test_break_times_as_the_regular_expression_did(self):
        import re
        pattern = re.compile(r"(?:10|[0-9])s|(?:10000|[1-9][0-9]{0,3}|0)ms")
        numbers = ["", "0", "00", "01", "1", "9", "10", "11", "99", "100", "999", "1000", "9999",
                   "10000", "10001", "12345", "-1", "+1", "1.5", " 1", "1 ", "\uff15", "\u0663",
                   "1e3", "0x1"]
        for number in numbers:
            for unit in ("s", "ms", "", "S", "MS", "sec", " ms"):
                time = number + unit
                with self.subTest(time=time):
                    self.assertEqual(ssml._break_time_ok(time),
                                     pattern.fullmatch(time) is not None)

    def test_escape_and_break_do_not_import_re(self):
        script = ("import sys; sys.path.insert(0, sys.argv[1]); "
                  "from skillkit import ssml; "
                  "ssml.speak('Hi & \\x01 caf\\u00e9 ', ssml.break_('250ms'), ssml.pause(2)); "
                  "print('re' in sys.modules)")
        out = subprocess.run([sys.executable, "-I", "-S", "-c", script,
                              os.path.dirname(os.path.dirname(ssml.__file__))],
                             capture_output=True, text=True, timeout=60, check=True)
        self.assertEqual(out.stdout.strip(), "False", out.stderr)


class Markup(unittest.TestCase):
    def test_break(self):
        self.assertEqual(break_().markup, "<break/>")
        self.assertEqual(break_("500ms").markup, '<break time="500ms"/>')
        self.assertEqual(break_(2).markup, '<break time="2s"/>')
        self.assertEqual(break_(1.5).markup, '<break time="1500ms"/>')
        self.assertEqual(break_(strength="x-strong").markup, '<break strength="x-strong"/>')
        self.assertEqual(pause(10).markup, '<break time="10s"/>')

    def test_break_errors(self):
        with self.assertRaisesRegex(ValueError, "at most 10s, got '11s'"):
            break_("11s")
        with self.assertRaisesRegex(ValueError, "between 0 and 10 seconds, got 12"):
            pause(12)
        with self.assertRaisesRegex(ValueError, "such as '3s' or '250ms'"):
            break_("3")
        with self.assertRaisesRegex(ValueError, "not both"):
            break_("1s", "weak")
        with self.assertRaisesRegex(ValueError, "break strength must be none, x-weak"):
            break_(strength="huge")
        with self.assertRaises(TypeError):
            break_(True)

    def test_emphasis(self):
        self.assertEqual(emphasis("wow").markup, '<emphasis level="moderate">wow</emphasis>')
        self.assertEqual(emphasis("a", p("b"), level="strong").markup,
                         '<emphasis level="strong">a<p>b</p></emphasis>')
        with self.assertRaisesRegex(ValueError, "strong, moderate or reduced, got 'none'"):
            emphasis("x", level="none")

    def test_prosody(self):
        self.assertEqual(prosody("x", rate="90%", pitch="+10%", volume="-6dB").markup,
                         '<prosody rate="90%" pitch="+10%" volume="-6dB">x</prosody>')
        self.assertEqual(prosody("x", rate="slow").markup, '<prosody rate="slow">x</prosody>')
        for bad in ({"rate": "10%"}, {"rate": "speedy"}, {"pitch": "+60%"},
                    {"pitch": "+2st"}, {"volume": "+10dB"}, {"volume": "4dB"}):
            with self.assertRaises(ValueError, msg=str(bad)):
                prosody("x", **bad)
        with self.assertRaisesRegex(ValueError, "at least one of rate, pitch or volume"):
            prosody("x")
        with self.assertRaisesRegex(ValueError, "percentage such as '90%'.*got 'speedy'"):
            prosody("x", rate="speedy")

    def test_say_as(self):
        self.assertEqual(say_as(1234, "digits").markup,
                         '<say-as interpret-as="digits">1234</say-as>')
        self.assertEqual(say_as("15-01-2025", "date", "dmy").markup,
                         '<say-as interpret-as="date" format="dmy">15-01-2025</say-as>')
        with self.assertRaisesRegex(ValueError, "only for interpret_as='date'"):
            say_as("1", "cardinal", "dmy")
        with self.assertRaisesRegex(ValueError, "interpret_as must be characters"):
            say_as("x", "verbatim")
        with self.assertRaisesRegex(TypeError, "plain text"):
            say_as(p("x"), "digits")

    def test_sub_phoneme_w(self):
        self.assertEqual(sub("Mg", "magnesium").markup, '<sub alias="magnesium">Mg</sub>')
        self.assertEqual(sub("R&D", "research & development").markup,
                         '<sub alias="research &amp; development">R&amp;D</sub>')
        self.assertEqual(phoneme("pecan", "pɪˈkɑːn").markup,
                         '<phoneme alphabet="ipa" ph="pɪˈkɑːn">pecan</phoneme>')
        self.assertEqual(w("read", "VBD").markup, '<w role="amazon:VBD">read</w>')
        self.assertEqual(w("bass", "amazon:SENSE_1").markup,
                         '<w role="amazon:SENSE_1">bass</w>')
        with self.assertRaisesRegex(ValueError, "not empty"):
            sub("Mg", " ")
        with self.assertRaisesRegex(ValueError, "ipa or x-sampa"):
            phoneme("x", "y", alphabet="arpabet")
        with self.assertRaisesRegex(ValueError, "w role must be"):
            w("x", "JJ")

    def test_audio(self):
        self.assertEqual(audio("https://example.com/a.mp3").markup,
                         '<audio src="https://example.com/a.mp3"/>')
        self.assertEqual(audio("https://example.com/a.mp3?x=1&y=2").markup,
                         '<audio src="https://example.com/a.mp3?x=1&amp;y=2"/>')
        for bad in ("http://example.com/a.mp3", "https://example.com/my file.mp3",
                    "soundbank://soundlibrary/animals", "ftp://x/y"):
            with self.assertRaisesRegex(ValueError, "https:// URL", msg=bad):
                audio(bad)

    def test_voice_lang(self):
        self.assertEqual(voice("Cheerio", name="Brian").markup,
                         '<voice name="Brian">Cheerio</voice>')
        self.assertEqual(lang("Bonjour", code="fr-FR").markup,
                         '<lang xml:lang="fr-FR">Bonjour</lang>')
        with self.assertRaisesRegex(ValueError, "Polly voice Alexa offers.*got 'Bob'"):
            voice("x", name="Bob")
        with self.assertRaisesRegex(ValueError, "lang code must be en-US"):
            lang("x", code="nl-NL")

    def test_p_s(self):
        self.assertEqual(p(s("One."), s("Two.")).markup, "<p><s>One.</s><s>Two.</s></p>")
        self.assertEqual(s().markup, "<s/>")

    def test_amazon_tags(self):
        self.assertEqual(whisper("psst").markup,
                         '<amazon:effect name="whispered">psst</amazon:effect>')
        self.assertEqual(effect().markup, '<amazon:effect name="whispered"></amazon:effect>')
        self.assertEqual(emotion("Yay", name="excited", intensity="high").markup,
                         '<amazon:emotion name="excited" intensity="high">Yay</amazon:emotion>')
        self.assertEqual(domain("News", name="news").markup,
                         '<amazon:domain name="news">News</amazon:domain>')
        self.assertEqual(alexa_name("amzn1.ask.person.ABC").markup,
                         '<alexa:name type="first" personId="amzn1.ask.person.ABC"/>')
        with self.assertRaisesRegex(ValueError, "whispered, got 'drc'"):
            effect("x", name="drc")
        with self.assertRaisesRegex(ValueError, "excited or disappointed"):
            emotion("x", name="happy")
        with self.assertRaisesRegex(ValueError, "low, medium or high"):
            emotion("x", name="excited", intensity="max")
        with self.assertRaisesRegex(ValueError, "conversational, long-form, music, news or fun"):
            domain("x", name="sports")
        with self.assertRaisesRegex(ValueError, "amzn1.ask.person.ABC123"):
            alexa_name("amzn1.ask.account.X")

    def test_everything_is_exported(self):
        for name in ssml.__all__:
            self.assertTrue(hasattr(ssml, name), name)


@unittest.skipUnless(check_tool(), "the C validator tool is not built (run through meson test)")
class ThroughTheCValidator(unittest.TestCase):
    """What the builder makes, the server's validator accepts."""

    def assertValid(self, fragment, *args):
        document = speak(fragment)
        status, output = validate(document, *args)
        self.assertEqual(status, 0, f"{document}\n{output}")

    def test_each_helper(self):
        samples = [
            break_(), break_("500ms"), break_(1.5), break_(10), break_(strength="none"),
            pause(0), emphasis("a", level="reduced"),
            prosody("a", rate="x-fast"), prosody("a", rate="20%", pitch="-33.3%", volume="+4.08dB"),
            say_as("1234", "digits"), say_as("????0922", "date"),
            say_as("15-01", "date", "dm"), say_as("bingo", "interjection"),
            sub("Mg", "magnesium"), phoneme("pecan", "pɪˈkɑːn"),
            phoneme("pecan", "pI'kA:n", alphabet="x-sampa"), w("read", "VB"),
            audio("https://example.com/a.mp3?x=1&y=2"),
            audio("soundbank://soundlibrary/animals/amzn_sfx_bear_groan_roar_01"),
            voice("Hallo", name="Hans"), lang("Ciao", code="it-IT"),
            p("One ", s("two"), " three"), s("A sentence."), effect(), whisper("psst"),
            emotion("Yay", name="disappointed", intensity="low"), domain("x", name="fun"),
            alexa_name("amzn1.ask.person.ABC-1.2_3"),
        ]
        for fragment in samples:
            with self.subTest(fragment=fragment.markup):
                self.assertValid(fragment)

    def test_every_voice_and_language(self):
        self.assertValid(join(*(voice("Hi", name=n) for n in ssml.VOICES)))
        self.assertValid(join(*(lang("Hi", code=c) for c in ssml.LANGUAGES)))

    def test_composed_response(self):
        name = "Zoë & <Max>"
        fragment = (p("Hello ", emphasis(name, level="strong"), "!") + pause(1)
                    + whisper("It's a secret.") + s(say_as(3, "ordinal"), " place.")
                    + voice(prosody(lang("Bonjour", code="fr-FR"), rate="slow"), name="Celine"))
        self.assertValid(fragment)

    def test_hostile_text_stays_text(self):
        self.assertValid(p("</p><speak>&nbsp;\x00\x07 ]]> <?x?> <!-- -->"))

    def test_validator_does_reject(self):
        # The tool really validates: the same path fails on what Alexa rejects.
        status, output = validate("<speak><prosody rate='speedy'>x</prosody></speak>")
        self.assertEqual(status, 1)
        self.assertIn("-:1:17: prosody rate must be", output)
        status, output = validate(speak(emotion("x", name="excited"), voice("y", name="Amy")))
        self.assertEqual(status, 0, output)
        status, output = validate(speak(emotion(voice("y", name="Amy"), name="excited")))
        self.assertEqual(status, 1)
        self.assertIn("cannot be used together", output)

    def test_locale_rules(self):
        self.assertValid(domain("x", name="fun"), "--locale", "ja-JP")
        status, output = validate(speak(domain("x", name="fun")), "--locale", "en-US")
        self.assertEqual(status, 1)
        self.assertIn("not available for the locale en-US", output)


if __name__ == "__main__":
    unittest.main()
