/* Rendering an ISF shader: compile the translated program, run its passes into their
 * buffers (ping-pong pairs, so a pass may read its own last frame), bind inputs,
 * imported images and strata's audio textures, register INPUTS as parameters, and
 * hot-reload the file from a watcher thread. */
#include "isf_internal.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bank/bank_internal.h"

/* Texture units: 0 every image input, 1..8 pass buffers (the 9th to 16th on 16..23, where
 * the GL has 24 units), 9..11 IMPORTED, 12 and 13 the shader's spectrum and waveform (14
 * and 15 are strata's own: left alone). */
#define UNIT_IMAGE 0
#define UNIT_BUFFER 1
#define UNIT_IMPORT 9
#define UNIT_FFT 12
#define UNIT_WAVE 13

static int buffer_unit(int k)
{
    return k < 8 ? UNIT_BUFFER + k : 16 + k - 8;
}

typedef struct program {
    GLuint gl;
    GLint time, dt, frame, size, pass, date;
    GLint input[STRATA_ISF_MAX_INPUTS];
} program;

typedef struct buffer {
    char name[STRATA_ISF_NAME_MAX];
    strata_target t[2];
    int front; /* the one passes read; a pass writes the other, then they swap */
    bool persistent, is_float;
} buffer;

/* A file as read off the render thread: its text, its .vs, its IMPORTED images decoded
 * (rows bottom first, as GL takes them) or why one could not be. */
typedef struct mail {
    char *fs, *vs;
    size_t fs_len, vs_len;
    uint8_t *px[STRATA_ISF_MAX_IMPORTS];
    int w[STRATA_ISF_MAX_IMPORTS], h[STRATA_ISF_MAX_IMPORTS];
    char import_err[320];
} mail;

struct strata_isf {
    char path[1024], vs_path[1040], stem[STRATA_ISF_NAME_MAX], dir[1024];
    strata_isf_desc d;
    program pr;
    buffer buf[STRATA_ISF_MAX_BUFFERS];
    int nbuf;
    int pass_buf[STRATA_ISF_MAX_PASSES]; /* buffer index per pass, -1: the output */
    strata_target out;
    GLuint import_tex[STRATA_ISF_MAX_IMPORTS];
    GLuint wave_tex, fft_tex; /* made on first use by an audio or audioFFT input */
    float value[STRATA_ISF_MAX_INPUTS][4];
    int param[STRATA_ISF_MAX_INPUTS][4];
    int w, h;
    bool register_params;
    bool hold[STRATA_ISF_MAX_INPUTS]; /* strata_isf_hold: value[i] for the next run */
    char error[512];
    /* --- the watcher: it owns last_* and fills mailbox; the render thread takes it */
    pthread_t watcher;
    bool has_watcher;
    _Atomic bool watching;
    _Atomic(mail *) mailbox;
    uint64_t last_fs, last_vs;
};

static void mail_free(mail *m)
{
    if (!m)
        return;
    free(m->fs);
    free(m->vs);
    for (int i = 0; i < STRATA_ISF_MAX_IMPORTS; i++)
        free(m->px[i]);
    free(m);
}

/* ---- compile ------------------------------------------------------------- */

/* Driver messages "0:12(5): error: ..." (Mesa) or "0(12) : error ..." (NVIDIA) as
 * "file:12: error: ...", into err (the first) and the log (all). */
static void report(const char *file, const char *log, char *err, size_t n)
{
    for (const char *p = log; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        int src = 0, line = 0, used = 0;
        if (sscanf(p, "%d:%d(%*d)%n", &src, &line, &used) < 2 || !used) {
            used = 0;
            if (sscanf(p, "%d(%d)%n", &src, &line, &used) < 2)
                used = 0;
        }
        char msg[600];
        if (used) {
            const char *rest = p + used;
            while (*rest == ' ' || *rest == ':')
                rest++;
            snprintf(msg, sizeof msg, "%s:%d: %.*s", file, line, (int)(len - (size_t)(rest - p)),
                     rest);
        } else {
            snprintf(msg, sizeof msg, "%s: %.*s", file, (int)len, p);
        }
        if (len) {
            LOG_ERROR("ISF", "%s", msg);
            if (!err[0])
                snprintf(err, n, "%.500s", msg);
        }
        p = eol ? eol + 1 : NULL;
    }
}

