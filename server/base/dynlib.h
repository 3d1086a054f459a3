/*
 * dynlib.h - symbols of a library loaded with dlopen().
 *
 * Several libraries are loaded only by the commands that use them, so that
 * every other command starts without mapping and relocating them:
 * libmicrohttpd and GnuTLS (serve, server/front/libs.c), libcurl (a
 * signing chain's download, server/verify/verify_curl.c), libsystemd
 * (under systemd, server/front/notify.c), libpq (a PostgreSQL store,
 * server/pipeline/store_pg.c), libxml2 (the SSML check, ssml/xmllib.c) and
 * libcrypto (verification, signing, the class's passwords,
 * server/verify/crypto_lib.c).
 * Each keeps its own table of functions; this fills one entry.
 */
#ifndef SKILLSERVER_DYNLIB_H
#define SKILLSERVER_DYNLIB_H

#include <stdbool.h>

/* Set *slot, the address of a function pointer of any type, to the
 * function name of lib (a dlopen() handle). False when lib lacks it. */
bool dynlib_resolve(void *lib, const char *name, void *slot);

#endif
