// strata common.glsl: the uniforms every pass can read.
// They are one std140 block, `strata_frame`, that the loader declares before every vertex
// and fragment shader (engine/render/shaders.c; written once per frame by uniforms.c):
//   float u_time;        seconds (the speed parameter scales the clock)
//   int u_frame;         frame number
//   float u_dt;          seconds since the last frame
//   vec2 u_resolution;   render size in pixels
//   float u_bpm, u_beat (beats since start, fractional), u_beat_phase (0..1 within the
//     beat), u_bar_phase (0..1 within the bar): the tempo clock
//   float u_beat_pulse;  1 at a tracked beat, decaying
//   float u_confidence;  beat tracker confidence 0..1
//   float u_audio_live;  1 when audio arrives, 0 on the internal clock
//   vec4 u_level, u_bass, u_mid, u_high: bands, x fast, y slow, z instantaneous (all 0..1
//     with automatic gain), w self-normalising ratio (1 normal, <0.7 quiet, >1.3 loud)
//   vec4 u_onsets;       x onset, y kick, z snare, w hat: pulses 0..1
//   float u_morph;       progress of the current transition 0..1
//   float u_<name>;      every registered parameter (u_glitch, u_drift, u_speed, ...)
// Do not declare any of these again. Silence gives calm values: band ratios 1, levels 0,
// no onsets.

uniform sampler2D u_spectrum; // 256 log-spaced bins, 0..1 (x = 0..1)
uniform sampler2D u_waveform; // 512 samples, -1..1


const float PI = 3.14159265358979;
const float TAU = 6.28318530717959;

float strata_spectrum(float x) { return texture(u_spectrum, vec2(x, 0.5)).r; }
float strata_wave(float x) { return texture(u_waveform, vec2(x, 0.5)).r; }

vec3 strata_hue_rotate(vec3 c, float turns)
{
    // Rotation about the grey axis (Rodrigues), exact at 0.
    float a = turns * TAU;
    vec3 k = vec3(0.57735026919);
    float ca = cos(a), sa = sin(a);
    return c * ca + cross(k, c) * sa + k * dot(k, c) * (1.0 - ca);
}

vec3 strata_grade(vec3 c)
{
    c = strata_hue_rotate(c, u_hue);
    float l = dot(c, vec3(0.2126, 0.7152, 0.0722));
    c = mix(vec3(l), c, u_saturation);
    c = (c - 0.5) * u_contrast + 0.5;
    return clamp(c * u_brightness, 0.0, 1.0);
}

// Pixel position centred, y up, aspect-correct: x in -aspect..aspect, y in -1..1,
// zoomed and rotated by the zoom and rotate parameters.
vec2 strata_uv_centered(vec2 uv)
{
    vec2 p = (uv * 2.0 - 1.0) * vec2(u_resolution.x / u_resolution.y, 1.0);
    float a = u_rotate * TAU;
    p = mat2(cos(a), sin(a), -sin(a), cos(a)) * p;
    return p / u_zoom;
}
