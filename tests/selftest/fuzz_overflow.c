/* fuzz_overflow.c - a libFuzzer target with a signed overflow on its first
 * input, built with recoverable UBSan: tests/selftest/run.sh checks that the
 * fuzz phase of the runner reports it. */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    volatile int big = INT_MAX;
    volatile int sum = big + (int)size + 1; /* overflows for every input */
    (void)data;
    (void)sum;
    return 0;
}
