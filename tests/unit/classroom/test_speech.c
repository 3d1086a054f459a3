/* test_speech.c - SSML as plain text and as espeak-ng's SSML, voices, WAV
 * headers, and rendering with the real espeak-ng. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "speech.h"
#include "ss_limits.h"
#include "tap.h"

static void
plain(const char *ssml, const char *want)
{
    char *got = speech_plain_text(ssml, true);
    is_str(got, want, "plain text of %s", ssml);
    free(got);
}

static void
espeak(const char *ssml, const char *want)
{
    char *got = speech_espeak_ssml(ssml, true);
    is_str(got, want, "espeak SSML of %s", ssml);
    free(got);
}

/* Write a WAV header (and size bytes of silence) to path. */
static void
write_wav(const char *path, const char *riff, uint32_t rate, uint32_t data_size,
          uint32_t real_bytes)
{
    FILE *f = fopen(path, "wb");
    uint32_t byte_rate = rate * 2, riff_size = 36 + data_size, fmt_size = 16;
    uint16_t pcm = 1, channels = 1, align = 2, bits = 16;
    fwrite(riff, 1, 4, f);
    fwrite(&riff_size, 4, 1, f);
    fwrite("WAVEfmt ", 1, 8, f);
    fwrite(&fmt_size, 4, 1, f);
    fwrite(&pcm, 2, 1, f);
    fwrite(&channels, 2, 1, f);
    fwrite(&rate, 4, 1, f);
    fwrite(&byte_rate, 4, 1, f);
    fwrite(&align, 2, 1, f);
    fwrite(&bits, 2, 1, f);
    fwrite("data", 1, 4, f);
    fwrite(&data_size, 4, 1, f);
    for (uint32_t i = 0; i < real_bytes; i++)
        fputc(0, f);
    fclose(f);
}

