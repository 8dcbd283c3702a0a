/* Reading and validating packed bank files (mmap). Every offset and size is checked
 * against the file length with overflow-safe arithmetic before anything is read. */
#include "bank_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const section_names[SEC_COUNT] = {
    "index", "names", "images", "thumbnails", "features", "neighbours", "latents", "colour map",
};

static uint32_t header_crc(const uint8_t *base)
{
    uint8_t tmp[BANK_DATA_START];
    memcpy(tmp, base, sizeof tmp);
    memset(tmp + offsetof(bank_header, header_crc), 0, 4);
    return strata_bank_crc32(0, tmp, sizeof tmp);
}

static strata_status check_header(bank_pack *p, strata_result *r)
{
    const bank_header *h = &p->h;
    const char *f = p->path;
    if (memcmp(h->magic, BANK_MAGIC, 8) != 0)
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: wrong magic (not a strata bank)", f);
    if (h->version != BANK_VERSION)
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: unsupported bank version %u (want %u)", f,
                           h->version, BANK_VERSION);
    if (header_crc(p->base) != h->header_crc)
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: header checksum mismatch", f);
    if (h->file_size != p->size)
        return strata_fail(r, STRATA_ERR_FORMAT,
                           "%s: truncated or extended: header says %llu bytes, file has %zu", f,
                           (unsigned long long)h->file_size, p->size);
    if (h->kind != STRATA_BANK_IMAGE && h->kind != STRATA_BANK_LATENT)
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: unknown bank kind %u", f, h->kind);
    if (h->count < 1 || h->count > BANK_MAX_COUNT)
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: absurd keyframe count %u", f, h->count);
    bool latent = h->kind == STRATA_BANK_LATENT;
    if (latent ? (h->dim < 1 || h->dim > STRATA_CPPN_MAX_DIM) : h->dim != 0)
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: absurd latent dimension %u", f, h->dim);
    if (h->thumb_w < 8 || h->thumb_w > 256 || h->thumb_h < 8 || h->thumb_h > 256)
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: absurd thumbnail size %ux%u", f, h->thumb_w,
                           h->thumb_h);
    if (h->feat_dim != BANK_FEAT_DIM || h->knn_k > 64)
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: absurd feature size %u or k %u", f,
                           h->feat_dim, h->knn_k);
    return STRATA_OK;
}

static strata_status check_sections(bank_pack *p, strata_result *r)
{
    const bank_header *h = &p->h;
    uint64_t n = h->count;
    bool latent = h->kind == STRATA_BANK_LATENT;
    uint64_t want[SEC_COUNT] = {
        [SEC_INDEX] = n * sizeof(bank_entry),        [SEC_THUMBS] = n * h->thumb_w * h->thumb_h * 4,
        [SEC_FEATURES] = n * h->feat_dim * 4,        [SEC_KNN] = n * h->knn_k * 4,
        [SEC_LATENTS] = latent ? n * h->dim * 4 : 0, [SEC_COLOUR] = latent ? 12 * 4 : 0,
    };
    for (int s = 0; s < BANK_SECTIONS; s++) {
        const bank_section_entry *e = &p->sec[s];
        if (s >= SEC_COUNT) {
            if (e->offset || e->size)
                return strata_fail(r, STRATA_ERR_FORMAT, "%s: unknown section %d", p->path, s);
            continue;
        }
        const char *nm = section_names[s];
        if (e->offset < BANK_DATA_START || e->offset > p->size || e->size > p->size - e->offset)
            return strata_fail(r, STRATA_ERR_FORMAT,
                               "%s: %s section at %llu+%llu lies outside the file (%zu bytes)",
                               p->path, nm, (unsigned long long)e->offset,
                               (unsigned long long)e->size, p->size);
        if (e->offset % 8 != 0)
            return strata_fail(r, STRATA_ERR_FORMAT, "%s: %s section misaligned", p->path, nm);
        if (s != SEC_DATA && s != SEC_NAMES && e->size != want[s])
            return strata_fail(r, STRATA_ERR_FORMAT, "%s: %s section is %llu bytes, want %llu",
                               p->path, nm, (unsigned long long)e->size,
                               (unsigned long long)want[s]);
    }
    if (latent && p->sec[SEC_DATA].size != 0)
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: latent set with image data", p->path);
    const bank_section_entry *ns = &p->sec[SEC_NAMES];
    if (ns->size == 0 || p->base[ns->offset + ns->size - 1] != 0)
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: names section not terminated", p->path);
    return STRATA_OK;
}

static strata_status check_crcs(bank_pack *p, uint32_t mask, strata_result *r)
{
    for (int s = 0; s < SEC_COUNT; s++) {
        if (!(mask & (1u << s)))
            continue;
        const bank_section_entry *e = &p->sec[s];
        if (strata_bank_crc32(0, p->base + e->offset, e->size) != e->crc)
            return strata_fail(r, STRATA_ERR_FORMAT, "%s: %s section checksum mismatch", p->path,
                               section_names[s]);
    }
    return STRATA_OK;
}

