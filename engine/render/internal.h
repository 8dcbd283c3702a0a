/* Inside engine/render only: the pieces of the render state that state.c starts, frames
 * and stops. Nothing outside render includes this. */
#ifndef STRATA_RENDER_INTERNAL_H
#define STRATA_RENDER_INTERNAL_H

#include "render.h"

/* uniforms.c: the frame buffer and the audio textures. */
void strata_uniforms_shutdown(void);
/* A pass's frame block: u NULL is the frame's own (strata_uniforms_frame). */
void strata_uniforms_pass(const strata_frame_uniforms *u);
/* timers.c: ends an open timer and tags what follows with frame. */
void strata_gpu_timers_frame(int64_t frame);
/* target.c: the empty VAO of the fullscreen triangle and of gl_VertexID draws. */
void strata_draw_shutdown(void);
/* output.c: the output and overlay programs and the overlay's buffers. */
void strata_output_shutdown(void);

#endif
