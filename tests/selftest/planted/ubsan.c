/* ubsan.c - a signed integer overflow. */
#include <limits.h>
#include <stdio.h>

int
main(int argc, char **argv)
{
    volatile int big = INT_MAX;
    int sum = big + argc; /* argc >= 1: overflows */
    (void)argv;
    printf("%d\n", sum);
    return 0;
}
