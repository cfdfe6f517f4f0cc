/*
 * groupby.c - groupby and count-by: drain the upstream, keep one small state
 * per group, then yield the groups (first-seen order, or by count for
 * count-by) in batches.
 *
 * A record's key is its key fields joined with length prefixes (so ("ab","c")
 * and ("a","bc") differ), hashed once and interned: the bytes are copied into
 * an arena when the group is first seen and never again. A key of at most 16
 * bytes, the common case, is found in a table of its own that holds its
 * bytes in two words and points at the group's state, with no call and no
 * memcmp; the interner is asked only for new or longer keys. Group ids are
 * dense and index pages of fixed-size states (zeroed = empty), laid out per
 * input field so that sum:x and mean:x share one sum and a field is parsed
 * as a number once per record. Nothing is allocated per record except when
 * a new group, a new distinct value or a longer kept value arrives; memory
 * is O(groups + distinct values), never O(records). share needs the total
 * over all groups, so it is computed at the end from the counts, not per
 * record.
 */
#include "agg.h"
#include "base/intern.h"
#include "base/num.h"
#include "base/runnel_internal.h"

#include <stdio.h>
#include <string.h>

#define GROUPS_PER_PAGE 256
#define DEFAULT_MAX_GROUPS ((size_t)10000000)
#define DEFAULT_MAX_DISTINCT ((size_t)1000000)
#define VARINT_MAX 10 /* bytes of a 64-bit length in LEB128 */

/* What a group keeps for one input field, by the aggregates that read it. */
enum {
    NEED_SUM = 1,     /* sum, mean */
    NEED_MIN = 2,
    NEED_MAX = 4,
    NEED_WELFORD = 8, /* var, stddev */
    NEED_FIRST = 16,
    NEED_LAST = 32,
    NEED_SET = 64     /* distinct, mode */
};
#define NEED_NUMBER (NEED_SUM | NEED_MIN | NEED_MAX | NEED_WELFORD)

/* One input field that aggregates read. */
typedef struct column {
    rn_field name;     /* the field's name (copy in meta) */
    ptrdiff_t idx;     /* its position upstream */
    unsigned need;     /* NEED_* */
    uint32_t set;      /* set id in the values table (NEED_SET) */
    size_t off_sum, off_min, off_max, off_wel; /* state offsets in a group */
    size_t off_first, off_last, off_set;
    uint64_t skipped;  /* values that were not numbers */
} column;

typedef struct output {
    int kind;   /* enum rn__agg_kind */
    size_t col; /* the column it reads (not for count or share) */
} output;

/* The first bytes of every group's state. */
typedef struct group_head {
    uint64_t count; /* records in the group */
} group_head;

enum { ST_DRAIN, ST_EMIT };

/* Keys of at most SHORT_KEY bytes, most group keys, are looked up first in
 * a table of their own whose entries hold the key's bytes as two words: a
 * lookup is one multiply and three compares, with no call and no memcmp.
 * It holds every short key the interner holds, with the same id; the
 * interner stays the owner of keys and ids, and takes the long keys. */
#define SHORT_KEY 16

typedef struct short_key {
    uint64_t w0, w1; /* the key's bytes, as short_words() reads them */
    uint32_t len1;   /* its length + 1; 0 marks an empty slot */
    uint32_t gid;    /* its group */
    unsigned char *st; /* the group's state */
} short_key;

typedef struct groupby {
    rn_iter base;
    const char *what;        /* "groupby" or "count-by", for messages */
    bool by_count;           /* count-by: yield sorted by count */
    int state;               /* ST_* */
    size_t nkeys;            /* key fields */
    ptrdiff_t *key_idx;      /* their positions upstream */
    column *cols;            /* input fields of the aggregates */
    size_t ncols;
    output *outs;            /* one per aggregate, in the order given */
    size_t nouts;
    size_t ntext;            /* outputs formatted into text per record */
    bool has_share;          /* some output is share: total is needed */
    uint64_t total;          /* records over all groups (set by finish) */
    rn_schema *schema;       /* keys then aggregates, owned */
    const rn_schema *seen;   /* upstream schema the positions are for */
    rn__arena meta;          /* column names and construction scratch */
    size_t max_groups;
    uint64_t max_distinct;
    rn__interner keys;       /* joined key -> group id */
    short_key *sk;           /* short keys -> group id, in front of keys */
    size_t skcap, skn;       /* its slots (0 or a power of two), entries */
    char *kbuf;              /* the joined key being built */
    size_t kcap;
    unsigned char **pages;   /* GROUPS_PER_PAGE states each */
    size_t npages, pcap;
    size_t stride;           /* bytes of one group's state */
    size_t ngroups;          /* groups that have a state */
    bool frees_bytes;        /* some state owns a heap buffer */
    rn__agg_values values;   /* distinct and mode, all groups and fields */
    uint32_t *order;         /* count-by: group ids in output order */
    size_t order_n;
    size_t pos;              /* next group to yield */
    rn_record *recs;         /* output batch: out_cap records */
    rn_field *fields;        /* out_cap * (nkeys + nouts) views */
    char *text;              /* out_cap * ntext formatted numbers */
    size_t out_cap;
    char detail[RN__ERRMSG_MAX]; /* rn_stats_detail() text */
} groupby;

/* ---- setup ------------------------------------------------------------------ */

static size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

