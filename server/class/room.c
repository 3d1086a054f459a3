/*
 * room.c - one class on one server: its folders, its roster, its code, its
 * teacher's password, its sessions, its cap on workers, and the answer to
 * every request under /class/ once front has read it.
 *
 * What must stay true:
 * - The class's data is DATA/class/ (0700): class.json (the roster),
 *   teacher.hash, and skills/ with one folder per child. Every file is
 *   reached by openat() from a directory descriptor opened at start, with
 *   O_NOFOLLOW, never by a path built from what a client sent.
 * - A request's rights come from its session, looked up here; the skill it
 *   acts on is its own (save, me, turn) or one named in the roster (call,
 *   reset, share). A name that is not in the roster is 404, whatever exists
 *   on disk.
 * - Every POST passed class_origin_ok() before its body is looked at.
 *
 * Threads: libmicrohttpd's threads call class_answer() at once; the roster
 * and the recent turns are under room->lock (held only to copy, never
 * across a turn), the sessions have their own lock, the worker cap is a
 * counter under cap_lock with a condition variable.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "proto.h"
#include "room.h"
#include "simulator.h"

/* ---- the pages ---- */

const struct class_files_entry *
class_file(const char *name, const char **type)
{
    static const struct {
        const char *suffix, *type;
    } types[] = {
        {".html", "text/html;charset=UTF-8"},
        {".js", "text/javascript;charset=UTF-8"},
        {".css", "text/css;charset=UTF-8"},
    };
    for (size_t i = 0; i < class_files_count; i++) {
        if (strcmp(class_files[i].name, name) != 0)
            continue;
        size_t n = strlen(name);
        *type = "application/octet-stream";
        for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
            size_t k = strlen(types[t].suffix);
            if (n > k && strcmp(name + n - k, types[t].suffix) == 0)
                *type = types[t].type;
        }
        return &class_files[i];
    }
    return NULL;
}

const char *
class_page_name(enum class_route route, const char *name)
{
    if (route == CLASS_R_PAGE)
        return "index.html";
    if (route == CLASS_R_TEACHER)
        return "teacher.html";
    return name;
}

/* ---- start and end ---- */

/* Open (making it 0700 if missing) the directory name under dirfd. */
static int
open_dir(int dirfd, const char *name, struct ss_error *err)
{
    if (mkdirat(dirfd, name, 0700) != 0 && errno != EEXIST) {
        ss_fail(err, SS_ERR_IO, "cannot make %s: %s", name, strerror(errno));
        return -1;
    }
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        ss_fail(err, SS_ERR_IO, "cannot open %s: %s", name, strerror(errno));
    return fd;
}

/* Write text to dirfd/name through a temporary file and a rename, 0600,
 * so a reader (the reload, a restart) sees the old file or the new one. */
static enum ss_err
write_file(int dirfd, const char *name, const char *text, size_t len, struct ss_error *err)
{
    char tmp[96];
    enum ss_err rc = SS_ERR_OK;
    snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
    if (unlinkat(dirfd, tmp, 0) != 0 && errno != ENOENT)
        return ss_fail(err, SS_ERR_IO, "cannot remove %s: %s", tmp, strerror(errno));
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return ss_fail(err, SS_ERR_IO, "cannot write %s: %s", name, strerror(errno));
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, text + done, len - done);
        if (n <= 0) {
            rc = ss_fail(err, SS_ERR_IO, "cannot write %s: %s", name, strerror(errno));
            break;
        }
        done += (size_t)n;
    }
    if (close(fd) != 0 && rc == SS_ERR_OK)
        rc = ss_fail(err, SS_ERR_IO, "cannot write %s: %s", name, strerror(errno));
    if (rc == SS_ERR_OK && renameat(dirfd, tmp, dirfd, name) != 0)
        rc = ss_fail(err, SS_ERR_IO, "cannot replace %s: %s", name, strerror(errno));
    if (rc != SS_ERR_OK)
        (void)unlinkat(dirfd, tmp, 0);
    return rc;
}

/* Read dirfd/name (at most cap - 1 bytes) into buf; false when missing. */
static bool
read_file(int dirfd, const char *name, char *buf, size_t cap, size_t *len)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    size_t n = 0;
    if (fd < 0)
        return false;
    while (n + 1 < cap) {
        ssize_t k = read(fd, buf + n, cap - 1 - n);
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    close(fd);
    buf[n] = '\0';
    if (len)
        *len = n;
    return true;
}

