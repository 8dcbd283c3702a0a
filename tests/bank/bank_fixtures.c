/* Fixtures shared by the bank tests. */
#include "bank_fixtures.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stb/stb_image_write.h>
#include <webp/encode.h>

#include "bank/bank_internal.h"

void fx_tempdir(char *out, size_t cap)
{
    snprintf(out, cap, "/tmp/strata-bank-test-XXXXXX");
    if (!mkdtemp(out))
        abort();
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    return remove(path);
}

void fx_rmtree(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void fx_fill(uint8_t *p, int w, int h, int r, int g, int b)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *q = p + ((size_t)y * w + x) * 4;
            q[0] = (uint8_t)r;
            q[1] = (uint8_t)g;
            q[2] = (uint8_t)b;
            q[3] = 255;
        }
}

bool fx_write_png(const char *path, const uint8_t *rgba, int w, int h)
{
    return stbi_write_png(path, w, h, 4, rgba, w * 4) != 0;
}

bool fx_write_jpg(const char *path, const uint8_t *rgba, int w, int h)
{
    return stbi_write_jpg(path, w, h, 4, rgba, 95) != 0;
}

bool fx_write_webp(const char *path, const uint8_t *rgba, int w, int h)
{
    uint8_t *out = NULL;
    size_t n = WebPEncodeLosslessRGBA(rgba, w, h, w * 4, &out);
    bool ok = n > 0 && fx_write_bytes(path, out, n);
    WebPFree(out);
    return ok;
}

bool fx_write_bytes(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    bool ok = fwrite(data, 1, len, f) == len;
    return (fclose(f) == 0) && ok;
}

uint8_t *fx_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    uint8_t *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

void fx_fix_checksums(uint8_t *file, size_t len)
{
    if (len < BANK_DATA_START)
        return;
    bank_section_entry sec[BANK_SECTIONS];
    memcpy(sec, file + BANK_TABLE_OFFSET, sizeof sec);
    for (int s = 0; s < BANK_SECTIONS; s++)
        if (sec[s].offset <= len && sec[s].size <= len - sec[s].offset)
            sec[s].crc = strata_bank_crc32(0, file + sec[s].offset, sec[s].size);
    memcpy(file + BANK_TABLE_OFFSET, sec, sizeof sec);
    bank_header h;
    memcpy(&h, file, sizeof h);
    h.whole_crc = strata_bank_crc32(0, file + BANK_DATA_START, len - BANK_DATA_START);
    h.header_crc = 0;
    memcpy(file, &h, sizeof h);
    h.header_crc = strata_bank_crc32(0, file, BANK_DATA_START);
    memcpy(file, &h, sizeof h);
}
