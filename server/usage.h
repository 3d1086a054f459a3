/*
 * usage.h - what the command line says: the help text of every command.
 *
 * Kept apart from main.c, which parses the arguments and calls the parts,
 * so that each reads on its own; the texts name the defaults of the parts
 * (http.h, privs.h) rather than repeating their values.
 */
#ifndef SKILLSERVER_USAGE_H
#define SKILLSERVER_USAGE_H

extern const char usage_main[];
extern const char usage_serve[];
extern const char usage_invoke[];
extern const char usage_lambda[];
extern const char usage_request[];
extern const char usage_ssml[];
extern const char usage_model[];
extern const char usage_new[];
extern const char usage_export[];
extern const char usage_say[];
extern const char usage_sign[];

#endif
