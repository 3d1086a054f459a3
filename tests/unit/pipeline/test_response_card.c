/*
 * test_response_card.c - unit tests of server/pipeline/response/card.c: the
 * four card types, their members and the card limits.
 */
#include "response_test.h"

static void
test_cards_valid(void)
{
    struct request r = mkreq(REQ_INTENT);

    is_str(B(&r, "{'kind':'reply','card':{'type':'Simple','title':'Coffee','content':'One flat "
                 "white'}}"),
           J("{'version':'1.0','response':{'card':{'type':'Simple','title':'Coffee','content':"
             "'One flat white'}}}"),
           "Simple card");
    is_str(B(&r, "{'kind':'reply','card':{'type':'Simple'}}"),
           J("{'version':'1.0','response':{'card':{'type':'Simple'}}}"),
           "Simple card with only a type");
    is_str(B(&r, "{'kind':'reply','card':{'type':'Standard','title':'T','text':'Body','image':{"
                 "'smallImageUrl':'https://cdn.example.com/s.png','largeImageUrl':'HTTPS://cdn."
                 "example.com/l.png'}}}"),
           J("{'version':'1.0','response':{'card':{'type':'Standard','title':'T','text':'Body',"
             "'image':{'smallImageUrl':'https://cdn.example.com/s.png','largeImageUrl':'HTTPS://"
             "cdn.example.com/l.png'}}}}"),
           "Standard card with both images");
    is_str(B(&r, "{'kind':'reply','card':{'type':'Standard','title':'T','text':'Body'}}"),
           J("{'version':'1.0','response':{'card':{'type':'Standard','title':'T','text':'Body'}}}"),
           "Standard card without image");
    is_str(B(&r, "{'kind':'reply','card':{'type':'Standard','image':{'largeImageUrl':'https://"
                 "x.example/l.jpg'}}}"),
           J("{'version':'1.0','response':{'card':{'type':'Standard','image':{'largeImageUrl':"
             "'https://x.example/l.jpg'}}}}"),
           "Standard card with one image");
    is_str(B(&r, "{'kind':'reply','card':{'type':'LinkAccount'}}"),
           J("{'version':'1.0','response':{'card':{'type':'LinkAccount'}}}"), "LinkAccount card");
    is_str(B(&r, "{'kind':'reply','card':{'type':'AskForPermissionsConsent','permissions':["
                 "'read::alexa:device:all:address','alexa::profile:email:read']}}"),
           J("{'version':'1.0','response':{'card':{'type':'AskForPermissionsConsent',"
             "'permissions':['read::alexa:device:all:address','alexa::profile:email:read']}}}"),
           "AskForPermissionsConsent card");
    is_str(B(&r, "{'kind':'reply','card':null}"), J("{'version':'1.0','response':{}}"),
           "card None means no card");

    /* The card is shared with the reply, not copied. */
    json_t *reply = parse(J("{'kind':'reply','card':{'type':'Simple','title':'x'}}"));
    json_t *card = json_object_get(reply, "card"), *env = NULL;
    ok(response_build(&r, reply, &env, NULL, NULL, NULL) == SS_ERR_OK, "build with a card");
    ok(json_object_get(json_object_get(env, "response"), "card") == card,
       "the card is passed by reference");
    is_int(card->refcount, 2, "card has two owners while the envelope lives");
    json_decref(env);
    is_int(card->refcount, 1, "one afterwards");
    json_decref(reply);
}

