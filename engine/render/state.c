/* The render state: init, the one per-frame entry, shutdown. Each piece keeps its own
 * file (shaders.c, timers.c, uniforms.c, target.c, output.c); this file is the only
 * place they are started and stopped, so a re-init never finds half of them stale. */
#include "internal.h"

static struct {
    bool up;
    int64_t frames;
} R;

strata_status strata_render_init(const strata_gl *gl, const char *shader_dir, strata_result *r)
{
    if (R.up)
        strata_render_shutdown();
    strata_status st = strata_shaders_init(gl, shader_dir, r);
    if (st != STRATA_OK)
        return st;
    strata_gpu_timers_init(gl);
    R.up = true;
    R.frames = 0;
    return STRATA_OK;
}

void strata_render_shutdown(void)
{
    if (!R.up)
        return;
    strata_output_shutdown();
    strata_draw_shutdown();
    strata_uniforms_shutdown();
    strata_gpu_timers_shutdown();
    strata_shaders_shutdown();
    R.up = false;
}

int strata_render_begin_frame(const strata_frame_uniforms *u)
{
    int rebuilt = strata_shaders_update();
    strata_gpu_timers_frame(++R.frames);
    if (u)
        strata_uniforms_frame(u);
    return rebuilt;
}
