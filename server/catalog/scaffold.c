/*
 * scaffold.c - writing a new skill folder (see scaffold.h).
 *
 * The files are templates with the skill's name and invocation name filled
 * in. The invocation name is checked by model_check_invocation(), the same
 * rules `say` applies to a model, before anything is written: a name Amazon
 * would refuse is refused here, with what to write instead, so that a new
 * skill is ready for `ask deploy` as it is. The templates are JSON and
 * Python strings, which a name that follows the rules (letters, spaces,
 * apostrophes, periods) cannot break out of.
 */
#include "scaffold.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "model.h"
#include "skill.h"
#include "ss_limits.h"

/* The code of a new skill, the same in both layouts; only its docstring
 * differs. */
#define SKILL_PY_BODY                                                                              \
    "from skillkit import ask, intent, launch\n"                                                   \
    "\n"                                                                                           \
    "\n"                                                                                           \
    "@launch\n"                                                                                    \
    "def welcome(req):\n"                                                                          \
    "    return ask(\"Welcome to %2$s! Say hello.\")\n"                                            \
    "\n"                                                                                           \
    "\n"                                                                                           \
    "@intent(\"HelloIntent\")\n"                                                                   \
    "def hello(req):\n"                                                                            \
    "    return \"Hello from %2$s!\"\n"

static const char own_skill_py[] =
    "\"\"\"%1$s: a new skill. Try it: skillserver say 'open %2$s'\"\"\"\n" SKILL_PY_BODY;

static const char ask_lambda_py[] =
    "\"\"\"%1$s: a new skill in an ASK CLI project. Try it: skillserver say 'open %2$s'\n"
    "\n"
    "skillserver runs lambda_function.lambda_handler, as ask-resources.json says.\n"
    "\"\"\"\n" SKILL_PY_BODY;

static const char model_json[] =
    "{\n"
    "  \"interactionModel\": {\n"
    "    \"languageModel\": {\n"
    "      \"invocationName\": \"%2$s\",\n"
    "      \"intents\": [\n"
    "        {\"name\": \"HelloIntent\", \"samples\": [\"hello\", \"say hello\", \"hi\"]},\n"
    "        {\"name\": \"AMAZON.HelpIntent\", \"samples\": []},\n"
    "        {\"name\": \"AMAZON.StopIntent\", \"samples\": []},\n"
    "        {\"name\": \"AMAZON.CancelIntent\", \"samples\": []},\n"
    "        {\"name\": \"AMAZON.NavigateHomeIntent\", \"samples\": []},\n"
    "        {\"name\": \"AMAZON.FallbackIntent\", \"samples\": []}\n"
    "      ],\n"
    "      \"types\": []\n"
    "    }\n"
    "  }\n"
    "}\n";

static const char own_skill_json[] = "{\n  \"locale\": \"en-US\"\n}\n";

static const char ask_resources_json[] =
    "{\n"
    "  \"askcliResourcesVersion\": \"2020-03-31\",\n"
    "  \"profiles\": {\n"
    "    \"default\": {\n"
    "      \"skillMetadata\": {\"src\": \"./skill-package\"},\n"
    "      \"code\": {\"default\": {\"src\": \"./lambda\"}},\n"
    "      \"skillInfrastructure\": {\n"
    "        \"userConfig\": {\n"
    "          \"runtime\": \"python3.11\",\n"
    "          \"handler\": \"lambda_function.lambda_handler\",\n"
    "          \"awsRegion\": \"us-east-1\"\n"
    "        },\n"
    "        \"type\": \"@ask-cli/lambda-deployer\"\n"
    "      }\n"
    "    }\n"
    "  }\n"
    "}\n";

static const char ask_manifest_json[] =
    "{\n"
    "  \"manifest\": {\n"
    "    \"publishingInformation\": {\n"
    "      \"locales\": {\n"
    "        \"en-US\": {\n"
    "          \"name\": \"%1$s\",\n"
    "          \"summary\": \"A new skill.\",\n"
    "          \"description\": \"A new skill, made with skillserver new.\",\n"
    "          \"examplePhrases\": [\"Alexa open %2$s\"]\n"
    "        }\n"
    "      },\n"
    "      \"isAvailableWorldwide\": true,\n"
    "      \"category\": \"EDUCATION_AND_REFERENCE\",\n"
    "      \"distributionCountries\": []\n"
    "    },\n"
    "    \"apis\": {\"custom\": {}},\n"
    "    \"manifestVersion\": \"1.0\"\n"
    "  }\n"
    "}\n";

static const char requirements_txt[] =
    "# Packages this skill needs. Vendor them beside the code with:\n"
    "#   pip install -r requirements.txt -t .\n";

