/* Internal to engine/bank: image decoding, the packed file layout, shared helpers. */
#ifndef STRATA_BANK_INTERNAL_H
#define STRATA_BANK_INTERNAL_H

#include "bank.h"

#include <stdint.h>
#include <stdio.h>

/* Images larger than this on a side, or with more pixels than MAX_PIXELS, are refused
 * before decoding (a hostile header must not make us allocate gigabytes). */
#define BANK_MAX_SIDE 16384
#define BANK_MAX_PIXELS (64u * 1024u * 1024u)
#define BANK_MAX_COUNT (1 << 24)
#define BANK_FEAT_DIM 76 /* 8x8 luma grid + 2x2 quadrant mean RGB */
#define BANK_KNN_K 8

uint64_t strata_bank_splitmix64(uint64_t *state);
uint32_t strata_bank_crc32(uint32_t crc, const void *data, size_t len);

typedef enum bank_format {
    BANK_FMT_UNKNOWN,
    BANK_FMT_PNG,
    BANK_FMT_JPEG,
    BANK_FMT_WEBP,
} bank_format;
bank_format strata_bank_sniff(const uint8_t *data, size_t len);
/* Decode to RGBA8 (malloc'd, free with free()). NULL with r filled on failure. */
uint8_t *strata_bank_decode(const uint8_t *data, size_t len, int *w, int *h, strata_result *r);
/* Fit or fill src into dst (dw x dh RGBA8), high quality (sRGB-aware) resampling. */
strata_status strata_bank_resample(const uint8_t *src, int sw, int sh, uint8_t *dst, int dw, int dh,
                                   strata_bank_fit fit, strata_result *r);
/* Feature vector (BANK_FEAT_DIM floats) from an RGBA8 thumbnail (tw, th >= 8). */
void strata_bank_features(const uint8_t *thumb, int tw, int th, float *feat);
/* k nearest neighbours by feature distance, self excluded, -1 when fewer exist. */
void strata_bank_knn(const float *feat, int n, int dim, int k, int threads, int32_t *out);
/* Image files in dir (png, jpg, jpeg, webp), natural order; names malloc'd. */
strata_status strata_bank_scan_dir(const char *dir, char ***names, int *count, strata_result *r);
void strata_bank_free_names(char **names, int count);

/* ---- packed file layout (little-endian) -------------------------------- *
 * [header 64 bytes][section table 16 x 24 bytes] then sections in any order.
 * header_crc covers the header and table with header_crc zeroed; whole_crc covers
 * every byte after the table. Each section has its own crc. */
#define BANK_MAGIC "STRATABK"
#define BANK_VERSION 1
#define BANK_HEADER_SIZE 64
#define BANK_SECTIONS 16
#define BANK_TABLE_OFFSET BANK_HEADER_SIZE
#define BANK_DATA_START (BANK_HEADER_SIZE + BANK_SECTIONS * 24)

enum bank_section {
    SEC_INDEX = 0,  /* count x bank_entry */
    SEC_NAMES,      /* NUL-terminated names */
    SEC_DATA,       /* encoded images (image banks) */
    SEC_THUMBS,     /* count x tw x th x 4 RGBA8 */
    SEC_FEATURES,   /* count x feat_dim float32 */
    SEC_KNN,        /* count x k int32 (-1 = none) */
    SEC_LATENTS,    /* latent sets: count x dim float32; neural banks: count x dim fp16
                       (dim = channels * lh * lw, [C][lh][lw] per keyframe) */
    SEC_COLOUR,     /* 12 float32: CPPN colour map (latent sets) */
    SEC_NEURAL,     /* neural banks: one bank_neural_desc */
    SEC_PROVENANCE, /* neural banks: count x bank_prov, then the texts (see below) */
    SEC_COUNT
};

typedef struct bank_header {
    char magic[8];
    uint32_t version;
    uint32_t kind;
    uint32_t count;
    uint32_t dim;
    uint32_t thumb_w, thumb_h;
    uint32_t feat_dim;
    uint32_t knn_k;
    uint64_t seed;
    uint64_t file_size;
    uint32_t header_crc;
    uint32_t whole_crc;
} bank_header;
_Static_assert(sizeof(bank_header) == BANK_HEADER_SIZE, "header layout");

typedef struct bank_section_entry {
    uint64_t offset, size;
    uint32_t crc;
    uint32_t reserved;
} bank_section_entry;
_Static_assert(sizeof(bank_section_entry) == 24, "section layout");

typedef struct bank_entry {
    uint64_t data_offset; /* within SEC_DATA */
    uint32_t data_size;
    uint32_t data_crc;
    uint32_t width, height; /* of the encoded image */
    uint32_t name_offset;   /* within SEC_NAMES */
    uint32_t format;        /* bank_format */
} bank_entry;
_Static_assert(sizeof(bank_entry) == 32, "entry layout");

