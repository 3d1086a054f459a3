/* test_skill.c - skill folders and skill.json. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "skill.h"
#include "tap.h"

static char tmp[PATH_MAX];

static void
write_file(const char *rel, const char *text)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/%s", tmp, rel);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    mkdir(path, 0755);
    *slash = '/';
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
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

    snprintf(tmp, sizeof(tmp), "/tmp/skillserver-test-skill-XXXXXX");
    ok(mkdtemp(tmp) != NULL, "temp folder");
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
    ok(json_is_object(s.manifest), "empty manifest object");
    skill_cleanup(&s);
    /* Nothing is left to free a second time (ASan would catch a double free). */
    ok(s.name[0] == '\0' && !s.dir && !s.script && !s.model_path && !s.application_id &&
           !s.locale && !s.manifest,
       "cleanup leaves no pointer behind");
    skill_cleanup(&s);
    skill_cleanup(NULL);

    is_int(skill_load(tmp, "configured", &s, &err), SS_ERR_OK, "load a configured skill");
    is_str(s.application_id, "amzn1.ask.skill.abc", "applicationId");
    is_str(s.locale, "de-DE", "locale");
    ok(s.model_path == NULL, "no model");
    ok(json_integer_value(json_object_get(s.manifest, "extra")) == 1, "other keys kept");
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

    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
    ok(system(cmd) == 0, "clean up");
    return tap_done();
}
