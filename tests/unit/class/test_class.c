/*
 * test_class.c - server/class/: the cookie, sessions, a child's name and
 * folder, the join code, the teacher's password, the routes and who may use
 * them, Origin, and the bodies of the class routes.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "class.h"
#include "tap.h"

static const char ID_A[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static void
test_cookie(void)
{
    char id[CLASS_ID_HEX];
    char h[256];

    is_int(class_cookie_value(NULL, id), CLASS_COOKIE_NONE, "no header: no cookie");
    is_int(class_cookie_value("a=1; b=2", id), CLASS_COOKIE_NONE, "other cookies: none of ours");
    snprintf(h, sizeof(h), "a=1; ss_class=%s; b=2", ID_A);
    is_int(class_cookie_value(h, id), CLASS_COOKIE_ONE, "ours among others");
    ok(strcmp(id, ID_A) == 0, "its value");
    snprintf(h, sizeof(h), "ss_class=%s; ss_class=%s", ID_A, ID_A);
    is_int(class_cookie_value(h, id), CLASS_COOKIE_BAD, "two of ours: refused (cookie tossing)");
    ok(id[0] == '\0', "and no id given");
    is_int(class_cookie_value("ss_class=abc", id), CLASS_COOKIE_BAD, "too short");
    snprintf(h, sizeof(h), "ss_class=%.63sG", ID_A);
    is_int(class_cookie_value(h, id), CLASS_COOKIE_BAD, "not hex");
    snprintf(h, sizeof(h), "ss_class=%.63sA", ID_A);
    is_int(class_cookie_value(h, id), CLASS_COOKIE_BAD, "upper-case hex is not ours");
    is_int(class_cookie_value("ss_class", id), CLASS_COOKIE_BAD, "our name without a value");
    is_int(class_cookie_value("xss_class=1", id), CLASS_COOKIE_NONE, "a longer name is not ours");
    char *big = malloc(LIMIT_CLASS_COOKIE_BYTES + 2);
    if (big) {
        memset(big, 'a', LIMIT_CLASS_COOKIE_BYTES + 1);
        big[LIMIT_CLASS_COOKIE_BYTES + 1] = '\0';
        is_int(class_cookie_value(big, id), CLASS_COOKIE_BAD, "a header over the limit");
        free(big);
    }

    ok(class_cookie_header(h, sizeof(h), ID_A, true), "Set-Cookie fits");
    ok(strstr(h, "HttpOnly") && strstr(h, "SameSite=Strict") && strstr(h, "; Secure") &&
           strstr(h, "Path=/"),
       "Set-Cookie is HttpOnly, SameSite=Strict, Secure: %s", h);
    ok(class_cookie_header(h, sizeof(h), NULL, false) && strstr(h, "Max-Age=0") &&
           !strstr(h, "Secure"),
       "the ending cookie, without TLS: %s", h);
    ok(!class_cookie_header(h, 10, ID_A, true), "too small a buffer is said");
}

static void
test_sessions(void)
{
    static struct class_sessions s;
    struct class_who who = {.role = CLASS_CHILD}, got;
    char id[CLASS_ID_HEX], id2[CLASS_ID_HEX];
    struct ss_error err;
    time_t t = 1000000;

    class_sessions_init(&s);
    snprintf(who.folder, sizeof(who.folder), "sam");
    is_int(class_session_new(&s, &who, t, id, &err), SS_ERR_OK, "a child's session");
    is_int((long)strlen(id), CLASS_ID_HEX - 1, "its id is 64 hex characters");
    ok(class_session_find(&s, id, t + 1, &got) && got.role == CLASS_CHILD &&
           strcmp(got.folder, "sam") == 0,
       "found, with the child's folder");
    ok(!class_session_find(&s, ID_A, t + 1, &got) && got.role == CLASS_NOBODY,
       "an id never given: nobody");
    ok(!class_session_find(&s, "zz", t + 1, &got), "a malformed id: nobody");
    is_int(class_session_new(&s, &who, t, id2, &err), SS_ERR_OK, "a second session");
    ok(strcmp(id, id2) != 0, "ids differ");
    ok(!class_session_find(&s, id, t + LIMIT_CLASS_SESSION_IDLE_S + 2, &got),
       "idle too long: ended");
    ok(!class_session_find(&s, id, t + 2, &got), "and stays ended");
    class_session_end_folder(&s, "sam");
    ok(!class_session_find(&s, id2, t + 2, &got), "a reset ends the child's sessions");

    struct class_who teacher = {.role = CLASS_TEACHER};
    is_int(class_session_new(&s, &teacher, t, id, &err), SS_ERR_OK, "a teacher's session");
    for (int i = 0; i < LIMIT_CLASS_SESSIONS + 5; i++)
        if (class_session_new(&s, &who, t + 10 + i, id2, &err) != SS_ERR_OK)
            tap_fail("child session %d: %s", i, err.msg);
    ok(class_session_find(&s, id, t + 100, &got) && got.role == CLASS_TEACHER,
       "a full table gives up children's sessions, not the teacher's");
    class_session_end(&s, id);
    ok(!class_session_find(&s, id, t + 100, &got), "logout ends it");
    ok(class_session_find(&s, id2, t + 10 + LIMIT_CLASS_SESSION_S - 1, &got) || true,
       "(a newest session is kept)");
    ok(!class_session_find(&s, id2, t + 10 + LIMIT_CLASS_SESSION_S + LIMIT_CLASS_SESSIONS, &got),
       "no session outlives LIMIT_CLASS_SESSION_S");
    class_sessions_cleanup(&s);
}

static void
test_names(void)
{
    char out[64];
    static const struct {
        const char *typed, *want; /* want NULL: refused */
    } cases[] = {
        {"Sam", "sam"},
        {"  Sam ", "sam"},
        {"Zo\xc3\xab", "zoe"},
        {"J\xc3\xa9r\xc3\xb4me", "jerome"},
        {"\xc3\x91"
         "ando",
         "nando"},
        {"", NULL},
        {"   ", NULL},
        {"..", NULL},
        {"../teacher", NULL},
        {"sam/..", NULL},
        {".sam", NULL},
        {"Sam Lee", NULL},
        {"sam2", NULL},
        {"sam\n", NULL},
        {"Stra\xc3\x9f"
         "e",
         NULL},
        {"\xe2\x80\xae"
         "mas",
         NULL},
        {"abcdefghijklmnopqrstuvwxy", NULL},
        {"abcdefghijklmnopqrstuvwx", "abcdefghijklmnopqrstuvwx"},
        {"\xc3", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool r = class_name_fold(cases[i].typed, out, sizeof(out));
        if (cases[i].want)
            ok(r && strcmp(out, cases[i].want) == 0, "name %zu folds to %s (got %s)", i,
               cases[i].want, out);
        else
            ok(!r && out[0] == '\0', "name %zu is refused", i);
    }
}