/* The roster as class.json. Under room->lock. */
static enum ss_err
save_roster(struct class_room *room, struct ss_error *err)
{
    json_t *kids = json_array(); /* owned */
    json_t *doc = NULL;
    char *text = NULL;
    enum ss_err rc = SS_ERR_OK;

    for (size_t i = 0; kids && i < room->count; i++) {
        const struct class_child *c = &room->children[i];
        if (json_array_append_new(kids, json_pack("{s:s, s:s, s:b}", "folder", c->folder, "shown",
                                                  c->shown, "anyone", c->anyone)) != 0) {
            rc = ss_fail(err, SS_ERR_NOMEM, "out of memory");
            goto out;
        }
    }
    doc = json_pack("{s:s, s:o}", "code", room->code, "children", kids);
    kids = NULL; /* taken by json_pack, even when it failed */
    text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
    if (!text) {
        rc = ss_fail(err, SS_ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = write_file(room->data_fd, "class.json", text, strlen(text), err);
out:
    free(text);
    json_decref(doc);
    json_decref(kids);
    return rc;
}

/* The roster from class.json, if there is one: only names that fold to
 * themselves and exist as folders are taken back. */
static void
load_roster(struct class_room *room)
{
    json_error_t jerr;
    int fd = openat(room->data_fd, "class.json", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return;
    json_t *doc = json_loadfd(fd, JSON_REJECT_DUPLICATES, &jerr); /* owned */
    close(fd);
    if (!doc) {
        log_msg(LOG_WARN, "class: class.json does not read (%s); starting without a roster",
                jerr.text);
        return;
    }
    const char *code = json_string_value(json_object_get(doc, "code"));
    if (code && strlen(code) == LIMIT_CLASS_CODE_CHARS)
        snprintf(room->code, sizeof(room->code), "%s", code);
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(doc, "children"), i, c)
    {
        const char *folder = json_string_value(json_object_get(c, "folder"));
        const char *shown = json_string_value(json_object_get(c, "shown"));
        struct stat st;
        if (!folder || !shown || room->count >= LIMIT_CLASS_CHILDREN ||
            strlen(folder) > CLASS_FOLDER_CHARS || !skill_name_valid(folder) ||
            fstatat(room->skills_fd, folder, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode))
            continue;
        struct class_child *k = &room->children[room->count++];
        memset(k, 0, sizeof(*k));
        snprintf(k->folder, sizeof(k->folder), "%s", folder);
        snprintf(k->shown, sizeof(k->shown), "%s", shown);
        k->anyone = json_is_true(json_object_get(c, "anyone"));
    }
    json_decref(doc);
}

/* The teacher's password: the one given, or teacher.hash, or a new one
 * printed once. */
static enum ss_err
setup_password(struct class_room *room, const char *given, struct ss_error *err)
{
    char pw[64];
    size_t len = 0;
    enum ss_err rc;

    if (given && given[0] == '@') {
        /* --class-password @FILE: the first line of the file. */
        FILE *f = fopen(given + 1, "re");
        if (!f)
            return ss_fail(err, SS_ERR_USAGE, "cannot read %s: %s", given + 1, strerror(errno));
        if (!fgets(pw, sizeof(pw), f))
            pw[0] = '\0';
        fclose(f);
        pw[strcspn(pw, "\r\n")] = '\0';
        given = pw;
    }
    if (given) {
        if (strlen(given) < 8)
            return ss_fail(err, SS_ERR_USAGE, "--class-password needs at least 8 characters");
        rc = class_password_hash(given, room->password_hash, err);
        if (rc == SS_ERR_OK)
            rc = write_file(room->data_fd, "teacher.hash", room->password_hash,
                            strlen(room->password_hash), err);
        return rc;
    }
    if (read_file(room->data_fd, "teacher.hash", room->password_hash, sizeof(room->password_hash),
                  &len) &&
        len > 0) {
        room->password_hash[strcspn(room->password_hash, "\n")] = '\0';
        log_msg(LOG_INFO, "class: the teacher's password is the one made at the first start");
        return SS_ERR_OK;
    }
    if (!class_password_new(pw, sizeof(pw)))
        return ss_fail(err, SS_ERR_IO, "getrandom() gave no password");
    rc = class_password_hash(pw, room->password_hash, err);
    if (rc == SS_ERR_OK)
        rc = write_file(room->data_fd, "teacher.hash", room->password_hash,
                        strlen(room->password_hash), err);
    if (rc == SS_ERR_OK)
        /* Printed once, on the terminal of whoever started the server; only
         * its hash is kept. */
        fprintf(stderr,
                "\n  The teacher's password for this class server is:  %s\n"
                "  Write it down: it is shown only this once.\n\n",
                pw);
    return rc;
}

static void
add_host(struct class_room *room, const char *name, size_t len)
{
    if (len == 0 || len >= sizeof(room->host_names[0]) ||
        room->host_count >= sizeof(room->host_names) / sizeof(room->host_names[0]))
        return;
    memcpy(room->host_names[room->host_count], name, len);
    room->host_names[room->host_count][len] = '\0';
    room->host_list[room->host_count] = room->host_names[room->host_count];
    room->host_count++;
}

/* The machine's name, NAME.local (mDNS, how a Pi is usually reached), and
 * the names of --class-host. */
static void
add_host_names(struct class_room *room, const char *extra)
{
    char name[256];
    if (gethostname(name, sizeof(name)) == 0) {
        name[sizeof(name) - 1] = '\0';
        add_host(room, name, strlen(name));
        char local[262];
        int n = snprintf(local, sizeof(local), "%s.local", name);
        if (n > 0 && (size_t)n < sizeof(local))
            add_host(room, local, (size_t)n);
    }
    while (extra && *extra) {
        size_t len = strcspn(extra, ",");
        add_host(room, extra, len);
        extra += len;
        if (*extra == ',')
            extra++;
    }
}

enum ss_err
class_room_open(struct class_room *room, const struct class_room_config *cfg, struct ss_error *err)
{
    enum ss_err rc = SS_ERR_OK;
    int data = -1;

    memset(room, 0, sizeof(*room));
    room->data_fd = room->skills_fd = -1;
    pthread_mutex_init(&room->lock, NULL);
    pthread_mutex_init(&room->cap_lock, NULL);
    pthread_cond_init(&room->cap_cond, NULL);
    class_sessions_init(&room->sessions);
    room->cap = cfg->workers > 0 ? cfg->workers : 2;
    room->tls = cfg->tls;

    if (mkdir(cfg->data_dir, 0700) != 0 && errno != EEXIST) {
        rc = ss_fail(err, SS_ERR_IO, "cannot make %s: %s", cfg->data_dir, strerror(errno));
        goto out;
    }
    data = open(cfg->data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (data < 0) {
        rc = ss_fail(err, SS_ERR_IO, "cannot open %s: %s", cfg->data_dir, strerror(errno));
        goto out;
    }
    room->data_fd = open_dir(data, "class", err);
    if (room->data_fd < 0) {
        rc = err->code;
        goto out;
    }
    room->skills_fd = open_dir(room->data_fd, "skills", err);
    if (room->skills_fd < 0) {
        rc = err->code;
        goto out;
    }
    add_host_names(room, cfg->hosts);
    load_roster(room);
    rc = setup_password(room, cfg->password, err);
out:
    if (data >= 0)
        close(data);
    return rc;
}

void
class_room_close(struct class_room *room)
{
    if (!room)
        return;
    if (room->data_fd >= 0)
        close(room->data_fd);
    if (room->skills_fd >= 0)
        close(room->skills_fd);
    room->data_fd = room->skills_fd = -1;
    class_sessions_cleanup(&room->sessions);
    pthread_mutex_destroy(&room->lock);
    pthread_mutex_destroy(&room->cap_lock);
    pthread_cond_destroy(&room->cap_cond);
}

/* ---- the worker cap ---- */

bool
class_room_slot_take(struct class_room *room, bool slow, int64_t deadline_ms)
{
    bool got = false;
    /* One slow slot per 8 (two CPUs' worth at the default cap): a loop
     * burns a whole CPU until the soft deadline, so more slow slots than
     * half the CPUs would leave the rest of the class no CPU to answer on. */
    int slow_cap = room->cap / 8 > 0 ? room->cap / 8 : 1;
    pthread_mutex_lock(&room->cap_lock);
    for (;;) {
        if (room->busy < room->cap && (!slow || room->busy_slow < slow_cap)) {
            room->busy++;
            if (slow)
                room->busy_slow++;
            got = true;
            break;
        }
        int64_t now = proto_now_ms();
        if (now >= deadline_ms)
            break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t wait = deadline_ms - now;
        ts.tv_sec += wait / 1000;
        ts.tv_nsec += (wait % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&room->cap_cond, &room->cap_lock, &ts);
    }
    pthread_mutex_unlock(&room->cap_lock);
    return got;
}

void
class_room_slot_give(struct class_room *room, bool slow)
{
    pthread_mutex_lock(&room->cap_lock);
    room->busy--;
    if (slow)
        room->busy_slow--;
    /* Every waiter looks again: a slow one may be waiting for a slow slot
     * while a quick one could take the general slot just freed. */
    pthread_cond_broadcast(&room->cap_cond);
    pthread_mutex_unlock(&room->cap_lock);
}

/* ---- answers ---- */

/* Copy UTF-8 text into dst (cap bytes), cut at a character's boundary so
 * that what is kept is still UTF-8 (jansson refuses anything else). */
static void
copy_utf8(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* A load error as a child reads it: "skill.py:4: SyntaxError: ...", without
 * the server's folders before the file's name (where the class's data is
 * is none of a browser's business). In place. */
static void
friendly_problem(char *text)
{
    char *p = strstr(text, "/skill.py:");
    if (!p)
        return;
    p++;
    /* Back to the start of the path: after a space, or the very start. */
    char *start = p;
    while (start > text && start[-1] != ' ')
        start--;
    memmove(start, p, strlen(p) + 1);
    friendly_problem(start + 1);
}

/* The same for a string field of a turn's answer. */
static void
friendly_field(json_t *doc, const char *key)
{
    const char *v = json_string_value(json_object_get(doc, key));
    char buf[1024];
    if (!v)
        return;
    copy_utf8(buf, sizeof(buf), v);
    friendly_problem(buf);
    json_object_set_new(doc, key, json_string(buf));
}

/* The roster entry of folder, or NULL. Under room->lock. */
static struct class_child *
child_of(struct class_room *room, const char *folder)
{
    for (size_t i = 0; i < room->count; i++)
        if (strcmp(room->children[i].folder, folder) == 0)
            return &room->children[i];
    return NULL;
}

static void
reply_json(struct class_reply *out, int status, json_t *doc /* stolen */)
{
    out->status = status;
    out->body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    out->len = out->body ? strlen(out->body) : 0;
    if (!out->body)
        out->status = 500;
    json_decref(doc);
}

static void
refuse(struct class_reply *out, const struct class_call *call, enum ss_err code, const char *why)
{
    log_msg(LOG_WARN, "class: %s refused for %s (%s): %s", call->path,
            call->client ? call->client : "-", ss_err_name(code), why);
    reply_json(
        out, ss_err_status(code),
        json_pack("{s:s, s:s}", "error", ss_err_name(code), "message", class_err_words(code)));
}

/* Wrong tries (join codes, passwords) per client address: at most
 * LIMIT_CLASS_LOGIN_TRIES a minute. Returns false when over. */
static bool
tries_left(struct class_room *room, const char *client, time_t now, bool count)
{
    bool ok = true;
    pthread_mutex_lock(&room->lock);
    struct class_tries *slot = NULL, *oldest = &room->tries[0];
    for (size_t i = 0; i < sizeof(room->tries) / sizeof(room->tries[0]); i++) {
        struct class_tries *t = &room->tries[i];
        if (strcmp(t->client, client) == 0) {
            slot = t;
            break;
        }
        if (t->minute < oldest->minute)
            oldest = t;
    }
    if (!slot && count) {
        slot = oldest;
        memset(slot, 0, sizeof(*slot));
        snprintf(slot->client, sizeof(slot->client), "%s", client);
    }
    if (slot) {
        if (slot->minute != now / 60) {
            slot->minute = now / 60;
            slot->count = 0;
        }
        if (count)
            slot->count++;
        ok = slot->count < LIMIT_CLASS_LOGIN_TRIES;
    }
    pthread_mutex_unlock(&room->lock);
    return ok;
}

static void
set_cookie(struct class_reply *out, const struct class_room *room, const char *id)
{
    out->have_cookie = class_cookie_header(out->cookie, sizeof(out->cookie), id, room->tls);
}

static void
answer_join(struct class_room *room, const struct class_call *call, const struct class_body *b,
            struct class_reply *out)
{
    char folded[LIMIT_CLASS_CHILD_NAME_CHARS + 1], folder[CLASS_FOLDER_CHARS + 1];
    char id[CLASS_ID_HEX];
    struct ss_error err;
    const char *client = call->client ? call->client : "-";

    if (!tries_left(room, client, call->now, false))
        return refuse(out, call, SS_ERR_CLASS_TRIES, "too many wrong codes");
    pthread_mutex_lock(&room->lock);
    bool match = room->code[0] && class_join_code_matches(room->code, b->code);
    pthread_mutex_unlock(&room->lock);
    if (!match) {
        (void)tries_left(room, client, call->now, true);
        return refuse(out, call, SS_ERR_CLASS_CODE, "wrong join code");
    }
    if (!class_name_fold(b->name, folded, sizeof(folded)))
        return refuse(out, call, SS_ERR_CLASS_NAME, "the name does not fold to letters");

    pthread_mutex_lock(&room->lock);
    enum ss_err rc = SS_ERR_OK;
    if (room->count >= LIMIT_CLASS_CHILDREN)
        rc = ss_fail(&err, SS_ERR_CLASS_FULL, "%d children", LIMIT_CLASS_CHILDREN);
    else
        rc = class_folder_make(room->skills_fd, folded, b->name, folder, sizeof(folder), &err);
    if (rc == SS_ERR_OK) {
        struct class_child *k = &room->children[room->count++];
        memset(k, 0, sizeof(*k));
        snprintf(k->folder, sizeof(k->folder), "%s", folder);
        /* The shown name: the typed one, trimmed to the limit in bytes at a
         * character boundary (jansson gave UTF-8). */
        size_t n = strlen(b->name);
        if (n > LIMIT_CLASS_CHILD_NAME_CHARS)
            n = LIMIT_CLASS_CHILD_NAME_CHARS;
        while (n > 0 && ((unsigned char)b->name[n] & 0xC0) == 0x80)
            n--;
        memcpy(k->shown, b->name, n);
        k->shown[n] = '\0';
        rc = save_roster(room, &err);
    }
    pthread_mutex_unlock(&room->lock);
    if (rc != SS_ERR_OK)
        return refuse(out, call, rc, err.msg);

    struct class_who who = {.role = CLASS_CHILD};
    snprintf(who.folder, sizeof(who.folder), "%s", folder);
    rc = class_session_new(&room->sessions, &who, call->now, id, &err);
    if (rc != SS_ERR_OK)
        return refuse(out, call, rc, err.msg);
    set_cookie(out, room, id);
    out->reload = true; /* the new folder is a new skill */
    log_msg(LOG_INFO, "class: %s joined as %s", client, folder);
    reply_json(out, 200, json_pack("{s:s}", "skill", folder));
}

static void
answer_login(struct class_room *room, const struct class_call *call, const struct class_body *b,
             struct class_reply *out)
{
    char id[CLASS_ID_HEX];
    struct ss_error err;
    const char *client = call->client ? call->client : "-";

    if (!tries_left(room, client, call->now, false))
        return refuse(out, call, SS_ERR_CLASS_TRIES, "too many wrong passwords");
    if (!class_password_check(room->password_hash, b->password)) {
        (void)tries_left(room, client, call->now, true);
        return refuse(out, call, SS_ERR_CLASS_CODE, "wrong teacher password");
    }
    struct class_who who = {.role = CLASS_TEACHER};
    enum ss_err rc = class_session_new(&room->sessions, &who, call->now, id, &err);
    if (rc != SS_ERR_OK)
        return refuse(out, call, rc, err.msg);
    set_cookie(out, room, id);
    log_msg(LOG_INFO, "class: the teacher signed in from %s", client);
    reply_json(out, 200, json_pack("{s:b}", "teacher", 1));
}

/* The child's code and whether it loads. */
static void
answer_me(struct class_room *room, const struct class_call *call, const struct class_who *who,
          struct class_reply *out)
{
    char *code = malloc(LIMIT_CLASS_CODE_BYTES + 1);
    char problem[512], path[CLASS_FOLDER_CHARS + 16];
    size_t len = 0;
    if (!code)
        return reply_json(out, 500, NULL);
    snprintf(path, sizeof(path), "%s/skill.py", who->folder);
    if (!read_file(room->skills_fd, path, code, LIMIT_CLASS_CODE_BYTES + 1, &len))
        code[0] = '\0';
    bool broken = room->pool && pool_problem(room->pool, who->folder, problem, sizeof(problem));
    if (broken)
        friendly_problem(problem);
    pthread_mutex_lock(&room->lock);
    struct class_child *k = child_of(room, who->folder);
    /* ready: the skill set requests see has the skill (a new child's
     * folder is read by the next reload, a moment after the join). */
    bool ready = call->skills && skill_set_find(call->skills, who->folder);
    json_t *doc = json_pack("{s:s, s:s, s:s%, s:s?, s:b}", "skill", who->folder, "name",
                            k ? k->shown : who->folder, "code", code, len, "problem",
                            broken ? problem : NULL, "ready", ready);
    pthread_mutex_unlock(&room->lock);
    free(code);
    reply_json(out, 200, doc);
}

static void
answer_save(struct class_room *room, const struct class_call *call, const struct class_who *who,
            const struct class_body *b, struct class_reply *out)
{
    struct ss_error err;
    int dir = openat(room->skills_fd, who->folder, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir < 0)
        return refuse(out, call, SS_ERR_IO, "the child's folder is gone");
    enum ss_err rc = write_file(dir, "skill.py", b->code, strlen(b->code), &err);
    close(dir);
    if (rc != SS_ERR_OK)
        return refuse(out, call, rc, err.msg);
    out->reload = true;
    reply_json(out, 200, json_pack("{s:b}", "saved", 1));
}

/* Note a turn for the teacher's page. */
static void
remember(struct class_room *room, const char *folder, const char *said, const char *heard)
{
    pthread_mutex_lock(&room->lock);
    struct class_child *k = child_of(room, folder);
    if (k) {
        struct class_turn *t = &k->recent[k->next_turn % LIMIT_CLASS_RECENT_TURNS];
        copy_utf8(t->said, sizeof(t->said), said ? said : "");
        copy_utf8(t->heard, sizeof(t->heard), heard ? heard : "");
        k->next_turn++;
    }
    pthread_mutex_unlock(&room->lock);
}

/* A turn on folder's skill: what front's simulator does, with the skill
 * fixed and the session kept only when it is that skill's, under the
 * class's cap on workers. */
static void
answer_turn(struct class_room *room, const struct class_call *call, const char *folder,
            const struct class_body *b, struct class_reply *out)
{
    if (!call->skills || !skill_set_find(call->skills, folder)) {
        reply_json(out, 200,
                   json_pack("{s:s, s:s, s:b, s:n}", "skill", folder, "speech",
                             "This skill is still starting. Try again in a moment.", "ended", 1,
                             "session"));
        return;
    }
    json_t *session = json_object_get((json_t *)b->doc, "session"); /* borrowed */
    if (!json_is_object(session) || !json_is_string(json_object_get(session, "skill")) ||
        strcmp(json_string_value(json_object_get(session, "skill")), folder) != 0)
        session = json_null();
    json_t *in =
        json_pack("{s:s, s:s, s:O}", "skill", folder, "utterance", b->text, "session", session);
    char *body = in ? json_dumps(in, JSON_COMPACT) : NULL;
    json_decref(in);
    if (!body)
        return reply_json(out, 500, NULL);

    int timeout_ms = call->say ? call->say->handler_timeout_ms : LIMIT_CLASS_HANDLER_TIMEOUT_MS;
    pthread_mutex_lock(&room->lock);
    struct class_child *k = child_of(room, folder);
    bool slow = k && k->slow;
    pthread_mutex_unlock(&room->lock);
    int64_t start = proto_now_ms();
    if (!class_room_slot_take(room, slow, start + timeout_ms)) {
        free(body);
        log_msg(LOG_WARN, "class: no worker slot for %s within the deadline", folder);
        reply_json(out, 200,
                   json_pack("{s:s, s:s, s:b}", "skill", folder, "speech",
                             "The class server is very busy; try again in a moment.", "ended", 1));
        return;
    }
    int status = 500;
    int64_t t0 = proto_now_ms();
    char *answer = simulator_turn_json(call->say, call->skills, room->pool, call->store, body,
                                       strlen(body), &status);
    class_room_slot_give(room, slow);
    /* Slow from now on when this turn ran to the soft deadline (half the
     * hard one, where the worker raises inside the handler). */
    bool now_slow = proto_now_ms() - t0 >= timeout_ms / 2;
    pthread_mutex_lock(&room->lock);
    k = child_of(room, folder);
    if (k)
        k->slow = now_slow;
    pthread_mutex_unlock(&room->lock);
    free(body);
    json_t *doc = answer && status == 200 ? json_loads(answer, 0, NULL) : NULL; /* owned */
    if (doc) {
        remember(room, folder, b->text, json_string_value(json_object_get(doc, "speech")));
        friendly_field(doc, "problem");
        friendly_field(doc, "error");
        friendly_field(doc, "speech");
        friendly_field(doc, "notes");
        free(answer);
        return reply_json(out, 200, doc);
    }
    out->status = answer ? status : 500;
    out->body = answer;
    out->len = answer ? strlen(answer) : 0;
}

static void
answer_skills(struct class_room *room, struct class_reply *out)
{
    json_t *list = json_array();
    pthread_mutex_lock(&room->lock);
    for (size_t i = 0; list && i < room->count; i++)
        json_array_append_new(list, json_pack("{s:s, s:s, s:b}", "skill", room->children[i].folder,
                                              "name", room->children[i].shown, "anyone",
                                              room->children[i].anyone));
    pthread_mutex_unlock(&room->lock);
    reply_json(out, 200, list ? json_pack("{s:o}", "skills", list) : NULL);
}

static void
answer_class(struct class_room *room, struct class_reply *out)
{
    json_t *list = json_array();
    char problem[512];
    pthread_mutex_lock(&room->lock);
    for (size_t i = 0; list && i < room->count; i++) {
        const struct class_child *k = &room->children[i];
        bool broken = room->pool && pool_problem(room->pool, k->folder, problem, sizeof(problem));
        if (broken)
            friendly_problem(problem);
        json_t *recent = json_array();
        unsigned n =
            k->next_turn < LIMIT_CLASS_RECENT_TURNS ? k->next_turn : LIMIT_CLASS_RECENT_TURNS;
        for (unsigned j = 0; recent && j < n; j++) {
            const struct class_turn *t =
                &k->recent[(k->next_turn - 1 - j) % LIMIT_CLASS_RECENT_TURNS];
            json_array_append_new(recent,
                                  json_pack("{s:s, s:s}", "said", t->said, "heard", t->heard));
        }
        json_array_append_new(list, json_pack("{s:s, s:s, s:b, s:s, s:s?, s:o*}", "skill",
                                              k->folder, "name", k->shown, "anyone", k->anyone,
                                              "state", broken ? "broken" : "answers", "problem",
                                              broken ? problem : NULL, "recent", recent));
    }
    json_t *doc =
        list ? json_pack("{s:s?, s:o}", "code", room->code[0] ? room->code : NULL, "children", list)
             : NULL;
    pthread_mutex_unlock(&room->lock);
    reply_json(out, 200, doc);
}

static void
answer_create(struct class_room *room, const struct class_call *call, struct class_reply *out)
{
    struct ss_error err;
    char code[LIMIT_CLASS_CODE_CHARS + 1];
    if (!class_join_code_new(code))
        return refuse(out, call, SS_ERR_IO, "getrandom() gave no code");
    pthread_mutex_lock(&room->lock);
    snprintf(room->code, sizeof(room->code), "%s", code);
    enum ss_err rc = save_roster(room, &err);
    pthread_mutex_unlock(&room->lock);
    if (rc != SS_ERR_OK)
        return refuse(out, call, rc, err.msg);
    log_msg(LOG_INFO, "class: a new join code was made");
    reply_json(out, 200, json_pack("{s:s}", "code", code));
}

static void
answer_reset(struct class_room *room, const struct class_call *call, const struct class_body *b,
             struct class_reply *out)
{
    struct ss_error err;
    char shown[sizeof(room->children[0].shown)];
    pthread_mutex_lock(&room->lock);
    struct class_child *k = child_of(room, b->name);
    if (k)
        snprintf(shown, sizeof(shown), "%s", k->shown);
    pthread_mutex_unlock(&room->lock);
    if (!k)
        return refuse(out, call, SS_ERR_UNKNOWN_SKILL, "no such child");
    /* The starter skill again: made in a scratch folder name would race a
     * join, so the starter text is written over skill.py directly. */
    char text[512];
    snprintf(text, sizeof(text),
             "# %s's skill. Change what it says, then press Save.\n"
             "# Try saying: hello\n\ndef hello():\n    return \"Hello!\"\n",
             b->name);
    int dir = openat(room->skills_fd, b->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir < 0)
        return refuse(out, call, SS_ERR_IO, "the child's folder is gone");
    enum ss_err rc = write_file(dir, "skill.py", text, strlen(text), &err);
    close(dir);
    if (rc != SS_ERR_OK)
        return refuse(out, call, rc, err.msg);
    pthread_mutex_lock(&room->lock);
    k = child_of(room, b->name);
    if (k)
        k->next_turn = 0;
    pthread_mutex_unlock(&room->lock);
    /* The stored attributes too, when asked: what the skill remembered of
     * everyone who talked to it. */
    if (b->attributes && call->store && store_forget(call->store, b->name, &err) != SS_ERR_OK)
        return refuse(out, call, SS_ERR_IO, err.msg);
    out->reload = true;
    log_msg(LOG_INFO, "class: the teacher reset %s", b->name);
    reply_json(out, 200, json_pack("{s:b}", "reset", 1));
}

static void
answer_share(struct class_room *room, const struct class_call *call, const struct class_body *b,
             struct class_reply *out)
{
    struct ss_error err;
    enum ss_err rc = SS_ERR_OK;
    pthread_mutex_lock(&room->lock);
    struct class_child *k = child_of(room, b->name);
    if (k) {
        k->anyone = b->anyone;
        rc = save_roster(room, &err);
    }
    pthread_mutex_unlock(&room->lock);
    if (!k)
        return refuse(out, call, SS_ERR_UNKNOWN_SKILL, "no such child");
    if (rc != SS_ERR_OK)
        return refuse(out, call, rc, err.msg);
    reply_json(out, 200, json_pack("{s:s, s:b}", "skill", b->name, "anyone", b->anyone));
}

void
class_answer(struct class_room *room, const struct class_call *call, struct class_reply *out)
{
    struct class_who who;
    struct class_body b;
    struct ss_error err;
    char id[CLASS_ID_HEX];

    memset(out, 0, sizeof(*out));
    memset(&b, 0, sizeof(b));
    who.role = CLASS_NOBODY;
    who.folder[0] = '\0';

    /* A Host that is not one of ours: another site's name pointed at this
     * machine. Nothing is answered to it, pages included. */
    if (!class_host_ok(call->host, room->host_list, room->host_count))
        return refuse(out, call, SS_ERR_CLASS_CROSS_SITE, "the Host is not a name of this server");

    enum class_cookie c = class_cookie_value(call->cookie, id);
    if (c == CLASS_COOKIE_BAD)
        return refuse(out, call, SS_ERR_CLASS_SIGN_IN, "a malformed or doubled session cookie");
    if (c == CLASS_COOKIE_ONE)
        (void)class_session_find(&room->sessions, id, call->now, &who);

    if (class_route_is_post(call->route)) {
        if (!call->post)
            return refuse(out, call, SS_ERR_METHOD, "not a POST");
        if (!class_origin_ok(call->origin, call->host, call->sec_fetch_site, room->tls))
            return refuse(out, call, SS_ERR_CLASS_CROSS_SITE, "Origin is not the class's own");
    } else if (call->post) {
        return refuse(out, call, SS_ERR_METHOD, "not a GET");
    }
    enum ss_err rc = class_allowed(call->route, who.role);
    if (rc != SS_ERR_OK)
        return refuse(out, call, rc, "this session may not use the route");
    if (who.role == CLASS_CHILD) {
        pthread_mutex_lock(&room->lock);
        bool listed = child_of(room, who.folder) != NULL;
        pthread_mutex_unlock(&room->lock);
        if (!listed) {
            class_session_end(&room->sessions, id);
            return refuse(out, call, SS_ERR_CLASS_SIGN_IN, "the child is no longer listed");
        }
    }
    if (class_route_is_post(call->route)) {
        rc = class_body_parse(call->route, call->body, call->len, &b, &err);
        if (rc != SS_ERR_OK) {
            refuse(out, call, rc, err.msg);
            goto out;
        }
    }

    switch (call->route) {
    case CLASS_R_JOIN:
        answer_join(room, call, &b, out);
        break;
    case CLASS_R_LOGIN:
        answer_login(room, call, &b, out);
        break;
    case CLASS_R_LOGOUT:
        if (c == CLASS_COOKIE_ONE)
            class_session_end(&room->sessions, id);
        set_cookie(out, room, NULL);
        reply_json(out, 200, json_pack("{s:b}", "signed_out", 1));
        break;
    case CLASS_R_ME:
        answer_me(room, call, &who, out);
        break;
    case CLASS_R_SAVE:
        answer_save(room, call, &who, &b, out);
        break;
    case CLASS_R_TURN:
        answer_turn(room, call, who.folder, &b, out);
        break;
    case CLASS_R_CALL: {
        pthread_mutex_lock(&room->lock);
        struct class_child *k = child_of(room, call->name);
        bool exists = k != NULL, anyone = k && k->anyone;
        pthread_mutex_unlock(&room->lock);
        if (!exists)
            refuse(out, call, SS_ERR_UNKNOWN_SKILL, "no such child");
        else if (who.role == CLASS_NOBODY && !anyone)
            refuse(out, call, SS_ERR_CLASS_SIGN_IN, "not shared with anyone");
        else
            answer_turn(room, call, call->name, &b, out);
        break;
    }
    case CLASS_R_SKILLS:
        answer_skills(room, out);
        break;
    case CLASS_R_CLASS:
        answer_class(room, out);
        break;
    case CLASS_R_CREATE:
        answer_create(room, call, out);
        break;
    case CLASS_R_RESET:
        answer_reset(room, call, &b, out);
        break;
    case CLASS_R_SHARE:
        answer_share(room, call, &b, out);
        break;
    default:
        /* Pages and files are front's to serve, once allowed. */
        out->status = 0;
        out->page = true;
        out->role = who.role;
        break;
    }
out:
    class_body_cleanup(&b);
}

void
class_reply_cleanup(struct class_reply *out)
{
    if (!out)
        return;
    free(out->body);
    out->body = NULL;
}