static ptrdiff_t find_column(const groupby *g, const char *name, size_t len)
{
    for (size_t i = 0; i < g->ncols; i++)
        if (g->cols[i].name.len == len &&
            memcmp(g->cols[i].name.ptr, name, len) == 0)
            return (ptrdiff_t)i;
    return -1;
}

static unsigned need_of(int kind)
{
    switch (kind) {
    case RN__AGG_SUM:
    case RN__AGG_MEAN:
        return NEED_SUM;
    case RN__AGG_MIN:
        return NEED_MIN;
    case RN__AGG_MAX:
        return NEED_MAX;
    case RN__AGG_VAR:
    case RN__AGG_STDDEV:
        return NEED_WELFORD;
    case RN__AGG_FIRST:
        return NEED_FIRST;
    case RN__AGG_LAST:
        return NEED_LAST;
    case RN__AGG_DISTINCT:
    case RN__AGG_MODE:
        return NEED_SET;
    default:
        return 0;
    }
}

/* Lays out each group's state: the head, then per column what it needs. */
static void layout(groupby *g)
{
    size_t off = align8(sizeof(group_head));
    uint32_t sets = 0;
    for (size_t i = 0; i < g->ncols; i++) {
        column *c = &g->cols[i];
        if (c->need & NEED_SUM) {
            c->off_sum = off;
            off = align8(off + sizeof(rn__agg_sum));
        }
        if (c->need & NEED_MIN) {
            c->off_min = off;
            off = align8(off + sizeof(rn__agg_ext));
        }
        if (c->need & NEED_MAX) {
            c->off_max = off;
            off = align8(off + sizeof(rn__agg_ext));
        }
        if (c->need & NEED_WELFORD) {
            c->off_wel = off;
            off = align8(off + sizeof(rn__agg_welford));
        }
        if (c->need & NEED_FIRST) {
            c->off_first = off;
            off = align8(off + sizeof(rn__agg_bytes));
        }
        if (c->need & NEED_LAST) {
            c->off_last = off;
            off = align8(off + sizeof(rn__agg_bytes));
        }
        if (c->need & NEED_SET) {
            c->off_set = off;
            off = align8(off + sizeof(rn__agg_set));
            c->set = sets++;
        }
        if (c->need & (NEED_MIN | NEED_MAX | NEED_FIRST | NEED_LAST))
            g->frees_bytes = true;
    }
    g->stride = off;
}

/* Finds the positions of the key and aggregate fields in s. false (with the
 * error set) when one is missing. */
static bool resolve(groupby *g, const rn_schema *s)
{
    for (size_t i = 0; i < g->nkeys; i++) {
        rn_field n = g->schema->name[i];
        g->key_idx[i] = rn__field_index(&g->base, g->what, s, n.ptr, n.len);
        if (g->key_idx[i] < 0)
            return false;
    }
    for (size_t i = 0; i < g->ncols; i++) {
        column *c = &g->cols[i];
        c->idx = rn__field_index(&g->base, g->what, s, c->name.ptr,
                                 c->name.len);
        if (c->idx < 0)
            return false;
    }
    g->seen = s;
    return true;
}

/* Parses the aggregates and builds the output schema. RN_OK, RN_EINVAL
 * (message set) or RN_ENOMEM. */
static int setup(groupby *g, const char *const *keys, size_t nkeys,
                 const char *const *aggs, size_t naggs)
{
    rn_iter *it = &g->base;
    if ((nkeys && !keys) || (naggs && !aggs))
        return rn__iter_fail(it, RN_EINVAL, "%s: no key or aggregate list",
                             g->what);
    if (nkeys == 0 && naggs == 0)
        return rn__iter_fail(it, RN_EINVAL,
                             "%s: nothing to compute: give keys or aggregates",
                             g->what);
    for (size_t i = 0; i < nkeys; i++)
        if (!keys[i])
            return rn__iter_fail(it, RN_EINVAL, "%s: key %zu is NULL",
                                 g->what, i + 1);
    g->nkeys = nkeys;
    size_t nout = nkeys + naggs;
    g->key_idx = rn__arena_alloc(&g->meta, (nkeys + 1) * sizeof *g->key_idx,
                                 sizeof(void *));
    g->cols = rn__arena_alloc(&g->meta, (naggs + 1) * sizeof *g->cols,
                              sizeof(void *));
    g->outs = rn__arena_alloc(&g->meta, (naggs + 1) * sizeof *g->outs,
                              sizeof(void *));
    rn_field *names = rn__arena_alloc(&g->meta, nout * sizeof *names,
                                      sizeof(void *));
    unsigned char *num = rn__arena_alloc(&g->meta, nout, 1);
    if (!g->key_idx || !g->cols || !g->outs || !names || !num)
        return RN_ENOMEM;
    for (size_t i = 0; i < nkeys; i++) {
        names[i].ptr = keys[i];
        names[i].len = strlen(keys[i]);
        num[i] = 0;
    }
    for (size_t i = 0; i < naggs; i++) {
        if (!aggs[i])
            return rn__iter_fail(it, RN_EINVAL, "%s: aggregate %zu is NULL",
                                 g->what, i + 1);
        int kind = 0;
        const char *field = NULL;
        size_t flen = 0;
        const char *bad = rn__agg_parse(aggs[i], &kind, &field, &flen);
        if (bad)
            return rn__iter_fail(
                it, RN_EINVAL,
                "%s: '%s': %s (aggregates: count, share, sum:F, mean:F, "
                "min:F, max:F, first:F, last:F, var:F, stddev:F, distinct:F, "
                "mode:F)",
                g->what, aggs[i], bad);
        output *o = &g->outs[g->nouts++];
        o->kind = kind;
        o->col = 0;
        rn_field *name = &names[nkeys + i];
        num[nkeys + i] = (unsigned char)rn__agg_is_number(kind);
        if (kind == RN__AGG_COUNT) {
            name->ptr = "count";
            name->len = 5;
            g->ntext++;
            continue;
        }
        if (kind == RN__AGG_SHARE) {
            name->ptr = "share";
            name->len = 5;
            g->ntext++;
            g->has_share = true;
            continue;
        }
        if (rn__agg_is_number(kind) && kind != RN__AGG_MIN &&
            kind != RN__AGG_MAX)
            g->ntext++;
        ptrdiff_t c = find_column(g, field, flen);
        if (c < 0) {
            char *copy = rn__arena_dup(&g->meta, field, flen);
            if (!copy)
                return RN_ENOMEM;
            column *col = &g->cols[g->ncols];
            memset(col, 0, sizeof *col);
            col->name.ptr = copy;
            col->name.len = flen;
            col->idx = -1;
            c = (ptrdiff_t)g->ncols++;
        }
        g->cols[c].need |= need_of(kind);
        o->col = (size_t)c;
        const char *an = rn__agg_name(kind);
        size_t alen = strlen(an);
        char *nm = rn__arena_alloc(&g->meta, alen + 1 + flen, 1);
        if (!nm)
            return RN_ENOMEM;
        memcpy(nm, an, alen);
        nm[alen] = '_';
        memcpy(nm + alen + 1, field, flen);
        name->ptr = nm;
        name->len = alen + 1 + flen;
    }
    layout(g);
    g->schema = rn__schema_new_typed(&it->mem, names, num, nout);
    if (!g->schema)
        return RN_ENOMEM;
    it->schema = g->schema;
    if (it->up->schema && !resolve(g, it->up->schema))
        return it->status;
    return RN_OK;
}

