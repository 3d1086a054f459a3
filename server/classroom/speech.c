/*
 * speech.c - SSML to plain text and to espeak-ng, and running espeak-ng
 * (see speech.h).
 *
 * A small tag reader rather than libxml2: the documents are short, the
 * transformation is a single pass over start tags, end tags and text, and it
 * must also cope with text that is not well-formed (a prompt from
 * model.json), producing the words it can. What XML and Alexa's dialect are
 * (escaping, character references, the list of tags) is ssml.h's; the text
 * is built in a capped struct buf (LIMIT_SPEECH_TEXT_BYTES).
 */
#include "speech.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "proto.h"
#include "ss_limits.h"
#include "ssml.h"

/* ---- Reading tags ---- */

#define TAG_ATTRS LIMIT_SPEECH_TAG_ATTRS
#define TAG_DEPTH LIMIT_SPEECH_TAG_DEPTH

struct attr {
    const char *name, *value;
    size_t name_len, value_len;
};

struct tag {
    enum ssml_tag id; /* SSML_TAG_NONE: not one of Alexa's tags */
    bool end;         /* </name> */
    bool empty;       /* <name/> */
    struct attr attrs[TAG_ATTRS];
    size_t attr_count;
};

static bool
name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' ||
           c == '-' || c == '_' || c == '.' || (unsigned char)c >= 0x80;
}

static const char *
skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

/* Read the tag at p ('<'); returns what follows it, or NULL when it is not a
 * tag (then the '<' is text). A tag Alexa does not have is still read (and
 * its words kept without it): a prompt may hold anything. */
static const char *
read_tag(const char *p, struct tag *t)
{
    memset(t, 0, sizeof(*t));
    p++;
    if (*p == '/') {
        t->end = true;
        p++;
    }
    const char *name = p;
    while (name_char(*p))
        p++;
    if (p == name)
        return NULL;
    t->id = ssml_tag_find(name, (size_t)(p - name));
    for (;;) {
        p = skip_space(p);
        if (*p == '>')
            return p + 1;
        if (*p == '/' && p[1] == '>') {
            t->empty = true;
            return p + 2;
        }
        struct attr a = {.name = p};
        while (name_char(*p))
            p++;
        a.name_len = (size_t)(p - a.name);
        p = skip_space(p);
        if (!a.name_len || *p != '=')
            return NULL;
        p = skip_space(p + 1);
        char quote = *p;
        if (quote != '"' && quote != '\'')
            return NULL;
        a.value = ++p;
        while (*p && *p != quote)
            p++;
        if (!*p)
            return NULL;
        a.value_len = (size_t)(p - a.value);
        p++;
        if (t->attr_count < TAG_ATTRS)
            t->attrs[t->attr_count++] = a;
    }
}

static const struct attr *
attr(const struct tag *t, const char *name)
{
    for (size_t i = 0; i < t->attr_count; i++)
        if (strlen(name) == t->attrs[i].name_len &&
            strncmp(t->attrs[i].name, name, t->attrs[i].name_len) == 0)
            return &t->attrs[i];
    return NULL;
}

static bool
attr_is(const struct tag *t, const char *name, const char *value)
{
    const struct attr *a = attr(t, name);
    return a && strlen(value) == a->value_len && strncmp(a->value, value, a->value_len) == 0;
}

/* An attribute value made only of characters that need no escaping, or NULL. */
static const struct attr *
safe_attr(const struct tag *t, const char *name)
{
    const struct attr *a = attr(t, name);
    if (!a || a->value_len == 0 || a->value_len > 32)
        return NULL;
    for (size_t i = 0; i < a->value_len; i++) {
        char c = a->value[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '%' ||
              c == '+' || c == '-'))
            return NULL;
    }
    return a;
}

static void
put_attr(struct buf *b, const struct attr *a, const char *name)
{
    if (!a)
        return;
    buf_printf(b, " %s=\"%.*s\"", name, (int)a->value_len, a->value);
}

/* Text for the output: escaped again for espeak-ng, as it is for plain words. */
static void
put_text(struct buf *out, bool espeak, const char *text, size_t n)
{
    if (espeak)
        ssml_escape_buf(out, text, n);
    else
        buf_add(out, text, n);
}

