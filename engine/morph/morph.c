/* The morph: keyframe textures (streamed from the bank's loader through a PBO into an
 * LRU of GL textures), the traversal, and the draw of the current pair. */
#include "morph.h"
#include "morph_neural.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_UPLOADS_PER_FRAME 2 /* bounded work per frame: no hitch when many arrive */

struct strata_morph {
    strata_bank *bank;
    strata_morph_mode mode;
    bool latent_bank;
    bool offline;
    int w, h;
    strata_traversal tr;
    /* image banks: GPU cache */
    strata_lru *lru;
    GLuint *tex; /* slot -> texture */
    int nslots;
    int *free_slots;
    int nfree;
    GLuint pbo;
    /* latent banks */
    const strata_cppn *cppn;
    int dim;
    float *z;             /* the latent drawn this frame */
    strata_target key[2]; /* latent keyframes rendered for blend and flow */
    strata_target small;  /* the generator's own target when latent_scale < 1 */
    float latent_scale;   /* of the render size, 0.1..1 */
    float scale_max;      /* what adapt may raise it to (the user's --latent-scale, or 1) */
    int key_index[2];
    /* flow */
    strata_flow *flow;
    int flow_a, flow_b; /* pair the flow was estimated for */
    bool flow_ready;    /* the staged estimate for that pair is complete */
    bool warned_latent_mode;
    /* neural banks: the previews use the image path above; the decoder side is here */
    bool neural_bank;
    morph_neural *neural; /* NULL for other banks */
};

/* Neural mode decodes the latents: the previews are neither streamed nor waited for. */
static bool decoding(const strata_morph *m)
{
    return m->mode == STRATA_MORPH_NEURAL;
}

/* ---- GPU cache ----------------------------------------------------------- */

static GLuint cached_tex(strata_morph *m, int i)
{
    int slot;
    if (i < 0 || !m->lru || !strata_lru_get(m->lru, i, &slot))
        return 0;
    return m->tex[slot];
}

static int take_slot(strata_morph *m)
{
    if (m->nfree > 0)
        return m->free_slots[--m->nfree];
    return -1;
}

static void upload(strata_morph *m, const strata_keyframe_pixels *px)
{
    if (px->width != m->w || px->height != m->h)
        return; /* the bank decodes at the render size; anything else is a bug upstream */
    if (strata_lru_contains(m->lru, px->index))
        return;
    int slot = take_slot(m);
    strata_lru_evicted ev[8];
    if (slot < 0) {
        /* Full: evict the least recently used unpinned keyframe and reuse its slot. */
        int n = strata_lru_put(m->lru, px->index, -1, 0, ev, 8);
        if (n <= 0) {
            strata_lru_remove(m->lru, px->index, NULL);
            return;
        }
        for (int i = 0; i < n && i < 8; i++)
            if (ev[i].slot >= 0)
                m->free_slots[m->nfree++] = ev[i].slot;
        strata_lru_remove(m->lru, px->index, NULL);
        slot = take_slot(m);
        if (slot < 0)
            return;
    }
    size_t bytes = (size_t)px->width * px->height * 4;
    if (!m->tex[slot]) {
        m->tex[slot] =
            strata_texture_create(m->w, m->h, GL_RGBA8, GL_RGBA, GL_UNSIGNED_BYTE, GL_LINEAR);
    }
    /* Through a pixel buffer object: the copy into driver memory returns at once and
     * the transfer overlaps rendering on a real GPU. Orphaning avoids waiting on the
     * previous upload. */
    glBindBuffer(GL_PIXEL_UNPACK_BUFFER, m->pbo);
    glBufferData(GL_PIXEL_UNPACK_BUFFER, (GLsizeiptr)bytes, NULL, GL_STREAM_DRAW);
    void *dst = glMapBufferRange(GL_PIXEL_UNPACK_BUFFER, 0, (GLsizeiptr)bytes,
                                 GL_MAP_WRITE_BIT | GL_MAP_INVALIDATE_BUFFER_BIT);
    glBindTexture(GL_TEXTURE_2D, m->tex[slot]);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    /* Images come top row first; GL's row 0 is the bottom: reverse the rows on the
     * way into the buffer, where the copy happens anyway. */
    size_t stride = (size_t)m->w * 4;
    if (dst) {
        for (int y = 0; y < m->h; y++)
            memcpy((uint8_t *)dst + (size_t)(m->h - 1 - y) * stride, px->rgba + (size_t)y * stride,
                   stride);
        glUnmapBuffer(GL_PIXEL_UNPACK_BUFFER);
        glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, m->w, m->h, GL_RGBA, GL_UNSIGNED_BYTE, NULL);
        glBindBuffer(GL_PIXEL_UNPACK_BUFFER, 0);
    } else {
        glBindBuffer(GL_PIXEL_UNPACK_BUFFER, 0);
        for (int y = 0; y < m->h; y++)
            glTexSubImage2D(GL_TEXTURE_2D, 0, 0, m->h - 1 - y, m->w, 1, GL_RGBA, GL_UNSIGNED_BYTE,
                            px->rgba + (size_t)y * stride);
    }
    int n = strata_lru_put(m->lru, px->index, slot, bytes, ev, 8);
    for (int i = 0; i < n && i < 8; i++)
        if (ev[i].slot >= 0 && ev[i].key != px->index)
            m->free_slots[m->nfree++] = ev[i].slot;
}

