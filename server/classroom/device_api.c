/*
 * device_api.c - Alexa's device settings API, offline, for say (see
 * device_api.h): the answer to a request head, and a loopback listener that
 * gives it.
 */
#include "device_api.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto.h"

/* The most a request head may be, and how long a client may take to send
 * it: a skill that sends less, or nothing, holds only itself up. */
#define HEAD_BYTES 8192
#define HEAD_WAIT_MS 2000

#define SETTINGS_PREFIX "/v2/devices/"
#define ADDRESS_PREFIX "/v1/devices/"
#define PROFILE_PREFIX "/v2/accounts/~current/settings/Profile."

/* ---- The answer ---- */

/* A setting's value: a JSON string. */
static int
value(char *body, size_t cap, const char *text)
{
    snprintf(body, cap, "\"%s\"", text);
    return 200;
}

/* An error of the settings and profile API: {"code", "message"}. */
static int
ups_error(char *body, size_t cap, int status, const char *code, const char *message)
{
    snprintf(body, cap, "{\"code\":\"%s\",\"message\":\"%s\"}", code, message);
    return status;
}

/* The header name's value in the lines after the request line, trimmed,
 * into buf; false when there is none. */
static bool
header(const char *head, size_t len, const char *name, char *buf, size_t cap)
{
    size_t n = strlen(name);
    const char *end = head + len;
    const char *p = memchr(head, '\n', len);
    while (p && p < end) {
        p++;
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = eol ? eol : end;
        if ((size_t)(line_end - p) > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1;
            while (v < line_end && (*v == ' ' || *v == '\t'))
                v++;
            const char *ve = line_end;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            size_t vn = (size_t)(ve - v);
            if (vn >= cap)
                return false;
            memcpy(buf, v, vn);
            buf[vn] = '\0';
            return true;
        }
        p = eol;
    }
    return false;
}

/* A US locale ("en-US", "es-US"): Alexa's units there are imperial. */
static bool
us_locale(const char *locale)
{
    size_t n = locale ? strlen(locale) : 0;
    return n >= 3 && strcmp(locale + n - 3, "-US") == 0;
}