/* The text p[0..n) of the document, its character references decoded
 * (ssml_entity()), into out; an '&' that starts none is text. */
static void
put_words(struct buf *out, bool espeak, const char *p, size_t n)
{
    size_t at = 0;
    while (at < n) {
        char u[4];
        size_t len = 0, took = p[at] == '&' ? ssml_entity(p + at, n - at, u, &len) : 0;
        if (took) {
            put_text(out, espeak, u, len);
            at += took;
            continue;
        }
        size_t run = 1;
        while (at + run < n && p[at + run] != '&')
            run++;
        put_text(out, espeak, p + at, run);
        at += run;
    }
}

/*
 * One pass over the document. espeak false: plain words. espeak true:
 * espeak-ng's SSML. Elements whose words are replaced (sub, audio, an
 * expletive) skip their content; the others keep it.
 */
static void
convert(const char *in, bool espeak, struct buf *out)
{
    const char *emitted[TAG_DEPTH]; /* the end tag to write for each open element */
    size_t depth = 0, overflow = 0, skip = 0;
    const char *p = in;

    while (*p) {
        if (strncmp(p, "<!--", 4) == 0) {
            const char *end = strstr(p + 4, "-->");
            p = end ? end + 3 : p + strlen(p);
            continue;
        }
        if (*p == '<') {
            struct tag t;
            const char *next = read_tag(p, &t);
            if (!next) {
                if (!skip)
                    put_text(out, espeak, p, 1);
                p++;
                continue;
            }
            p = next;
            bool p_or_s = t.id == SSML_TAG_P || t.id == SSML_TAG_S;
            if (t.end) {
                if (overflow) {
                    overflow--;
                    continue;
                }
                if (depth == 0)
                    continue;
                depth--;
                if (skip) {
                    skip--;
                    continue;
                }
                if (emitted[depth])
                    buf_printf(out, "</%s>", emitted[depth]);
                else if (!espeak && p_or_s)
                    buf_addc(out, ' ');
                continue;
            }
            const char *keep = NULL; /* element written as is (espeak) */
            bool replace = false;    /* content not spoken */
            if (skip) {
                replace = true;
            } else if (t.id == SSML_TAG_SUB) {
                const struct attr *a = attr(&t, "alias");
                replace = true;
                if (a)
                    put_words(out, espeak, a->value, a->value_len);
            } else if (t.id == SSML_TAG_AUDIO) {
                replace = true;
                const struct attr *a = attr(&t, "src");
                if (espeak)
                    buf_adds(out, "<break time=\"300ms\"/>");
                else if (a)
                    buf_printf(out, " [audio %.*s] ", (int)a->value_len, a->value);
                else
                    buf_adds(out, " [audio] ");
            } else if (t.id == SSML_TAG_ALEXA_NAME) {
                replace = true;
                if (!espeak)
                    buf_adds(out, "[name]");
            } else if (t.id == SSML_TAG_SAY_AS && attr_is(&t, "interpret-as", "expletive")) {
                replace = true;
                buf_adds(out, espeak ? "beep" : "[bleep]");
            } else if (t.id == SSML_TAG_BREAK) {
                if (espeak) {
                    buf_adds(out, "<break");
                    put_attr(out, safe_attr(&t, "time"), "time");
                    put_attr(out, safe_attr(&t, "strength"), "strength");
                    buf_adds(out, "/>");
                } else {
                    buf_addc(out, ' ');
                }
            } else if (espeak && p_or_s) {
                keep = ssml_tag_name(t.id);
                buf_printf(out, "<%s", keep);
            } else if (espeak && t.id == SSML_TAG_EMPHASIS) {
                keep = ssml_tag_name(t.id);
                buf_adds(out, "<emphasis");
                put_attr(out, safe_attr(&t, "level"), "level");
            } else if (espeak && t.id == SSML_TAG_PROSODY) {
                /* espeak-ng takes volume keywords, not Alexa's decibel changes. */
                static const char *const volumes[] = {"silent", "x-soft", "soft", "medium",
                                                      "loud",   "x-loud", NULL};
                const struct attr *v = safe_attr(&t, "volume");
                bool keyword = false;
                for (size_t i = 0; v && volumes[i]; i++)
                    keyword |= strlen(volumes[i]) == v->value_len &&
                               strncmp(volumes[i], v->value, v->value_len) == 0;
                keep = ssml_tag_name(t.id);
                buf_adds(out, "<prosody");
                put_attr(out, safe_attr(&t, "rate"), "rate");
                put_attr(out, safe_attr(&t, "pitch"), "pitch");
                put_attr(out, keyword ? v : NULL, "volume");
            } else if (espeak && t.id == SSML_TAG_SAY_AS &&
                       (attr_is(&t, "interpret-as", "characters") ||
                        attr_is(&t, "interpret-as", "spell-out"))) {
                keep = ssml_tag_name(t.id);
                buf_adds(out, "<say-as interpret-as=\"characters\"");
            } else if (!espeak && p_or_s) {
                buf_addc(out, ' ');
            }
            /* A kept tag is open until here: <p/> and the like stay empty. */
            if (keep)
                buf_adds(out, t.empty ? "/>" : ">");
            /* speak, amazon:*, voice, lang, phoneme, w, tags Alexa does not
             * have: their words, without the tag. */
            if (t.empty)
                continue;
            if (depth == TAG_DEPTH) {
                overflow++;
                continue;
            }
            emitted[depth++] = keep;
            if (replace)
                skip++;
            continue;
        }
        if (skip) {
            p++;
            continue;
        }
        size_t n = strcspn(p, "<");
        put_words(out, espeak, p, n);
        p += n;
    }
    while (espeak && depth > 0) {
        if (emitted[--depth])
            buf_printf(out, "</%s>", emitted[depth]);
    }
}

