/* test_skill.c - skill folders, their settings (skill.json, skillserver.json)
 * and the models the catalog loads with them. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model.h"
#include "skill.h"
#include "tap.h"

static char tmp[PATH_MAX];

static void
write_file(const char *rel, const char *text)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/%s", tmp, rel);
    /* Every folder on the way (mkdir -p). */
    for (char *slash = path + strlen(tmp) + 1; (slash = strchr(slash, '/')) != NULL; slash++) {
        *slash = '\0';
        mkdir(path, 0755);
        *slash = '/';
    }
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

#define MODEL(invocation)                                                                          \
    "{\"interactionModel\": {\"languageModel\": {\"invocationName\": \"" invocation "\", "         \
    "\"intents\": [{\"name\": \"HelloIntent\", \"samples\": [\"hello\"]}]}}}"

/* skillserver.json: where the settings are in every layout, and which file
 * wins when a folder has both. */
static void
settings(void)
{
    struct skill s;
    struct ss_error err;

    /* An ASK CLI v1 project: skill.json is the manifest, so the settings are
     * in skillserver.json. */
    write_file("v1/skill.json", "{\"manifest\": {\"apis\": {\"custom\": {\"endpoint\": "
                                "{\"sourceDir\": \"lambda\"}}}}}");
    write_file("v1/lambda/app.py", "def go(event, context):\n    return {}\n");
    write_file("v1/models/en-US.json", MODEL("space facts"));
    write_file("v1/.ask/config",
               "{\"deploy_settings\": {\"default\": {\"skill_id\": \"amzn1.ask.skill.project\", "
               "\"resources\": {\"lambda\": [{\"handler\": \"other.handler\"}]}}}}");
    write_file("v1/skillserver.json",
               "{\"handler\": \"app.go\", \"applicationId\": \"amzn1.ask.skill.mine\", "
               "\"environment\": {\"GREETING\": \"hi\"}}");
    is_int(skill_load(tmp, "v1", &s, &err), SS_ERR_OK, "v1 project with skillserver.json");
    is_int(s.layout, SKILL_LAYOUT_ASK_V1, "still an ASK CLI v1 project");
    is_str(s.handler, "app.go", "skillserver.json's handler wins over .ask/config's");
    is_str(s.application_id, "amzn1.ask.skill.mine", "and its applicationId over the skill id");
    is_str(json_string_value(json_object_get(s.environment, "GREETING")), "hi", "environment");
    contains(s.script, "/v1/lambda/app.py", "the handler's file");
    contains(s.layout_note, "; settings from skillserver.json", "the log says where from");
    ok(!strstr(s.layout_note, "not read"), "nothing was left unread");
    ok(json_object_get(s.settings, "manifest") == NULL, "the manifest is not the settings");
    skill_cleanup(&s);

    /* Without skillserver.json the project's own files decide. */
    write_file("v1b/skill.json", "{\"manifest\": {}}");
    write_file("v1b/lambda/other.py", "def handler(event, context):\n    return {}\n");
    write_file("v1b/.ask/config",
               "{\"deploy_settings\": {\"default\": {\"skill_id\": \"amzn1.ask.skill.project\", "
               "\"resources\": {\"lambda\": [{\"handler\": \"other.handler\"}]}}}}");
    is_int(skill_load(tmp, "v1b", &s, &err), SS_ERR_OK, "v1 project without settings");
    is_str(s.handler, "other.handler", ".ask/config's handler");
    is_str(s.application_id, "amzn1.ask.skill.project", "the project's skill id");
    skill_cleanup(&s);

    /* Both files with settings: skillserver.json wins, all of it, and the
     * log says skill.json was not read. */
    write_file("both/skill.py", "");
    write_file("both/skill.json", "{\"locale\": \"de-DE\", \"applicationId\": \"amzn1.a\"}");
    write_file("both/skillserver.json", "{\"locale\": \"fr-FR\"}");
    is_int(skill_load(tmp, "both", &s, &err), SS_ERR_OK, "skill.json and skillserver.json");
    is_str(s.locale, "fr-FR", "skillserver.json wins");
    ok(s.application_id == NULL, "skill.json is not read at all");
    contains(s.layout_note, "settings from skillserver.json (skill.json beside it is not read)",
             "the log says which won");
    skill_cleanup(&s);

    /* skillserver.json alone makes a Lambda function folder of any file. */
    write_file("fn/main.py", "def run(event, context):\n    return {}\n");
    write_file("fn/skillserver.json", "{\"handler\": \"main.run\"}");
    is_int(skill_load(tmp, "fn", &s, &err), SS_ERR_OK, "a Lambda folder named by skillserver.json");
    is_int(s.layout, SKILL_LAYOUT_LAMBDA, "Lambda layout");
    contains(s.script, "/fn/main.py", "its handler's file");
    skill_cleanup(&s);

    /* A broken skillserver.json is reported like a broken skill.json. */
    write_file("badsettings/skill.py", "");
    write_file("badsettings/skillserver.json", "{\"locale\": 7}");
    is_int(skill_load(tmp, "badsettings", &s, &err), SS_ERR_SKILL_CONFIG, "bad skillserver.json");
    contains(err.msg, "skillserver.json: locale must be", "names the file and the field");
    write_file("badjson/skill.py", "");
    write_file("badjson/skillserver.json", "{\n\"locale\": }");
    is_int(skill_load(tmp, "badjson", &s, &err), SS_ERR_SKILL_CONFIG, "skillserver.json not JSON");
    contains(err.msg, "skillserver.json:2:", "with its line");
}