static void load_now(strata_morph *m, int i)
{
    if (i < 0 || cached_tex(m, i) || strata_bank_is_bad(m->bank, i))
        return;
    strata_keyframe_pixels px;
    strata_result r = {0};
    if (strata_bank_load_sync(m->bank, i, &px, &r) != STRATA_OK) {
        LOG_WARN("BANK", "%s", r.msg);
        return;
    }
    upload(m, &px);
    strata_bank_release_pixels(m->bank, &px);
}

static int ready_fn(void *user, int i)
{
    strata_morph *m = user;
    if (m->latent_bank)
        return 1;
    if (strata_bank_is_bad(m->bank, i))
        return -1;
    if (decoding(m))
        return 1; /* latents are read at open */
    if (m->offline)
        load_now(m, i); /* render mode: deterministic, so wait for the disk */
    if (strata_bank_is_bad(m->bank, i))
        return -1;
    return m->lru && strata_lru_contains(m->lru, i) ? 1 : 0;
}

/* The keyframes the traversal may want soon, most urgent first. */
static int upcoming(const strata_morph *m, int *out, int max)
{
    const strata_traversal *tr = &m->tr;
    int n = 0, count = tr->count;
    out[n++] = tr->a;
    if (tr->b >= 0)
        out[n++] = tr->b;
    switch (tr->order) {
    case STRATA_ORDER_NEIGHBOURS:
        n += strata_bank_neighbours(m->bank, tr->a, out + n, max - n);
        break;
    case STRATA_ORDER_SHUFFLE:
        for (int k = 0; k < 4 && n < max && tr->shuffle; k++)
            out[n++] = tr->shuffle[(tr->shuffle_pos + k) % count];
        break;
    case STRATA_ORDER_PINGPONG:
        for (int k = 1; k <= 2 && n + 1 < max; k++) {
            out[n++] = (tr->a + k) % count;
            out[n++] = (tr->a - k + count) % count;
        }
        break;
    default:
        for (int k = 1; k <= 4 && n < max; k++)
            out[n++] = (tr->a + k) % count;
    }
    return n;
}

static void stream(strata_morph *m)
{
    int want[16], ask[16], n = upcoming(m, want, 16), na = 0;
    for (int i = 0; i < n; i++)
        if (want[i] >= 0 && !strata_lru_contains(m->lru, want[i]) &&
            !strata_bank_is_bad(m->bank, want[i]))
            ask[na++] = want[i];
    if (na)
        strata_bank_request(m->bank, ask, na);
    strata_keyframe_pixels px;
    for (int k = 0; k < MAX_UPLOADS_PER_FRAME && strata_bank_poll_ready(m->bank, &px); k++) {
        upload(m, &px);
        strata_bank_release_pixels(m->bank, &px);
    }
}

/* ---- lifecycle ----------------------------------------------------------- */

