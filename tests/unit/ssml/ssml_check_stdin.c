/*
 * ssml_check_stdin.c - a test tool: validate SSML read from stdin (or FILE)
 * with the real C validator and print problems as `skillserver ssml check`
 * does, "NAME:LINE:COLUMN: MESSAGE". Exit 0 valid, 1 invalid, 2 usage or
 * internal failure. Used by tests/unit/test_ssml_builder.py so the Python
 * builder's output is checked by the same code as the server's responses.
 *
 * usage: ssml_check_stdin [--reprompt] [--locale LOCALE] [FILE|-]
 */
#include "ssml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main(int argc, char **argv)
{
    enum ssml_where where = SSML_SPEECH;
    const char *locale = NULL, *path = "-";
    FILE *in = NULL;
    char *doc = NULL, *text = NULL;
    size_t len = 0, cap = 0;
    int rc = 2;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--reprompt") == 0)
            where = SSML_REPROMPT;
        else if (strcmp(argv[i], "--locale") == 0 && i + 1 < argc)
            locale = argv[++i];
        else if (argv[i][0] == '-' && argv[i][1] != '\0')
            goto usage;
        else
            path = argv[i];
    }
    in = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!in) {
        perror(path);
        goto out;
    }
    for (;;) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 4096;
            char *grown = realloc(doc, ncap);
            if (!grown) {
                fprintf(stderr, "out of memory\n");
                goto out;
            }
            doc = grown;
            cap = ncap;
        }
        size_t n = fread(doc + len, 1, cap - len, in);
        if (n == 0)
            break;
        len += n;
    }
    if (ferror(in)) {
        perror(path);
        goto out;
    }
    if (ssml_init() != 0) {
        fprintf(stderr, "ssml_init failed\n");
        goto out;
    }
    struct ssml_report report;
    int r = ssml_check_locale(doc ? doc : "", len, where, locale, &report);
    size_t need = ssml_report_format(&report, path, NULL, 0);
    text = malloc(need + 1);
    if (!text) {
        fprintf(stderr, "out of memory\n");
        goto out;
    }
    ssml_report_format(&report, path, text, need + 1);
    fputs(text, stdout);
    rc = r == 0 ? 0 : r == 1 ? 1 : 2;
    goto out;
usage:
    fprintf(stderr, "usage: ssml_check_stdin [--reprompt] [--locale LOCALE] [FILE|-]\n");
out:
    if (in && in != stdin)
        fclose(in);
    free(doc);
    free(text);
    ssml_shutdown();
    return rc;
}
