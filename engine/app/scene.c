/* Scenes: a preset brought to life (its bank, its morph, its parameters, fx shapes,
 * routes and aliases), setlists, and the switch between two scenes: the next scene's
 * bank (and a neural bank's decoder model) is opened on a thread of its own before the
 * switch, both scenes render while one fades (or flow-morphs) into the other, and the
 * old one is closed off the render thread afterwards. */
#include "app.h"
#include "isf/isf.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The embedded default scene, assets/default.json: a latent set generated in memory, no
 * files needed. Its bank is also what a preset's empty "bank" means. */
#define DEFAULT_ASSET "default.json"

struct strata_scene {
    strata_preset preset;
    int index; /* in the setlist */
    strata_bank *bank;
    strata_taesd *model; /* a neural bank's decoder, or NULL; freed after the morph */
    char model_error[160]; /* why the model named did not load, or "" */
    strata_morph *morph;
    strata_target out; /* this scene's picture while two scenes share the screen */
    bool drawn;        /* it has drawn a frame: it may be faded in */
    /* its preset names an ISF generator: the picture is the shader's, no bank */
    bool gen;
};

/* ---- the scene loader thread: opens and closes banks off the render thread --------- */

typedef enum job_kind { JOB_OPEN, JOB_CLOSE } job_kind;

typedef struct scene_job {
    job_kind kind;
    strata_scene *scene; /* OPEN: fill scene->bank and ->model; CLOSE: close them, free it */
    char bank[1024];
    char model[1024]; /* OPEN: the decoder to load when the bank is neural ("" none) */
    strata_bank_open_desc desc;
    strata_result r;  /* the bank's error */
    strata_result mr; /* the model's error (the scene still plays: the previews) */
} scene_job;

struct strata_scene_loader {
    strata_queue jobs; /* scene_job *, render thread -> loader */
    strata_queue done; /* scene_job *, loader -> render thread */
    pthread_t thread;
    _Atomic bool quit;
};

static strata_bank *open_bank(const char *spec, const strata_bank_open_desc *d, strata_result *r)
{
    int count, dim;
    unsigned long long seed;
    if (sscanf(spec, "latent:%d:%d:%llu", &count, &dim, &seed) == 3)
        return strata_bank_generate_latent(count, dim, seed, d, r);
    return strata_bank_open(spec, d, r);
}

/* Any thread: the decoder a neural bank is played with. NULL, with mr->status 0, when
 * the bank is not neural or no model is named; NULL with mr filled (the file named and
 * why) when the file cannot be used: the bank then plays its previews. */
static strata_taesd *load_model(const char *path, const strata_bank *b, strata_result *mr)
{
    memset(mr, 0, sizeof *mr);
    if (!b || !path[0] || strata_bank_kind(b) != STRATA_BANK_NEURAL)
        return NULL;
    strata_taesd *m = NULL;
    if (strata_taesd_load(path, &m, mr) != STRATA_OK) {
        if (!strstr(mr->msg, path)) { /* the loader names it; make sure of it */
            char why[sizeof mr->msg];
            snprintf(why, sizeof why, "%s", mr->msg);
            strata_fail(mr, mr->status ? mr->status : STRATA_ERR_IO, "%s: %s", path, why);
        }
        return NULL;
    }
    if (m->role != STRATA_TAESD_DECODER) {
        strata_fail(mr, STRATA_ERR_FORMAT,
                    "%s: this is a %s, not a decoder (give the *_decoder.safetensors file)", path,
                    m->name);
        strata_taesd_free(m);
        return NULL;
    }
    return m;
}

/* Any thread: what a closed scene leaves, after its morph was destroyed. */
static void scene_close_files(strata_scene *s)
{
    strata_bank_close(s->bank);
    strata_taesd_free(s->model); /* the morph that borrowed it is gone */
    s->bank = NULL;
    s->model = NULL;
}