/* ---- draining ------------------------------------------------------------------ */

static inline rn_field field_at(const rn_record *r, ptrdiff_t idx)
{
    if ((size_t)idx < r->nfields)
        return r->fields[idx];
    rn_field none = {"", 0};
    return none; /* a short record: the field is empty */
}

static inline unsigned char *state_of(const groupby *g, size_t id)
{
    return g->pages[id / GROUPS_PER_PAGE] + (id % GROUPS_PER_PAGE) * g->stride;
}

static size_t put_varint(uint64_t v, char *p)
{
    size_t k = 0;
    while (v >= 0x80) {
        p[k++] = (char)(unsigned char)(v | 0x80);
        v >>= 7;
    }
    p[k++] = (char)(unsigned char)v;
    return k;
}

static size_t get_varint(const char *p, uint64_t *v)
{
    size_t k = 0;
    unsigned shift = 0;
    uint64_t r = 0;
    unsigned char b;
    do {
        b = (unsigned char)p[k++];
        r |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
    } while (b & 0x80);
    *v = r;
    return k;
}

/* Joins the key fields of r: each but the last after its length, so no two
 * different tuples join alike. One key needs no copy. RN_OK or RN_ENOMEM. */
static int key_of(groupby *g, const rn_record *r, rn_field *key)
{
    if (g->nkeys <= 1) {
        if (g->nkeys == 0) {
            key->ptr = "";
            key->len = 0;
        } else {
            *key = field_at(r, g->key_idx[0]);
        }
        return RN_OK;
    }
    size_t need = 0;
    for (size_t i = 0; i < g->nkeys; i++) {
        size_t len = field_at(r, g->key_idx[i]).len;
        if (len > SIZE_MAX / 2 - need - VARINT_MAX)
            return RN_ENOMEM;
        need += len + VARINT_MAX;
    }
    if (need > g->kcap) {
        size_t cap = g->kcap ? g->kcap : 256;
        while (cap < need)
            cap *= 2;
        char *b = rn__alloc(&g->base.mem, cap);
        if (!b)
            return RN_ENOMEM;
        rn__free(&g->base.mem, g->kbuf, g->kcap);
        g->kbuf = b;
        g->kcap = cap;
    }
    size_t k = 0;
    for (size_t i = 0; i < g->nkeys; i++) {
        rn_field f = field_at(r, g->key_idx[i]);
        if (i + 1 < g->nkeys)
            k += put_varint(f.len, g->kbuf + k);
        if (f.len)
            memcpy(g->kbuf + k, f.ptr, f.len);
        k += f.len;
    }
    key->ptr = g->kbuf;
    key->len = k;
    return RN_OK;
}

/* ---- short keys ---------------------------------------------------------- */

