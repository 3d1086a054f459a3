/* skip_plan.c - a TAP test that plans nothing. */
#include <stdio.h>

int
main(void)
{
    printf("1..0 # SKIP planted: nothing to run here\n");
    return 0;
}