static GLuint compile(GLenum stage, const char *src, const char *file, char *err, size_t n)
{
    GLuint sh = glCreateShader(stage);
    glShaderSource(sh, 1, &src, NULL);
    glCompileShader(sh);
    GLint ok = 0;
    glGetShaderiv(sh, GL_COMPILE_STATUS, &ok);
    if (!ok) {
        char log[4096];
        glGetShaderInfoLog(sh, sizeof log, NULL, log);
        report(file, log, err, n);
        if (!err[0])
            snprintf(err, n, "%s: compile failed", file);
        glDeleteShader(sh);
        return 0;
    }
    return sh;
}

static bool build(const strata_isf_desc *d, const char *file, const char *fs, size_t fs_len,
                  const char *vs_file, const char *vs, size_t vs_len, program *pr, char *err,
                  size_t n)
{
    err[0] = 0;
    int targets = 0;
    for (int p = 0; p < d->npasses; p++) {
        bool first = d->passes[p].target[0] != 0;
        for (int q = 0; q < p && first; q++)
            first = strcmp(d->passes[q].target, d->passes[p].target) != 0;
        targets += first;
    }
    GLint units = 16;
    glGetIntegerv(GL_MAX_TEXTURE_IMAGE_UNITS, &units);
    if (targets > 8 && units < 24) {
        snprintf(err, n, "%.300s: %d TARGET buffers need 24 texture units; this GL has %d", file,
                 targets, units);
        LOG_ERROR("ISF", "%s", err);
        return false;
    }
    /* GLSL 4.00 where the context has it: its implicit int -> float / uint conversions
     * are what ISF's desktop hosts accept, and shaders in the wild rely on them. */
    GLint major = 3;
    glGetIntegerv(GL_MAJOR_VERSION, &major);
    int version = major >= 4 ? 400 : 330;
    char *fsrc = strata_isf_glsl(d, fs, fs_len, false, version);
    char *vsrc = strata_isf_glsl(d, vs, vs_len, true, version);
    GLuint v = vsrc ? compile(GL_VERTEX_SHADER, vsrc, vs ? vs_file : file, err, n) : 0;
    GLuint f = fsrc && v ? compile(GL_FRAGMENT_SHADER, fsrc, file, err, n) : 0;
    free(fsrc);
    free(vsrc);
    if (!v || !f) {
        if (v)
            glDeleteShader(v);
        if (!err[0])
            snprintf(err, n, "%.400s: out of memory", file);
        return false;
    }
    GLuint prog = glCreateProgram();
    glAttachShader(prog, v);
    glAttachShader(prog, f);
    glLinkProgram(prog);
    glDeleteShader(v);
    glDeleteShader(f);
    GLint ok = 0;
    glGetProgramiv(prog, GL_LINK_STATUS, &ok);
    if (!ok) {
        char log[2048];
        glGetProgramInfoLog(prog, sizeof log, NULL, log);
        snprintf(err, n, "%.90s: link failed: %.400s", file, log);
        LOG_ERROR("ISF", "%s", err);
        glDeleteProgram(prog);
        return false;
    }
    memset(pr, 0, sizeof *pr);
    pr->gl = prog;
    pr->time = glGetUniformLocation(prog, "TIME");
    pr->dt = glGetUniformLocation(prog, "TIMEDELTA");
    pr->frame = glGetUniformLocation(prog, "FRAMEINDEX");
    pr->size = glGetUniformLocation(prog, "RENDERSIZE");
    pr->pass = glGetUniformLocation(prog, "PASSINDEX");
    pr->date = glGetUniformLocation(prog, "DATE");
    /* Sampler units never change: set once per link. */
    GLint prev = 0;
    glGetIntegerv(GL_CURRENT_PROGRAM, &prev);
    glUseProgram(prog);
    for (int i = 0; i < d->ninputs; i++) {
        pr->input[i] = glGetUniformLocation(prog, d->inputs[i].name);
        strata_isf_type t = d->inputs[i].type;
        if (t >= STRATA_ISF_IMAGE && pr->input[i] >= 0)
            glUniform1i(pr->input[i], t == STRATA_ISF_IMAGE   ? UNIT_IMAGE
                                      : t == STRATA_ISF_AUDIO ? UNIT_WAVE
                                                              : UNIT_FFT);
    }
    int b = 0;
    for (int p = 0; p < d->npasses; p++) {
        bool first = d->passes[p].target[0] != 0;
        for (int q = 0; q < p && first; q++)
            first = strcmp(d->passes[q].target, d->passes[p].target) != 0;
        if (first)
            glUniform1i(glGetUniformLocation(prog, d->passes[p].target), buffer_unit(b++));
    }
    for (int i = 0; i < d->nimports; i++)
        glUniform1i(glGetUniformLocation(prog, d->imports[i].name), UNIT_IMPORT + i);
    glUseProgram((GLuint)prev);
    return true;
}

