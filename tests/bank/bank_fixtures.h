/* Test fixtures for the bank tests: temp folders and images written for real. */
#ifndef STRATA_TEST_BANK_FIXTURES_H
#define STRATA_TEST_BANK_FIXTURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A fresh folder under /tmp; the caller removes it with fx_rmtree. */
void fx_tempdir(char *out, size_t cap);
void fx_rmtree(const char *dir);
/* Solid colour (r, g, b) image, w x h, with a small gradient so encoders work. */
void fx_fill(uint8_t *rgba, int w, int h, int r, int g, int b);
bool fx_write_png(const char *path, const uint8_t *rgba, int w, int h);
bool fx_write_jpg(const char *path, const uint8_t *rgba, int w, int h);
bool fx_write_webp(const char *path, const uint8_t *rgba, int w, int h);
bool fx_write_bytes(const char *path, const void *data, size_t len);
/* Whole file into a malloc'd buffer. */
uint8_t *fx_read(const char *path, size_t *len);
/* Recompute every section checksum, the whole-file checksum and the header checksum of
 * a packed bank held in memory, so structural damage reaches the deeper checks. */
void fx_fix_checksums(uint8_t *file, size_t len);

#endif
