/* Reading and validating packed bank files (pread into owned buffers, never mmap: a
 * bank rewritten in place while it plays used to end the process with SIGBUS). Every
 * offset and size is checked against the file length with overflow-safe arithmetic
 * before anything is read. */
#include "bank_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const section_names[SEC_COUNT] = {
    "index",      "names",   "images",     "thumbnails",   "features",
    "neighbours", "latents", "colour map", "neural shape", "provenance",
};

static uint32_t header_crc(const uint8_t *head)
{
    uint8_t tmp[BANK_DATA_START];
    memcpy(tmp, head, sizeof tmp);
    memset(tmp + offsetof(bank_header, header_crc), 0, 4);
    return strata_bank_crc32(0, tmp, sizeof tmp);
}

strata_status strata_bank_pack_read(const bank_pack *p, uint64_t off, void *dst, size_t len,
                                    strata_result *r)
{
    uint8_t *d = dst;
    while (len > 0) {
        ssize_t got = pread(p->fd, d, len, (off_t)off);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return strata_fail(r, STRATA_ERR_IO, "%s: read at %llu: %s", p->path,
                               (unsigned long long)off, strerror(errno));
        if (got == 0) {
            struct stat st;
            long long now = fstat(p->fd, &st) == 0 ? (long long)st.st_size : -1;
            return strata_fail(r, STRATA_ERR_IO,
                               "%s: changed on disk while open (now %lld bytes, was %zu)", p->path,
                               now, p->size);
        }
        d += got;
        off += (uint64_t)got;
        len -= (size_t)got;
    }
    return STRATA_OK;
}

/* crc of len bytes at off, read in pieces (sections not held in memory). */
static strata_status crc_range(const bank_pack *p, uint64_t off, uint64_t len, uint32_t *crc,
                               strata_result *r)
{
    enum { PIECE = 1 << 20 };
    uint8_t *buf = malloc(len < PIECE ? (size_t)len + 1 : PIECE);
    if (!buf)
        return strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory", p->path);
    uint32_t c = 0;
    strata_status s = STRATA_OK;
    while (s == STRATA_OK && len > 0) {
        size_t n = len < PIECE ? (size_t)len : PIECE;
        s = strata_bank_pack_read(p, off, buf, n, r);
        if (s == STRATA_OK)
            c = strata_bank_crc32(c, buf, n);
        off += n;
        len -= n;
    }
    free(buf);
    *crc = c;
    return s;
}

static strata_status check_header(bank_pack *p, const uint8_t *head, strata_result *r)
{
    const bank_header *h = &p->h;
    const char *f = p->path;
    if (memcmp(h->magic, BANK_MAGIC, 8) != 0)
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: wrong magic (not a strata bank)", f);
    if (h->version != BANK_VERSION)
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: unsupported bank version %u (want %u)", f,
                           h->version, BANK_VERSION);
    if (header_crc(head) != h->header_crc)
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: header checksum mismatch", f);
    if (h->file_size != p->size)
        return strata_fail(r, STRATA_ERR_FORMAT,
                           "%s: truncated or extended: header says %llu bytes, file has %zu", f,
                           (unsigned long long)h->file_size, p->size);
    if (h->kind != STRATA_BANK_IMAGE && h->kind != STRATA_BANK_LATENT &&
        h->kind != STRATA_BANK_NEURAL)
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: unknown bank kind %u", f, h->kind);
    if (h->count < 1 || h->count > BANK_MAX_COUNT)
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: absurd keyframe count %u", f, h->count);
    bool latent = h->kind == STRATA_BANK_LATENT, neural = h->kind == STRATA_BANK_NEURAL;
    uint32_t max_dim = latent ? STRATA_CPPN_MAX_DIM : neural ? 32 * 128 * 128 : 0;
    if ((latent || neural) ? (h->dim < 1 || h->dim > max_dim) : h->dim != 0)
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: absurd latent dimension %u", f, h->dim);
    if (h->thumb_w < 8 || h->thumb_w > 256 || h->thumb_h < 8 || h->thumb_h > 256)
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: absurd thumbnail size %ux%u", f, h->thumb_w,
                           h->thumb_h);
    bool feat_ok = neural
                       ? (h->feat_dim == 4 * 16 || h->feat_dim == 16 * 16 || h->feat_dim == 32 * 16)
                       : h->feat_dim == BANK_FEAT_DIM;
    if (!feat_ok || h->knn_k > 64)
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: absurd feature size %u or k %u", f,
                           h->feat_dim, h->knn_k);
    return STRATA_OK;
}