static void *loader_main(void *arg)
{
    strata_scene_loader *l = arg;
    while (!atomic_load(&l->quit)) {
        scene_job *job;
        if (!strata_queue_pop(&l->jobs, &job)) {
            strata_sleep_s(0.01);
            continue;
        }
        if (job->kind == JOB_OPEN) {
            job->scene->bank = open_bank(job->bank, &job->desc, &job->r);
            job->scene->model = load_model(job->model, job->scene->bank, &job->mr);
            while (!strata_queue_push(&l->done, &job))
                strata_sleep_s(0.01);
        } else {
            /* Closing joins the bank's own loader: it may take a decode's time. */
            scene_close_files(job->scene);
            free(job->scene);
            free(job);
        }
    }
    return NULL;
}

static strata_scene_loader *loader_start(void)
{
    strata_scene_loader *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    if (strata_queue_init(&l->jobs, sizeof(scene_job *), 16, NULL) != STRATA_OK ||
        strata_queue_init(&l->done, sizeof(scene_job *), 16, NULL) != STRATA_OK ||
        pthread_create(&l->thread, NULL, loader_main, l) != 0) {
        strata_queue_free(&l->jobs);
        strata_queue_free(&l->done);
        free(l);
        return NULL;
    }
    return l;
}

static void loader_stop(strata_scene_loader *l)
{
    if (!l)
        return;
    atomic_store(&l->quit, true);
    pthread_join(l->thread, NULL);
    /* Whatever is left: close it here, at shutdown a wait is fine. */
    scene_job *job;
    while (strata_queue_pop(&l->jobs, &job) || strata_queue_pop(&l->done, &job)) {
        scene_close_files(job->scene); /* an OPEN job not run yet holds NULLs: fine */
        free(job->scene);
        free(job);
    }
    strata_queue_free(&l->jobs);
    strata_queue_free(&l->done);
    free(l);
}

/* ---- scenes -------------------------------------------------------------------- */

static void bank_desc(const strata_engine *e, const strata_preset *p, strata_bank_open_desc *d)
{
    memset(d, 0, sizeof *d);
    d->width = e->full_w;
    d->height = e->full_h;
    d->fit = (p->fill || e->opt->fill) ? STRATA_BANK_FILL : STRATA_BANK_FIT;
}

static const char *bank_spec(const strata_engine *e, const strata_preset *p)
{
    const char *b = e->opt->bank ? e->opt->bank : p->bank; /* --bank overrides every scene's */
    return b[0] ? b : e->default_bank;
}

/* --model overrides every scene's "model", as --bank does "bank". "": none. */
static const char *model_spec(const strata_engine *e, const strata_preset *p)
{
    return e->opt->model ? e->opt->model : p->model;
}

/* Render thread: say what became of the model, once per scene opened, and keep its error
 * for the morph (its overlay and --stats line then say why, not "pass --model"). */
static void log_model(strata_scene *s, const char *path, const strata_result *mr)
{
    const char *name = s->preset.name;
    s->model_error[0] = 0;
    if (mr->status != STRATA_OK)
        snprintf(s->model_error, sizeof s->model_error, "%.159s", mr->msg);
    if (mr->status != STRATA_OK)
        LOG_ERROR("SCENE", "%s: model %s; the bank plays its previews", name, mr->msg);
    else if (path[0] && s->bank && strata_bank_kind(s->bank) != STRATA_BANK_NEURAL)
        LOG_WARN("SCENE", "%s: model %s not used: the bank is not a neural bank", name, path);
    else if (s->model)
        LOG_INFO("SCENE", "%s: model %s: %s, %d latent channels, %lld parameters", name, path,
                 s->model->name, s->model->latent_channels, (long long)s->model->params);
}

