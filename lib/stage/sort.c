/*
 * sort.c - sort (a bounded stream, by key fields) and top (the n records with
 * the largest numeric value of a field).
 *
 * sort copies every record into an arena (recstore.h) and keeps, per record
 * and key, either the number parsed once at insertion (NaN for a non-number)
 * or a view of the key field in the copy, so comparing never parses and never
 * looks up a field. At the end a stable bottom-up merge sort orders an array
 * of entries (index, copy, and the first key as an order-preserving integer,
 * so most comparisons are one integer compare); the records are then handed
 * out from the copies. Past max_records records it stops with RN_ETOOBIG: it
 * is meant for bounded results.
 *
 * Ordering: byte-wise (memcmp, then the shorter first), or numeric with every
 * non-number after every number whatever the direction, non-numbers tied
 * among themselves; reverse inverts the comparison only, so ties keep input
 * order either way. top n F gives exactly the first n records of a reverse
 * numeric sort on F: a min-heap of n record copies whose root is the weakest
 * kept record, ranked by (number before non-number, larger value, earlier
 * input position); memory is that of n records.
 */
#include "base/runnel_internal.h"

#include "base/num.h"
#include "base/recstore.h"

#include <math.h>
#include <string.h>

#define DEFAULT_MAX_RECORDS ((size_t)1000 * 1000)
#define RUN 16 /* records insertion-sorted before merging */
#define PREFETCH 8 /* records ahead to prefetch when handing out */
#if defined(__GNUC__)
#define PREFETCH_READ(p) __builtin_prefetch(p)
#else
#define PREFETCH_READ(p) ((void)0)
#endif

static rn_field field_at(const rn_record *r, ptrdiff_t i)
{
    rn_field none = {"", 0};
    return (size_t)i < r->nfields ? r->fields[i] : none;
}

/* The field as a number, or NaN when it is not one (NaN itself included). */
static int number(const rn_field *f, double *out)
{
    double d;
    int rc = rn__parse_double(f->ptr, f->len, &d);
    if (rc == RN_ENOMEM)
        return rc;
    *out = rc == RN_OK && d == d ? d : NAN;
    return RN_OK;
}

/* Resolves names against s into idx; RN_EINVAL with the message set. */
static int resolve(rn_iter *it, const char *what, const rn_schema *names,
                   const rn_schema *s, ptrdiff_t *idx)
{
    for (size_t i = 0; i < names->n; i++) {
        idx[i] = rn__field_index(it, what, s, names->name[i].ptr,
                                 names->name[i].len);
        if (idx[i] < 0)
            return RN_EINVAL;
    }
    return RN_OK;
}

/* Copies n names into a schema that owns them; RN_EINVAL (message set) for a
 * NULL name, RN_ENOMEM. */
static int copy_names(rn_iter *it, const char *what, const char *const *names,
                      size_t n, rn_schema **out)
{
    for (size_t i = 0; i < n; i++)
        if (!names || !names[i])
            return rn__iter_fail(it, RN_EINVAL,
                                 "%s: a field name is missing (NULL)", what);
    *out = rn_schema_new(names, n, &it->mem);
    return *out ? RN_OK : RN_ENOMEM;
}

/* ---- sort ---------------------------------------------------------------- */

/* What the merge sort moves: the record's index and its first key reduced
 * to an unsigned integer whose order is the key's order (direction
 * included), so most comparisons touch nothing else. Numbers map exactly
 * (equal integers mean equal numbers). Byte strings map their first 7 bytes
 * (zero-padded) and then min(length, 8): equal integers with a length under
 * 8 mean equal strings; otherwise the full comparison settles them. */
typedef struct sent {
    uint64_t key;
    size_t idx;               /* input position: into nums or views */
    const rn__reccopy *copy;  /* the record */
} sent;

typedef struct sorter {
    rn_iter base;
    rn_schema *names;        /* key fields */
    ptrdiff_t *idx;          /* their upstream positions */
    const rn_schema *seen;   /* upstream schema idx was made for */
    bool resolved;
    size_t nk;               /* number of keys */
    bool numeric, reverse;
    size_t max;              /* most records held */
    rn__recstore store;      /* the copies */
    double *nums;            /* numeric: count * nk keys */
    rn_field *views;         /* byte-wise: count * nk keys */
    sent *ents;              /* count entries, sorted at the end */
    size_t cap, count;
    bool draining;
    size_t given;            /* records handed out */
    rn__recout out;          /* the batch being handed out */
} sorter;

