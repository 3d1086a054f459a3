/*
 * device_api.h - Alexa's device settings API, offline, for say.
 *
 * A skill may ask Alexa about the device it is talking to: Amazon's Cake
 * Time tutorial asks its time zone, with GET
 * {apiEndpoint}/v2/devices/{deviceId}/settings/System.timeZone and the
 * request's apiAccessToken as a Bearer token. say's requests are made
 * here, not by Alexa, so no Amazon service would answer them. While say
 * runs, this answers them on loopback, and its address is the requests'
 * apiEndpoint:
 *
 *  - System.timeZone: the machine's own zone ("Europe/Berlin": TZ, else
 *    /etc/timezone, else where /etc/localtime points; "Etc/UTC" when none
 *    says);
 *  - System.distanceUnits and System.temperatureUnit: IMPERIAL and
 *    FAHRENHEIT for a US locale, METRIC and CELSIUS for any other (say's
 *    --locale, else the skill's own when it talks to one skill, else
 *    en-US);
 *  - the device's address and the account's profile (name, email, phone):
 *    403, as Alexa answers a skill the user has granted no permission
 *    (say's requests carry none), so the skill's own answer to that runs;
 *  - a wrong or missing token: 401; another device, another setting, a
 *    method other than GET: an error that says what is served.
 *
 * The bodies are the API's (ask-sdk-model's services.ups and
 * services.device_address): a JSON string or enum value, or an error
 * {"code", "message"} ({"type", "message"} for the address).
 */
#ifndef SKILLSERVER_DEVICE_API_H
#define SKILLSERVER_DEVICE_API_H

#include <stddef.h>

#include "error.h"

/* The settings one stand-in answers with. */
struct device_api_settings {
    const char *token;     /* the requests' apiAccessToken */
    const char *device_id; /* the requests' deviceId */
    const char *time_zone; /* an IANA zone name */
    const char *locale;    /* NULL or "en-US": the units of a US locale */
};

/* The answer to one request head (head[0..len), the request line and the
 * header lines): its HTTP status, and its JSON body into body[cap]
 * (NUL-terminated; cut to cap when longer, which no answer is). */
int device_api_answer(const char *head, size_t len, const struct device_api_settings *s, char *body,
                      size_t cap);

/* The machine's time zone name into buf (see above). */
void device_api_local_zone(char *buf, size_t cap);

struct device_api;

/* Listen on 127.0.0.1 (a port the kernel picks) and answer on a thread of
 * its own until device_api_stop(). token and device_id are copied; locale
 * may be NULL. NULL with err set when it cannot listen. */
struct device_api *device_api_start(const char *token, const char *device_id, const char *locale,
                                    struct ss_error *err);

/* "http://127.0.0.1:PORT", for the requests' apiEndpoint. */
const char *device_api_endpoint(const struct device_api *api);

/* Stop answering and free (NULL-safe). */
void device_api_stop(struct device_api *api);

#endif
