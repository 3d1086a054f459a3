/*
 * python.c - embedded CPython in a skill worker (see python.h).
 *
 * Owns every call into the CPython API. The worker is single-threaded and
 * holds the GIL for its whole life. Data crosses the boundary as JSON text
 * only: the front's REQUEST payload goes to skillkit._runner.handle() as one
 * str, and the str it returns is the ANSWER payload, so reference counting
 * stays in the few functions below.
 *
 * Python's own signal handlers are not installed (the front owns process
 * control); skillkit installs a SIGALRM handler itself for the soft deadline.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <marshal.h>

#include "python.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#include "launcher.h"
#include "message.h"
#include "pidfd.h"
#include "process.h"
#include "proto.h"
#include "sandbox.h"
#include "ss_limits.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SKILLSERVER_ASAN 1
#endif
#endif

/* skillkit's modules compiled into the worker (skillkit_bundle.py writes
 * them as skillkit_bundle.c at build time). */
extern const unsigned char skillkit_bundle[];
extern const size_t skillkit_bundle_size;

/* The worker's socket, for _skillserver.log(). */
static int front_fd = -1;

/* _skillserver.log(text): send one log record to the front. */
static PyObject *
skillserver_log(PyObject *self, PyObject *arg)
{
    Py_ssize_t len;
    const char *text;

    (void)self;
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "log() takes a str");
        return NULL;
    }
    text = PyUnicode_AsUTF8AndSize(arg, &len);
    if (!text)
        return NULL;
    if (len > LIMIT_LOG_RECORD_BYTES)
        len = LIMIT_LOG_RECORD_BYTES;

    /* The LOG is assembled around the text quoted as json.dumps() quotes a
     * str, by the function it calls (json's accelerator, _json), so that
     * logging costs one call and the json package is not imported for it
     * (see skillkit/_jsontext.py). */
    PyObject *json = PyImport_ImportModule("_json");
    if (!json)
        return NULL;
    PyObject *slice = PyUnicode_FromStringAndSize(text, len);
    PyObject *quoted =
        slice ? PyObject_CallMethod(json, "encode_basestring_ascii", "O", slice) : NULL;
    Py_XDECREF(slice);
    Py_DECREF(json);
    if (!quoted)
        return NULL;
    Py_ssize_t qlen;
    const char *q = PyUnicode_AsUTF8AndSize(quoted, &qlen);
    if (!q) {
        Py_DECREF(quoted);
        return NULL;
    }
    struct message_parts parts;
    message_log_parts(&parts, q, (size_t)qlen);
    enum proto_status st = proto_sendv(front_fd, PROTO_LOG, parts.iov, parts.count);
    Py_DECREF(quoted);
    if (st != PROTO_OK) {
        PyErr_SetString(PyExc_OSError, "the server closed the log channel");
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef skillserver_methods[] = {
    {"log", skillserver_log, METH_O, "Send one log line to the server."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef skillserver_module = {
    PyModuleDef_HEAD_INIT,
    "_skillserver",
    "The skill worker's link to the server.",
    -1,
    skillserver_methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

static PyObject *
init_skillserver_module(void)
{
    return PyModule_Create(&skillserver_module);
}

/* Print the pending Python exception to stderr: only for failures of the
 * embedding itself, which never reach a skill author. */
static void
report_python_error(const char *what)
{
    fprintf(stderr, "skillserver worker: %s\n", what);
    if (PyErr_Occurred())
        PyErr_Print();
}

/*
 * The skill's own variables (skill.json "environment") arrive as
 * SKILLSERVER_ENV_NAME (see launcher.h): now that the process is confined,
 * give them their names. And name the runtime as Lambda does. The path of
 * the skill's model (LAUNCHER_MODEL_ENV) is taken out of the environment
 * into *model (owned; NULL when the variable is not set, as when a test
 * starts the worker itself).
 */
static int
adopt_environment(char **model)
{
    const char *given = getenv(LAUNCHER_MODEL_ENV);
    *model = NULL;
    if (given && !(*model = strdup(given)))
        return -1;
    if (unsetenv(LAUNCHER_MODEL_ENV) != 0)
        return -1;
    static const char prefix[] = "SKILLSERVER_ENV_";
    const size_t plen = sizeof(prefix) - 1;
    char runtime[64];

    for (;;) {
        char *found = NULL;
        for (char **e = environ; *e && !found; e++)
            if (strncmp(*e, prefix, plen) == 0 && strchr(*e, '='))
                found = *e;
        if (!found)
            break;
        char *entry = strdup(found);
        if (!entry)
            return -1;
        char *eq = strchr(entry, '=');
        *eq = '\0';
        int rc = setenv(entry + plen, eq + 1, 1) == 0 && unsetenv(entry) == 0 ? 0 : -1;
        free(entry);
        if (rc != 0)
            return -1;
    }
    snprintf(runtime, sizeof(runtime), "AWS_Lambda_python%d.%d", PY_MAJOR_VERSION,
             PY_MINOR_VERSION);
    return setenv("AWS_EXECUTION_ENV", runtime, 1);
}

/*
 * Serve skillkit's modules from the bytecode built into the worker: run the
 * bundle's finder (skillkit_finder.py) and let it put itself first on
 * sys.meta_path. -1 with a Python error when the bundle cannot be used (made
 * by another Python, or broken); the path finder then reads skillkit's files.
 */
static int
install_bundle(PyObject *folder)
{
    int rc = -1;
    PyObject *globals = NULL, *result = NULL;
    PyObject *blob = PyMarshal_ReadObjectFromString((const char *)skillkit_bundle,
                                                    (Py_ssize_t)skillkit_bundle_size);
    if (!blob)
        return -1;
    PyObject *magic, *code, *modules; /* borrowed from blob */
    if (!PyArg_ParseTuple(blob, "SO!O!;skillkit's bundle", &magic, &PyCode_Type, &code,
                          &PyDict_Type, &modules))
        goto out;
    const unsigned char *m = (const unsigned char *)PyBytes_AS_STRING(magic);
    if (PyBytes_GET_SIZE(magic) != 4 ||
        (long)((unsigned long)m[0] | (unsigned long)m[1] << 8 | (unsigned long)m[2] << 16 |
               (unsigned long)m[3] << 24) != PyImport_GetMagicNumber()) {
        PyErr_SetString(PyExc_ImportError, "skillkit's bundle is another Python's bytecode");
        goto out;
    }
    globals = PyDict_New();
    if (!globals || PyDict_SetItemString(globals, "__builtins__", PyEval_GetBuiltins()) != 0)
        goto out;
    PyObject *name = PyUnicode_FromString("skillkit_finder");
    if (!name || PyDict_SetItemString(globals, "__name__", name) != 0) {
        Py_XDECREF(name);
        goto out;
    }
    Py_DECREF(name);
    result = PyEval_EvalCode(code, globals, globals);
    if (!result)
        goto out;
    Py_CLEAR(result);
    PyObject *install = PyDict_GetItemString(globals, "install"); /* borrowed */
    if (!install) {
        PyErr_SetString(PyExc_ImportError, "skillkit's bundle has no install()");
        goto out;
    }
    result = PyObject_CallFunctionObjArgs(install, modules, folder, NULL);
    rc = result ? 0 : -1;
out:
    Py_XDECREF(result);
    Py_XDECREF(globals);
    Py_DECREF(blob);
    return rc;
}

static int
init_python(const struct python_worker_config *cfg)
{
    PyConfig config;
    PyStatus status;
    PyPreConfig pre;

    /* UTF-8 mode, as on Lambda (LANG=en_US.UTF-8): open() without an
     * encoding reads and writes UTF-8 whatever the locale. */
    PyPreConfig_InitIsolatedConfig(&pre);
    pre.utf8_mode = 1;
#if defined(__SANITIZE_ADDRESS__) || defined(SKILLSERVER_ASAN)
    /* Under AddressSanitizer, let every Python object come from malloc so a
     * reference-counting mistake in this file shows up as a use-after-free
     * instead of hiding inside pymalloc's arenas. */
    pre.allocator = PYMEM_ALLOCATOR_MALLOC;
#endif
    status = Py_PreInitialize(&pre);
    if (PyStatus_Exception(status)) {
        fprintf(stderr, "skillserver worker: Python did not start: %s\n",
                status.err_msg ? status.err_msg : "unknown error");
        return -1;
    }
    if (PyImport_AppendInittab("_skillserver", init_skillserver_module) != 0) {
        fprintf(stderr, "skillserver worker: cannot register _skillserver\n");
        return -1;
    }
    /* Isolated: no PYTHON* variables, no user site, no current directory on
     * sys.path. Without site: skillkit adds the system's site packages the
     * first time an import needs them (skillkit/_loader.py, _SitePackages),
     * so a skill that never imports one does not pay for them at start. */
    PyConfig_InitIsolatedConfig(&config);
    config.install_signal_handlers = 0;
    config.write_bytecode = 0;
    config.site_import = 0;
    config.buffered_stdio = 0;
    status = PyConfig_SetBytesString(&config, &config.program_name, "skillserver-worker");
    if (PyStatus_Exception(status))
        goto fail;
    status = Py_InitializeFromConfig(&config);
    if (PyStatus_Exception(status))
        goto fail;
    PyConfig_Clear(&config);

    PyObject *path = PySys_GetObject("path"); /* borrowed */
    PyObject *dir = PyUnicode_DecodeFSDefault(cfg->skillkit_dir);
    if (!path || !dir || PyList_Insert(path, 0, dir) != 0) {
        Py_XDECREF(dir);
        report_python_error("cannot put skillkit on sys.path");
        return -1;
    }
    if (install_bundle(dir) != 0)
        PyErr_Clear(); /* skillkit comes from its files, as without the bundle */
    Py_DECREF(dir);
    return 0;
fail:
    PyConfig_Clear(&config);
    fprintf(stderr, "skillserver worker: Python did not start: %s\n",
            status.err_msg ? status.err_msg : "unknown error");
    return -1;
}

/* Call fn(args...) which returns a str; send it as a frame of type. When
 * ok is not NULL, the str is a load report: set *ok to whether the skill
 * loaded. */
static int
call_and_send(PyObject *fn, PyObject *args, uint8_t type, int *ok)
{
    PyObject *result = PyObject_CallObject(fn, args);
    Py_ssize_t len;
    const char *text;
    int rc = -1;

    if (!result) {
        report_python_error("skillkit runner raised");
        return -1;
    }
    text = PyUnicode_Check(result) ? PyUnicode_AsUTF8AndSize(result, &len) : NULL;
    if (!text) {
        report_python_error("skillkit runner did not return a str");
        goto out;
    }
    if (ok) {
        struct message_load load;
        struct ss_error err;
        *ok = message_decode_load(text, (size_t)len, &load, &err) == SS_ERR_OK && load.ok;
        message_load_cleanup(&load);
    }
    enum proto_status st = proto_send(front_fd, type, text, (size_t)len);
    if (st != PROTO_OK) {
        fprintf(stderr, "skillserver worker: cannot answer the server: %s\n",
                proto_status_text(st));
        goto out;
    }
    rc = 0;
out:
    Py_DECREF(result);
    return rc;
}

/* Tell the front that the skill cannot run because it could not be
 * confined: a failed HELLO, as a failed load would send. */
static void
report_sandbox_failure(const char *why)
{
    char *text = message_encode_load_failure("SandboxError", why,
                                             "The server could not start this skill safely.");
    if (!text || proto_send(front_fd, PROTO_HELLO, text, strlen(text)) != PROTO_OK)
        fprintf(stderr, "skillserver worker: %s\n", why);
    free(text);
}

/* Answer REQUEST frames until the front closes the socket. Returns the exit
 * status (0 after a clean close). */
static int
serve_requests(PyObject *handle)
{
    struct proto_inbox box = {0};
    PyObject *args = NULL;
    int rc = 2;

    for (;;) {
        uint8_t type;
        const char *data;
        size_t len;
        enum proto_status st = proto_inbox_next(front_fd, &box, &type, &data, &len);
        if (st == PROTO_EOF) {
            rc = 0;
            break;
        }
        if (st != PROTO_OK) {
            fprintf(stderr, "skillserver worker: %s\n", proto_status_text(st));
            break;
        }
        if (type != PROTO_REQUEST) {
            fprintf(stderr, "skillserver worker: unexpected frame type %c\n", type);
            break;
        }
        PyObject *message = PyUnicode_DecodeUTF8(data, (Py_ssize_t)len, "replace");
        args = message ? PyTuple_Pack(1, message) : NULL;
        Py_XDECREF(message);
        if (!args || call_and_send(handle, args, PROTO_ANSWER, NULL) != 0)
            break;
        Py_CLEAR(args);
    }
    Py_XDECREF(args);
    proto_inbox_cleanup(&box);
    return rc;
}

/* The workers a zygote has forked: the pid and the zygote's copy of each
 * one's socket, on which it reports how the worker ended. */
struct child {
    pid_t pid;
    int fd;
};

static struct child children[LIMIT_WORKERS_MAX];
static size_t nchildren;

/* In a worker just forked from the zygote: keep only its own socket, add
 * the worker's filter, and greet the front. */
static int
become_worker(const struct python_worker_config *cfg, int ctl, int passed)
{
    struct ss_error err;

    close(ctl);
    for (size_t i = 0; i < nchildren; i++)
        close(children[i].fd);
    nchildren = 0;
    sandbox_forget_init();
    front_fd = passed;
    if (sandbox_confine_worker(&cfg->sandbox, &err) != SS_ERR_OK) {
        fprintf(stderr, "skillserver worker: %s\n", err.msg);
        return -1;
    }
    char ready[32];
    size_t len = message_encode_ready(ready, sizeof(ready));
    return len && proto_send(front_fd, PROTO_HELLO, ready, len) == PROTO_OK ? 0 : -1;
}

/* Reap every ended child; tell the front how each worker ended. (Orphans
 * go to the namespace's init, sandbox.h, which reaps them; without
 * namespaces, to whatever reaps for the server.) */
static void
reap_children(void)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (size_t i = 0; i < nchildren; i++) {
            if (children[i].pid != pid)
                continue;
            char how[160], text[256];
            proto_exit_text(status, how, sizeof(how));
            size_t len = message_encode_died(how, text, sizeof(text));
            proto_send(children[i].fd, PROTO_DIED, text, len);
            close(children[i].fd);
            children[i] = children[--nchildren];
            break;
        }
    }
}

/* Answer PROTO_FORK or PROTO_BECOME: the worker's pidfd (none when it
 * cannot be had, which the front takes as a failure). */
static void
send_forked(int ctl, pid_t pid)
{
    int pidfd = pidfd_of(pid);
    proto_send_fd(ctl, PROTO_FORKED, pidfd);
    if (pidfd >= 0)
        close(pidfd);
}

/* Fork a worker for the socket passed; the front gets its pidfd. Returns 1
 * in the new worker (which then serves), 0 in the zygote. */
static int
fork_worker(const struct python_worker_config *cfg, int ctl, int passed, int *worker_rc)
{
    if (nchildren == LIMIT_WORKERS_MAX) {
        proto_send_fd(ctl, PROTO_FORKED, -1);
        close(passed);
        return 0;
    }
    PyOS_BeforeFork();
    pid_t pid = fork();
    if (pid == 0) {
        PyOS_AfterFork_Child();
        *worker_rc = become_worker(cfg, ctl, passed) == 0 ? 0 : 2;
        return 1;
    }
    PyOS_AfterFork_Parent();
    if (pid < 0) {
        fprintf(stderr, "skillserver zygote: fork: %s\n", strerror(errno));
        proto_send_fd(ctl, PROTO_FORKED, -1);
        close(passed);
        return 0;
    }
    children[nchildren].pid = pid;
    children[nchildren].fd = passed;
    nchildren++;
    send_forked(ctl, pid);
    return 0;
}

/*
 * PROTO_BECOME: the zygote becomes the worker for passed itself, when it has
 * forked none and its namespace's init can report how it ends (the init
 * then sends DIED on passed, as this process does for a forked worker);
 * otherwise it forks one as for PROTO_FORK. Either way the front gets the
 * worker's pidfd. Returns 1 in the worker, with *worker_rc set, 0 in the
 * zygote.
 */
static int
become_in_place(const struct python_worker_config *cfg, int ctl, int passed, int *worker_rc)
{
    int init = sandbox_init_socket();
    /* One thread only: the worker's filter (no new processes) is loaded for
     * the calling thread, and a thread the skill started at import would
     * keep the zygote's. A forked worker has no such thread. */
    uint64_t cpu_ms;
    long threads = 0;
    if (nchildren > 0 || init < 0 || !process_cpu(getpid(), &cpu_ms, &threads) || threads != 1 ||
        proto_send_fd(init, PROTO_BECOME, passed) != PROTO_OK)
        return fork_worker(cfg, ctl, passed, worker_rc);
    send_forked(ctl, getpid());
    *worker_rc = become_worker(cfg, ctl, passed) == 0 ? 0 : 2;
    return 1;
}

/*
 * The zygote: the skill is imported once here, and every PROTO_FORK frame
 * brings a socket for a new worker (PROTO_BECOME: one the zygote may become
 * itself). The zygote is the parent of every worker: it reaps them and
 * reports how each ended. When the front closes the zygote's socket (a reload replaced
 * it, or the server stops), it forks no more and ends once its workers
 * have. Returns the exit status, in the zygote and in each worker alike.
 */
static int
zygote_loop(const struct python_worker_config *cfg, PyObject *handle)
{
    int ctl = front_fd;
    sigset_t chld;

    /* SIGCHLD was blocked before Python started, so every thread inherits
     * the mask and the signal waits here. */
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) {
        fprintf(stderr, "skillserver zygote: signalfd: %s\n", strerror(errno));
        return 2;
    }
    for (;;) {
        struct pollfd p[2] = {{.fd = ctl, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
        if (ctl < 0 && nchildren == 0)
            break;
        /* The timeout is a backstop should a skill's thread have unblocked
         * SIGCHLD for itself. */
        int n = poll(ctl >= 0 ? p : p + 1, ctl >= 0 ? 2 : 1, 1000);
        if (n < 0 && errno != EINTR) {
            fprintf(stderr, "skillserver zygote: poll: %s\n", strerror(errno));
            break;
        }
        struct signalfd_siginfo si;
        while (read(sfd, &si, sizeof(si)) > 0)
            ;
        reap_children();
        if (ctl < 0 || n <= 0 || !(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        uint8_t type;
        int passed;
        enum proto_status st = proto_recv_fd(ctl, &type, &passed, proto_now_ms() + 1000);
        if (st == PROTO_EOF) {
            close(ctl);
            ctl = -1;
            continue;
        }
        if (st != PROTO_OK || (type != PROTO_FORK && type != PROTO_BECOME) || passed < 0) {
            if (passed >= 0)
                close(passed);
            fprintf(stderr, "skillserver zygote: bad request from the server\n");
            close(ctl);
            ctl = -1;
            continue;
        }
        int worker_rc;
        if (type == PROTO_BECOME ? become_in_place(cfg, ctl, passed, &worker_rc)
                                 : fork_worker(cfg, ctl, passed, &worker_rc)) {
            close(sfd);
            return worker_rc == 0 ? serve_requests(handle) : worker_rc;
        }
    }
    close(sfd);
    return 0;
}

/* Call obj.name() and drop what it returns; false when it raised (the
 * exception is reported as "Exception ignored in", as Python's own exit
 * reports one). */
static bool
call_quietly(PyObject *obj, const char *name)
{
    PyObject *r = PyObject_CallMethod(obj, name, NULL);
    if (!r) {
        PyErr_WriteUnraisable(obj);
        return false;
    }
    Py_DECREF(r);
    return true;
}

/*
 * What Python does at exit that someone can see: wait for the skill's
 * non-daemon threads, run its atexit functions, and flush sys.stdout and
 * sys.stderr (the skill's log). The rest of Py_FinalizeEx (freeing every
 * object and module) would only hand memory back to a process that is
 * about to end, and costs more than the request did: in a forked worker
 * nearly every page it touches is shared with the zygote and gets copied
 * first. So Python is left as it is; the process exits next. Returns false
 * when flushing failed, as Py_FinalizeEx() < 0 does.
 */
static bool
finish_python(void)
{
    PyObject *name = PyUnicode_FromString("threading");
    PyObject *threading = name ? PyImport_GetModule(name) : NULL;
    bool flushed = true;

    Py_XDECREF(name);
    PyErr_Clear();
    if (threading)
        call_quietly(threading, "_shutdown");
    Py_XDECREF(threading);
    PyObject *atexit = PyImport_ImportModule("atexit");
    if (atexit)
        call_quietly(atexit, "_run_exitfuncs");
    else
        PyErr_Clear();
    Py_XDECREF(atexit);
    const char *streams[] = {"stdout", "stderr"};
    for (size_t i = 0; i < sizeof(streams) / sizeof(streams[0]); i++) {
        PyObject *f = PySys_GetObject(streams[i]); /* borrowed */
        if (f && f != Py_None && !call_quietly(f, "flush"))
            flushed = false;
    }
    PyErr_Clear();
    return flushed;
}

int
python_worker_main(const struct python_worker_config *cfg)
{
    PyObject *runner = NULL, *load = NULL, *handle = NULL, *args = NULL;
    struct ss_error err;
    sigset_t chld;
    char *model = NULL;
    int rc = 2;

    front_fd = cfg->fd;
    if (sandbox_enter(&cfg->sandbox, &err) != SS_ERR_OK) {
        report_sandbox_failure(err.msg);
        return 1;
    }
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    if (adopt_environment(&model) != 0) {
        free(model);
        report_sandbox_failure("the skill's environment variables could not be set");
        return 1;
    }
    if (sigprocmask(SIG_BLOCK, &chld, NULL) != 0 || init_python(cfg) != 0) {
        free(model);
        return 2;
    }

    runner = PyImport_ImportModule("skillkit._runner");
    if (!runner) {
        report_python_error("cannot import skillkit._runner");
        goto out;
    }
    load = PyObject_GetAttrString(runner, "load");
    handle = PyObject_GetAttrString(runner, "handle");
    if (!load || !handle) {
        report_python_error("skillkit._runner lacks load() or handle()");
        goto out;
    }

    args = Py_BuildValue("(ssOzz)", cfg->name, cfg->script, cfg->dev ? Py_True : Py_False,
                         cfg->handler, model);
    int loaded = 0;
    if (!args || call_and_send(load, args, PROTO_HELLO, &loaded) != 0)
        goto out;
    Py_CLEAR(args);
    if (!loaded) {
        rc = 1;
        goto out;
    }
    rc = cfg->zygote ? zygote_loop(cfg, handle) : serve_requests(handle);
out:
    Py_XDECREF(args);
    Py_XDECREF(load);
    Py_XDECREF(handle);
    Py_XDECREF(runner);
    free(model);
    if (!finish_python() && rc == 0)
        rc = 2;
    /* Done with everything the skill's code can do: say so by ending the
     * socket's sending side, which every copy of it shares (the namespace's
     * init holds one). A front ending a command waits for this, not for
     * the kernel to tear the process down (process_finish()). */
    if (front_fd >= 0)
        shutdown(front_fd, SHUT_WR);
    return rc;
}
