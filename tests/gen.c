/*
 * gen.c - deterministic generator of test and benchmark inputs.
 *
 *   gen log BYTES [SEED]   lines "timestamp|LEVEL|message", about 7% ERROR
 *                          with "Error code: N", some exceptions and failures
 *   gen csv BYTES [SEED]   id,date,category,amount,customer,note with about
 *                          5% quoted fields, some empty and non-numeric amounts
 *
 * The same arguments always give the same bytes, on any machine, so a test
 * or a benchmark can compare answers across tools and runs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* splitmix64: small, fast and the same everywhere. */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static unsigned pick(unsigned n)
{
    return (unsigned)(rnd() % n);
}

static const char *const words[] = {
    "request", "served", "user", "session", "cache", "query", "upstream",
    "payload", "token", "worker", "queue", "shard", "replica", "timeout",
    "handler", "retry", "batch", "index", "commit", "socket",
};

/* The error messages, as literal formats so the compiler checks them. */
static void errmsg(char *msg, size_t cap, unsigned code, const char *word)
{
    switch (pick(4)) {
    case 0: snprintf(msg, cap, "Request failed. Error code: %u (%s)", code, word); break;
    case 1: snprintf(msg, cap, "Upstream returned garbage. Error code: %u", code); break;
    case 2: snprintf(msg, cap, "Error code: %u while writing %s", code, word); break;
    default: snprintf(msg, cap, "Exception in handler: Error code: %u", code); break;
    }
}

static const unsigned codes[] = {500, 502, 503, 504, 404, 401, 403, 429,
                                 1001, 1002, 2048, 4096};

static int gen_log(uint64_t bytes)
{
    uint64_t out = 0, t = 1709294400; /* 2024-03-01 12:00:00 UTC */
    unsigned ms = 0;
    char line[512];
    while (out < bytes) {
        ms += 1 + pick(40);
        if (ms >= 1000) {
            t += ms / 1000;
            ms %= 1000;
        }
        unsigned sec = (unsigned)(t % 60), min = (unsigned)(t / 60 % 60),
                 hour = (unsigned)(t / 3600 % 24), day = 1 + (unsigned)((t - 1709251200) / 86400 % 28);
        unsigned r = pick(1000);
        int n;
        char ts[32];
        snprintf(ts, sizeof ts, "2024-03-%02u %02u:%02u:%02u.%03u", day, hour,
                 min, sec, ms);
        if (r < 70) {
            /* Codes are skewed so that count-by has a clear winner. */
            unsigned c = codes[pick(4) == 0 ? pick(12) : pick(3)];
            char msg[256];
            errmsg(msg, sizeof msg, c, words[pick(20)]);
            n = snprintf(line, sizeof line, "%s|ERROR|%s\n", ts, msg);
        } else if (r < 80) {
            n = snprintf(line, sizeof line,
                         "%s|WARN|%s %s is slow: %u ms (will retry, not a failure)\n",
                         ts, words[pick(20)], words[pick(20)], 100 + pick(5000));
        } else if (r < 83) {
            n = snprintf(line, sizeof line, "%s|CRITICAL|disk %u%% full on shard %u\n",
                         ts, 90 + pick(10), pick(64));
        } else if (r < 110) {
            n = snprintf(line, sizeof line, "%s|DEBUG|%s=%u %s=%u\n", ts,
                         words[pick(20)], pick(100000), words[pick(20)],
                         pick(100000));
        } else {
            n = snprintf(line, sizeof line,
                         "%s|INFO|%s %s in %u ms for user %u (%s)\n", ts,
                         words[pick(20)], words[pick(20)], pick(900),
                         pick(100000), words[pick(20)]);
        }
        fwrite(line, 1, (size_t)n, stdout);
        out += (uint64_t)n;
    }
    return 0;
}

static const char *const categories[] = {
    "books", "games", "garden", "kitchen", "music", "office", "outdoors",
    "sports", "tools", "toys", "Health & Beauty", "Baby, Kids",
};

static int gen_csv(uint64_t bytes)
{
    uint64_t out = 0, id = 1;
    char line[512];
    int n = snprintf(line, sizeof line, "id,date,category,amount,customer,note\n");
    fwrite(line, 1, (size_t)n, stdout);
    out += (uint64_t)n;
    while (out < bytes) {
        unsigned ci = pick(12);
        const char *cat = categories[ci];
        char catf[64];
        /* Categories with a comma must be quoted; sometimes others are
         * quoted too, as spreadsheets do. */
        if (strchr(cat, ',') || pick(100) < 2)
            snprintf(catf, sizeof catf, "\"%s\"", cat);
        else
            snprintf(catf, sizeof catf, "%s", cat);
        char amount[32];
        unsigned r = pick(1000);
        if (r < 5)
            amount[0] = '\0';
        else if (r < 8)
            snprintf(amount, sizeof amount, "n/a");
        else
            snprintf(amount, sizeof amount, "%s%u.%02u", r < 30 ? "-" : "",
                     pick(2000), pick(100));
        char note[128];
        unsigned q = pick(100);
        if (q < 3)
            snprintf(note, sizeof note, "\"gift, wrapped\"");
        else if (q < 5)
            snprintf(note, sizeof note, "\"said \"\"thanks\"\"\"");
        else if (q < 6)
            snprintf(note, sizeof note, "\"two\nlines\"");
        else
            snprintf(note, sizeof note, "%s", q < 50 ? "" : words[pick(20)]);
        n = snprintf(line, sizeof line, "%llu,2024-%02u-%02u,%s,%s,c%05u,%s\n",
                     (unsigned long long)id++, 1 + pick(12), 1 + pick(28),
                     catf, amount, pick(50000), note);
        fwrite(line, 1, (size_t)n, stdout);
        out += (uint64_t)n;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: gen log|csv BYTES [SEED]\n");
        return 2;
    }
    char *end;
    unsigned long long bytes = strtoull(argv[2], &end, 10);
    if (*end == 'K' || *end == 'k')
        bytes <<= 10;
    else if (*end == 'M' || *end == 'm')
        bytes <<= 20;
    else if (*end == 'G' || *end == 'g')
        bytes <<= 30;
    rng_state = argc > 3 ? strtoull(argv[3], NULL, 10) : 42;
    static char buf[1 << 16];
    setvbuf(stdout, buf, _IOFBF, sizeof buf);
    int rc;
    if (strcmp(argv[1], "log") == 0)
        rc = gen_log(bytes);
    else if (strcmp(argv[1], "csv") == 0)
        rc = gen_csv(bytes);
    else {
        fprintf(stderr, "gen: unknown kind '%s'\n", argv[1]);
        return 2;
    }
    if (fflush(stdout) != 0) {
        perror("gen");
        return 1;
    }
    return rc;
}