/* The region AWS_REGION names: the settings' "region", else an ASK CLI v2
 * project's awsRegion; only a region's code is taken. */
static void
regions(void)
{
    struct skill s;
    struct ss_error err;

    ok(skill_region_valid("us-east-1") && skill_region_valid("eu-central-2") &&
           skill_region_valid("us-gov-west-1") && skill_region_valid("cn-north-1"),
       "AWS's region codes are valid");
    ok(!skill_region_valid(NULL) && !skill_region_valid("") && !skill_region_valid("useast1") &&
           !skill_region_valid("US-EAST-1") && !skill_region_valid("-us-east-1") &&
           !skill_region_valid("us east 1") && !skill_region_valid("us-east-1\nX=1") &&
           !skill_region_valid("a-234567890123456789012345678901234"),
       "anything else is not");

    write_file("v2r/ask-resources.json",
               "{\"profiles\": {\"default\": {\"code\": {\"default\": {\"src\": \"lambda\"}}, "
               "\"skillInfrastructure\": {\"userConfig\": {\"awsRegion\": \"eu-west-1\"}}}}}");
    write_file("v2r/lambda/lambda_function.py", "def lambda_handler(e, c):\n    return {}\n");
    is_int(skill_load(tmp, "v2r", &s, &err), SS_ERR_OK, "a v2 project with a region");
    is_str(s.region, "eu-west-1", "the project's awsRegion");
    skill_cleanup(&s);
    write_file("v2r/skillserver.json", "{\"region\": \"ap-southeast-2\"}");
    is_int(skill_load(tmp, "v2r", &s, &err), SS_ERR_OK, "and skillserver.json names another");
    is_str(s.region, "ap-southeast-2", "the settings' region wins");
    skill_cleanup(&s);

    /* A v1 project has no region of its own: the settings are the place. */
    write_file("v1r/skill.json", "{\"manifest\": {}}");
    write_file("v1r/lambda/lambda_function.py", "def lambda_handler(e, c):\n    return {}\n");
    is_int(skill_load(tmp, "v1r", &s, &err), SS_ERR_OK, "a v1 project");
    ok(s.region == NULL, "has no region");
    skill_cleanup(&s);
    write_file("v1r/skillserver.json", "{\"region\": \"us-west-2\"}");
    is_int(skill_load(tmp, "v1r", &s, &err), SS_ERR_OK, "a v1 project with skillserver.json");
    is_str(s.region, "us-west-2", "the settings' region");
    skill_cleanup(&s);

    /* A project's awsRegion that is no region's code is left out. */
    write_file("v2bad/ask-resources.json",
               "{\"profiles\": {\"default\": {\"code\": {\"default\": {\"src\": \"lambda\"}}, "
               "\"skillInfrastructure\": {\"userConfig\": {\"awsRegion\": \"x\\ny=1\"}}}}}");
    write_file("v2bad/lambda/lambda_function.py", "def lambda_handler(e, c):\n    return {}\n");
    is_int(skill_load(tmp, "v2bad", &s, &err), SS_ERR_OK, "a project with a bad awsRegion");
    ok(s.region == NULL, "is taken without it");
    skill_cleanup(&s);

    const char *bad[] = {"{\"region\": 7}", "{\"region\": \"Frankfurt\"}",
                         "{\"region\": \"us-east-1 \"}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        write_file("badregion/skill.py", "");
        write_file("badregion/skillserver.json", bad[i]);
        is_int(skill_load(tmp, "badregion", &s, &err), SS_ERR_SKILL_CONFIG, "refused: %s", bad[i]);
        contains(err.msg, "skillserver.json: region must be the code of an AWS region, like",
                 "says what a region looks like");
    }
}

