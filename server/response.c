/* response.c - placeholder while the module is written. */
#include "error.h"
int response_placeholder_(void);
int
response_placeholder_(void)
{
    return 0;
}