/* ---- buffers, imports, parameters ----------------------------------------- */

static void buffers_free(strata_isf *s)
{
    for (int b = 0; b < s->nbuf; b++) {
        strata_target_free(&s->buf[b].t[0]);
        strata_target_free(&s->buf[b].t[1]);
    }
    s->nbuf = 0;
}

/* One buffer per distinct TARGET; made at their size on first use (run). */
static void buffers_plan(strata_isf *s)
{
    buffers_free(s);
    for (int p = 0; p < s->d.npasses; p++) {
        const strata_isf_pass *ps = &s->d.passes[p];
        s->pass_buf[p] = -1;
        if (!ps->target[0])
            continue;
        for (int b = 0; b < s->nbuf; b++)
            if (!strcmp(s->buf[b].name, ps->target))
                s->pass_buf[p] = b;
        if (s->pass_buf[p] >= 0)
            continue;
        buffer *b = &s->buf[s->nbuf];
        memset(b, 0, sizeof *b);
        snprintf(b->name, sizeof b->name, "%s", ps->target);
        b->persistent = ps->persistent;
        b->is_float = ps->is_float;
        s->pass_buf[p] = s->nbuf++;
    }
}

static bool buffer_size(strata_isf *s, int b, int w, int h)
{
    buffer *bf = &s->buf[b];
    if (bf->t[0].tex && bf->t[0].w == w && bf->t[0].h == h)
        return true;
    strata_target_free(&bf->t[0]);
    strata_target_free(&bf->t[1]);
    GLenum fmt = bf->is_float ? GL_RGBA32F : GL_RGBA8;
    if (!strata_target_init(&bf->t[0], w, h, fmt) || !strata_target_init(&bf->t[1], w, h, fmt))
        return false;
    /* ISF buffers start transparent black (strata's targets start opaque). */
    strata_target_clear(&bf->t[0], 0, 0, 0, 0);
    strata_target_clear(&bf->t[1], 0, 0, 0, 0);
    return true;
}

static void imports_free(strata_isf *s)
{
    for (int i = 0; i < STRATA_ISF_MAX_IMPORTS; i++)
        if (s->import_tex[i])
            glDeleteTextures(1, &s->import_tex[i]);
    memset(s->import_tex, 0, sizeof s->import_tex);
}

/* Decode the IMPORTED images a file's header names (paths relative to its folder) into
 * m: on the thread that read the file, never the render thread. A header that does not
 * parse leaves them out (the render thread's parse reports it). */
