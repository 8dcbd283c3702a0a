// The fused fx chain: the grade and the per-pixel effects (tear, rgb, vhs, crush) of one
// run of the chain order in one pass. engine/fx/fx.c makes one program of this file per
// run of the order and set of stages running, with #defines naming the stages:
//   FX_GRADE 1          stage 0 is the grade of the input (else the input itself)
//   FX_SRC_Q 1          the input is not RGBA8: stage 0 rounds it to 8 bits
//   FX_N n              stages 1..n (n <= 4) follow, each with
//   FX_TAPk, FX_MIXk    its functions: where it reads (fx_<e>_tap) and what it makes of
//   FX_Tk               what it read (fx_<e>_mix), and its number of taps (1 to 3;
//                       the taps it does not read are given as tap 0)
//   FX_SELk             1: its result is made of its inputs' values (tear, rgb)
//   FX_USE_<E>          the effect files to include
// Stage k evaluates stage k-1 at each pixel it taps (whole pixels) and rounds its result
// to 8 bits as an RGBA8 target would (fx_q), so the fused pass gives what the passes one
// per stage give, which are this file with one stage each (fx.c's unfused path). A stage
// that only selects (FX_SELk: tear moves texels, rgb picks channels) skips the rounding:
// its inputs are 8-bit values already (a texel, or a stage rounded), which fx_q keeps.
// A stage whose amount is 0 is left out of the program, not branched around: llvmpipe
// runs both sides of a branch (masked), so an idle stage would cost as much as a busy
// one, and a stage at amount 0 is not always the identity (vhs converts to YIQ and back).
// Each stage calls the one before once per tap: a fused evaluation costs the product of
// the taps (rgb 3 x vhs 2: 6 evaluations of the stages before rgb), inlined.
#include "common.glsl"
#include "fx/fx_common.glsl"
// Set by rgb's tap (rgb.glsl) for the stage it calls: the pixel it taps for and which tap.
// A tear stage right under rgb (FX_TEAR_UNDER_RGB) takes its shift from there.
ivec2 fx_up_p;
int fx_up_i;
#ifndef FX_N
#define FX_N 0
#endif
#ifndef FX_GRADE
#define FX_GRADE 0
#endif
#ifndef FX_SRC_Q
#define FX_SRC_Q 0
#endif
#if FX_GRADE
#include "fx/grade.glsl"
#endif
#ifdef FX_USE_TEAR
#include "fx/tear.glsl"
#endif
#ifdef FX_USE_RGB
#include "fx/rgb.glsl"
#endif
#ifdef FX_USE_VHS
#include "fx/vhs.glsl"
#endif
#ifdef FX_USE_CRUSH
#include "fx/crush.glsl"
#endif

uniform float u_fx_a1, u_fx_a2, u_fx_a3, u_fx_a4;  // stage amounts
uniform ivec2 u_fx_origin;  // the picture's corner in the framebuffer (drawn to the output)
uniform int u_fx_present;   // 1: drawn to the output: opaque, times u_fx_gain
uniform float u_fx_gain;

out vec4 o_color;

vec4 fx_s0(ivec2 p)
{
#if FX_GRADE
    return fx_q(vec4(fx_grade(u_fx_src, (vec2(p) + 0.5) / u_resolution), 1.0));
#elif FX_SRC_Q
    return fx_q(texelFetch(u_fx_src, p, 0));  // a float input: the stages get 8-bit values
#else
    return texelFetch(u_fx_src, p, 0);
#endif
}

#if FX_N >= 1
vec4 fx_s1(ivec2 p)
{
    float a = u_fx_a1;
    vec4 c0 = fx_s0(FX_TAP1(p, a, 0)), c1 = c0, c2 = c0;
#if FX_T1 > 1
    c1 = fx_s0(FX_TAP1(p, a, 1));
#endif
#if FX_T1 > 2
    c2 = fx_s0(FX_TAP1(p, a, 2));
#endif
#if FX_SEL1
    return FX_MIX1(p, a, c0, c1, c2);
#else
    return fx_q(FX_MIX1(p, a, c0, c1, c2));
#endif
}
#endif

#if FX_N >= 2
vec4 fx_s2(ivec2 p)
{
    float a = u_fx_a2;
    vec4 c0 = fx_s1(FX_TAP2(p, a, 0)), c1 = c0, c2 = c0;
#if FX_T2 > 1
    c1 = fx_s1(FX_TAP2(p, a, 1));
#endif
#if FX_T2 > 2
    c2 = fx_s1(FX_TAP2(p, a, 2));
#endif
#if FX_SEL2
    return FX_MIX2(p, a, c0, c1, c2);
#else
    return fx_q(FX_MIX2(p, a, c0, c1, c2));
#endif
}
#endif

#if FX_N >= 3
vec4 fx_s3(ivec2 p)
{
    float a = u_fx_a3;
    vec4 c0 = fx_s2(FX_TAP3(p, a, 0)), c1 = c0, c2 = c0;
#if FX_T3 > 1
    c1 = fx_s2(FX_TAP3(p, a, 1));
#endif
#if FX_T3 > 2
    c2 = fx_s2(FX_TAP3(p, a, 2));
#endif
#if FX_SEL3
    return FX_MIX3(p, a, c0, c1, c2);
#else
    return fx_q(FX_MIX3(p, a, c0, c1, c2));
#endif
}
#endif

#if FX_N >= 4
vec4 fx_s4(ivec2 p)
{
    float a = u_fx_a4;
    vec4 c0 = fx_s3(FX_TAP4(p, a, 0)), c1 = c0, c2 = c0;
#if FX_T4 > 1
    c1 = fx_s3(FX_TAP4(p, a, 1));
#endif
#if FX_T4 > 2
    c2 = fx_s3(FX_TAP4(p, a, 2));
#endif
#if FX_SEL4
    return FX_MIX4(p, a, c0, c1, c2);
#else
    return fx_q(FX_MIX4(p, a, c0, c1, c2));
#endif
}
#endif

void main()
{
    ivec2 p = ivec2(gl_FragCoord.xy) - u_fx_origin;
#if FX_N == 0
    vec4 c = fx_s0(p);
#elif FX_N == 1
    vec4 c = fx_s1(p);
#elif FX_N == 2
    vec4 c = fx_s2(p);
#elif FX_N == 3
    vec4 c = fx_s3(p);
#else
    vec4 c = fx_s4(p);
#endif
    o_color = u_fx_present != 0 ? vec4(c.rgb * u_fx_gain, 1.0) : c;
}
