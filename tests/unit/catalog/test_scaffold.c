/* test_scaffold.c - `skillserver new`: the folders it makes and the
 * invocation names it accepts. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model.h"
#include "scaffold.h"
#include "skill.h"
#include "tap.h"

static char tmp[PATH_MAX];

static int
exists(const char *rel)
{
    char path[PATH_MAX + 64];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", tmp, rel);
    return stat(path, &st) == 0;
}

/* The invocation name in the model of the skill called name. */
static void
invocation_is(const char *name, const char *want)
{
    struct skill s;
    struct ss_error err;
    struct model *m = NULL;

    if (skill_load(tmp, name, &s, &err) != SS_ERR_OK) {
        tap_fail("%s loads: %s", name, err.msg);
        return;
    }
    if (!s.model_path || model_load(s.model_path, &m, &err) != SS_ERR_OK) {
        tap_fail("%s has a model that loads: %s", name, s.model_path ? err.msg : "none");
    } else {
        is_str(m->invocation_name, want, "%s opens with '%s'", name, want);
        struct model_report r;
        model_check(m, &r);
        ok(r.errors == 0, "%s's model has nothing Amazon would refuse", name);
    }
    model_destroy(m);
    skill_cleanup(&s);
}

int
main(void)
{
    struct scaffold_result made;
    struct ss_error err;

    if (tap_tempdir(tmp, sizeof(tmp), "skillserver-test-scaffold") != 0)
        return tap_done();

    /* The folder's name, said as words. */
    is_int(scaffold_new(tmp, "hello_kit", NULL, false, &made, &err), SS_ERR_OK, "own layout");
    is_str(made.invocation, "hello kit", "invocation from the folder name");
    is_str(made.warning, "", "no warning");
    ok(exists("hello_kit/skill.py") && exists("hello_kit/model.json") &&
           exists("hello_kit/skill.json"),
       "skill.py, model.json, skill.json");
    invocation_is("hello_kit", "hello kit");

    is_int(scaffold_new(tmp, "Deploy-Kit", NULL, true, &made, &err), SS_ERR_OK, "ASK layout");
    is_str(made.invocation, "deploy kit", "lower case, '-' as a space");
    ok(exists("Deploy-Kit/ask-resources.json") &&
           exists("Deploy-Kit/skill-package/interactionModels/custom/en-US.json") &&
           exists("Deploy-Kit/lambda/lambda_function.py"),
       "an ASK CLI v2 project");
    invocation_is("Deploy-Kit", "deploy kit");

    /* A name given with --invocation, with the spaces a shell quote may add. */
    is_int(scaffold_new(tmp, "facts", "  sam's   space facts ", false, &made, &err), SS_ERR_OK,
           "a given invocation name");
    is_str(made.invocation, "sam's space facts", "one space between words");
    invocation_is("facts", "sam's space facts");

    /* A name Amazon refuses: nothing is written, and the message says what
     * is wrong and what would do. */
    is_int(scaffold_new(tmp, "my_skill2", NULL, false, &made, &err), SS_ERR_USAGE,
           "a derived name with a digit");
    contains(err.msg,
             "the invocation name 'my skill2' (made from the folder name) has the digit "
             "'2': write numbers as words",
             "says which rule");
    contains(err.msg, "has the word \"skill\"", "and every other rule it breaks");
    contains(err.msg, "--invocation \"my two\"", "offers a name that would do");
    ok(!exists("my_skill2"), "nothing written");

    is_int(scaffold_new(tmp, "x", "my-skill 2", false, &made, &err), SS_ERR_USAGE,
           "a given name with a digit");
    contains(err.msg, "the invocation name 'my-skill 2' has '-'", "names the mark");
    ok(!exists("x"), "nothing written");

    is_int(scaffold_new(tmp, "open_sesame", NULL, true, &made, &err), SS_ERR_USAGE,
           "a launch word");
    contains(err.msg, "has the word \"open\": Alexa uses it to start skills", "says why");
    contains(err.msg, "--invocation \"sesame game\"", "and what would do");

    is_int(scaffold_new(tmp, "y", "Open", false, &made, &err), SS_ERR_USAGE, "nothing left");
    contains(err.msg, "such as --invocation \"space facts\"", "an example instead");

    is_int(scaffold_new(tmp, "z", "caf\xc3", false, &made, &err), SS_ERR_USAGE, "not UTF-8");
    contains(err.msg, "is not UTF-8 text", "says so");

    char longname[1100];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    is_int(scaffold_new(tmp, "z", longname, false, &made, &err), SS_ERR_USAGE, "too long");
    contains(err.msg, "longer than", "says so");

    /* What Amazon allows only for brands: made, with a warning. */
    is_int(scaffold_new(tmp, "dinosaurs", NULL, false, &made, &err), SS_ERR_OK, "one word");
    contains(made.warning, "the invocation name 'dinosaurs' is one word", "warns");
    contains(made.warning, "edit invocationName in", "says where to change it");
    contains(made.warning, "dinosaurs/model.json", "names the file");
    invocation_is("dinosaurs", "dinosaurs");
    is_int(scaffold_new(tmp, "zoo", "the zoo", true, &made, &err), SS_ERR_OK, "two small words");
    contains(made.warning, "one of them is \"the\"", "warns");
    contains(made.warning, "zoo/skill-package/interactionModels/custom/en-US.json",
             "names the project's model");

    /* The folder's name and the folder itself. */
    is_int(scaffold_new(tmp, "hello_kit", NULL, false, &made, &err), SS_ERR_USAGE, "exists");
    contains(err.msg, "already exists", "says so");
    is_int(scaffold_new(tmp, "../x", NULL, false, &made, &err), SS_ERR_USAGE, "invalid name");
    contains(err.msg, "cannot be a skill's name", "says so");
    contains(err.msg, ", like x", "and offers a name made of it");
    is_int(scaffold_new(tmp, "My Pet Quiz!", NULL, false, &made, &err), SS_ERR_USAGE,
           "a name with spaces");
    contains(err.msg, "like my_pet_quiz", "offers it with '_' for the spaces");
    is_int(scaffold_new(tmp, "!!", NULL, false, &made, &err), SS_ERR_USAGE, "nothing usable");
    contains(err.msg, "like hello_world", "offers the example");
    char nested[PATH_MAX + 16];
    snprintf(nested, sizeof(nested), "%s/more/skills", tmp);
    is_int(scaffold_new(nested, "a_b", NULL, false, &made, &err), SS_ERR_IO,
           "a skills folder whose parent is missing");
    contains(err.msg, "cannot make the folder", "says so");

    ok(tap_remove_tree(tmp) == 0, "clean up");
    return tap_done();
}
