/*
 * card.c - the card shown in the Alexa app (spec/alexa-protocol.md §5.2).
 *
 * Owns: the four card types and the members each may have, the https rule
 * for image addresses, and the §8 limits (all text of a card together, and
 * each image address).
 *
 * Must stay true: a member that belongs to another card type is an error
 * that says which type has it, so an author who mixed up Simple's content and
 * Standard's text learns which to write.
 */
#include "response_internal.h"
#include "ss_limits.h"

enum card_type { CARD_SIMPLE, CARD_STANDARD, CARD_LINK, CARD_PERMISSIONS };

static const struct {
    const char *name;
    const char *members; /* what the type may have, for messages */
} card_types[] = {
    [CARD_SIMPLE] = {"Simple", "title and content"},
    [CARD_STANDARD] = {"Standard", "title, text and image"},
    [CARD_LINK] = {"LinkAccount", "nothing but its type"},
    [CARD_PERMISSIONS] = {"AskForPermissionsConsent", "permissions"},
};

#define CARD_TYPES_SHOWN "Simple, Standard, LinkAccount, AskForPermissionsConsent"

static enum ss_err
check_card_url(const struct build *b, const json_t *url, const char *key, size_t *chars)
{
    char q[RESPONSE_QUOTE_BYTES + 4];
    size_t n;

    if (!json_is_string(url))
        return response_fail(b, SS_ERR_SKILL_RESULT, "%scard.image.%s must be a string, got %s",
                             b->prefix, key, response_kind_of(url));
    if (!is_https(json_string_value(url)))
        return response_fail(
            b, SS_ERR_SKILL_RESULT,
            "%scard.image.%s must be an https:// address Alexa can fetch, got '%s'", b->prefix, key,
            response_quote(json_string_value(url), json_string_length(url), q));
    n = units_of(url);
    if (n > LIMIT_CARD_URL_CHARS)
        return response_fail(b, SS_ERR_RESPONSE_LIMIT,
                             "%scard.image.%s is %zu characters long; Alexa allows at most %d",
                             b->prefix, key, n, LIMIT_CARD_URL_CHARS);
    *chars += n;
    return SS_ERR_OK;
}

static enum ss_err
check_card_image(const struct build *b, const json_t *image, size_t *chars)
{
    const char *key;
    json_t *v;
    char q[RESPONSE_QUOTE_BYTES + 4];
    enum ss_err rc;

    if (!json_is_object(image))
        return response_fail(
            b, SS_ERR_SKILL_RESULT,
            "%scard.image must be a dict like {\"smallImageUrl\": \"https://...\", "
            "\"largeImageUrl\": \"https://...\"}, got %s",
            b->prefix, response_kind_of(image));
    json_object_foreach((json_t *)image, key, v)
    {
        if (strcmp(key, "smallImageUrl") != 0 && strcmp(key, "largeImageUrl") != 0)
            return response_fail(
                b, SS_ERR_SKILL_RESULT,
                "%scard.image may only have smallImageUrl and largeImageUrl, not '%s'", b->prefix,
                response_quote(key, strlen(key), q));
        rc = check_card_url(b, v, key, chars);
        if (rc != SS_ERR_OK)
            return rc;
    }
    return SS_ERR_OK;
}

static enum ss_err
check_card_permissions(const struct build *b, const json_t *perms)
{
    size_t i;
    json_t *p;

    if (!json_is_array(perms) || json_array_size(perms) == 0)
        return response_fail(b, SS_ERR_SKILL_RESULT,
                             "%scard.permissions must be a list of permission names such as "
                             "[\"alexa::profile:email:read\"], got %s",
                             b->prefix,
                             json_is_array(perms) ? "an empty list" : response_kind_of(perms));
    json_array_foreach(perms, i, p)
    {
        if (!json_is_string(p) || json_string_length(p) == 0)
            return response_fail(b, SS_ERR_SKILL_RESULT,
                                 "%scard.permissions[%zu] must be a permission name such as "
                                 "\"alexa::profile:email:read\", got %s",
                                 b->prefix, i,
                                 json_is_string(p) ? "an empty string" : response_kind_of(p));
    }
    return SS_ERR_OK;
}