/* Neural banks (kind STRATA_BANK_NEURAL) are image banks whose SEC_DATA holds each
 * keyframe's preview as a PNG of exactly 8lw x 8lh, plus:
 *   header dim = channels * lh * lw, feat_dim = channels * 16 (the latent average-pooled
 *   to 4x4 per channel: SEC_FEATURES holds these and the kNN is over them);
 *   SEC_LATENTS: fp16 little-endian, count x dim, no NaN or infinity;
 *   SEC_NEURAL: the shape below; family and format NUL-padded, family one of the three
 *   names for its channel count, format "" or [a-z0-9._-];
 *   SEC_PROVENANCE: count x bank_prov, then the texts: text i is length bytes at offset
 *   (from the start of the texts) followed by a NUL, with no NUL inside; length 0 means
 *   none (offset 0). The writer stores JSON objects; verify parses them.
 * Older readers refuse kind 3 and sections 8.. ("unknown bank kind"), so the version
 * stays 1: no file is misread either way. */
#define BANK_NEURAL_POOL 4 /* pooled grid side for the neighbour features */
typedef struct bank_neural_desc {
    uint32_t channels, lh, lw, reserved; /* reserved: 0 */
    char family[24];
    char format[24];
} bank_neural_desc;
_Static_assert(sizeof(bank_neural_desc) == 64, "neural desc layout");

typedef struct bank_prov {
    uint64_t offset, length;
} bank_prov;
_Static_assert(sizeof(bank_prov) == 16, "provenance entry layout");

/* Is shape one strata writes and reads? false with r naming what (prefix: who). */
bool strata_bank_neural_shape_check(const strata_bank_neural_shape *s, const char *who,
                                    strata_result *r);
/* The neighbour features of one latent (C x lh x lw floats): the mean of each channel
 * over a 4x4 grid of cells (a cell is at least one latent pixel), C*16 floats. */
void strata_bank_neural_pool(const float *latent, int c, int lh, int lw, float *out);

/* A packed bank is read with pread into buffers it owns, never mmapped: a file rewritten
 * or truncated while it plays must not kill the process with SIGBUS. The file stays open
 * (fd) for the images, which are read one keyframe at a time. */
typedef struct bank_pack {
    const char *path;
    int fd;      /* -1 when closed */
    size_t size; /* at open */
    bank_header h;
    bank_section_entry sec[BANK_SECTIONS];
    void *data[SEC_COUNT];           /* owned copies of the sections read at open; NULL: not read */
    strata_bank_neural_shape neural; /* neural banks: from SEC_NEURAL, checked */
} bank_pack;

/* Open and validate path. Reads the header, the table, the index, the names (and for
 * neural banks the shape) and the sections in load_mask (1 << SEC_x) into owned buffers;
 * checks the table bounds and the sizes every section must have, the crc of the sections
 * in check_mask (loaded or not: the others are streamed) and each index entry against its
 * sections. Neural banks: the shape against the header, and when loaded, every latent
 * value (finite) and the provenance layout. */
strata_status strata_bank_pack_open(bank_pack *p, const char *path, uint32_t load_mask,
                                    uint32_t check_mask, strata_result *r);
void strata_bank_pack_close(bank_pack *p);
/* Read len bytes at off. A short read (the file shrank since open) fails with a message
 * saying so; the caller skips what it was reading and keeps what it has. */
strata_status strata_bank_pack_read(const bank_pack *p, uint64_t off, void *dst, size_t len,
                                    strata_result *r);
/* ---- writing packed files (writer.c) -------------------------------------- *
 * Sections are streamed to NAME.tmp.PID with their checksums; finish writes the header
 * and table, fsyncs and renames over NAME, which must be a regular file or absent (it
 * is checked at open and again before the rename). Any failed write is kept and
 * reported by finish with its errno; abort removes the temporary. One thread. */
typedef struct bank_writer {
    FILE *f;
    char tmp[4200];
    const char *path;
    uint64_t pos; /* bytes written so far: offsets within the current section follow it */
    uint32_t whole;
    int cur; /* section being written, -1 between sections */
    bank_section_entry sec[BANK_SECTIONS];
    bool failed;
    int err; /* errno of the first failed write, kept: later calls change errno */
} bank_writer;

bool strata_bank_writer_open(bank_writer *w, const char *path, strata_result *r);
void strata_bank_writer_write(bank_writer *w, const void *data, size_t len);
void strata_bank_writer_begin(bank_writer *w, int section); /* 8-byte aligned */
void strata_bank_writer_end(bank_writer *w);
void strata_bank_writer_section(bank_writer *w, int section, const void *data, size_t len);
/* Append the whole of a spool file (rewound first); false when reading it failed. */
bool strata_bank_writer_copy(bank_writer *w, FILE *spool);
/* Record errno (or EIO) as the first failure. */
void strata_bank_writer_fail(bank_writer *w);
void strata_bank_writer_abort(bank_writer *w);
/* Fills h's magic, version, size and checksums; renames into place. On failure the
 * temporary is removed and r says why. */
strata_status strata_bank_writer_finish(bank_writer *w, bank_header *h, strata_result *r);

/* A section read at open (load_mask); NULL otherwise. */
static inline const void *bank_sec(const bank_pack *p, int s)
{
    return p->data[s];
}

#endif