/* Models: parsed once with the skill, lent per locale, errors kept. */
static void
models(void)
{
    struct skill s;
    struct ss_error err;
    const struct skill_model *f;

    /* An ASK CLI v2 project with three locales. */
    write_file("multi/ask-resources.json",
               "{\"profiles\": {\"default\": {\"code\": {\"default\": {\"src\": \"lambda\"}}}}}");
    write_file("multi/lambda/lambda_function.py", "def lambda_handler(e, c):\n    return {}\n");
    write_file("multi/skill-package/skill.json", "{\"manifest\": {}}");
    write_file("multi/skill-package/interactionModels/custom/en-US.json", MODEL("space facts"));
    write_file("multi/skill-package/interactionModels/custom/de-DE.json", MODEL("weltraum fakten"));
    write_file("multi/skill-package/interactionModels/custom/fr-FR.json", "{\"interactionModel\"");
    write_file("multi/skill-package/interactionModels/custom/notes.txt", "not a model");
    write_file("multi/skill-package/interactionModels/custom/README.json", "{}");
    is_int(skill_load(tmp, "multi", &s, &err), SS_ERR_OK, "a project with a broken model loads");
    is_str(s.locale, "en-US", "en-US first");
    is_int(s.model_count, 3, "three models, one per LOCALE.json");
    is_str(s.models[0].locale, "en-US", "the skill's own locale first");
    is_str(s.models[1].locale, "de-DE", "then by locale");
    ok(skill_model(&s, NULL) != NULL, "the model for the skill's locale");
    is_str(skill_model(&s, NULL)->invocation_name, "space facts", "is en-US's");
    ok(skill_model(&s, NULL) == skill_model(&s, "en-US"), "the same one by name, not a copy");
    is_str(skill_model(&s, "de-DE")->invocation_name, "weltraum fakten", "de-DE's");
    ok(skill_model(&s, "fr-FR") == NULL, "fr-FR's does not load");
    f = skill_model_file(&s, "fr-FR");
    ok(f && f->model == NULL, "but it is there");
    contains(f ? f->error.msg : NULL, "fr-FR.json:1:", "with why, file and line");
    ok(skill_model(&s, "it-IT") == NULL && skill_model_file(&s, "it-IT") == NULL,
       "no model for a locale the project does not have");
    skill_cleanup(&s);
    ok(s.models == NULL && s.model_count == 0, "cleanup frees the models");

    /* skillserver.json choosing another of the project's locales. */
    write_file("multi/skillserver.json", "{\"locale\": \"de-DE\"}");
    is_int(skill_load(tmp, "multi", &s, &err), SS_ERR_OK, "locale from skillserver.json");
    is_str(skill_model(&s, NULL)->invocation_name, "weltraum fakten", "its model is the default");
    contains(s.model_path, "/de-DE.json", "and its file model_path");
    is_str(s.models[0].locale, "de-DE", "first");
    skill_cleanup(&s);

    /* model.json serves every locale. */
    write_file("one/skill.py", "");
    write_file("one/model.json", MODEL("one model"));
    is_int(skill_load(tmp, "one", &s, &err), SS_ERR_OK, "a skill with model.json");
    is_int(s.model_count, 1, "one model");
    is_str(skill_model(&s, "ja-JP")->invocation_name, "one model", "for any locale");
    ok(skill_model(&s, NULL) == skill_model(&s, "en-US"), "the same one");
    skill_cleanup(&s);

    /* A model.json that does not load: the skill does, with the error. */
    write_file("broken_model/skill.py", "");
    write_file("broken_model/model.json", "{\"interactionModel\": {\"languageModel\": "
                                          "{\"invocationName\": 5}}}");
    is_int(skill_load(tmp, "broken_model", &s, &err), SS_ERR_OK, "a broken model.json");
    ok(skill_model(&s, NULL) == NULL, "no model");
    f = skill_model_file(&s, NULL);
    contains(f ? f->error.msg : NULL, "invocationName must be a string", "says why");
    skill_cleanup(&s);

    /* A skill without a model. */
    write_file("nomodel/lambda_function.py", "def lambda_handler(e, c):\n    return {}\n");
    is_int(skill_load(tmp, "nomodel", &s, &err), SS_ERR_OK, "no model");
    ok(skill_model(&s, NULL) == NULL && skill_model_file(&s, NULL) == NULL, "none at all");
    skill_cleanup(&s);

    /* A set loads every skill's models once. */
    struct skill_set *set;
    is_int(skill_set_load(tmp, &set, NULL, NULL, &err), SS_ERR_OK, "a set");
    const struct skill *multi = skill_set_find(set, "multi");
    ok(multi && skill_model(multi, "de-DE") != NULL, "with the models of its skills");
    skill_set_destroy(set);
}