/* Collapse runs of white space into one space and trim, in place. */
static void
tidy(char *s)
{
    char *w = s;
    bool space = false;
    for (char *r = s; *r; r++) {
        if (*r == ' ' || *r == '\t' || *r == '\n' || *r == '\r') {
            space = w != s;
            continue;
        }
        if (space && !strchr(".,!?;:", *r))
            *w++ = ' ';
        space = false;
        *w++ = *r;
    }
    *w = '\0';
}

char *
speech_plain_text(const char *speech, bool ssml)
{
    struct buf b = BUF_INIT(LIMIT_SPEECH_TEXT_BYTES);
    if (ssml)
        convert(speech ? speech : "", false, &b);
    else
        buf_adds(&b, speech ? speech : "");
    char *text = buf_take(&b, NULL);
    if (text)
        tidy(text);
    return text;
}

char *
speech_espeak_ssml(const char *speech, bool ssml)
{
    struct buf b = BUF_INIT(LIMIT_SPEECH_TEXT_BYTES);
    buf_adds(&b, "<speak>");
    if (ssml)
        convert(speech ? speech : "", true, &b);
    else if (speech)
        ssml_escape_buf(&b, speech, strlen(speech));
    buf_adds(&b, "</speak>\n");
    return buf_take(&b, NULL);
}

const char *
speech_voice(const char *locale)
{
    static const struct {
        const char *locale, *voice;
    } voices[] = {
        {"en-us", "en-us"},  {"en-ca", "en-us"},  {"en-gb", "en-gb"}, {"en-au", "en-gb"},
        {"en-in", "en-gb"},  {"fr-fr", "fr-fr"},  {"fr-ca", "fr-fr"}, {"pt-br", "pt-br"},
        {"es-mx", "es-419"}, {"es-us", "es-419"}, {"es-es", "es"},    {"de-de", "de"},
        {"it-it", "it"},     {"ja-jp", "ja"},     {"hi-in", "hi"},    {"ar-sa", "ar"},
        {"nl-nl", "nl"},
    };
    for (size_t i = 0; locale && i < sizeof(voices) / sizeof(voices[0]); i++)
        if (strcasecmp(voices[i].locale, locale) == 0)
            return voices[i].voice;
    return "en-us";
}

/* ---- espeak-ng ---- */

/* PULSE_SERVER for an espeak-ng that only writes a file: no sound server
 * at all. Otherwise its audio library connects to PulseAudio all the same,
 * and on a machine without a session makes a folder for one in TMPDIR (and
 * a link to it in ~/.config/pulse) that nobody removes. */
#define NO_SOUND_SERVER "PULSE_SERVER=unix:/dev/null"

