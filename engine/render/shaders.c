/* Shader sources (embedded or from disk), #include, compile with file:line errors,
 * and hot reload: a watcher thread polls the folder and hands complete source sets to
 * the render thread through a one-slot atomic mailbox; the render thread recompiles
 * the programs whose files changed and keeps the old program when the new one fails. */
#include "render.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

extern const strata_embedded_file strata_embedded_shaders[];
extern const int strata_embedded_shader_count;

/* An immutable set of source files: built by the watcher, then owned by the render
 * thread. */
#define MAX_FILES 128
typedef struct source_set {
    int count;
    char *name[MAX_FILES];
    char *text[MAX_FILES];
    uint64_t stamp[MAX_FILES]; /* mtime+size on disk, hash when embedded */
} source_set;

#define MAX_PROGRAMS 128
#define MAX_DEPS 8
#define MAX_UNIFORMS 128
typedef struct program {
    char frag[96], vert[96]; /* a compute program: frag and vert both name the .comp file */
    char *defines;           /* strata_program_make_defs; NULL when none */
    bool compute;
    bool used;    /* the slot holds a program (strata_program_free clears it) */
    uint16_t gen; /* must match the handle's upper half */
    GLuint gl; /* 0: FAILED */
    char deps[MAX_DEPS][96];
    int ndeps;
    char error[512];
    struct {
        char name[32];
        GLint loc;
    } uniforms[MAX_UNIFORMS];
    int nuniforms;
} program;

/* Handles carry a generation that keeps growing across slot reuse and re-init, so a
 * handle outlives neither its program nor the render state that made it. */
static uint16_t next_gen;

static struct {
    source_set *current;            /* --- render thread only */
    program programs[MAX_PROGRAMS]; /* --- render thread only; index 0 unused */
    int nprograms;
    int glsl_version; /* 330 or 430 */
    int reload_ok, reload_failed;
    char dir[1024];
    _Atomic(source_set *) mailbox; /* watcher -> render thread */
    pthread_t watcher;
    _Atomic bool watching;
    bool has_watcher;
} S;

static void set_free(source_set *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->count; i++) {
        free(s->name[i]);
        free(s->text[i]);
    }
    free(s);
}

static const char *set_find(const source_set *s, const char *name, uint64_t *stamp)
{
    for (int i = 0; s && i < s->count; i++)
        if (strcmp(s->name[i], name) == 0) {
            if (stamp)
                *stamp = s->stamp[i];
            return s->text[i];
        }
    return NULL;
}

static uint64_t hash_text(const char *t, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)t[i]) * 1099511628211ull;
    return h;
}

static bool is_shader_file(const char *n)
{
    const char *dot = strrchr(n, '.');
    return dot && (!strcmp(dot, ".glsl") || !strcmp(dot, ".frag") || !strcmp(dot, ".vert") ||
                   !strcmp(dot, ".comp"));
}