int
device_api_answer(const char *head, size_t len, const struct device_api_settings *s, char *body,
                  size_t cap)
{
    char method[16], target[1024], version[16], auth[1024];
    const char *eol = memchr(head, '\n', len);
    size_t line_len = eol ? (size_t)(eol - head) : len;
    char line[sizeof(target) + 64];

    if (line_len >= sizeof(line) || memchr(head, '\0', line_len))
        return ups_error(body, cap, 400, "INVALID_URI", "The request line is too long.");
    memcpy(line, head, line_len);
    line[line_len] = '\0';
    if (sscanf(line, "%15s %1023s %15s", method, target, version) != 3 ||
        strncmp(version, "HTTP/1.", 7) != 0 || target[0] != '/')
        return ups_error(body, cap, 400, "INVALID_URI", "This is not an HTTP/1 request.");
    if (strcmp(method, "GET") != 0)
        return ups_error(body, cap, 405, "INVALID_URI", "The method is not supported: use GET.");
    char *query = strchr(target, '?');
    if (query)
        *query = '\0';

    char want[512];
    snprintf(want, sizeof(want), "Bearer %s", s->token);
    if (!header(head, len, "Authorization", auth, sizeof(auth)) || strcmp(auth, want) != 0)
        return ups_error(body, cap, 401, "INVALID_TOKEN",
                         "The authentication token is malformed or invalid: send the request's "
                         "apiAccessToken as Authorization: Bearer TOKEN.");

    size_t dn = strlen(s->device_id);
    if (strncmp(target, ADDRESS_PREFIX, strlen(ADDRESS_PREFIX)) == 0) {
        const char *rest = target + strlen(ADDRESS_PREFIX);
        if (strncmp(rest, s->device_id, dn) == 0 &&
            (strcmp(rest + dn, "/settings/address") == 0 ||
             strcmp(rest + dn, "/settings/address/countryAndPostalCode") == 0)) {
            snprintf(body, cap, "%s",
                     "{\"type\":\"FORBIDDEN\",\"message\":\"The authentication token is "
                     "invalid or doesn't have access to the resource: the user has not granted "
                     "this skill the address permission (say's requests carry no "
                     "permissions).\"}");
            return 403;
        }
    } else if (strncmp(target, PROFILE_PREFIX, strlen(PROFILE_PREFIX)) == 0) {
        return ups_error(body, cap, 403, "INVALID_TOKEN",
                         "The authentication token does not have access to resource: the user "
                         "has not granted this skill that permission (say's requests carry no "
                         "permissions).");
    } else if (strncmp(target, SETTINGS_PREFIX, strlen(SETTINGS_PREFIX)) == 0) {
        const char *rest = target + strlen(SETTINGS_PREFIX);
        if (strncmp(rest, s->device_id, dn) != 0 || strncmp(rest + dn, "/settings/", 10) != 0)
            return ups_error(body, cap, 400, "INVALID_URI",
                             "No such device: say's requests come from one device, the "
                             "request's context.System.device.deviceId.");
        const char *key = rest + dn + 10;
        if (strcmp(key, "System.timeZone") == 0)
            return value(body, cap, s->time_zone);
        if (strcmp(key, "System.distanceUnits") == 0)
            return value(body, cap, us_locale(s->locale) ? "IMPERIAL" : "METRIC");
        if (strcmp(key, "System.temperatureUnit") == 0)
            return value(body, cap, us_locale(s->locale) ? "FAHRENHEIT" : "CELSIUS");
        return ups_error(body, cap, 400, "INVALID_KEY",
                         "No such setting: there are System.timeZone, System.distanceUnits "
                         "and System.temperatureUnit.");
    }
    return ups_error(body, cap, 404, "INVALID_URI",
                     "say answers Alexa's device settings API only: "
                     "/v2/devices/DEVICE_ID/settings/System.timeZone and the like.");
}

/* ---- The machine's time zone ---- */

/* A zone name as IANA writes them: letters, digits and _/+- only, so that
 * it goes into JSON as it is. */
static bool
zone_name(const char *z)
{
    size_t n = z ? strlen(z) : 0;
    if (n == 0 || n > 64 || z[0] == '/')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = z[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '/' || c == '+' || c == '-'))
            return false;
    }
    return true;
}

void
device_api_local_zone(char *buf, size_t cap)
{
    char line[PATH_MAX];
    const char *tz = getenv("TZ");

    if (tz && tz[0] == ':')
        tz++;
    if (zone_name(tz) && strchr(tz, '/')) {
        snprintf(buf, cap, "%s", tz);
        return;
    }
    FILE *f = fopen("/etc/timezone", "re");
    if (f) {
        bool got = fgets(line, sizeof(line), f) != NULL;
        fclose(f);
        line[strcspn(line, "\r\n")] = '\0';
        if (got && zone_name(line)) {
            snprintf(buf, cap, "%s", line);
            return;
        }
    }
    ssize_t n = readlink("/etc/localtime", line, sizeof(line) - 1);
    if (n > 0) {
        line[n] = '\0';
        const char *at = strstr(line, "zoneinfo/");
        if (at && zone_name(at + 9)) {
            snprintf(buf, cap, "%s", at + 9);
            return;
        }
    }
    snprintf(buf, cap, "Etc/UTC");
}

/* ---- The listener ---- */

struct device_api {
    int listen_fd;
    int stop[2];
    pthread_t thread;
    bool running;
    char token[256];
    char device_id[256];
    char locale[32];
    char zone[128];
    char endpoint[64];
};

static const char *
reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 405:
        return "Method Not Allowed";
    default:
        return "Not Found";
    }
}

