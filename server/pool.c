/* pool.c - placeholder while the module is written. */
#include "error.h"
int pool_placeholder_(void);
int
pool_placeholder_(void)
{
    return 0;
}
