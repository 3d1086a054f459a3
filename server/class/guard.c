/*
 * guard.c - the class's routes, who may use each, whether a state-changing
 * request comes from the class's own page, and the bodies the routes take.
 *
 * front routes every path under /class/ here before it reads a body, and
 * refuses what class_allowed() and class_origin_ok() refuse; the table of
 * routes below is the one place that says which route is whose.
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <string.h>
#include <strings.h>

#include "class.h"
#include "skill.h"

struct route_rule {
    const char *path;
    enum class_route route;
    bool post;
    enum class_role needs; /* the least role: NOBODY, CHILD (a child or the teacher), TEACHER */
    bool own_skill;        /* acts on the caller's own skill: a teacher has none */
};

static const struct route_rule rules[] = {
    {"/class/", CLASS_R_PAGE, false, CLASS_NOBODY, false},
    {"/class/teacher", CLASS_R_TEACHER, false, CLASS_NOBODY, false},
    {"/class/api/join", CLASS_R_JOIN, true, CLASS_NOBODY, false},
    {"/class/api/login", CLASS_R_LOGIN, true, CLASS_NOBODY, false},
    {"/class/api/logout", CLASS_R_LOGOUT, true, CLASS_NOBODY, false},
    {"/class/api/me", CLASS_R_ME, false, CLASS_CHILD, true},
    {"/class/api/save", CLASS_R_SAVE, true, CLASS_CHILD, true},
    {"/class/api/turn", CLASS_R_TURN, true, CLASS_CHILD, true},
    {"/class/api/skills", CLASS_R_SKILLS, false, CLASS_CHILD, false},
    {"/class/api/class", CLASS_R_CLASS, false, CLASS_TEACHER, false},
    {"/class/api/create", CLASS_R_CREATE, true, CLASS_TEACHER, false},
    {"/class/api/reset", CLASS_R_RESET, true, CLASS_TEACHER, false},
    {"/class/api/share", CLASS_R_SHARE, true, CLASS_TEACHER, false},
    /* Prefix routes, matched by class_route_of() itself. */
    {"/class/web/", CLASS_R_FILE, false, CLASS_NOBODY, false},
    {"/class/api/call/", CLASS_R_CALL, true, CLASS_NOBODY, false},
};

static const struct route_rule *
rule_of(enum class_route route)
{
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
        if (rules[i].route == route)
            return &rules[i];
    return NULL;
}

enum class_route
class_route_of(const char *path, char *name, size_t cap)
{
    static const char web[] = "/class/web/";
    static const char call[] = "/class/api/call/";

    if (cap > 0)
        name[0] = '\0';
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
        if (rules[i].route != CLASS_R_FILE && rules[i].route != CLASS_R_CALL &&
            strcmp(path, rules[i].path) == 0)
            return rules[i].route;
    const char *n = NULL;
    enum class_route r = CLASS_R_NONE;
    if (strncmp(path, web, sizeof(web) - 1) == 0) {
        n = path + sizeof(web) - 1;
        r = CLASS_R_FILE;
        /* A file's base name: the table of compiled-in files decides the rest. */
        if (!*n || n[0] == '.' || strspn(n, "abcdefghijklmnopqrstuvwxyz0123456789_-.") != strlen(n))
            return CLASS_R_NONE;
    } else if (strncmp(path, call, sizeof(call) - 1) == 0) {
        n = path + sizeof(call) - 1;
        r = CLASS_R_CALL;
        if (strlen(n) > CLASS_FOLDER_CHARS || !skill_name_valid(n))
            return CLASS_R_NONE;
    } else {
        return CLASS_R_NONE;
    }
    if (strlen(n) >= cap)
        return CLASS_R_NONE;
    memcpy(name, n, strlen(n) + 1);
    return r;
}

bool
class_route_is_post(enum class_route route)
{
    const struct route_rule *r = rule_of(route);
    return r && r->post;
}

enum ss_err
class_allowed(enum class_route route, enum class_role role)
{
    const struct route_rule *r = rule_of(route);
    if (!r)
        return SS_ERR_UNKNOWN_SKILL;
    if (r->needs == CLASS_NOBODY)
        return SS_ERR_OK;
    if (role == CLASS_NOBODY)
        return SS_ERR_CLASS_SIGN_IN;
    if (r->needs == CLASS_TEACHER && role != CLASS_TEACHER)
        return SS_ERR_CLASS_FORBIDDEN;
    if (r->own_skill && role != CLASS_CHILD)
        return SS_ERR_CLASS_FORBIDDEN;
    return SS_ERR_OK;
}

bool
class_origin_ok(const char *origin, const char *host, const char *sec_fetch_site, bool tls)
{
    const char *scheme = tls ? "https://" : "http://";
    size_t sn = strlen(scheme);

    if (!origin || !host || !*host)
        return false;
    if (sec_fetch_site && strcmp(sec_fetch_site, "same-origin") != 0)
        return false;
    /* The Origin is serialised by the browser: scheme, host, port if not
     * the default; Host is what the browser connected to. Equal bytes, or
     * not ours ("null" from a sandboxed frame or a file: page included). */
    if (strncmp(origin, scheme, sn) != 0)
        return false;
    const char *o = origin + sn;
    size_t hn = strlen(host);
    const char *default_port = tls ? ":443" : ":80";
    if (strcmp(o, host) == 0)
        return true;
    /* Host "name:443" against Origin "https://name" (the browser drops the default port). */
    size_t dn = strlen(default_port);
    return hn > dn && strcmp(host + hn - dn, default_port) == 0 && strlen(o) == hn - dn &&
           strncmp(o, host, hn - dn) == 0;
}

