/*
 * mem.c - the per-chain allocator and schemas.
 *
 * Every allocation in the library goes through an rn_allocator copied into
 * the object that owns the memory, so a chain never touches global state and
 * tests can count or refuse each allocation. Frees pass the size back, which
 * lets an application's allocator account without headers.
 */
#include "runnel_internal.h"

#include <stdlib.h>
#include <string.h>

static void *default_alloc(void *ud, size_t size)
{
    (void)ud;
    return malloc(size ? size : 1);
}

static void default_free(void *ud, void *ptr, size_t size)
{
    (void)ud;
    (void)size;
    free(ptr);
}

rn_allocator rn__allocator(const rn_allocator *a)
{
    rn_allocator r = {default_alloc, default_free, NULL};
    if (a && a->alloc && a->free)
        r = *a;
    return r;
}

void *rn__alloc(const rn_allocator *a, size_t size)
{
    return a->alloc(a->ud, size);
}

void *rn__calloc(const rn_allocator *a, size_t size)
{
    void *p = a->alloc(a->ud, size);
    if (p)
        memset(p, 0, size);
    return p;
}

void rn__free(const rn_allocator *a, void *ptr, size_t size)
{
    if (ptr)
        a->free(a->ud, ptr, size);
}

char *rn__strdup(const rn_allocator *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = rn__alloc(a, n);
    if (p)
        memcpy(p, s, n);
    return p;
}

void rn__strfree(const rn_allocator *a, char *s)
{
    if (s)
        rn__free(a, s, strlen(s) + 1);
}

/* A schema is one allocation: the struct, then n views, then n flags when
 * typed, then the name bytes, so freeing needs only the total size, which
 * is recomputed from the views. */
static size_t schema_size(const rn_field *names, size_t n, bool typed)
{
    size_t size = sizeof(rn_schema) + n * sizeof(rn_field) + (typed ? n : 0);
    for (size_t i = 0; i < n; i++)
        size += names[i].len + 1;
    return size;
}

rn_schema *rn__schema_new_typed(const rn_allocator *a, const rn_field *names,
                                const unsigned char *num, size_t n)
{
    rn_schema *s = rn__alloc(a, schema_size(names, n, num != NULL));
    if (!s)
        return NULL;
    rn_field *views = (rn_field *)(s + 1);
    unsigned char *flags = (unsigned char *)(views + n);
    char *bytes = (char *)flags + (num ? n : 0);
    if (num)
        memcpy(flags, num, n);
    for (size_t i = 0; i < n; i++) {
        if (names[i].len)
            memcpy(bytes, names[i].ptr, names[i].len);
        bytes[names[i].len] = '\0';
        views[i].ptr = bytes;
        views[i].len = names[i].len;
        bytes += names[i].len + 1;
    }
    s->n = n;
    s->name = views;
    s->num = num ? flags : NULL;
    return s;
}

rn_schema *rn__schema_new(const rn_allocator *a, const rn_field *names,
                          size_t n)
{
    return rn__schema_new_typed(a, names, NULL, n);
}

void rn__schema_free(const rn_allocator *a, rn_schema *s)
{
    if (s)
        rn__free(a, s, schema_size(s->name, s->n, s->num != NULL));
}

int rn_schema_is_number(const rn_schema *s, size_t i)
{
    return s && s->num && i < s->n && s->num[i];
}

size_t rn_schema_count(const rn_schema *s)
{
    return s ? s->n : 0;
}

rn_field rn_schema_name(const rn_schema *s, size_t i)
{
    rn_field none = {"", 0};
    return s && i < s->n ? s->name[i] : none;
}

ptrdiff_t rn_schema_find(const rn_schema *s, const char *name, size_t len)
{
    if (!s)
        return -1;
    for (size_t i = 0; i < s->n; i++)
        if (s->name[i].len == len && memcmp(s->name[i].ptr, name, len) == 0)
            return (ptrdiff_t)i;
    return -1;
}

rn_schema *rn_schema_new(const char *const *names, size_t n,
                         const rn_allocator *allocator)
{
    rn_allocator a = rn__allocator(allocator);
    rn_field one[16] = {{NULL, 0}};
    rn_field *views = n <= 16 ? one : rn__alloc(&a, n * sizeof *views);
    if (!views)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        views[i].ptr = names[i];
        views[i].len = strlen(names[i]);
    }
    rn_schema *s = rn__schema_new(&a, views, n);
    if (views != one)
        rn__free(&a, views, n * sizeof *views);
    return s;
}

void rn_schema_free(rn_schema *s, const rn_allocator *allocator)
{
    rn_allocator a = rn__allocator(allocator);
    rn__schema_free(&a, s);
}

bool rn__schema_equal(const rn_schema *a, const rn_schema *b)
{
    if (a == b)
        return true;
    if (!a || !b || a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (a->name[i].len != b->name[i].len ||
            memcmp(a->name[i].ptr, b->name[i].ptr, a->name[i].len) != 0)
            return false;
    return true;
}