/* environ with PULSE_SERVER replaced by NO_SOUND_SERVER, NULL-terminated;
 * the strings are environ's own. NULL when out of memory. */
static char **
environment_without_sound(void)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 2, sizeof(*env));
    if (!env)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "PULSE_SERVER=", 13) != 0)
            env[k++] = environ[i];
    env[k] = (char *)NO_SOUND_SERVER;
    return env;
}

enum ss_err
speech_render(const char *speech, bool ssml, const char *locale, const char *wav,
              struct ss_error *err)
{
    int in[2] = {-1, -1}, errp[2] = {-1, -1};
    char said[512] = "";
    size_t said_len = 0, written = 0;
    char *input = speech_espeak_ssml(speech, ssml);
    struct sigaction ign = {.sa_handler = SIG_IGN}, old;
    bool restore = false;
    pid_t pid = -1;
    enum ss_err rc = SS_ERR_OK;
    int status = 0;
    char **env = NULL;

    if (!input)
        return ss_fail(err, SS_ERR_NOMEM, "out of memory");
    if (wav && unlink(wav) != 0 && errno != ENOENT) {
        rc = ss_fail(err, SS_ERR_IO, "cannot replace %s: %s", wav, strerror(errno));
        goto out;
    }
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
        rc = ss_fail(err, SS_ERR_IO, "cannot start espeak-ng: %s", strerror(errno));
        goto out;
    }
    const char *argv[] = {"espeak-ng",       "-m", "-v", speech_voice(locale), "--stdin",
                          wav ? "-w" : NULL, wav,  NULL};
    /* Built before fork(): the child only calls what is safe there. */
    if (wav && !(env = environment_without_sound())) {
        rc = ss_fail(err, SS_ERR_NOMEM, "out of memory");
        goto out;
    }
    pid = fork();
    if (pid < 0) {
        rc = ss_fail(err, SS_ERR_IO, "cannot start espeak-ng: %s", strerror(errno));
        goto out;
    }
    if (pid == 0) {
        if (dup2(in[0], 0) < 0 || dup2(errp[1], 2) < 0)
            _exit(126);
        execvpe(argv[0], (char *const *)argv, env ? env : environ);
        _exit(127);
    }
    close(in[0]);
    close(errp[1]);
    in[0] = errp[1] = -1;
    if (fcntl(in[1], F_SETFL, O_NONBLOCK) != 0 || fcntl(errp[0], F_SETFL, O_NONBLOCK) != 0) {
        rc = ss_fail(err, SS_ERR_IO, "cannot talk to espeak-ng: %s", strerror(errno));
        goto out;
    }
    /* espeak-ng may exit before reading everything: a write then fails with
     * EPIPE instead of killing this process. */
    restore = sigaction(SIGPIPE, &ign, &old) == 0;

    /* Feed the document and collect what espeak-ng says on stderr, until it
     * closes stderr (it exits) or the time is up. */
    size_t total = strlen(input);
    int64_t deadline = proto_now_ms() + LIMIT_ESPEAK_MS;
    for (;;) {
        struct pollfd fds[2] = {{errp[0], POLLIN, 0}, {in[1], POLLOUT, 0}};
        int nfds = in[1] >= 0 ? 2 : 1;
        int64_t left = deadline - proto_now_ms();
        if (left <= 0) {
            kill(pid, SIGKILL);
            rc = ss_fail(err, SS_ERR_IO, "espeak-ng was still running after %d ms; stopped it",
                         LIMIT_ESPEAK_MS);
            break;
        }
        int r = poll(fds, (nfds_t)nfds, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            kill(pid, SIGKILL);
            rc = ss_fail(err, SS_ERR_IO, "cannot wait for espeak-ng: %s", strerror(errno));
            break;
        }
        if (nfds == 2 && fds[1].revents) {
            ssize_t w = write(in[1], input + written, total - written);
            if (w > 0)
                written += (size_t)w;
            if ((w < 0 && errno != EAGAIN) || written == total) {
                close(in[1]);
                in[1] = -1;
            }
        }
        if (fds[0].revents) {
            char chunk[256];
            ssize_t n = read(errp[0], chunk, sizeof(chunk));
            if (n > 0) {
                size_t keep = (size_t)n < sizeof(said) - 1 - said_len ? (size_t)n
                                                                      : sizeof(said) - 1 - said_len;
                memcpy(said + said_len, chunk, keep);
                said_len += keep;
                said[said_len] = '\0';
            } else if (n == 0 || errno != EAGAIN) {
                break;
            }
        }
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    pid = -1;
    if (rc != SS_ERR_OK)
        goto out;
    said[strcspn(said, "\n")] = '\0';
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
        rc = ss_fail(err, SS_ERR_IO,
                     "espeak-ng is not installed (Debian and Ubuntu: "
                     "apt install espeak-ng)");
        goto out;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        rc = ss_fail(err, SS_ERR_IO, "espeak-ng failed (%s %d)%s%s",
                     WIFEXITED(status) ? "exit status" : "signal",
                     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
                     said[0] ? ": " : "", said);
        goto out;
    }
    if (wav) {
        double seconds;
        unsigned rate;
        unsigned long bytes;
        if (speech_wav_info(wav, &seconds, &rate, &bytes) != 0)
            rc = ss_fail(err, SS_ERR_IO, "espeak-ng did not write a WAV file to %s", wav);
        else if (bytes == 0)
            rc =
                ss_fail(err, SS_ERR_IO, "espeak-ng wrote a WAV file with no sound in it (%s)", wav);
    }
