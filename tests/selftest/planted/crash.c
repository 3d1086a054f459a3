/* crash.c - every printed check passed, then the program dies of a signal. */
#include <signal.h>
#include <stdio.h>

int
main(void)
{
    printf("ok 1 - before the planted crash\n1..1\n");
    fflush(stdout);
    raise(SIGSEGV);
    return 0;
}
