/*
 * roster.c - a child's name and folder, and the class's join code.
 *
 * A child's folder name is made here and only here, from the first name
 * they type: folded to lower-case ASCII letters, so that it can never be a
 * path ("..", "/", a leading dot) and always passes skill_name_valid(). The
 * folder is made with mkdirat() under the class's skills directory, opened
 * by the caller, and its starter skill.py with openat(O_NOFOLLOW | O_EXCL),
 * so a link planted in the class's data cannot redirect a write.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "class.h"
#include "skill.h"

/* The base letter of a Latin-1 supplement letter (U+00C0..U+00FF), 0 when
 * it has none (x, ÷, Æ, ß, Þ...: refused rather than guessed). */
static char
latin1_base(unsigned cp)
{
    static const char map[65] = "aaaaaa\0ceeeeiiii\0nooooo\0ouuuuy\0\0"
                                "aaaaaa\0ceeeeiiii\0nooooo\0ouuuuy\0y";
    if (cp < 0xC0 || cp > 0xFF)
        return 0;
    return map[cp - 0xC0];
}

static bool
refuse(char *out)
{
    out[0] = '\0';
    return false;
}

bool
class_name_fold(const char *typed, char *out, size_t cap)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)typed;
    const unsigned char *end = p + strlen(typed);

    if (cap == 0)
        return false;
    out[0] = '\0';
    while (p < end && *p == ' ')
        p++;
    while (end > p && end[-1] == ' ')
        end--;
    while (p < end) {
        char c;
        if (*p < 0x80) {
            c = (char)*p++;
            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
            if (c < 'a' || c > 'z')
                return refuse(out);
        } else if ((*p == 0xC3) && p + 1 < end && (p[1] & 0xC0) == 0x80) {
            /* U+00C0..U+00FF is C3 80..C3 BF in UTF-8. */
            c = latin1_base(0xC0u + (p[1] & 0x3Fu));
            if (!c)
                return refuse(out);
            p += 2;
        } else {
            return refuse(out);
        }
        if (n >= LIMIT_CLASS_CHILD_NAME_CHARS || n + 1 >= cap)
            return refuse(out);
        out[n++] = c;
    }
    out[n] = '\0';
    if (n == 0 || !skill_name_valid(out))
        return refuse(out);
    return true;
}

/* No 0/O, 1/I/L: read off a board by ten-year-olds. 31 characters. */
static const char code_alphabet[] = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

bool
class_join_code_new(char code[LIMIT_CLASS_CODE_CHARS + 1])
{
    const unsigned size = sizeof(code_alphabet) - 1;
    size_t n = 0;
    code[0] = '\0';
    while (n < LIMIT_CLASS_CODE_CHARS) {
        unsigned char b[16];
        if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
            return false;
        /* Rejection sampling, so every character is equally likely. */
        for (size_t i = 0; i < sizeof(b) && n < LIMIT_CLASS_CODE_CHARS; i++)
            if (b[i] < 256 - 256 % size)
                code[n++] = code_alphabet[b[i] % size];
    }
    code[n] = '\0';
    return true;
}

bool
class_join_code_matches(const char *code, const char *typed)
{
    size_t cn = strlen(code);
    const char *p = typed;
    while (*p == ' ')
        p++;
    size_t tn = strlen(p);
    while (tn > 0 && p[tn - 1] == ' ')
        tn--;
    unsigned diff = (unsigned)(tn != cn);
    for (size_t i = 0; i < cn; i++) {
        char t = i < tn ? p[i] : 0;
        if (t >= 'a' && t <= 'z')
            t = (char)(t - 'a' + 'A');
        diff |= (unsigned)(unsigned char)(t ^ code[i]);
    }
    return cn > 0 && diff == 0;
}

/* The starter skill of a child: a plain function, so it answers at once. */
static enum ss_err
write_starter(int dirfd, const char *folder, const char *shown, struct ss_error *err)
{
    char text[512];
    char safe[LIMIT_CLASS_CHILD_NAME_CHARS * 2 + 1];
    size_t k = 0;
    enum ss_err rc = SS_ERR_OK;

    /* The shown name goes into a Python string: letters and spaces only. */
    for (const char *p = shown; *p && k + 1 < sizeof(safe); p++)
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == ' ' ||
            (unsigned char)*p >= 0x80)
            safe[k++] = *p;
    safe[k] = '\0';
    int n = snprintf(text, sizeof(text),
                     "# %s's skill. Change what it says, then press Save.\n"
                     "# Try saying: hello\n"
                     "\n"
                     "def hello():\n"
                     "    return \"Hello! I am %s's skill.\"\n",
                     safe, safe);
    if (n < 0 || (size_t)n >= sizeof(text))
        return ss_fail(err, SS_ERR_IO, "the starter skill does not fit");

    int fd = -1;
    int sub = openat(dirfd, folder, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) {
        rc = ss_fail(err, SS_ERR_IO, "cannot open %s: %s", folder, strerror(errno));
        goto out;
    }
    fd = openat(sub, "skill.py", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = ss_fail(err, SS_ERR_IO, "cannot make %s/skill.py: %s", folder, strerror(errno));
        goto out;
    }
    if (write(fd, text, (size_t)n) != (ssize_t)n) {
        rc = ss_fail(err, SS_ERR_IO, "cannot write %s/skill.py", folder);
        goto out;
    }
out:
    if (fd >= 0 && close(fd) != 0 && rc == SS_ERR_OK)
        rc = ss_fail(err, SS_ERR_IO, "cannot write %s/skill.py: %s", folder, strerror(errno));
    if (sub >= 0)
        close(sub);
    return rc;
}

enum ss_err
class_folder_make(int dirfd, const char *folded, const char *shown, char *out, size_t cap,
                  struct ss_error *err)
{
    char name[CLASS_FOLDER_CHARS + 1];

    if (cap > 0)
        out[0] = '\0';
    if (strlen(folded) > LIMIT_CLASS_CHILD_NAME_CHARS || !skill_name_valid(folded))
        return ss_fail(err, SS_ERR_CLASS_NAME, "the folder name %.40s is not folded", folded);
    for (unsigned i = 1; i <= LIMIT_CLASS_CHILDREN + 1; i++) {
        int n = i == 1 ? snprintf(name, sizeof(name), "%s", folded)
                       : snprintf(name, sizeof(name), "%s%u", folded, i);
        if (n < 0 || (size_t)n >= sizeof(name) || (size_t)n >= cap)
            return ss_fail(err, SS_ERR_CLASS_NAME, "the folder name is too long");
        if (mkdirat(dirfd, name, 0700) != 0) {
            if (errno == EEXIST)
                continue;
            return ss_fail(err, SS_ERR_IO, "cannot make the folder %s: %s", name, strerror(errno));
        }
        enum ss_err rc = write_starter(dirfd, name, shown, err);
        if (rc != SS_ERR_OK)
            return rc;
        memcpy(out, name, (size_t)n + 1);
        return SS_ERR_OK;
    }
    return ss_fail(err, SS_ERR_CLASS_FULL, "every folder %s .. %s%d is taken", folded, folded,
                   LIMIT_CLASS_CHILDREN + 1);
}