/* Render thread: the GL half of a scene whose bank is open. */
static bool scene_finish(strata_engine *e, strata_scene *s, strata_result *r)
{
    const strata_options *o = e->opt;
    const strata_preset *p = &s->preset;
    strata_bank_type kind = strata_bank_kind(s->bank);
    bool latent = kind == STRATA_BANK_LATENT;
    strata_morph_mode mode = latent                       ? STRATA_MORPH_LATENT
                             : kind == STRATA_BANK_NEURAL ? STRATA_MORPH_NEURAL
                                                          : STRATA_MORPH_FLOW;
    if (p->has_morph)
        mode = p->morph;
    if (o->morph)
        strata_morph_mode_parse(o->morph, &mode);
    strata_order order = p->has_order ? p->order : STRATA_ORDER_SEQUENCE;
    if (o->order)
        strata_order_parse(o->order, &order);
    strata_morph_desc md = {
        .bank = s->bank,
        .mode = mode,
        .order = order,
        .width = e->full_w,
        .height = e->full_h,
        .seed = o->seed_given ? o->seed : p->seed,
        .cache_mb = o->cache_mb,
        .offline = e->offline,
        /* Offline renders are not realtime: full generator resolution unless asked. */
        .latent_scale = e->offline && o->latent_scale <= 0 ? 1.0f : (float)o->latent_scale,
        .fit = (p->fill || o->fill) ? STRATA_BANK_FILL : STRATA_BANK_FIT,
        .decoder = s->model,
        .decoder_error = s->model_error,
        .neural_w = o->neural_w ? o->neural_w : p->neural_w,
        .neural_h = o->neural_w ? o->neural_h : p->neural_h,
    };
    s->morph = strata_morph_create(&md, r);
    if (!s->morph)
        return false;
    if (!strata_target_init(&s->out, e->full_w, e->full_h, GL_RGBA8)) {
        strata_fail(r, STRATA_ERR_GL, "scene target");
        return false;
    }
    /* A neural bank: what it decodes, or that its previews play (the morph logged why). */
    char neural[64] = "";
    strata_morph_neural_status ns;
    if (strata_morph_neural_status_get(s->morph, &ns) && ns.decoding)
        snprintf(neural, sizeof neural, " (decoding %dx%d latents, %d passes)", ns.lw, ns.lh,
                 ns.passes);
    else if (kind == STRATA_BANK_NEURAL)
        snprintf(neural, sizeof neural, " (the previews)");
    LOG_INFO(
        "SCENE", "%s: %d keyframes (%s), morph %s%s, order %s", p->name, strata_bank_count(s->bank),
        latent                       ? "latent"
        : kind == STRATA_BANK_NEURAL ? "neural latents"
                                     : "images",
        strata_morph_mode_name(strata_morph_get_mode(s->morph)), neural, strata_order_name(order));
    return true;
}

static void scene_release(strata_engine *e, strata_scene *s)
{
    if (!s)
        return;
    strata_morph_destroy(s->morph); /* GL: here, on the render thread */
    s->morph = NULL;
    strata_target_free(&s->out);
    scene_job *job = calloc(1, sizeof *job);
    if (e->loader && job) {
        job->kind = JOB_CLOSE;
        job->scene = s;
        if (strata_queue_push(&e->loader->jobs, &job))
            return;
    }
    free(job);
    scene_close_files(s);
    free(s);
}

/* A preset naming an ISF generator: its scene draws the shader instead of a bank. */
static bool is_generator_scene(const strata_engine *e, const strata_preset *p)
{
    return strata_isf_chain_is_generator_scene(e->isf, p->isf, p->n_isf);
}

/* Open a scene now (setup, offline render): may wait on the disk. */
static strata_scene *scene_open_now(strata_engine *e, const strata_preset *p, int index,
                                    strata_result *r)
{
    strata_scene *s = calloc(1, sizeof *s);
    if (!s) {
        strata_fail(r, STRATA_ERR_NOMEM, "scene");
        return NULL;
    }
    s->preset = *p;
    s->index = index;
    if (is_generator_scene(e, p)) {
        /* The shader was loaded at start: nothing to open, nothing read from disk. */
        if (!strata_target_init(&s->out, e->full_w, e->full_h, GL_RGBA8)) {
            strata_fail(r, STRATA_ERR_GL, "scene target");
            free(s);
            return NULL;
        }
        s->gen = true;
        e->bank_open_ms = 0;
        LOG_INFO("SCENE", "%s: an ISF generator scene (%s): no bank%s", p->name, p->isf[0],
                 p->bank[0] || e->opt->bank ? " (its \"bank\" and --bank are not opened)" : "");
        return s;
    }
    strata_bank_open_desc d;
    bank_desc(e, p, &d);
    double t0 = strata_time_s();
    s->bank = open_bank(bank_spec(e, p), &d, r);
    strata_result mr;
    s->model = load_model(model_spec(e, p), s->bank, &mr);
    if (s->bank)
        log_model(s, model_spec(e, p), &mr);
    if (!s->bank || !scene_finish(e, s, r)) {
        strata_morph_destroy(s->morph);
        strata_target_free(&s->out);
        scene_close_files(s);
        free(s);
        return NULL;
    }
    e->bank_open_ms = (strata_time_s() - t0) * 1000.0;
    return s;
}

