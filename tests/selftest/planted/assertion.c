/* assertion.c - a failed check among passing ones. */
#include <stdio.h>

int
main(void)
{
    printf("ok 1 - before the planted assertion\n");
    printf("not ok 2 - planted assertion\n#   failed at assertion.c:9\n");
    printf("1..2\n");
    return 1;
}