static strata_status check_index(bank_pack *p, strata_result *r)
{
    const bank_entry *idx = bank_sec(p, SEC_INDEX);
    uint64_t dsize = p->sec[SEC_DATA].size, nsize = p->sec[SEC_NAMES].size;
    bool image = p->h.kind == STRATA_BANK_IMAGE;
    for (uint32_t i = 0; i < p->h.count; i++) {
        bank_entry e;
        memcpy(&e, &idx[i], sizeof e);
        if (e.name_offset >= nsize)
            return strata_fail(r, STRATA_ERR_FORMAT, "%s: keyframe %u: name past the end", p->path,
                               i);
        if (!image)
            continue;
        if (e.data_size == 0)
            return strata_fail(r, STRATA_ERR_FORMAT, "%s: keyframe %u: 0-byte image", p->path, i);
        if (e.data_offset > dsize || e.data_size > dsize - e.data_offset)
            return strata_fail(r, STRATA_ERR_FORMAT,
                               "%s: keyframe %u: image at %llu+%u past the end of the data",
                               p->path, i, (unsigned long long)e.data_offset, e.data_size);
        if (e.width < 1 || e.height < 1 || e.width > BANK_MAX_SIDE || e.height > BANK_MAX_SIDE)
            return strata_fail(r, STRATA_ERR_FORMAT, "%s: keyframe %u: absurd size %ux%u", p->path,
                               i, e.width, e.height);
        if (e.format < BANK_FMT_PNG || e.format > BANK_FMT_WEBP)
            return strata_fail(r, STRATA_ERR_FORMAT, "%s: keyframe %u: unknown format %u", p->path,
                               i, e.format);
    }
    return STRATA_OK;
}

strata_status strata_bank_pack_open(bank_pack *p, const char *path, uint32_t check_mask,
                                    strata_result *r)
{
    memset(p, 0, sizeof *p);
    p->path = path;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return strata_fail(r, STRATA_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return strata_fail(r, STRATA_ERR_IO, "%s: not a regular file", path);
    }
    if ((uint64_t)st.st_size < BANK_DATA_START) {
        close(fd);
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: truncated (%lld bytes, header needs %d)",
                           path, (long long)st.st_size, BANK_DATA_START);
    }
    p->size = (size_t)st.st_size;
    void *m = mmap(NULL, p->size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return strata_fail(r, STRATA_ERR_IO, "%s: mmap: %s", path, strerror(errno));
    p->base = m;
    memcpy(&p->h, p->base, sizeof p->h);
    memcpy(p->sec, p->base + BANK_TABLE_OFFSET, sizeof p->sec);
    strata_status s = check_header(p, r);
    if (s == STRATA_OK)
        s = check_sections(p, r);
    if (s == STRATA_OK)
        s = check_crcs(p, check_mask | (1u << SEC_INDEX), r);
    if (s == STRATA_OK)
        s = check_index(p, r);
    if (s != STRATA_OK) {
        strata_bank_pack_close(p);
        return s;
    }
    /* Keyframes are read in traversal order, not file order: don't read ahead. */
    madvise((void *)p->base, p->size, MADV_RANDOM);
    return STRATA_OK;
}

void strata_bank_pack_close(bank_pack *p)
{
    if (p->base)
        munmap((void *)p->base, p->size);
    p->base = NULL;
}

strata_status strata_bank_verify(const char *path, strata_result *r)
{
    if (strata_file_is_dir(path))
        return strata_fail(r, STRATA_ERR_ARG, "%s: a folder, not a packed bank", path);
    bank_pack p;
    strata_status s = strata_bank_pack_open(&p, path, (1u << SEC_COUNT) - 1, r);
    if (s != STRATA_OK)
        return s;
    uint32_t whole = strata_bank_crc32(0, p.base + BANK_DATA_START, p.size - BANK_DATA_START);
    if (whole != p.h.whole_crc)
        s = strata_fail(r, STRATA_ERR_FORMAT, "%s: whole-file checksum mismatch", path);
    const bank_entry *idx = bank_sec(&p, SEC_INDEX);
    const uint8_t *data = bank_sec(&p, SEC_DATA);
    for (uint32_t i = 0; s == STRATA_OK && p.h.kind == STRATA_BANK_IMAGE && i < p.h.count; i++) {
        bank_entry e;
        memcpy(&e, &idx[i], sizeof e);
        if (strata_bank_crc32(0, data + e.data_offset, e.data_size) != e.data_crc)
            s = strata_fail(r, STRATA_ERR_FORMAT, "%s: keyframe %u (%s): image checksum mismatch",
                            path, i, (const char *)bank_sec(&p, SEC_NAMES) + e.name_offset);
    }
    const int32_t *knn = bank_sec(&p, SEC_KNN);
    for (uint64_t i = 0; s == STRATA_OK && i < (uint64_t)p.h.count * p.h.knn_k; i++)
        if (knn[i] < -1 || knn[i] >= (int32_t)p.h.count)
            s = strata_fail(r, STRATA_ERR_FORMAT, "%s: neighbour graph points outside the bank",
                            path);
    strata_bank_pack_close(&p);
    return s;
}

strata_status strata_bank_read_info(const char *path, strata_bank_info *info, strata_result *r)
{
    bank_pack p;
    strata_status s = strata_bank_pack_open(&p, path, 0, r);
    if (s != STRATA_OK)
        return s;
    *info = (strata_bank_info){
        .version = p.h.version,
        .kind = (strata_bank_type)p.h.kind,
        .count = (int)p.h.count,
        .dim = (int)p.h.dim,
        .thumb_w = (int)p.h.thumb_w,
        .thumb_h = (int)p.h.thumb_h,
        .feat_dim = (int)p.h.feat_dim,
        .knn_k = (int)p.h.knn_k,
        .seed = p.h.seed,
        .file_size = p.size,
        .image_bytes = p.sec[SEC_DATA].size,
    };
    strata_bank_pack_close(&p);
    return STRATA_OK;
}
