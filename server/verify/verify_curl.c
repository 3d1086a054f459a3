/*
 * verify_curl.c - libcurl, loaded the first time verification needs it.
 *
 * Only serve with verification on downloads certificate chains, yet every
 * command paid for linking libcurl: it brings nineteen more shared
 * libraries (GnuTLS's helpers, Kerberos, LDAP, SSH, HTTP/2, brotli...) for
 * the dynamic loader to map and relocate at every start (7% of the CPU of
 * `skillserver invoke` of a trivial skill). So the binary does not link
 * it: the few libcurl functions verify_*.c call are defined here, with
 * libcurl's own names and prototypes, and each one loads libcurl.so.4
 * (once, with dlopen) and calls the real function. The callers are
 * unchanged; if the library cannot be loaded, curl_global_init() fails,
 * which verify_ctx_create() reports, and nothing else is called.
 */
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "dynlib.h"

/* The soname of the libcurl the headers describe (libcurl4 on Debian 12). */
#define LIBCURL "libcurl.so.4"

static struct {
    CURLcode (*global_init)(long);
    void (*global_cleanup)(void);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    void (*easy_cleanup)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
} real;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool loaded;

static void
load(void)
{
    void *lib = dlopen(LIBCURL, RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        return;
    loaded = dynlib_resolve(lib, "curl_global_init", &real.global_init) &&
             dynlib_resolve(lib, "curl_global_cleanup", &real.global_cleanup) &&
             dynlib_resolve(lib, "curl_easy_init", &real.easy_init) &&
             dynlib_resolve(lib, "curl_easy_setopt", &real.easy_setopt) &&
             dynlib_resolve(lib, "curl_easy_perform", &real.easy_perform) &&
             dynlib_resolve(lib, "curl_easy_getinfo", &real.easy_getinfo) &&
             dynlib_resolve(lib, "curl_easy_cleanup", &real.easy_cleanup) &&
             dynlib_resolve(lib, "curl_easy_strerror", &real.easy_strerror) &&
             dynlib_resolve(lib, "curl_slist_append", &real.slist_append) &&
             dynlib_resolve(lib, "curl_slist_free_all", &real.slist_free_all);
    /* The library stays loaded for the life of the process. */
}

static bool
ready(void)
{
    return pthread_once(&once, load) == 0 && loaded;
}

CURLcode
curl_global_init(long flags)
{
    return ready() ? real.global_init(flags) : CURLE_FAILED_INIT;
}

void
curl_global_cleanup(void)
{
    if (ready())
        real.global_cleanup();
}

CURL *
curl_easy_init(void)
{
    return ready() ? real.easy_init() : NULL;
}

/* The header wraps curl_easy_setopt and curl_easy_getinfo in type-checking
 * macros; the parentheses name the functions themselves. */
CURLcode(curl_easy_setopt)(CURL *handle, CURLoption option, ...)
{
    va_list ap;
    CURLcode rc;

    if (!ready())
        return CURLE_FAILED_INIT;
    /* The option's number says the type of its argument, as libcurl itself
     * reads it (CURLOPTTYPE_* in curl.h). */
    va_start(ap, option);
    if (option < CURLOPTTYPE_OBJECTPOINT) {
        long value = va_arg(ap, long);
        rc = real.easy_setopt(handle, option, value);
    } else if (option < CURLOPTTYPE_FUNCTIONPOINT) {
        void *value = va_arg(ap, void *);
        rc = real.easy_setopt(handle, option, value);
    } else if (option < CURLOPTTYPE_OFF_T) {
        void (*value)(void) = va_arg(ap, void (*)(void));
        rc = real.easy_setopt(handle, option, value);
    } else if (option < CURLOPTTYPE_BLOB) {
        curl_off_t value = va_arg(ap, curl_off_t);
        rc = real.easy_setopt(handle, option, value);
    } else {
        void *value = va_arg(ap, void *);
        rc = real.easy_setopt(handle, option, value);
    }
    va_end(ap);
    return rc;
}

CURLcode
curl_easy_perform(CURL *handle)
{
    return ready() ? real.easy_perform(handle) : CURLE_FAILED_INIT;
}

/* Every CURLINFO argument is a pointer to where the answer goes. */
CURLcode(curl_easy_getinfo)(CURL *handle, CURLINFO info, ...)
{
    va_list ap;

    if (!ready())
        return CURLE_FAILED_INIT;
    va_start(ap, info);
    void *where = va_arg(ap, void *);
    va_end(ap);
    return real.easy_getinfo(handle, info, where);
}

void
curl_easy_cleanup(CURL *handle)
{
    if (ready())
        real.easy_cleanup(handle);
}

const char *
curl_easy_strerror(CURLcode code)
{
    return ready() ? real.easy_strerror(code) : "libcurl (" LIBCURL ") could not be loaded";
}

struct curl_slist *
curl_slist_append(struct curl_slist *list, const char *text)
{
    return ready() ? real.slist_append(list, text) : NULL;
}

void
curl_slist_free_all(struct curl_slist *list)
{
    if (ready())
        real.slist_free_all(list);
}
