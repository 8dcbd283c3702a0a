#include "audio.h"

#include <stdlib.h>
#include <string.h>

void strata_audio_frame_silence(strata_audio_frame *f)
{
    memset(f, 0, sizeof *f);
    strata_band calm = {0.0f, 0.0f, 0.0f, 1.0f};
    f->level = f->bass = f->mid = f->high = calm;
    f->level_db = -120.0f;
}

bool strata_audio_parse_bpm_range(const char *s, float *lo, float *hi)
{
    if (!s)
        return false;
    char *end;
    double a = strtod(s, &end);
    if (end == s || *end != ':')
        return false;
    const char *p = end + 1;
    double b = strtod(p, &end);
    if (end == p || *end != '\0')
        return false;
    if (!(a >= 20.0 && b <= 400.0 && a < b))
        return false;
    *lo = (float)a;
    *hi = (float)b;
    return true;
}
