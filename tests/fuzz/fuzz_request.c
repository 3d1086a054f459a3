/*
 * fuzz_request.c - libFuzzer target for request_parse(), the first code that
 * reads a body from the network after verification.
 *
 * Every input must either parse into a view whose fields are consistent
 * (checked below, so the fuzzer finds wrong answers as well as crashes) or
 * fail with a printable error message and an empty view.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_message(const struct ss_error *err)
{
    for (const char *p = err->msg; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct request req;
    struct ss_error err;
    enum ss_err rc = request_parse(&req, (const char *)data, size, &err);

    if (rc != SS_ERR_OK) {
        check_message(&err);
        if (err.code != rc || err.msg[0] == '\0')
            abort();
        if (req.root || req.slots || req.slot_count || req.request_id)
            abort();
        request_cleanup(&req);
        return 0;
    }

    /* The invariants request.h promises. */
    if (!req.root || !req.version || !req.type_name || !req.request_id)
        abort();
    if (req.has_session != (req.session_id != NULL))
        abort();
    if (req.type != REQ_OTHER && strcmp(request_type_name(req.type), req.type_name) != 0)
        abort();
    if ((req.type == REQ_INTENT || req.type == REQ_CAN_FULFILL) != (req.intent_name != NULL))
        abort();
    if ((req.slots == NULL) != (req.slot_count == 0))
        abort();
    if (req.session_attributes && req.session_attributes->type != SS_NODE_OBJECT)
        abort();
    if (req.supported_interfaces && req.supported_interfaces->type != SS_NODE_OBJECT)
        abort();

    /* Every slot is found by its own name (the first of that name wins, and
     * names are unique because duplicate keys are rejected), and a missing
     * name is not found. */
    for (size_t i = 0; i < req.slot_count; i++) {
        const struct request_slot *s = &req.slots[i];
        if (request_slot(&req, s->name) != s)
            abort();
        if (s->resolution.id && !s->resolution.status)
            abort();
        if (s->value)
            (void)strlen(s->value);
    }
    if (request_slot(&req, "\x01not-a-slot") != NULL)
        abort();
    (void)request_type_has_session(req.type);

    request_cleanup(&req);
    return 0;
}
