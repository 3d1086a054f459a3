/* python.c - placeholder while the module is written. */
#include <Python.h>
int python_placeholder_(void);
int
python_placeholder_(void)
{
    return 0;
}