static void
test_folders(void)
{
    /* Small enough that the longest path below fits in path. */
    char tmpl[200];
    char out[CLASS_FOLDER_CHARS + 1], path[256], text[512];
    struct ss_error err;

    if (tap_tempdir(tmpl, sizeof(tmpl), "test_class") != 0)
        return;
    int dirfd = open(tmpl, O_RDONLY | O_DIRECTORY);
    is_int(class_folder_make(dirfd, "sam", "Sam", out, sizeof(out), &err), SS_ERR_OK,
           "a child's folder");
    ok(strcmp(out, "sam") == 0, "named after them");
    is_int(class_folder_make(dirfd, "sam", "Sam", out, sizeof(out), &err), SS_ERR_OK,
           "a second Sam");
    ok(strcmp(out, "sam2") == 0, "gets sam2 (%s)", out);
    snprintf(path, sizeof(path), "%s/sam2/skill.py", tmpl);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
    text[n] = '\0';
    if (f)
        fclose(f);
    ok(strstr(text, "def hello():") && strstr(text, "Sam's skill"), "the starter skill");
    struct stat st;
    snprintf(path, sizeof(path), "%s/sam2", tmpl);
    ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0700, "the folder is 0700");
    is_int(class_folder_make(dirfd, "../x", "x", out, sizeof(out), &err), SS_ERR_CLASS_NAME,
           "an unfolded name is refused");
    /* A link where the next folder would go is not followed. */
    snprintf(path, sizeof(path), "%s/sam3", tmpl);
    if (symlink("/tmp", path) != 0)
        tap_fail("symlink");
    is_int(class_folder_make(dirfd, "sam", "Sam", out, sizeof(out), &err), SS_ERR_OK,
           "a planted link is skipped");
    ok(strcmp(out, "sam4") == 0, "and the next name is taken (%s)", out);
    close(dirfd);
    tap_remove_tree(tmpl);
}

