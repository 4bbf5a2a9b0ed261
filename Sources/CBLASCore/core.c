/* OpenBLAS set up at load: raised from its Prescott fallback to the kernels the CPU supports
 * (see CBLASCore.h), and held to the calling thread. */
#include "CBLASCore.h"
#include <stdlib.h>
#include <string.h>

/* OpenBLAS's own (exported, not in its headers): the core's name, and leaving and choosing
 * the kernel table again, which reads OPENBLAS_CORETYPE. */
extern char *openblas_get_corename(void);
extern void gotoblas_dynamic_init(void);
extern void gotoblas_dynamic_quit(void);
extern void openblas_set_num_threads(int);
extern int blas_thread_shutdown_(void);
extern int openblas_get_num_threads(void);
extern int blas_server_avail;

const char *mfk_blas_core(void) {
    return openblas_get_corename();
}

int mfk_blas_threads(void) {
    return openblas_get_num_threads();
}

int mfk_blas_workers_running(void) {
    return blas_server_avail != 0;
}

/* The OpenBLAS core for this CPU's instruction sets, or NULL when Prescott is right. */
static const char *supported_core(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")) {
        return "SkylakeX";
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
    return NULL;
}

/* Runs after OpenBLAS's own initialisation (a shared library's constructors run first) and
 * before any BLAS call. */
__attribute__((constructor)) static void raise_fallback_core(void) {
    if (getenv("OPENBLAS_CORETYPE") != NULL || strcmp(openblas_get_corename(), "Prescott") != 0) return;
    const char *core = supported_core();
    if (core == NULL) return;
    setenv("OPENBLAS_CORETYPE", core, 0);
    gotoblas_dynamic_quit();
    gotoblas_dynamic_init();
    unsetenv("OPENBLAS_CORETYPE");
}

/* mfpipe calls OpenBLAS on its own threads only, one BLAS thread each (LinearAlgebra). The
 * worker threads OpenBLAS starts at load would otherwise poll for work with sched_yield for
 * about 2^28 cycles before they sleep: a whole core for the first 0.1 s of every process,
 * taken from mfpipe's own threads (a run of digits' SVD: 33.8 -> 28.9-30.8 ms of CPU). */
__attribute__((constructor)) static void single_threaded_blas(void) {
    openblas_set_num_threads(1);
    blas_thread_shutdown_();
}
