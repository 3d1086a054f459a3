/*
 * fuzz_device_api.c - the head of a request a skill sends to say's stand-in
 * for Alexa's device settings API (device_api_answer()).
 *
 * Besides "no crash", it checks properties: the status is one the API
 * gives; the body is NUL-terminated JSON text that starts as the API's do
 * (a string, or an error object); a 200 comes only with the right token,
 * for the one device, as the zone or a unit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "device_api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct device_api_settings s = {"tok-123", "amzn1.ask.device.D1", "Europe/Berlin",
                                                 "en-US"};
    char body[1024];
    /* An exact-size copy, so that ASan sees any read past the end. */
    char *head = malloc(size ? size : 1);
    if (!head)
        return 0;
    memcpy(head, data, size);
    memset(body, 'x', sizeof(body));
    int status = device_api_answer(head, size, &s, body, sizeof(body));
    free(head);
    if (!memchr(body, '\0', sizeof(body)))
        abort();
    switch (status) {
    case 200:
        if (strcmp(body, "\"Europe/Berlin\"") != 0 && strcmp(body, "\"IMPERIAL\"") != 0 &&
            strcmp(body, "\"FAHRENHEIT\"") != 0)
            abort();
        if (!memmem(data, size, "Bearer tok-123", 14) || !memmem(data, size, "/v2/devices/", 12))
            abort();
        break;
    case 400:
    case 401:
    case 403:
    case 404:
    case 405:
        if (body[0] != '{')
            abort();
        break;
    default:
        abort();
    }
    return 0;
}
