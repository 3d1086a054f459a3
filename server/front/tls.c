/*
 * tls.c - the endpoint's TLS: its certificate and private key (the flags,
 * or the pair certs/make-endpoint-cert.sh leaves in DATA/tls/), read once at
 * start-up, before privileges are dropped, and handed to libmicrohttpd
 * (GnuTLS) with the protocol versions, ciphers and key-exchange groups
 * allowed; the session-ticket key that lets a client resume a TLS 1.3
 * session without a new signature; and how the daemon waits on TLS
 * connections.
 *
 * What must stay true: the key is read while the process may still be
 * root, and our copy is wiped as soon as GnuTLS has its own, and again
 * before it is freed. The ticket key is made here at start-up, lives only
 * in this process's memory (never on disk, so a restart invalidates every
 * ticket) and is wiped at exit. SIGHUP reads the pair again (a renewed
 * certificate): libmicrohttpd 0.9.75 cannot change a running daemon's
 * certificate, so each new connection is given the new pair before its
 * handshake (gnutls_credentials_set() on its session), and the old pair
 * lives as long as a connection that started with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "front_internal.h"
#include "log.h"

/* GnuTLS priorities (spec/request-verification.md §1.4):
 * - TLS 1.2 and 1.3 only; forward-secret (ECDHE) key exchange; AEAD ciphers.
 * - Groups: X25519, then the NIST curves. Finite-field groups are left out:
 *   every client that offers them offers a curve too, and an FFDHE-2048
 *   exchange costs about as much as the certificate's signature.
 * - The client's order decides (no %SERVER_PRECEDENCE): every choice on the
 *   list is strong, and a TLS 1.3 client sends a key share for its first
 *   group only. Were our order to decide, GnuTLS would answer a client whose
 *   first group is not ours with a HelloRetryRequest: a whole extra round
 *   trip, and a second ClientHello to parse, on every new connection (NORMAL
 *   lists P-256 first; OpenSSL, Java and browsers lead with X25519).
 * - %NO_TICKETS_TLS12: session tickets for TLS 1.3 only. A TLS 1.2 ticket
 *   carries the session's master secret under the ticket key, so whoever
 *   later reads that key from this process could decrypt recorded TLS 1.2
 *   traffic; a TLS 1.3 resumption still runs a fresh ECDHE exchange
 *   (GnuTLS's server accepts only psk_dhe_ke while no PSK key exchange is
 *   enabled), so forward secrecy holds. GnuTLS's own "PFS" level makes the
 *   same choice. */
#define TLS_PRIORITIES                                                                             \
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-RSA:-DHE-RSA:-DHE-DSS:-CIPHER-ALL:"               \
    "+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:"      \
    "+GROUP-SECP384R1:+GROUP-SECP521R1:%NO_TICKETS_TLS12"

/* Read a whole (small) PEM file; the caller frees. NULL with err set. */
static char *
read_pem(const char *path, const char *what, size_t *len, struct ss_error *err)
{
    char *buf = NULL;
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        ss_fail(err, SS_ERR_USAGE, "cannot open the %s %s: %s", what, path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
        st.st_size > LIMIT_TLS_PEM_BYTES) {
        ss_fail(err, SS_ERR_USAGE, "the %s %s is not a PEM file (empty, too large or not a file)",
                what, path);
        goto out;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        ss_fail(err, SS_ERR_NOMEM, "out of memory");
        goto out;
    }
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            ss_fail(err, SS_ERR_USAGE, "cannot read the %s %s: %s", what, path,
                    n < 0 ? strerror(errno) : "file shrank");
            free(buf);
            buf = NULL;
            goto out;
        }
        got += (size_t)n;
    }
    buf[got] = '\0';
    *len = got;
    if (!strstr(buf, "-----BEGIN ")) {
        ss_fail(err, SS_ERR_USAGE, "the %s %s is not in PEM format (no -----BEGIN line)", what,
                path);
        explicit_bzero(buf, got);
        free(buf);
        buf = NULL;
    }
out:
    close(fd);
    return buf;
}