/* Apply what the preset says about the show: parameters, fx shapes and order, routes,
 * aliases. Command-line --set, --drift and --route stay on top of every scene. */
static void scene_apply(strata_engine *e, const strata_preset *p, bool snap)
{
    const strata_options *o = e->opt;
    for (int i = 0; i < STRATA_PARAM_COUNT; i++)
        if (p->has_param[i])
            strata_params_set(&e->params, i, p->param[i], snap);
    strata_isf_chain_scene(e->isf, p->isf, p->n_isf, &e->params); /* the scene's ISF on */
    for (int i = 0; i < p->n_dyn_params; i++) {
        int id = strata_param_find(p->dyn_param[i].name);
        if (id >= 0)
            strata_params_set(&e->params, id, p->dyn_param[i].value, snap);
        else
            LOG_WARN("SCENE", "%s: \"params\": %s is not a parameter now", p->name,
                     p->dyn_param[i].name);
    }
    for (int i = 0; i < o->nsets; i++)
        strata_params_set_arg(&e->params, o->sets[i], NULL);
    if (o->drift >= 0)
        strata_params_set(&e->params, STRATA_P_drift, (float)o->drift, true);
    for (int k = 0; k < STRATA_FX_COUNT; k++)
        strata_fx_set_shape(e->fx, (strata_fx_effect)k,
                            p->fx[k].set ? p->fx[k].shape : e->fx_default_shape[k]);
    if (p->n_order_fx > 0)
        strata_fx_set_order(e->fx, p->order_fx, p->n_order_fx);
    else
        strata_fx_set_order(e->fx, e->fx_default_order, e->fx_default_norder);
    strata_routes *rs = strata_control_routes(e->control);
    rs->n = 0;
    for (int i = 0; i < p->n_routes && rs->n < STRATA_ROUTES_MAX; i++)
        rs->r[rs->n++] = p->routes[i];
    for (int i = 0; i < o->nroutes; i++)
        strata_control_route_parse(e->control, o->routes[i], NULL);
    strata_control_alias al[STRATA_CONTROL_MAX_ALIASES];
    int na = 0;
    for (int i = 0; i < p->n_aliases && na < STRATA_CONTROL_MAX_ALIASES; i++) {
        snprintf(al[na].address, sizeof al[na].address, "%s", p->aliases[i].address);
        al[na].param = p->aliases[i].param;
        al[na].lo = p->aliases[i].lo;
        al[na].hi = p->aliases[i].hi;
        na++;
    }
    strata_control_set_aliases(e->control, al, na);
    if (e->midi)
        strata_midi_set_scene_map(e->midi, &p->midi);
}

static const strata_setlist_entry *entry(const strata_engine *e, int i)
{
    return &e->setlist.entries[i];
}

/* ---- switching --------------------------------------------------------------------- */

static void finish_crossfade(strata_engine *e);

