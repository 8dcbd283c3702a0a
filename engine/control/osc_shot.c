/* /strata/screenshot [s name], checked on the OSC thread before it becomes a command:
 *   - a bare file name, [A-Za-z0-9._-]+.png without a leading dot: no path, no folder;
 *   - only into the screenshot folder (--screenshot-dir, else the state dir), made on
 *     first use, never "." (under systemd that is $HOME);
 *   - a rate (SHOT_BURST at once, then SHOT_PER_S) and a disk budget (files and bytes in
 *     the folder), both said in the error reply and the log when exceeded;
 *   - a name that exists is refused: strata never replaces a file (the app's writer
 *     creates exclusively, so a file that appears in between is not replaced either).
 * Files are touched only here, with the folder opened once per request. */
#include "control_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ERR(...) strata_osc_error(ctl, m->from, m->from_len, m->path, __VA_ARGS__)

void strata_osc_shot_dir(const strata_control_config *cfg, char *out, size_t n)
{
    char dir[PATH_MAX];
    const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    if (cfg->screenshot_dir && cfg->screenshot_dir[0]) {
        snprintf(dir, sizeof dir, "%s", cfg->screenshot_dir);
    } else if (xdg && xdg[0] == '/') {
        snprintf(dir, sizeof dir, "%s/strata/screenshots", xdg);
    } else {
        if (!home || home[0] != '/') {
            struct passwd *pw = getpwuid(getuid());
            home = pw && pw->pw_dir ? pw->pw_dir : "/tmp";
        }
        snprintf(dir, sizeof dir, "%s/.local/state/strata/screenshots", home);
    }
    char cwd[PATH_MAX];
    if (dir[0] != '/' && getcwd(cwd, sizeof cwd)) { /* fixed now: a later chdir moves nothing */
        char abs[2 * PATH_MAX + 2];
        snprintf(abs, sizeof abs, "%s/%s", cwd, dir);
        snprintf(dir, sizeof dir, "%.*s", (int)(sizeof dir - 1), abs);
    }
    char real[PATH_MAX];
    snprintf(out, n, "%s", realpath(dir, real) ? real : dir);
    size_t dl = strlen(out);
    while (dl > 1 && out[dl - 1] == '/')
        out[--dl] = 0;
}

/* What is wrong with a requested name, or NULL. */
static const char *name_problem(const char *s)
{
    size_t n = strlen(s);
    if (n == 0)
        return "empty file name";
    if (n > SHOT_NAME_MAX)
        return "file name longer than 100 bytes";
    if (strchr(s, '/'))
        return "a bare file name, not a path ('/' is refused)";
    if (s[0] == '.')
        return "a file name may not start with '.'";
    for (const char *p = s; *p; p++) {
        char ch = *p;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return "only letters, digits, '.', '_' and '-' in a file name";
    }
    if (n < 5 || strcmp(s + n - 4, ".png") != 0)
        return "the file name must end in .png";
    return NULL;
}

static bool rate_ok(strata_control *ctl)
{
    double now = strata_time_s();
    if (ctl->shot_refill == 0.0)
        ctl->shot_tokens = SHOT_BURST;
    else
        ctl->shot_tokens =
            fmin(SHOT_BURST, ctl->shot_tokens + (now - ctl->shot_refill) * SHOT_PER_S);
    ctl->shot_refill = now;
    if (ctl->shot_tokens < 1.0)
        return false;
    ctl->shot_tokens -= 1.0;
    return true;
}

/* mkdir -p, 0700 for what it makes. */
static bool make_dirs(const char *dir)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s", dir);
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == 0) {
            char keep = *s;
            *s = 0;
            if (mkdir(p, 0700) != 0 && errno != EEXIST)
                return false;
            *s = keep;
            if (!keep)
                break;
        }
    }
    return true;
}

/* Count the regular files of the folder and their bytes, stopping past the budget. */
static void folder_usage(int dfd, int max_files, long long *files, long long *bytes)
{
    *files = *bytes = 0;
    int fd = dup(dfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) && *files <= max_files) {
        struct stat st;
        if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
            (*files)++;
            *bytes += (long long)st.st_size;
        }
    }
    closedir(d);
}

static bool exists(int dfd, const char *name)
{
    struct stat st;
    return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT;
}

/* strata-YYYYMMDD-HHMMSS-N.png, a name not taken yet. */
static bool unnamed(strata_control *ctl, int dfd, char *out, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    for (int k = 0; k < 100; k++) {
        snprintf(out, n, "strata-%04d%02d%02d-%02d%02d%02d-%u.png", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 (unsigned)(ctl->shot_seq++ % 100000));
        if (!exists(dfd, out))
            return true;
    }
    return false;
}

static bool check_folder(strata_control *ctl, const osc_msg *m, int dfd, const char *name)
{
    int max_files =
        ctl->cfg.screenshot_max_files > 0 ? ctl->cfg.screenshot_max_files : SHOT_MAX_FILES;
    long long max_mb = ctl->cfg.screenshot_max_mb > 0 ? ctl->cfg.screenshot_max_mb : SHOT_MAX_MB;
    long long files, bytes;
    folder_usage(dfd, max_files, &files, &bytes);
    if (files >= max_files || bytes >= max_mb << 20) {
        ERR("the screenshot folder is full (%lld files, %lld MB; budget %d files, %lld MB)", files,
            bytes >> 20, max_files, max_mb);
        return false;
    }
    if (name && exists(dfd, name)) {
        ERR("%s exists: strata never replaces a file", name);
        return false;
    }
    return true;
}

bool strata_osc_screenshot(strata_control *ctl, const osc_msg *m, strata_cmd *c)
{
    const char *name = m->argc == 1 ? strata_osc_arg_string(m, 0) : NULL;
    const char *why = name ? name_problem(name) : NULL;
    if (why) {
        ERR("%s", why);
        return false;
    }
    if (!rate_ok(ctl)) {
        ERR("rate limit: %d screenshots at once, then %.0f per second", SHOT_BURST, SHOT_PER_S);
        return false;
    }
    if (!make_dirs(ctl->shot_dir)) {
        ERR("cannot make the screenshot folder: %s", strerror(errno));
        LOG_ERROR("OSC", "screenshot folder %s: %s", ctl->shot_dir, strerror(errno));
        return false;
    }
    int dfd = open(ctl->shot_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        ERR("cannot open the screenshot folder: %s", strerror(errno));
        LOG_ERROR("OSC", "screenshot folder %s: %s", ctl->shot_dir, strerror(errno));
        return false;
    }
    bool ok = check_folder(ctl, m, dfd, name);
    if (ok && name)
        snprintf(c->str, sizeof c->str, "%s", name);
    else if (ok && !unnamed(ctl, dfd, c->str, sizeof c->str)) {
        ERR("no free screenshot name");
        ok = false;
    }
    close(dfd);
    return ok;
}
