/* TEMPORARY until 15:50: moves into engine/control. */
#include "control/control_internal.h"
int strata_control_get_aliases(const strata_control *ctl, strata_control_alias *out, int max)
{
    for (int tries = 0; tries < 64; tries++) {
        uint32_t s1 =
            atomic_load_explicit(&((strata_control *)ctl)->alias_seq, memory_order_acquire);
        if (s1 & 1)
            continue;
        int n = ctl->naliases;
        if (n > max)
            n = max;
        if (n > STRATA_CONTROL_MAX_ALIASES)
            n = STRATA_CONTROL_MAX_ALIASES;
        for (int i = 0; i < n; i++)
            out[i] = ctl->aliases[i];
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&((strata_control *)ctl)->alias_seq, memory_order_relaxed) == s1)
            return n;
    }
    return 0;
}
bool strata_control_allowed(const strata_control *ctl, const void *addr, size_t len)
{
    return strata_osc_addr_allowed(ctl, addr, len);
}