static inline uint64_t read32(const char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* The n <= SHORT_KEY bytes at p as two words that, with n, tell keys apart:
 * four 4-byte reads at 0, min(4, n - 4), min(8, n - 4) and n - 4, which
 * overlap as needed to cover every byte and never leave [p, p + n); the
 * offsets are picked without a branch, as key lengths are unpredictable.
 * Keys under 4 bytes are put together byte by byte. */
static inline void short_words(const char *p, size_t n, uint64_t *w0,
                               uint64_t *w1)
{
    if (RN__LIKELY(n >= 4)) {
        size_t o1 = n < 8 ? n - 4 : 4, o2 = n < 12 ? n - 4 : 8;
        *w0 = read32(p) | read32(p + o1) << 32;
        *w1 = read32(p + o2) | read32(p + n - 4) << 32;
        return;
    }
    uint64_t a = 0;
    for (size_t i = 0; i < n; i++)
        a |= (uint64_t)(unsigned char)p[i] << (8 * i);
    *w0 = a;
    *w1 = 0;
}

/* Mixes the words and the length so that every bit moves the low bits, which
 * pick the slot: a 64x64->128-bit multiply folded by xor. */
static inline uint64_t short_hash(uint64_t w0, uint64_t w1, size_t n)
{
    uint64_t a = w0 ^ UINT64_C(0x9e3779b97f4a7c15);
    uint64_t b = w1 ^ UINT64_C(0xc2b2ae3d27d4eb4f) ^ ((uint64_t)n << 56);
#if defined(__SIZEOF_INT128__)
    __extension__ typedef unsigned __int128 u128;
    u128 r = (u128)a * b;
    uint64_t h = (uint64_t)r ^ (uint64_t)(r >> 64);
#else
    uint64_t h = a * UINT64_C(0xbf58476d1ce4e5b9) ^ (b + (a >> 29));
    h = (h ^ (h >> 31)) * UINT64_C(0x94d049bb133111eb);
#endif
    return h ^ (h >> 29);
}

/* Makes room for one more short key (at most half the slots full). RN_OK or
 * RN_ENOMEM with the table as it was. */
static int short_reserve(groupby *g)
{
    if (g->skn + 1 <= g->skcap / 2)
        return RN_OK;
    size_t cap = g->skcap ? g->skcap * 2 : 256; /* few collisions */
    if (cap > SIZE_MAX / 2 / sizeof(short_key))
        return RN_ENOMEM;
    short_key *t = rn__calloc(&g->base.mem, cap * sizeof *t);
    if (!t)
        return RN_ENOMEM;
    for (size_t i = 0; i < g->skcap; i++) {
        const short_key *e = &g->sk[i];
        if (!e->len1)
            continue;
        size_t j = (size_t)short_hash(e->w0, e->w1, e->len1 - 1) & (cap - 1);
        while (t[j].len1)
            j = (j + 1) & (cap - 1);
        t[j] = *e;
    }
    rn__free(&g->base.mem, g->sk, g->skcap * sizeof *g->sk);
    g->sk = t;
    g->skcap = cap;
    return RN_OK;
}

/* The slow part of group_of(): a long key, or a short key not seen yet
 * (the short table has them all), whose slot there is slot. */
static int group_new(groupby *g, rn_field key, uint64_t w0, uint64_t w1,
                     size_t slot, size_t *id, unsigned char **st)
{
    bool is_short = key.len <= SHORT_KEY;
    if (is_short) {
        /* Room first, so that a failure leaves nothing half added. */
        if (g->skn + 1 > g->skcap / 2) {
            if (short_reserve(g) != RN_OK)
                return RN_ENOMEM;
            slot = (size_t)short_hash(w0, w1, key.len) & (g->skcap - 1);
            while (g->sk[slot].len1)
                slot = (slot + 1) & (g->skcap - 1);
        }
    }
    uint32_t gid;
    int rc = rn__intern(&g->keys, key.ptr, key.len, &gid);
    if (rc == RN_OK && gid < g->ngroups) {
        *id = gid;
        *st = state_of(g, gid);
        return RN_OK;
    }
    if (rc == RN_ETOOBIG || (rc == RN_OK && gid >= g->max_groups))
        return rn__iter_fail(&g->base, RN_ETOOBIG,
                             "%s: more than %zu groups (the max_groups cap)",
                             g->what, g->max_groups);
    if (rc != RN_OK)
        return rc;
    size_t page = gid / GROUPS_PER_PAGE;
    if (page >= g->npages) {
        if (g->npages == g->pcap) {
            size_t cap = g->pcap ? g->pcap * 2 : 16;
            unsigned char **p = rn__alloc(&g->base.mem, cap * sizeof *p);
            if (!p)
                return RN_ENOMEM;
            if (g->npages)
                memcpy(p, g->pages, g->npages * sizeof *p);
            rn__free(&g->base.mem, g->pages, g->pcap * sizeof *p);
            g->pages = p;
            g->pcap = cap;
        }
        g->pages[g->npages] =
            rn__calloc(&g->base.mem, GROUPS_PER_PAGE * g->stride);
        if (!g->pages[g->npages])
            return RN_ENOMEM;
        g->npages++;
    }
    *id = g->ngroups++;
    *st = state_of(g, *id);
    if (is_short) {
        /* Pages never move, so the entry can point at the state. */
        short_key *e = &g->sk[slot];
        e->w0 = w0;
        e->w1 = w1;
        e->len1 = (uint32_t)key.len + 1;
        e->gid = (uint32_t)*id;
        e->st = *st;
        g->skn++;
    }
    return RN_OK;
}

/* The group of key and its state, made (empty) when new. Inline in the
 * per-record loop, whose cost it mostly is; group_new() is the cold rest. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline int group_of(groupby *g, rn_field key, size_t *id,
                           unsigned char **st)
{
    uint64_t w0 = 0, w1 = 0;
    size_t slot = 0;
    if (RN__LIKELY(key.len <= SHORT_KEY && g->skcap != 0)) {
        short_words(key.ptr, key.len, &w0, &w1);
        uint32_t len1 = (uint32_t)key.len + 1;
        size_t mask = g->skcap - 1;
        for (slot = (size_t)short_hash(w0, w1, key.len) & mask;;
             slot = (slot + 1) & mask) {
            const short_key *e = &g->sk[slot];
            if (RN__LIKELY(e->w0 == w0 && e->w1 == w1 && e->len1 == len1)) {
                *id = e->gid;
                *st = e->st;
                return RN_OK;
            }
            if (!e->len1)
                break;
        }
    } else if (key.len <= SHORT_KEY) {
        short_words(key.ptr, key.len, &w0, &w1); /* the first key */
    }
    return group_new(g, key, w0, w1, slot, id, st);
}

