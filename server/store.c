/* store.c - placeholder while the module is written. */
#include "error.h"
int store_placeholder_(void);
int
store_placeholder_(void)
{
    return 0;
}
