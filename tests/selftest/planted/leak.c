/* leak.c - all checks pass, but LeakSanitizer finds a leak at exit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The only pointer to the block dies with this frame: a leak. */
static __attribute__((noinline)) void
lose_a_block(void)
{
    char *block = malloc(4096);
    if (block)
        memset(block, 'x', 4096);
}

/* Overwrite the stack where that frame was, so no stale copy of the pointer
 * makes the block look reachable when LeakSanitizer scans at exit. */
static __attribute__((noinline)) void
scrub_stack(void)
{
    volatile char junk[16384];
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = 0;
}

int
main(void)
{
    lose_a_block();
    scrub_stack();
    printf("ok 1 - before the planted leak\n1..1\n");
    return 0;
}