/* Updates the states of group id with one column's value. */
static int update(groupby *g, column *c, unsigned char *st, size_t id,
                  rn_field v)
{
    const rn_allocator *mem = &g->base.mem;
    int rc;
    if (c->need & NEED_NUMBER) {
        rn__agg_num x;
        if (!rn__agg_num_parse(&x, v.ptr, v.len)) {
            c->skipped++;
            g->base.stats.skipped++;
        } else {
            if (c->need & NEED_SUM)
                rn__agg_sum_add((rn__agg_sum *)(st + c->off_sum), &x);
            if ((c->need & NEED_MIN) &&
                (rc = rn__agg_ext_add((rn__agg_ext *)(st + c->off_min), mem,
                                      &x, false)) != RN_OK)
                return rc;
            if ((c->need & NEED_MAX) &&
                (rc = rn__agg_ext_add((rn__agg_ext *)(st + c->off_max), mem,
                                      &x, true)) != RN_OK)
                return rc;
            if (c->need & NEED_WELFORD)
                rn__agg_welford_add((rn__agg_welford *)(st + c->off_wel),
                                    rn__agg_num_double(&x));
        }
    }
    if (c->need & NEED_FIRST) {
        rn__agg_bytes *b = (rn__agg_bytes *)(st + c->off_first);
        if (!b->have && (rc = rn__agg_bytes_set(b, mem, v.ptr, v.len)) != RN_OK)
            return rc;
    }
    if ((c->need & NEED_LAST) &&
        (rc = rn__agg_bytes_set((rn__agg_bytes *)(st + c->off_last), mem,
                                v.ptr, v.len)) != RN_OK)
        return rc;
    if (c->need & NEED_SET) {
        rc = rn__agg_values_add(&g->values, (rn__agg_set *)(st + c->off_set),
                                c->set, (uint32_t)id, v.ptr, v.len,
                                g->max_distinct);
        if (rc == RN_ETOOBIG)
            return rn__iter_fail(
                &g->base, RN_ETOOBIG,
                "%s: more than %llu distinct values of '%.*s' in one group "
                "(the max_distinct cap)",
                g->what, (unsigned long long)g->max_distinct,
                (int)c->name.len, c->name.ptr);
        if (rc != RN_OK)
            return rc;
    }
    return RN_OK;
}

/* Adds the records of one batch. On failure the error is set. */
static int absorb(groupby *g, const rn_batch *b)
{
    for (size_t k = 0; k < b->n; k++) {
        const rn_record *r = &b->recs[k];
        rn_field key;
        size_t id;
        unsigned char *st;
        int rc = key_of(g, r, &key);
        if (rc == RN_OK)
            rc = group_of(g, key, &id, &st);
        if (rc == RN_OK) {
            ((group_head *)st)->count++;
            for (size_t i = 0; i < g->ncols && rc == RN_OK; i++)
                rc = update(g, &g->cols[i], st, id,
                            field_at(r, g->cols[i].idx));
        }
        g->base.stats.records_in++;
        if (rc != RN_OK) {
            if (g->base.status >= 0)
                rn__iter_fail(&g->base, rc, "%s: %s (%zu groups)", g->what,
                              rn_strerror(rc), g->ngroups);
            return rc;
        }
    }
    return RN_OK;
}

static int drain(groupby *g)
{
    rn_iter *it = &g->base;
    rn_batch b;
    int rc;
    while ((rc = rn_next_batch(it->up, &b)) == RN_ROW) {
        /* A ragged CSV may widen its schema: positions are looked up again
         * (names keep their positions, so this is cheap and rare). */
        if (it->up->schema != g->seen && !resolve(g, it->up->schema))
            return it->status;
        rc = absorb(g, &b);
        if (rc != RN_OK)
            return rc;
    }
    if (rc == RN_AGAIN || rc == RN_DONE)
        return rc;
    return rn__iter_adopt(it, it->up, rc);
}

static void make_detail(groupby *g)
{
    size_t k = 0;
    g->detail[0] = '\0';
    for (size_t i = 0; i < g->ncols; i++) {
        const column *c = &g->cols[i];
        if (!c->skipped || k >= sizeof g->detail)
            continue;
        int w = snprintf(g->detail + k, sizeof g->detail - k,
                         "%s%.*s: %llu %s, skipped", k ? "; " : "",
                         (int)c->name.len, c->name.ptr,
                         (unsigned long long)c->skipped,
                         c->skipped == 1 ? "value not a number"
                                         : "values not numbers");
        if (w > 0)
            k += (size_t)w;
    }
}

/* ---- count-by order ---------------------------------------------------------------- */

/* The i-th field of a joined key, i < nkeys. */
static rn_field key_field(const groupby *g, rn_field key, size_t i)
{
    const char *p = key.ptr, *end = key.ptr + key.len;
    rn_field f;
    for (size_t j = 0;; j++) {
        if (j + 1 == g->nkeys) {
            f.ptr = p;
            f.len = (size_t)(end - p);
            return f;
        }
        uint64_t len;
        p += get_varint(p, &len);
        if (j == i) {
            f.ptr = p;
            f.len = (size_t)len;
            return f;
        }
        p += len;
    }
}

