#ifndef MFPIPE_CBLASCORE_H
#define MFPIPE_CBLASCORE_H

/*
 * OpenBLAS chooses its kernels for the CPU when it loads, from the CPU models it knows.
 * Debian 12's OpenBLAS 0.3.21 does not know CPUs newer than itself (Intel Xeons of 2023 on,
 * for one) and falls back to its Prescott kernels, SSE3 only: sgemm at a fifth of the speed
 * the CPU offers. At load (before main), when the user has not set OPENBLAS_CORETYPE and
 * OpenBLAS fell back to Prescott, this switches it to the best kernels the CPU and the
 * operating system support: SkylakeX with AVX-512 (F, CD, BW, DQ, VL), Haswell with AVX2
 * and FMA. A CPU that OpenBLAS knows keeps OpenBLAS's own choice.
 */

/* The name of the kernels OpenBLAS uses now ("SkylakeX", "Haswell", "Zen", ...). */
const char *mfk_blas_core(void);

/*
 * Also at load: OpenBLAS is held to the calling thread, and the worker threads it started
 * are stopped (they would poll for work, taking a core, for the first 0.1 s of every process).
 * mfpipe runs BLAS on its own threads, one BLAS thread each.
 */

/* How many threads a BLAS call may use (1), and whether OpenBLAS's worker threads run (0). */
int mfk_blas_threads(void);
int mfk_blas_workers_running(void);

#endif
