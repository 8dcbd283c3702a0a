/* The shared uniforms of shaders/common.glsl: one std140 block per frame (time, tempo,
 * audio, parameters) in a streaming buffer, and the audio line textures. */
#include "internal.h"

#include <stddef.h>
#include <string.h>

/* The std140 layout the loader declares (shaders.c): vec4s first, then a vec2, then
 * scalars, which std140 packs at 4 bytes. */
typedef struct frame_block {
    float level[4], bass[4], mid[4], high[4], onsets[4];
    float resolution[2], time, dt;
    int32_t frame;
    float bpm, beat, beat_phase;
    float bar_phase, beat_pulse, confidence, audio_live;
    float morph;
    float params[STRATA_PARAM_COUNT];
} frame_block;

_Static_assert(offsetof(frame_block, resolution) == 80, "std140: vec2 after five vec4");
_Static_assert(offsetof(frame_block, frame) == 96, "std140: int after vec2 + 2 floats");
_Static_assert(offsetof(frame_block, params) == 132, "std140: scalars packed");

/* Slots of the streaming buffer: a frame writes one, more only for passes with values of
 * their own; when the buffer is used up it is orphaned and filling starts again. */
#define SLOTS 64

static struct {
    GLuint ubo;
    GLint stride; /* bytes per slot, rounded up to the offset alignment */
    int next;     /* next free slot */
    frame_block cur;      /* what is bound */
    bool have;            /* something is bound */
    GLintptr cur_off;     /* where cur is */
    frame_block frame_fb; /* the frame's own block (strata_uniforms_frame) */
    GLintptr frame_off;   /* and where it is */
    GLuint spectrum_tex, waveform_tex;
} U;

static size_t block_size(void)
{
    return (sizeof(frame_block) + 15u) & ~(size_t)15u;
}

static bool make_buffer(void)
{
    if (U.ubo)
        return true;
    GLint align = 256;
    glGetIntegerv(GL_UNIFORM_BUFFER_OFFSET_ALIGNMENT, &align);
    if (align <= 0)
        align = 256;
    U.stride = (GLint)((block_size() + (size_t)align - 1) / (size_t)align * (size_t)align);
    glGenBuffers(1, &U.ubo);
    glBindBuffer(GL_UNIFORM_BUFFER, U.ubo);
    glBufferData(GL_UNIFORM_BUFFER, (GLsizeiptr)U.stride * SLOTS, NULL, GL_STREAM_DRAW);
    U.next = 0;
    U.have = false;
    return U.ubo != 0;
}

GLuint strata_line_texture_create(int w)
{
    return strata_texture_create(w, 1, GL_R32F, GL_RED, GL_FLOAT, GL_LINEAR);
}

void strata_uniforms_upload_audio(const strata_audio_frame *audio)
{
    if (!U.spectrum_tex) {
        U.spectrum_tex = strata_line_texture_create(STRATA_SPECTRUM_BINS);
        U.waveform_tex = strata_line_texture_create(STRATA_WAVEFORM_SAMPLES);
    }
    glActiveTexture(GL_TEXTURE14);
    glBindTexture(GL_TEXTURE_2D, U.spectrum_tex);
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, STRATA_SPECTRUM_BINS, 1, GL_RED, GL_FLOAT,
                    audio->spectrum);
    glActiveTexture(GL_TEXTURE15);
    glBindTexture(GL_TEXTURE_2D, U.waveform_tex);
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, STRATA_WAVEFORM_SAMPLES, 1, GL_RED, GL_FLOAT,
                    audio->waveform);
    glActiveTexture(GL_TEXTURE0);
}

static void band(float out[4], const strata_band *b)
{
    out[0] = b->fast;
    out[1] = b->slow;
    out[2] = b->agc;
    out[3] = b->ratio;
}

