/*
 * uniq.c - the first record of each distinct key, where the key is the named
 * fields (all fields when none are named).
 *
 * A key of one field is its bytes; a key of several is each field's length
 * (LEB128) followed by its bytes, so ("a,", "b") and ("a", ",b") differ. Keys
 * are looked up by hash first, so a repeated key costs no copy; a new key is
 * copied once into an arena and put in the table (hash.h). Memory grows with
 * distinct keys only, capped by max_keys (RN_ETOOBIG). Records pass through
 * as views of the upstream batch, which is held until all of it is handed out.
 */
#include "base/runnel_internal.h"

#include "base/arena.h"
#include "base/hash.h"

#include <string.h>

#define DEFAULT_MAX_KEYS ((size_t)10 * 1000 * 1000)

typedef struct uniq {
    rn_iter base;
    rn_schema *names;       /* key field names; n == 0: every field */
    ptrdiff_t *idx;         /* names->n upstream positions */
    const rn_schema *seen;  /* upstream schema idx was made for */
    bool resolved;
    size_t max_keys;
    rn__hmap map;           /* keys seen; they point into keys */
    rn__arena keys;         /* one copy of each key */
    char *kbuf;             /* encoded key of the record at hand */
    size_t kcap;
    rn_record *out;         /* RN__BATCH records handed out */
    rn_batch b;             /* upstream batch being filtered */
    size_t pos;             /* next record of b */
} uniq;

static int oom(uniq *u)
{
    return rn__iter_fail(&u->base, RN_ENOMEM, "uniq: out of memory");
}

static int resolve(uniq *u, const rn_schema *s)
{
    for (size_t i = 0; i < u->names->n; i++) {
        u->idx[i] = rn__field_index(&u->base, "uniq", s, u->names->name[i].ptr,
                                    u->names->name[i].len);
        if (u->idx[i] < 0)
            return RN_EINVAL;
    }
    u->seen = s;
    u->resolved = true;
    return RN_OK;
}

static size_t leb128(char *p, size_t v)
{
    size_t k = 0;
    do {
        unsigned char c = v & 0x7f;
        v >>= 7;
        p[k++] = (char)(v ? c | 0x80 : c);
    } while (v);
    return k;
}

static rn_field field_at(const rn_record *r, size_t i)
{
    rn_field none = {"", 0};
    return i < r->nfields ? r->fields[i] : none;
}

/* Encodes the key of r into kbuf; sets *key. RN_OK or RN_ENOMEM. */
static int encode(uniq *u, const rn_record *r, rn_field *key)
{
    size_t n = u->names->n ? u->names->n : r->nfields;
    size_t need = 0;
    for (size_t i = 0; i < n; i++) {
        rn_field f = field_at(r, u->names->n ? (size_t)u->idx[i] : i);
        if (f.len > SIZE_MAX - 16 - need)
            return oom(u);
        need += f.len + 10; /* a size_t in LEB128 takes at most 10 bytes */
    }
    if (need > u->kcap) {
        size_t cap = u->kcap ? u->kcap : 256;
        while (cap < need)
            cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        char *p = rn__alloc(&u->base.mem, cap);
        if (!p)
            return oom(u);
        rn__free(&u->base.mem, u->kbuf, u->kcap);
        u->kbuf = p;
        u->kcap = cap;
    }
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        rn_field f = field_at(r, u->names->n ? (size_t)u->idx[i] : i);
        len += leb128(u->kbuf + len, f.len);
        if (f.len)
            memcpy(u->kbuf + len, f.ptr, f.len);
        len += f.len;
    }
    key->ptr = u->kbuf;
    key->len = len;
    return RN_OK;
}

