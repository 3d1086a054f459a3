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

#include "python.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proto.h"
#include "sandbox.h"
#include "ss_limits.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SKILLSERVER_ASAN 1
#endif
#endif

#ifndef SKILLKIT_DIR
#error "SKILLKIT_DIR must name the folder that holds the skillkit package"
#endif

/* The worker's socket, for _skillserver.log(). */
static int front_fd = -1;

const char *
python_skillkit_dir(void)
{
    return SKILLKIT_DIR;
}

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

    /* {"text": <text as a JSON string>} built with Python's json would cost a
     * call; escaping here is simple and keeps logging cheap. */
    PyObject *json = PyImport_ImportModule("json");
    if (!json)
        return NULL;
    PyObject *slice = PyUnicode_FromStringAndSize(text, len);
    PyObject *quoted = slice ? PyObject_CallMethod(json, "dumps", "O", slice) : NULL;
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
    struct iovec parts[] = {
        {.iov_base = "{\"text\":", .iov_len = 8},
        {.iov_base = (void *)q, .iov_len = (size_t)qlen},
        {.iov_base = "}", .iov_len = 1},
    };
    enum proto_status st = proto_sendv(front_fd, PROTO_LOG, parts, 3);
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

static int
init_python(const struct python_worker_config *cfg)
{
    PyConfig config;
    PyStatus status;

#if defined(__SANITIZE_ADDRESS__) || defined(SKILLSERVER_ASAN)
    /* Under AddressSanitizer, let every Python object come from malloc so a
     * reference-counting mistake in this file shows up as a use-after-free
     * instead of hiding inside pymalloc's arenas. */
    PyPreConfig pre;
    PyPreConfig_InitIsolatedConfig(&pre);
    pre.allocator = PYMEM_ALLOCATOR_MALLOC;
    status = Py_PreInitialize(&pre);
    if (PyStatus_Exception(status)) {
        fprintf(stderr, "skillserver worker: Python did not start: %s\n",
                status.err_msg ? status.err_msg : "unknown error");
        return -1;
    }
#endif
    if (PyImport_AppendInittab("_skillserver", init_skillserver_module) != 0) {
        fprintf(stderr, "skillserver worker: cannot register _skillserver\n");
        return -1;
    }
    /* Isolated: no PYTHON* variables, no user site, no current directory on
     * sys.path. Site packages of the system stay importable. */
    PyConfig_InitIsolatedConfig(&config);
    config.install_signal_handlers = 0;
    config.write_bytecode = 0;
    config.site_import = 1;
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
    Py_DECREF(dir);
    return 0;
fail:
    PyConfig_Clear(&config);
    fprintf(stderr, "skillserver worker: Python did not start: %s\n",
            status.err_msg ? status.err_msg : "unknown error");
    return -1;
}

/* Call fn(args...) which returns a str; send it as a frame of type. When
 * ok is not NULL, set it to whether the JSON text says "ok": true. When
 * sandbox is not NULL and the text says ok, apply the sandbox before
 * sending: a worker that cannot be confined reports a failed load instead. */
static int
call_and_send(PyObject *fn, PyObject *args, uint8_t type, int *ok,
              const struct sandbox_config *sandbox)
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
    int said_ok = 0;
    if (ok || sandbox) {
        json_t *doc = json_loadb(text, (size_t)len, 0, NULL);
        said_ok = json_is_true(json_object_get(doc, "ok"));
        json_decref(doc);
    }
    char failed[700];
    if (sandbox && said_ok) {
        struct ss_error serr;
        if (sandbox_apply(sandbox, &serr) != SS_ERR_OK) {
            json_t *e = json_pack("{s:b, s:{s:s, s:s, s:s, s:s}}", "ok", 0, "error", "kind", "load",
                                  "type", "SandboxError", "message", serr.msg, "spoken",
                                  "The server could not start this skill safely.");
            char *etext = e ? json_dumps(e, JSON_COMPACT) : NULL;
            json_decref(e);
            snprintf(failed, sizeof(failed), "%s", etext ? etext : "{\"ok\": false}");
            free(etext);
            text = failed;
            len = (Py_ssize_t)strlen(failed);
            said_ok = 0;
        }
    }
    if (ok)
        *ok = said_ok;
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

/* Answer REQUEST frames until the front closes the socket. Returns the exit
 * status (0 after a clean close). */