static void
test_cards_invalid(void)
{
    struct request r = mkreq(REQ_INTENT);

    is_str(B(&r, "{'kind':'reply','card':'Simple'}"),
           "ERROR SKILL_RESULT: card must be a dict like {\"type\": \"Simple\", \"title\": "
           "\"...\", \"content\": \"...\"}, got a string",
           "card must be a dict");
    is_str(B(&r, "{'kind':'reply','card':{'title':'x'}}"),
           "ERROR SKILL_RESULT: card.type must be one of Simple, Standard, LinkAccount, "
           "AskForPermissionsConsent, got nothing",
           "card needs a type");
    is_str(B(&r, "{'kind':'reply','card':{'type':'Big'}}"),
           "ERROR SKILL_RESULT: card.type must be one of Simple, Standard, LinkAccount, "
           "AskForPermissionsConsent, got 'Big'",
           "unknown card type");
    is_str(B(&r, "{'kind':'reply','card':{'type':'simple'}}"),
           "ERROR SKILL_RESULT: card.type must be one of Simple, Standard, LinkAccount, "
           "AskForPermissionsConsent, got 'simple'",
           "card type is case-sensitive");
    is_str(B(&r, "{'kind':'reply','card':{'type':'Simple','title':['x']}}"),
           "ERROR SKILL_RESULT: card.title must be a string, got a list", "title must be a string");
    is_str(B(&r, "{'kind':'reply','card':{'type':'Simple','content':null}}"),
           "ERROR SKILL_RESULT: card.content must be a string, got None",
           "content must be a string");
    is_str(B(&r, "{'kind':'reply','card':{'type':'Standard','text':5}}"),
           "ERROR SKILL_RESULT: card.text must be a string, got a number",
           "Standard text must be a string");
    contains(B(&r, "{'kind':'reply','card':{'type':'Simple','text':'x'}}"),
             "card.text is not part of a Simple card: a Simple card has title and content",
             "Simple card with text is explained");
    contains(B(&r, "{'kind':'reply','card':{'type':'Standard','content':'x'}}"),
             "card.content is not part of a Standard card: a Standard card has title, text and "
             "image",
             "Standard card with content is explained");
    is_str(B(&r, "{'kind':'reply','card':{'type':'Simple','image':{}}}"),
           "ERROR SKILL_RESULT: card.image is not part of a Simple card, which has title and "
           "content",
           "Simple card has no image");
    is_str(B(&r, "{'kind':'reply','card':{'type':'LinkAccount','title':'Link'}}"),
           "ERROR SKILL_RESULT: card.title is not part of a LinkAccount card, which has nothing "
           "but its type",
           "LinkAccount card has nothing else");
    contains(B(&r, "{'kind':'reply','card':{'type':'Standard','image':'https://x/y.png'}}"),
             "card.image must be a dict like {\"smallImageUrl\"", "image must be a dict");
    is_str(B(&r, "{'kind':'reply','card':{'type':'Standard','image':{'url':'https://x/y.png'}}}"),
           "ERROR SKILL_RESULT: card.image may only have smallImageUrl and largeImageUrl, not "
           "'url'",
           "unknown image key");
    is_str(B(&r, "{'kind':'reply','card':{'type':'Standard','image':{'smallImageUrl':'http://"
                 "x/y.png'}}}"),
           "ERROR SKILL_RESULT: card.image.smallImageUrl must be an https:// address Alexa can "
           "fetch, got 'http://x/y.png'",
           "image URL must be https");
    contains(B(&r, "{'kind':'reply','card':{'type':'Standard','image':{'largeImageUrl':'https://"
                   "'}}}"),
             "must be an https:// address", "https:// alone is not an address");
    is_str(B(&r, "{'kind':'reply','card':{'type':'Standard','image':{'largeImageUrl':7}}}"),
           "ERROR SKILL_RESULT: card.image.largeImageUrl must be a string, got a number",
           "image URL must be a string");
    contains(B(&r, "{'kind':'reply','card':{'type':'AskForPermissionsConsent'}}"),
             "card.permissions is missing", "permissions are required");
    contains(B(&r, "{'kind':'reply','card':{'type':'AskForPermissionsConsent','permissions':[]}}"),
             "card.permissions must be a list of permission names such as "
             "[\"alexa::profile:email:read\"], got an empty list",
             "permissions may not be empty");
    contains(B(&r, "{'kind':'reply','card':{'type':'AskForPermissionsConsent','permissions':"
                   "'alexa::profile:email:read'}}"),
             "got a string", "permissions must be a list");
    contains(B(&r, "{'kind':'reply','card':{'type':'AskForPermissionsConsent','permissions':["
                   "'a',3]}}"),
             "card.permissions[1] must be a permission name", "each permission is a string");
    contains(B(&r, "{'kind':'reply','card':{'type':'AskForPermissionsConsent','permissions':["
                   "'']}}"),
             "got an empty string", "a permission is not empty");
}