/* Whether r's key is new, remembering it if so. <0 on an error. */
static int is_new(uniq *u, const rn_record *r)
{
    rn_field key;
    if (u->names->n == 1) {
        key = field_at(r, (size_t)u->idx[0]);
    } else if (encode(u, r, &key) < 0) {
        return RN_ENOMEM;
    }
    uint64_t h = rn__hash_bytes(key.ptr, key.len, RN__HASH_SEED);
    if (rn__hmap_find(&u->map, key.ptr, key.len, h))
        return 0;
    if (rn__hmap_count(&u->map) >= u->max_keys)
        return rn__iter_fail(&u->base, RN_ETOOBIG,
                             "uniq: more than %zu distinct keys; uniq keeps "
                             "every key it has seen: raise --max-keys",
                             u->max_keys);
    const char *copy = rn__arena_dup(&u->keys, key.ptr, key.len);
    uint32_t *v;
    bool found;
    if (!copy || rn__hmap_put(&u->map, copy, key.len, h, &v, &found) != RN_OK)
        return oom(u);
    return 1;
}

static int uniq_next(rn_iter *it, rn_batch *out)
{
    uniq *u = (uniq *)it;
    size_t k = 0;
    while (k == 0) {
        if (u->pos == u->b.n) {
            rn_batch b;
            int rc = rn_next_batch(it->up, &b);
            if (rc == RN_AGAIN || rc == RN_DONE)
                return rc;
            if (rc < 0)
                return rn__iter_adopt(it, it->up, rc);
            it->schema = it->up->schema;
            if (u->names->n && (!u->resolved || it->up->schema != u->seen) &&
                resolve(u, it->up->schema) < 0)
                return RN_EINVAL;
            it->stats.records_in += b.n;
            u->b = b;
            u->pos = 0;
        }
        while (u->pos < u->b.n && k < RN__BATCH) {
            const rn_record *r = &u->b.recs[u->pos];
            int rc = is_new(u, r);
            if (rc < 0) {
                /* The sticky error follows the records already taken. */
                if (k == 0)
                    return rc;
                break;
            }
            u->pos++;
            if (rc)
                u->out[k++] = *r;
            else
                it->stats.filtered++;
        }
    }
    out->recs = u->out;
    out->n = k;
    return RN_ROW;
}

static void uniq_close(rn_iter *it)
{
    uniq *u = (uniq *)it;
    size_t n = u->names ? u->names->n : 0;
    rn__free(&it->mem, u->idx, (n ? n : 1) * sizeof *u->idx);
    rn__schema_free(&it->mem, u->names);
    rn__hmap_free(&u->map);
    rn__arena_free(&u->keys);
    rn__free(&it->mem, u->kbuf, u->kcap);
    rn__free(&it->mem, u->out, u->out ? RN__BATCH * sizeof *u->out : 0);
}

static const rn__iter_vt uniq_vt = {"uniq", uniq_next, uniq_close};

rn_iter *rn_uniq_new(rn_iter *up, const char *const *names, size_t n,
                     size_t max_keys)
{
    if (!up)
        return NULL;
    uniq *u = rn__iter_new(&uniq_vt, sizeof *u, up, NULL);
    if (!u)
        return NULL;
    rn_iter *it = &u->base;
    u->max_keys = max_keys ? max_keys : DEFAULT_MAX_KEYS;
    rn__hmap_init(&u->map, &it->mem, 0);
    rn__arena_init(&u->keys, &it->mem, 0);
    if (it->status < 0)
        return it;
    for (size_t i = 0; i < n; i++) {
        if (!names || !names[i]) {
            rn__iter_fail(it, RN_EINVAL,
                          "uniq: a field name is missing (NULL)");
            return it;
        }
    }
    u->names = rn_schema_new(names, n, &it->mem);
    u->idx = u->names ? rn__alloc(&it->mem, (n ? n : 1) * sizeof *u->idx)
                      : NULL;
    u->out = u->idx ? rn__alloc(&it->mem, RN__BATCH * sizeof *u->out) : NULL;
    if (!u->out) {
        rn_free(it);
        return NULL;
    }
    /* An unknown name leaves the iterator in its error state. */
    if (n && up->schema)
        resolve(u, up->schema);
    return it;
}
