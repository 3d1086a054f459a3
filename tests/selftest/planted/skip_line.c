/* skip_line.c - one check skipped, one passed. */
#include <stdio.h>

int
main(void)
{
    printf("ok 1 - needs a thing # SKIP planted: the thing is not here\n");
    printf("ok 2 - passes next to a skip\n1..2\n");
    return 0;
}