int
main(void)
{
    struct skill s;
    struct ss_error err;
    struct skill_set *set;

    ok(skill_name_valid("thank_you"), "plain name");
    ok(skill_name_valid("a-b_9"), "dash, underscore, digit");
    ok(!skill_name_valid(""), "empty");
    ok(!skill_name_valid("../etc"), "path");
    ok(!skill_name_valid("a/b"), "slash");
    ok(!skill_name_valid("-x"), "leading dash");
    ok(!skill_name_valid(".hidden"), "leading dot");
    ok(!skill_name_valid("a b"), "space");
    char longname[LIMIT_SKILL_NAME_CHARS + 2];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    ok(!skill_name_valid(longname), "too long");

    if (tap_tempdir(tmp, sizeof(tmp), "skillserver-test-skill") != 0)
        return tap_done();
    write_file("hello/skill.py", "print('hi')\n");
    write_file("hello/model.json", "{}");
    write_file("configured/skill.py", "");
    write_file("configured/skill.json",
               "{\"applicationId\": \"amzn1.ask.skill.abc\", \"locale\": \"de-DE\", "
               "\"extra\": 1}");
    write_file("broken/skill.py", "");
    write_file("broken/skill.json", "{\"locale\": \"en-US\",\n \"applicationId\": }");
    write_file("badappid/skill.py", "");
    write_file("badappid/skill.json", "{\"applicationId\": 42}");
    write_file("notobject/skill.py", "");
    write_file("notobject/skill.json", "[]");
    write_file("badlocale/skill.py", "");
    write_file("badlocale/skill.json", "{\"locale\": true}");
    write_file("noscript/readme.txt", "no skill here");

    ss_error_clear(&err);
    is_int(skill_load(tmp, "hello", &s, &err), SS_ERR_OK, "load a skill without skill.json");
    is_str(s.name, "hello", "name");
    contains(s.script, "/hello/skill.py", "script path");
    ok(s.script[0] == '/', "script path is absolute");
    contains(s.model_path, "/hello/model.json", "model path found");
    ok(s.application_id == NULL, "no applicationId");
    is_str(s.locale, "en-US", "default locale");
    ok(json_is_object(s.settings), "empty settings object");
    skill_cleanup(&s);
    /* Nothing is left to free a second time (ASan would catch a double free). */
    ok(s.name[0] == '\0' && !s.dir && !s.script && !s.model_path && !s.application_id &&
           !s.locale && !s.settings,
       "cleanup leaves no pointer behind");
    skill_cleanup(&s);
    skill_cleanup(NULL);

    is_int(skill_load(tmp, "configured", &s, &err), SS_ERR_OK, "load a configured skill");
    is_str(s.application_id, "amzn1.ask.skill.abc", "applicationId");
    is_str(s.locale, "de-DE", "locale");
    ok(s.model_path == NULL, "no model");
    ok(json_integer_value(json_object_get(s.settings, "extra")) == 1, "other keys kept");
    skill_cleanup(&s);

    is_int(skill_load(tmp, "broken", &s, &err), SS_ERR_SKILL_CONFIG, "broken JSON");
    contains(err.msg, "skill.json:2:", "line of the JSON error");
    is_int(skill_load(tmp, "badappid", &s, &err), SS_ERR_SKILL_CONFIG, "applicationId type");
    contains(err.msg, "applicationId must be", "says what applicationId must be");
    is_int(skill_load(tmp, "notobject", &s, &err), SS_ERR_SKILL_CONFIG, "not an object");
    contains(err.msg, "must be a JSON object", "says it must be an object");
    is_int(skill_load(tmp, "badlocale", &s, &err), SS_ERR_SKILL_CONFIG, "locale type");
    contains(err.msg, "locale", "names locale");

    is_int(skill_load(tmp, "nosuch", &s, &err), SS_ERR_UNKNOWN_SKILL, "unknown skill");
    contains(err.msg, "no skill called 'nosuch'", "names the skill");
    contains(err.msg, "hello", "lists what exists");
    is_int(skill_load(tmp, "noscript", &s, &err), SS_ERR_UNKNOWN_SKILL, "folder without skill.py");
    is_int(skill_load(tmp, "../x", &s, &err), SS_ERR_USAGE, "invalid name");
    is_int(skill_load("/nonexistent-skills", "hello", &s, &err), SS_ERR_UNKNOWN_SKILL,
           "missing skills folder");
    contains(err.msg, "/nonexistent-skills", "names the folder");

    struct {
        int n;
        char names[512];
    } seen = {0, ""};
    is_int(skill_set_load(tmp, &set, NULL, NULL, &err), SS_ERR_OK, "load a set");
    is_int(set->count, 2, "two good skills (broken ones left out)");
    is_str(set->items[0].name, "configured", "sorted");
    ok(skill_set_find(set, "hello") != NULL, "find by name");
    ok(skill_set_find(set, "broken") == NULL, "broken one left out");
    ok(skill_set_by_application(set, "amzn1.ask.skill.abc") == &set->items[0],
       "find by applicationId");
    ok(skill_set_by_application(set, "amzn1.ask.skill.other") == NULL, "unknown applicationId");
    ok(skill_set_by_application(set, NULL) == NULL, "NULL applicationId");
    skill_set_destroy(set);
    (void)seen;

    char names[256];
    skill_list_names(tmp, names, sizeof(names));
    is_str(names, "badappid, badlocale, broken, configured, hello, notobject", "list names");

    is_int(skill_set_load("/nonexistent-skills", &set, NULL, NULL, &err), SS_ERR_IO,
           "set from a missing folder");
    skill_set_destroy(NULL);

    settings();
    regions();
    models();

    ok(tap_remove_tree(tmp) == 0, "clean up");
    return tap_done();
}
