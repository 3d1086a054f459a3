/*
 * libs.c - libmicrohttpd and GnuTLS, loaded when serve starts.
 *
 * Only serve speaks HTTP, yet every command paid for linking
 * libmicrohttpd: it brings GnuTLS and seven libraries of its own
 * (p11-kit, libtasn1, nettle, gmp, ...) for the dynamic loader to map and
 * relocate at every start, and its library constructor initialises GnuTLS
 * (libtasn1 parsing its ASN.1 definitions): together about half of the
 * start-up CPU of `skillserver invoke`. So the binary does not link them.
 * The few functions the front calls are defined here with the libraries'
 * own names and prototypes; each loads the libraries (once, with dlopen)
 * and calls the real function. The callers are unchanged. If the libraries
 * cannot be loaded, the reason is logged once, MHD_start_daemon() returns
 * NULL (serve then says it cannot serve) and nothing else is reached.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "dynlib.h"
#include "log.h"

/* The sonames of the libraries the headers describe (Debian 12:
 * libmicrohttpd12, libgnutls30). */
#define LIBMICROHTTPD "libmicrohttpd.so.12"
#define LIBGNUTLS "libgnutls.so.30"

static struct {
    struct MHD_Daemon *(*start_daemon_va)(unsigned int, uint16_t, MHD_AcceptPolicyCallback, void *,
                                          MHD_AccessHandlerCallback, void *, va_list);
    void (*stop_daemon)(struct MHD_Daemon *);
    MHD_socket (*quiesce_daemon)(struct MHD_Daemon *);
    const union MHD_DaemonInfo *(*get_daemon_info)(struct MHD_Daemon *, enum MHD_DaemonInfoType,
                                                   ...);
    const union MHD_ConnectionInfo *(*get_connection_info)(struct MHD_Connection *,
                                                           enum MHD_ConnectionInfoType, ...);
    int (*get_connection_values)(struct MHD_Connection *, enum MHD_ValueKind, MHD_KeyValueIterator,
                                 void *);
    const char *(*lookup_connection_value)(struct MHD_Connection *, enum MHD_ValueKind,
                                           const char *);
    void (*suspend_connection)(struct MHD_Connection *);
    void (*resume_connection)(struct MHD_Connection *);
    struct MHD_Response *(*create_response_from_buffer)(size_t, void *,
                                                        enum MHD_ResponseMemoryMode);
    struct MHD_Response *(*create_response_from_buffer_with_free_callback)(
        size_t, void *, MHD_ContentReaderFreeCallback);
    enum MHD_Result (*add_response_header)(struct MHD_Response *, const char *, const char *);
    enum MHD_Result (*queue_response)(struct MHD_Connection *, unsigned int, struct MHD_Response *);
    void (*destroy_response)(struct MHD_Response *);

    int (*session_ticket_key_generate)(gnutls_datum_t *);
    int (*session_ticket_enable_server)(gnutls_session_t, const gnutls_datum_t *);
    const char *(*strerror)(int);
    void (*memset)(void *, int, size_t);
    gnutls_free_function *free;
    /* tls.c's certificate reload */
    int (*certificate_allocate_credentials)(gnutls_certificate_credentials_t *);
    void (*certificate_free_credentials)(gnutls_certificate_credentials_t);
    int (*certificate_set_x509_key_mem2)(gnutls_certificate_credentials_t, const gnutls_datum_t *,
                                         const gnutls_datum_t *, gnutls_x509_crt_fmt_t,
                                         const char *, unsigned);
    int (*credentials_set)(gnutls_session_t, gnutls_credentials_type_t, void *);
} real;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool loaded;

/* Resolve name in lib into *slot (a pointer, whatever its type). */
static bool
resolve(void *lib, const char *name, void *slot)
{
    if (dynlib_resolve(lib, name, slot))
        return true;
    log_msg(LOG_ERROR, "%s lacks %s, which serve needs: %s", LIBMICROHTTPD, name, dlerror());
    return false;
}