strata_morph *strata_morph_create(const strata_morph_desc *d, strata_result *r)
{
    strata_morph *m = calloc(1, sizeof *m);
    if (!m) {
        strata_fail(r, STRATA_ERR_NOMEM, "morph");
        return NULL;
    }
    m->bank = d->bank;
    m->mode = d->mode;
    m->offline = d->offline;
    m->w = d->width;
    m->h = d->height;
    m->latent_bank = strata_bank_kind(d->bank) == STRATA_BANK_LATENT;
    m->flow_a = m->flow_b = -1;
    m->key_index[0] = m->key_index[1] = -1;
    int count = strata_bank_count(d->bank);
    if (m->latent_bank) {
        m->cppn = strata_bank_cppn(d->bank);
        m->dim = strata_bank_latent_dim(d->bank);
        m->z = calloc((size_t)m->dim, sizeof(float));
        float scale = d->latent_scale;
        if (scale <= 0) {
            const char *rn = (const char *)glGetString(GL_RENDERER);
            bool soft = rn && (strstr(rn, "llvmpipe") || strstr(rn, "softpipe") ||
                               strstr(rn, "SwiftShader"));
            scale = soft ? 0.25f : 1.0f;
        }
        m->scale_max = d->latent_scale > 0 ? strata_clampf(d->latent_scale, 0.1f, 1.0f) : 1.0f;
        strata_morph_set_latent_scale(m, scale);
        LOG_INFO("MORPH", "latent generator at x%.2f of %dx%d", m->latent_scale, m->w, m->h);
        for (int i = 0; i < 2; i++)
            strata_target_init(&m->key[i], m->w, m->h, GL_RGBA8);
    } else {
        size_t budget = (size_t)(d->cache_mb > 0 ? d->cache_mb : 256) << 20;
        size_t per = (size_t)m->w * m->h * 4;
        m->nslots = (int)(budget / per);
        if (m->nslots < 4)
            m->nslots = 4; /* current, next and two ahead: the least that can play */
        if (m->nslots > 4096)
            m->nslots = 4096;
        m->lru = strata_lru_create(m->nslots, (size_t)m->nslots * per);
        m->tex = calloc((size_t)m->nslots, sizeof(GLuint));
        m->free_slots = malloc(sizeof(int) * (size_t)m->nslots);
        for (int i = 0; m->free_slots && i < m->nslots; i++)
            m->free_slots[m->nfree++] = m->nslots - 1 - i;
        glGenBuffers(1, &m->pbo);
        m->neural_bank = strata_bank_kind(d->bank) == STRATA_BANK_NEURAL;
        if (m->neural_bank) {
            m->neural = morph_neural_create(&(morph_neural_desc){
                .bank = d->bank,
                .decoder = d->decoder,
                .decoder_error = d->decoder_error,
                .width = m->w,
                .height = m->h,
                .fit = d->fit,
                .neural_w = d->neural_w,
                .neural_h = d->neural_h,
                .offline = d->offline,
            });
            if (!m->neural) {
                strata_morph_destroy(m);
                strata_fail(r, STRATA_ERR_NOMEM, "neural morph");
                return NULL;
            }
        }
        if (!m->neural_bank && d->mode == STRATA_MORPH_NEURAL)
            LOG_WARN("MORPH", "the neural morph needs a bank of diffusion latents (strata-bank "
                              "encode or import); this bank holds images, so it morphs by flow");
        if (d->mode == STRATA_MORPH_NEURAL || (m->neural_bank && d->mode == STRATA_MORPH_LATENT))
            strata_morph_set_mode(m, STRATA_MORPH_NEURAL);
        else if (d->mode == STRATA_MORPH_LATENT) {
            LOG_WARN("MORPH", "the latent morph needs a latent set; this bank holds images, "
                              "so it morphs by flow");
            m->mode = STRATA_MORPH_FLOW;
        }
    }
    if ((m->latent_bank && !m->z) || (!m->latent_bank && (!m->lru || !m->tex))) {
        strata_morph_destroy(m);
        strata_fail(r, STRATA_ERR_NOMEM, "morph cache");
        return NULL;
    }
    if (m->latent_bank && d->mode == STRATA_MORPH_NEURAL) {
        LOG_WARN("MORPH", "the neural morph needs a bank of diffusion latents; this is a latent "
                          "set, so it morphs by its generator");
        m->mode = STRATA_MORPH_LATENT;
    }
    strata_traversal_init(&m->tr, count, d->order, d->seed, d->bank, ready_fn, m);
    if (!m->latent_bank && !decoding(m)) {
        /* Offline, the first keyframe now; live, ask the loader and draw nothing until it
         * arrives (the render thread never waits on the disk). */
        if (m->offline)
            load_now(m, m->tr.a);
        else
            stream(m);
    }
    return m;
}

