/* swap.h - a swap file made for one run: created, formatted with mkswap, switched on,
 * and switched off and deleted afterwards. */
#ifndef MPH_SWAP_H
#define MPH_SWAP_H

#include <stdint.h>

/* Create path (which must not exist) of size bytes, mkswap it, swapon it. On failure
 * whatever was made is removed again. -errno, with a message in err. */
int swap_add(const char *path, uint64_t size, char *err, unsigned errlen);
/* swapoff (if active) and unlink; missing file or inactive swap are not errors. */
int swap_remove(const char *path);

#endif