out:
    if (pid > 0) {
        kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    if (restore)
        sigaction(SIGPIPE, &old, NULL);
    for (int i = 0; i < 2; i++) {
        if (in[i] >= 0)
            close(in[i]);
        if (errp[i] >= 0)
            close(errp[i]);
    }
    free(input);
    free(env);
    return rc;
}

bool
speech_sound_device(char *why, size_t cap)
{
    char path[512];
    const char *pulse = getenv("PULSE_SERVER");
    const char *runtime = getenv("XDG_RUNTIME_DIR");
    struct stat st;

    if (pulse && pulse[0])
        return true;
    if (runtime && runtime[0] &&
        snprintf(path, sizeof(path), "%s/pulse/native", runtime) < (int)sizeof(path) &&
        stat(path, &st) == 0)
        return true;
    DIR *d = opendir("/dev/snd");
    if (d) {
        struct dirent *e;
        bool playback = false;
        /* ALSA names playback devices pcmC<card>D<device>p. */
        while ((e = readdir(d)) && !playback)
            playback =
                strncmp(e->d_name, "pcmC", 4) == 0 && e->d_name[strlen(e->d_name) - 1] == 'p';
        closedir(d);
        if (playback)
            return true;
    }
    if (why && cap)
        snprintf(why, cap,
                 "no sound device here (no PulseAudio server and no playback "
                 "device under /dev/snd)");
    return false;
}

static uint32_t
le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t
le16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

int
speech_wav_info(const char *path, double *seconds, unsigned *rate, unsigned long *bytes)
{
    unsigned char h[4096];
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;
    uint32_t byte_rate = 0, sample_rate = 0;
    bool fmt = false;

    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0 || (n = read(fd, h, sizeof(h))) < 12) {
        close(fd);
        return -1;
    }
    close(fd);
    if (memcmp(h, "RIFF", 4) != 0 || memcmp(h + 8, "WAVE", 4) != 0)
        return -1;
    for (size_t at = 12; at + 8 <= (size_t)n;) {
        uint32_t size = le32(h + at + 4);
        if (memcmp(h + at, "fmt ", 4) == 0) {
            if (size < 16 || at + 8 + 16 > (size_t)n)
                return -1;
            uint16_t format = le16(h + at + 8);
            if (format != 1 && format != 0xFFFE)
                return -1;
            sample_rate = le32(h + at + 12);
            byte_rate = le32(h + at + 16);
            if (!sample_rate || !byte_rate || !le16(h + at + 10))
                return -1;
            fmt = true;
        } else if (memcmp(h + at, "data", 4) == 0) {
            if (!fmt)
                return -1;
            uint64_t avail = (uint64_t)st.st_size - (at + 8);
            if (size > avail)
                return -1; /* truncated, or never finished */
            *seconds = (double)size / byte_rate;
            *rate = sample_rate;
            *bytes = size;
            return 0;
        }
        if (size > (uint64_t)st.st_size)
            return -1;
        at += 8 + size + (size & 1);
    }
    return -1;
}
