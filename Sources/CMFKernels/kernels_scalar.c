/* The portable reference: one float at a time, multiplies and adds never fused. */
#include "kernels_internal.h"
#include <math.h>

#pragma clang fp contract(off)

typedef float vec;
#define VEC_WIDTH 1
#define KERNEL(name) name##_scalar
static inline vec v_zero(void) { return 0.0f; }
static inline vec v_set(float x) { return x; }
static inline vec v_load(const float *p) { return *p; }
static inline void v_store(float *p, vec v) { *p = v; }
static inline vec v_mul(vec a, vec b) { return a * b; }
static inline vec v_fmadd(vec a, vec b, vec c) { return a * b + c; }
static inline float v_sum(vec v) { return v; }

static inline vec v_add(vec a, vec b) { return a + b; }
static inline vec v_sub(vec a, vec b) { return a - b; }
static inline vec v_div(vec a, vec b) { return a / b; }
/* a where a > b, else b: a NaN a is kept. */
static inline vec v_max_of(vec a, vec b) { return a < b ? b : a; }
static inline void v_sum3(vec a, vec b, vec c, float *sa, float *sb, float *sc) {
    *sa = a;
    *sb = b;
    *sc = c;
}
static inline void v_sum4(vec a, vec b, vec c, vec d, float *sums) {
    sums[0] = a;
    sums[1] = b;
    sums[2] = c;
    sums[3] = d;
}
static inline void v_steps(float rate, float g0, float g1, float g2, float g3, float *s0, float *s1, float *s2, float *s3) {
    *s0 = rate / sqrtf(g0);
    *s1 = rate / sqrtf(g1);
    *s2 = rate / sqrtf(g2);
    *s3 = rate / sqrtf(g3);
}

#include "kernel_body.inc"