static void
load(void)
{
    /* libmicrohttpd depends on GnuTLS, so loading it loads GnuTLS too; the
     * second dlopen only finds that copy. The libraries stay loaded for the
     * life of the process. */
    void *mhd = dlopen(LIBMICROHTTPD, RTLD_NOW | RTLD_LOCAL);
    void *tls = mhd ? dlopen(LIBGNUTLS, RTLD_NOW | RTLD_LOCAL) : NULL;
    if (!mhd || !tls) {
        log_msg(LOG_ERROR, "cannot load the HTTP library: %s (install libmicrohttpd12)", dlerror());
        return;
    }
    loaded =
        resolve(mhd, "MHD_start_daemon_va", &real.start_daemon_va) &&
        resolve(mhd, "MHD_stop_daemon", &real.stop_daemon) &&
        resolve(mhd, "MHD_quiesce_daemon", &real.quiesce_daemon) &&
        resolve(mhd, "MHD_get_daemon_info", &real.get_daemon_info) &&
        resolve(mhd, "MHD_get_connection_info", &real.get_connection_info) &&
        resolve(mhd, "MHD_get_connection_values", &real.get_connection_values) &&
        resolve(mhd, "MHD_lookup_connection_value", &real.lookup_connection_value) &&
        resolve(mhd, "MHD_suspend_connection", &real.suspend_connection) &&
        resolve(mhd, "MHD_resume_connection", &real.resume_connection) &&
        resolve(mhd, "MHD_create_response_from_buffer", &real.create_response_from_buffer) &&
        resolve(mhd, "MHD_create_response_from_buffer_with_free_callback",
                &real.create_response_from_buffer_with_free_callback) &&
        resolve(mhd, "MHD_add_response_header", &real.add_response_header) &&
        resolve(mhd, "MHD_queue_response", &real.queue_response) &&
        resolve(mhd, "MHD_destroy_response", &real.destroy_response) &&
        resolve(tls, "gnutls_session_ticket_key_generate", &real.session_ticket_key_generate) &&
        resolve(tls, "gnutls_session_ticket_enable_server", &real.session_ticket_enable_server) &&
        resolve(tls, "gnutls_strerror", &real.strerror) &&
        resolve(tls, "gnutls_memset", &real.memset) && resolve(tls, "gnutls_free", &real.free) &&
        resolve(tls, "gnutls_certificate_allocate_credentials",
                &real.certificate_allocate_credentials) &&
        resolve(tls, "gnutls_certificate_free_credentials", &real.certificate_free_credentials) &&
        resolve(tls, "gnutls_certificate_set_x509_key_mem2", &real.certificate_set_x509_key_mem2) &&
        resolve(tls, "gnutls_credentials_set", &real.credentials_set);
}

static bool
ready(void)
{
    return pthread_once(&once, load) == 0 && loaded;
}

/* --- libmicrohttpd ---------------------------------------------------------
 * Everything but MHD_start_daemon() is reached only through a daemon, a
 * connection or a response, so the library is loaded by then. */

struct MHD_Daemon *
MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc, void *apc_cls,
                 MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
    if (!ready())
        return NULL;
    va_list ap;
    va_start(ap, dh_cls);
    struct MHD_Daemon *d = real.start_daemon_va(flags, port, apc, apc_cls, dh, dh_cls, ap);
    va_end(ap);
    return d;
}

void
MHD_stop_daemon(struct MHD_Daemon *daemon)
{
    if (ready())
        real.stop_daemon(daemon);
}

MHD_socket
MHD_quiesce_daemon(struct MHD_Daemon *daemon)
{
    return ready() ? real.quiesce_daemon(daemon) : MHD_INVALID_SOCKET;
}

/* The information types the front asks for take no further arguments. */
const union MHD_DaemonInfo *
MHD_get_daemon_info(struct MHD_Daemon *daemon, enum MHD_DaemonInfoType info_type, ...)
{
    return ready() ? real.get_daemon_info(daemon, info_type) : NULL;
}

const union MHD_ConnectionInfo *
MHD_get_connection_info(struct MHD_Connection *connection, enum MHD_ConnectionInfoType info_type,
                        ...)
{
    return ready() ? real.get_connection_info(connection, info_type) : NULL;
}

