/* --osc-allow: the list of networks that may talk to strata. Checked for every packet,
 * at TCP accept, and for every subscription's destination. */
#include "control_internal.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define TAG "OSC"

bool strata_osc_addr128(const void *from, size_t len, unsigned char out[16])
{
    struct sockaddr_storage ss;
    if (!from || len < sizeof(sa_family_t) || len > sizeof ss)
        return false;
    memcpy(&ss, from, len);
    if (ss.ss_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &in->sin_addr, 4);
        return true;
    }
    if (ss.ss_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        memcpy(out, &((const struct sockaddr_in6 *)&ss)->sin6_addr, 16);
        return true;
    }
    return false;
}

void strata_control_cmd_sender(const strata_cmd *cmd, char *buf, size_t n)
{
    struct sockaddr_storage ss;
    char host[INET6_ADDRSTRLEN] = "-";
    int port = 0;
    if (cmd->from_len >= sizeof(struct sockaddr_in) && cmd->from_len <= sizeof ss) {
        memcpy(&ss, cmd->from, cmd->from_len);
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *in = (struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
            port = ntohs(in->sin_port);
        } else if (ss.ss_family == AF_INET6 && cmd->from_len >= sizeof(struct sockaddr_in6)) {
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
            port = ntohs(in6->sin6_port);
        }
    }
    snprintf(buf, n, "%s:%d", host, port);
}

/* One entry, "ADDR" or "ADDR/PREFIX", into c. */
static bool parse_cidr(char *item, osc_cidr *c, strata_result *r)
{
    char *slash = strchr(item, '/');
    int prefix = -1;
    if (slash) {
        char *e;
        long v = strtol(slash + 1, &e, 10);
        if (*e || e == slash + 1 || v < 0) {
            strata_fail(r, STRATA_ERR_ARG, "--osc-allow: bad prefix in '%s'", item);
            return false;
        }
        prefix = v > 999 ? 999 : (int)v;
        *slash = 0;
    }
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, item, &a4) == 1) {
        if (prefix > 32) {
            strata_fail(r, STRATA_ERR_ARG, "--osc-allow: prefix over 32 in '%s'", item);
            return false;
        }
        c->family = AF_INET;
        memset(c->addr, 0, 10);
        c->addr[10] = c->addr[11] = 0xff;
        memcpy(c->addr + 12, &a4, 4);
        c->prefix = 96 + (prefix < 0 ? 32 : prefix);
    } else if (inet_pton(AF_INET6, item, &a6) == 1) {
        if (prefix > 128) {
            strata_fail(r, STRATA_ERR_ARG, "--osc-allow: prefix over 128 in '%s'", item);
            return false;
        }
        c->family = AF_INET6;
        memcpy(c->addr, &a6, 16);
        c->prefix = prefix < 0 ? 128 : prefix;
    } else {
        strata_fail(r, STRATA_ERR_ARG, "--osc-allow: '%s' is not an address", item);
        return false;
    }
    return true;
}

/* Parse "CIDR[,CIDR]" into out (OSC_ALLOW_MAX entries); *n gets the count. Pure. */
static bool parse_list(const char *list, osc_cidr *out, int *n, strata_result *r)
{
    *n = 0;
    if (!list || !*list)
        return true;
    const char *p = list;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char item[64];
        if (len == 0 || len >= sizeof item || *n == OSC_ALLOW_MAX) {
            strata_fail(r, STRATA_ERR_ARG, "--osc-allow %.120s: bad or too many entries", list);
            return false;
        }
        memcpy(item, p, len);
        item[len] = 0;
        if (!parse_cidr(item, &out[*n], r))
            return false;
        (*n)++;
        if (end && !end[1]) {
            strata_fail(r, STRATA_ERR_ARG, "--osc-allow %.120s: an empty entry after the last ','",
                        list);
            return false;
        }
        p = end ? end + 1 : p + len;
    }
    return true;
}

bool strata_osc_parse_allow(strata_control *ctl, const char *list, strata_result *r)
{
    return parse_list(list, ctl->allow, &ctl->nallow, r);
}

bool strata_control_check_allow(const char *list, strata_result *r)
{
    osc_cidr tmp[OSC_ALLOW_MAX];
    int n;
    return parse_list(list, tmp, &n, r);
}

static bool cidr_match(const osc_cidr *c, const unsigned char a[16])
{
    int bits = c->prefix;
    for (int i = 0; i < 16 && bits > 0; i++, bits -= 8) {
        unsigned char mask = bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));
        if ((a[i] & mask) != (c->addr[i] & mask))
            return false;
    }
    return true;
}

bool strata_osc_addr_allowed(const strata_control *ctl, const void *to, size_t len)
{
    if (ctl->nallow == 0)
        return true;
    unsigned char a[16];
    if (!strata_osc_addr128(to, len, a))
        return false;
    for (int i = 0; i < ctl->nallow; i++)
        if (cidr_match(&ctl->allow[i], a))
            return true;
    return false;
}

bool strata_control_allowed(const strata_control *ctl, const void *addr, size_t len)
{
    return strata_osc_addr_allowed(ctl, addr, len);
}

bool strata_osc_sender_allowed(strata_control *ctl, const void *from, size_t len)
{
    if (strata_osc_addr_allowed(ctl, from, len))
        return true;
    atomic_fetch_add(&ctl->n_denied, 1);
    unsigned char a[16];
    if (!strata_osc_addr128(from, len, a) || len > sizeof((strata_cmd *)0)->from)
        return false;
    /* Log each denied sender once: a flood from outside must not flood the log. */
    for (int i = 0; i < ctl->ndenied_seen; i++)
        if (memcmp(ctl->denied_seen[i], a, 16) == 0)
            return false;
    strata_cmd tmp = {0};
    memcpy(tmp.from, from, len);
    tmp.from_len = (uint8_t)len;
    char who[80];
    strata_control_cmd_sender(&tmp, who, sizeof who);
    if (ctl->ndenied_seen < OSC_DENIED_LOGGED) {
        memcpy(ctl->denied_seen[ctl->ndenied_seen++], a, 16);
        LOG_WARN(TAG, "dropping packets from %s: not in --osc-allow", who);
    }
    return false;
}
