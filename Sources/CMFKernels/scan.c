/* The ranking selection's scan; plain C, the same on every instruction set. */
#include "CMFKernels.h"

size_t mfk_first_above(const float *keys, size_t count, float threshold) {
    size_t first = 0;
    /* Sixteen keys compared at once (the compiler turns the block into vector compares);
       the block holding a key above the threshold is then searched key by key. */
    for (; first + 16 <= count; first += 16) {
        int above = 0;
        for (size_t lane = 0; lane < 16; lane++) above |= keys[first + lane] > threshold;
        if (above) break;
    }
    for (; first < count; first++) {
        if (keys[first] > threshold) return first;
    }
    return count;
}
