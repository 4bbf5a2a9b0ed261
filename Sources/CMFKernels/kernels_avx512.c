/* AVX-512F: sixteen floats (one cache line) at a time, fused multiply-adds. */
#if defined(__x86_64__)
#include "kernels_internal.h"
#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx512f,avx2,fma"))), apply_to = function)

typedef __m512 vec;
#define VEC_WIDTH 16
#define KERNEL(name) name##_avx512
#define GRAM_ROWS 8
#define CG_REGISTER_VECTORS 8
static inline vec v_zero(void) { return _mm512_setzero_ps(); }
static inline vec v_set(float x) { return _mm512_set1_ps(x); }
static inline vec v_load(const float *p) { return _mm512_load_ps(p); }
static inline void v_store(float *p, vec v) { _mm512_store_ps(p, v); }
static inline vec v_mul(vec a, vec b) { return _mm512_mul_ps(a, b); }
static inline vec v_fmadd(vec a, vec b, vec c) { return _mm512_fmadd_ps(a, b, c); }
static inline float v_sum(vec v) {
    const __m256 octets = _mm256_add_ps(_mm512_castps512_ps256(v), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    const __m128 quads = _mm_add_ps(_mm256_castps256_ps128(octets), _mm256_extractf128_ps(octets, 1));
    const __m128 pairs = _mm_add_ps(quads, _mm_movehl_ps(quads, quads));
    return _mm_cvtss_f32(_mm_add_ss(pairs, _mm_movehdup_ps(pairs)));
}

static inline vec v_add(vec a, vec b) { return _mm512_add_ps(a, b); }
static inline vec v_sub(vec a, vec b) { return _mm512_sub_ps(a, b); }
static inline vec v_div(vec a, vec b) { return _mm512_div_ps(a, b); }
/* a where a > b, else b: a NaN a is kept. */
static inline vec v_max_of(vec a, vec b) { return _mm512_max_ps(b, a); }
#include "kernels_quads.inc"
static inline __m128 quads(vec v) {
    const __m256 octets = _mm256_add_ps(_mm512_castps512_ps256(v), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    return _mm_add_ps(_mm256_castps256_ps128(octets), _mm256_extractf128_ps(octets, 1));
}
static inline void v_sum3(vec a, vec b, vec c, float *sa, float *sb, float *sc) { quads_sum3(quads(a), quads(b), quads(c), sa, sb, sc); }
static inline void v_sum4(vec a, vec b, vec c, vec d, float *sums) { _mm_storeu_ps(sums, quads_sum4(quads(a), quads(b), quads(c), quads(d))); }

#include "kernel_body.inc"

#pragma clang attribute pop
#endif
