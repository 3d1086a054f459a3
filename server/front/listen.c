/*
 * listen.c - the addresses serve listens on: "ADDR:PORT" parsed and
 * printed, loopback told apart (--dev and --no-verify depend on it), and
 * the listening sockets, bound before privileges are dropped and then
 * handed to libmicrohttpd.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "front_internal.h"
#include "log.h"

enum ss_err
http_parse_listen(const char *text, struct sockaddr_storage *out, socklen_t *len,
                  struct ss_error *err)
{
    char host[256];
    const char *port;
    struct addrinfo hints = {0}, *res = NULL, *pick = NULL;

    if (!text || !*text)
        return ss_fail(err, SS_ERR_USAGE, "--listen needs ADDR:PORT, such as 127.0.0.1:8443");
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':' || (size_t)(close - text - 1) >= sizeof(host))
            return ss_fail(err, SS_ERR_USAGE,
                           "--listen '%s': write an IPv6 address as [ADDR]:PORT, such as "
                           "[::1]:8443",
                           text);
        memcpy(host, text + 1, (size_t)(close - text - 1));
        host[close - text - 1] = '\0';
        port = close + 2;
    } else {
        const char *colon = strrchr(text, ':');
        if (!colon || colon == text || (size_t)(colon - text) >= sizeof(host) ||
            memchr(text, ':', (size_t)(colon - text)))
            return ss_fail(err, SS_ERR_USAGE,
                           "--listen '%s' is not ADDR:PORT, such as 127.0.0.1:8443 or "
                           "0.0.0.0:443",
                           text);
        memcpy(host, text, (size_t)(colon - text));
        host[colon - text] = '\0';
        port = colon + 1;
    }
    char *end;
    errno = 0;
    long p = strtol(port, &end, 10);
    if (!*port || *end || errno || p < 0 || p > 65535)
        return ss_fail(err, SS_ERR_USAGE, "--listen '%s': the port must be 0 to 65535", text);

    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    int g = getaddrinfo(host, port, &hints, &res);
    if (g != 0)
        return ss_fail(err, SS_ERR_USAGE, "--listen '%s': cannot resolve %s: %s", text, host,
                       gai_strerror(g));
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
            continue;
        /* Prefer IPv4 for names like localhost, which most clients try first. */
        if (!pick || (pick->ai_family != AF_INET && ai->ai_family == AF_INET))
            pick = ai;
    }
    if (!pick || pick->ai_addrlen > sizeof(*out)) {
        freeaddrinfo(res);
        return ss_fail(err, SS_ERR_USAGE, "--listen '%s': %s has no IPv4 or IPv6 address", text,
                       host);
    }
    memset(out, 0, sizeof(*out));
    memcpy(out, pick->ai_addr, pick->ai_addrlen);
    *len = pick->ai_addrlen;
    freeaddrinfo(res);
    return SS_ERR_OK;
}

bool
http_addr_is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(a))
            return true;
        return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
    }
    return false;
}

void
http_format_addr(const struct sockaddr *sa, char *buf, size_t cap)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
        snprintf(buf, cap, "[%s]:%u", ip, (unsigned)ntohs(in6->sin6_port));
    } else {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
        snprintf(buf, cap, "%s:%u", ip, (unsigned)ntohs(in->sin_port));
    }
}

/* Bind and listen on addr, before privileges are dropped (port 443 needs
 * root); libmicrohttpd takes the socket over. Returns the socket, or -1
 * after saying why (what and where name it in the message). */
static int
listen_socket(const struct sockaddr_storage *addr, socklen_t len, const char *what,
              const char *where)
{
    int one = 1;
    int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        (addr->ss_family == AF_INET6 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) ||
        bind(fd, (const struct sockaddr *)addr, len) != 0 ||
        listen(fd, LIMIT_HTTP_LISTEN_BACKLOG) != 0) {
        log_msg(LOG_ERROR, "cannot serve %s%s: %s", what, where, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

int
listen_bind(struct http_server *srv)
{
    /* A socket systemd passed is already listening (notify.c). */
    if (srv->listen_fd < 0)
        srv->listen_fd = listen_socket(&srv->addr, srv->addr_len, "on ", srv->cfg.listen);
    if (srv->listen_fd < 0)
        return 1;
    if (srv->cfg.metrics_listen) {
        srv->metrics_fd = listen_socket(&srv->metrics_addr, srv->metrics_addr_len, "metrics on ",
                                        srv->cfg.metrics_listen);
        if (srv->metrics_fd < 0)
            return 1;
    }
    return 0;
}

void
listen_learn_port(struct MHD_Daemon *daemon, struct sockaddr_storage *addr)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    if (!info || !info->port)
        return;
    if (addr->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)addr)->sin6_port = htons(info->port);
    else
        ((struct sockaddr_in *)addr)->sin_port = htons(info->port);
}
