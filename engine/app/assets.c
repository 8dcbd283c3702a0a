/* assets/: what the binary ships besides shaders, embedded at build time
 * (tools/embed.cmake writes the table), so an installed strata needs no files. */
#include "app.h"

extern const strata_embedded_file strata_embedded_assets[];
extern const int strata_embedded_asset_count;

const char *strata_asset(const char *name, size_t *len)
{
    const strata_embedded_file *f =
        strata_embedded_find(strata_embedded_assets, strata_embedded_asset_count, name);
    if (f && len)
        *len = f->len;
    return f ? (const char *)f->data : NULL;
}
