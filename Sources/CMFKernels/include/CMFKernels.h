#ifndef CMFKERNELS_H
#define CMFKERNELS_H
/*
 * The hot loops of mfpipe's solvers, compiled once per instruction set and chosen at run
 * time: a plain `swift build -c release` targets baseline x86-64, so the fast paths live here
 * behind target attributes instead of relying on -target-cpu native.
 *
 * Factor rows are `stride` floats apart, `stride` a multiple of 16, each row 64-byte
 * aligned; the padding past k is zero and stays zero.
 */
#include <stddef.h>
#include <stdint.h>

/* One training rating inside a block of the SGD grid: indices local to the block's bins. */
typedef struct {
    uint16_t major; /* index within the major side's bin (the side the block is sorted by) */
    uint16_t minor; /* index within the other side's bin */
    float value;    /* the residual to fit, on the solver's unit scale */
} mfk_record;

/* One held-out rating: global internal indices. */
typedef struct {
    uint32_t row;
    uint32_t col;
    float value;
} mfk_entry;

/* What one SGD pass over a block reads and updates; every pointer is offset to its bin. */
typedef struct {
    float *major;        /* factor rows of the major side's bin */
    float *minor;        /* factor rows of the minor side's bin */
    float *major_bias;   /* biases of the major bin */
    float *minor_bias;
    float *major_g;      /* AdaGrad accumulators of the factors (mean squared gradient), start at 1 */
    float *minor_g;
    float *major_bias_g; /* AdaGrad accumulators of the biases (squared gradient), start at 1 */
    float *minor_bias_g;
    const float *major_lambda; /* each row's L2 penalty on its factors, per update */
    const float *minor_lambda;
    size_t stride;       /* floats per factor row, a multiple of 16 */
    int k;               /* the rank: factors used of each row */
    float learning_rate; /* the base step; each coordinate's step is learning_rate / sqrt(g) */
    float lambda_bias;   /* L2 penalty on biases, per update */
} mfk_sgd_args;

/* A model to score: prediction = row_bias[i] + col_bias[j] + w_i . h_j (biases may be NULL). */
typedef struct {
    const float *w;
    const float *h; /* column factors, one row of `stride` floats per column */
    const float *row_bias;
    const float *col_bias;
    size_t stride;
} mfk_model_view;

/* Instruction sets with a kernel; mfk_isa_best is whatever the CPU supports best. */
typedef enum {
    mfk_isa_best = 0,
    mfk_isa_scalar = 1, /* portable C, no fused multiply-add: the reference */
    mfk_isa_sse2 = 2,
    mfk_isa_avx2 = 3,   /* AVX2 + FMA */
    mfk_isa_avx512 = 4, /* AVX-512F */
} mfk_isa;

/*
 * One SGD pass over `count` records in order, with per-row and per-column AdaGrad steps.
 * For each record: z = value - (b + c + p.q); p -= s_p (lambda_p p - z q), q -= s_q (lambda_q
 * q - z p) with lambda_p, lambda_q the rows' own penalties and s = learning_rate / sqrt(g), g growing by the mean squared gradient over the
 * row's k factors; each bias b -= learning_rate / sqrt(g_b) (lambda_bias b - z), g_b growing
 * by its squared gradient.
 * Returns the sum of z^2 met before each update.
 */
double mfk_sgd_block(const mfk_record *records, size_t count, const mfk_sgd_args *args);

/*
 * The residuals of one line's entries under a model: for entry e,
 * residual[e] = value[e] - offset - own_bias - other_bias[index[e]] - own . others[index[e]],
 * `own` one factor row and `others` the other side's rows, `stride` floats apart
 * (other_bias may be NULL: no biases). Returns the sum of the squared residuals.
 */
double mfk_line_residuals(const int32_t *index, const float *value, size_t count, const float *own, const float *others,
                          size_t stride, float own_bias, const float *other_bias, float offset, float *residual);

/*
 * out = sum over e of value[e] * rows[index[e]] for one line's entries: a sparse row times
 * a dense matrix whose rows are `stride` floats apart (`out` has `stride` floats).
 */
void mfk_line_combination(const int32_t *index, const float *value, size_t count, const float *rows, size_t stride, float *out);

/*
 * One HALS sweep over `rows` rows of factors stored turned: factor t of row r at
 * x[t * stride + r], for t < k, with stride a multiple of 16, x aligned to 64 bytes and the
 * values past the last row up to the next multiple of 16 zero (they stay zero). For each
 * row and each t in turn, x_t = max(0, x_t - (lambda x_t - p_t + x . g_t) / (g_tt + lambda)),
 * where p is the row's product with A (turned as x, same stride) and g_t row t of the
 * symmetric k x k Gram matrix, stored with rows padded with zeros to a multiple of 16
 * floats. A t whose g_tt + lambda is not positive is left alone. Returns the sum of the
 * squared changes.
 */
