/* passes.c - the one planted test that passes. */
#include <stdio.h>

int
main(void)
{
    printf("ok 1 - passes\n1..1\n");
    return 0;
}