int
tls_configure(struct http_server *srv, const struct http_config *cfg)
{
    struct ss_error err;
    ss_error_clear(&err);

    if (cfg->no_tls && (cfg->tls_cert || cfg->tls_key)) {
        log_msg(LOG_ERROR, "--no-tls and --tls-cert/--tls-key do not go together");
        return 2;
    }
    if (!cfg->no_tls) {
        if (!cfg->tls_cert != !cfg->tls_key) {
            log_msg(LOG_ERROR, "--tls-cert and --tls-key go together: the certificate and its "
                               "private key");
            return 2;
        }
        if (!cfg->tls_cert) {
            /* The certificate `make run` (certs/make-endpoint-cert.sh --if-missing
             * localhost DATA/tls) leaves in the data folder. */
            if (asprintf(&srv->default_cert, "%s/tls/%s", cfg->data_dir, HTTP_TLS_CERT_FILE) < 0 ||
                asprintf(&srv->default_key, "%s/tls/%s", cfg->data_dir, HTTP_TLS_KEY_FILE) < 0) {
                srv->default_cert = srv->default_key = NULL;
                log_msg(LOG_ERROR, "out of memory");
                return 1;
            }
            if ((access(srv->default_cert, F_OK) != 0 || access(srv->default_key, F_OK) != 0) &&
                cfg->class_mode) {
                /* A class's certificate names this machine's addresses, not
                 * localhost only: the children's browsers open it by address. */
                log_msg(LOG_ERROR,
                        "serve --class needs a certificate for this machine: make one with "
                        "`certs/make-endpoint-cert.sh --class %s/tls` (it names this machine's "
                        "host name and addresses), then start serve --class again; or give "
                        "--tls-cert PEM --tls-key PEM",
                        cfg->data_dir);
                return 2;
            }
            if (access(srv->default_cert, F_OK) != 0 || access(srv->default_key, F_OK) != 0) {
                log_msg(LOG_ERROR,
                        "serve needs a certificate: --tls-cert PEM --tls-key PEM, or one in "
                        "%s/tls/ (make a self-signed one with certs/make-endpoint-cert.sh "
                        "localhost %s/tls), or --no-tls behind a proxy that terminates TLS",
                        cfg->data_dir, cfg->data_dir);
                return 2;
            }
            srv->cfg.tls_cert = srv->default_cert;
            srv->cfg.tls_key = srv->default_key;
            log_msg(LOG_INFO, "using the certificate %s", srv->default_cert);
        }
        size_t cert_len = 0;
        srv->tls_cert_pem = read_pem(srv->cfg.tls_cert, "certificate", &cert_len, &err);
        if (srv->tls_cert_pem)
            srv->tls_key_pem = read_pem(srv->cfg.tls_key, "private key", &srv->tls_key_len, &err);
        if (!srv->tls_cert_pem || !srv->tls_key_pem) {
            log_msg(LOG_ERROR, "%s", err.msg);
            return 2;
        }
        struct stat st;
        if (stat(srv->cfg.tls_key, &st) == 0 && (st.st_mode & 077))
            log_msg(LOG_WARN, "the private key %s can be read by other users; chmod 600 it",
                    srv->cfg.tls_key);
        /* Made once per start and never rotated by us: GnuTLS derives the key
         * that actually encrypts tickets from it and replaces that one every
         * 3 ticket lifetimes (18 h by default), still accepting the previous
         * one. Without it the server still works, only every connection needs
         * a full handshake. */
        int rc = gnutls_session_ticket_key_generate(&srv->tls_ticket_key);
        if (rc != GNUTLS_E_SUCCESS) {
            srv->tls_ticket_key = (gnutls_datum_t){NULL, 0};
            log_msg(LOG_WARN, "TLS session resumption is off: cannot make a ticket key (%s)",
                    gnutls_strerror(rc));
        }
    }
    return 0;
}

unsigned
tls_daemon_flags(const struct http_server *srv, unsigned flags)
{
    if (!srv->tls_cert_pem)
        return flags;
    /* libmicrohttpd 0.9.75 (and 1.0.1 still) busy-waits on a TLS connection
     * whose handshake waits for the client in epoll mode: gnutls_handshake()'s
     * GNUTLS_E_AGAIN does not clear the connection's read-ready mark, so the
     * thread calls recv() in a loop until the client's next flight arrives.
     * Every handshake burnt a thread for a round trip, and one silent TCP
     * connection held a core until the receive limit cut it off. poll() has
     * no such mark.
     * MHD_USE_TURBO goes too: with poll() all it changes (0.9.75) is that a
     * closing connection gets no TLS close_notify, which RFC 8446 §6.1 asks
     * for and without which OpenSSL clients drop the session as truncated
     * (no resumption next time). */
    flags &= ~(unsigned)(MHD_USE_EPOLL | MHD_USE_TURBO);
    return flags | MHD_USE_POLL | MHD_USE_TLS;
}

/* A certificate and key read by tls_reload(), shared by the connections
 * that started since; the last reference frees it. */
struct tls_creds {
    gnutls_certificate_credentials_t cred;
    atomic_uint refs;
};

void
tls_release(struct tls_creds *creds)
{
    if (!creds || atomic_fetch_sub_explicit(&creds->refs, 1, memory_order_acq_rel) != 1)
        return;
    gnutls_certificate_free_credentials(creds->cred);
    free(creds);
}

