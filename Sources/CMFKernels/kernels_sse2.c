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
static inline float v_sum(vec v) {
    const vec pairs = _mm_add_ps(v, _mm_movehl_ps(v, v));
    return _mm_cvtss_f32(_mm_add_ss(pairs, _mm_shuffle_ps(pairs, pairs, 1)));
}

static inline vec v_add(vec a, vec b) { return _mm_add_ps(a, b); }
static inline vec v_sub(vec a, vec b) { return _mm_sub_ps(a, b); }
static inline vec v_div(vec a, vec b) { return _mm_div_ps(a, b); }
/* a where a > b, else b: a NaN a is kept. */
static inline vec v_max_of(vec a, vec b) { return _mm_max_ps(b, a); }
#include "kernels_quads.inc"
static inline void v_sum3(vec a, vec b, vec c, float *sa, float *sb, float *sc) { quads_sum3(a, b, c, sa, sb, sc); }
static inline void v_sum4(vec a, vec b, vec c, vec d, float *sums) { _mm_storeu_ps(sums, quads_sum4(a, b, c, d)); }

#include "kernel_body.inc"
#endif