bool strata_engine_goto_scene(strata_engine *e, int index)
{
    if (index < 0 || index >= e->setlist.count)
        return false;
    if (e->incoming && e->incoming_index == index)
        return true; /* already on its way */
    const strata_preset *p = &entry(e, index)->preset;
    LOG_INFO("SCENE", "switching to %d: %s", index, p->name);
    /* A switch during a fade lands the fade first: the new scene fades from there. */
    if (e->fading)
        finish_crossfade(e);
    /* A generator scene opens nothing from disk; while a bank opens it waits its turn. */
    if (e->offline || !e->loader || (is_generator_scene(e, p) && !e->incoming_loading)) {
        strata_result r = {0};
        strata_scene *s = scene_open_now(e, p, index, &r);
        if (!s) {
            LOG_ERROR("SCENE", "%s: %s (the running scene stays)", p->name, r.msg);
            return false;
        }
        if (e->incoming)
            scene_release(e, e->incoming);
        e->incoming = s;
        e->incoming_index = index;
        e->incoming_loading = false;
        return true;
    }
    if (e->incoming_loading) {
        /* One bank opens at a time; the latest wish is kept and follows it. */
        e->pending_index = index;
        return true;
    }
    if (e->incoming) {
        scene_release(e, e->incoming);
        e->incoming = NULL;
    }
    strata_scene *s = calloc(1, sizeof *s);
    scene_job *job = calloc(1, sizeof *job);
    if (!s || !job) {
        free(s);
        free(job);
        return false;
    }
    s->preset = *p;
    s->index = index;
    job->kind = JOB_OPEN;
    job->scene = s;
    snprintf(job->bank, sizeof job->bank, "%s", bank_spec(e, p));
    snprintf(job->model, sizeof job->model, "%s", model_spec(e, p));
    bank_desc(e, p, &job->desc);
    if (!strata_queue_push(&e->loader->jobs, &job)) {
        free(s);
        free(job);
        return false;
    }
    e->incoming_loading = true;
    e->incoming_index = index;
    return true;
}

/* Render thread, once per frame: banks that finished opening become scenes. */
static void poll_loader(strata_engine *e)
{
    scene_job *job;
    if (!e->loader || !strata_queue_pop(&e->loader->done, &job))
        return;
    strata_scene *s = job->scene;
    e->incoming_loading = false;
    strata_result r = {0};
    if (s->bank)
        log_model(s, job->model, &job->mr);
    if (!s->bank || !scene_finish(e, s, &r)) {
        LOG_ERROR("SCENE", "%s: %s (the running scene stays)", s->preset.name,
                  s->bank ? r.msg : job->r.msg);
        strata_morph_destroy(s->morph);
        strata_target_free(&s->out);
        scene_close_files(s);
        free(s);
    } else {
        e->incoming = s;
    }
    free(job);
    int pending = e->pending_index;
    e->pending_index = -1;
    if (pending >= 0 && pending != e->incoming_index)
        strata_engine_goto_scene(e, pending);
}

static void start_crossfade(strata_engine *e)
{
    const strata_setlist_entry *en = entry(e, e->incoming->index);
    e->xfade_len = en->transition_s > 0 ? en->transition_s : 0;
    e->xfade_t = 0;
    e->xfade_kind = en->preset.transition_kind;
    e->xflow_started = false;
    scene_apply(e, &e->incoming->preset, false);
    e->fading = true;
}

static void finish_crossfade(strata_engine *e)
{
    scene_release(e, e->scene);
    e->scene = e->incoming;
    e->scene_index = e->incoming->index;
    e->incoming = NULL;
    e->fading = false;
    e->scene_time = 0;
    LOG_INFO("SCENE", "now playing %d: %s", e->scene_index, e->scene->preset.name);
}

/* ---- the per-frame part ------------------------------------------------------------ */

/* Render thread: traversal for the scenes on screen, auto-advance, hot reload. */
void strata_engine_scenes_update(strata_engine *e, const strata_traverse_in *in, double dt)
{
    poll_loader(e);
    /* Presets edited on disk: the watcher parsed them; a broken edit never arrives. */
    int idx;
    strata_preset fresh;
    while (e->watch && strata_preset_watch_poll(e->watch, &idx, &fresh)) {
        if (idx < 0 || idx >= e->setlist.count)
            continue;
        strata_preset old = entry(e, idx)->preset;
        e->setlist.entries[idx].preset = fresh;
        LOG_INFO("PRESET", "%s: reloaded", fresh.path);
        if (idx != e->scene_index)
            continue;
        bool same_bank = is_generator_scene(e, &fresh) == e->scene->gen &&
                         !strcmp(old.bank, fresh.bank) && old.fill == fresh.fill &&
                         old.seed == fresh.seed && old.has_order == fresh.has_order &&
                         old.order == fresh.order && !strcmp(old.model, fresh.model) &&
                         old.neural_w == fresh.neural_w && old.neural_h == fresh.neural_h;
        if (same_bank) {
            e->scene->preset = fresh;
            if (fresh.has_morph && !e->opt->morph)
                strata_morph_set_mode(e->scene->morph, fresh.morph);
            scene_apply(e, &fresh, false);
        } else {
            strata_engine_goto_scene(e, idx); /* a new bank: fade into it */
        }
    }
    e->scene_time += dt;
    if (e->auto_advance && !e->fading && !e->incoming && !e->incoming_loading &&
        e->setlist.count > 1) {
        double dwell = entry(e, e->scene_index)->dwell_s;
        if (dwell > 0 && e->scene_time >= dwell) {
            int next = e->scene_index + 1;
            if (next >= e->setlist.count)
                next = e->setlist.loop ? 0 : -1;
            if (next >= 0)
                strata_engine_goto_scene(e, next);
            else
                e->scene_time = 0;
        }
    }
    /* The latent glitch before the update: a neural morph decodes there. */
    strata_morph_set_latent_glitch(e->scene->morph, &e->lat_glitch, e->lat_seed);
    strata_morph_update(e->scene->morph, in);
    if (e->incoming) {
        strata_morph_set_latent_glitch(e->incoming->morph, &e->lat_glitch, e->lat_seed);
        strata_morph_update(e->incoming->morph, in);
        if (e->fading) {
            e->xfade_t += dt;
            if (e->xfade_t >= e->xfade_len)
                finish_crossfade(e);
        }
    }
}

