/* skip_77.c - an exit-status test that skips (77, as automake and meson read it). */
int
main(void)
{
    return 77;
}