static void
test_card_limits(void)
{
    struct request r = mkreq(REQ_INTENT);
    char *title = repeat("t", 4000), *body = repeat("b", 4000), *reply;
    size_t cap = 30000;
    const char *s;

    reply = xmalloc(cap);
    snprintf(reply, cap,
             "{\"kind\":\"reply\",\"card\":{\"type\":\"Simple\",\"title\":\"%s\","
             "\"content\":\"%s\"}}",
             title, body);
    s = Braw(&r, reply);
    ok(strncmp(s, "{\"version\"", 10) == 0, "card of exactly 8000 characters is accepted");
    snprintf(reply, cap,
             "{\"kind\":\"reply\",\"card\":{\"type\":\"Simple\",\"title\":\"%s\","
             "\"content\":\"%sb\"}}",
             title, body);
    is_str(Braw(&r, reply),
           "ERROR RESPONSE_LIMIT: card is 8001 characters long (title, text and image addresses "
           "together); Alexa allows at most 8000",
           "card of 8001 characters is refused");
    snprintf(reply, cap,
             "{\"kind\":\"reply\",\"card\":{\"type\":\"Simple\",\"title\":\"%s\","
             "\"content\":\"%.3998s\\ud83d\\ude00\"}}",
             title, body);
    ok(strncmp(Braw(&r, reply), "{\"version\"", 10) == 0,
       "an emoji counts 2 in a card: 4000 + 3998 + 2 = 8000 is accepted");
    snprintf(reply, cap,
             "{\"kind\":\"reply\",\"card\":{\"type\":\"Simple\",\"title\":\"%s\","
             "\"content\":\"%.3999s\\ud83d\\ude00\"}}",
             title, body);
    contains(Braw(&r, reply), "card is 8001 characters long", "and 8001 with the emoji is not");

    /* URLs: 2000 each, and they count toward the 8000. */
    char *path = repeat("p", 2000 - strlen("https://x.example/"));
    snprintf(reply, cap,
             "{\"kind\":\"reply\",\"card\":{\"type\":\"Standard\",\"image\":{"
             "\"smallImageUrl\":\"https://x.example/%s\"}}}",
             path);
    ok(strncmp(Braw(&r, reply), "{\"version\"", 10) == 0, "image URL of 2000 characters");
    snprintf(reply, cap,
             "{\"kind\":\"reply\",\"card\":{\"type\":\"Standard\",\"image\":{"
             "\"smallImageUrl\":\"https://x.example/%sp\"}}}",
             path);
    is_str(Braw(&r, reply),
           "ERROR RESPONSE_LIMIT: card.image.smallImageUrl is 2001 characters long; Alexa allows "
           "at most 2000",
           "image URL of 2001 characters is refused");
    snprintf(reply, cap,
             "{\"kind\":\"reply\",\"card\":{\"type\":\"Standard\",\"title\":\"%.2000s\","
             "\"text\":\"%.2000s\",\"image\":{\"smallImageUrl\":\"https://x.example/"
             "%s\",\"largeImageUrl\":\"https://x.example/%sq\"}}}",
             title, body, path, path);
    contains(Braw(&r, reply), "card.image.largeImageUrl is 2001", "second URL over its limit");
    snprintf(reply, cap,
             "{\"kind\":\"reply\",\"card\":{\"type\":\"Standard\",\"title\":\"%.2000s\","
             "\"text\":\"%.2001s\",\"image\":{\"smallImageUrl\":\"https://x.example/"
             "%s\",\"largeImageUrl\":\"https://x.example/%s\"}}}",
             title, body, path, path);
    contains(Braw(&r, reply), "card is 8001 characters long",
             "title + text + both URLs over 8000 is refused");
    free(path);
    free(title);
    free(body);
    free(reply);
}

int
main(void)
{
    test_cards_valid();
    test_cards_invalid();
    test_card_limits();
    ssml_shutdown();
    return tap_done();
}
