/*
 * regex.c - PCRE2 for the stages that match: compile with JIT when the
 * library has it (the interpreter gives the same answers otherwise), and
 * route every PCRE2 allocation through the chain's allocator so that tests
 * can count and refuse it. PCRE2's free does not pass the size back, so each
 * block carries a header with it. The required-literal scan at the end is a
 * plain parser of the pattern text; it never compiles anything.
 */
#include "regex_internal.h"

#include <stdio.h>
#include <string.h>

typedef union size_hdr {
    size_t size;
    max_align_t align;         /* keeps the block after it aligned */
} size_hdr;

static void *re_alloc(PCRE2_SIZE size, void *ud)
{
    rn__regex *re = ud;
    if (size > SIZE_MAX - sizeof(size_hdr)) {
        re->failed = true;
        return NULL;
    }
    size_hdr *h = rn__alloc(re->mem, size + sizeof *h);
    if (!h) {
        re->failed = true;
        return NULL;
    }
    h->size = size;
    return h + 1;
}

static void re_free(void *ptr, void *ud)
{
    rn__regex *re = ud;
    if (!ptr)
        return;
    size_hdr *h = (size_hdr *)ptr - 1;
    rn__free(re->mem, h, h->size + sizeof *h);
}

int rn__regex_parse(rn__regex *re, const rn_allocator *mem,
                    const char *pattern, size_t len, uint32_t options,
                    char *why, size_t whycap, size_t *erroff)
{
    memset(re, 0, sizeof *re);
    re->mem = mem;
    if (whycap)
        why[0] = '\0';
    *erroff = 0;
    re->gctx = pcre2_general_context_create(re_alloc, re_free, re);
    if (!re->gctx)
        return RN_ENOMEM;
    pcre2_compile_context *cctx = pcre2_compile_context_create(re->gctx);
    if (!cctx)
        return RN_ENOMEM;
    int err;
    PCRE2_SIZE off;
    re->code = pcre2_compile((PCRE2_SPTR)(pattern ? pattern : ""), len,
                             options, &err, &off, cctx);
    pcre2_compile_context_free(cctx);
    if (!re->code) {
        if (re->failed || err == PCRE2_ERROR_HEAP_FAILED)
            return RN_ENOMEM;
        rn__regex_errmsg(err, why, whycap);
        *erroff = (size_t)off;
        return RN_EINVAL;
    }
    return RN_OK;
}

int rn__regex_prepare(rn__regex *re)
{
    /* A failed JIT compile (no JIT in this PCRE2, or no memory for it)
     * leaves the interpreter: slower, never wrong, so not an error. */
    bool failed = re->failed;
    re->jit = pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE) == 0;
    re->failed = failed;
    re->md = pcre2_match_data_create_from_pattern(re->code, re->gctx);
    re->mctx = pcre2_match_context_create(re->gctx);
    if (!re->md || !re->mctx)
        return RN_ENOMEM;
    if (re->jit) {
        /* The default JIT stack is 32 KiB of the machine stack: too little
         * for some patterns on long lines. */
        re->jstack = pcre2_jit_stack_create(32 * RN__KIB, RN__MIB, re->gctx);
        if (!re->jstack)
            return RN_ENOMEM;
        pcre2_jit_stack_assign(re->mctx, NULL, re->jstack);
    }
    return RN_OK;
}

int rn__regex_compile_n(rn__regex *re, const rn_allocator *mem,
                        const char *pattern, size_t len, uint32_t options,
                        char *why, size_t whycap, size_t *erroff)
{
    int rc = rn__regex_parse(re, mem, pattern, len, options, why, whycap,
                             erroff);
    return rc == RN_OK ? rn__regex_prepare(re) : rc;
}

int rn__regex_compile(rn__regex *re, const rn_allocator *mem,
                      const char *pattern, uint32_t options, char *why,
                      size_t whycap, size_t *erroff)
{
    return rn__regex_compile_n(re, mem, pattern, PCRE2_ZERO_TERMINATED,
                               options, why, whycap, erroff);
}

