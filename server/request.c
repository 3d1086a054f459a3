/* request.c - placeholder while the module is written. */
#include "error.h"
int request_placeholder_(void);
int
request_placeholder_(void)
{
    return 0;
}