static strata_status check_sections(bank_pack *p, strata_result *r)
{
    const bank_header *h = &p->h;
    uint64_t n = h->count;
    bool latent = h->kind == STRATA_BANK_LATENT, neural = h->kind == STRATA_BANK_NEURAL;
    /* n <= 2^24 and every factor below 2^20: no product overflows. */
    uint64_t want[SEC_COUNT] = {
        [SEC_INDEX] = n * sizeof(bank_entry),
        [SEC_THUMBS] = n * h->thumb_w * h->thumb_h * 4,
        [SEC_FEATURES] = n * h->feat_dim * 4,
        [SEC_KNN] = n * h->knn_k * 4,
        [SEC_LATENTS] = latent   ? n * h->dim * 4
                        : neural ? n * h->dim * 2
                                 : 0,
        [SEC_COLOUR] = latent ? 12 * 4 : 0,
        [SEC_NEURAL] = neural ? sizeof(bank_neural_desc) : 0,
    };
    for (int s = 0; s < BANK_SECTIONS; s++) {
        const bank_section_entry *e = &p->sec[s];
        if (s >= SEC_COUNT) {
            if (e->offset || e->size)
                return strata_fail(r, STRATA_ERR_FORMAT, "%s: unknown section %d", p->path, s);
            continue;
        }
        const char *nm = section_names[s];
        /* Banks written before neural banks existed have no entry for the new sections;
         * an all-zero entry is an empty section (a neural bank's are never empty). */
        if (s >= SEC_NEURAL && !neural && !e->offset && !e->size && !e->crc)
            continue;
        if (e->offset < BANK_DATA_START || e->offset > p->size || e->size > p->size - e->offset)
            return strata_fail(r, STRATA_ERR_FORMAT,
                               "%s: %s section at %llu+%llu lies outside the file (%zu bytes)",
                               p->path, nm, (unsigned long long)e->offset,
                               (unsigned long long)e->size, p->size);
        if (e->offset % 8 != 0)
            return strata_fail(r, STRATA_ERR_FORMAT, "%s: %s section misaligned", p->path, nm);
        bool sized = s != SEC_DATA && s != SEC_NAMES && !(neural && s == SEC_PROVENANCE);
        if (sized && e->size != want[s])
            return strata_fail(r, STRATA_ERR_FORMAT, "%s: %s section is %llu bytes, want %llu",
                               p->path, nm, (unsigned long long)e->size,
                               (unsigned long long)want[s]);
    }
    if (latent && p->sec[SEC_DATA].size != 0)
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: latent set with image data", p->path);
    if (neural && p->sec[SEC_PROVENANCE].size < n * sizeof(bank_prov))
        return strata_fail(r, STRATA_ERR_FORMAT,
                           "%s: provenance section is %llu bytes, want at least %llu", p->path,
                           (unsigned long long)p->sec[SEC_PROVENANCE].size,
                           (unsigned long long)(n * sizeof(bank_prov)));
    if (p->sec[SEC_NAMES].size == 0)
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: names section not terminated", p->path);
    return STRATA_OK;
}