void rn__regex_errmsg(int code, char *buf, size_t cap)
{
    if (!cap)
        return;
    buf[0] = '\0'; /* PCRE2 writes nothing for a code it does not know */
    if (pcre2_get_error_message(code, (PCRE2_UCHAR *)buf, cap) < 0 &&
        buf[0] == '\0')
        snprintf(buf, cap, "PCRE2 error %d", code);
}

void rn__regex_free(rn__regex *re)
{
    if (!re->mem)
        return; /* never compiled */
    pcre2_match_data_free(re->md);
    pcre2_match_context_free(re->mctx);
    pcre2_jit_stack_free(re->jstack);
    pcre2_code_free(re->code);
    pcre2_general_context_free(re->gctx);
    memset(re, 0, sizeof *re);
}

/* ---- the required literal ------------------------------------------------ */

static inline bool is_digit(char c)
{
    return (unsigned char)(c - '0') < 10;
}

static inline bool is_alnum(char c)
{
    return is_digit(c) || (unsigned char)((c | 0x20) - 'a') < 26;
}

/* A group opening at p ("(..."): false when it is one whose meaning the
 * scan cannot follow: verbs such as (*ACCEPT), which end a match early;
 * comments, which may hold parentheses; option settings, which change how
 * the rest of the pattern reads. Subroutine calls ((?R), (?1), (?P>n)),
 * callouts and conditionals only need skipping. */
static bool plain_group(const char *p)
{
    if (p[1] == '*')
        return false;
    if (p[1] != '?')
        return true;
    char d = p[2];
    if (d == '#' || d == '-' || d == '^')
        return false;
    if ((unsigned char)((d | 0x20) - 'a') < 26)
        return d == 'P' || d == 'R' || d == 'C';
    return true;
}

/* Skips a class starting at p ('['); returns the byte after its ']' or
 * NULL. */
static const char *skip_class(const char *p)
{
    p++;
    if (*p == '^')
        p++;
    if (*p == ']')
        p++; /* a leading ']' is a member */
    for (;;) {
        if (*p == '\0')
            return NULL;
        if (*p == '\\') {
            if (p[1] == '\0' || p[1] == 'Q' || p[1] == 'E')
                return NULL;
            p += 2;
            continue;
        }
        if (*p == '[' && p[1] == ':') {
            const char *q = strstr(p + 2, ":]");
            if (!q)
                return NULL;
            p = q + 2;
            continue;
        }
        if (*p == ']')
            return p + 1;
        p++;
    }
}

/* Skips an escape with a letter or digit at p ('\\'), arguments included
 * (\x{41}, \k<name>, \g{-1}, \cX, \12); returns the byte after it or NULL. */
static const char *skip_escape(const char *p)
{
    char d = p[1];
    if (d == 'Q' || d == 'E')
        return NULL;
    p += 2;
    if (d == 'c')
        return *p ? p + 1 : NULL;
    if ((d == 'p' || d == 'P') && *p != '{')
        return *p ? p + 1 : NULL; /* \pL: a one-letter property */
    if (*p == '{') {
        const char *q = strchr(p, '}');
        return q ? q + 1 : NULL;
    }
    if ((d == 'k' || d == 'g') && (*p == '<' || *p == '\'')) {
        const char *q = strchr(p + 1, *p == '<' ? '>' : '\'');
        return q ? q + 1 : NULL;
    }
    if (d == 'g' && (*p == '+' || *p == '-'))
        p++;
    if (d == 'g' || is_digit(d)) {
        while (is_digit(*p))
            p++;
    } else if (d == 'x') {
        for (int k = 0; k < 2 && is_alnum(*p); k++)
            p++;
    }
    return p;
}

/* Skips a group starting at p ('('); returns the byte after its ')' or
 * NULL. */
