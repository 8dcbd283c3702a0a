/* strata_control_docs [FILE]: write docs/OSC.md from the registry (stdout without FILE). */
#include <stdio.h>

#include "control/control.h"

int main(int argc, char **argv)
{
    FILE *out = argc > 1 ? fopen(argv[1], "w") : stdout;
    if (!out) {
        perror(argv[1]);
        return 1;
    }
    strata_control_write_docs(out);
    return out == stdout ? 0 : (fclose(out) == 0 ? 0 : 1);
}