static int field_cmp(rn_field a, rn_field b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    if (c)
        return c;
    return a.len < b.len ? -1 : a.len > b.len;
}

/* Count descending, then the key fields ascending, byte-wise, one by one. */
static int group_cmp(const groupby *g, uint32_t a, uint32_t b)
{
    uint64_t ca = ((const group_head *)state_of(g, a))->count;
    uint64_t cb = ((const group_head *)state_of(g, b))->count;
    if (ca != cb)
        return ca > cb ? -1 : 1;
    rn_field ka = rn__intern_get(&g->keys, a), kb = rn__intern_get(&g->keys, b);
    for (size_t i = 0; i < g->nkeys; i++) {
        int c = field_cmp(key_field(g, ka, i), key_field(g, kb, i));
        if (c)
            return c;
    }
    return 0;
}

/* Bottom-up merge sort (qsort has no context argument in C11). */
static int sort_groups(groupby *g)
{
    size_t n = g->ngroups;
    g->order = rn__alloc(&g->base.mem, n * sizeof *g->order);
    uint32_t *tmp = rn__alloc(&g->base.mem, n * sizeof *tmp);
    if (!g->order || !tmp) {
        rn__free(&g->base.mem, tmp, n * sizeof *tmp);
        rn__free(&g->base.mem, g->order, n * sizeof *g->order);
        g->order = NULL;
        return RN_ENOMEM;
    }
    g->order_n = n;
    for (size_t i = 0; i < n; i++)
        g->order[i] = (uint32_t)i;
    uint32_t *a = g->order, *b = tmp;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n;
            size_t hi = mid + w < n ? mid + w : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                b[k++] = group_cmp(g, a[j], a[i]) < 0 ? a[j++] : a[i++];
            while (i < mid)
                b[k++] = a[i++];
            while (j < hi)
                b[k++] = a[j++];
        }
        uint32_t *t = a;
        a = b;
        b = t;
    }
    if (a != g->order)
        memcpy(g->order, a, n * sizeof *a);
    rn__free(&g->base.mem, tmp, n * sizeof *tmp);
    return RN_OK;
}

/* ---- yielding ------------------------------------------------------------------------ */

/* After the last record: the group of no keys exists even without records,
 * share's total is summed, count-by sorts, and the output batch is
 * allocated. */
static int finish(groupby *g)
{
    int rc;
    size_t id;
    if (g->nkeys == 0 && g->ngroups == 0) {
        rn_field none = {"", 0};
        unsigned char *st;
        if ((rc = group_of(g, none, &id, &st)) != RN_OK)
            return rc;
    }
    /* Every record that reached groupby is in exactly one group's count. */
    for (size_t i = 0; g->has_share && i < g->ngroups; i++)
        g->total += ((const group_head *)state_of(g, i))->count;
    if (g->by_count && (rc = sort_groups(g)) != RN_OK)
        return rc;
    size_t n = g->ngroups < RN__BATCH ? g->ngroups : RN__BATCH;
    if (n == 0)
        return RN_OK;
    size_t w = g->nkeys + g->nouts;
    g->recs = rn__alloc(&g->base.mem, n * sizeof *g->recs);
    g->fields = rn__alloc(&g->base.mem, n * w * sizeof *g->fields);
    g->text = rn__alloc(&g->base.mem, n * (g->ntext ? g->ntext : 1) *
                                          RN__AGG_FMT_MAX);
    if (!g->recs || !g->fields || !g->text) {
        rn__free(&g->base.mem, g->recs, n * sizeof *g->recs);
        rn__free(&g->base.mem, g->fields, n * w * sizeof *g->fields);
        rn__free(&g->base.mem, g->text,
                 n * (g->ntext ? g->ntext : 1) * RN__AGG_FMT_MAX);
        g->recs = NULL;
        g->fields = NULL;
        g->text = NULL;
        return RN_ENOMEM;
    }
    g->out_cap = n;
    return RN_OK;
}

/* Where output records are built: the groupby's own batch, or a
 * snapshot's. */
typedef struct outbuf {
    rn_record *recs;
    rn_field *fields;  /* per record: nkeys + nouts views */
    char *text;        /* per record: ntext formatted numbers */
    uint64_t total;    /* records over all groups, for share */
} outbuf;

