/*
 * room.h - one class on one server (server/class/README): its folders under
 * DATA/class/, roster, join code, teacher's password, sessions and cap on
 * workers, and class_answer(), which answers a request under /class/ that
 * front has read. front owns the socket and serves the pages' files; this
 * part decides who may have them.
 *
 * Threads: class_answer() and the slot functions from any thread;
 * open/close from the main thread before and after the server runs.
 */
#ifndef SKILLSERVER_CLASS_ROOM_H
#define SKILLSERVER_CLASS_ROOM_H

#include <stdbool.h>
#include <stdint.h>

#include "class.h"
#include "pool.h"
#include "say.h"
#include "skill.h"
#include "store.h"

struct class_room_config {
    const char *data_dir; /* DATA: the class is DATA/class/ */
    const char *password; /* --class-password (or "@FILE"); NULL: teacher.hash or a new one */
    int workers;          /* the class's cap on worker processes at once */
    bool tls;             /* cookies are Secure; Origin is https:// */
    const char *hosts;    /* --class-host: more names the server answers to, comma-separated */
};

struct class_turn {
    char said[128];
    char heard[256];
};

struct class_child {
    char folder[CLASS_FOLDER_CHARS + 1];
    char shown[LIMIT_CLASS_CHILD_NAME_CHARS + 1]; /* the name as typed (UTF-8, cut) */
    bool anyone;                                  /* the teacher shared it beyond the class */
    bool slow; /* its last turn ran to the soft deadline: it waits for the slow slots */
    struct class_turn recent[LIMIT_CLASS_RECENT_TURNS];
    unsigned next_turn;
};

struct class_tries {
    char client[64];
    time_t minute;
    unsigned count;
};

struct class_room {
    pthread_mutex_t lock;                  /* the roster, the code, the recent turns, the tries */
    int data_fd;                           /* DATA/class */
    int skills_fd;                         /* DATA/class/skills: the server's skills folder */
    char code[LIMIT_CLASS_CODE_CHARS + 1]; /* "" until the teacher makes the class */
    char password_hash[CLASS_PASSWORD_HASH_CHARS];
    struct class_child children[LIMIT_CLASS_CHILDREN];
    size_t count;
    struct class_tries tries[64];
    struct class_sessions sessions;
    bool tls;
    /* The names a Host may give besides addresses and localhost: this
     * machine's (NAME, NAME.local) and --class-host's. */
    char host_names[8][256];
    const char *host_list[8];
    size_t host_count;
    struct pool *pool; /* borrowed, set by front once the pool exists */

    pthread_mutex_t cap_lock;
    pthread_cond_t cap_cond;
    int cap;       /* worker processes of the class at once */
    int busy;      /* under cap_lock */
    int busy_slow; /* of them, turns of slow skills: at most an eighth of the cap */
};

/* One request under /class/, as front read it (everything borrowed). */
struct class_call {
    enum class_route route;
    const char *path; /* for the log */
    const char *name; /* the route's name (CLASS_R_CALL, CLASS_R_FILE) */
    bool post;        /* the method is POST (else GET or HEAD) */
    const char *cookie, *origin, *host, *sec_fetch_site;
    const char *client; /* the client's address, for the log and the tries */
    const char *body;
    size_t len;
    time_t now;
    /* What a turn runs with. */
    const struct say_config *say;
    struct skill_set *skills;
    struct store *store;
};

/* What to send back. */
struct class_reply {
    int status; /* 0 with page: front serves the page or file */
    char *body; /* JSON, owned */
    size_t len;
    bool have_cookie; /* send Set-Cookie: cookie */
    char cookie[192];
    bool reload; /* a skill's files changed: reload the skill set now */
    bool page;   /* allowed: front serves the page or file of the route */
    enum class_role role;
};

/* The pages' files (web/), compiled in by ssml/embed_schema.py. */
struct class_files_entry {
    const char *name; /* base name: "index.html" */
    const char *text; /* NUL-terminated */
    size_t len;       /* without the NUL */
};
extern const struct class_files_entry class_files[];
extern const size_t class_files_count;

/* The compiled-in file called name, or NULL; *type gets its Content-Type. */
const struct class_files_entry *class_file(const char *name, const char **type);

/* The file front serves for an allowed page route: index.html for
 * CLASS_R_PAGE, teacher.html for CLASS_R_TEACHER, name for CLASS_R_FILE. */
const char *class_page_name(enum class_route route, const char *name);

/* Open DATA/class/ (made 0700 when missing), read the roster and set up the
 * teacher's password (printing a new one once). */
enum ss_err class_room_open(struct class_room *room, const struct class_room_config *cfg,
                            struct ss_error *err);
void class_room_close(struct class_room *room);

/* Answer call into out (cleaned with class_reply_cleanup()). */
void class_answer(struct class_room *room, const struct class_call *call, struct class_reply *out);
void class_reply_cleanup(struct class_reply *out);

/* The cap on workers: take a slot, waiting until deadline_ms
 * (proto_now_ms()) at most; false when none came. Give it back after, with
 * the same slow. A slow skill (its last turn ran to the soft deadline: a
 * loop, most likely) may take a slot only while fewer than an eighth of the
 * cap (at least one) are slow ones, so five endless loops cannot hold the
 * slots, nor the CPUs, while the rest of the class waits. */
bool class_room_slot_take(struct class_room *room, bool slow, int64_t deadline_ms);
void class_room_slot_give(struct class_room *room, bool slow);

#endif
