/* libFuzzer target for the OSC entry point: every packet goes through the same
 * strata_osc_handle_packet the server thread calls, then one apply step.
 * Build: CC=clang CXX=clang++ cmake -DSTRATA_FUZZ=ON ... && make fuzz_osc
 * Run:   ./fuzz_osc -max_len=4096 tests/fuzz/corpus */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>

#include "control/control.h"

static strata_control *ctl;
static strata_params params;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ctl) {
        strata_log_set_quiet(true);
        strata_control_config cfg = {.osc_disabled = true, .screenshot_dir = "/tmp"};
        strata_result r;
        ctl = strata_control_create(&cfg, &r);
        strata_params_init(&params);
    }
    struct sockaddr_in from = {.sin_family = AF_INET, .sin_port = htons(9)};
    from.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    strata_osc_handle_packet(ctl, data, size, &from, sizeof from);
    strata_control_frame f = {.params = &params, .time = strata_time_s(), .dt = 1 / 60.0f};
    strata_control_apply(ctl, &f);
    return 0;
}
