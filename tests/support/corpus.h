/* The files of a fuzz corpus, for the tests that replay one (include after cmocka.h).
 *
 *   int n = test_corpus_each("tests/fuzz/corpus", one_file, &ctx);
 *
 * calls one_file(name, data, len, &ctx) for each file of STRATA_SOURCE_DIR/<sub> (dot
 * files skipped), in the order readdir gives; data is malloc'd for the call (the callback
 * may change its bytes) and freed after it. Returns how many files it read; a folder or a
 * file it cannot read fails the test. */
#ifndef STRATA_TEST_CORPUS_H
#define STRATA_TEST_CORPUS_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/core.h"

typedef void (*test_corpus_fn)(const char *name, char *data, size_t len, void *user);

static inline int test_corpus_each(const char *sub, test_corpus_fn fn, void *user)
{
    const char *src = getenv("STRATA_SOURCE_DIR");
    assert_non_null(src);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/%s", src, sub);
    DIR *d = opendir(dir);
    if (!d)
        fail_msg("%s: cannot open the corpus", dir);
    int files = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *data;
        size_t len;
        strata_result r = {0};
        if (strata_file_read(path, &data, &len, 1 << 20, &r) != STRATA_OK)
            fail_msg("%s", r.msg);
        fn(e->d_name, data, len, user);
        free(data);
        files++;
    }
    closedir(d);
    return files;
}

#endif
