/* Picks the kernels for this CPU once, at first use; tests and users may force another. */
#include "kernels_internal.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static _Atomic(const mfk_kernel_table *) active_table = NULL;
static _Atomic int active_isa = 0;

int mfk_isa_supported(mfk_isa isa) {
    switch (isa) {
    case mfk_isa_best:
    case mfk_isa_scalar:
        return 1;
#if defined(__x86_64__)
    case mfk_isa_sse2:
        return 1;
    case mfk_isa_avx2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case mfk_isa_avx512:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    default:
        return 0;
    }
}

static mfk_isa best_supported(void) {
    static const mfk_isa preference[] = { mfk_isa_avx512, mfk_isa_avx2, mfk_isa_sse2, mfk_isa_scalar };
    for (size_t index = 0; index < sizeof preference / sizeof preference[0]; index++) {
        if (mfk_isa_supported(preference[index])) return preference[index];
    }
    return mfk_isa_scalar;
}

static const mfk_kernel_table *table_for(mfk_isa isa) {
    switch (isa) {
#if defined(__x86_64__)
    case mfk_isa_sse2: return &mfk_kernels_sse2;
    case mfk_isa_avx2: return &mfk_kernels_avx2;
    case mfk_isa_avx512: return &mfk_kernels_avx512;
#endif
    default: return &mfk_kernels_scalar;
    }
}

const char *mfk_isa_name(mfk_isa isa) {
    switch (isa) {
    case mfk_isa_scalar: return "scalar";
    case mfk_isa_sse2: return "sse2";
    case mfk_isa_avx2: return "avx2";
    case mfk_isa_avx512: return "avx512";
    default: return "best";
    }
}

int mfk_use_isa(mfk_isa isa) {
    if (!mfk_isa_supported(isa)) return 0;
    const mfk_isa chosen = isa == mfk_isa_best ? best_supported() : isa;
    atomic_store(&active_isa, (int)chosen);
    atomic_store(&active_table, table_for(chosen));
    return 1;
}

static const mfk_kernel_table *kernels(void) {
    const mfk_kernel_table *table = atomic_load_explicit(&active_table, memory_order_acquire);
    if (table) return table;
    mfk_isa isa = mfk_isa_best;
    const char *requested = getenv("MFPIPE_ISA");
    if (requested) {
        for (int candidate = mfk_isa_scalar; candidate <= mfk_isa_avx512; candidate++) {
            if (strcmp(requested, mfk_isa_name((mfk_isa)candidate)) == 0 && mfk_isa_supported((mfk_isa)candidate)) {
                isa = (mfk_isa)candidate;
            }
        }
    }
    mfk_use_isa(isa);
    return atomic_load(&active_table);
}

mfk_isa mfk_active_isa(void) {
    kernels();
    return (mfk_isa)atomic_load(&active_isa);
}

double mfk_sgd_block(const mfk_record *records, size_t count, const mfk_sgd_args *args) {
    return kernels()->sgd_block(records, count, args);
}

double mfk_squared_error(const mfk_entry *entries, size_t count, const mfk_model_view *model) {
    return kernels()->squared_error(entries, count, model);
}

double mfk_line_residuals(const int32_t *index, const float *value, size_t count, const float *own, const float *others,
                          size_t stride, float own_bias, const float *other_bias, float offset, float *residual) {
    return kernels()->line_residuals(index, value, count, own, others, stride, own_bias, other_bias, offset, residual);
}

void mfk_line_combination(const int32_t *index, const float *value, size_t count, const float *rows, size_t stride, float *out) {
    kernels()->line_combination(index, value, count, rows, stride, out);
}

double mfk_hals_sweep(float *x, size_t rows, size_t stride, int k, const float *products, const float *gram, float lambda) {
    return kernels()->hals_sweep(x, rows, stride, k, products, gram, lambda);
}

double mfk_mu_update(float *x, size_t rows, size_t stride, int k, const float *products, const float *gram, float lambda, float epsilon) {
    return kernels()->mu_update(x, rows, stride, k, products, gram, lambda, epsilon);
}

void mfk_gram(const float *x, size_t count, size_t size, size_t stride, float *g) {
    kernels()->gram(x, count, size, stride, g);
}

void mfk_cg_refine(const float *x, const float *y, size_t count, size_t size, size_t stride, const float *ridge, int steps, float *theta,
                   float *work) {
    kernels()->cg_refine(x, y, count, size, stride, ridge, steps, theta, work);
}

void mfk_dense_product(const float *s, size_t lds, size_t rows, size_t inner, const float *x, size_t ldx, float *c, size_t ldc) {
    kernels()->dense_product(s, lds, rows, inner, x, ldx, c, ldc);
}

void mfk_dense_transpose_product(const float *s, size_t lds, size_t inner, size_t cols, const float *x, size_t ldx, float *c, size_t ldc) {
    kernels()->dense_transpose_product(s, lds, inner, cols, x, ldx, c, ldc);
}