static int sort_oom(sorter *s)
{
    return rn__iter_fail(&s->base, RN_ENOMEM, "sort: out of memory");
}

/* Replaces *p (old entries of size each, count used) by an array of cap. */
static bool regrow(const rn_allocator *m, void **p, size_t old, size_t cap,
                   size_t count, size_t size)
{
    void *q = rn__alloc(m, cap * size);
    if (!q)
        return false;
    if (count)
        memcpy(q, *p, count * size);
    rn__free(m, *p, old * size);
    *p = q;
    return true;
}

static int sort_grow(sorter *s)
{
    size_t cap = s->cap ? s->cap * 2 : 1024;
    if (cap > s->max)
        cap = s->max;
    const rn_allocator *m = &s->base.mem;
    size_t nk = s->nk;
    size_t ksize = s->numeric ? sizeof(double) : sizeof(rn_field);
    if (cap > SIZE_MAX / (nk * ksize) || cap > SIZE_MAX / sizeof(sent))
        return sort_oom(s);
    /* Both arrays are replaced together or not at all, so a failure leaves
     * them consistent with cap. */
    void *nkeys = rn__alloc(m, cap * nk * ksize);
    void *nents = nkeys ? rn__alloc(m, cap * sizeof *s->ents) : NULL;
    if (!nents) {
        rn__free(m, nkeys, cap * nk * ksize);
        return sort_oom(s);
    }
    void *keys = s->numeric ? (void *)s->nums : (void *)s->views;
    if (s->count) {
        memcpy(nkeys, keys, s->count * nk * ksize);
        memcpy(nents, s->ents, s->count * sizeof *s->ents);
    }
    rn__free(m, keys, s->cap * nk * ksize);
    rn__free(m, s->ents, s->cap * sizeof *s->ents);
    if (s->numeric)
        s->nums = nkeys;
    else
        s->views = nkeys;
    s->ents = nents;
    s->cap = cap;
    return RN_OK;
}

/* The first key as an integer in sort order (see sent). Non-numbers map to
 * the largest value, so they come last in both directions. */
static uint64_t first_key(const sorter *s, size_t i)
{
    uint64_t k;
    if (s->numeric) {
        double d = s->nums[i * s->nk];
        if (d != d)
            return UINT64_MAX;
        if (d == 0)
            d = 0; /* -0 and 0 are equal numbers */
        memcpy(&k, &d, sizeof k);
        /* IEEE order as unsigned order: negatives reversed, then shifted
         * below the positives. No number maps to UINT64_MAX either way. */
        k = k >> 63 ? ~k : k | (UINT64_C(1) << 63);
        return s->reverse ? ~k : k;
    }
    const rn_field *f = &s->views[i * s->nk];
    unsigned char b[8] = {0};
    memcpy(b, f->ptr, f->len < 7 ? f->len : 7);
    /* A shorter string that matches the first 7 bytes is a prefix of the
     * longer one (the padding is zeroes), so it rightly sorts first. */
    b[7] = (unsigned char)(f->len < 8 ? f->len : 8);
    k = 0;
    for (int j = 0; j < 8; j++)
        k = k << 8 | b[j];
    return s->reverse ? ~k : k;
}

static int sort_add(sorter *s, const rn_record *r)
{
    if (s->count == s->max)
        return rn__iter_fail(&s->base, RN_ETOOBIG,
                             "sort: more than %zu records; sort holds a "
                             "bounded result: put it after groupby, head or "
                             "uniq, or raise --max-records",
                             s->max);
    if (s->count == s->cap && sort_grow(s) < 0)
        return RN_ENOMEM;
    const rn__reccopy *c = rn__recstore_add(&s->store, r);
    if (!c)
        return rn__rec_keep_failed(&s->base, "sort",
                                   rn__rec_copy_size(r) ? RN_ENOMEM
                                                        : RN_ETOOBIG);
    size_t at = s->count * s->nk;
    for (size_t k = 0; k < s->nk; k++) {
        rn_field f = rn__reccopy_field(c, (size_t)s->idx[k]);
        if (!s->numeric)
            s->views[at + k] = f;
        else if (number(&f, &s->nums[at + k]) < 0)
            return sort_oom(s);
    }
    s->ents[s->count].key = first_key(s, s->count);
    s->ents[s->count].idx = s->count;
    s->ents[s->count].copy = c;
    s->count++;
    return RN_OK;
}

static int bytecmp(const rn_field *a, const rn_field *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    int c = n ? memcmp(a->ptr, b->ptr, n) : 0;
    if (c)
        return c;
    return (a->len > b->len) - (a->len < b->len);
}