static void imports_read(const char *path, const char *dir, mail *m)
{
    strata_isf_desc *d = calloc(1, sizeof *d);
    if (!d || strata_isf_parse(m->fs, m->fs_len, path, d, NULL) != STRATA_OK) {
        free(d);
        return;
    }
    for (int i = 0; i < d->nimports && !m->import_err[0]; i++) {
        char file[1400];
        const char *p = d->imports[i].path;
        snprintf(file, sizeof file, "%s%s%s", p[0] == '/' ? "" : dir, p[0] == '/' ? "" : "/", p);
        char *data = NULL;
        size_t len = 0;
        strata_result r = {0};
        if (strata_file_read(file, &data, &len, 64u << 20, &r) == STRATA_OK)
            m->px[i] = strata_bank_decode((const uint8_t *)data, len, &m->w[i], &m->h[i], &r);
        free(data);
        if (!m->px[i]) {
            snprintf(m->import_err, sizeof m->import_err, "%.120s: IMPORTED \"%s\": %.150s", path,
                     d->imports[i].name, r.msg);
            break;
        }
        /* The decoder gives the top row first; GL's first row is the bottom one, and
         * ISF reads images y up: flip. */
        size_t row = (size_t)m->w[i] * 4;
        uint8_t *tmp = malloc(row);
        for (int y = 0; tmp && y < m->h[i] / 2; y++) {
            uint8_t *top = m->px[i] + (size_t)y * row;
            uint8_t *bottom = m->px[i] + (size_t)(m->h[i] - 1 - y) * row;
            memcpy(tmp, top, row);
            memcpy(top, bottom, row);
            memcpy(bottom, tmp, row);
        }
        free(tmp);
    }
    free(d);
}

/* Upload m's decoded images as d's IMPORTED textures. */
static bool imports_load(const strata_isf_desc *d, const mail *m, GLuint *tex, char *err, size_t n)
{
    if (m->import_err[0]) {
        snprintf(err, n, "%s", m->import_err);
        return false;
    }
    for (int i = 0; i < d->nimports; i++) {
        if (!m->px[i]) { /* the file changed between the two parses */
            snprintf(err, n, "IMPORTED \"%s\": not read", d->imports[i].name);
            for (int k = 0; k < i; k++)
                glDeleteTextures(1, &tex[k]);
            return false;
        }
        glActiveTexture(GL_TEXTURE0 + UNIT_IMPORT + (GLenum)i); /* never strata's units */
        glGenTextures(1, &tex[i]);
        glBindTexture(GL_TEXTURE_2D, tex[i]);
        glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
        glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, m->w[i], m->h[i], 0, GL_RGBA, GL_UNSIGNED_BYTE,
                     m->px[i]);
        strata_texture_clamp(GL_LINEAR);
    }
    return true;
}

static void params_unregister(strata_isf *s)
{
    for (int i = 0; i < STRATA_ISF_MAX_INPUTS; i++)
        for (int c = 0; c < 4; c++) {
            if (s->param[i][c] >= 0)
                strata_param_unregister(s->param[i][c]);
            s->param[i][c] = -1;
        }
}

static void lower_name(char *out, size_t n, const char *in)
{
    size_t k = 0;
    for (; in[k] && k + 1 < n; k++) {
        char c = (char)tolower((unsigned char)in[k]);
        out[k] = isalnum((unsigned char)c) ? c : '_';
    }
    out[k] = 0;
}

void strata_isf_register_inputs(const strata_isf_desc *d, const char *stem, const char *path, int w,
                                int h, int param[STRATA_ISF_MAX_INPUTS][4])
{
    static const char *const comp_color[] = {"r", "g", "b", "a"};
    static const char *const comp_point[] = {"x", "y"};
    char input[STRATA_ISF_NAME_MAX];
    for (int i = 0; i < d->ninputs; i++) {
        const strata_isf_input *in = &d->inputs[i];
        if (in->ncomp == 0 && in->type != STRATA_ISF_EVENT)
            continue;
        lower_name(input, sizeof input, in->name);
        int n = in->type == STRATA_ISF_EVENT ? 1 : in->ncomp;
        for (int c = 0; c < n; c++) {
            strata_param_info pi = {0};
            if (n == 1)
                snprintf(pi.name, sizeof pi.name, "isf/%.24s/%.28s", stem, input);
            else
                snprintf(pi.name, sizeof pi.name, "isf/%.24s/%.28s/%s", stem, input,
                         n == 4 ? comp_color[c] : comp_point[c]);
            pi.min = in->min[c];
            pi.max = in->max[c];
            if (in->type == STRATA_ISF_POINT2D && !in->has_min && !in->has_max)
                pi.max = (float)(c == 0 ? w : h); /* pixels, as ISF hosts do */
            if (in->type == STRATA_ISF_EVENT)
                pi.min = 0, pi.max = 1;
            pi.def = in->type == STRATA_ISF_EVENT ? 0.0f : in->def[c];
            pi.kind = in->type == STRATA_ISF_LONG    ? STRATA_PARAM_INT
                      : in->type == STRATA_ISF_BOOL  ? STRATA_PARAM_BOOL
                      : in->type == STRATA_ISF_EVENT ? STRATA_PARAM_EVENT
                                                     : STRATA_PARAM_FLOAT;
            snprintf(pi.desc, sizeof pi.desc, "ISF %s input %s%s%s", stem, in->name,
                     in->label[0] ? ": " : "", in->label);
            snprintf(pi.owner, sizeof pi.owner, "isf:%.40s", stem);
            strata_result r = {0};
            param[i][c] = strata_param_register(&pi, &r);
            if (param[i][c] < 0)
                LOG_WARN("ISF", "%s: input %s keeps its DEFAULT: %s", path, in->name, r.msg);
        }
    }
}