/* One scene's picture into target: its bank's morph or its ISF generator, then the
 * filters its preset names. False when nothing could be drawn yet. */
static bool scene_draw(strata_engine *e, strata_scene *s, const strata_target *target,
                       const strata_frame_uniforms *u)
{
    const strata_preset *p = &s->preset;
    bool drawn = !s->gen && strata_morph_draw(s->morph, target, u);
    if (!e->isf || p->n_isf == 0 || (!s->gen && !drawn))
        return drawn;
    strata_isf_frame f = {.time = u->time,
                          .dt = u->dt,
                          .frame = u->frame,
                          .values = u->params,
                          .audio = u->audio,
                          .params = &e->params,
                          .dst = s->gen ? target : NULL}; /* drawn in place, no copy */
    if (e->offline) /* DATE from the scene clock: renders stay frame-exact */
        memcpy(f.date, (float[4]){2000, 1, 1, (float)u->time}, sizeof f.date);
    const strata_target *out =
        strata_isf_chain_run_scene(e->isf, p->isf, p->n_isf, s->gen ? NULL : target, &f);
    if (!out) /* its generator is switched off or has no working program: black */
        strata_target_clear(target, 0, 0, 0, 1);
    else if (out != target)
        strata_blend_draw(out->tex, out->tex, 0, target);
    return true;
}

/* Draw the scene(s) into target. False when nothing could be drawn yet. */
bool strata_engine_scenes_draw(strata_engine *e, const strata_target *target,
                               const strata_frame_uniforms *u)
{
    if (e->incoming && !e->fading) {
        /* The incoming scene renders off screen until its first keyframe is there. */
        if (scene_draw(e, e->incoming, &e->incoming->out, u)) {
            e->incoming->drawn = true;
            start_crossfade(e);
            if (e->xfade_len <= 0)
                finish_crossfade(e); /* a cut */
        }
    }
    if (!e->fading)
        return scene_draw(e, e->scene, target, u);
    /* Both scenes render; the old one fades (or flows) into the new one. */
    bool a = scene_draw(e, e->scene, &e->scene->out, u);
    scene_draw(e, e->incoming, &e->incoming->out, u);
    if (!a)
        strata_blend_draw(e->incoming->out.tex, e->incoming->out.tex, 0, &e->scene->out);
    float t = (float)(e->xfade_len > 0 ? e->xfade_t / e->xfade_len : 1.0);
    t = strata_clampf(t, 0.0f, 1.0f);
    t = t * t * (3.0f - 2.0f * t);
    if (e->xfade_kind == STRATA_PRESET_TRANSITION_FLOW) {
        if (!e->xflow)
            e->xflow = strata_flow_create(e->full_w, e->full_h);
        if (e->xflow && !e->xflow_started) {
            strata_flow_begin(e->xflow, e->scene->out.tex, e->incoming->out.tex);
            e->xflow_started = true;
            e->xflow_ready = false;
        }
        if (e->xflow && !e->xflow_ready) {
            e->xflow_ready = strata_flow_step(e->xflow);
            while (e->offline && !e->xflow_ready)
                e->xflow_ready = strata_flow_step(e->xflow);
        }
        if (e->xflow && e->xflow_ready) {
            strata_flow_compose(e->xflow, e->scene->out.tex, e->incoming->out.tex, t, target);
            return true;
        }
    }
    strata_blend_draw(e->scene->out.tex, e->incoming->out.tex, t, target);
    return true;
}