void strata_morph_destroy(strata_morph *m)
{
    if (!m)
        return;
    strata_traversal_free(&m->tr);
    for (int i = 0; i < m->nslots; i++)
        if (m->tex && m->tex[i])
            glDeleteTextures(1, &m->tex[i]);
    if (m->pbo)
        glDeleteBuffers(1, &m->pbo);
    for (int i = 0; i < 2; i++)
        strata_target_free(&m->key[i]);
    strata_target_free(&m->small);
    strata_flow_destroy(m->flow);
    morph_neural_destroy(m->neural);
    strata_lru_destroy(m->lru);
    free(m->tex);
    free(m->free_slots);
    free(m->z);
    free(m);
}

void strata_morph_update(strata_morph *m, const strata_traverse_in *in)
{
    if (!m)
        return; /* a scene without a bank (an ISF generator scene) */
    /* Neural mode streams the previews only until its first decode is complete (live, a
     * split decode takes frames): the preview of the keyframe is shown meanwhile. */
    if (!m->latent_bank && !m->offline && (!decoding(m) || !morph_neural_has_picture(m->neural)))
        stream(m);
    /* Skip a first keyframe that turned out bad. */
    if (!m->latent_bank && m->tr.b < 0 && strata_bank_is_bad(m->bank, m->tr.a)) {
        for (int k = 1; k < m->tr.count; k++) {
            int c = (m->tr.a + k) % m->tr.count;
            if (!strata_bank_is_bad(m->bank, c)) {
                m->tr.a = c;
                break;
            }
        }
        if (m->offline && !decoding(m))
            load_now(m, m->tr.a);
    }
    strata_traversal_update(&m->tr, in);
    if (decoding(m))
        morph_neural_update(m->neural, m->tr.a, m->tr.b, strata_traversal_eased(&m->tr), in->dt);
    if (m->lru) {
        strata_lru_pin(m->lru, m->tr.a, true);
        if (m->tr.b >= 0)
            strata_lru_pin(m->lru, m->tr.b, true);
    }
}

/* ---- drawing ------------------------------------------------------------- */

void strata_morph_set_latent_scale(strata_morph *m, float scale)
{
    if (!m)
        return;
    if (!m->latent_bank)
        return;
    scale = strata_clampf(scale, 0.1f, 1.0f);
    int sw = (int)(m->w * scale + 0.5f), sh = (int)(m->h * scale + 0.5f);
    if (sw < 16 || sh < 16 || scale >= 0.999f) {
        strata_target_free(&m->small); /* full size: draw straight into the target */
        m->latent_scale = 1.0f;
        return;
    }
    if (m->small.fbo && m->small.w == sw && m->small.h == sh) {
        m->latent_scale = scale;
        return;
    }
    strata_target_free(&m->small);
    if (!strata_target_init(&m->small, sw, sh, GL_RGBA8))
        scale = 1.0f;
    m->latent_scale = scale;
}

float strata_morph_latent_scale(const strata_morph *m)
{
    if (!m)
        return 1.0f;
    return m->latent_bank ? m->latent_scale : 1.0f;
}

void strata_morph_adapt(strata_morph *m, double frame_ms, double target_ms)
{
    if (!m)
        return;
    if (decoding(m))
        morph_neural_adapt(m->neural, frame_ms, target_ms);
    if (!m->latent_bank || frame_ms <= 0)
        return;
    /* Dynamic resolution: a slow frame trades generator pixels for time, a fast one
     * earns them back. Steps are small and far apart (the caller calls it about every
     * half second), so the picture never pumps. */
    float s = m->latent_scale;
    if (frame_ms > target_ms * 1.08 && s > 0.1f)
        s *= 0.88f;
    else if (frame_ms < target_ms * 0.72 && s < m->scale_max)
        s *= 1.08f;
    else
        return;
    s = strata_clampf(s, 0.1f, m->scale_max);
    if (fabsf(s - m->latent_scale) > 1e-3f)
        strata_morph_set_latent_scale(m, s);
}