double mfk_hals_sweep(float *x, size_t rows, size_t stride, int k, const float *products, const float *gram, float lambda);

/*
 * One multiplicative update (Lee and Seung) of `rows` rows of factors, laid out as for
 * mfk_hals_sweep: every x_t of a row becomes x_t p_t / ((x G)_t + lambda x_t + epsilon) from the
 * row's values before the update, where p is the row's product with A and G the symmetric
 * k x k Gram matrix, both as for mfk_hals_sweep. Returns the sum of the squared changes.
 */
double mfk_mu_update(float *x, size_t rows, size_t stride, int k, const float *products, const float *gram, float lambda, float epsilon);

/*
 * Products of a dense row-major S (rows `lds` floats apart) with a thin X: C = S X for S
 * rows x inner and X inner x w, and C = S^T X for S inner x cols and X inner x w. X's rows
 * are `ldx` floats apart and C's `ldc` (at least ldx): ldx a multiple of 16, both aligned
 * to 64 bytes; all ldx floats of a row are used and written (a zero padding of X gives
 * zeros in C). Each entry of C is one running sum over the inner index in order: the same
 * bits however the rows of C (or the columns of S) are shared among calls. X (S X) and C
 * (S^T X) are worked on in spans that stay in the caches.
 */
void mfk_dense_product(const float *s, size_t lds, size_t rows, size_t inner, const float *x, size_t ldx, float *c, size_t ldc);
void mfk_dense_transpose_product(const float *s, size_t lds, size_t inner, size_t cols, const float *x, size_t ldx, float *c, size_t ldc);

/*
 * The upper triangle (b >= a) of the Gram matrix G = X^T X, size x size, row-major, of the
 * `count` rows of x: rows `stride` floats apart, stride a multiple of 16 and at least
 * size, x aligned to 64 bytes. The lower triangle is left as it was. Each
 * entry is one running sum in row order, the same bits on any thread. Written for the
 * small, tall systems of ALS (size k + 1), where BLAS spends as long packing as computing.
 */
void mfk_gram(const float *x, size_t count, size_t size, size_t stride, float *g);

/*
 * `steps` conjugate-gradient steps on the ridge least-squares problem
 * min |y - X theta|^2 + sum_t ridge_t theta_t^2 over the `count` rows of an ALS design x
 * (`size` columns, the last all ones; rows `stride` floats apart, padding zero, 64-byte
 * aligned), starting from theta and leaving the result there (theta and ridge: `stride`
 * floats, padding zero). Each step cannot increase the objective (in exact arithmetic); it
 * stops early when the residual vanishes. `work` holds 3 x stride floats, 64-byte aligned.
 * The Gram matrix is never formed: each step is one pass over x. The same bits on any thread.
 */
void mfk_cg_refine(const float *x, const float *y, size_t count, size_t size, size_t stride, const float *ridge, int steps, float *theta,
                   float *work);

/* The sum of squared errors of a model over `count` entries. */
double mfk_squared_error(const mfk_entry *entries, size_t count, const mfk_model_view *model);

/* The position of the first of `count` keys above `threshold` (NaN never is), or `count`
   when none is: the scan of a top-N selection, whose threshold only rises. */
size_t mfk_first_above(const float *keys, size_t count, float threshold);

/*
 * The design matrix and targets of one least-squares solve over a line's entries (ALS):
 * for entry e, row e of `x` (rows `x_stride` floats apart) begins with the other side's
 * factor row factors[index[e]] (k floats, rows `stride` apart) followed by 1, and
 * y[e] = value[e] - offset - bias[index[e]]. Whole 16-float chunks are copied (k rounded
 * up to 16: the factor rows' zero padding comes along), so x_stride must be at least that
 * and k + 1. Rows ahead are prefetched: the factor rows are
 * read at random and usually come from the last-level cache or memory.
 */
void mfk_gather_design(const int32_t *index, const float *value, size_t count, const float *factors, size_t stride, int k,
                       const float *bias, float offset, float *x, size_t x_stride, float *y);

/* The instruction set the kernels use now. */
mfk_isa mfk_active_isa(void);

/* Whether this CPU can run `isa`. */
int mfk_isa_supported(mfk_isa isa);

/*
 * Makes the kernels use `isa` (mfk_isa_best: the best supported). Returns 0 when the CPU
 * lacks it (nothing changes). The first call of any kernel picks the best supported, or
 * the one named by the environment variable MFPIPE_ISA (scalar, sse2, avx2, avx512).
 */
int mfk_use_isa(mfk_isa isa);

/* The name of an instruction set ("avx2"). */
const char *mfk_isa_name(mfk_isa isa);

#endif
