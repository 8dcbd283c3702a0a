/* IEEE 754 binary16 <-> binary32, bit-exact and the same on every machine (no F16C, no
 * _Float16): safetensors weights, the fp16 latents of neural banks. */
#include "core.h"

float strata_half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu, man = h & 0x3ffu, bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13); /* inf, NaN (payload kept) */
    } else if (exp != 0) {
        bits = sign | ((exp + 112u) << 23) | (man << 13); /* rebias 15 -> 127 */
    } else if (man == 0) {
        bits = sign; /* +-0 */
    } else {
        /* subnormal: man * 2^-24, normalised into a float (exact) */
        int e = -1;
        do {
            man <<= 1;
            e++;
        } while (!(man & 0x400u));
        bits = sign | ((uint32_t)(112 - e) << 23) | ((man & 0x3ffu) << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

uint16_t strata_float_to_half(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t exp = (x >> 23) & 0xffu, man = x & 0x7fffffu;
    if (exp == 0xff) /* inf, or NaN kept a (quiet) NaN */
        return sign | 0x7c00u | (man ? 0x200u | (uint16_t)(man >> 13) : 0u);
    int e = (int)exp - 127 + 15;
    if (e >= 0x1f)
        return sign | 0x7c00u; /* too large: inf */
    if (e <= 0) {
        if (e < -10)
            return sign; /* below half the smallest subnormal: 0 */
        /* subnormal: shift the mantissa (with its implicit 1) into place, round to even */
        man |= 0x800000u;
        int shift = 14 - e;
        uint32_t half = man >> shift, rest = man & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rest > mid || (rest == mid && (half & 1u)))
            half++;
        return sign | (uint16_t)half;
    }
    uint32_t half = ((uint32_t)e << 10) | (man >> 13), rest = man & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (half & 1u)))
        half++; /* a carry into the exponent is right, up to inf */
    return sign | (uint16_t)half;
}