/* The generator into target, through the smaller target when the scale asks for it. */
static void generate(strata_morph *m, const float *z, const strata_target *target,
                     const strata_frame_uniforms *u)
{
    if (!m->small.fbo) {
        strata_latent_draw(m->cppn, z, target, u);
        return;
    }
    strata_latent_draw(m->cppn, z, &m->small, u);
    strata_blend_draw(m->small.tex, m->small.tex, 0.0f, target);
}

/* Latent sets in blend or flow mode: render each keyframe once into a texture. */
static GLuint latent_key(strata_morph *m, int i, const strata_frame_uniforms *u)
{
    for (int k = 0; k < 2; k++)
        if (m->key_index[k] == i)
            return m->key[k].tex;
    int k = m->key_index[0] == m->tr.a || m->key_index[0] == m->tr.b ? 1 : 0;
    generate(m, strata_bank_latent(m->bank, i), &m->key[k], u);
    m->key_index[k] = i;
    return m->key[k].tex;
}

/* The held latent breathes: a slow walk around it, so drift 0 is alive, never frozen;
 * glitch perturbs channels before decoding, so the glitch is hallucinated. */
static void latent_now(strata_morph *m, float t, const strata_frame_uniforms *u)
{
    const float *za = strata_bank_latent(m->bank, m->tr.a);
    const float *zb = m->tr.b >= 0 ? strata_bank_latent(m->bank, m->tr.b) : za;
    strata_latent_slerp(za, zb, t, m->dim, m->z);
    double time = u->time;
    float breathe = 0.18f;
    float glitch = u->params ? u->params[STRATA_P_glitch] : 0.0f;
    float kick = u->audio ? u->audio->onset * (u->params ? u->params[STRATA_P_pulse] : 0) : 0;
    double tick = floor(time * 10.0 + 1e-6);
    uint32_t step_tick = tick > 0 ? (uint32_t)(uint64_t)tick : 0u;
    for (int k = 0; k < m->dim; k++) {
        double ph = k * 2.39996323; /* golden angle: channels never move in step */
        m->z[k] += breathe * (float)sin(time * (0.11 + 0.07 * (k % 5)) + ph);
        m->z[k] += 0.35f * kick * (float)sin(ph * 3.0);
        /* Latent glitch: a few channels jump on a step clock of 10 ticks a second of the
         * scene time (same time, same jump, at any frame rate). */
        uint32_t hsh = (uint32_t)(k * 2654435761u) ^ step_tick * 2246822519u;
        hsh ^= hsh >> 15;
        hsh *= 2654435761u;
        if (glitch > 0 && (hsh & 1023) < (uint32_t)(glitch * 300.0f))
            m->z[k] += glitch * 3.0f * ((float)(hsh >> 22) / 512.0f - 1.0f);
    }
}

bool strata_morph_draw(strata_morph *m, const strata_target *target, const strata_frame_uniforms *u)
{
    if (!m)
        return false;
    float t = strata_traversal_eased(&m->tr);
    int a = m->tr.a, b = m->tr.b;
    if (decoding(m)) {
        if (morph_neural_draw(m->neural, target))
            return true;
        GLuint preview = cached_tex(m, a);
        if (preview)
            strata_blend_draw(preview, preview, 0.0f, target);
        return preview != 0;
    }
    if (m->latent_bank && m->mode == STRATA_MORPH_LATENT) {
        latent_now(m, t, u);
        generate(m, m->z, target, u);
        return true;
    }
    GLuint ta = m->latent_bank ? latent_key(m, a, u) : cached_tex(m, a);
    if (!ta)
        return false;
    GLuint tb = b >= 0 ? (m->latent_bank ? latent_key(m, b, u) : cached_tex(m, b)) : 0;
    if (!tb) {
        strata_blend_draw(ta, ta, 0.0f, target);
        return true;
    }
    if (m->mode == STRATA_MORPH_FLOW) {
        if (!m->flow)
            m->flow = strata_flow_create(m->w, m->h);
        if (m->flow && (m->flow_a != a || m->flow_b != b)) {
            /* A fresh flow for every transition, estimated in stages over its first
             * frames (offline: all at once, so frames stay exact). */
            strata_flow_begin(m->flow, ta, tb);
            m->flow_a = a;
            m->flow_b = b;
            m->flow_ready = false;
        }
        if (m->flow && !m->flow_ready) {
            if (m->offline) {
                while (!strata_flow_step(m->flow)) {
                }
                m->flow_ready = true;
            } else {
                m->flow_ready = strata_flow_step(m->flow);
            }
            if (!m->flow_ready) {
                strata_flow_fade(m->flow, ta, tb, t, target); /* t is ~0 here: this is A */
                return true;
            }
        }
        if (m->flow) {
            strata_flow_compose(m->flow, ta, tb, t, target);
            return true;
        }
    }
    strata_blend_draw(ta, tb, t, target);
    return true;
}