/* Walk dir recursively, calling fn(relative name, full path) for each shader file. */
static void walk(const char *root, const char *rel, void (*fn)(void *, const char *, const char *),
                 void *ctx, int depth)
{
    char path[2048];
    snprintf(path, sizeof path, "%s%s%s", root, rel[0] ? "/" : "", rel);
    DIR *d = opendir(path);
    if (!d || depth > 6) {
        if (d)
            closedir(d);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char r2[1024], full[3072];
        snprintf(r2, sizeof r2, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
        snprintf(full, sizeof full, "%s/%s", root, r2);
        if (strata_file_is_dir(full))
            walk(root, r2, fn, ctx, depth + 1);
        else if (is_shader_file(e->d_name))
            fn(ctx, r2, full);
    }
    closedir(d);
}

static void add_disk_file(void *ctx, const char *rel, const char *full)
{
    source_set *s = ctx;
    if (s->count >= MAX_FILES)
        return;
    char *text;
    size_t len;
    if (strata_file_read(full, &text, &len, 1 << 20, NULL) != STRATA_OK)
        return; /* mid-write or removed: the next poll sees it again */
    s->name[s->count] = strdup(rel);
    s->text[s->count] = text;
    s->stamp[s->count] = strata_file_mtime_ns(full);
    s->count++;
}

static source_set *load_dir(const char *dir)
{
    source_set *s = calloc(1, sizeof *s);
    if (s)
        walk(dir, "", add_disk_file, s, 0);
    return s;
}

typedef struct stamp_ctx {
    uint64_t sum;
    int count;
} stamp_ctx;
static void add_stamp(void *ctx, const char *rel, const char *full)
{
    stamp_ctx *c = ctx;
    c->sum = c->sum * 31 + strata_file_mtime_ns(full) + hash_text(rel, strlen(rel));
    c->count++;
}

static void *watch_main(void *arg)
{
    (void)arg;
    stamp_ctx last = {0, 0};
    walk(S.dir, "", add_stamp, &last, 0);
    while (atomic_load(&S.watching)) {
        strata_sleep_s(0.2);
        stamp_ctx now = {0, 0};
        walk(S.dir, "", add_stamp, &now, 0);
        if (now.sum == last.sum && now.count == last.count)
            continue;
        last = now;
        /* Let an editor finish its write (save = truncate + write). */
        strata_sleep_s(0.05);
        source_set *s = load_dir(S.dir);
        source_set *old = atomic_exchange(&S.mailbox, s);
        set_free(old); /* never taken by the render thread: safe to free */
    }
    return NULL;
}

static source_set *load_embedded(void)
{
    source_set *s = calloc(1, sizeof *s);
    for (int i = 0; s && i < strata_embedded_shader_count && i < MAX_FILES; i++) {
        const strata_embedded_file *f = &strata_embedded_shaders[i];
        s->name[i] = strdup(f->name);
        s->text[i] = malloc(f->len + 1);
        memcpy(s->text[i], f->data, f->len);
        s->text[i][f->len] = 0;
        s->stamp[i] = hash_text(s->text[i], f->len);
        s->count++;
    }
    return s;
}

/* ---- assembling a source with includes and #line mapping ---------------- */

typedef struct assembly {
    strata_buf text;
    const char *files[MAX_DEPS]; /* source-string number -> file name */
    int nfiles;
    char error[256];
} assembly;

static void put(assembly *a, const char *s, size_t n)
{
    strata_buf_append(&a->text, s, n);
}

static void putf(assembly *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(assembly *a, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(a, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static bool append_file(assembly *a, const source_set *s, const char *name, int depth)
{
    const char *text = set_find(s, name, NULL);
    if (!text) {
        snprintf(a->error, sizeof a->error, "%s: file not found", name);
        return false;
    }
    if (depth > 4 || a->nfiles >= MAX_DEPS) {
        snprintf(a->error, sizeof a->error, "%s: includes nested too deep", name);
        return false;
    }
    for (int i = 0; i < a->nfiles; i++)
        if (strcmp(a->files[i], name) == 0 && depth > 0) {
            snprintf(a->error, sizeof a->error, "%s: included twice or in a cycle", name);
            return false;
        }
    int id = a->nfiles++;
    a->files[id] = name;
    putf(a, "#line 1 %d\n", id);
    int line = 1;
    const char *p = text;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t n = eol ? (size_t)(eol - p) : strlen(p);
        const char *q = p;
        while (q < p + n && (*q == ' ' || *q == '\t'))
            q++;
        if (strncmp(q, "#include", 8) == 0) {
            const char *o = strchr(q, '"');
            const char *c = o ? strchr(o + 1, '"') : NULL;
            if (!o || !c || c > p + n) {
                snprintf(a->error, sizeof a->error, "%s:%d: malformed #include", name, line);
                return false;
            }
            char inc[96];
            snprintf(inc, sizeof inc, "%.*s", (int)(c - o - 1), o + 1);
            /* The included file name lives in the source set, which outlives the
             * assembly; look it up to keep a stable pointer. */
            const char *stable = NULL;
            for (int i = 0; i < s->count; i++)
                if (!strcmp(s->name[i], inc))
                    stable = s->name[i];
            if (!stable) {
                snprintf(a->error, sizeof a->error, "%s:%d: #include \"%s\": not found", name, line,
                         inc);
                return false;
            }
            if (!append_file(a, s, stable, depth + 1))
                return false;
            putf(a, "#line %d %d\n", line + 1, id);
        } else {
            put(a, p, n);
            put(a, "\n", 1);
        }
        line++;
        p = eol ? eol + 1 : p + n;
    }
    return true;
}

static char *assemble(const source_set *s, const char *name, GLenum stage, const char *defines,
                      assembly *a)
{
    memset(a, 0, sizeof *a);
    putf(a, "#version %d core\n", S.glsl_version);
    putf(a, "#define STRATA_GLSL %d\n", S.glsl_version);
    if (stage != GL_COMPUTE_SHADER) {
        /* The frame block: the shared uniforms, then every registered parameter, in the
         * order and std140 layout of uniforms.c's frame_block. */
        putf(a, "layout(std140) uniform strata_frame {\n"
                "    vec4 u_level; vec4 u_bass; vec4 u_mid; vec4 u_high; vec4 u_onsets;\n"
                "    vec2 u_resolution; float u_time; float u_dt;\n"
                "    int u_frame; float u_bpm; float u_beat; float u_beat_phase;\n"
                "    float u_bar_phase; float u_beat_pulse; float u_confidence;\n"
                "    float u_audio_live; float u_morph;\n");
        for (int i = 0; i < STRATA_PARAM_COUNT; i++)
            putf(a, "    float u_%s;\n", strata_param_defs[i].name);
        putf(a, "};\n");
    }
    if (defines) {
        put(a, defines, strlen(defines));
        put(a, "\n", 1);
    }
    /* Keep stable names: the main file's pointer comes from the set. */
    for (int i = 0; i < s->count; i++)
        if (!strcmp(s->name[i], name))
            name = s->name[i];
    if (!append_file(a, s, name, 0)) {
        strata_buf_free(&a->text);
    }
    if (a->text.failed)
        strata_buf_free(&a->text);
    return (char *)a->text.data;
}

/* Rewrite the driver's "0:12(5): error" (Mesa) or "0(12) : error" (NVIDIA) into
 * "file:12: error", one log line per message. */
static void report_log(const assembly *a, const char *log, char *first, size_t first_len)
{
    first[0] = 0;
    const char *p = log;
    while (p && *p) {
        const char *eol = strchr(p, '\n');
        size_t n = eol ? (size_t)(eol - p) : strlen(p);
        int src = -1, line = -1, consumed = 0;
        if (sscanf(p, "%d:%d(%*d)%n", &src, &line, &consumed) < 2 || consumed == 0) {
            consumed = 0;
            if (sscanf(p, "%d(%d)%n", &src, &line, &consumed) < 2)
                consumed = 0;
        }
        char msg[700];
        if (consumed > 0 && src >= 0 && src < a->nfiles) {
            const char *rest = p + consumed;
            while (*rest == ' ' || *rest == ':')
                rest++;
            snprintf(msg, sizeof msg, "%s:%d: %.*s", a->files[src], line,
                     (int)(n - (size_t)(rest - p)), rest);
        } else {
            snprintf(msg, sizeof msg, "%.*s", (int)n, p);
        }
        if (n > 0) {
            LOG_ERROR("SHADER", "%s", msg);
            if (!first[0])
                snprintf(first, first_len, "%.500s", msg);
        }
        p = eol ? eol + 1 : NULL;
    }
}

static GLuint compile(const source_set *s, const char *name, GLenum stage, program *pr)
{
    assembly a;
    char *src = assemble(s, name, stage, pr->defines, &a);
    if (!src) {
        LOG_ERROR("SHADER", "%s", a.error);
        snprintf(pr->error, sizeof pr->error, "%s", a.error);
        return 0;
    }
    for (int i = 0; i < a.nfiles; i++) {
        bool have = false;
        for (int j = 0; j < pr->ndeps; j++)
            have |= !strcmp(pr->deps[j], a.files[i]);
        if (!have && pr->ndeps < MAX_DEPS)
            snprintf(pr->deps[pr->ndeps++], sizeof pr->deps[0], "%s", a.files[i]);
    }
    GLuint sh = glCreateShader(stage);
    const char *srcs[1] = {src};
    glShaderSource(sh, 1, srcs, NULL);
    glCompileShader(sh);
    GLint ok = 0;
    glGetShaderiv(sh, GL_COMPILE_STATUS, &ok);
    if (!ok) {
        char log[4096];
        glGetShaderInfoLog(sh, sizeof log, NULL, log);
        report_log(&a, log, pr->error, sizeof pr->error);
        glDeleteShader(sh);
        sh = 0;
    }
    free(src);
    return sh;
}

static GLuint link(program *pr, GLuint a, GLuint b)
{
    GLuint prog = glCreateProgram();
    glAttachShader(prog, a);
    if (b)
        glAttachShader(prog, b);
    glLinkProgram(prog);
    glDeleteShader(a);
    if (b)
        glDeleteShader(b);
    GLint ok = 0;
    glGetProgramiv(prog, GL_LINK_STATUS, &ok);
    if (!ok) {
        char log[2048];
        glGetProgramInfoLog(prog, sizeof log, NULL, log);
        LOG_ERROR("SHADER", "%s: link failed: %s", pr->frag, log);
        snprintf(pr->error, sizeof pr->error, "%.90s: link failed: %.400s", pr->frag, log);
        glDeleteProgram(prog);
        return 0;
    }
    /* The frame block on binding point 0, the audio lines on units 14 and 15: set once
     * per link, never per pass. */
    GLuint block = glGetUniformBlockIndex(prog, "strata_frame");
    if (block != GL_INVALID_INDEX)
        glUniformBlockBinding(prog, block, 0);
    GLint spec = glGetUniformLocation(prog, "u_spectrum");
    GLint wave = glGetUniformLocation(prog, "u_waveform");
    if (spec >= 0 || wave >= 0) {
        GLint prev = 0;
        glGetIntegerv(GL_CURRENT_PROGRAM, &prev);
        glUseProgram(prog);
        if (spec >= 0)
            glUniform1i(spec, 14);
        if (wave >= 0)
            glUniform1i(wave, 15);
        glUseProgram((GLuint)prev);
    }
    return prog;
}

static GLuint build(const source_set *s, program *pr)
{
    pr->ndeps = 0;
    pr->error[0] = 0;
    if (pr->compute) {
        if (S.glsl_version < 430) {
            snprintf(pr->error, sizeof pr->error,
                     "%.90s: compute shaders need GL 4.3; this context is %d.%d", pr->frag,
                     S.glsl_version / 100, S.glsl_version % 100 / 10);
            LOG_ERROR("SHADER", "%s", pr->error);
            return 0;
        }
        GLuint cs = compile(s, pr->frag, GL_COMPUTE_SHADER, pr);
        return cs ? link(pr, cs, 0) : 0;
    }
    GLuint vs = compile(s, pr->vert, GL_VERTEX_SHADER, pr);
    GLuint fs = vs ? compile(s, pr->frag, GL_FRAGMENT_SHADER, pr) : 0;
    if (!vs || !fs) {
        if (vs)
            glDeleteShader(vs);
        return 0;
    }
    return link(pr, vs, fs);
}

strata_status strata_shaders_init(const strata_gl *gl, const char *dir, strata_result *r)
{
    memset(&S, 0, sizeof S);
    S.glsl_version = gl->major > 4 || (gl->major == 4 && gl->minor >= 3) ? 430 : 330;
    S.nprograms = 1;
    if (dir) {
        if (!strata_file_is_dir(dir))
            return strata_fail(r, STRATA_ERR_IO, "--shader-dir %s: not a folder", dir);
        snprintf(S.dir, sizeof S.dir, "%s", dir);
        S.current = load_dir(dir);
        atomic_store(&S.watching, true);
        S.has_watcher = pthread_create(&S.watcher, NULL, watch_main, NULL) == 0;
        LOG_INFO("SHADER", "reading shaders from %s (%d files), hot reload on", dir,
                 S.current ? S.current->count : 0);
    } else {
        S.current = load_embedded();
    }
    if (!S.current)
        return strata_fail(r, STRATA_ERR_NOMEM, "shader sources");
    return STRATA_OK;
}

void strata_shaders_shutdown(void)
{
    if (S.has_watcher) {
        atomic_store(&S.watching, false);
        pthread_join(S.watcher, NULL);
        S.has_watcher = false;
    }
    set_free(atomic_exchange(&S.mailbox, NULL));
    for (int i = 1; i < S.nprograms; i++) {
        if (S.programs[i].gl)
            glDeleteProgram(S.programs[i].gl);
        free(S.programs[i].defines);
    }
    memset(S.programs, 0, sizeof S.programs);
    set_free(S.current);
    S.current = NULL;
    S.nprograms = 1;
}

static strata_program make(const char *frag, const char *vert, const char *defines, bool compute)
{
    int slot = 1;
    while (slot < S.nprograms && S.programs[slot].used)
        slot++;
    if (slot >= MAX_PROGRAMS) {
        LOG_ERROR("SHADER", "%s: too many programs", frag);
        return (strata_program){0};
    }
    program *pr = &S.programs[slot];
    memset(pr, 0, sizeof *pr);
    if (defines && !(pr->defines = strdup(defines))) {
        LOG_ERROR("SHADER", "%s: out of memory", frag);
        return (strata_program){0};
    }
    pr->used = true;
    if (++next_gen == 0)
        next_gen = 1;
    pr->gen = next_gen;
    pr->compute = compute;
    snprintf(pr->frag, sizeof pr->frag, "%s", frag);
    snprintf(pr->vert, sizeof pr->vert, "%s", vert ? vert : "fullscreen.vert");
    if (S.dir[0] &&
        (!set_find(S.current, pr->frag, NULL) || !set_find(S.current, pr->vert, NULL))) {
        /* A file created since the last poll: take a fresh look at the folder. */
        source_set *fresh = load_dir(S.dir);
        if (fresh) {
            set_free(S.current);
            S.current = fresh;
        }
    }
    pr->gl = build(S.current, pr);
    if (slot == S.nprograms)
        S.nprograms++;
    return (strata_program){(uint32_t)slot | (uint32_t)pr->gen << 16};
}

strata_program strata_program_make(const char *frag, const char *vert)
{
    return make(frag, vert, NULL, false);
}

strata_program strata_program_make_defs(const char *frag, const char *vert, const char *defines)
{
    return make(frag, vert, defines, false);
}

strata_program strata_program_make_compute(const char *comp)
{
    /* A compute program holds no state of its caller's (its uniforms are set before each
     * dispatch): every caller of one file shares one slot, so a decoder made again and
     * again (a model per scene) never fills the table. A FAILED one is tried again. */
    for (int i = 1; i < S.nprograms; i++) {
        program *pr = &S.programs[i];
        if (!pr->used || !pr->compute || strcmp(pr->frag, comp) != 0)
            continue;
        if (!pr->gl) {
            pr->gl = build(S.current, pr);
            pr->nuniforms = 0;
        }
        return (strata_program){(uint32_t)i | (uint32_t)pr->gen << 16};
    }
    return make(comp, comp, NULL, true);
}

static program *get(strata_program p)
{
    uint32_t slot = p.id & 0xffffu;
    if (slot == 0 || slot >= (uint32_t)S.nprograms)
        return NULL;
    program *pr = &S.programs[slot];
    return pr->used && pr->gen == p.id >> 16 ? pr : NULL;
}

bool strata_program_valid(strata_program p)
{
    return get(p) != NULL;
}

void strata_program_free(strata_program p)
{
    program *pr = get(p);
    if (!pr)
        return;
    if (pr->gl)
        glDeleteProgram(pr->gl);
    free(pr->defines);
    memset(pr, 0, sizeof *pr);
}

GLuint strata_program_use(strata_program p)
{
    program *pr = get(p);
    if (!pr || !pr->gl)
        return 0;
    glUseProgram(pr->gl);
    return pr->gl;
}

const char *strata_program_error(strata_program p)
{
    program *pr = get(p);
    return pr ? pr->error : "stale or invalid program handle";
}

int strata_shaders_failed(char *first, size_t n)
{
    int failed = 0;
    if (n)
        first[0] = 0;
    for (int i = 1; i < S.nprograms; i++)
        if (S.programs[i].used && S.programs[i].error[0] && !failed++ && n)
            snprintf(first, n, "%s", S.programs[i].error);
    return failed;
}

GLint strata_uniform_loc(strata_program p, const char *name)
{
    program *pr = get(p);
    if (!pr || !pr->gl)
        return -1;
    for (int i = 0; i < pr->nuniforms; i++)
        if (!strcmp(pr->uniforms[i].name, name))
            return pr->uniforms[i].loc;
    GLint loc = glGetUniformLocation(pr->gl, name);
    if (pr->nuniforms < MAX_UNIFORMS && strlen(name) < sizeof pr->uniforms[0].name) {
        snprintf(pr->uniforms[pr->nuniforms].name, sizeof pr->uniforms[0].name, "%s", name);
        pr->uniforms[pr->nuniforms++].loc = loc;
    }
    return loc;
}

static bool depends_on_changed(const program *pr, const source_set *old, const source_set *now)
{
    const char *files[2] = {pr->frag, pr->vert}; /* the same file twice for compute */
    for (int i = 0; i < pr->ndeps + 2; i++) {
        const char *f = i < 2 ? files[i] : pr->deps[i - 2];
        uint64_t a = 0, b = 0;
        const char *ta = set_find(old, f, &a), *tb = set_find(now, f, &b);
        if (!ta || !tb || a != b || strcmp(ta, tb) != 0)
            return true;
    }
    return false;
}

int strata_shaders_update(void)
{
    source_set *now = atomic_exchange(&S.mailbox, NULL);
    if (!now)
        return 0;
    int rebuilt = 0;
    for (int i = 1; i < S.nprograms; i++) {
        program *pr = &S.programs[i];
        if (!pr->used || (pr->gl && !depends_on_changed(pr, S.current, now)))
            continue;
        GLuint fresh = build(now, pr);
        if (!fresh) {
            S.reload_failed++;
            LOG_WARN("SHADER", "%s: reload failed, %s", pr->frag,
                     pr->gl ? "keeping the running program" : "pass stays off");
            continue;
        }
        if (pr->gl)
            glDeleteProgram(pr->gl);
        pr->gl = fresh;
        pr->nuniforms = 0;
        S.reload_ok++;
        rebuilt++;
        LOG_INFO("SHADER", "%s: reloaded", pr->frag);
    }
    set_free(S.current);
    S.current = now;
    return rebuilt;
}

void strata_shaders_reload_counts(int *ok, int *failed)
{
    *ok = S.reload_ok;
    *failed = S.reload_failed;
}

const char *strata_shaders_source(const char *name)
{
    return set_find(S.current, name, NULL);
}
