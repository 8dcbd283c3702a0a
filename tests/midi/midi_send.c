/* midi_send NAME: a JACK MIDI sender for the e2e test. A client NAME with an output "out";
 * reads lines on stdin and sends them:
 *   b0 15 7f      one MIDI event of these hex bytes (any bytes, junk too)
 *   clock BPM     ticks at BPM from now (clock 0: none)
 *   wait S        until strata's port is connected (at most S seconds; exit 3 if not)
 * and quits at end of input. The server is the one JACK_DEFAULT_SERVER names.
 * midi_send --recv NAME SECONDS: a client NAME with an input "in"; prints what came in
 * SECONDS: "start S ticks N bpm B" (B: jrecv_ticks_bpm, 0: too few). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jack_sender.h"
#include "midi/midi.h"

static int recv_main(const char *name, double seconds)
{
    jrecv *r = jrecv_open(name);
    if (!r) {
        fprintf(stderr, "midi_send: no JACK server\n");
        return 1;
    }
    enum { MAX_TICKS = 1 << 16 };
    static double t[MAX_TICKS];
    int starts = 0, ticks = 0;
    double until = strata_time_s() + seconds;
    while (strata_time_s() < until) {
        strata_sleep_s(0.01);
        jrecv_event ev;
        while (jrecv_pop(r, &ev)) {
            starts += ev.status == 0xFA;
            if (ev.status == 0xF8 && ticks < MAX_TICKS)
                t[ticks++] = ev.t;
        }
    }
    printf("start %d ticks %d bpm %.3f\n", starts, ticks, jrecv_ticks_bpm(t, ticks));
    jrecv_close(r);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "--recv"))
        return recv_main(argv[2], atof(argv[3]));
    if (argc != 2) {
        fprintf(stderr, "usage: midi_send NAME < commands\n");
        return 2;
    }
    jsend *s = jsend_open(argv[1]);
    if (!s) {
        fprintf(stderr, "midi_send: no JACK server\n");
        return 1;
    }
    char line[512];
    while (fgets(line, sizeof line, stdin)) {
        double x;
        if (sscanf(line, "clock %lf", &x) == 1) {
            jsend_clock(s, x);
        } else if (sscanf(line, "wait %lf", &x) == 1) {
            double until = strata_time_s() + x;
            while (jsend_connections(s) == 0 && strata_time_s() < until)
                strata_sleep_s(0.05);
            if (jsend_connections(s) == 0) {
                fprintf(stderr, "midi_send: not connected after %.0f s\n", x);
                jsend_close(s);
                return 3;
            }
        } else {
            uint8_t b[15];
            size_t n = 0;
            for (char *t = strtok(line, " \t\n"); t && n < sizeof b; t = strtok(NULL, " \t\n"))
                b[n++] = (uint8_t)strtoul(t, NULL, 16);
            if (n)
                jsend_bytes(s, b, n);
        }
    }
    strata_sleep_s(0.05); /* the last events go out */
    jsend_close(s);
    return 0;
}
