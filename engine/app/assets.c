/* assets/: what the binary ships besides shaders, embedded at build time
 * (tools/embed.cmake writes the table), so an installed strata needs no files. */
#include "app.h"

#include <string.h>

typedef struct embedded_file {
    const char *name;
    const unsigned char *data;
    size_t len;
} embedded_file;

extern const embedded_file strata_embedded_assets[];
extern const int strata_embedded_asset_count;

const char *strata_asset(const char *name, size_t *len)
{
    for (int i = 0; i < strata_embedded_asset_count; i++) {
        if (strcmp(strata_embedded_assets[i].name, name) == 0) {
            if (len)
                *len = strata_embedded_assets[i].len;
            return (const char *)strata_embedded_assets[i].data;
        }
    }
    return NULL;
}
