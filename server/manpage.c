/*
 * manpage.c - skillserver-manpage, a build-time program: writes the manual
 * page skillserver(1) to standard output from the help texts of usage.c,
 * so that `man skillserver` and `skillserver CMD --help` never disagree.
 *
 *   skillserver-manpage VERSION > skillserver.1
 *
 * Each help text goes in as it is printed (no-fill, so its columns stay),
 * with the characters roff would read as requests or escapes escaped. It is
 * built for the machine that builds (meson's native: true), so a cross
 * build for a Raspberry Pi still makes the page.
 */
#include <stdio.h>
#include <string.h>

#include "usage.h"

/* text as roff no-fill lines: backslashes and hyphens escaped, and a line
 * that starts with . or ' protected from being read as a request. */
static void
put_text(const char *text)
{
    int at_line_start = 1;
    fputs(".nf\n", stdout);
    for (const char *p = text; *p; p++) {
        if (at_line_start && (*p == '.' || *p == '\''))
            fputs("\\&", stdout);
        at_line_start = *p == '\n';
        if (*p == '\\')
            fputs("\\e", stdout);
        else if (*p == '-')
            fputs("\\-", stdout);
        else
            putchar(*p);
    }
    if (!at_line_start)
        putchar('\n');
    fputs(".fi\n", stdout);
}

int
main(int argc, char **argv)
{
    static const struct {
        const char *name;
        const char *text;
    } commands[] = {
        {"serve", usage_serve},   {"invoke", usage_invoke}, {"request", usage_request},
        {"say", usage_say},       {"ssml", usage_ssml},     {"model", usage_model},
        {"sign", usage_sign},     {"new", usage_new},       {"export", usage_export},
        {"lambda", usage_lambda},
    };
    const char *version = argc > 1 ? argv[1] : "";

    printf(".TH SKILLSERVER 1 \"\" \"skillserver %s\" \"User Commands\"\n", version);
    fputs(".SH NAME\nskillserver \\- runs Alexa skills written as Python functions\n"
          ".SH SYNOPSIS\n",
          stdout);
    put_text(usage_main);
    fputs(".SH COMMANDS\nEach command's text is what\n.B skillserver\n.I COMMAND\n"
          ".B \\-\\-help\nprints.\n",
          stdout);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        printf(".SS %s\n", commands[i].name);
        put_text(commands[i].text);
    }
    fputs(".SH FILES\n"
          ".TP\n.I /etc/skillserver/\n"
          "the configuration folder of the service (systemd's ConfigurationDirectory=)\n"
          ".TP\n.I /var/lib/skillserver/skills\n"
          "the skills an installed skillserver serves by default\n"
          ".TP\n.I /var/lib/skillserver/data\n"
          "persistent attributes, and tls/certificate.pem and tls/private\\-key.pem, the "
          "endpoint's certificate and key\n"
          ".TP\n.I /usr/share/skillserver/skills\n"
          "the bundled example skills\n"
          ".TP\n.I /usr/lib/python3/dist\\-packages/skillkit\n"
          "the Python package skills import; plain python3 imports it too\n"
          ".SH SIGNALS\n"
          "serve reloads its skills and its TLS certificate and key on SIGHUP, without "
          "dropping a connection; SIGTERM or SIGINT lets the requests in flight finish, "
          "then stops. Under systemd it reports READY, RELOADING, STOPPING and WATCHDOG "
          "(Type=notify) and accepts its listening socket from a .socket unit.\n"
          ".SH SEE ALSO\n"
          ".BR systemctl (1),\n.BR systemd.socket (5)\n",
          stdout);
    return ferror(stdout) || fflush(stdout) != 0 ? 1 : 0;
}
