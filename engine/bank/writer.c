/* The streaming writer of packed bank files (image banks, latent sets, neural banks):
 * sections go to NAME.tmp.PID as they come, each with its checksum; finish writes the
 * header and table, fsyncs and renames, so a crash never leaves a half-written bank under
 * the real name. */
#include "bank_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void strata_bank_writer_fail(bank_writer *w)
{
    if (!w->failed)
        w->err = errno ? errno : EIO;
    w->failed = true;
}

bool strata_bank_writer_open(bank_writer *w, const char *path, strata_result *r)
{
    memset(w, 0, sizeof *w);
    w->path = path;
    w->cur = -1;
    /* Only a regular file is ever replaced: as root, renaming over /dev/full replaced
     * the device node. */
    if (strata_file_check_replaceable(path, r) != STRATA_OK)
        return false;
    snprintf(w->tmp, sizeof w->tmp, "%s.tmp.%d", path, (int)getpid());
    unlink(w->tmp); /* a leftover with our pid; O_EXCL refuses anything put there since */
    int fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 || !(w->f = fdopen(fd, "wb"))) {
        strata_fail(r, STRATA_ERR_IO, "%s: %s", w->tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        return false;
    }
    uint8_t zero[BANK_DATA_START] = {0};
    errno = 0;
    if (fwrite(zero, 1, sizeof zero, w->f) != sizeof zero)
        strata_bank_writer_fail(w);
    w->pos = BANK_DATA_START;
    return true;
}

void strata_bank_writer_write(bank_writer *w, const void *data, size_t len)
{
    if (len == 0 || w->failed)
        return;
    errno = 0;
    if (fwrite(data, 1, len, w->f) != len) {
        strata_bank_writer_fail(w);
        return;
    }
    w->whole = strata_bank_crc32(w->whole, data, len);
    if (w->cur >= 0)
        w->sec[w->cur].crc = strata_bank_crc32(w->sec[w->cur].crc, data, len);
    w->pos += len;
}

void strata_bank_writer_begin(bank_writer *w, int s)
{
    static const uint8_t pad[8];
    w->cur = -1;
    strata_bank_writer_write(w, pad, (8 - w->pos % 8) % 8); /* every section 8-byte aligned */
    w->cur = s;
    w->sec[s].offset = w->pos;
}

void strata_bank_writer_end(bank_writer *w)
{
    w->sec[w->cur].size = w->pos - w->sec[w->cur].offset;
    w->cur = -1;
}

void strata_bank_writer_section(bank_writer *w, int s, const void *data, size_t len)
{
    strata_bank_writer_begin(w, s);
    strata_bank_writer_write(w, data, len);
    strata_bank_writer_end(w);
}

bool strata_bank_writer_copy(bank_writer *w, FILE *t)
{
    uint8_t buf[65536];
    size_t n;
    rewind(t);
    while ((n = fread(buf, 1, sizeof buf, t)) > 0)
        strata_bank_writer_write(w, buf, n);
    return !ferror(t);
}

void strata_bank_writer_abort(bank_writer *w)
{
    if (w->f)
        fclose(w->f);
    w->f = NULL;
    unlink(w->tmp);
}

strata_status strata_bank_writer_finish(bank_writer *w, bank_header *h, strata_result *r)
{
    if (w->failed) {
        int e = w->err;
        strata_bank_writer_abort(w);
        return strata_fail(r, STRATA_ERR_IO, "%s: write failed: %s", w->tmp, strerror(e));
    }
    memcpy(h->magic, BANK_MAGIC, 8);
    h->version = BANK_VERSION;
    h->file_size = w->pos;
    h->whole_crc = w->whole;
    h->header_crc = 0;
    uint8_t head[BANK_DATA_START];
    memcpy(head, h, sizeof *h);
    memcpy(head + BANK_TABLE_OFFSET, w->sec, sizeof w->sec);
    h->header_crc = strata_bank_crc32(0, head, sizeof head);
    memcpy(head + offsetof(bank_header, header_crc), &h->header_crc, 4);
    /* Each step's errno is taken at once: a full disk must read "No space left on
     * device", not whatever a later call left in errno. */
    const char *step = NULL;
    int e = 0;
    errno = 0;
    if (fseek(w->f, 0, SEEK_SET) != 0 || fwrite(head, 1, sizeof head, w->f) != sizeof head ||
        fflush(w->f) != 0)
        step = "write", e = errno ? errno : EIO;
    else if (fsync(fileno(w->f)) != 0)
        step = "fsync", e = errno;
    if (fclose(w->f) != 0 && !step)
        step = "close", e = errno;
    w->f = NULL;
    if (step) {
        unlink(w->tmp);
        return strata_fail(r, STRATA_ERR_IO, "%s: %s failed: %s", w->tmp, step, strerror(e));
    }
    /* Checked again: a slow build gives time for something else to appear at the name. */
    if (strata_file_check_replaceable(w->path, r) != STRATA_OK) {
        unlink(w->tmp);
        return r ? r->status : STRATA_ERR_IO;
    }
    if (rename(w->tmp, w->path) != 0) {
        e = errno;
        unlink(w->tmp);
        return strata_fail(r, STRATA_ERR_IO, "%s: %s", w->path, strerror(e));
    }
    return STRATA_OK;
}
