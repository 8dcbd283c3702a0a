/* A real strata_control server on a loopback port (-1: any free one) with a fresh
 * screenshot folder, a hand-built UDP client and the render thread's frame step: the
 * fixture the OSC tests share. Include after cmocka.h and control/control.h. */
#ifndef STRATA_TEST_OSC_FIXTURE_H
#define STRATA_TEST_OSC_FIXTURE_H

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "osc_client.h"

#define MAX_SEEN 64

typedef struct fixture {
    strata_control *ctl;
    strata_params params;
    strata_cmd seen[MAX_SEEN]; /* the commands handed to the app, in order */
    uint64_t seen_frame[MAX_SEEN];
    int nseen;
    uint64_t frame;
    int fd; /* the client socket (127.0.0.1) */
    int port;
    char shots[64]; /* the screenshot folder, a fresh temporary one */
} fixture;

/* The app's side: records every command; answers `/strata/get scene` with 2. */
static inline bool fixture_on_command(strata_control *ctl, const strata_cmd *cmd, void *user)
{
    fixture *fx = user;
    if (fx->nseen < MAX_SEEN) {
        fx->seen_frame[fx->nseen] = fx->frame;
        fx->seen[fx->nseen++] = *cmd;
    }
    if (cmd->type == STRATA_CMD_GET && strcmp(cmd->str, "scene") == 0) {
        strata_control_reply_value(ctl, cmd, "scene", 2.0f);
        return true;
    }
    return cmd->type != STRATA_CMD_GET; /* the app knows no other names */
}

static inline fixture *make(const strata_control_config *base)
{
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    strata_control_config cfg = base ? *base : (strata_control_config){0};
    cfg.osc_port = -1;
    cfg.on_command = fixture_on_command;
    cfg.user = fx;
    snprintf(fx->shots, sizeof fx->shots, "/tmp/strata-shots-XXXXXX");
    assert_non_null(mkdtemp(fx->shots));
    if (!cfg.screenshot_dir)
        cfg.screenshot_dir = fx->shots;
    strata_result r = {0};
    fx->ctl = strata_control_create(&cfg, &r);
    if (!fx->ctl)
        fail_msg("create: %s", r.msg);
    strata_params_init(&fx->params);
    fx->port = strata_control_port(fx->ctl);
    assert_true(fx->port > 0);
    fx->fd = oc_socket();
    return fx;
}

/* Empty a flat folder of files, then remove it. */
static inline void rm_flat(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

static inline void destroy(fixture *fx)
{
    strata_control_destroy(fx->ctl);
    rm_flat(fx->shots);
    close(fx->fd);
    free(fx);
}

/* One render-thread frame: the apply point. */
static inline void frame(fixture *fx)
{
    strata_control_frame f = {.params = &fx->params, .time = strata_time_s(), .dt = 1 / 60.0f};
    fx->frame++;
    strata_control_apply(fx->ctl, &f);
}

/* Run frames for ms milliseconds. */
static inline void pump(fixture *fx, int ms)
{
    double end = strata_time_s() + ms / 1000.0;
    while (strata_time_s() < end) {
        frame(fx);
        strata_sleep_s(0.002);
    }
}

/* Run frames until a datagram arrives on fd (or about 4 s). */
static inline int reply_on(fixture *fx, int fd, oc_reply *r)
{
    for (int i = 0; i < 2000; i++) {
        frame(fx);
        if (oc_recv(fd, r, 2))
            return 1;
    }
    return 0;
}

#endif
