/* test_device_api.c - Alexa's device settings API as say answers it: each
 * route and refusal, the machine's zone, and the listener over a socket. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "device_api.h"
#include "tap.h"

#define TOKEN "tok-123"
#define DEVICE "amzn1.ask.device.D1"
#define AUTH "Authorization: Bearer " TOKEN "\r\n"

static const struct device_api_settings US = {TOKEN, DEVICE, "America/Chicago", "en-US"};
static const struct device_api_settings DE = {TOKEN, DEVICE, "Europe/Berlin", "de-DE"};

static int
ask(const struct device_api_settings *s, const char *head, char *body)
{
    return device_api_answer(head, strlen(head), s, body, 1024);
}

static void
routes(void)
{
    char body[1024];

    is_int(ask(&US, "GET /v2/devices/" DEVICE "/settings/System.timeZone HTTP/1.1\r\n" AUTH "\r\n",
               body),
           200, "the time zone");
    is_str(body, "\"America/Chicago\"", "as a JSON string");
    is_int(
        ask(&DE, "GET /v2/devices/" DEVICE "/settings/System.timeZone?x=1 HTTP/1.1\r\n" AUTH, body),
        200, "a query is ignored");
    is_str(body, "\"Europe/Berlin\"", "the zone given");
    ask(&US, "GET /v2/devices/" DEVICE "/settings/System.distanceUnits HTTP/1.1\r\n" AUTH, body);
    is_str(body, "\"IMPERIAL\"", "miles in the US");
    ask(&DE, "GET /v2/devices/" DEVICE "/settings/System.distanceUnits HTTP/1.1\r\n" AUTH, body);
    is_str(body, "\"METRIC\"", "kilometres elsewhere");
    ask(&US, "GET /v2/devices/" DEVICE "/settings/System.temperatureUnit HTTP/1.0\n" AUTH, body);
    is_str(body, "\"FAHRENHEIT\"", "Fahrenheit in the US");
    struct device_api_settings none = {TOKEN, DEVICE, "Etc/UTC", NULL};
    ask(&none, "GET /v2/devices/" DEVICE "/settings/System.temperatureUnit HTTP/1.1\r\n" AUTH,
        body);
    is_str(body, "\"CELSIUS\"", "Celsius without a locale");
    /* Header names in any case, the value trimmed. */
    is_int(ask(&US,
               "GET /v2/devices/" DEVICE "/settings/System.timeZone HTTP/1.1\r\nHost: x\r\n"
               "authorization:   Bearer " TOKEN "  \r\n\r\n",
               body),
           200, "authorization in lower case");

    /* Refusals, each with the API's error shape. */
    is_int(ask(&US, "GET /v2/devices/" DEVICE "/settings/System.timeZone HTTP/1.1\r\n\r\n", body),
           401, "no token");
    contains(body, "\"code\":\"INVALID_TOKEN\"", "INVALID_TOKEN");
    is_int(ask(&US,
               "GET /v2/devices/" DEVICE "/settings/System.timeZone HTTP/1.1\r\n"
               "Authorization: Bearer tok-1234\r\n",
               body),
           401, "another token");
    is_int(ask(&US,
               "GET /v2/devices/" DEVICE "/settings/System.timeZone HTTP/1.1\r\n"
               "Authorization: " TOKEN "\r\n",
               body),
           401, "a token without Bearer");
    is_int(ask(&US, "GET /v2/devices/other/settings/System.timeZone HTTP/1.1\r\n" AUTH, body), 400,
           "another device");
    contains(body, "deviceId", "says which device there is");
    is_int(ask(&US, "GET /v2/devices/" DEVICE "/settings/System.locales HTTP/1.1\r\n" AUTH, body),
           400, "another setting");
    contains(body, "System.timeZone", "says which there are");
    is_int(ask(&US, "GET /v1/devices/" DEVICE "/settings/address HTTP/1.1\r\n" AUTH, body), 403,
           "the address: no permission");
    contains(body, "\"type\":\"FORBIDDEN\"", "in the address API's shape");
    is_int(ask(&US,
               "GET /v1/devices/" DEVICE "/settings/address/countryAndPostalCode HTTP/1.1\r\n" AUTH,
               body),
           403, "country and postal code: no permission");
    is_int(ask(&US, "GET /v2/accounts/~current/settings/Profile.givenName HTTP/1.1\r\n" AUTH, body),
           403, "the profile: no permission");
    is_int(ask(&US, "POST /v2/devices/" DEVICE "/settings/System.timeZone HTTP/1.1\r\n" AUTH, body),
           405, "GET only");
    is_int(ask(&US, "GET /v3/reminders HTTP/1.1\r\n" AUTH, body), 404, "other APIs");
    is_int(ask(&US, "GET /v2/devices HTTP/2\r\n" AUTH, body), 400, "not HTTP/1");
    is_int(ask(&US, "", body), 400, "nothing");
    is_int(ask(&US, "GET", body), 400, "half a line");
    char big[4096];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    is_int(ask(&US, big, body), 400, "a line too long");
    /* A NUL in the head: the line ends there, as far as this reads it. */
    is_int(device_api_answer("GET /\0 HTTP/1.1\r\n", 18, &US, body, sizeof(body)), 400,
           "a NUL in the request line");
}