static void params_register(strata_isf *s)
{
    strata_isf_register_inputs(&s->d, s->stem, s->path, s->w, s->h, s->param);
}

static void values_default(strata_isf *s)
{
    for (int i = 0; i < s->d.ninputs; i++)
        memcpy(s->value[i], s->d.inputs[i].def, sizeof s->value[i]);
}

/* ---- the watcher ---------------------------------------------------------- */

static mail *read_files(const char *path, const char *vs_path, const char *dir)
{
    mail *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    /* A too large file is read as far as the cap allows by nobody: the parse says so. */
    if (strata_file_read(path, &m->fs, &m->fs_len, STRATA_ISF_MAX_BYTES, NULL) != STRATA_OK) {
        free(m);
        return NULL;
    }
    if (strata_file_mtime_ns(vs_path))
        strata_file_read(vs_path, &m->vs, &m->vs_len, STRATA_ISF_MAX_BYTES, NULL);
    imports_read(path, dir, m);
    return m;
}

static void *watch_main(void *arg)
{
    strata_isf *s = arg;
    while (atomic_load(&s->watching)) {
        strata_sleep_s(0.2);
        uint64_t fs = strata_file_mtime_ns(s->path), vs = strata_file_mtime_ns(s->vs_path);
        if (fs == s->last_fs && vs == s->last_vs)
            continue;
        strata_sleep_s(0.05); /* let an editor finish its save */
        s->last_fs = fs;
        s->last_vs = vs;
        mail *m = read_files(s->path, s->vs_path, s->dir);
        if (m)
            mail_free(atomic_exchange(&s->mailbox, m));
    }
    return NULL;
}

/* ---- load, reload, run ---------------------------------------------------- */

static void stem_of(const char *path, char *out, size_t n)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t len = strcspn(base, ".");
    char tmp[STRATA_ISF_NAME_MAX];
    snprintf(tmp, sizeof tmp, "%.*s", (int)(len < sizeof tmp ? len : sizeof tmp - 1), base);
    lower_name(out, n, tmp);
    if (!out[0])
        snprintf(out, n, "isf");
}

/* Parse and compile m; on success it replaces the running shader. */
static bool apply(strata_isf *s, const mail *m, strata_result *r)
{
    strata_isf_desc *d = calloc(1, sizeof *d);
    if (!d)
        return strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory", s->path), false;
    char err[512] = "";
    program pr;
    GLuint tex[STRATA_ISF_MAX_IMPORTS] = {0};
    bool ok = strata_isf_parse(m->fs, m->fs_len, s->path, d, r) == STRATA_OK;
    if (ok && !(ok = build(d, s->path, m->fs, m->fs_len, s->vs_path, m->vs, m->vs_len, &pr, err,
                           sizeof err)))
        strata_fail(r, STRATA_ERR_GL, "%s", err);
    if (ok && !(ok = imports_load(d, m, tex, err, sizeof err))) {
        glDeleteProgram(pr.gl);
        strata_fail(r, STRATA_ERR_IO, "%s", err);
    }
    if (!ok) {
        snprintf(s->error, sizeof s->error, "%s", r->msg);
        free(d);
        return false;
    }
    if (s->pr.gl)
        glDeleteProgram(s->pr.gl);
    imports_free(s);
    memcpy(s->import_tex, tex, sizeof tex);
    s->pr = pr;
    s->d = *d;
    free(d);
    s->error[0] = 0;
    buffers_plan(s);
    params_unregister(s);
    values_default(s);
    if (s->register_params)
        params_register(s);
    return true;
}

