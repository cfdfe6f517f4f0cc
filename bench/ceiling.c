/*
 * ceiling.c - the ceilings runnel is measured against in make bench:
 *
 *   ceiling read FILE            read() in 128 KiB blocks, bytes counted
 *   ceiling inflate FILE         zlib inflate alone, output bytes counted
 *   ceiling memmem FILE NEEDLE   read() plus memmem for NEEDLE per block,
 *                                hits counted (the plain C loop)
 *
 * Each prints one number, so the bench can check it ran over the same input.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define BLOCK (128 * 1024)

static int open_or_die(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        perror(path);
        exit(2);
    }
    return fd;
}

static int do_read(const char *path)
{
    static char buf[BLOCK];
    int fd = open_or_die(path);
    unsigned long long total = 0;
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        total += (unsigned long long)n;
    printf("%llu\n", total);
    return n < 0;
}

static int do_inflate(const char *path)
{
    static unsigned char in[BLOCK], out[BLOCK];
    int fd = open_or_die(path);
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 16) != Z_OK)
        return 1;
    unsigned long long total = 0;
    ssize_t n;
    int rc = Z_OK;
    while ((n = read(fd, in, sizeof in)) > 0) {
        z.next_in = in;
        z.avail_in = (uInt)n;
        while (z.avail_in > 0) {
            z.next_out = out;
            z.avail_out = sizeof out;
            rc = inflate(&z, Z_NO_FLUSH);
            total += sizeof out - z.avail_out;
            if (rc == Z_STREAM_END)
                rc = inflateReset(&z);
            if (rc != Z_OK && rc != Z_BUF_ERROR) {
                fprintf(stderr, "inflate: %d\n", rc);
                return 1;
            }
        }
    }
    inflateEnd(&z);
    printf("%llu\n", total);
    return 0;
}

static int do_memmem(const char *path, const char *needle)
{
    static char buf[BLOCK];
    int fd = open_or_die(path);
    size_t nl = strlen(needle), keep = 0;
    unsigned long long hits = 0;
    ssize_t n;
    /* Keep the last nl-1 bytes so a needle across blocks is still found. */
    while ((n = read(fd, buf + keep, sizeof buf - keep)) > 0) {
        size_t len = keep + (size_t)n;
        const char *p = buf, *end = buf + len;
        const char *hit;
        while ((hit = memmem(p, (size_t)(end - p), needle, nl)) != NULL) {
            hits++;
            p = hit + nl;
        }
        keep = nl - 1 < len ? nl - 1 : len;
        if ((size_t)(end - p) < keep)
            keep = (size_t)(end - p);
        memmove(buf, end - keep, keep);
    }
    printf("%llu\n", hits);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "read") == 0)
        return do_read(argv[2]);
    if (argc >= 3 && strcmp(argv[1], "inflate") == 0)
        return do_inflate(argv[2]);
    if (argc >= 4 && strcmp(argv[1], "memmem") == 0)
        return do_memmem(argv[2], argv[3]);
    fprintf(stderr, "usage: ceiling read|inflate FILE | memmem FILE NEEDLE\n");
    return 2;
}