static int
serve_requests(PyObject *handle)
{
    PyObject *args = NULL;
    int rc = 2;

    for (;;) {
        struct proto_frame frame;
        enum proto_status st = proto_recv(front_fd, &frame, -1);
        if (st == PROTO_EOF) {
            rc = 0;
            break;
        }
        if (st != PROTO_OK) {
            fprintf(stderr, "skillserver worker: %s\n", proto_status_text(st));
            break;
        }
        if (frame.type != PROTO_REQUEST) {
            proto_frame_cleanup(&frame);
            fprintf(stderr, "skillserver worker: unexpected frame type %c\n", frame.type);
            break;
        }
        PyObject *message = PyUnicode_DecodeUTF8(frame.data, frame.len, "replace");
        proto_frame_cleanup(&frame);
        args = message ? PyTuple_Pack(1, message) : NULL;
        Py_XDECREF(message);
        if (!args || call_and_send(handle, args, PROTO_ANSWER, NULL, NULL) != 0)
            break;
        Py_CLEAR(args);
    }
    Py_XDECREF(args);
    return rc;
}

/*
 * In a worker just forked from the zygote, with the front's socket passed:
 * wait to be adopted by the front (the intermediate process exits at once
 * and the front is a child subreaper), confine this process for good, and
 * greet the front with the pid it now owns.
 */
static int
become_worker(const struct python_worker_config *cfg, int passed, pid_t front_pid)
{
    struct ss_error err;
    char hello[64];

    close(front_fd);
    front_fd = passed;
    for (int i = 0; i < 20000 && getppid() != front_pid; i++)
        usleep(50);
    struct sandbox_config full = cfg->sandbox;
    full.allow_fork = false;
    if (getppid() != front_pid) {
        fprintf(stderr, "skillserver worker: not adopted by the server\n");
        return -1;
    }
    if (sandbox_apply(&full, &err) != SS_ERR_OK) {
        fprintf(stderr, "skillserver worker: %s\n", err.msg);
        return -1;
    }
    int n = snprintf(hello, sizeof(hello), "{\"ok\": true, \"pid\": %d}", (int)getpid());
    return proto_send(front_fd, PROTO_HELLO, hello, (size_t)n) == PROTO_OK ? 0 : -1;
}

/*
 * The zygote: the skill is imported once here; every PROTO_FORK frame brings
 * a socket for a new worker, forked twice so that the worker's parent is the
 * front (a child subreaper), which can then wait for it and see how it died.
 * Returns the exit status, in the zygote and in each worker alike.
 */
static int
zygote_loop(const struct python_worker_config *cfg, PyObject *handle)
{
    pid_t front_pid = getppid();

    for (;;) {
        uint8_t type;
        int passed;
        enum proto_status st = proto_recv_fd(front_fd, &type, &passed);
        if (st == PROTO_EOF)
            return 0;
        if (st != PROTO_OK || type != PROTO_FORK || passed < 0) {
            if (passed >= 0)
                close(passed);
            fprintf(stderr, "skillserver zygote: bad request from the server\n");
            return 2;
        }
        PyOS_BeforeFork();
        pid_t middle = fork();
        if (middle == 0) {
            pid_t worker = fork();
            if (worker != 0)
                _exit(worker > 0 ? 0 : 1);
            PyOS_AfterFork_Child();
            if (become_worker(cfg, passed, front_pid) != 0)
                _exit(2);
            return serve_requests(handle);
        }
        PyOS_AfterFork_Parent();
        close(passed);
        if (middle < 0) {
            /* The front sees the socket close without a greeting. */
            fprintf(stderr, "skillserver zygote: fork: %s\n", strerror(errno));
            continue;
        }
        while (waitpid(middle, NULL, 0) < 0 && errno == EINTR)
            ;
    }
}

int
python_worker_main(const struct python_worker_config *cfg)
{
    PyObject *runner = NULL, *load = NULL, *handle = NULL, *args = NULL;
    int rc = 2;

    front_fd = cfg->fd;
    if (init_python(cfg) != 0)
        return 2;

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

    args = Py_BuildValue("(ssO)", cfg->name, cfg->script, cfg->dev ? Py_True : Py_False);
    int loaded = 0;
    if (!args || call_and_send(load, args, PROTO_HELLO, &loaded, &cfg->sandbox) != 0)
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
    if (Py_FinalizeEx() < 0 && rc == 0)
        rc = 2;
    return rc;
}