/* Read the sections in mask into owned buffers (sizes were checked against the file). */
static strata_status load_sections(bank_pack *p, uint32_t mask, strata_result *r)
{
    for (int s = 0; s < SEC_COUNT; s++) {
        if (!(mask & (1u << s)) || p->data[s])
            continue;
        const bank_section_entry *e = &p->sec[s];
        if (!(p->data[s] = malloc(e->size ? (size_t)e->size : 1)))
            return strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory for the %s (%llu bytes)",
                               p->path, section_names[s], (unsigned long long)e->size);
        strata_status st = strata_bank_pack_read(p, e->offset, p->data[s], (size_t)e->size, r);
        if (st != STRATA_OK)
            return st;
    }
    const uint8_t *names = p->data[SEC_NAMES];
    if (names[p->sec[SEC_NAMES].size - 1] != 0)
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: names section not terminated", p->path);
    return STRATA_OK;
}

static strata_status check_crcs(bank_pack *p, uint32_t mask, strata_result *r)
{
    for (int s = 0; s < SEC_COUNT; s++) {
        if (!(mask & (1u << s)))
            continue;
        const bank_section_entry *e = &p->sec[s];
        uint32_t crc;
        if (p->data[s]) {
            crc = strata_bank_crc32(0, p->data[s], e->size);
        } else {
            strata_status st = crc_range(p, e->offset, e->size, &crc, r);
            if (st != STRATA_OK)
                return st;
        }
        if (crc != e->crc)
            return strata_fail(r, STRATA_ERR_FORMAT, "%s: %s section checksum mismatch", p->path,
                               section_names[s]);
    }
    return STRATA_OK;
}

static strata_status check_index(bank_pack *p, strata_result *r)
{
    const bank_entry *idx = bank_sec(p, SEC_INDEX);
    uint64_t dsize = p->sec[SEC_DATA].size, nsize = p->sec[SEC_NAMES].size;
    bool image = p->h.kind != STRATA_BANK_LATENT; /* neural banks hold previews */
    bool neural = p->h.kind == STRATA_BANK_NEURAL;
    uint32_t pw = 8u * (uint32_t)p->neural.lw, ph = 8u * (uint32_t)p->neural.lh;
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
        if (neural && (e.width != pw || e.height != ph || e.format != BANK_FMT_PNG))
            return strata_fail(r, STRATA_ERR_FORMAT,
                               "%s: keyframe %u: preview %ux%u (format %u), want a %ux%u PNG",
                               p->path, i, e.width, e.height, e.format, pw, ph);
    }
    return STRATA_OK;
}

/* Provenance: count x bank_prov, then texts, each followed by a NUL and free of NULs. */
static strata_status check_provenance(const bank_pack *p, strata_result *r)
{
    const uint8_t *sec = bank_sec(p, SEC_PROVENANCE);
    uint64_t n = p->h.count, tsize = p->sec[SEC_PROVENANCE].size - n * sizeof(bank_prov);
    const char *text = (const char *)sec + n * sizeof(bank_prov);
    for (uint32_t i = 0; i < p->h.count; i++) {
        bank_prov e;
        memcpy(&e, sec + (size_t)i * sizeof e, sizeof e);
        if (e.length == 0 && e.offset == 0)
            continue;
        if (e.length == 0 || e.offset >= tsize || e.length > tsize - e.offset - 1)
            return strata_fail(r, STRATA_ERR_FORMAT,
                               "%s: keyframe %u: provenance at %llu+%llu outside its %llu bytes",
                               p->path, i, (unsigned long long)e.offset,
                               (unsigned long long)e.length, (unsigned long long)tsize);
        if (text[e.offset + e.length] != 0 || memchr(text + e.offset, 0, (size_t)e.length))
            return strata_fail(r, STRATA_ERR_FORMAT,
                               "%s: keyframe %u: provenance text not NUL-terminated", p->path, i);
    }
    return STRATA_OK;
}

/* The shape (always read for neural banks) against the header; the latents and the
 * provenance when they were read. */
