/* core: ring, queue, atomic files, size parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"

static void ring_wraps_and_counts_drops(void **state)
{
    (void)state;
    strata_ring ring;
    assert_int_equal(strata_ring_init(&ring, 6, NULL), STRATA_OK);
    assert_int_equal(ring.cap, 8);
    float in[10], out[10];
    for (int i = 0; i < 10; i++)
        in[i] = (float)i;
    assert_int_equal(strata_ring_write(&ring, in, 5), 5);
    assert_int_equal(strata_ring_read(&ring, out, 3), 3);
    assert_true(out[0] == 0.0f && out[2] == 2.0f);
    /* 2 left, 6 free: writing 10 stores 6, drops 4 */
    assert_int_equal(strata_ring_write(&ring, in, 10), 6);
    assert_int_equal(atomic_load(&ring.dropped), 4);
    assert_int_equal(strata_ring_available(&ring), 8);
    assert_int_equal(strata_ring_read(&ring, out, 10), 8);
    assert_true(out[0] == 3.0f && out[1] == 4.0f && out[2] == 0.0f && out[7] == 5.0f);
    strata_ring_free(&ring);
}

typedef struct {
    strata_ring *ring;
    int n;
} producer_arg;

static void *producer(void *p)
{
    producer_arg *a = p;
    int sent = 0;
    while (sent < a->n) {
        float chunk[37];
        int k = 0;
        for (; k < 37 && sent + k < a->n; k++)
            chunk[k] = (float)(sent + k);
        sent += (int)strata_ring_write(a->ring, chunk, (size_t)k);
    }
    return NULL;
}

static void ring_two_threads_keep_order(void **state)
{
    (void)state;
    strata_ring ring;
    strata_ring_init(&ring, 256, NULL);
    producer_arg a = {&ring, 200000};
    pthread_t t;
    pthread_create(&t, NULL, producer, &a);
    int expect = 0;
    while (expect < a.n) {
        float buf[64];
        size_t got = strata_ring_read(&ring, buf, 64);
        for (size_t i = 0; i < got; i++, expect++)
            if (buf[i] != (float)expect)
                fail_msg("sample %d arrived as %g", expect, (double)buf[i]);
    }
    pthread_join(t, NULL);
    strata_ring_free(&ring);
}

static void queue_push_pop_full(void **state)
{
    (void)state;
    strata_queue q;
    strata_queue_init(&q, sizeof(int), 4, NULL);
    for (int i = 0; i < 4; i++)
        assert_true(strata_queue_push(&q, &i));
    int x = 9;
    assert_false(strata_queue_push(&q, &x));
    assert_int_equal(atomic_load(&q.dropped), 1);
    assert_int_equal(strata_queue_count(&q), 4);
    assert_true(strata_queue_peek(&q, &x));
    assert_int_equal(x, 0);
    for (int i = 0; i < 4; i++) {
        assert_true(strata_queue_pop(&q, &x));
        assert_int_equal(x, i);
    }
    assert_false(strata_queue_pop(&q, &x));
    strata_queue_free(&q);
}

static void file_atomic_write_and_read(void **state)
{
    (void)state;
    char dir[] = "/tmp/strata-core-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/a/b/settings.json", dir);
    char sub[256];
    snprintf(sub, sizeof sub, "%s/a/b", dir);
    assert_int_equal(strata_file_mkdirs(sub, NULL), STRATA_OK);
    assert_int_equal(strata_file_write_atomic(path, "{\"x\":1}", 7, NULL), STRATA_OK);
    assert_int_equal(strata_file_write_atomic(path, "{\"x\":22}", 8, NULL), STRATA_OK);
    char *data;
    size_t len;
    assert_int_equal(strata_file_read(path, &data, &len, 0, NULL), STRATA_OK);
    assert_int_equal(len, 8);
    assert_string_equal(data, "{\"x\":22}");
    free(data);
    assert_true(strata_file_mtime_ns(path) > 0);
    strata_result r = {0};
    assert_int_equal(strata_file_read(path, &data, &len, 4, &r), STRATA_ERR_FORMAT);
    assert_non_null(strstr(r.msg, "settings.json"));
    assert_int_equal(strata_file_read("/nonexistent/x", &data, &len, 0, &r), STRATA_ERR_IO);
    assert_non_null(strstr(r.msg, "/nonexistent/x"));
    unlink(path);
}

static void parse_size_rejects_garbage(void **state)
{
    (void)state;
    int w = 0, h = 0;
    assert_true(strata_parse_size("1280x720", &w, &h));
    assert_int_equal(w, 1280);
    assert_int_equal(h, 720);
    assert_false(strata_parse_size("1280", &w, &h));
    assert_false(strata_parse_size("0x5", &w, &h));
    assert_false(strata_parse_size("12x5z", &w, &h));
    assert_false(strata_parse_size("99999x5", &w, &h));
}

static void log_file_rotates_under_cap(void **state)
{
    (void)state;
    char path[] = "/tmp/strata-log-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    assert_int_equal(strata_log_open_file(path, 2000, NULL), STRATA_OK);
    strata_log_set_quiet(true);
    for (int i = 0; i < 100; i++)
        LOG_INFO("TEST", "line %d with some padding to grow the file", i);
    strata_log_set_quiet(false);
    strata_log_close();
    char *data;
    size_t len;
    assert_int_equal(strata_file_read(path, &data, &len, 0, NULL), STRATA_OK);
    assert_true(len < 2000);
    assert_non_null(strstr(data, "TEST: line 99"));
    free(data);
    char old[300];
    snprintf(old, sizeof old, "%s.1", path);
    assert_true(strata_file_mtime_ns(old) > 0);
    unlink(path);
    unlink(old);
}