/* Records a and b whose first keys map to the same integer key: < 0 when a
 * goes first, 0 when they tie. */
static int tie(const sorter *s, size_t a, size_t b, uint64_t key)
{
    size_t nk = s->nk;
    uint64_t plain = s->reverse ? ~key : key;
    size_t k = s->numeric || (plain & 0xff) < 8 ? 1 : 0; /* key 0 settled */
    for (; k < nk; k++) {
        int c;
        if (s->numeric) {
            double x = s->nums[a * nk + k], y = s->nums[b * nk + k];
            bool xn = x == x, yn = y == y;
            if (xn != yn)
                return xn ? -1 : 1; /* numbers first, in both directions */
            if (!xn)
                continue;
            c = (x > y) - (x < y);
        } else {
            c = bytecmp(&s->views[a * nk + k], &s->views[b * nk + k]);
        }
        if (c)
            return s->reverse ? -c : c;
    }
    return 0;
}

static inline int cmp(const sorter *s, const sent *a, const sent *b)
{
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return tie(s, a->idx, b->idx, a->key);
}

static void merge(const sorter *s, const sent *src, size_t lo, size_t mid,
                  size_t hi, sent *dst)
{
    size_t i = lo, j = mid, k = lo;
    if (cmp(s, &src[mid - 1], &src[mid]) <= 0) {
        memcpy(dst + lo, src + lo, (hi - lo) * sizeof *src);
        return;
    }
    /* Written to compile without unpredictable branches: which side goes
     * next is a flag that selects a pointer and advances one index. Equal
     * keys (rare for numbers, common for short strings) take the slow
     * path. */
    while (i < mid && j < hi) {
        const sent *a = &src[i], *b = &src[j];
        bool tj = b->key < a->key;
        if (RN__UNLIKELY(b->key == a->key))
            tj = tie(s, b->idx, a->idx, b->key) < 0;
        dst[k++] = *(tj ? b : a);
        j += tj;
        i += !tj;
    }
    while (i < mid)
        dst[k++] = src[i++];
    while (j < hi)
        dst[k++] = src[j++];
}

/* Stable: insertion sort of short runs, then bottom-up merges between a and
 * tmp; equal records keep their input order (the entries start in it). */
static void merge_sort(const sorter *s, sent *a, sent *tmp, size_t n)
{
    for (size_t lo = 0; lo < n; lo += RUN) {
        size_t hi = lo + RUN < n ? lo + RUN : n;
        for (size_t i = lo + 1; i < hi; i++) {
            sent v = a[i];
            size_t j = i;
            while (j > lo && cmp(s, &v, &a[j - 1]) < 0) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = v;
        }
    }
    sent *src = a, *dst = tmp;
    for (size_t w = RUN; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n;
            size_t hi = mid + w < n ? mid + w : n;
            if (mid < hi)
                merge(s, src, lo, mid, hi, dst);
            else
                memcpy(dst + lo, src + lo, (hi - lo) * sizeof *src);
        }
        sent *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, n * sizeof *a);
}

static int sort_finish(sorter *s)
{
    const rn_allocator *m = &s->base.mem;
    size_t n = s->count;
    if (n < 2)
        return RN_OK;
    sent *tmp = rn__alloc(m, n * sizeof *tmp);
    if (!tmp)
        return sort_oom(s);
    merge_sort(s, s->ents, tmp, n);
    rn__free(m, tmp, n * sizeof *tmp);
    return RN_OK;
}

static int sort_next(rn_iter *it, rn_batch *out)
{
    sorter *s = (sorter *)it;
    while (!s->draining) {
        rn_batch b;
        int rc = rn_next_batch(it->up, &b);
        if (rc == RN_AGAIN)
            return rc;
        if (rc == RN_DONE) {
            if (sort_finish(s) < 0)
                return RN_ENOMEM;
            s->draining = true;
            break;
        }
        if (rc < 0)
            return rn__iter_adopt(it, it->up, rc);
        it->schema = it->up->schema;
        if (!s->resolved || it->up->schema != s->seen) {
            if (resolve(it, "sort", s->names, it->up->schema, s->idx) < 0)
                return RN_EINVAL;
            s->seen = it->up->schema;
            s->resolved = true;
        }
        it->stats.records_in += b.n;
        for (size_t i = 0; i < b.n; i++)
            if ((rc = sort_add(s, &b.recs[i])) < 0)
                return rc;
    }
    if (s->given == s->count)
        return RN_DONE;
    rn__recout_begin(&s->out);
    while (s->given < s->count) {
        /* The copies are visited in sorted order, all over memory: ask for
         * one a few records ahead so that the misses overlap. */
        if (s->given + PREFETCH < s->count)
            PREFETCH_READ(s->ents[s->given + PREFETCH].copy);
        int rc = rn__recout_add(&s->out, s->ents[s->given].copy);
        if (rc < 0)
            return sort_oom(s);
        if (rc == 0)
            break;
        s->given++;
    }
    rn__recout_batch(&s->out, out);
    return RN_ROW;
}