/* Fills output record k of o with group id, numbered line. */
static void fill_into(const groupby *g, const outbuf *ob, size_t k, size_t id,
                      uint64_t line)
{
    size_t w = g->nkeys + g->nouts;
    rn_field *f = ob->fields + k * w;
    char *t = ob->text + k * g->ntext * RN__AGG_FMT_MAX;
    rn_field key = rn__intern_get(&g->keys, (uint32_t)id);
    for (size_t i = 0; i < g->nkeys; i++)
        f[i] = key_field(g, key, i);
    f += g->nkeys;
    const unsigned char *st = state_of(g, id);
    uint64_t count = ((const group_head *)st)->count;
    for (size_t j = 0; j < g->nouts; j++) {
        const output *o = &g->outs[j];
        /* Count and share read no column (and there may be none). */
        const column *c =
            o->kind == RN__AGG_COUNT || o->kind == RN__AGG_SHARE
                ? NULL
                : &g->cols[o->col];
        const rn__agg_set *set =
            c && (c->need & NEED_SET) ? (const rn__agg_set *)(st + c->off_set)
                                      : NULL;
        size_t len = 0;
        switch (o->kind) {
        case RN__AGG_COUNT:
            len = rn__fmt_i64((int64_t)count, t);
            break;
        case RN__AGG_SHARE:
            len = rn__agg_share_format(count, ob->total, t);
            break;
        case RN__AGG_SUM:
            len = rn__agg_sum_format((const rn__agg_sum *)(st + c->off_sum), t);
            break;
        case RN__AGG_MEAN:
            len = rn__agg_mean_format((const rn__agg_sum *)(st + c->off_sum),
                                      t);
            break;
        case RN__AGG_VAR:
        case RN__AGG_STDDEV:
            len = rn__agg_var_format(
                (const rn__agg_welford *)(st + c->off_wel),
                o->kind == RN__AGG_STDDEV, t);
            break;
        case RN__AGG_DISTINCT:
            /* Only the group of no keys over no records has count 0. */
            len = count ? rn__fmt_i64((int64_t)set->ndistinct, t) : 0;
            break;
        case RN__AGG_MIN:
            f[j] = rn__agg_bytes_get(&((const rn__agg_ext *)(st + c->off_min))->b);
            continue;
        case RN__AGG_MAX:
            f[j] = rn__agg_bytes_get(&((const rn__agg_ext *)(st + c->off_max))->b);
            continue;
        case RN__AGG_FIRST:
            f[j] = rn__agg_bytes_get((const rn__agg_bytes *)(st + c->off_first));
            continue;
        case RN__AGG_LAST:
            f[j] = rn__agg_bytes_get((const rn__agg_bytes *)(st + c->off_last));
            continue;
        default: /* RN__AGG_MODE */
            if (set && set->ndistinct) {
                f[j] = rn__agg_values_get(&g->values, set->best);
            } else {
                f[j].ptr = "";
                f[j].len = 0;
            }
            continue;
        }
        f[j].ptr = t;
        f[j].len = len;
        t += RN__AGG_FMT_MAX;
    }
    rn_record *r = &ob->recs[k];
    r->fields = ob->fields + k * w;
    r->nfields = w;
    r->line = line;
    r->offset = 0;
    r->raw.ptr = NULL;
    r->raw.len = 0;
}

static void fill(groupby *g, size_t k, size_t id)
{
    outbuf ob = {g->recs, g->fields, g->text, g->total};
    fill_into(g, &ob, k, id, g->pos + k + 1);
}

static int groupby_next(rn_iter *it, rn_batch *out)
{
    groupby *g = (groupby *)it;
    if (g->state == ST_DRAIN) {
        int rc = drain(g);
        make_detail(g);
        if (rc != RN_DONE)
            return rc;
        rc = finish(g);
        if (rc != RN_OK) {
            if (it->status >= 0)
                rn__iter_fail(it, rc, "%s: %s (%zu groups)", g->what,
                              rn_strerror(rc), g->ngroups);
            return rc;
        }
        g->state = ST_EMIT;
    }
    if (g->pos >= g->ngroups)
        return RN_DONE;
    size_t n = g->ngroups - g->pos;
    if (n > g->out_cap)
        n = g->out_cap;
    for (size_t k = 0; k < n; k++)
        fill(g, k, g->order ? g->order[g->pos + k] : g->pos + k);
    g->pos += n;
    out->recs = g->recs;
    out->n = n;
    return RN_ROW;
}

static void groupby_close(rn_iter *it)
{
    groupby *g = (groupby *)it;
    const rn_allocator *mem = &it->mem;
    for (size_t id = 0; g->frees_bytes && id < g->ngroups; id++) {
        unsigned char *st = state_of(g, id);
        for (size_t i = 0; i < g->ncols; i++) {
            const column *c = &g->cols[i];
            if (c->need & NEED_MIN)
                rn__agg_bytes_free(&((rn__agg_ext *)(st + c->off_min))->b, mem);
            if (c->need & NEED_MAX)
                rn__agg_bytes_free(&((rn__agg_ext *)(st + c->off_max))->b, mem);
            if (c->need & NEED_FIRST)
                rn__agg_bytes_free((rn__agg_bytes *)(st + c->off_first), mem);
            if (c->need & NEED_LAST)
                rn__agg_bytes_free((rn__agg_bytes *)(st + c->off_last), mem);
        }
    }
    for (size_t i = 0; i < g->npages; i++)
        rn__free(mem, g->pages[i], GROUPS_PER_PAGE * g->stride);
    rn__free(mem, g->pages, g->pcap * sizeof *g->pages);
    rn__free(mem, g->kbuf, g->kcap);
    rn__free(mem, g->order, g->order_n * sizeof *g->order);
    size_t n = g->out_cap, w = g->nkeys + g->nouts;
    rn__free(mem, g->recs, n * sizeof *g->recs);
    rn__free(mem, g->fields, n * w * sizeof *g->fields);
    rn__free(mem, g->text, n * (g->ntext ? g->ntext : 1) * RN__AGG_FMT_MAX);
    rn__intern_free(&g->keys);
    rn__free(mem, g->sk, g->skcap * sizeof *g->sk);
    rn__agg_values_free(&g->values);
    rn__schema_free(mem, g->schema);
    rn__arena_free(&g->meta);
}

static const rn__iter_vt groupby_vt = {"groupby", groupby_next,
                                       groupby_close};