enum ss_err
scaffold_write(const char *dir, const char *rel, const char *text, struct ss_error *err)
{
    char path[PATH_MAX];
    int w = snprintf(path, sizeof(path), "%s/%s", dir, rel);
    if (w < 0 || (size_t)w >= sizeof(path))
        return ss_fail(err, SS_ERR_IO, "the path %s/%s is too long", dir, rel);
    FILE *f = fopen(path, "wx");
    if (!f)
        return ss_fail(err, SS_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    int ok = fputs(text, f) >= 0;
    if (fclose(f) != 0)
        ok = 0;
    if (!ok)
        return ss_fail(err, SS_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    return SS_ERR_OK;
}

enum ss_err
scaffold_mkdir(const char *dir, const char *rel, struct ss_error *err)
{
    char path[PATH_MAX];
    int w = rel ? snprintf(path, sizeof(path), "%s/%s", dir, rel)
                : snprintf(path, sizeof(path), "%s", dir);
    if (w < 0 || (size_t)w >= sizeof(path))
        return ss_fail(err, SS_ERR_IO, "the path %s is too long", dir);
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return ss_fail(err, SS_ERR_IO, "cannot make the folder %s: %s", path, strerror(errno));
    return SS_ERR_OK;
}

/* Write one of this file's templates, with %1$s the name and %2$s the
 * invocation name filled in. */
static enum ss_err
write_file(const char *dir, const char *rel, const char *template, const char *name,
           const char *spoken, struct ss_error *err)
{
    struct buf text = BUF_INIT(LIMIT_SCAFFOLD_FILE_BYTES);
    /* The templates are this file's own constants. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    bool ok = buf_printf(&text, template, name, spoken);
#pragma GCC diagnostic pop
    enum ss_err rc = ok ? scaffold_write(dir, rel, buf_str(&text), err)
                        : ss_fail(err, text.err, "cannot make %s: %s", rel, ss_err_text(text.err));
    buf_reset(&text);
    return rc;
}

/*
 * "has the digit '2': ...; it has the word \"skill\", ..." from the report's
 * problems of one severity, into buf.
 */
static void
join_problems(const struct model_report *r, enum model_severity severity, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < r->count; i++) {
        if (r->items[i].severity != severity)
            continue;
        int w = snprintf(buf + used, cap - used, "%s%s", used ? "; it " : "", r->items[i].message);
        if (w < 0 || (size_t)w >= cap - used)
            return;
        used += (size_t)w;
    }
}

/*
 * Choose the invocation name: the one given, else the folder's name with '_'
 * and '-' as spaces, lower case. Refuses a name with errors, saying what is
 * wrong and a name that would do.
 */
static enum ss_err
choose_invocation(const char *name, const char *given, struct scaffold_result *out,
                  struct ss_error *err)
{
    struct model_report r;
    char problems[400], better[LIMIT_MODEL_TEXT_CHARS];
    const char *source = given ? "" : " (made from the folder name)";

    if (given) {
        if (strlen(given) >= sizeof(out->invocation))
            return ss_fail(err, SS_ERR_USAGE,
                           "the invocation name is longer than %zu bytes: use two to four "
                           "words people say to open the skill",
                           sizeof(out->invocation) - 1);
        /* Spaces between words, one each: what a shell quote may add is
         * not a mistake worth refusing. */
        size_t n = 0;
        for (const char *g = given; *g; g++)
            if (*g != ' ' || (n > 0 && g[1] && g[1] != ' '))
                out->invocation[n++] = *g;
        out->invocation[n] = '\0';
    } else {
        size_t n = strlen(name);
        for (size_t i = 0; i <= n; i++) {
            char c = name[i];
            out->invocation[i] = (c == '_' || c == '-')   ? ' '
                                 : (c >= 'A' && c <= 'Z') ? (char)(c + 32)
                                                          : c;
        }
    }
    memset(&r, 0, sizeof(r));
    model_check_invocation(out->invocation, &r);
    if (r.errors) {
        join_problems(&r, MODEL_ERROR, problems, sizeof(problems));
        if (model_invocation_suggest(out->invocation, better, sizeof(better)))
            return ss_fail(err, SS_ERR_USAGE,
                           "the invocation name '%s'%s %s. Choose one with --invocation, "
                           "such as: --invocation \"%s\"",
                           out->invocation, source, problems, better);
        return ss_fail(err, SS_ERR_USAGE,
                       "the invocation name '%s'%s %s. Choose one with --invocation: two or "
                       "more words people say to open the skill, such as --invocation "
                       "\"space facts\"",
                       out->invocation, source, problems);
    }
    if (r.warnings) {
        join_problems(&r, MODEL_WARNING, problems, sizeof(problems));
        snprintf(out->warning, sizeof(out->warning), "the invocation name '%.200s' %s",
                 out->invocation, problems);
    }
    return SS_ERR_OK;
}

/* A skill's name made of what was asked for: its ASCII letters and digits
 * in small letters, each run of anything else one '_' between them ("My
 * Pet Quiz!": "my_pet_quiz"); "hello_world" when none is left. */
static void
name_like(const char *name, char out[LIMIT_SKILL_NAME_CHARS + 1])
{
    size_t n = 0;
    bool gap = false;

    for (const char *p = name; *p && n < LIMIT_SKILL_NAME_CHARS; p++) {
        char c = *p;
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!letter && !(c >= '0' && c <= '9')) {
            gap = true;
            continue;
        }
        if (gap && n && n + 1 < LIMIT_SKILL_NAME_CHARS)
            out[n++] = '_';
        gap = false;
        out[n++] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    out[n] = '\0';
    if (!n)
        snprintf(out, LIMIT_SKILL_NAME_CHARS + 1, "hello_world");
}

/* Say where to change the invocation name a warning is about. */
static void
note_where(struct scaffold_result *out, const char *dir, const char *model)
{
    size_t n = strlen(out->warning);
    if (n > 0)
        snprintf(out->warning + n, sizeof(out->warning) - n,
                 ". It is made anyway; to change it, edit invocationName in %s/%s", dir, model);
}

enum ss_err
scaffold_new(const char *skills_dir, const char *name, const char *invocation, bool ask,
             struct scaffold_result *out, struct ss_error *err)
{
    char dir[PATH_MAX];
    const char *spoken = out->invocation;
    enum ss_err rc;

    memset(out, 0, sizeof(*out));
    if (!skill_name_valid(name)) {
        char like[LIMIT_SKILL_NAME_CHARS + 1];
        name_like(name, like);
        return ss_fail(err, SS_ERR_USAGE,
                       "'%s' cannot be a skill's name: use letters, digits, '_' and '-' "
                       "(at most %d characters), like %s",
                       name, LIMIT_SKILL_NAME_CHARS, like);
    }
    if ((rc = choose_invocation(name, invocation, out, err)) != SS_ERR_OK)
        return rc;
    int w = snprintf(dir, sizeof(dir), "%s/%s", skills_dir, name);
    if (w < 0 || (size_t)w >= sizeof(dir))
        return ss_fail(err, SS_ERR_IO, "the path %s/%s is too long", skills_dir, name);
    if ((rc = scaffold_mkdir(skills_dir, NULL, err)) != SS_ERR_OK)
        return rc;
    if (mkdir(dir, 0755) != 0)
        return ss_fail(err, errno == EEXIST ? SS_ERR_USAGE : SS_ERR_IO,
                       errno == EEXIST ? "%s already exists: choose another name, or remove it "
                                         "first"
                                       : "cannot make the folder %s: %s",
                       dir, strerror(errno));
    if (!ask) {
        if ((rc = write_file(dir, "skill.py", own_skill_py, name, spoken, err)) != SS_ERR_OK ||
            (rc = write_file(dir, "model.json", model_json, name, spoken, err)) != SS_ERR_OK ||
            (rc = write_file(dir, "skill.json", own_skill_json, name, spoken, err)) != SS_ERR_OK)
            return rc;
        note_where(out, dir, "model.json");
        return SS_ERR_OK;
    }
    if ((rc = scaffold_mkdir(dir, "skill-package", err)) != SS_ERR_OK ||
        (rc = scaffold_mkdir(dir, "skill-package/interactionModels", err)) != SS_ERR_OK ||
        (rc = scaffold_mkdir(dir, "skill-package/interactionModels/custom", err)) != SS_ERR_OK ||
        (rc = scaffold_mkdir(dir, "lambda", err)) != SS_ERR_OK ||
        (rc = write_file(dir, "ask-resources.json", ask_resources_json, name, spoken, err)) !=
            SS_ERR_OK ||
        (rc = write_file(dir, "skill-package/skill.json", ask_manifest_json, name, spoken, err)) !=
            SS_ERR_OK ||
        (rc = write_file(dir, "skill-package/interactionModels/custom/en-US.json", model_json, name,
                         spoken, err)) != SS_ERR_OK ||
        (rc = write_file(dir, "lambda/lambda_function.py", ask_lambda_py, name, spoken, err)) !=
            SS_ERR_OK ||
        (rc = write_file(dir, "lambda/requirements.txt", requirements_txt, name, spoken, err)) !=
            SS_ERR_OK)
        return rc;
    note_where(out, dir, "skill-package/interactionModels/custom/en-US.json");
    return SS_ERR_OK;
}