static void sort_close(rn_iter *it)
{
    sorter *s = (sorter *)it;
    const rn_allocator *m = &it->mem;
    size_t nk = s->nk;
    rn__recstore_free(&s->store);
    rn__free(m, s->nums, s->cap * nk * sizeof *s->nums);
    rn__free(m, s->views, s->cap * nk * sizeof *s->views);
    rn__free(m, s->ents, s->cap * sizeof *s->ents);
    rn__recout_free(&s->out);
    rn__free(m, s->idx, nk * sizeof *s->idx);
    rn__schema_free(m, s->names);
}

static const rn__iter_vt sort_vt = {"sort", sort_next, sort_close};

rn_iter *rn_sort_new(rn_iter *up, const char *const *keys, size_t n,
                     int numeric, int reverse, size_t max_records)
{
    if (!up)
        return NULL;
    sorter *s = rn__iter_new(&sort_vt, sizeof *s, up, NULL);
    if (!s)
        return NULL;
    rn_iter *it = &s->base;
    rn__recstore_init(&s->store, &it->mem, 0);
    s->numeric = numeric != 0;
    s->reverse = reverse != 0;
    s->max = max_records ? max_records : DEFAULT_MAX_RECORDS;
    if (it->status < 0)
        return it;
    if (n == 0) {
        rn__iter_fail(it, RN_EINVAL, "sort: no key fields given");
        return it;
    }
    int rc = copy_names(it, "sort", keys, n, &s->names);
    if (rc == RN_EINVAL)
        return it;
    s->nk = n; /* before idx, so that close frees it by its size */
    s->idx = s->names ? rn__alloc(&it->mem, n * sizeof *s->idx) : NULL;
    if (!s->idx || rn__recout_init(&s->out, &it->mem, RN__BATCH) != RN_OK) {
        rn_free(it);
        return NULL;
    }
    if (up->schema && resolve(it, "sort", s->names, up->schema, s->idx) == 0) {
        s->seen = up->schema;
        s->resolved = true;
    }
    return it;
}

/* ---- top ----------------------------------------------------------------- */

typedef struct tent {
    rn__recslot s; /* the copy: first, for rn__recout_slots */
    double v;      /* its value; NaN: not a number */
    uint64_t seq;  /* its input position */
} tent;
_Static_assert(offsetof(tent, s) == 0, "rn__recout_slots needs s first");

typedef struct top {
    rn_iter base;
    size_t n;               /* records to keep */
    rn_schema *name;        /* the field */
    ptrdiff_t idx;          /* its upstream position */
    const rn_schema *seen;  /* upstream schema idx was made for */
    bool resolved;
    uint64_t nseen;         /* records taken from upstream */
    tent *heap;             /* cap entries, count used; root is the weakest */
    size_t cap, count;
    bool draining;
    size_t given;           /* entries handed out */
    rn__recout out;         /* the batch being handed out */
} top;

/* Whether a ranks above b: numbers above non-numbers, then larger values,
 * then earlier input. */
static bool above(double av, uint64_t aseq, double bv, uint64_t bseq)
{
    bool an = av == av, bn = bv == bv;
    if (an != bn)
        return an;
    if (an && av != bv)
        return av > bv;
    return aseq < bseq;
}

static bool tent_above(const tent *a, const tent *b)
{
    return above(a->v, a->seq, b->v, b->seq);
}

static void sift_up(tent *h, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!tent_above(&h[p], &h[i]))
            return;
        tent t = h[p];
        h[p] = h[i];
        h[i] = t;
        i = p;
    }
}

/* Moves h[i] down a min-heap (by rank) of n entries. */
static void sift_down(tent *h, size_t i, size_t n)
{
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            return;
        if (c + 1 < n && tent_above(&h[c], &h[c + 1]))
            c++;
        if (!tent_above(&h[i], &h[c]))
            return;
        tent t = h[i];
        h[i] = h[c];
        h[c] = t;
        i = c;
    }
}

