#ifndef CMFKERNELS_INTERNAL_H
#define CMFKERNELS_INTERNAL_H
#include "CMFKernels.h"

/* One instruction set's kernels. */
typedef struct {
    double (*sgd_block)(const mfk_record *, size_t, const mfk_sgd_args *);
    double (*squared_error)(const mfk_entry *, size_t, const mfk_model_view *);
    double (*line_residuals)(const int32_t *, const float *, size_t, const float *, const float *, size_t, float, const float *, float, float *);
    void (*line_combination)(const int32_t *, const float *, size_t, const float *, size_t, float *);
    double (*hals_sweep)(float *, size_t, size_t, int, const float *, const float *, float);
    double (*mu_update)(float *, size_t, size_t, int, const float *, const float *, float, float);
    void (*gram)(const float *, size_t, size_t, size_t, float *);
    void (*cg_refine)(const float *, const float *, size_t, size_t, size_t, const float *, int, float *, float *);
    void (*dense_product)(const float *, size_t, size_t, size_t, const float *, size_t, float *, size_t);
    void (*dense_transpose_product)(const float *, size_t, size_t, size_t, const float *, size_t, float *, size_t);
} mfk_kernel_table;

extern const mfk_kernel_table mfk_kernels_scalar;
#if defined(__x86_64__)
extern const mfk_kernel_table mfk_kernels_sse2;
extern const mfk_kernel_table mfk_kernels_avx2;
extern const mfk_kernel_table mfk_kernels_avx512;
#endif
#endif
