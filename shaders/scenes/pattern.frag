// A generative test pattern: a field of folded light, moved by audio (bass swells it,
// onsets kick the fold, the beat phase breathes the palette). strata's first default
// scene; the latent default replaced it, and it stays as the known picture the GL
// tests and the fx bench render through every shared uniform.
#include "common.glsl"

in vec2 v_uv;
out vec4 o_color;

vec3 palette(float t)
{
    // Cosine palette: ink blue through magenta to a warm highlight.
    return 0.5 + 0.5 * cos(TAU * (vec3(1.0, 0.9, 0.8) * t + vec3(0.55, 0.65, 0.8)));
}

void main()
{
    vec2 p = strata_uv_centered(v_uv);
    float t = u_time * 0.25;
    float bass = clamp(u_bass.x, 0.0, 1.0);
    float kick = u_onsets.x * u_pulse;
    // Domain warp with a few sines: cheap enough for llvmpipe at 720p.
    vec2 q = p * (1.2 + 0.3 * bass);
    for (int i = 0; i < 4; i++) {
        float fi = float(i);
        q += 0.35 * vec2(sin(q.y * (1.7 + 0.3 * fi) + t * (1.0 + 0.2 * fi) + kick),
                         cos(q.x * (1.9 - 0.2 * fi) - t * (0.8 + 0.3 * fi)));
    }
    float v = 0.5 + 0.5 * sin(length(q) * 3.0 - t * 2.0);
    float fold = abs(sin(q.x * 1.3 + q.y * 0.7 + t));
    float breathe = 0.5 + 0.5 * cos(TAU * u_beat_phase);
    vec3 c = palette(v * 0.6 + fold * 0.3 + 0.1 * breathe * u_audio_live);
    c *= 0.35 + 0.65 * smoothstep(0.0, 1.0, fold);
    c += vec3(0.9, 0.8, 1.0) * pow(1.0 - fold, 12.0) * (0.4 + 0.6 * u_level.x);
    float vign = smoothstep(1.9, 0.4, length(p * vec2(0.8, 1.0)));
    o_color = vec4(strata_grade(c * vign), 1.0);
}
