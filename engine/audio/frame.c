#include "audio.h"

#include <string.h>

void strata_audio_frame_silence(strata_audio_frame *f)
{
    memset(f, 0, sizeof *f);
    strata_band calm = {0.0f, 0.0f, 0.0f, 1.0f};
    f->level = f->bass = f->mid = f->high = calm;
}
