/* pagecache.h - the pure pieces of the pagecache workload, exported for its unit
 * tests: the block order of a random pass, where a block lies, and how many of a
 * file's pages are in the page cache. */
#ifndef MPH_PAGECACHE_H
#define MPH_PAGECACHE_H

#include <stdint.h>

/* A permutation of 0..n-1 in constant memory: a full-period LCG modulo the next
 * power of two (Hull-Dobell: multiplier 1 mod 4, odd increment), each state passed
 * through a bijective scramble, values >= n skipped. Every value comes exactly once
 * per n calls; after n calls the same order starts again. */
struct blk_perm {
	uint64_t n, mask, x, c;
	unsigned shift;
};
void blk_perm_init(struct blk_perm *p, uint64_t n, uint64_t seed);
uint64_t blk_perm_next(struct blk_perm *p);

/* Block g of `files` files of size bytes each cut into blocks of block bytes (the
 * last block of a file may be shorter): which file, at what offset, how long. */
struct blk_loc {
	uint64_t file, off, len;
};
uint64_t blk_per_file(uint64_t size, uint64_t block);
struct blk_loc blk_locate(uint64_t g, uint64_t size, uint64_t block);

/* Pages of the open file fd (size bytes) present in the page cache (mmap + mincore,
 * in bounded windows, so the count itself costs little memory). 0 or -errno. */
int file_resident_pages(int fd, uint64_t size, uint64_t *pages);

#endif