static strata_status check_neural(bank_pack *p, strata_result *r)
{
    bank_neural_desc d;
    memcpy(&d, bank_sec(p, SEC_NEURAL), sizeof d);
    if (d.reserved != 0 || d.channels > 64 || d.lh > 1024 || d.lw > 1024)
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: absurd neural shape %ux%ux%u", p->path,
                           d.channels, d.lh, d.lw);
    strata_bank_neural_shape *s = &p->neural;
    *s = (strata_bank_neural_shape){(int)d.channels, (int)d.lh, (int)d.lw, "", ""};
    memcpy(s->family, d.family, sizeof s->family);
    memcpy(s->format, d.format, sizeof s->format);
    if (!strata_bank_neural_shape_check(s, p->path, r))
        return STRATA_ERR_FORMAT;
    if (d.channels * d.lh * d.lw != p->h.dim ||
        p->h.feat_dim != d.channels * BANK_NEURAL_POOL * BANK_NEURAL_POOL)
        return strata_fail(r, STRATA_ERR_FORMAT,
                           "%s: header (dim %u, features %u) disagrees with the latent shape "
                           "%ux%ux%u",
                           p->path, p->h.dim, p->h.feat_dim, d.channels, d.lh, d.lw);
    const uint16_t *lat = bank_sec(p, SEC_LATENTS);
    uint64_t total = (uint64_t)p->h.count * p->h.dim;
    for (uint64_t i = 0; lat && i < total; i++)
        if ((lat[i] & 0x7c00u) == 0x7c00u)
            return strata_fail(r, STRATA_ERR_FORMAT,
                               "%s: keyframe %llu: latent value %llu is not finite (fp16 0x%04x)",
                               p->path, (unsigned long long)(i / p->h.dim),
                               (unsigned long long)(i % p->h.dim), lat[i]);
    return bank_sec(p, SEC_PROVENANCE) ? check_provenance(p, r) : STRATA_OK;
}

strata_status strata_bank_pack_open(bank_pack *p, const char *path, uint32_t load_mask,
                                    uint32_t check_mask, strata_result *r)
{
    memset(p, 0, sizeof *p);
    p->path = path;
    p->fd = strata_file_open_read(path, r);
    if (p->fd < 0)
        return r ? r->status : STRATA_ERR_IO;
    struct stat st = {0};
    if (fstat(p->fd, &st) != 0 || (uint64_t)st.st_size < BANK_DATA_START) {
        strata_bank_pack_close(p);
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: truncated (%lld bytes, header needs %d)",
                           path, (long long)st.st_size, BANK_DATA_START);
    }
    p->size = (size_t)st.st_size;
    uint8_t head[BANK_DATA_START];
    strata_status s = strata_bank_pack_read(p, 0, head, sizeof head, r);
    if (s == STRATA_OK) {
        memcpy(&p->h, head, sizeof p->h);
        memcpy(p->sec, head + BANK_TABLE_OFFSET, sizeof p->sec);
        s = check_header(p, head, r);
    }
    if (s == STRATA_OK)
        s = check_sections(p, r);
    bool neural = p->h.kind == STRATA_BANK_NEURAL;
    /* The shape is needed to read anything else; every section read is checked. */
    uint32_t always = (1u << SEC_INDEX) | (1u << SEC_NAMES) | (neural ? 1u << SEC_NEURAL : 0);
    if (!neural)
        load_mask &= ~(1u << SEC_PROVENANCE); /* empty elsewhere */
    if (s == STRATA_OK)
        s = load_sections(p, load_mask | always, r);
    if (s == STRATA_OK)
        s = check_crcs(p, check_mask | load_mask | always, r);
    if (s == STRATA_OK && neural)
        s = check_neural(p, r);
    if (s == STRATA_OK)
        s = check_index(p, r);
    if (s != STRATA_OK)
        strata_bank_pack_close(p);
    return s;
}

void strata_bank_pack_close(bank_pack *p)
{
    if (p->fd >= 0)
        close(p->fd);
    p->fd = -1;
    for (int s = 0; s < SEC_COUNT; s++) {
        free(p->data[s]);
        p->data[s] = NULL;
    }
}

