/* Gathers for the line-by-line solvers; plain C, the same on every instruction set. */
#include "CMFKernels.h"
#include <string.h>

/* How many entries ahead a factor row is prefetched. */
#define MFK_GATHER_AHEAD 8

void mfk_gather_design(const int32_t *index, const float *value, size_t count, const float *factors, size_t stride, int k,
                       const float *bias, float offset, float *x, size_t x_stride, float *y) {
    for (size_t entry = 0; entry < count; entry++) {
        if (entry + MFK_GATHER_AHEAD < count) {
            const float *ahead = factors + (size_t)index[entry + MFK_GATHER_AHEAD] * stride;
            for (size_t offset_floats = 0; offset_floats < (size_t)k; offset_floats += 16) __builtin_prefetch(ahead + offset_floats);
            __builtin_prefetch(bias + index[entry + MFK_GATHER_AHEAD]);
        }
        const size_t other = (size_t)index[entry];
        float *row = x + entry * x_stride;
        const float *source = factors + other * stride;
        for (size_t chunk = 0; chunk < (size_t)k; chunk += 16) memcpy(row + chunk, source + chunk, 16 * sizeof(float));
        row[k] = 1.0f;
        y[entry] = value[entry] - offset - bias[other];
    }
}