/* Read one request head from fd and answer it. */
static void
serve_one(struct device_api *api, int fd)
{
    char head[HEAD_BYTES];
    size_t len = 0;
    int64_t until = proto_now_ms() + HEAD_WAIT_MS;

    while (len < sizeof(head)) {
        int64_t left = until - proto_now_ms();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            return;
        ssize_t n = recv(fd, head + len, sizeof(head) - len, MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            return;
        len += (size_t)n;
        if ((len >= 4 && memmem(head, len, "\r\n\r\n", 4)) || memmem(head, len, "\n\n", 2))
            break;
    }
    struct device_api_settings s = {.token = api->token,
                                    .device_id = api->device_id,
                                    .time_zone = api->zone,
                                    .locale = api->locale[0] ? api->locale : NULL};
    char body[1024], out[1400];
    int status = device_api_answer(head, len, &s, body, sizeof(body));
    int n = snprintf(out, sizeof(out),
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     status, reason(status), strlen(body), body);
    size_t total = n > 0 && (size_t)n < sizeof(out) ? (size_t)n : 0;
    for (size_t sent = 0; sent < total;) {
        ssize_t w = send(fd, out + sent, total - sent, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        sent += (size_t)w;
    }
    /* Closing with unread bytes would reset the connection, and the client
     * could lose the answer: say we are done, and read what is left for a
     * moment. */
    if (shutdown(fd, SHUT_WR) != 0)
        return;
    until = proto_now_ms() + 200;
    for (;;) {
        int64_t left = until - proto_now_ms();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)left) <= 0 ||
            recv(fd, head, sizeof(head), MSG_DONTWAIT) <= 0)
            return;
    }
}

static void *
run(void *arg)
{
    struct device_api *api = arg;
    for (;;) {
        struct pollfd p[2] = {{.fd = api->listen_fd, .events = POLLIN},
                              {.fd = api->stop[0], .events = POLLIN}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[1].revents)
            break;
        if (!p[0].revents)
            continue;
        int fd = accept4(api->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        serve_one(api, fd);
        close(fd);
    }
    return NULL;
}

struct device_api *
device_api_start(const char *token, const char *device_id, const char *locale, struct ss_error *err)
{
    struct device_api *api = calloc(1, sizeof(*api));
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(addr);

    if (!api) {
        ss_fail(err, SS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    api->listen_fd = -1;
    api->stop[0] = api->stop[1] = -1;
    snprintf(api->token, sizeof(api->token), "%s", token);
    snprintf(api->device_id, sizeof(api->device_id), "%s", device_id);
    snprintf(api->locale, sizeof(api->locale), "%s", locale ? locale : "");
    device_api_local_zone(api->zone, sizeof(api->zone));
    api->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (api->listen_fd < 0 || bind(api->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        listen(api->listen_fd, 16) != 0 ||
        getsockname(api->listen_fd, (struct sockaddr *)&addr, &alen) != 0 ||
        pipe2(api->stop, O_CLOEXEC) != 0) {
        ss_fail(err, SS_ERR_IO, "cannot listen on 127.0.0.1 for the device settings API: %s",
                strerror(errno));
        device_api_stop(api);
        return NULL;
    }
    snprintf(api->endpoint, sizeof(api->endpoint), "http://127.0.0.1:%u",
             (unsigned)ntohs(addr.sin_port));
    if (pthread_create(&api->thread, NULL, run, api) != 0) {
        ss_fail(err, SS_ERR_IO, "cannot start the device settings API's thread");
        device_api_stop(api);
        return NULL;
    }
    api->running = true;
    return api;
}

const char *
device_api_endpoint(const struct device_api *api)
{
    return api->endpoint;
}

void
device_api_stop(struct device_api *api)
{
    if (!api)
        return;
    if (api->running) {
        char one = 1;
        ssize_t unused = write(api->stop[1], &one, 1);
        (void)unused;
        pthread_join(api->thread, NULL);
    }
    for (int i = 0; i < 2; i++)
        if (api->stop[i] >= 0)
            close(api->stop[i]);
    if (api->listen_fd >= 0)
        close(api->listen_fd);
    free(api);
}
