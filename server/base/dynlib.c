/*
 * dynlib.c - symbols of a library loaded with dlopen() (dynlib.h).
 */
#include "dynlib.h"

#include <dlfcn.h>

bool
dynlib_resolve(void *lib, const char *name, void *slot)
{
    void *sym = dlsym(lib, name);
    if (!sym)
        return false;
    /* POSIX: a function's address from dlsym converts to a function pointer. */
    *(void **)slot = sym;
    return true;
}