strata_isf *strata_isf_load(const char *path, const strata_isf_opts *o, strata_result *r)
{
    strata_isf *s = calloc(1, sizeof *s);
    if (!s) {
        strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory", path);
        return NULL;
    }
    memset(s->param, -1, sizeof s->param);
    snprintf(s->path, sizeof s->path, "%s", path);
    /* The vertex shader beside it: x.fs -> x.vs (ISF's convention). */
    snprintf(s->vs_path, sizeof s->vs_path, "%s", path);
    char *dot = strrchr(s->vs_path, '.'), *slash = strrchr(s->vs_path, '/');
    if (dot && (!slash || dot > slash))
        snprintf(dot, sizeof s->vs_path - (size_t)(dot - s->vs_path), ".vs");
    else
        strncat(s->vs_path, ".vs", sizeof s->vs_path - strlen(s->vs_path) - 1);
    if (o && o->name)
        lower_name(s->stem, sizeof s->stem, o->name);
    else
        stem_of(path, s->stem, sizeof s->stem);
    snprintf(s->dir, sizeof s->dir, "%s", path);
    slash = strrchr(s->dir, '/');
    if (slash)
        *slash = 0;
    else
        snprintf(s->dir, sizeof s->dir, ".");
    s->w = o && o->width > 0 ? o->width : 1280;
    s->h = o && o->height > 0 ? o->height : 720;
    s->register_params = o && o->register_params;
    s->last_fs = strata_file_mtime_ns(s->path);
    s->last_vs = strata_file_mtime_ns(s->vs_path);
    strata_result rr = {0};
    mail *m = read_files(path, s->vs_path, s->dir);
    if (!m) {
        /* Again for the message (too large, missing, a FIFO). */
        char *t = NULL;
        size_t len;
        if (strata_file_read(path, &t, &len, STRATA_ISF_MAX_BYTES, r) == STRATA_OK)
            strata_fail(r, STRATA_ERR_IO, "%s: cannot be read", path);
        free(t);
        free(s);
        return NULL;
    }
    bool ok = apply(s, m, r ? r : &rr) && strata_target_init(&s->out, s->w, s->h, GL_RGBA8);
    mail_free(m);
    if (!ok) {
        strata_isf_destroy(s);
        return NULL;
    }
    if (o && o->watch) {
        atomic_store(&s->watching, true);
        s->has_watcher = pthread_create(&s->watcher, NULL, watch_main, s) == 0;
    }
    LOG_INFO("ISF", "%s: %s, %d inputs, %d passes%s", path, s->d.filter ? "filter" : "generator",
             s->d.ninputs, s->d.npasses, s->has_watcher ? ", hot reload on" : "");
    return s;
}

void strata_isf_destroy(strata_isf *s)
{
    if (!s)
        return;
    if (s->has_watcher) {
        atomic_store(&s->watching, false);
        pthread_join(s->watcher, NULL);
    }
    mail_free(atomic_exchange(&s->mailbox, NULL));
    params_unregister(s);
    if (s->pr.gl)
        glDeleteProgram(s->pr.gl);
    imports_free(s);
    buffers_free(s);
    strata_target_free(&s->out);
    if (s->wave_tex)
        glDeleteTextures(1, &s->wave_tex);
    if (s->fft_tex)
        glDeleteTextures(1, &s->fft_tex);
    free(s);
}

int strata_isf_poll(strata_isf *s)
{
    mail *m = atomic_exchange(&s->mailbox, NULL);
    if (!m)
        return 0;
    strata_result r = {0};
    bool ok = apply(s, m, &r);
    mail_free(m);
    if (ok)
        LOG_INFO("ISF", "%s: reloaded", s->path);
    else
        LOG_WARN("ISF", "%s: reload failed, keeping the running program: %s", s->path, r.msg);
    return ok ? 1 : -1;
}