static void pack(frame_block *fb, const strata_frame_uniforms *u)
{
    memset(fb, 0, sizeof *fb);
    /* Wrap time for float precision: shaders see at most ~2.8 hours before it repeats,
     * long enough that no loop is visible, short enough that sin(t) stays smooth. */
    double t = u->time;
    fb->time = (float)(t - 10000.0 * (double)(int64_t)(t / 10000.0));
    fb->frame = (int32_t)(u->frame & 0x7fffffff);
    fb->dt = u->dt;
    fb->resolution[0] = (float)u->width;
    fb->resolution[1] = (float)u->height;
    fb->bpm = u->bpm;
    fb->beat = u->beat;
    fb->beat_phase = u->beat_phase;
    fb->bar_phase = u->bar_phase;
    fb->morph = u->morph;
    const strata_audio_frame *a = u->audio;
    if (a) {
        band(fb->level, &a->level);
        band(fb->bass, &a->bass);
        band(fb->mid, &a->mid);
        band(fb->high, &a->high);
        fb->onsets[0] = a->onset;
        fb->onsets[1] = a->kick;
        fb->onsets[2] = a->snare;
        fb->onsets[3] = a->hat;
        fb->beat_pulse = a->beat;
        fb->confidence = a->confidence;
        fb->audio_live = a->live ? 1.0f : 0.0f;
    }
    if (u->params)
        memcpy(fb->params, u->params, sizeof fb->params);
}

static GLintptr write_slot(const frame_block *fb)
{
    glBindBuffer(GL_UNIFORM_BUFFER, U.ubo);
    if (U.next >= SLOTS) {
        /* Orphan: the driver hands a fresh store while draws in flight read the old one.
         * The frame's own block moves along into slot 0. */
        glBufferData(GL_UNIFORM_BUFFER, (GLsizeiptr)U.stride * SLOTS, NULL, GL_STREAM_DRAW);
        glBufferSubData(GL_UNIFORM_BUFFER, 0, (GLsizeiptr)sizeof *fb, &U.frame_fb);
        U.frame_off = 0;
        U.next = 1;
    }
    GLintptr off = (GLintptr)U.stride * U.next++;
    glBufferSubData(GL_UNIFORM_BUFFER, off, (GLsizeiptr)sizeof *fb, fb);
    return off;
}

static void bind(GLintptr off, const frame_block *fb)
{
    glBindBufferRange(GL_UNIFORM_BUFFER, 0, U.ubo, off, (GLsizeiptr)block_size());
    U.cur = *fb;
    U.cur_off = off;
    U.have = true;
}

void strata_uniforms_frame(const strata_frame_uniforms *u)
{
    if (!u || !make_buffer())
        return;
    frame_block fb;
    pack(&fb, u);
    if (U.have && U.cur_off == U.frame_off && memcmp(&fb, &U.cur, sizeof fb) == 0)
        return;
    U.frame_fb = fb;
    U.frame_off = write_slot(&fb);
    bind(U.frame_off, &fb);
}

void strata_uniforms_pass(const strata_frame_uniforms *u)
{
    if (!make_buffer() || (!u && !U.have))
        return;
    if (!u) {
        if (U.cur_off != U.frame_off)
            bind(U.frame_off, &U.frame_fb);
        return;
    }
    frame_block fb;
    pack(&fb, u);
    if (U.have && memcmp(&fb, &U.cur, sizeof fb) == 0)
        return;
    if (U.have && memcmp(&fb, &U.frame_fb, sizeof fb) == 0) {
        bind(U.frame_off, &U.frame_fb);
        return;
    }
    GLintptr off = write_slot(&fb);
    bind(off, &fb);
}

void strata_uniforms_apply(strata_program p, const strata_frame_uniforms *u)
{
    (void)p;
    strata_uniforms_pass(u);
}

/* render/state.c: the buffer and textures go with the render state. */
void strata_uniforms_shutdown(void)
{
    if (U.ubo)
        glDeleteBuffers(1, &U.ubo);
    if (U.spectrum_tex)
        glDeleteTextures(1, &U.spectrum_tex);
    if (U.waveform_tex)
        glDeleteTextures(1, &U.waveform_tex);
    memset(&U, 0, sizeof U);
}
