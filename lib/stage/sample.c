/*
 * sample.c - a uniform random sample of n records: reservoir sampling,
 * Algorithm R. Record i (0-based) fills slot i while i < n; after that it
 * replaces slot j for j drawn uniformly from [0, i], when j < n, so every
 * record ends in the sample with probability n / (records seen).
 *
 * The generator is SplitMix64 (small, fast, and good enough for sampling),
 * seeded by the caller's seed (0: a fixed default), so a seed always gives the
 * same sample. Slots are record copies (recstore.h) that remember their input
 * position; at the end they are sorted by it so the sample comes out in input
 * order. Memory is that of n records, however long the input.
 */
#include "base/runnel_internal.h"

#include "base/recstore.h"

#include <string.h>

#define DEFAULT_SEED UINT64_C(0x5eed5eed2024c0de)

typedef struct sslot {
    rn__recslot s; /* the copy: first, for rn__recout_slots */
    uint64_t seq;  /* its position in the input */
} sslot;
_Static_assert(offsetof(sslot, s) == 0, "rn__recout_slots needs s first");

typedef struct sample {
    rn_iter base;
    uint64_t n;      /* records to keep */
    uint64_t seen;   /* records taken from upstream */
    uint64_t rng;    /* SplitMix64 state */
    sslot *slots;    /* cap slots, count in use */
    size_t cap, count;
    bool draining;   /* upstream is done: slots sorted, being handed out */
    size_t given;    /* slots handed out */
    rn__recout out;  /* the batch being handed out */
} sample;

static uint64_t next_u64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Uniform in [0, bound), bound >= 1: draws below the largest multiple of
 * bound are taken modulo bound, the rest (fewer than bound of 2^64) redrawn. */
static uint64_t below(uint64_t *state, uint64_t bound)
{
    uint64_t threshold = (0 - bound) % bound; /* 2^64 mod bound */
    for (;;) {
        uint64_t r = next_u64(state);
        if (r >= threshold)
            return r % bound;
    }
}

static int oom(sample *s)
{
    return rn__iter_fail(&s->base, RN_ENOMEM, "sample: out of memory");
}

static int grow(sample *s)
{
    size_t cap = s->cap ? s->cap * 2 : 16;
    if ((uint64_t)cap > s->n)
        cap = (size_t)s->n;
    if (cap > SIZE_MAX / sizeof *s->slots || cap <= s->cap)
        return oom(s);
    sslot *p = rn__alloc(&s->base.mem, cap * sizeof *p);
    if (!p)
        return oom(s);
    if (s->count)
        memcpy(p, s->slots, s->count * sizeof *p);
    memset(p + s->count, 0, (cap - s->count) * sizeof *p);
    rn__free(&s->base.mem, s->slots, s->cap * sizeof *p);
    s->slots = p;
    s->cap = cap;
    return RN_OK;
}

static int offer(sample *s, const rn_record *r)
{
    uint64_t i = s->seen++;
    if (i < s->n) {
        if (s->count == s->cap && grow(s) < 0)
            return RN_ENOMEM;
        int rc = rn__recslot_set(&s->slots[s->count].s, &s->base.mem, r);
        if (rc != RN_OK)
            return rn__rec_keep_failed(&s->base, "sample", rc);
        s->slots[s->count++].seq = i;
        return RN_OK;
    }
    /* Kept or not, one record of the n + 1 leaves the sample. */
    s->base.stats.filtered++;
    uint64_t j = below(&s->rng, i + 1);
    if (j >= s->n)
        return RN_OK;
    int rc = rn__recslot_set(&s->slots[j].s, &s->base.mem, r);
    if (rc != RN_OK)
        return rn__rec_keep_failed(&s->base, "sample", rc);
    s->slots[j].seq = i;
    return RN_OK;
}

/* Heapsort of the slots by input position: in place, so the end of the
 * input needs no memory. */
static void sift(sslot *a, size_t root, size_t n)
{
    for (;;) {
        size_t c = 2 * root + 1;
        if (c >= n)
            return;
        if (c + 1 < n && a[c + 1].seq > a[c].seq)
            c++;
        if (a[root].seq >= a[c].seq)
            return;
        sslot t = a[root];
        a[root] = a[c];
        a[c] = t;
        root = c;
    }
}

static void sort_by_seq(sslot *a, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift(a, i, n);
    for (size_t end = n; end > 1; end--) {
        sslot t = a[0];
        a[0] = a[end - 1];
        a[end - 1] = t;
        sift(a, 0, end - 1);
    }
}

static int sample_next(rn_iter *it, rn_batch *out)
{
    sample *s = (sample *)it;
    while (!s->draining) {
        rn_batch b;
        int rc = rn_next_batch(it->up, &b);
        if (rc == RN_AGAIN)
            return rc;
        if (rc == RN_DONE) {
            sort_by_seq(s->slots, s->count);
            s->draining = true;
            break;
        }
        if (rc < 0)
            return rn__iter_adopt(it, it->up, rc);
        it->schema = it->up->schema;
        it->stats.records_in += b.n;
        if (s->n == 0) {
            it->stats.filtered += b.n;
            continue;
        }
        for (size_t i = 0; i < b.n; i++)
            if ((rc = offer(s, &b.recs[i])) < 0)
                return rc;
    }
    int rc = rn__recout_slots(&s->out, s->slots, sizeof *s->slots, s->count,
                              &s->given, out);
    return rc == RN_ENOMEM ? oom(s) : rc;
}

static void sample_close(rn_iter *it)
{
    sample *s = (sample *)it;
    for (size_t i = 0; i < s->count; i++)
        rn__recslot_free(&s->slots[i].s, &it->mem);
    rn__free(&it->mem, s->slots, s->cap * sizeof *s->slots);
    rn__recout_free(&s->out);
}

static const rn__iter_vt sample_vt = {"sample", sample_next, sample_close};

rn_iter *rn_sample_new(rn_iter *up, uint64_t n, uint64_t seed)
{
    if (!up)
        return NULL;
    sample *s = rn__iter_new(&sample_vt, sizeof *s, up, NULL);
    if (!s)
        return NULL;
    s->n = n;
    s->rng = seed ? seed : DEFAULT_SEED;
    if (rn__recout_init(&s->out, &s->base.mem, n) != RN_OK) {
        rn_free(&s->base);
        return NULL;
    }
    return &s->base;
}