static const rn__iter_vt count_by_vt = {"count-by", groupby_next,
                                        groupby_close};

static rn_iter *make(const rn__iter_vt *vt, rn_iter *up,
                     const char *const *keys, size_t nkeys,
                     const char *const *aggs, size_t naggs,
                     const rn_groupby_opts *opts)
{
    if (!up)
        return NULL;
    groupby *g = rn__iter_new(vt, sizeof *g, up, NULL);
    if (!g)
        return NULL;
    rn_iter *it = &g->base;
    g->what = vt->kind;
    it->detail = g->detail; /* "" until values are skipped */
    g->by_count = vt == &count_by_vt;
    rn__arena_init(&g->meta, &it->mem, 1024);
    rn__intern_init(&g->keys, &it->mem);
    rn__agg_values_init(&g->values, &it->mem);
    g->max_groups = opts && opts->max_groups ? opts->max_groups
                                             : DEFAULT_MAX_GROUPS;
    if (g->max_groups > UINT32_MAX - 1)
        g->max_groups = UINT32_MAX - 1; /* group ids are uint32_t */
    g->max_distinct = opts && opts->max_distinct ? opts->max_distinct
                                                 : DEFAULT_MAX_DISTINCT;
    if (it->status < 0)
        return it; /* up failed at construction: report that */
    if (setup(g, keys, nkeys, aggs, naggs) == RN_ENOMEM) {
        rn_free(it);
        return NULL;
    }
    return it;
}

rn_iter *rn_groupby_new(rn_iter *up, const char *const *keys, size_t nkeys,
                        const char *const *aggs, size_t naggs,
                        const rn_groupby_opts *opts)
{
    return make(&groupby_vt, up, keys, nkeys, aggs, naggs, opts);
}

rn_iter *rn_count_by_new(rn_iter *up, const char *const *keys, size_t nkeys,
                         const rn_groupby_opts *opts)
{
    static const char *const count[1] = {"count"};
    return make(&count_by_vt, up, keys, nkeys, count, 1, opts);
}

/* ---- snapshots ----------------------------------------------------------------------- */

/* The groups so far of a groupby that may still be reading: borrowed state,
 * own output batch. */
typedef struct snapshot {
    rn_iter base;
    const groupby *g;
    size_t ngroups;    /* groups when the snapshot was taken */
    size_t pos;        /* next group to yield */
    outbuf ob;
    size_t cap;        /* records in ob */
} snapshot;

static size_t snap_text_bytes(const groupby *g, size_t n)
{
    return n * (g->ntext ? g->ntext : 1) * RN__AGG_FMT_MAX;
}

static int snapshot_next(rn_iter *it, rn_batch *out)
{
    snapshot *sn = (snapshot *)it;
    if (sn->pos >= sn->ngroups)
        return RN_DONE;
    size_t n = sn->ngroups - sn->pos;
    if (n > sn->cap)
        n = sn->cap;
    for (size_t k = 0; k < n; k++)
        fill_into(sn->g, &sn->ob, k, sn->pos + k, sn->pos + k + 1);
    sn->pos += n;
    out->recs = sn->ob.recs;
    out->n = n;
    return RN_ROW;
}

static void snapshot_close(rn_iter *it)
{
    snapshot *sn = (snapshot *)it;
    if (!sn->g)
        return;
    size_t w = sn->g->nkeys + sn->g->nouts;
    rn__free(&it->mem, sn->ob.recs, sn->cap * sizeof *sn->ob.recs);
    rn__free(&it->mem, sn->ob.fields, sn->cap * w * sizeof *sn->ob.fields);
    rn__free(&it->mem, sn->ob.text, snap_text_bytes(sn->g, sn->cap));
}

static const rn__iter_vt snapshot_vt = {"snapshot", snapshot_next,
                                        snapshot_close};

rn_iter *rn_groupby_snapshot(rn_iter *it)
{
    if (!it)
        return NULL;
    snapshot *sn = rn__iter_new(&snapshot_vt, sizeof *sn, NULL, &it->mem);
    if (!sn)
        return NULL;
    if (it->vt != &groupby_vt && it->vt != &count_by_vt) {
        rn__iter_fail(&sn->base, RN_EMISUSE,
                      "rn_groupby_snapshot: '%s' is not a groupby or "
                      "count-by", rn_kind(it));
        return &sn->base;
    }
    if (it->status < 0) {
        rn__iter_adopt(&sn->base, it, it->status);
        return &sn->base;
    }
    const groupby *g = (const groupby *)it;
    sn->base.schema = g->schema;
    sn->ngroups = g->ngroups;
    for (size_t i = 0; i < g->ngroups; i++)
        sn->ob.total += ((const group_head *)state_of(g, i))->count;
    size_t n = g->ngroups < RN__BATCH ? g->ngroups : RN__BATCH;
    if (n == 0)
        return &sn->base;
    size_t w = g->nkeys + g->nouts;
    sn->ob.recs = rn__alloc(&sn->base.mem, n * sizeof *sn->ob.recs);
    sn->ob.fields = rn__alloc(&sn->base.mem, n * w * sizeof *sn->ob.fields);
    sn->ob.text = rn__alloc(&sn->base.mem, snap_text_bytes(g, n));
    sn->g = g;
    sn->cap = n;
    if (!sn->ob.recs || !sn->ob.fields || !sn->ob.text) {
        rn_free(&sn->base); /* close frees what was allocated */
        return NULL;
    }
    return &sn->base;
}