void
tls_on_connection(struct http_server *srv, struct MHD_Connection *connection,
                  struct tls_creds **held)
{
    if (!srv->tls_cert_pem)
        return;
    /* Called before the handshake starts (MHD_CONNECTION_NOTIFY_STARTED comes
     * after libmicrohttpd's gnutls_init() and gnutls_credentials_set()). */
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (!info || !info->tls_session)
        return;
    if (held) {
        /* After a reload: the new certificate, in place of the one
         * libmicrohttpd was started with (which it cannot change). */
        pthread_mutex_lock(&srv->tls_lock);
        struct tls_creds *creds = srv->tls_creds;
        if (creds)
            atomic_fetch_add_explicit(&creds->refs, 1, memory_order_relaxed);
        pthread_mutex_unlock(&srv->tls_lock);
        if (creds &&
            gnutls_credentials_set(info->tls_session, GNUTLS_CRD_CERTIFICATE, creds->cred) != 0) {
            tls_release(creds);
            creds = NULL;
        }
        *held = creds;
    }
    if (!srv->tls_ticket_key.data)
        return;
    int rc = gnutls_session_ticket_enable_server(info->tls_session, &srv->tls_ticket_key);
    if (rc != GNUTLS_E_SUCCESS &&
        !atomic_exchange_explicit(&srv->tls_ticket_failed, true, memory_order_relaxed))
        log_msg(LOG_WARN, "a TLS connection cannot offer session resumption: %s (said once)",
                gnutls_strerror(rc));
}

void
tls_reload(struct http_server *srv)
{
    struct ss_error err;
    size_t cert_len = 0, key_len = 0;
    char *key = NULL;
    struct tls_creds *creds = NULL;

    if (!srv->tls_cert_pem)
        return;
    ss_error_clear(&err);
    char *cert = read_pem(srv->cfg.tls_cert, "certificate", &cert_len, &err);
    if (cert)
        key = read_pem(srv->cfg.tls_key, "private key", &key_len, &err);
    if (!cert || !key) {
        log_msg(LOG_ERROR, "TLS: %s; the certificate in use is kept", err.msg);
        goto out;
    }
    creds = calloc(1, sizeof(*creds));
    if (!creds || gnutls_certificate_allocate_credentials(&creds->cred) != GNUTLS_E_SUCCESS) {
        log_msg(LOG_ERROR, "TLS: out of memory; the certificate in use is kept");
        free(creds);
        creds = NULL;
        goto out;
    }
    atomic_init(&creds->refs, 1);
    gnutls_datum_t c = {(unsigned char *)cert, (unsigned)cert_len};
    gnutls_datum_t k = {(unsigned char *)key, (unsigned)key_len};
    /* GnuTLS checks that the key is the certificate's. */
    int rc =
        gnutls_certificate_set_x509_key_mem2(creds->cred, &c, &k, GNUTLS_X509_FMT_PEM, NULL, 0);
    if (rc < 0) {
        log_msg(LOG_ERROR,
                "TLS: %s and %s do not make a certificate and its key (%s); the certificate "
                "in use is kept",
                srv->cfg.tls_cert, srv->cfg.tls_key, gnutls_strerror(rc));
        tls_release(creds);
        creds = NULL;
        goto out;
    }
    pthread_mutex_lock(&srv->tls_lock);
    struct tls_creds *old = srv->tls_creds;
    srv->tls_creds = creds;
    pthread_mutex_unlock(&srv->tls_lock);
    tls_release(old);
    log_msg(LOG_INFO, "TLS: new connections get the certificate read again from %s",
            srv->cfg.tls_cert);
out:
    free(cert);
    if (key) {
        explicit_bzero(key, key_len);
        free(key);
    }
}

void
tls_daemon_options(const struct http_server *srv, struct MHD_OptionItem opts[4])
{
    opts[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, srv->tls_cert_pem};
    opts[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, srv->tls_key_pem};
    opts[2] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)TLS_PRIORITIES};
    opts[3] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
}

void
tls_forget_key(struct http_server *srv)
{
    if (srv->tls_key_pem)
        explicit_bzero(srv->tls_key_pem, srv->tls_key_len);
}

void
tls_cleanup(struct http_server *srv)
{
    /* Every connection is closed by now: this is the last reference. */
    tls_release(srv->tls_creds);
    srv->tls_creds = NULL;
    if (srv->tls_ticket_key.data) {
        gnutls_memset(srv->tls_ticket_key.data, 0, srv->tls_ticket_key.size);
        gnutls_free(srv->tls_ticket_key.data);
        srv->tls_ticket_key = (gnutls_datum_t){NULL, 0};
    }
    free(srv->default_cert);
    free(srv->default_key);
    free(srv->tls_cert_pem);
    if (srv->tls_key_pem) {
        explicit_bzero(srv->tls_key_pem, srv->tls_key_len);
        free(srv->tls_key_pem);
    }
    srv->default_cert = srv->default_key = srv->tls_cert_pem = srv->tls_key_pem = NULL;
}