static int top_oom(top *t)
{
    return rn__iter_fail(&t->base, RN_ENOMEM, "top: out of memory");
}

static int top_offer(top *t, const rn_record *r)
{
    uint64_t seq = t->nseen++;
    rn_field f = field_at(r, t->idx);
    double v;
    if (number(&f, &v) < 0)
        return top_oom(t);
    if (t->count < t->n) {
        if (t->count == t->cap) {
            size_t cap = t->cap ? t->cap * 2 : 16;
            if (cap > t->n)
                cap = t->n;
            if (cap > SIZE_MAX / sizeof *t->heap ||
                !regrow(&t->base.mem, (void **)&t->heap, t->cap, cap, t->count,
                        sizeof *t->heap))
                return top_oom(t);
            memset(t->heap + t->count, 0, (cap - t->count) * sizeof *t->heap);
            t->cap = cap;
        }
        tent *e = &t->heap[t->count];
        int rc = rn__recslot_set(&e->s, &t->base.mem, r);
        if (rc != RN_OK)
            return rn__rec_keep_failed(&t->base, "top", rc);
        e->v = v;
        e->seq = seq;
        sift_up(t->heap, t->count++);
        return RN_OK;
    }
    /* Full: the newcomer or the weakest kept record leaves. */
    t->base.stats.filtered++;
    tent *root = &t->heap[0];
    if (!above(v, seq, root->v, root->seq))
        return RN_OK;
    int rc = rn__recslot_set(&root->s, &t->base.mem, r);
    if (rc != RN_OK)
        return rn__rec_keep_failed(&t->base, "top", rc);
    root->v = v;
    root->seq = seq;
    sift_down(t->heap, 0, t->count);
    return RN_OK;
}

static int top_next(rn_iter *it, rn_batch *out)
{
    top *t = (top *)it;
    while (!t->draining) {
        rn_batch b;
        int rc = rn_next_batch(it->up, &b);
        if (rc == RN_AGAIN)
            return rc;
        if (rc == RN_DONE) {
            /* Heapsort: the weakest goes to the end each time, so the array
             * ends strongest first. */
            for (size_t end = t->count; end > 1; end--) {
                tent x = t->heap[0];
                t->heap[0] = t->heap[end - 1];
                t->heap[end - 1] = x;
                sift_down(t->heap, 0, end - 1);
            }
            t->draining = true;
            break;
        }
        if (rc < 0)
            return rn__iter_adopt(it, it->up, rc);
        it->schema = it->up->schema;
        if (!t->resolved || it->up->schema != t->seen) {
            if (resolve(it, "top", t->name, it->up->schema, &t->idx) < 0)
                return RN_EINVAL;
            t->seen = it->up->schema;
            t->resolved = true;
        }
        it->stats.records_in += b.n;
        if (t->n == 0) {
            it->stats.filtered += b.n;
            continue;
        }
        for (size_t i = 0; i < b.n; i++)
            if ((rc = top_offer(t, &b.recs[i])) < 0)
                return rc;
    }
    int rc = rn__recout_slots(&t->out, t->heap, sizeof *t->heap, t->count,
                              &t->given, out);
    return rc == RN_ENOMEM ? top_oom(t) : rc;
}

static void top_close(rn_iter *it)
{
    top *t = (top *)it;
    for (size_t i = 0; i < t->count; i++)
        rn__recslot_free(&t->heap[i].s, &it->mem);
    rn__free(&it->mem, t->heap, t->cap * sizeof *t->heap);
    rn__recout_free(&t->out);
    rn__schema_free(&it->mem, t->name);
}

static const rn__iter_vt top_vt = {"top", top_next, top_close};

rn_iter *rn_top_new(rn_iter *up, size_t n, const char *field)
{
    if (!up)
        return NULL;
    top *t = rn__iter_new(&top_vt, sizeof *t, up, NULL);
    if (!t)
        return NULL;
    rn_iter *it = &t->base;
    t->n = n;
    if (it->status < 0)
        return it;
    const char *names[1] = {field};
    int rc = copy_names(it, "top", names, 1, &t->name);
    if (rc == RN_EINVAL)
        return it;
    if (!t->name || rn__recout_init(&t->out, &it->mem, n) != RN_OK) {
        rn_free(it);
        return NULL;
    }
    if (up->schema && resolve(it, "top", t->name, up->schema, &t->idx) == 0) {
        t->seen = up->schema;
        t->resolved = true;
    }
    return it;
}
