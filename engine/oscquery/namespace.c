/* The namespace as OSCQuery JSON, built per request from the registry, the address table
 * (control/addresses.def) and the running preset's aliases: nothing here is typed twice. */
#include "oscquery_internal.h"

#include <math.h>
#include <string.h>

#define ACCESS_WRITE 2
#define ACCESS_RW 3

typedef struct oscq_addr {
    const char *path, *type;
    int access;
    float min, max;
    const char *desc;
} oscq_addr;

static const oscq_addr addresses[] = {
#define X(path, args, type, access, lo, hi, desc) {path, type, access, lo, hi, desc},
#include "control/addresses.def"
#undef X
};

bool strata_oscq_path_ok(const char *path)
{
    size_t n = strlen(path);
    if (n == 0 || n >= OSCQ_PATH_MAX || path[0] != '/')
        return false;
    const char *seg = path + 1;
    for (;;) {
        const char *end = strchr(seg, '/');
        size_t len = end ? (size_t)(end - seg) : strlen(seg);
        if (len == 0 && end) /* "//" */
            return false;
        if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
            return false;
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)seg[i];
            if (c <= ' ' || c >= 127 || strchr("#*,?[]{}", c))
                return false;
        }
        if (!end)
            return true;
        seg = end + 1;
    }
}

/* The child `seg` of node, made (with its FULL_PATH) when missing. */
static json_t *child(json_t *node, const char *seg, size_t len)
{
    json_t *contents = json_object_get(node, "CONTENTS");
    if (!contents) {
        contents = json_object();
        json_object_set_new(node, "CONTENTS", contents);
    }
    char key[OSCQ_PATH_MAX];
    snprintf(key, sizeof key, "%.*s", (int)len, seg);
    json_t *c = json_object_get(contents, key);
    if (c)
        return c;
    const char *parent = json_string_value(json_object_get(node, "FULL_PATH"));
    char full[2 * OSCQ_PATH_MAX + 2]; /* path_ok keeps it under OSCQ_PATH_MAX */
    snprintf(full, sizeof full, "%s/%s", strcmp(parent, "/") ? parent : "", key);
    c = json_pack("{s:s}", "FULL_PATH", full);
    json_object_set_new(contents, key, c);
    return c;
}

/* The node at path (made), or NULL when path is not well formed. */
static json_t *node_make(json_t *root, const char *path)
{
    if (!strata_oscq_path_ok(path))
        return NULL;
    json_t *node = root;
    const char *seg = path + 1;
    while (*seg) {
        const char *end = strchr(seg, '/');
        size_t len = end ? (size_t)(end - seg) : strlen(seg);
        if (len)
            node = child(node, seg, len);
        seg = end ? end + 1 : seg + len;
    }
    return node;
}

json_t *strata_oscq_find(json_t *root, const char *path)
{
    if (!strata_oscq_path_ok(path))
        return NULL;
    json_t *node = root;
    const char *seg = path + 1;
    while (*seg && node) {
        const char *end = strchr(seg, '/');
        size_t len = end ? (size_t)(end - seg) : strlen(seg);
        char key[OSCQ_PATH_MAX];
        snprintf(key, sizeof key, "%.*s", (int)len, seg);
        if (len)
            node = json_object_get(json_object_get(node, "CONTENTS"), key);
        seg = end ? end + 1 : seg + len;
    }
    return node;
}

static json_t *range(double lo, double hi)
{
    return json_pack("[{s:f, s:f}]", "MIN", lo, "MAX", hi);
}

static json_t *value_json(strata_param_kind kind, double v)
{
    switch (kind) {
    case STRATA_PARAM_INT:
        return json_integer((json_int_t)lrint(v));
    case STRATA_PARAM_BOOL:
    case STRATA_PARAM_EVENT:
        return json_boolean(v >= 0.5);
    default:
        return json_real(isfinite(v) ? v : 0.0);
    }
}

static const char *type_of(strata_param_kind kind)
{
    switch (kind) {
    case STRATA_PARAM_INT:
        return "i";
    case STRATA_PARAM_BOOL:
    case STRATA_PARAM_EVENT:
        return "T"; /* strata reads T and F as 1 and 0 */
    default:
        return "f";
    }
}

static void add_param(const strata_oscquery *q, json_t *root, int id, const strata_param_info *p)
{
    char path[OSCQ_PATH_MAX];
    snprintf(path, sizeof path, "/strata/%s", p->name);
    json_t *n = node_make(root, path);
    if (!n)
        return;
    json_object_set_new(n, "TYPE", json_string(type_of(p->kind)));
    json_object_set_new(n, "ACCESS", json_integer(ACCESS_RW));
    if (p->kind == STRATA_PARAM_INT)
        json_object_set_new(n, "RANGE",
                            json_pack("[{s:I, s:I}]", "MIN", (json_int_t)lrintf(p->min), "MAX",
                                      (json_int_t)lrintf(p->max)));
    else if (p->kind == STRATA_PARAM_FLOAT)
        json_object_set_new(n, "RANGE", range(p->min, p->max));
    json_object_set_new(n, "CLIPMODE", json_pack("[s]", "both"));
    json_object_set_new(n, "VALUE",
                        json_pack("[o]", value_json(p->kind, strata_oscq_value(q, id))));
    json_object_set_new(n, "DESCRIPTION", json_string(p->desc));
    if (p->unit[0])
        json_object_set_new(n, "UNIT", json_pack("[s]", p->unit));
}