/* How many entries the folder holds; -1 when it cannot be read. */
static int
entries(const char *folder)
{
    DIR *d = opendir(folder);
    struct dirent *e;
    int n = 0;
    if (!d)
        return -1;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

int
main(void)
{
    /* Plain text: tags gone, entities decoded, Alexa-only tags as words. */
    plain("<speak>Hello <break time=\"1s\"/>there!</speak>", "Hello there!");
    plain("<speak><p>One.</p><p>Two.</p></speak>", "One. Two.");
    plain("<speak>Fish &amp; chips &lt;3 &#233;t&#xE9;</speak>",
          "Fish & chips <3 \xc3\xa9t\xc3\xa9");
    plain("<speak><sub alias=\"World Wide Web\">WWW</sub></speak>", "World Wide Web");
    plain("<speak><say-as interpret-as=\"expletive\">darn</say-as> it</speak>", "[bleep] it");
    plain("<speak>A <audio src='soundbank://x/y'/> dog</speak>", "A [audio soundbank://x/y] dog");
    plain("<speak>Hi <alexa:name type=\"first\" personId=\"p\"/>!</speak>", "Hi [name]!");
    plain("<speak><amazon:effect name=\"whispered\">quiet</amazon:effect>, "
          "<voice name=\"Kendra\"><lang xml:lang=\"fr-FR\">bonjour</lang></voice></speak>",
          "quiet, bonjour");
    plain("<speak>a<!-- note -->b</speak>", "ab");
    /* Not well-formed (a prompt nobody checked): still words, never a crash. */
    plain("<speak>1 < 2 & <b</speak>", "1 < 2 & <b");
    plain("<speak><sub alias='x'>never closed", "x");
    plain("</p></p>text", "text");
    char *t = speech_plain_text("  plain   text\n", false);
    is_str(t, "plain text", "plain text stays text");
    free(t);
    t = speech_plain_text(NULL, true);
    is_str(t, "", "no speech");
    free(t);

    /* espeak-ng's SSML: kept tags, Alexa-only ones turned into what it can say. */
    espeak("<speak>Hi <break time=\"500ms\" strength=\"x-strong\"/>Sam</speak>",
           "<speak>Hi <break time=\"500ms\" strength=\"x-strong\"/>Sam</speak>\n");
    espeak("<speak><emphasis level=\"strong\">big</emphasis> "
           "<prosody rate=\"slow\" pitch=\"+10%\" volume=\"+6dB\">slow</prosody></speak>",
           "<speak><emphasis level=\"strong\">big</emphasis> "
           "<prosody rate=\"slow\" pitch=\"+10%\">slow</prosody></speak>\n");
    espeak("<speak><prosody volume=\"loud\">LOUD</prosody></speak>",
           "<speak><prosody volume=\"loud\">LOUD</prosody></speak>\n");
    espeak("<speak><say-as interpret-as=\"spell-out\">abc</say-as></speak>",
           "<speak><say-as interpret-as=\"characters\">abc</say-as></speak>\n");
    espeak("<speak><amazon:emotion name=\"excited\" intensity=\"high\">Yay</amazon:emotion> "
           "<audio src=\"https://x/y.mp3\"/> <sub alias=\"and\">&amp;</sub> &lt;3</speak>",
           "<speak>Yay <break time=\"300ms\"/> and &lt;3</speak>\n");
    espeak("<speak><s>one</s><p/></speak>", "<speak><s>one</s><p/></speak>\n");
    espeak("<speak><break time=\"1s&quot; onload=&quot;x\"/></speak>", "<speak><break/></speak>\n");
    espeak("<speak><p>unclosed", "<speak><p>unclosed</p></speak>\n");
    /* Escaping is ssml.h's: quotes too, and what XML forbids is dropped. */
    espeak("<speak>Tom's &quot;cat&quot;\x01</speak>",
           "<speak>Tom&apos;s &quot;cat&quot;</speak>\n");
    espeak("<speak><sub alias=\"caf&#233; &amp; co\">x</sub></speak>",
           "<speak>caf\xc3\xa9 &amp; co</speak>\n");
    /* A tag Alexa does not have: its words, without it. An entity XML does
     * not have: kept as written. */
    plain("<speak><foo bar=\"1\">words</foo> &nbsp;x</speak>", "words &nbsp;x");
    espeak("<speak><foo>words</foo></speak>", "<speak>words</speak>\n");
    char *e = speech_espeak_ssml("Tom & Jerry <3", false);
    is_str(e, "<speak>Tom &amp; Jerry &lt;3</speak>\n", "plain text is escaped");
    free(e);
    /* Deep nesting is followed, then flattened, without overflowing. */
    char deep[4000] = "<speak>";
    for (int i = 0; i < 100; i++)
        strcat(deep, "<s>");
    strcat(deep, "deep");
    for (int i = 0; i < 100; i++)
        strcat(deep, "</s>");
    strcat(deep, "</speak>");
    t = speech_plain_text(deep, true);
    is_str(t, "deep", "deep nesting");
    free(t);
    e = speech_espeak_ssml(deep, true);
    ok(e && strstr(e, "deep") && strncmp(e, "<speak>", 7) == 0, "deep nesting for espeak");
    free(e);

    /* Past LIMIT_SPEECH_TEXT_BYTES there is no text, rather than a huge one. */
    size_t huge_len = LIMIT_SPEECH_TEXT_BYTES + 10;
    char *huge = malloc(huge_len + 1);
    if (huge) {
        memset(huge, 'a', huge_len);
        huge[huge_len] = '\0';
        t = speech_plain_text(huge, false);
        ok(t == NULL, "speech over the cap gives no text");
        free(t);
        free(huge);
    }

    is_str(speech_voice("en-US"), "en-us", "voice en-US");
    is_str(speech_voice("en-GB"), "en-gb", "voice en-GB");
    is_str(speech_voice("de-DE"), "de", "voice de-DE");
    is_str(speech_voice("es-MX"), "es-419", "voice es-MX");
    is_str(speech_voice("xx-YY"), "en-us", "unknown locale");
    is_str(speech_voice(NULL), "en-us", "no locale");

    /* WAV headers. */
    /* Small enough that every path below fits in path. */
    char dir[400];
    if (tap_tempdir(dir, sizeof(dir), "test-speech") != 0)
        return tap_done();
    char path[512];
    double seconds = 0;
    unsigned rate = 0;
    unsigned long bytes = 0;
    snprintf(path, sizeof(path), "%s/good.wav", dir);
    write_wav(path, "RIFF", 22050, 44100, 44100);
    ok(speech_wav_info(path, &seconds, &rate, &bytes) == 0, "a WAV header");
    ok(seconds > 0.99 && seconds < 1.01 && rate == 22050 && bytes == 44100, "one second");
    write_wav(path, "RIFX", 22050, 44100, 44100);
    ok(speech_wav_info(path, &seconds, &rate, &bytes) == -1, "not RIFF");
    write_wav(path, "RIFF", 22050, 44100, 100);
    ok(speech_wav_info(path, &seconds, &rate, &bytes) == -1, "data larger than the file");
    write_wav(path, "RIFF", 0, 0, 0);
    ok(speech_wav_info(path, &seconds, &rate, &bytes) == -1, "no sample rate");
    snprintf(path, sizeof(path), "%s/missing.wav", dir);
    ok(speech_wav_info(path, &seconds, &rate, &bytes) == -1, "no file");

    /* The real espeak-ng, on a machine without a sound session: its audio
     * library must leave nothing behind in TMPDIR or the home folder. */
    struct ss_error err;
    char home[PATH_MAX], tmpdir[PATH_MAX];
    snprintf(home, sizeof(home), "%s/home", dir);
    snprintf(tmpdir, sizeof(tmpdir), "%s/tmp", dir);
    ok(mkdir(home, 0700) == 0 && mkdir(tmpdir, 0700) == 0, "a home and a TMPDIR of its own");
    ok(setenv("HOME", home, 1) == 0 && setenv("TMPDIR", tmpdir, 1) == 0 &&
           unsetenv("XDG_RUNTIME_DIR") == 0 && unsetenv("PULSE_SERVER") == 0,
       "no sound session");
    snprintf(path, sizeof(path), "%s/hello.wav", dir);
    enum ss_err rc = speech_render("<speak>Hello <amazon:effect name=\"whispered\">there"
                                   "</amazon:effect>, <say-as interpret-as=\"interjection\">wow"
                                   "</say-as>!</speak>",
                                   true, "en-US", path, &err);
    if (!ok(rc == SS_ERR_OK, "espeak-ng renders SSML"))
        printf("#   %s\n", err.msg);
    ok(speech_wav_info(path, &seconds, &rate, &bytes) == 0 && seconds > 0.3 && seconds < 10,
       "a WAV file of sensible length (%.2f s)", seconds);
    is_int(entries(tmpdir), 0, "nothing left in TMPDIR");
    is_int(entries(home), 0, "nothing left in the home folder");
    snprintf(path, sizeof(path), "%s/no/such/folder.wav", dir);
    rc = speech_render("Hello", false, "en-US", path, &err);
    is_int(rc, SS_ERR_IO, "an unwritable file fails");
    contains(err.msg, "espeak-ng", "and says who failed");
    ok(tap_remove_tree(dir) == 0, "the temporary folder is removed");

    char why[200] = "";
    bool device = speech_sound_device(why, sizeof(why));
    ok(device || strstr(why, "no sound device"), "a sound device, or why not");
    return tap_done();
}