static void
zone(void)
{
    char buf[128];
    setenv("TZ", ":Europe/Berlin", 1);
    device_api_local_zone(buf, sizeof(buf));
    is_str(buf, "Europe/Berlin", "TZ with a colon");
    setenv("TZ", "Asia/Tokyo", 1);
    device_api_local_zone(buf, sizeof(buf));
    is_str(buf, "Asia/Tokyo", "TZ without");
    setenv("TZ", "Europe/\"Berlin", 1);
    device_api_local_zone(buf, sizeof(buf));
    ok(strchr(buf, '"') == NULL && buf[0], "a TZ that is no zone name is not used: %s", buf);
    unsetenv("TZ");
    device_api_local_zone(buf, sizeof(buf));
    ok(buf[0] && strchr(buf, '/'), "the machine's zone: %s", buf);
}

/* One request over a socket to the listener; the whole response into out. */
static void
fetch(const char *endpoint, const char *request, char *out, size_t cap)
{
    unsigned port = 0;
    out[0] = '\0';
    if (sscanf(endpoint, "http://127.0.0.1:%u", &port) != 1)
        return;
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        if (fd >= 0)
            close(fd);
        return;
    }
    if (write(fd, request, strlen(request)) < 0) {
        close(fd);
        return;
    }
    size_t len = 0;
    ssize_t n;
    while (len + 1 < cap && (n = read(fd, out + len, cap - 1 - len)) > 0)
        len += (size_t)n;
    out[len] = '\0';
    close(fd);
}

static void
listener(void)
{
    struct ss_error err;
    char out[2048];

    setenv("TZ", "Europe/Berlin", 1);
    struct device_api *api = device_api_start(TOKEN, DEVICE, "en-US", &err);
    if (!ok(api != NULL, "listening")) {
        printf("#   %s\n", err.msg);
        return;
    }
    const char *ep = device_api_endpoint(api);
    ok(strncmp(ep, "http://127.0.0.1:", 17) == 0, "on loopback: %s", ep);

    /* A client that connects and says nothing holds the next one up for
     * two seconds at most. */
    unsigned port = 0;
    sscanf(ep, "http://127.0.0.1:%u", &port);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int idle = socket(AF_INET, SOCK_STREAM, 0);
    ok(idle >= 0 && connect(idle, (struct sockaddr *)&addr, sizeof(addr)) == 0, "a silent client");

    fetch(ep,
          "GET /v2/devices/" DEVICE "/settings/System.timeZone HTTP/1.1\r\nHost: x\r\n" AUTH "\r\n",
          out, sizeof(out));
    contains(out, "HTTP/1.1 200 OK\r\n", "answered after it");
    contains(out, "Content-Type: application/json\r\n", "as JSON");
    contains(out, "Content-Length: 15\r\n", "with its length");
    ok(strlen(out) > 15 && strcmp(out + strlen(out) - 15, "\"Europe/Berlin\"") == 0,
       "the machine's zone");
    fetch(ep, "GET /v2/accounts/~current/settings/Profile.name HTTP/1.1\r\n" AUTH "\r\n", out,
          sizeof(out));
    contains(out, "HTTP/1.1 403 Forbidden\r\n", "a refusal");
    fetch(ep, "GET / HTTP/1.1\r\n\r\n", out, sizeof(out));
    contains(out, "HTTP/1.1 401 Unauthorized\r\n", "no token");
    /* A head that never ends is cut off at the limit and answered. */
    char flood[9000];
    memset(flood, 'x', sizeof(flood) - 1);
    flood[sizeof(flood) - 1] = '\0';
    memcpy(flood, "GET / HTTP/1.1\r\nX: ", 19);
    fetch(ep, flood, out, sizeof(out));
    contains(out, "HTTP/1.1 401", "a head too long is answered, not waited on");
    if (idle >= 0)
        close(idle);
    device_api_stop(api);
    unsetenv("TZ");
}

int
main(void)
{
    routes();
    zone();
    listener();
    return tap_done();
}
