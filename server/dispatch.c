/* dispatch.c - placeholder while the module is written. */
#include "error.h"
int dispatch_placeholder_(void);
int
dispatch_placeholder_(void)
{
    return 0;
}
