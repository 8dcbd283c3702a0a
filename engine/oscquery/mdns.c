/* The mDNS advertisement through the Avahi daemon (Avahi's client library, its own
 * thread): _oscjson._tcp on the HTTP port, _osc._udp (or _osc._tcp) on the OSC port.
 * Without a daemon strata says so once and runs on. */
#include "oscquery_internal.h"

#include <stdlib.h>
#include <string.h>

#include <avahi-client/client.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/thread-watch.h>

struct oscq_mdns {
    const strata_oscquery *q;
    AvahiThreadedPoll *poll;
    AvahiClient *client;
    AvahiEntryGroup *group; /* --- Avahi's thread (its callbacks) */
    char *name;             /* avahi_malloc'd; renamed on a collision */
};

static void publish(oscq_mdns *m, AvahiClient *c);

static void group_cb(AvahiEntryGroup *g, AvahiEntryGroupState st, void *user)
{
    oscq_mdns *m = user;
    if (st == AVAHI_ENTRY_GROUP_COLLISION) { /* another "strata" on the network */
        char *alt = avahi_alternative_service_name(m->name);
        avahi_free(m->name);
        m->name = alt;
        LOG_INFO(OSCQ_TAG, "mDNS name taken, now '%s'", m->name);
        avahi_entry_group_reset(g);
        publish(m, avahi_entry_group_get_client(g));
    } else if (st == AVAHI_ENTRY_GROUP_ESTABLISHED) {
        LOG_INFO(OSCQ_TAG, "mDNS: '%s' advertised as _oscjson._tcp", m->name);
    } else if (st == AVAHI_ENTRY_GROUP_FAILURE) {
        LOG_WARN(OSCQ_TAG, "mDNS: advertisement failed: %s",
                 avahi_strerror(avahi_client_errno(avahi_entry_group_get_client(g))));
    }
}

static void publish(oscq_mdns *m, AvahiClient *c)
{
    if (!m->group && !(m->group = avahi_entry_group_new(c, group_cb, m))) {
        LOG_WARN(OSCQ_TAG, "mDNS: %s", avahi_strerror(avahi_client_errno(c)));
        return;
    }
    if (!avahi_entry_group_is_empty(m->group))
        return;
    const strata_oscquery *q = m->q;
    int err = 0;
    /* Another strata on this host holds the name: take "strata #2" and so on. */
    for (int tries = 0; tries < 16; tries++) {
        err =
            avahi_entry_group_add_service(m->group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0, m->name,
                                          "_oscjson._tcp", NULL, NULL, (uint16_t)q->port, NULL);
        if (!err)
            err = avahi_entry_group_add_service(m->group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0,
                                                m->name, q->cfg.osc_tcp ? "_osc._tcp" : "_osc._udp",
                                                NULL, NULL, (uint16_t)q->cfg.osc_port, NULL);
        if (err != AVAHI_ERR_COLLISION)
            break;
        char *alt = avahi_alternative_service_name(m->name);
        avahi_free(m->name);
        m->name = alt;
        avahi_entry_group_reset(m->group);
    }
    if (!err)
        err = avahi_entry_group_commit(m->group);
    if (err)
        LOG_WARN(OSCQ_TAG, "mDNS: cannot advertise: %s", avahi_strerror(err));
}

static void client_cb(AvahiClient *c, AvahiClientState st, void *user)
{
    oscq_mdns *m = user;
    if (st == AVAHI_CLIENT_S_RUNNING)
        publish(m, c);
    else if ((st == AVAHI_CLIENT_S_COLLISION || st == AVAHI_CLIENT_S_REGISTERING) && m->group)
        avahi_entry_group_reset(m->group);
    else if (st == AVAHI_CLIENT_FAILURE)
        LOG_WARN(OSCQ_TAG, "mDNS: Avahi daemon gone: %s", avahi_strerror(avahi_client_errno(c)));
}

oscq_mdns *strata_oscq_mdns_start(const strata_oscquery *q)
{
    oscq_mdns *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->q = q;
    m->name = avahi_strdup(q->name);
    m->poll = avahi_threaded_poll_new();
    int err = 0;
    if (m->poll)
        m->client = avahi_client_new(avahi_threaded_poll_get(m->poll), 0, client_cb, m, &err);
    if (!m->client || avahi_threaded_poll_start(m->poll) < 0) {
        /* The one line a show without Avahi gets. */
        LOG_WARN(OSCQ_TAG, "mDNS: not advertised (%s); clients find strata by address and port",
                 err ? avahi_strerror(err) : "cannot start Avahi's thread");
        strata_oscq_mdns_stop(m);
        return NULL;
    }
    return m;
}

void strata_oscq_mdns_stop(oscq_mdns *m)
{
    if (!m)
        return;
    if (m->poll)
        avahi_threaded_poll_stop(m->poll);
    if (m->client)
        avahi_client_free(m->client); /* frees the group too */
    if (m->poll)
        avahi_threaded_poll_free(m->poll);
    avahi_free(m->name);
    free(m);
}
