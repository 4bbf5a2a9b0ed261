/* Baseline x86-64: four floats at a time, no fused multiply-add. */
#if defined(__x86_64__)
#include "kernels_internal.h"
#include <emmintrin.h>

#pragma clang fp contract(off)

typedef __m128 vec;
#define VEC_WIDTH 4
#define KERNEL(name) name##_sse2
static inline vec v_zero(void) { return _mm_setzero_ps(); }
static inline vec v_set(float x) { return _mm_set1_ps(x); }
static inline vec v_load(const float *p) { return _mm_load_ps(p); }
static inline void v_store(float *p, vec v) { _mm_store_ps(p, v); }
static inline vec v_mul(vec a, vec b) { return _mm_mul_ps(a, b); }
static inline vec v_fmadd(vec a, vec b, vec c) { return _mm_add_ps(_mm_mul_ps(a, b), c); }
static inline vec v_fnmadd(vec a, vec b, vec c) { return _mm_sub_ps(c, _mm_mul_ps(a, b)); }
static inline float v_sum(vec v) {
    const vec pairs = _mm_add_ps(v, _mm_movehl_ps(v, v));
    return _mm_cvtss_f32(_mm_add_ss(pairs, _mm_shuffle_ps(pairs, pairs, 1)));
}

static inline vec v_add(vec a, vec b) { return _mm_add_ps(a, b); }
static inline void v_sum2(vec a, vec b, float *sa, float *sb) {
    const __m128 low = _mm_unpacklo_ps(a, b), high = _mm_unpackhi_ps(a, b); /* a0 b0 a1 b1, a2 b2 a3 b3 */
    const __m128 pairs = _mm_add_ps(low, high);
    const __m128 sums = _mm_add_ps(pairs, _mm_movehl_ps(pairs, pairs));
    *sa = _mm_cvtss_f32(sums);
    *sb = _mm_cvtss_f32(_mm_shuffle_ps(sums, sums, 1));
}
static inline void v_steps(float rate, float g0, float g1, float g2, float g3, float *s0, float *s1, float *s2, float *s3) {
    const __m128 steps = _mm_div_ps(_mm_set1_ps(rate), _mm_sqrt_ps(_mm_set_ps(g3, g2, g1, g0)));
    float lanes[4];
    _mm_storeu_ps(lanes, steps);
    *s0 = lanes[0];
    *s1 = lanes[1];
    *s2 = lanes[2];
    *s3 = lanes[3];
}

#include "kernel_body.inc"
#endif
