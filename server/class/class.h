/*
 * class.h - serve --class: the class, its people and what each may do
 * (server/class/README). front asks this part, for every request under
 * /class/, who the browser is (a session cookie) and whether it may do what
 * it asks; the decisions here are pure functions of strings, so unit tests
 * and fuzz targets call them without a socket.
 *
 * What must stay true:
 * - No function here joins a string from a client to a path. A child's
 *   folder name comes only from class_name_fold(), and routes that name a
 *   skill look it up in the roster.
 * - A session id exists in memory only as its SHA-256; ids are compared
 *   with CRYPTO_memcmp, and so is the teacher password's hash.
 * - Every function that can fail returns enum ss_err and writes a sentence
 *   into a caller-owned struct ss_error; reporting never allocates.
 *
 * Threads: struct class_sessions and struct class_roster each carry a mutex
 * and may be used from any thread; the pure functions are reentrant.
 */
#ifndef SKILLSERVER_CLASS_H
#define SKILLSERVER_CLASS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "error.h"
#include "ss_limits.h"

/* ---- session.c: sessions and their cookie ---- */

/* The cookie's name. */
#define CLASS_COOKIE "ss_class"

/* An id is 32 random bytes, sent as 64 hex characters (and a NUL). */
#define CLASS_ID_BYTES 32
#define CLASS_ID_HEX (2 * CLASS_ID_BYTES + 1)

/* The folder name of a child: a folded first name and a number. */
#define CLASS_FOLDER_CHARS (LIMIT_CLASS_CHILD_NAME_CHARS + 4)

enum class_role {
    CLASS_NOBODY = 0, /* no session: the join and login pages, shared skills */
    CLASS_CHILD,
    CLASS_TEACHER,
};

/* Who a request comes from. */
struct class_who {
    enum class_role role;
    char folder[CLASS_FOLDER_CHARS + 1]; /* CLASS_CHILD: their skill's folder */
};

struct class_session {
    unsigned char hash[32]; /* SHA-256 of the id; all zero: a free entry */
    struct class_who who;
    time_t created;
    time_t seen;
};

struct class_sessions {
    pthread_mutex_t lock;
    struct class_session items[LIMIT_CLASS_SESSIONS];
};

/* What a Cookie header says about ours. */
enum class_cookie {
    CLASS_COOKIE_NONE, /* no ss_class cookie */
    CLASS_COOKIE_ONE,  /* exactly one, well formed: in id */
    CLASS_COOKIE_BAD,  /* malformed, or more than one (cookie tossing): refused */
};

/* Read the ss_class cookie of a Cookie header (NULL: none) into id (64 hex
 * characters and a NUL). Headers longer than LIMIT_CLASS_COOKIE_BYTES are
 * BAD. Pure. */
enum class_cookie class_cookie_value(const char *header, char id[CLASS_ID_HEX]);

/* The Set-Cookie value of session id (NULL: the one that ends the session)
 * into out; secure adds Secure (every class server with TLS). Returns false
 * when cap is too small. */
bool class_cookie_header(char *out, size_t cap, const char *id, bool secure);

/* Set up and tear down a table. */
void class_sessions_init(struct class_sessions *s);
void class_sessions_cleanup(struct class_sessions *s);

/* A new session for who at now; its id (hex) into id. A full table gives
 * up its oldest child session (never a teacher's); SS_ERR_CLASS_FULL when
 * every entry is a teacher's, SS_ERR_IO when getrandom() fails. */
enum ss_err class_session_new(struct class_sessions *s, const struct class_who *who, time_t now,
                              char id[CLASS_ID_HEX], struct ss_error *err);

/* The session of id at now into who (and seen updated); false, with who
 * set to CLASS_NOBODY, when there is none or it expired (then it is freed). */
bool class_session_find(struct class_sessions *s, const char *id, time_t now,
                        struct class_who *who);

/* End the session of id; end every session of a child's folder (a reset,
 * a child removed). */
void class_session_end(struct class_sessions *s, const char *id);
void class_session_end_folder(struct class_sessions *s, const char *folder);

/* ---- roster.c: a child's name and folder, the join code ---- */

/* Fold a typed first name to a folder name: ASCII letters, lower case,
 * Latin-1 accented letters to their base letter, surrounding spaces
 * dropped. False for anything else (digits, '.', '/', inner spaces, more
 * than LIMIT_CLASS_CHILD_NAME_CHARS letters, nothing left). Pure. */
bool class_name_fold(const char *typed, char *out, size_t cap);

/* A new join code: LIMIT_CLASS_CODE_CHARS characters from an alphabet
 * without look-alikes (no 0/O, 1/I/L). False when getrandom() fails. */
bool class_join_code_new(char code[LIMIT_CLASS_CODE_CHARS + 1]);

/* Whether typed is code, ignoring case and spaces around it; constant time
 * in the code's length. Pure. */
bool class_join_code_matches(const char *code, const char *typed);