enum ss_err
response_card_check(const struct build *b, const json_t *card)
{
    char q[RESPONSE_QUOTE_BYTES + 4];
    const char *key, *t;
    json_t *type, *v;
    enum card_type which;
    size_t chars = 0;
    bool has_permissions = false;
    enum ss_err rc;

    if (!json_is_object(card))
        return response_fail(
            b, SS_ERR_SKILL_RESULT,
            "%scard must be a dict like {\"type\": \"Simple\", \"title\": \"...\", "
            "\"content\": \"...\"}, got %s",
            b->prefix, response_kind_of(card));
    type = json_object_get(card, "type");
    if (!json_is_string(type))
        return response_fail(b, SS_ERR_SKILL_RESULT,
                             "%scard.type must be one of " CARD_TYPES_SHOWN ", got %s", b->prefix,
                             response_kind_of(type));
    t = json_string_value(type);
    for (which = CARD_SIMPLE; which <= CARD_PERMISSIONS; which++)
        if (strcmp(t, card_types[which].name) == 0)
            break;
    if (which > CARD_PERMISSIONS)
        return response_fail(b, SS_ERR_SKILL_RESULT,
                             "%scard.type must be one of " CARD_TYPES_SHOWN ", got '%s'", b->prefix,
                             response_quote(t, json_string_length(type), q));

    json_object_foreach((json_t *)card, key, v)
    {
        bool text_member = strcmp(key, "title") == 0 ||
                           (which == CARD_SIMPLE && strcmp(key, "content") == 0) ||
                           (which == CARD_STANDARD && strcmp(key, "text") == 0);
        if (strcmp(key, "type") == 0)
            continue;
        if (text_member && (which == CARD_SIMPLE || which == CARD_STANDARD)) {
            if (!json_is_string(v))
                return response_fail(b, SS_ERR_SKILL_RESULT, "%scard.%s must be a string, got %s",
                                     b->prefix, key, response_kind_of(v));
            chars += units_of(v);
        } else if (which == CARD_STANDARD && strcmp(key, "image") == 0) {
            rc = check_card_image(b, v, &chars);
            if (rc != SS_ERR_OK)
                return rc;
        } else if (which == CARD_PERMISSIONS && strcmp(key, "permissions") == 0) {
            rc = check_card_permissions(b, v);
            if (rc != SS_ERR_OK)
                return rc;
            has_permissions = true;
        } else if (which == CARD_SIMPLE && strcmp(key, "text") == 0) {
            return response_fail(
                b, SS_ERR_SKILL_RESULT,
                "%scard.text is not part of a Simple card: a Simple card has title and "
                "content (a Standard card has title, text and image)",
                b->prefix);
        } else if (which == CARD_STANDARD && strcmp(key, "content") == 0) {
            return response_fail(
                b, SS_ERR_SKILL_RESULT,
                "%scard.content is not part of a Standard card: a Standard card has "
                "title, text and image (a Simple card has title and content)",
                b->prefix);
        } else {
            return response_fail(b, SS_ERR_SKILL_RESULT,
                                 "%scard.%s is not part of a %s card, which has %s", b->prefix,
                                 response_quote(key, strlen(key), q), card_types[which].name,
                                 card_types[which].members);
        }
    }
    if (which == CARD_PERMISSIONS && !has_permissions)
        return response_fail(
            b, SS_ERR_SKILL_RESULT,
            "%scard.permissions is missing: an AskForPermissionsConsent card lists the "
            "permissions to ask for, such as [\"alexa::profile:email:read\"]",
            b->prefix);
    if (chars > LIMIT_CARD_CHARS)
        return response_fail(
            b, SS_ERR_RESPONSE_LIMIT,
            "%scard is %zu characters long (title, text and image addresses together); "
            "Alexa allows at most %d",
            b->prefix, chars, LIMIT_CARD_CHARS);
    return SS_ERR_OK;
}
