/*
 * replay.c - runs a fuzz target without libFuzzer: LLVMFuzzerTestOneInput on
 * every file of the directories (or the files) named as arguments, in name
 * order, or on standard input when there are none. Linked with each target
 * by `make test`, so saved corpora and crash inputs replay with any compiler.
 * Each input is copied into a buffer of exactly its size, so that under
 * AddressSanitizer (`make check`) a read past the input is caught as it is
 * by libFuzzer. Prints how many inputs ran; a failing input aborts.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads all of f into a malloc'd buffer of exactly its size. */
static uint8_t *slurp(FILE *f, size_t *len)
{
    size_t cap = 4096, n = 0;
    uint8_t *p = malloc(cap);
    if (!p)
        return NULL;
    size_t got;
    while ((got = fread(p + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            uint8_t *np = realloc(p, cap *= 2);
            if (!np) {
                free(p);
                return NULL;
            }
            p = np;
        }
    }
    if (ferror(f)) {
        free(p);
        return NULL;
    }
    /* Exactly n bytes (at least 1 for malloc), so an overread is seen. */
    uint8_t *exact = malloc(n ? n : 1);
    if (exact && n)
        memcpy(exact, p, n);
    free(p);
    *len = n;
    return exact;
}

static int run_file(const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    size_t n = 0;
    uint8_t *p = slurp(f, &n);
    if (f != stdin)
        fclose(f);
    if (!p) {
        fprintf(stderr, "%s: cannot read\n", path);
        return -1;
    }
    LLVMFuzzerTestOneInput(p, n);
    free(p);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file of dir in name order; returns how many, or -1. */
static long run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        perror(dir);
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **nn = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof *nn);
            if (!nn)
                break;
            names = nn;
        }
        names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2);
        if (!names[n])
            break;
        sprintf(names[n], "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    long ran = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            if (run_file(names[i]) < 0)
                ran = -1;
            else if (ran >= 0)
                ran++;
        }
        free(names[i]);
    }
    free(names);
    return ran;
}

int main(int argc, char **argv)
{
    long total = 0;
    int bad = 0;
    if (argc < 2) {
        bad = run_file("-") < 0;
        total = 1;
    }
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            long k = run_dir(argv[i]);
            if (k < 0)
                bad = 1;
            else
                total += k;
        } else if (run_file(argv[i]) < 0) {
            bad = 1;
        } else {
            total++;
        }
    }
    printf("%s: %ld inputs ran%s\n", argv[0], total, bad ? ", some unreadable" : "");
    return bad;
}