int strata_isf_reload(strata_isf *s)
{
    mail *m = read_files(s->path, s->vs_path, s->dir);
    if (!m) {
        snprintf(s->error, sizeof s->error, "%.400s: cannot be read", s->path);
        return -1;
    }
    mail_free(atomic_exchange(&s->mailbox, m));
    return strata_isf_poll(s);
}

static float input_value(const strata_isf *s, const strata_isf_frame *f, int i, int c)
{
    int id = s->param[i][c];
    if (f->values && id >= 0 && !s->hold[i])
        return f->values[id];
    return s->value[i][c];
}

static void set_inputs(const strata_isf *s, const strata_isf_frame *f)
{
    for (int i = 0; i < s->d.ninputs; i++) {
        const strata_isf_input *in = &s->d.inputs[i];
        GLint loc = s->pr.input[i];
        if (loc < 0)
            continue;
        float v[4];
        for (int c = 0; c < 4; c++)
            v[c] = c < in->ncomp || (c == 0 && in->type == STRATA_ISF_EVENT)
                       ? input_value(s, f, i, c)
                       : 0.0f;
        switch (in->type) {
        case STRATA_ISF_FLOAT:
            glUniform1f(loc, v[0]);
            break;
        case STRATA_ISF_BOOL:
        case STRATA_ISF_EVENT:
            glUniform1i(loc, v[0] > 0.5f);
            break;
        case STRATA_ISF_LONG: {
            int best = (int)lroundf(v[0]);
            for (int k = 0, bd = -1; k < in->nvalues; k++) {
                int dd = abs(in->values[k] - (int)lroundf(v[0]));
                if (bd < 0 || dd < bd)
                    bd = dd, best = in->values[k];
            }
            glUniform1i(loc, best);
            break;
        }
        case STRATA_ISF_COLOR:
            glUniform4fv(loc, 1, v);
            break;
        case STRATA_ISF_POINT2D:
            glUniform2fv(loc, 1, v);
            break;
        default:
            break;
        }
    }
}

static void frame_date(const strata_isf_frame *f, float date[4])
{
    if (f->date[0] || f->date[1] || f->date[2] || f->date[3]) {
        memcpy(date, f->date, sizeof f->date);
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    localtime_r(&ts.tv_sec, &tm);
    date[0] = (float)(tm.tm_year + 1900);
    date[1] = (float)(tm.tm_mon + 1);
    date[2] = (float)tm.tm_mday;
    date[3] = (float)(tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec) + (float)ts.tv_nsec * 1e-9f;
}

/* The waveform as ISF has it (0.5 + 0.5 * sample) and the spectrum, when an input reads
 * them. */
static void upload_audio(strata_isf *s, const strata_audio_frame *a)
{
    bool wave = false, fft = false;
    for (int i = 0; i < s->d.ninputs; i++) {
        wave |= s->d.inputs[i].type == STRATA_ISF_AUDIO;
        fft |= s->d.inputs[i].type == STRATA_ISF_AUDIOFFT;
    }
    if (wave) {
        float w[STRATA_WAVEFORM_SAMPLES];
        for (int k = 0; k < STRATA_WAVEFORM_SAMPLES; k++)
            w[k] = a ? 0.5f + 0.5f * a->waveform[k] : 0.5f;
        if (!s->wave_tex) {
            glActiveTexture(GL_TEXTURE0 + UNIT_WAVE);
            s->wave_tex = strata_line_texture_create(STRATA_WAVEFORM_SAMPLES);
        }
        strata_texture_bind(s->wave_tex, UNIT_WAVE);
        glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, STRATA_WAVEFORM_SAMPLES, 1, GL_RED, GL_FLOAT, w);
    }
    if (fft) {
        static const float zero[STRATA_SPECTRUM_BINS];
        if (!s->fft_tex) {
            glActiveTexture(GL_TEXTURE0 + UNIT_FFT);
            s->fft_tex = strata_line_texture_create(STRATA_SPECTRUM_BINS);
        }
        strata_texture_bind(s->fft_tex, UNIT_FFT);
        glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, STRATA_SPECTRUM_BINS, 1, GL_RED, GL_FLOAT,
                        a ? a->spectrum : zero);
    }
}

