/* proto.c - placeholder while the module is written. */
#include "error.h"
int proto_placeholder_(void);
int
proto_placeholder_(void)
{
    return 0;
}