/* ---- setup and teardown --------------------------------------------------------- */

/* The embedded default scene: parsed like any preset, so it cannot drift from the format. */
static strata_status default_scene(strata_preset *p, strata_result *r)
{
    size_t len = 0;
    const char *text = strata_asset(DEFAULT_ASSET, &len);
    if (!text)
        return strata_fail(r, STRATA_ERR_FORMAT, "assets/%s is not embedded", DEFAULT_ASSET);
    if (strata_preset_parse(text, len, "assets/" DEFAULT_ASSET, p, r) != STRATA_OK)
        return r->status ? r->status : STRATA_ERR_FORMAT;
    if (!p->bank[0])
        return strata_fail(r, STRATA_ERR_FORMAT, "assets/%s: the default scene needs a bank",
                           DEFAULT_ASSET);
    return STRATA_OK;
}

strata_status strata_engine_scenes_init(strata_engine *e, strata_result *r)
{
    const strata_options *o = e->opt;
    strata_preset *def = malloc(sizeof *def);
    if (!def)
        return strata_fail(r, STRATA_ERR_NOMEM, "default scene");
    if (default_scene(def, r) != STRATA_OK) {
        free(def);
        return r->status;
    }
    snprintf(e->default_bank, sizeof e->default_bank, "%s", def->bank);
    if (o->preset) {
        free(def);
        if (strata_setlist_load(o->preset, &e->setlist, r) != STRATA_OK)
            return r->status ? r->status : STRATA_ERR_FORMAT;
    } else {
        e->setlist.entries = calloc(1, sizeof *e->setlist.entries);
        if (!e->setlist.entries) {
            free(def);
            return strata_fail(r, STRATA_ERR_NOMEM, "setlist");
        }
        e->setlist.count = 1;
        e->setlist.loop = true;
        e->setlist.entries[0].preset = *def;
        free(def);
        e->setlist.entries[0].dwell_s = e->setlist.entries[0].preset.dwell_s;
        e->setlist.entries[0].transition_s = e->setlist.entries[0].preset.transition_s;
    }
    /* Every scene's ISF shaders load now, off; scene_apply turns a scene's on. */
    for (int i = 0; i < e->setlist.count; i++) {
        const strata_preset *p = &e->setlist.entries[i].preset;
        for (int k = 0; k < p->n_isf; k++) {
            if (!e->isf) {
                strata_isf_chain_desc id = {.width = e->render_w, .height = e->render_h,
                                            .watch = o->mode == MODE_LIVE};
                if (!(e->isf = strata_isf_chain_create(&id, r)))
                    return r->status;
            }
            if (!strata_isf_chain_add_scene(e->isf, p->isf[k], r))
                return r->status;
        }
    }
    for (int k = 0; k < STRATA_FX_COUNT; k++)
        e->fx_default_shape[k] = strata_fx_get_shape(e->fx, (strata_fx_effect)k);
    e->fx_default_norder = strata_fx_get_order(e->fx, e->fx_default_order);
    e->auto_advance = o->install || o->mode == MODE_RENDER;
    e->pending_index = -1;
    int start = 0;
    strata_state st;
    bool restore = o->install && e->state_path[0] && strata_state_load(e->state_path, &st);
    if (restore && strcmp(st.setlist, e->setlist.path) != 0) {
        LOG_WARN("STATE", "state ignored: %s: saved for setlist \"%s\", not \"%s\"", e->state_path,
                 st.setlist, e->setlist.path);
        restore = false;
    }
    if (restore) {
        int by_name = strata_setlist_find(&e->setlist, st.scene_name);
        start = by_name >= 0 ? by_name : st.scene;
        if (start < 0 || start >= e->setlist.count) {
            LOG_WARN("STATE", "state ignored: %s: scene %d (%s) is not in %s (%d scenes)",
                     e->state_path, st.scene, st.scene_name, e->setlist.path, e->setlist.count);
            restore = false;
            start = 0;
        }
    }
    if (restore)
        LOG_INFO("INSTALL", "resuming scene %d (%s), keyframe %d", start,
                 entry(e, start)->preset.name, st.keyframe);
    e->scene = scene_open_now(e, &entry(e, start)->preset, start, r);
    if (!e->scene && o->install && !o->bank) {
        /* An installation that cannot open its first bank (a disk unplugged, a folder
         * renamed) shows the built-in latent set rather than restart forever. */
        LOG_ERROR("SCENE", "%s: %s; showing the built-in latent set", entry(e, start)->preset.name,
                  r->msg);
        strata_preset fallback = entry(e, start)->preset;
        fallback.bank[0] = 0;
        fallback.has_morph = false;
        e->scene = scene_open_now(e, &fallback, start, r);
    }
    if (!e->scene)
        return r->status ? r->status : STRATA_ERR_IO;
    e->scene_index = start;
    scene_apply(e, &e->scene->preset, true);
    if (restore && st.keyframe >= 0 && st.keyframe < strata_bank_count(e->scene->bank))
        strata_morph_goto(e->scene->morph, st.keyframe, 0.0);
    if (!e->offline) {
        e->loader = loader_start();
        if (o->preset) {
            const char *paths[256];
            int n = 0;
            for (int i = 0; i < e->setlist.count && n < 256; i++)
                paths[n++] = e->setlist.entries[i].preset.path;
            e->watch = strata_preset_watch_start(paths, n);
        }
    }
    return STRATA_OK;
}