static void add_address(const strata_oscquery *q, json_t *root, const oscq_addr *a)
{
    char path[OSCQ_PATH_MAX];
    snprintf(path, sizeof path, "/strata/%s", a->path);
    json_t *n = node_make(root, path);
    if (!n)
        return;
    if (a->type[0])
        json_object_set_new(n, "TYPE", json_string(a->type));
    json_object_set_new(n, "ACCESS", json_integer(a->access));
    if (a->max > a->min)
        json_object_set_new(n, "RANGE", range(a->min, a->max));
    if (strcmp(a->path, "tempo/bpm") == 0) {
        json_object_set_new(n, "VALUE", json_pack("[f]", strata_oscq_bpm(q)));
        json_object_set_new(n, "UNIT", json_pack("[s]", "bpm"));
    }
    json_object_set_new(n, "DESCRIPTION", json_string(a->desc));
}

static void add_alias(const strata_oscquery *q, json_t *root, const strata_control_alias *a)
{
    strata_param_info p;
    if (!strata_param_get(a->param, &p) || !(a->hi != a->lo))
        return;
    json_t *n = node_make(root, a->address);
    if (!n || json_object_get(n, "TYPE")) /* an alias never hides a node of strata's own */
        return;
    oscq_target t = {.src = OSCQ_SRC_ALIAS, .param = a->param, .lo = a->lo, .hi = a->hi};
    char desc[200];
    snprintf(desc, sizeof desc, "alias of /strata/%s: 0..1 sets %g..%g", p.name, (double)a->lo,
             (double)a->hi);
    json_object_set_new(n, "TYPE", json_string("f"));
    json_object_set_new(n, "ACCESS", json_integer(ACCESS_RW));
    json_object_set_new(n, "RANGE", range(0.0, 1.0));
    json_object_set_new(n, "VALUE", json_pack("[f]", strata_oscq_target_value(q, &t)));
    json_object_set_new(n, "DESCRIPTION", json_string(desc));
}

json_t *strata_oscq_namespace(const strata_oscquery *q)
{
    json_t *root = json_pack("{s:s, s:s}", "FULL_PATH", "/", "DESCRIPTION", "strata");
    json_t *strata = node_make(root, "/strata");
    json_object_set_new(strata, "DESCRIPTION", json_string("strata's parameters and commands"));
    for (int i = 0; i < STRATA_PARAM_MAX; i++) {
        strata_param_info p;
        if (strata_param_get(i, &p))
            add_param(q, root, i, &p);
    }
    for (size_t i = 0; i < sizeof addresses / sizeof addresses[0]; i++)
        add_address(q, root, &addresses[i]);
    strata_control_alias al[STRATA_CONTROL_MAX_ALIASES];
    int na = strata_oscq_aliases(q, al, STRATA_CONTROL_MAX_ALIASES);
    for (int i = 0; i < na; i++)
        add_alias(q, root, &al[i]);
    return root;
}

bool strata_oscq_target(const strata_oscquery *q, const char *path, oscq_target *t)
{
    memset(t, 0, sizeof *t);
    if (strncmp(path, "/strata/", 8) == 0) {
        if (strcmp(path + 8, "tempo/bpm") == 0) {
            t->src = OSCQ_SRC_BPM;
            return true;
        }
        int id = strata_param_find(path + 8);
        strata_param_info p;
        if (id >= 0 && strata_param_get(id, &p)) {
            t->src = OSCQ_SRC_PARAM;
            t->param = id;
            t->kind = p.kind;
            return true;
        }
        return false;
    }
    strata_control_alias al[STRATA_CONTROL_MAX_ALIASES];
    int na = strata_oscq_aliases(q, al, STRATA_CONTROL_MAX_ALIASES);
    for (int i = 0; i < na; i++)
        if (strcmp(al[i].address, path) == 0 && al[i].hi != al[i].lo) {
            t->src = OSCQ_SRC_ALIAS;
            t->param = al[i].param;
            t->lo = al[i].lo;
            t->hi = al[i].hi;
            return true;
        }
    return false;
}

double strata_oscq_target_value(const strata_oscquery *q, const oscq_target *t)
{
    switch (t->src) {
    case OSCQ_SRC_PARAM:
        return strata_oscq_value(q, t->param);
    case OSCQ_SRC_BPM:
        return strata_oscq_bpm(q);
    case OSCQ_SRC_ALIAS: {
        double x = (strata_oscq_value(q, t->param) - t->lo) / (t->hi - t->lo);
        return x < 0.0 ? 0.0 : x > 1.0 ? 1.0 : x;
    }
    default:
        return 0.0;
    }
}

json_t *strata_oscq_target_json(const strata_oscquery *q, const oscq_target *t)
{
    double v = strata_oscq_target_value(q, t);
    return t->src == OSCQ_SRC_PARAM ? value_json(t->kind, v) : json_real(v);
}

json_t *strata_oscq_host_info(const strata_oscquery *q)
{
    json_t *ext = json_pack("{s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b}", "ACCESS", 1,
                            "VALUE", 1, "RANGE", 1, "DESCRIPTION", 1, "UNIT", 1, "CLIPMODE", 1,
                            "TAGS", 0, "CRITICAL", 0, "LISTEN", 1, "PATH_CHANGED", 1, "HTML", 0);
    return json_pack("{s:s, s:i, s:s, s:o}", "NAME", q->name, "OSC_PORT", q->cfg.osc_port,
                     "OSC_TRANSPORT", q->cfg.osc_tcp ? "TCP" : "UDP", "EXTENSIONS", ext);
}
