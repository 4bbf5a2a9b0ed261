#ifndef CNUMBERTEXT_H
#define CNUMBERTEXT_H

#include <stddef.h>

/* One double written by C's printf: `format` holds exactly one double conversion ("%.4f",
 * "%#.4g"). Returns what snprintf returns: the length the text needs, which is at least
 * `size` when `buffer` was too small (the text is then cut short and still terminated). */
int mfn_format_double(char *buffer, size_t size, const char *format, double value);

#endif
