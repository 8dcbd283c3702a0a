/* Shared between preset.c, setlist.c and json_pos.c: strict JSON validation with
 * file:line:column errors. jansson parses (and reports syntax errors with positions);
 * it keeps no positions per node, so errors in valid JSON re-scan the text for the path
 * of the offending key or value (json_pos.c). Only error paths pay for that scan. */
#ifndef STRATA_PRESET_INTERNAL_H
#define STRATA_PRESET_INTERNAL_H

#include <jansson.h>

#include "preset/preset.h"

#define STRATA_JPATH_MAX 8

/* One step of a path into the document: an object key, or an array index (key NULL). */
typedef struct strata_jseg {
    const char *key;
    int index;
} strata_jseg;

typedef struct strata_jctx {
    const char *text; /* the whole file, for positions */
    size_t len;
    const char *file; /* for messages */
    strata_jseg path[STRATA_JPATH_MAX];
    int depth;
    strata_result *r;
} strata_jctx;

static inline void strata_jctx_push_key(strata_jctx *c, const char *key)
{
    if (c->depth < STRATA_JPATH_MAX)
        c->path[c->depth] = (strata_jseg){key, -1};
    c->depth++;
}

static inline void strata_jctx_push_index(strata_jctx *c, int index)
{
    if (c->depth < STRATA_JPATH_MAX)
        c->path[c->depth] = (strata_jseg){NULL, index};
    c->depth++;
}

static inline void strata_jctx_pop(strata_jctx *c)
{
    c->depth--;
}

/* Line and column (1-based, columns in characters like jansson's) of the value at path,
 * or of its key when at_key and the last step is a key. Falls back to the deepest part
 * of the path that was found. */
void strata_json_locate(const char *text, size_t len, const strata_jseg *path, int depth,
                        bool at_key, int *line, int *col);
/* Fill c->r with "FILE:L:C: message" at the current path; returns STRATA_ERR_FORMAT. */
strata_status strata_jctx_fail(strata_jctx *c, bool at_key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Parse text with jansson (duplicate keys rejected); NULL with "FILE:L:C: ..." in r. */
json_t *strata_json_parse(const char *text, size_t len, const char *file, strata_result *r);
/* The candidate closest to word by edit distance, when close enough to be a typo. */
const char *strata_json_suggest(const char *word, const char *const *cands, int n);
/* Check that every key of obj is in allowed; the error names `where` ("" = top level). */
strata_status strata_json_check_keys(strata_jctx *c, json_t *obj, const char *const *allowed, int n,
                                     const char *where);
/* "an object", "a string", ... for type errors. */
const char *strata_json_type_name(const json_t *v);
/* Number at key (missing: keep *out). Range lo..hi inclusive, else an error naming it. */
strata_status strata_json_get_num(strata_jctx *c, json_t *obj, const char *key, double lo,
                                  double hi, float *out);
/* String at key (missing: NULL without error). */
strata_status strata_json_get_str(strata_jctx *c, json_t *obj, const char *key, const char **out);

/* The "midi" object of a preset or a map file (midi_map.c) into m (appended). */
strata_status strata_midi_map_parse_json(strata_jctx *c, json_t *obj, strata_midi_map *m);

/* Folder of path as an absolute path without a trailing slash ("" path: cwd). */
void strata_preset_abs_dir(const char *path, char *out, size_t n);
/* The last path component without its extension. */
void strata_preset_stem(const char *path, char *out, size_t n);

#endif