bool strata_morph_view(strata_morph *m, const strata_frame_uniforms *u, strata_target *view)
{
    if (!m)
        return false;
    if (decoding(m) || (m->latent_bank && m->mode == STRATA_MORPH_LATENT) || m->tr.b >= 0)
        return false;
    GLuint ta = m->latent_bank ? latent_key(m, m->tr.a, u) : cached_tex(m, m->tr.a);
    if (!ta)
        return false;
    *view = (strata_target){.fbo = 0, .tex = ta, .w = m->w, .h = m->h, .format = GL_RGBA8};
    return true;
}

void strata_morph_goto(strata_morph *m, int i, double seconds)
{
    if (!m)
        return;
    strata_traversal_goto(&m->tr, i, seconds);
    if (m->offline && !m->latent_bank && !decoding(m))
        load_now(m, i);
}

void strata_morph_set_mode(strata_morph *m, strata_morph_mode mode)
{
    if (!m)
        return;
    if (mode == STRATA_MORPH_LATENT && m->neural_bank)
        mode = STRATA_MORPH_NEURAL; /* the latent morph of a neural bank is the neural one */
    if (mode == STRATA_MORPH_NEURAL && m->latent_bank)
        mode = STRATA_MORPH_LATENT; /* a latent set's own latent morph */
    if (mode == STRATA_MORPH_NEURAL && !m->neural_bank)
        mode = STRATA_MORPH_FLOW; /* images: the morph that comes closest */
    if (mode == STRATA_MORPH_NEURAL && !morph_neural_start(m->neural))
        mode = STRATA_MORPH_BLEND; /* never a black screen: the previews, logged why */
    if (mode == STRATA_MORPH_LATENT && !m->latent_bank)
        mode = STRATA_MORPH_FLOW;
    m->mode = mode;
}

strata_morph_mode strata_morph_get_mode(const strata_morph *m)
{
    if (!m)
        return STRATA_MORPH_BLEND;
    return m->mode;
}

void strata_morph_state(const strata_morph *m, int *a, int *b, float *t)
{
    if (!m) {
        *a = 0;
        *b = -1;
        *t = 0.0f;
        return;
    }
    *a = m->tr.a;
    *b = m->tr.b;
    *t = strata_traversal_eased(&m->tr);
}

const strata_traversal *strata_morph_traversal(const strata_morph *m)
{
    static const strata_traversal none = {.b = -1};
    if (!m)
        return &none;
    return &m->tr;
}

GLuint strata_morph_flow_texture(const strata_morph *m)
{
    if (!m)
        return 0;
    /* Only once the staged estimate for this pair is complete: before that the texture
     * still holds the last pair's flow. */
    return m->mode == STRATA_MORPH_FLOW && m->tr.b >= 0 && m->flow_ready
               ? strata_flow_texture(m->flow)
               : 0;
}

void strata_morph_set_latent_glitch(strata_morph *m, const strata_latent_glitch *g, uint64_t seed)
{
    if (!m)
        return;
    if (m->neural)
        morph_neural_set_glitch(m->neural, g, seed);
}

bool strata_morph_neural_status_get(const strata_morph *m, strata_morph_neural_status *out)
{
    memset(out, 0, sizeof *out);
    if (!m)
        return false;
    if (!m->neural)
        return false;
    out->neural = true;
    morph_neural_status(m->neural, out);
    out->decoding = decoding(m) && out->decoding;
    if (!decoding(m) && !out->why[0])
        snprintf(out->why, sizeof out->why, "--morph %s plays the bank's previews",
                 strata_morph_mode_name(m->mode));
    if (!out->decoding)
        out->passes_per_frame = 0;
    return true;
}

void strata_morph_set_neural_passes(strata_morph *m, int passes_per_frame)
{
    if (m->neural)
        morph_neural_set_passes(m->neural, passes_per_frame);
}
