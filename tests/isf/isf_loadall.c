/* Not a test: load, compile and run one frame of every ISF file named, report the ones
 * that fail (docs/ISF.md: the Vidvox/ISF-Files figure). Usage: isf_loadall FILE.fs... */
#include "isf/isf.h"
#include "support/gl_fixture.h"
int main(int argc, char **argv)
{
    strata_gl gl;
    if (!test_gl_open(&gl, NULL))
        return 2;
    int ok = 0, n = 0;
    strata_log_set_quiet(true);
    for (int i = 1; i < argc; i++) {
        strata_result r = {0};
        n++;
        strata_isf *s = strata_isf_load(argv[i], &(strata_isf_opts){.width = 64, .height = 36}, &r);
        if (s) {
            const strata_target *t = strata_isf_run(s, &(strata_isf_frame){.time = 1});
            ok += t != NULL;
            strata_isf_destroy(s);
        } else {
            printf("FAIL %s\n", r.msg);
        }
    }
    printf("%d of %d load and run\n", ok, n);
    test_gl_close(&gl);
    return 0;
}
