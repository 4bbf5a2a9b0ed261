/* Numbers to text through C's printf, called from Swift with a typed argument: Foundation's
 * String(format:) takes its arguments as CVarArg existentials, and the first cast of each
 * kind searches every protocol conformance the process has loaded (a few hundred
 * microseconds, paid inside whichever stage formats a number first). */
#include "CNumberText.h"
#include <stdio.h>

int mfn_format_double(char *buffer, size_t size, const char *format, double value) {
    return snprintf(buffer, size, format, value);
}