/* Make a child's folder NAME under the directory dirfd (DATA/class/skills),
 * 0700, with the starter skill.py for shown (the typed name), without
 * following a symbolic link; the folder is taken: NAME, NAME2, NAME3, ...
 * the first that does not exist, into out. */
enum ss_err class_folder_make(int dirfd, const char *folded, const char *shown, char *out,
                              size_t cap, struct ss_error *err);

/* ---- password.c: the teacher's password ---- */

/* The stored form: "pbkdf2-sha256$ITER$SALT$HASH", hex. */
#define CLASS_PASSWORD_HASH_CHARS 160

/* A new password for people to type (letters and digits in groups, ~80
 * bits), into out. False when getrandom() fails or cap is too small. */
bool class_password_new(char *out, size_t cap);

/* The stored form of password, with a new salt. */
enum ss_err class_password_hash(const char *password, char out[CLASS_PASSWORD_HASH_CHARS],
                                struct ss_error *err);

/* Whether password matches stored; the hashes compared in constant time.
 * A stored form that does not parse never matches. */
bool class_password_check(const char *stored, const char *password);

/* ---- guard.c: the routes and who may use them; Origin; bodies ---- */

enum class_route {
    CLASS_R_NONE = 0,
    CLASS_R_PAGE,    /* GET /class/ */
    CLASS_R_TEACHER, /* GET /class/teacher */
    CLASS_R_FILE,    /* GET /class/web/FILE */
    CLASS_R_JOIN,    /* POST /class/api/join */
    CLASS_R_LOGIN,   /* POST /class/api/login */
    CLASS_R_LOGOUT,  /* POST /class/api/logout */
    CLASS_R_ME,      /* GET /class/api/me */
    CLASS_R_SAVE,    /* POST /class/api/save */
    CLASS_R_TURN,    /* POST /class/api/turn */
    CLASS_R_CALL,    /* POST /class/api/call/NAME */
    CLASS_R_SKILLS,  /* GET /class/api/skills */
    CLASS_R_CLASS,   /* GET /class/api/class */
    CLASS_R_CREATE,  /* POST /class/api/create */
    CLASS_R_RESET,   /* POST /class/api/reset */
    CLASS_R_SHARE,   /* POST /class/api/share */
};

/* The route of a path (no query string), and the name it carries (the
 * file of CLASS_R_FILE, the skill of CLASS_R_CALL: valid as a skill name,
 * nothing more) into name. CLASS_R_NONE for anything else. Pure. */
enum class_route class_route_of(const char *path, char *name, size_t cap);

/* Whether the route is a POST (state-changing) one; the others are GET. */
bool class_route_is_post(enum class_route route);

/* Whether who may use route; SS_ERR_OK, SS_ERR_CLASS_SIGN_IN (no session
 * where one is needed) or SS_ERR_CLASS_FORBIDDEN (a child on a teacher's
 * route, a teacher on a child's own skill). CLASS_R_CALL of a skill not
 * shared with anyone is decided by the caller once the skill is known:
 * here it is allowed to everyone. Pure. */
enum ss_err class_allowed(enum class_route route, enum class_role role);

/* Whether a state-changing request comes from the class's own page: origin
 * (the Origin header, required) must be "https://HOST" (or "http://" when
 * !tls) for host the Host header of the request, and sec_fetch_site (NULL
 * when not sent) "same-origin". host must be one the server answers to,
 * which the caller has checked. Pure. */
bool class_origin_ok(const char *origin, const char *host, const char *sec_fetch_site, bool tls);

/* The sentence a child (or the teacher) reads for a refusal of kind code:
 * words a ten-year-old can act on. Never NULL; "" for OK. */
const char *class_err_words(enum ss_err code);

/* Whether host (a Host header: NAME or ADDRESS, with or without ":PORT") is
 * one this class server answers to: an IP address literal (what is typed on
 * a class's network), "localhost", or one of names (the machine's names and
 * --class-host), case-insensitively. A name of another site pointed at this
 * machine (DNS rebinding) is refused, so a page of that site is never the
 * class's own origin. Pure. */
bool class_host_ok(const char *host, const char *const *names, size_t count);

/* The fields of a class route's JSON body (all borrowed from a document the
 * caller frees with class_body_cleanup()). */
struct class_body {
    void *doc; /* json_t *, owned */
    const char *code;
    const char *name;
    const char *password;
    const char *text; /* save: the child's code; turn: what they said */
    bool anyone;      /* share */
    bool attributes;  /* reset: clear the stored attributes too */
};

/* Parse the body of route (at most the route's limit: LIMIT_CLASS_CODE_BYTES
 * for save, LIMIT_CLASS_JSON_BYTES for the others; SS_ERR_TOO_LARGE past
 * it). Every field must have its type; strings must be UTF-8 without NUL;
 * unknown keys are ignored. The fields a route needs must be present
 * (SS_ERR_FIELD). */
enum ss_err class_body_parse(enum class_route route, const char *body, size_t len,
                             struct class_body *out, struct ss_error *err);
void class_body_cleanup(struct class_body *b);

#endif
