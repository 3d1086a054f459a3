/* log.c - placeholder while the module is written. */
#include "error.h"
int log_placeholder_(void);
int
log_placeholder_(void)
{
    return 0;
}
