/* strata-bank's command-line helpers, shared by every command (main.c, info.c, encode.c,
 * import.c): the option parser call, the progress bar and the base name (commands.h). */
#include "commands.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

void bank_tool_progress(int done, int total)
{
    if (!isatty(2) || total <= 0)
        return;
    int width = 40, fill = (int)((long long)done * width / total);
    fprintf(stderr, "\r[%.*s%*s] %d/%d", fill, "########################################",
            width - fill, "", done, total);
    if (done >= total)
        fputc('\n', stderr);
}

bool bank_tool_parse(const char *cmd, const strata_arg *table, int n, int argc, char **argv,
                     const char **pos, int max_pos, int *npos)
{
    char prog[64];
    snprintf(prog, sizeof prog, "strata-bank %s", cmd);
    strata_result r = {0};
    strata_args_desc d = {.prog = prog,
                          .table = table,
                          .count = n,
                          .start = 2,
                          .positional = pos,
                          .max_positional = max_pos,
                          .npositional = npos};
    if (strata_args_parse(&d, argc, argv, &r) != STRATA_OK) {
        fprintf(stderr, "%s\n", r.msg);
        return false;
    }
    return true;
}

const char *bank_tool_basename(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}
