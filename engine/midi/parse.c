/* The MIDI byte parser: bytes in any chunking -> complete messages. */
#include "midi.h"

/* Data bytes a status byte takes; -1: not a message start (sysex, undefined, realtime). */
static int data_len(uint8_t st)
{
    switch (st & 0xF0) {
    case 0xC0:
    case 0xD0:
        return 1;
    case 0xF0:
        break;
    default:
        return 2;
    }
    switch (st) {
    case 0xF1: /* MTC quarter frame */
    case 0xF3: /* song select */
        return 1;
    case 0xF2: /* song position */
        return 2;
    case 0xF6: /* tune request */
        return 0;
    default:
        return -1;
    }
}

static void emit_msg(uint8_t st, uint8_t d1, uint8_t d2,
                     void (*emit)(const strata_midi_event *, void *), void *user)
{
    strata_midi_event ev = {.status = st, .d1 = d1, .d2 = d2};
    emit(&ev, user);
}

void strata_midi_parse(strata_midi_parser *p, const uint8_t *bytes, size_t n,
                       void (*emit)(const strata_midi_event *ev, void *user), void *user)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t b = bytes[i];
        if (b >= 0xF8) {
            /* Realtime: anywhere, even inside another message or a sysex. */
            if (b == 0xF9 || b == 0xFD)
                p->junk++;
            else
                emit_msg(b, 0, 0, emit, user);
            continue;
        }
        if (b & 0x80) {
            if (p->have > 0 || (p->in_sysex && b != 0xF7))
                p->junk += p->have + (p->in_sysex ? 1u : 0u); /* a message cut short */
            p->have = 0;
            p->in_sysex = b == 0xF0;
            if (b == 0xF0 || b == 0xF7) {
                p->running = 0; /* system common cancels running status */
                continue;
            }
            int len = data_len(b);
            if (len < 0) {
                p->running = 0;
                p->junk++;
                continue;
            }
            p->running = b;
            p->need = (uint8_t)len;
            if (len == 0) {
                emit_msg(b, 0, 0, emit, user);
                p->running = 0;
            }
            continue;
        }
        /* A data byte. */
        if (p->in_sysex)
            continue;
        if (!p->running) {
            p->junk++;
            continue;
        }
        p->data[p->have++] = b;
        if (p->have < p->need)
            continue;
        emit_msg(p->running, p->data[0], p->need > 1 ? p->data[1] : 0, emit, user);
        p->have = 0;
        if (p->running >= 0xF0)
            p->running = 0; /* only channel messages run */
    }
}
