/* The shared uniforms of shaders/common.glsl: time, tempo, audio, parameters. */
#include "render.h"


static GLuint spectrum_tex, waveform_tex;

static GLuint make_line_texture(int w)
{
    GLuint t;
    glGenTextures(1, &t);
    glBindTexture(GL_TEXTURE_2D, t);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_R32F, w, 1, 0, GL_RED, GL_FLOAT, NULL);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    return t;
}

void strata_uniforms_upload_audio(const strata_audio_frame *audio)
{
    if (!spectrum_tex) {
        spectrum_tex = make_line_texture(STRATA_SPECTRUM_BINS);
        waveform_tex = make_line_texture(STRATA_WAVEFORM_SAMPLES);
    }
    glActiveTexture(GL_TEXTURE14);
    glBindTexture(GL_TEXTURE_2D, spectrum_tex);
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, STRATA_SPECTRUM_BINS, 1, GL_RED, GL_FLOAT,
                    audio->spectrum);
    glActiveTexture(GL_TEXTURE15);
    glBindTexture(GL_TEXTURE_2D, waveform_tex);
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, STRATA_WAVEFORM_SAMPLES, 1, GL_RED, GL_FLOAT,
                    audio->waveform);
    glActiveTexture(GL_TEXTURE0);
}

static void set1(strata_program p, const char *name, float v)
{
    GLint loc = strata_uniform_loc(p, name);
    if (loc >= 0)
        glUniform1f(loc, v);
}

static void set_band(strata_program p, const char *name, const strata_band *b)
{
    GLint loc = strata_uniform_loc(p, name);
    if (loc >= 0)
        glUniform4f(loc, b->fast, b->slow, b->agc, b->ratio);
}

void strata_uniforms_apply(strata_program p, const strata_frame_uniforms *u)
{
    /* Wrap time for float precision: shaders see at most ~2.8 hours before it repeats,
     * long enough that no loop is visible, short enough that sin(t) stays smooth. */
    double t = u->time;
    set1(p, "u_time", (float)(t - 10000.0 * (double)(int64_t)(t / 10000.0)));
    GLint loc = strata_uniform_loc(p, "u_frame");
    if (loc >= 0)
        glUniform1i(loc, (GLint)(u->frame & 0x7fffffff));
    set1(p, "u_dt", u->dt);
    loc = strata_uniform_loc(p, "u_resolution");
    if (loc >= 0)
        glUniform2f(loc, (float)u->width, (float)u->height);
    set1(p, "u_bpm", u->bpm);
    set1(p, "u_beat", u->beat);
    set1(p, "u_beat_phase", u->beat_phase);
    set1(p, "u_bar_phase", u->bar_phase);
    set1(p, "u_morph", u->morph);
    const strata_audio_frame *a = u->audio;
    if (a) {
        set_band(p, "u_level", &a->level);
        set_band(p, "u_bass", &a->bass);
        set_band(p, "u_mid", &a->mid);
        set_band(p, "u_high", &a->high);
        loc = strata_uniform_loc(p, "u_onsets");
        if (loc >= 0)
            glUniform4f(loc, a->onset, a->kick, a->snare, a->hat);
        set1(p, "u_beat_pulse", a->beat);
        set1(p, "u_confidence", a->confidence);
        set1(p, "u_audio_live", a->live ? 1.0f : 0.0f);
    }
    loc = strata_uniform_loc(p, "u_spectrum");
    if (loc >= 0)
        glUniform1i(loc, 14);
    loc = strata_uniform_loc(p, "u_waveform");
    if (loc >= 0)
        glUniform1i(loc, 15);
    const GLint *locs = u->params ? strata_program_param_locs(p) : NULL;
    for (int i = 0; locs && i < STRATA_PARAM_COUNT; i++)
        if (locs[i] >= 0)
            glUniform1f(locs[i], u->params[i]);
}
