/* AVX2 with FMA: eight floats at a time, fused multiply-adds. */
#if defined(__x86_64__)
#include "kernels_internal.h"
#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)

typedef __m256 vec;
#define VEC_WIDTH 8
#define KERNEL(name) name##_avx2
static inline vec v_zero(void) { return _mm256_setzero_ps(); }
static inline vec v_set(float x) { return _mm256_set1_ps(x); }
static inline vec v_load(const float *p) { return _mm256_load_ps(p); }
static inline void v_store(float *p, vec v) { _mm256_store_ps(p, v); }
static inline vec v_mul(vec a, vec b) { return _mm256_mul_ps(a, b); }
static inline vec v_fmadd(vec a, vec b, vec c) { return _mm256_fmadd_ps(a, b, c); }
static inline float v_sum(vec v) {
    const __m128 quads = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 pairs = _mm_add_ps(quads, _mm_movehl_ps(quads, quads));
    return _mm_cvtss_f32(_mm_add_ss(pairs, _mm_movehdup_ps(pairs)));
}

static inline vec v_add(vec a, vec b) { return _mm256_add_ps(a, b); }
static inline vec v_sub(vec a, vec b) { return _mm256_sub_ps(a, b); }
static inline vec v_div(vec a, vec b) { return _mm256_div_ps(a, b); }
/* a where a > b, else b: a NaN a is kept. */
static inline vec v_max_of(vec a, vec b) { return _mm256_max_ps(b, a); }
#include "kernels_quads.inc"
static inline __m128 quads(vec v) { return _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1)); }
static inline void v_sum3(vec a, vec b, vec c, float *sa, float *sb, float *sc) { quads_sum3(quads(a), quads(b), quads(c), sa, sb, sc); }
static inline void v_sum4(vec a, vec b, vec c, vec d, float *sums) { _mm_storeu_ps(sums, quads_sum4(quads(a), quads(b), quads(c), quads(d))); }

#include "kernel_body.inc"

#pragma clang attribute pop
#endif