/* Every keyframe's provenance parses as a JSON object (the writer refuses anything else). */
static strata_status verify_provenance(const bank_pack *p, strata_result *r)
{
    const uint8_t *sec = bank_sec(p, SEC_PROVENANCE);
    const char *text = (const char *)sec + (size_t)p->h.count * sizeof(bank_prov);
    const bank_entry *idx = bank_sec(p, SEC_INDEX);
    for (uint32_t i = 0; i < p->h.count; i++) {
        bank_prov e;
        memcpy(&e, sec + (size_t)i * sizeof e, sizeof e);
        if (e.length == 0)
            continue;
        json_error_t err;
        json_t *j = json_loadb(text + e.offset, (size_t)e.length, JSON_DECODE_ANY, &err);
        bool parsed = j != NULL, obj = json_is_object(j);
        json_decref(j);
        if (!obj) {
            bank_entry ie;
            memcpy(&ie, &idx[i], sizeof ie);
            return strata_fail(r, STRATA_ERR_FORMAT,
                               "%s: keyframe %u (%.80s): provenance is not a JSON object%s%s",
                               p->path, i, (const char *)bank_sec(p, SEC_NAMES) + ie.name_offset,
                               parsed ? "" : ": ", parsed ? "" : err.text);
        }
    }
    return STRATA_OK;
}

strata_status strata_bank_verify(const char *path, strata_result *r)
{
    if (strata_file_is_dir(path))
        return strata_fail(r, STRATA_ERR_ARG, "%s: a folder, not a packed bank", path);
    bank_pack p;
    uint32_t all = (1u << SEC_COUNT) - 1;
    /* Latents and provenance are read: their values and layout are checked at open. */
    uint32_t load = (1u << SEC_KNN) | (1u << SEC_LATENTS) | (1u << SEC_PROVENANCE);
    strata_status s = strata_bank_pack_open(&p, path, load, all, r);
    if (s != STRATA_OK)
        return s;
    uint32_t whole = 0;
    s = crc_range(&p, BANK_DATA_START, p.size - BANK_DATA_START, &whole, r);
    if (s == STRATA_OK && whole != p.h.whole_crc)
        s = strata_fail(r, STRATA_ERR_FORMAT, "%s: whole-file checksum mismatch", path);
    const bank_entry *idx = bank_sec(&p, SEC_INDEX);
    uint64_t data = p.sec[SEC_DATA].offset;
    for (uint32_t i = 0; s == STRATA_OK && p.h.kind != STRATA_BANK_LATENT && i < p.h.count; i++) {
        bank_entry e;
        memcpy(&e, &idx[i], sizeof e);
        uint32_t crc = 0;
        s = crc_range(&p, data + e.data_offset, e.data_size, &crc, r);
        if (s == STRATA_OK && crc != e.data_crc)
            s = strata_fail(r, STRATA_ERR_FORMAT, "%s: keyframe %u (%s): image checksum mismatch",
                            path, i, (const char *)bank_sec(&p, SEC_NAMES) + e.name_offset);
    }
    const int32_t *knn = bank_sec(&p, SEC_KNN);
    for (uint64_t i = 0; s == STRATA_OK && i < (uint64_t)p.h.count * p.h.knn_k; i++)
        if (knn[i] < -1 || knn[i] >= (int32_t)p.h.count)
            s = strata_fail(r, STRATA_ERR_FORMAT, "%s: neighbour graph points outside the bank",
                            path);
    if (s == STRATA_OK && p.h.kind == STRATA_BANK_NEURAL)
        s = verify_provenance(&p, r);
    strata_bank_pack_close(&p);
    return s;
}

strata_status strata_bank_read_info(const char *path, strata_bank_info *info, strata_result *r)
{
    bank_pack p;
    strata_status s = strata_bank_pack_open(&p, path, 0, 0, r);
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
        .neural = p.neural, /* zero for other kinds */
    };
    strata_bank_pack_close(&p);
    return STRATA_OK;
}