static void buf_grows_and_stays_terminated(void **state)
{
    (void)state;
    strata_buf b = {0};
    char chunk[1000];
    memset(chunk, 'x', sizeof chunk);
    for (int i = 0; i < 300; i++)
        assert_true(strata_buf_append(&b, chunk, sizeof chunk));
    strata_buf_write_cb(&b, "end", 3);
    assert_int_equal(b.len, 300003);
    assert_true(b.cap > b.len);
    assert_int_equal(b.data[b.len], 0);
    assert_memory_equal(b.data + 300000, "end", 3);
    assert_false(b.failed);
    strata_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
}

/* A FIFO, a device or a directory handed in as a user file is refused at once with a
 * message naming it: opening a FIFO for reading used to wait for a writer forever. */
static void file_read_refuses_what_is_not_a_regular_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/strata-kind-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char fifo[300];
    snprintf(fifo, sizeof fifo, "%s/x.json", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    char *data = NULL;
    size_t len;
    strata_result r = {0};
    assert_int_equal(strata_file_read(fifo, &data, &len, 0, &r), STRATA_ERR_IO);
    assert_null(data);
    assert_non_null(strstr(r.msg, "x.json: not a regular file (a FIFO)"));
    assert_int_equal(strata_file_open_read(fifo, &r), -1);
    assert_int_equal(strata_file_read(dir, &data, &len, 0, &r), STRATA_ERR_IO);
    assert_non_null(strstr(r.msg, ": is a directory"));
    assert_null(strstr(r.msg, "read error"));
    assert_int_equal(strata_file_read("/dev/zero", &data, &len, 0, &r), STRATA_ERR_IO);
    assert_string_equal(r.msg, "/dev/zero: not a regular file (a character device)");
    /* --log on a FIFO: refused at once (opening it for writing waited for a reader). */
    assert_int_equal(strata_log_open_file(fifo, 0, &r), STRATA_ERR_IO);
    assert_non_null(strstr(r.msg, "x.json: not a regular file (a FIFO)"));
    assert_int_equal(strata_log_open_file("/dev/null", 1000, &r), STRATA_OK);
    LOG_INFO("TEST", "to /dev/null");
    strata_log_close();
    unlink(fifo);
    rmdir(dir);
}

/* The atomic writer replaces only regular files (as root, a rename over /dev/full
 * replaced the device node), and a failed write reports its own errno. */
static void file_atomic_write_refuses_devices_and_reports_errno(void **state)
{
    (void)state;
    strata_result r = {0};
    assert_int_equal(strata_file_write_atomic("/dev/full", "x", 1, &r), STRATA_ERR_IO);
    assert_non_null(strstr(r.msg, "/dev/full: is a character device"));
    struct stat st;
    assert_int_equal(stat("/dev/full", &st), 0);
    assert_true(S_ISCHR(st.st_mode)); /* still the device */
    char dir[] = "/tmp/strata-repl-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char link[300], fifo[300], real[300];
    snprintf(link, sizeof link, "%s/link.json", dir);
    snprintf(fifo, sizeof fifo, "%s/fifo.json", dir);
    snprintf(real, sizeof real, "%s/real.json", dir);
    assert_int_equal(symlink("/etc/hostname", link), 0);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(strata_file_write_atomic(link, "x", 1, &r), STRATA_ERR_IO);
    assert_non_null(strstr(r.msg, "link.json: is a symbolic link"));
    assert_int_equal(strata_file_write_atomic(fifo, "x", 1, &r), STRATA_ERR_IO);
    assert_non_null(strstr(r.msg, "fifo.json: is a FIFO"));
    assert_int_equal(strata_file_write_atomic(dir, "x", 1, &r), STRATA_ERR_IO);
    assert_non_null(strstr(r.msg, "is a directory"));
    assert_int_equal(strata_file_write_atomic(real, "one", 3, &r), STRATA_OK);
    assert_int_equal(strata_file_write_atomic(real, "two", 3, &r), STRATA_OK); /* replaced */
    /* A full disk: the message is the write's own error, not a stale errno. */
    int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    errno = ENOTTY;
    assert_int_equal(strata_file_write_fd(fd, "abc", 3, "out.png", &r), STRATA_ERR_IO);
    close(fd);
    assert_string_equal(r.msg, "out.png: No space left on device");
    unlink(link);
    unlink(fifo);
    unlink(real);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ring_wraps_and_counts_drops),
        cmocka_unit_test(ring_two_threads_keep_order),
        cmocka_unit_test(queue_push_pop_full),
        cmocka_unit_test(file_atomic_write_and_read),
        cmocka_unit_test(parse_size_rejects_garbage),
        cmocka_unit_test(log_file_rotates_under_cap),
        cmocka_unit_test(buf_grows_and_stays_terminated),
        cmocka_unit_test(file_read_refuses_what_is_not_a_regular_file),
        cmocka_unit_test(file_atomic_write_refuses_devices_and_reports_errno),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
