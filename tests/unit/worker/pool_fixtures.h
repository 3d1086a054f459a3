/*
 * pool_fixtures.h - what test_pool.c and test_pool_async.c both send: a
 * LaunchRequest and a ThankYouIntent of one session, and the test skills
 * of tests/data/skills.
 */
#ifndef SKILLSERVER_POOL_FIXTURES_H
#define SKILLSERVER_POOL_FIXTURES_H

#include <stdio.h>
#include <stdlib.h>

#include "skill.h"

static const char launch[] =
    "{\"version\":\"1.0\",\"session\":{\"new\":true,\"sessionId\":\"s\","
    "\"application\":{\"applicationId\":\"amzn1.ask.skill.x\"},\"attributes\":{},"
    "\"user\":{\"userId\":\"u\"}},\"context\":{\"System\":{\"application\":"
    "{\"applicationId\":\"amzn1.ask.skill.x\"},\"user\":{\"userId\":\"u\"}}},"
    "\"request\":{\"type\":\"LaunchRequest\",\"requestId\":\"r1\",\"locale\":\"en-US\","
    "\"timestamp\":\"2025-01-15T18:04:05Z\"}}";

/* The same session's ThankYouIntent. */
static const char thank_you[] =
    "{\"version\":\"1.0\",\"session\":{\"new\":false,\"sessionId\":\"s\","
    "\"application\":{\"applicationId\":\"amzn1.ask.skill.x\"},\"attributes\":{},"
    "\"user\":{\"userId\":\"u\"}},\"context\":{\"System\":{\"application\":"
    "{\"applicationId\":\"amzn1.ask.skill.x\"},\"user\":{\"userId\":\"u\"}}},"
    "\"request\":{\"type\":\"IntentRequest\",\"requestId\":\"r2\",\"locale\":\"en-US\","
    "\"timestamp\":\"2025-01-15T18:04:05Z\",\"intent\":{\"name\":\"ThankYouIntent\","
    "\"confirmationStatus\":\"NONE\"}}}";

/* A skill of tests/data/skills; the test stops when it does not load. */
static struct skill
load(const char *name)
{
    struct skill s;
    struct ss_error err;
    if (skill_load(SOURCE_ROOT "/tests/data/skills", name, &s, &err) != SS_ERR_OK) {
        printf("# cannot load %s: %s\n", name, err.msg);
        exit(1);
    }
    return s;
}

#endif