static int pass_size(const strata_isf *s, const char *expr, int full, const float *vals)
{
    if (!expr[0])
        return full;
    double x = full;
    strata_result r = {0};
    if (!strata_isf_eval(expr, &s->d, s->w, s->h, vals, &x, &r))
        return full;
    int v = (int)floor(x);
    return v < 1 ? 1 : v > STRATA_MAX_SIDE ? STRATA_MAX_SIDE : v;
}

const strata_target *strata_isf_run(strata_isf *s, const strata_isf_frame *f)
{
    if (!s || !s->pr.gl)
        return NULL;
    float vals[STRATA_ISF_MAX_INPUTS];
    for (int i = 0; i < s->d.ninputs; i++)
        vals[i] = s->d.inputs[i].ncomp == 1 ? input_value(s, f, i, 0) : 0.0f;
    float date[4];
    frame_date(f, date);
    strata_gpu_begin("isf");
    glUseProgram(s->pr.gl);
    glDisable(GL_BLEND);
    set_inputs(s, f);
    glUniform1f(s->pr.time, (float)f->time);
    glUniform1f(s->pr.dt, f->dt);
    glUniform1i(s->pr.frame, (int)f->frame);
    glUniform4fv(s->pr.date, 1, date);
    upload_audio(s, f->audio); /* first: it may make textures on the active unit */
    strata_texture_bind(f->image, UNIT_IMAGE);
    for (int i = 0; i < s->d.nimports; i++)
        strata_texture_bind(s->import_tex[i], UNIT_IMPORT + i);
    const strata_target *out =
        f->dst && f->dst->w == s->w && f->dst->h == s->h ? f->dst : &s->out;
    const strata_target *last = out;
    for (int p = 0; p < s->d.npasses; p++) {
        int b = s->pass_buf[p];
        const strata_target *dst = out;
        if (b >= 0) {
            int w = pass_size(s, s->d.passes[p].width, s->w, vals);
            int h = pass_size(s, s->d.passes[p].height, s->h, vals);
            if (!buffer_size(s, b, w, h))
                break;
            dst = &s->buf[b].t[1 - s->buf[b].front];
        }
        for (int k = 0; k < s->nbuf; k++)
            strata_texture_bind(s->buf[k].t[s->buf[k].front].tex, buffer_unit(k));
        strata_target_bind(dst);
        glUniform2f(s->pr.size, (float)dst->w, (float)dst->h);
        glUniform1i(s->pr.pass, p);
        strata_draw_fullscreen();
        if (b >= 0) {
            s->buf[b].front = 1 - s->buf[b].front;
            last = &s->buf[b].t[s->buf[b].front];
        } else {
            last = out;
        }
    }
    strata_gpu_end();
    memset(s->hold, 0, sizeof s->hold);
    return last;
}

bool strata_isf_set(strata_isf *s, const char *input, const float *v, int n)
{
    int i = strata_isf_find_input(&s->d, input);
    if (i < 0)
        return false;
    for (int c = 0; c < n && c < 4; c++)
        s->value[i][c] = v[c];
    return true;
}

void strata_isf_resize(strata_isf *s, int width, int height)
{
    if (width == s->w && height == s->h)
        return;
    s->w = width;
    s->h = height;
    strata_target_free(&s->out);
    strata_target_init(&s->out, width, height, GL_RGBA8);
    for (int b = 0; b < s->nbuf; b++) {
        strata_target_free(&s->buf[b].t[0]);
        strata_target_free(&s->buf[b].t[1]);
    }
}

const strata_isf_desc *strata_isf_describe(const strata_isf *s)
{
    return &s->d;
}

int strata_isf_param(const strata_isf *s, int input, int comp)
{
    return input >= 0 && input < s->d.ninputs && comp >= 0 && comp < 4 ? s->param[input][comp] : -1;
}

const char *strata_isf_error(const strata_isf *s)
{
    return s->error;
}

const char *strata_isf_path(const strata_isf *s)
{
    return s->path;
}

const char *strata_isf_stem(const strata_isf *s)
{
    return s->stem;
}

void strata_isf_hold(strata_isf *s, int input, const float *v)
{
    if (input < 0 || input >= s->d.ninputs)
        return;
    memcpy(s->value[input], v, sizeof s->value[input]);
    s->hold[input] = true;
}
