#include <stdio.h>
int
main(void)
{
    puts("skillserver");
    return 0;
}