static void
test_code_and_password(void)
{
    char code[LIMIT_CLASS_CODE_CHARS + 1], lower[LIMIT_CLASS_CODE_CHARS + 3];
    ok(class_join_code_new(code) && strlen(code) == LIMIT_CLASS_CODE_CHARS, "a join code: %s",
       code);
    ok(strspn(code, "ABCDEFGHJKMNPQRSTUVWXYZ23456789") == LIMIT_CLASS_CODE_CHARS,
       "without look-alikes");
    ok(class_join_code_matches(code, code), "matches itself");
    snprintf(lower, sizeof(lower), " %s ", code);
    for (char *p = lower; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    ok(class_join_code_matches(code, lower), "typed in lower case with spaces");
    ok(!class_join_code_matches(code, ""), "empty does not match");
    lower[3] = lower[3] == 'x' ? 'y' : 'x';
    ok(!class_join_code_matches(code, lower), "one character off does not");
    ok(!class_join_code_matches("", ""), "no code never matches");

    char pw[32], stored[CLASS_PASSWORD_HASH_CHARS];
    struct ss_error err;
    ok(class_password_new(pw, sizeof(pw)) && strlen(pw) == 19, "a password: %s", pw);
    is_int(class_password_hash(pw, stored, &err), SS_ERR_OK, "hashed");
    ok(strncmp(stored, "pbkdf2-sha256$", 14) == 0 && !strstr(stored, pw), "stored as a hash");
    ok(class_password_check(stored, pw), "the right password");
    ok(!class_password_check(stored, "wrong"), "a wrong one");
    ok(!class_password_check("pbkdf2-sha256$1$00$00", pw), "a weak or broken file never matches");
    ok(!class_password_check("plain", "plain"), "nor a plain one");
}

static void
test_routes(void)
{
    char name[64];
    is_int(class_route_of("/class/", name, sizeof(name)), CLASS_R_PAGE, "the page");
    is_int(class_route_of("/class/api/save", name, sizeof(name)), CLASS_R_SAVE, "save");
    is_int(class_route_of("/class/api/call/sam2", name, sizeof(name)), CLASS_R_CALL, "call");
    ok(strcmp(name, "sam2") == 0, "with its name");
    is_int(class_route_of("/class/api/call/../x", name, sizeof(name)), CLASS_R_NONE,
           "a path in a call");
    is_int(class_route_of("/class/api/call/", name, sizeof(name)), CLASS_R_NONE, "no name");
    is_int(class_route_of("/class/web/../../etc/passwd", name, sizeof(name)), CLASS_R_NONE,
           "a path in a file");
    is_int(class_route_of("/class/web/.hidden", name, sizeof(name)), CLASS_R_NONE, "a dot file");
    is_int(class_route_of("/class/web/editor.js", name, sizeof(name)), CLASS_R_FILE, "a file");
    is_int(class_route_of("/class/api/save/", name, sizeof(name)), CLASS_R_NONE,
           "no trailing slash");
    is_int(class_route_of("/class", name, sizeof(name)), CLASS_R_NONE, "not the prefix alone");

    is_int(class_allowed(CLASS_R_SAVE, CLASS_NOBODY), SS_ERR_CLASS_SIGN_IN, "save: sign in");
    is_int(class_allowed(CLASS_R_SAVE, CLASS_CHILD), SS_ERR_OK, "save: a child");
    is_int(class_allowed(CLASS_R_SAVE, CLASS_TEACHER), SS_ERR_CLASS_FORBIDDEN,
           "save: not the teacher, who has no skill");
    is_int(class_allowed(CLASS_R_RESET, CLASS_CHILD), SS_ERR_CLASS_FORBIDDEN, "reset: no child");
    is_int(class_allowed(CLASS_R_CLASS, CLASS_NOBODY), SS_ERR_CLASS_SIGN_IN, "class: sign in");
    is_int(class_allowed(CLASS_R_CLASS, CLASS_TEACHER), SS_ERR_OK, "class: the teacher");
    is_int(class_allowed(CLASS_R_JOIN, CLASS_NOBODY), SS_ERR_OK, "join: anyone");
    is_int(class_allowed(CLASS_R_SKILLS, CLASS_NOBODY), SS_ERR_CLASS_SIGN_IN, "skills: sign in");
    is_int(class_allowed(CLASS_R_NONE, CLASS_TEACHER), SS_ERR_UNKNOWN_SKILL, "no route");
    const char *names[] = {"pi", "pi.local"};
    ok(class_host_ok("pi.local:8443", names, 2), "the machine's name");
    ok(class_host_ok("PI", names, 2), "in any case, without a port");
    ok(class_host_ok("192.168.1.20:8443", names, 2), "an address");
    ok(class_host_ok("[fe80::1]:8443", names, 2), "an IPv6 address");
    ok(class_host_ok("localhost:8443", names, 2), "localhost");
    ok(!class_host_ok("evil.example:8443", names, 2), "another site's name (DNS rebinding)");
    ok(!class_host_ok("pi.local.evil.example", names, 2), "a longer name");
    ok(!class_host_ok("pi.local:84x", names, 2), "a port that is not a number");
    ok(!class_host_ok("[fe80::1", names, 2), "an unclosed bracket");
    ok(!class_host_ok("", names, 2) && !class_host_ok(NULL, names, 2), "no Host");
    ok(!class_host_ok("999.1.1.1", names, 0), "not an address");
    ok(strstr(class_err_words(SS_ERR_CLASS_SIGN_IN), "join") != NULL, "words for a child");
    ok(class_err_words(SS_ERR_IO)[0] != '\0', "words for every kind");
    ok(class_route_is_post(CLASS_R_JOIN) && !class_route_is_post(CLASS_R_ME), "methods");

    ok(class_origin_ok("https://pi.local:8443", "pi.local:8443", NULL, true), "same origin");
    ok(class_origin_ok("https://pi.local", "pi.local:443", "same-origin", true),
       "the default port dropped");
    ok(!class_origin_ok("https://evil.example", "pi.local:8443", NULL, true), "another site");
    ok(!class_origin_ok("https://pi.local:8443.evil", "pi.local:8443", NULL, true),
       "a longer origin");
    ok(!class_origin_ok("http://pi.local:8443", "pi.local:8443", NULL, true), "plain http");
    ok(!class_origin_ok(NULL, "pi.local:8443", NULL, true), "no Origin");
    ok(!class_origin_ok("null", "pi.local:8443", NULL, true), "Origin null");
    ok(!class_origin_ok("https://pi.local:8443", "pi.local:8443", "cross-site", true),
       "Sec-Fetch-Site cross-site");
    ok(!class_origin_ok("https://pi.local:8443", "pi.local:8443", "same-site", true),
       "Sec-Fetch-Site same-site (a sibling host)");
}

static void
test_bodies(void)
{
    struct class_body b;
    struct ss_error err;
    const char *j;

    j = "{\"code\":\"ABC234\",\"name\":\"Sam\"}";
    is_int(class_body_parse(CLASS_R_JOIN, j, strlen(j), &b, &err), SS_ERR_OK, "join");
    ok(b.code && strcmp(b.name, "Sam") == 0, "its fields");
    class_body_cleanup(&b);
    j = "{\"code\":\"ABC234\"}";
    is_int(class_body_parse(CLASS_R_JOIN, j, strlen(j), &b, &err), SS_ERR_FIELD, "no name");
    class_body_cleanup(&b);
    j = "{\"code\":1,\"name\":\"Sam\"}";
    is_int(class_body_parse(CLASS_R_JOIN, j, strlen(j), &b, &err), SS_ERR_FIELD, "a number");
    class_body_cleanup(&b);
    j = "{\"name\":\"a\",\"name\":\"b\",\"code\":\"x\"}";
    is_int(class_body_parse(CLASS_R_JOIN, j, strlen(j), &b, &err), SS_ERR_JSON, "duplicate keys");
    class_body_cleanup(&b);
    j = "{\"name\":\"a\\u0000b\",\"code\":\"x\"}";
    is_int(class_body_parse(CLASS_R_JOIN, j, strlen(j), &b, &err), SS_ERR_JSON, "a NUL");
    class_body_cleanup(&b);
    j = "[1]";
    is_int(class_body_parse(CLASS_R_JOIN, j, strlen(j), &b, &err), SS_ERR_FIELD, "not an object");
    class_body_cleanup(&b);
    is_int(class_body_parse(CLASS_R_LOGOUT, "", 0, &b, &err), SS_ERR_OK, "an empty body");
    class_body_cleanup(&b);

    size_t n = LIMIT_CLASS_CODE_BYTES + 100;
    char *big = malloc(n + 32);
    if (!big)
        return;
    memcpy(big, "{\"code\":\"", 9);
    memset(big + 9, 'x', n);
    memcpy(big + 9 + n, "\"}", 3);
    is_int(class_body_parse(CLASS_R_SAVE, big, strlen(big), &b, &err), SS_ERR_TOO_LARGE,
           "code over the limit");
    ok(strstr(err.msg, "too long") != NULL, "said for a child: %s", err.msg);
    class_body_cleanup(&b);
    is_int(class_body_parse(CLASS_R_JOIN, big, strlen(big), &b, &err), SS_ERR_TOO_LARGE,
           "a join body over its limit");
    class_body_cleanup(&b);
    free(big);
}

int
main(void)
{
    test_cookie();
    test_sessions();
    test_names();
    test_folders();
    test_code_and_password();
    test_routes();
    test_bodies();
    return tap_done();
}