/* The words for a code too long name the limit. */
_Static_assert(LIMIT_CLASS_CODE_BYTES == 64 * 1024, "class_err_words() says 64 KB");

const char *
class_err_words(enum ss_err code)
{
    switch (code) {
    case SS_ERR_OK:
        return "";
    case SS_ERR_CLASS_SIGN_IN:
        return "Please join the class first.";
    case SS_ERR_CLASS_FORBIDDEN:
        return "Only the teacher can do that.";
    case SS_ERR_CLASS_CROSS_SITE:
        return "This page can only be used from the class's own page.";
    case SS_ERR_CLASS_CODE:
        return "That code is not right. Look at the board and try again.";
    case SS_ERR_CLASS_NAME:
        return "Please type just your first name, with letters only.";
    case SS_ERR_CLASS_FULL:
        return "The class is full. Ask your teacher.";
    case SS_ERR_CLASS_TRIES:
        return "Too many wrong tries. Wait a minute and try again.";
    case SS_ERR_TOO_LARGE:
        return "Your code is too long for the class server (the limit is 64 KB).";
    case SS_ERR_UNKNOWN_SKILL:
        return "There is nothing here. Check the address.";
    default:
        return "Something went wrong. Ask your teacher.";
    }
}

bool
class_host_ok(const char *host, const char *const *names, size_t count)
{
    char name[256];
    unsigned char addr[16];

    if (!host || !*host)
        return false;
    size_t n = strlen(host);
    if (host[0] == '[') {
        /* [IPv6]:PORT */
        const char *close = strchr(host, ']');
        if (!close || (size_t)(close - host - 1) >= sizeof(name))
            return false;
        memcpy(name, host + 1, (size_t)(close - host - 1));
        name[close - host - 1] = '\0';
        if (close[1] && (close[1] != ':' || strspn(close + 2, "0123456789") != strlen(close + 2)))
            return false;
        return inet_pton(AF_INET6, name, addr) == 1;
    }
    const char *colon = strchr(host, ':');
    size_t len = colon ? (size_t)(colon - host) : n;
    if (len == 0 || len >= sizeof(name))
        return false;
    if (colon && (!colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1)))
        return false;
    memcpy(name, host, len);
    name[len] = '\0';
    if (inet_pton(AF_INET, name, addr) == 1 || strcasecmp(name, "localhost") == 0)
        return true;
    for (size_t i = 0; i < count; i++)
        if (names[i] && strcasecmp(name, names[i]) == 0)
            return true;
    return false;
}

/* A string field: absent is fine (NULL); present and not a string is not. */
static bool
get_string(json_t *root, const char *key, const char **out)
{
    json_t *v = json_object_get(root, key); /* borrowed */
    *out = NULL;
    if (!v)
        return true;
    if (!json_is_string(v))
        return false;
    *out = json_string_value(v);
    return true;
}

static bool
get_bool(json_t *root, const char *key, bool *out)
{
    json_t *v = json_object_get(root, key); /* borrowed */
    *out = false;
    if (!v)
        return true;
    if (!json_is_boolean(v))
        return false;
    *out = json_is_true(v);
    return true;
}

enum ss_err
class_body_parse(enum class_route route, const char *body, size_t len, struct class_body *out,
                 struct ss_error *err)
{
    json_error_t jerr;
    size_t limit = route == CLASS_R_SAVE ? LIMIT_CLASS_CODE_BYTES + LIMIT_CLASS_JSON_BYTES
                                         : LIMIT_CLASS_JSON_BYTES;

    memset(out, 0, sizeof(*out));
    if (len > limit)
        return ss_fail(err, SS_ERR_TOO_LARGE, "the body is larger than %zu bytes", limit);
    /* An empty body is an empty object: logout, and a turn said in silence. */
    if (len == 0) {
        body = "{}";
        len = 2;
    }
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr); /* owned */
    if (!root)
        return ss_fail(err, SS_ERR_JSON, "the body is not JSON: %.200s", jerr.text);
    out->doc = root;
    if (!json_is_object(root))
        return ss_fail(err, SS_ERR_FIELD, "the body is not a JSON object");
    if (!get_string(root, "code", &out->code) || !get_string(root, "name", &out->name) ||
        !get_string(root, "password", &out->password) || !get_string(root, "text", &out->text) ||
        !get_bool(root, "anyone", &out->anyone) || !get_bool(root, "attributes", &out->attributes))
        return ss_fail(err, SS_ERR_FIELD, "a field of the body has the wrong type");

    bool missing = false;
    switch (route) {
    case CLASS_R_JOIN:
        missing = !out->code || !out->name;
        break;
    case CLASS_R_LOGIN:
        missing = !out->password;
        break;
    case CLASS_R_SAVE:
        missing = !out->code;
        if (!missing && strlen(out->code) > LIMIT_CLASS_CODE_BYTES)
            return ss_fail(err, SS_ERR_TOO_LARGE,
                           "Your code is too long for the class server (the limit is %d KB).",
                           LIMIT_CLASS_CODE_BYTES / 1024);
        break;
    case CLASS_R_TURN:
    case CLASS_R_CALL:
        missing = !out->text;
        break;
    case CLASS_R_RESET:
    case CLASS_R_SHARE:
        missing = !out->name;
        break;
    default:
        break;
    }
    if (missing)
        return ss_fail(err, SS_ERR_FIELD, "a field this request needs is missing");
    return SS_ERR_OK;
}

void
class_body_cleanup(struct class_body *b)
{
    if (!b)
        return;
    json_decref((json_t *)b->doc);
    memset(b, 0, sizeof(*b));
}