static const char *skip_group(const char *p)
{
    int depth = 0;
    for (;;) {
        switch (*p) {
        case '\0':
            return NULL;
        case '\\':
            if (p[1] == '\0')
                return NULL;
            p = is_alnum(p[1]) ? skip_escape(p) : p + 2;
            if (!p)
                return NULL;
            continue;
        case '[':
            if (!(p = skip_class(p)))
                return NULL;
            continue;
        case '(':
            if (!plain_group(p))
                return NULL;
            depth++;
            break;
        case ')':
            if (--depth == 0)
                return p + 1;
            break;
        default:
            break;
        }
        p++;
    }
}

/* Parses a counted quantifier {n}, {n,}, {n,m} or {,m} at p; returns the
 * byte after it and sets *min, or NULL when p is not one. */
static const char *quantifier(const char *p, unsigned long *min)
{
    const char *q = p + 1;
    bool digits = false;
    *min = 0;
    while (is_digit(*q)) {
        if (*min < 1000000)
            *min = *min * 10 + (unsigned long)(*q - '0');
        q++;
        digits = true;
    }
    if (*q == ',') {
        q++;
        while (is_digit(*q)) {
            q++;
            digits = true;
        }
    }
    return digits && *q == '}' ? q + 1 : NULL;
}

typedef struct lit_run {
    const char *start, *end;   /* pattern text of the run */
    size_t n;                  /* bytes it stands for */
} lit_run;

size_t rn__regex_literal(const char *pattern, char *buf, size_t cap)
{
    lit_run best = {NULL, NULL, 0}, cur = {NULL, NULL, 0};
    const char *last = NULL;   /* where the run's last character starts */
    const char *p = pattern;
#define END_RUN(e, count)                                                  \
    do {                                                                   \
        if ((count) > best.n) {                                            \
            best.start = cur.start;                                        \
            best.end = (e);                                                \
            best.n = (count);                                              \
        }                                                                  \
        cur.n = 0;                                                         \
    } while (0)
    while (*p) {
        char c = *p;
        unsigned long min;
        const char *q;
        switch (c) {
        case '\\':
            if (p[1] == '\0')
                return 0;
            if (is_alnum(p[1])) {
                END_RUN(p, cur.n);
                if (!(p = skip_escape(p)))
                    return 0;
                continue;
            }
            break; /* an escaped sign or high byte stands for itself */
        case '[':
            END_RUN(p, cur.n);
            if (!(p = skip_class(p)))
                return 0;
            continue;
        case '(':
            END_RUN(p, cur.n);
            if (!plain_group(p) || !(p = skip_group(p)))
                return 0;
            continue;
        case ')':
        case '|':
            return 0; /* alternation: no run is required by every branch */
        case '.':
        case '^':
        case '$':
            END_RUN(p, cur.n);
            p++;
            continue;
        case '*':
        case '?':
        case '+':
        case '{':
            min = c == '+' ? 1 : 0;
            q = p + 1;
            if (c == '{' && !(q = quantifier(p, &min)))
                return 0; /* a literal '{' perhaps, but be safe */
            if (cur.n) {
                /* The last character is required only when it must occur
                 * at least once, and nothing after it follows directly. */
                if (min)
                    END_RUN(p, cur.n);
                else
                    END_RUN(last, cur.n - 1);
            }
            if (*q == '+' || *q == '?')
                q++; /* possessive or lazy */
            p = q;
            continue;
        default:
            break;
        }
        /* One plain character: c, or the escaped one after '\\'. */
        if (cur.n == 0)
            cur.start = p;
        last = p;
        cur.n++;
        p += c == '\\' ? 2 : 1;
    }
    END_RUN(p, cur.n);
#undef END_RUN
    size_t k = 0;
    for (const char *s = best.start; best.n && s < best.end && k < cap;) {
        if (*s == '\\')
            s++;
        buf[k++] = *s++;
    }
    return k;
}