void strata_engine_scenes_shutdown(strata_engine *e)
{
    strata_preset_watch_stop(e->watch);
    e->watch = NULL;
    if (e->incoming)
        scene_release(e, e->incoming);
    if (e->scene)
        scene_release(e, e->scene);
    e->incoming = e->scene = NULL;
    loader_stop(e->loader);
    e->loader = NULL;
    strata_flow_destroy(e->xflow);
    e->xflow = NULL;
    strata_setlist_free(&e->setlist);
}

/* What the traversal of the scene on screen is doing. */
void strata_engine_scene_state(const strata_engine *e, int *a, int *b, float *t)
{
    strata_morph_state(e->scene->morph, a, b, t);
}

strata_morph *strata_engine_morph(const strata_engine *e)
{
    return e->scene->morph;
}

strata_bank *strata_engine_bank(const strata_engine *e)
{
    return e->scene->bank;
}

const char *strata_engine_scene_name(const strata_engine *e)
{
    return e->scene->preset.name;
}

/* Installation: opening hours and the saved state, checked about once a second. */
void strata_engine_install_tick(strata_engine *e, double now)
{
    if (now - e->install_last < 1.0)
        return;
    e->install_last = now;
    if (e->setlist.has_hours) {
        time_t t = time(NULL);
        struct tm tm;
        localtime_r(&t, &tm);
        bool open = strata_setlist_is_open(&e->setlist, tm.tm_hour * 60 + tm.tm_min);
        float gain =
            open ? 1.0f
                 : (e->setlist.outside == STRATA_SETLIST_OUTSIDE_DIM ? e->setlist.dim : 0.0f);
        if (gain != e->gain)
            LOG_INFO("INSTALL", "%s: output at %.0f%%", open ? "open" : "closed", gain * 100.0f);
        e->gain = gain;
        strata_output_set_gain(gain);
    }
    if (e->state_path[0] && now - e->state_last >= 5.0) {
        e->state_last = now;
        strata_state st = {.scene = e->scene_index, .time = now};
        snprintf(st.setlist, sizeof st.setlist, "%s", e->setlist.path);
        snprintf(st.scene_name, sizeof st.scene_name, "%s", e->scene->preset.name);
        int b;
        float t;
        strata_morph_state(e->scene->morph, &st.keyframe, &b, &t);
        if (b >= 0 && t >= 0.5f)
            st.keyframe = b;
        strata_state_save(&st);
    }
}
