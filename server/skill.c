/* skill.c - placeholder while the module is written. */
#include "error.h"
int skill_placeholder_(void);
int
skill_placeholder_(void)
{
    return 0;
}