int
MHD_get_connection_values(struct MHD_Connection *connection, enum MHD_ValueKind kind,
                          MHD_KeyValueIterator iterator, void *iterator_cls)
{
    return ready() ? real.get_connection_values(connection, kind, iterator, iterator_cls) : -1;
}

const char *
MHD_lookup_connection_value(struct MHD_Connection *connection, enum MHD_ValueKind kind,
                            const char *key)
{
    return ready() ? real.lookup_connection_value(connection, kind, key) : NULL;
}

void
MHD_suspend_connection(struct MHD_Connection *connection)
{
    if (ready())
        real.suspend_connection(connection);
}

void
MHD_resume_connection(struct MHD_Connection *connection)
{
    if (ready())
        real.resume_connection(connection);
}

struct MHD_Response *
MHD_create_response_from_buffer(size_t size, void *buffer, enum MHD_ResponseMemoryMode mode)
{
    return ready() ? real.create_response_from_buffer(size, buffer, mode) : NULL;
}

struct MHD_Response *
MHD_create_response_from_buffer_with_free_callback(size_t size, void *buffer,
                                                   MHD_ContentReaderFreeCallback crfc)
{
    return ready() ? real.create_response_from_buffer_with_free_callback(size, buffer, crfc) : NULL;
}

enum MHD_Result
MHD_add_response_header(struct MHD_Response *response, const char *header, const char *content)
{
    return ready() ? real.add_response_header(response, header, content) : MHD_NO;
}

enum MHD_Result
MHD_queue_response(struct MHD_Connection *connection, unsigned int status_code,
                   struct MHD_Response *response)
{
    return ready() ? real.queue_response(connection, status_code, response) : MHD_NO;
}

void
MHD_destroy_response(struct MHD_Response *response)
{
    if (ready())
        real.destroy_response(response);
}

/* --- GnuTLS --------------------------------------------------------------- */

int
gnutls_session_ticket_key_generate(gnutls_datum_t *key)
{
    return ready() ? real.session_ticket_key_generate(key) : GNUTLS_E_INTERNAL_ERROR;
}

int
gnutls_session_ticket_enable_server(gnutls_session_t session, const gnutls_datum_t *key)
{
    return ready() ? real.session_ticket_enable_server(session, key) : GNUTLS_E_INTERNAL_ERROR;
}

const char *
gnutls_strerror(int error)
{
    return ready() ? real.strerror(error) : "the TLS library (" LIBGNUTLS ") could not be loaded";
}

void
gnutls_memset(void *data, int c, size_t size)
{
    if (ready())
        real.memset(data, c, size);
}

int
gnutls_certificate_allocate_credentials(gnutls_certificate_credentials_t *res)
{
    return ready() ? real.certificate_allocate_credentials(res) : GNUTLS_E_INTERNAL_ERROR;
}

void
gnutls_certificate_free_credentials(gnutls_certificate_credentials_t sc)
{
    if (ready())
        real.certificate_free_credentials(sc);
}

int
gnutls_certificate_set_x509_key_mem2(gnutls_certificate_credentials_t res,
                                     const gnutls_datum_t *cert, const gnutls_datum_t *key,
                                     gnutls_x509_crt_fmt_t type, const char *pass, unsigned flags)
{
    return ready() ? real.certificate_set_x509_key_mem2(res, cert, key, type, pass, flags)
                   : GNUTLS_E_INTERNAL_ERROR;
}

int
gnutls_credentials_set(gnutls_session_t session, gnutls_credentials_type_t type, void *cred)
{
    return ready() ? real.credentials_set(session, type, cred) : GNUTLS_E_INTERNAL_ERROR;
}

/* GnuTLS exports its deallocator as a variable, and the header's
 * gnutls_free() macro calls through it: this variable stands in for it and
 * hands memory that GnuTLS allocated back to GnuTLS's own. */
static void
free_with_gnutls(void *ptr)
{
    if (ptr && ready())
        (*real.free)(ptr);
}

gnutls_free_function gnutls_free = free_with_gnutls;
