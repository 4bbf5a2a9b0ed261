#ifndef MFPIPE_LIBFUZZER_H
#define MFPIPE_LIBFUZZER_H
#include <stddef.h>
#include <stdint.h>

/* libFuzzer's driver (compiler-rt, linked by -sanitize=fuzzer): parses libFuzzer's
   command line and fuzzes `callback`. Called from the fuzz executable's own main, since a
   SwiftPM executable always brings its main. */
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
