/*
 * find.c - a literal in a block (three probe bytes at a time, then the whole
 * needle), and a count of one byte; AVX2, SSE2 or portable C (see find.h).
 */
#include "find.h"

#include <string.h>

#if defined(__GNUC__) && defined(__x86_64__) && defined(__SSE2__)
#define FIND_X86 1
#include <immintrin.h>
#define AVX2 __attribute__((target("avx2")))
#else
#define FIND_X86 0
#endif

static inline unsigned char fold(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c | 0x20) : c;
}

static inline bool is_letter(unsigned char c)
{
    return fold(c) >= 'a' && fold(c) <= 'z';
}

/* How common a byte is in text, roughly; lower is rarer. Probing the two
 * rarest bytes of the needle keeps false candidates few. */
static int commonness(unsigned char b)
{
    if (b == ' ' || b == 'e' || b == 't' || b == 'a' || b == 'o')
        return 9;
    if ((b >= 'a' && b <= 'z') || (b >= '0' && b <= '9'))
        return 6;
    if (b == ':' || b == '.' || b == '-' || b == '|' || b == '/')
        return 5;
    if (b >= 'A' && b <= 'Z')
        return 3;
    return 1;
}

static int resolve(int path)
{
#if FIND_X86
    __builtin_cpu_init();
    bool avx2 = __builtin_cpu_supports("avx2");
    if (path == RN__FIND_AUTO)
        return avx2 ? RN__FIND_AVX2 : RN__FIND_SSE2;
    if (path == RN__FIND_AVX2 && !avx2)
        return RN__FIND_SSE2;
    return path;
#else
    (void)path;
    return RN__FIND_SCALAR;
#endif
}

static inline size_t dist(size_t a, size_t b)
{
    return a > b ? a - b : b - a;
}

void rn__finder_init_path(rn__finder *f, rn_field needle, bool ci, int path)
{
    memset(f, 0, sizeof *f);
    f->ptr = needle.ptr;
    f->len = needle.len;
    f->ci = ci;
    f->path = (uint8_t)resolve(path);
    /* Probe k is the rarest byte not yet probed; of equals, the farthest
     * from the probes before it, as neighbouring bytes come together. */
    size_t np = needle.len < 3 ? needle.len : 3;
    for (size_t k = 0; k < np; k++) {
        int best = 100;
        size_t spread = 0;
        for (size_t i = 0; i < needle.len; i++) {
            size_t d = SIZE_MAX;
            for (size_t j = 0; j < k; j++)
                d = dist(i, f->at[j]) < d ? dist(i, f->at[j]) : d;
            if (d == 0)
                continue;
            unsigned char c = (unsigned char)needle.ptr[i];
            int r = commonness(ci ? fold(c) : c);
            if (r < best || (r == best && d > spread)) {
                best = r;
                spread = d;
                f->at[k] = i;
            }
        }
    }
    for (size_t k = np; k < 3; k++)
        f->at[k] = f->at[0];
    for (size_t k = 0; k < 3; k++) {
        unsigned char c = (unsigned char)needle.ptr[f->at[k]];
        bool folded = ci && is_letter(c);
        f->b[k] = folded ? fold(c) : c;
        f->fold[k] = folded ? 0x20 : 0;
    }
}

void rn__finder_init(rn__finder *f, rn_field needle, bool ci)
{
    rn__finder_init_path(f, needle, ci, RN__FIND_AUTO);
}

/* Whether the needle starts at p (len bytes readable). */
static inline bool same_at(const rn__finder *f, const char *p)
{
    if (!f->ci)
        return memcmp(p, f->ptr, f->len) == 0;
    for (size_t i = 0; i < f->len; i++)
        if (fold((unsigned char)p[i]) != fold((unsigned char)f->ptr[i]))
            return false;
    return true;
}

static inline bool probes_at(const rn__finder *f, const char *s)
{
    return ((unsigned char)s[f->at[0]] | f->fold[0]) == f->b[0] &&
           ((unsigned char)s[f->at[1]] | f->fold[1]) == f->b[1] &&
           ((unsigned char)s[f->at[2]] | f->fold[2]) == f->b[2];
}

/* Start positions pos..last one at a time. */
static const char *find_tail(const rn__finder *f, const char *hay, size_t pos,
                             size_t last)
{
    for (; pos <= last; pos++)
        if (probes_at(f, hay + pos) && same_at(f, hay + pos))
            return hay + pos;
    return NULL;
}

static const char *find_scalar(const rn__finder *f, const char *hay, size_t n)
{
    size_t last = n - f->len;
    if (f->fold[0])
        return find_tail(f, hay, 0, last);
    /* Exact first probe: memchr strides over the bytes that cannot be it. */
    size_t a = f->at[0];
    const char *p = hay + a, *stop = hay + last + a + 1;
    while (p < stop) {
        const char *r = memchr(p, f->b[0], (size_t)(stop - p));
        if (!r)
            return NULL;
        if (probes_at(f, r - a) && same_at(f, r - a))
            return r - a;
        p = r + 1;
    }
    return NULL;
}

#if FIND_X86
static const char *find_sse2(const rn__finder *f, const char *hay, size_t n)
{
    size_t last = n - f->len, pos = 0;
    const char *h0 = hay + f->at[0], *h1 = hay + f->at[1], *h2 = hay + f->at[2];
    const __m128i v0 = _mm_set1_epi8((char)f->b[0]);
    const __m128i v1 = _mm_set1_epi8((char)f->b[1]);
    const __m128i v2 = _mm_set1_epi8((char)f->b[2]);
    const __m128i m0 = _mm_set1_epi8((char)f->fold[0]);
    const __m128i m1 = _mm_set1_epi8((char)f->fold[1]);
    const __m128i m2 = _mm_set1_epi8((char)f->fold[2]);
    /* Start positions pos..pos+15: each load ends at most at byte
     * last + len - 1 = n - 1. */
    for (; last >= 15 && pos <= last - 15; pos += 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(h0 + pos));
        __m128i b = _mm_loadu_si128((const __m128i *)(h1 + pos));
        __m128i c = _mm_loadu_si128((const __m128i *)(h2 + pos));
        __m128i eq = _mm_and_si128(
            _mm_and_si128(_mm_cmpeq_epi8(_mm_or_si128(a, m0), v0),
                          _mm_cmpeq_epi8(_mm_or_si128(b, m1), v1)),
            _mm_cmpeq_epi8(_mm_or_si128(c, m2), v2));
        unsigned m = (unsigned)_mm_movemask_epi8(eq);
        while (m) {
            size_t k = pos + (size_t)__builtin_ctz(m);
            if (same_at(f, hay + k))
                return hay + k;
            m &= m - 1;
        }
    }
    return find_tail(f, hay, pos, last);
}

AVX2 static const char *find_avx2(const rn__finder *f, const char *hay,
                                  size_t n)
{
    size_t last = n - f->len, pos = 0;
    const char *h0 = hay + f->at[0], *h1 = hay + f->at[1], *h2 = hay + f->at[2];
    const __m256i v0 = _mm256_set1_epi8((char)f->b[0]);
    const __m256i v1 = _mm256_set1_epi8((char)f->b[1]);
    const __m256i v2 = _mm256_set1_epi8((char)f->b[2]);
    const __m256i m0 = _mm256_set1_epi8((char)f->fold[0]);
    const __m256i m1 = _mm256_set1_epi8((char)f->fold[1]);
    const __m256i m2 = _mm256_set1_epi8((char)f->fold[2]);
    for (; last >= 31 && pos <= last - 31; pos += 32) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(h0 + pos));
        __m256i b = _mm256_loadu_si256((const __m256i *)(h1 + pos));
        __m256i c = _mm256_loadu_si256((const __m256i *)(h2 + pos));
        __m256i eq = _mm256_and_si256(
            _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_or_si256(a, m0), v0),
                             _mm256_cmpeq_epi8(_mm256_or_si256(b, m1), v1)),
            _mm256_cmpeq_epi8(_mm256_or_si256(c, m2), v2));
        unsigned m = (unsigned)_mm256_movemask_epi8(eq);
        while (m) {
            size_t k = pos + (size_t)__builtin_ctz(m);
            if (same_at(f, hay + k))
                return hay + k;
            m &= m - 1;
        }
    }
    return find_tail(f, hay, pos, last);
}
#endif

const char *rn__finder_find(const rn__finder *f, const char *hay, size_t n)
{
    if (n < f->len || f->len == 0)
        return NULL;
#if FIND_X86
    if (f->path == RN__FIND_AVX2)
        return find_avx2(f, hay, n);
    if (f->path == RN__FIND_SSE2)
        return find_sse2(f, hay, n);
#endif
    return find_scalar(f, hay, n);
}

/* ---- counting one byte --------------------------------------------------- */

/* Eight bytes at a time: a byte of x is zero exactly when its top bit ends up
 * set below (no borrow crosses bytes, unlike the shorter has-zero test). */
static uint64_t count_scalar(const char *p, size_t n, unsigned char c)
{
    const uint64_t lo7 = 0x7f7f7f7f7f7f7f7fULL;
    const uint64_t rep = 0x0101010101010101ULL * c;
    uint64_t k = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, p + i, 8);
        x ^= rep;
        uint64_t t = ~(((x & lo7) + lo7) | x | lo7);
        k += (uint64_t)__builtin_popcountll(t);
    }
    for (; i < n; i++)
        k += (unsigned char)p[i] == c;
    return k;
}

#if FIND_X86
/* Each match subtracts -1 from a byte counter; 255 steps at most before the
 * counters are summed (psadbw), so none overflows. */
static uint64_t count_sse2(const char *p, size_t n, unsigned char c)
{
    const __m128i v = _mm_set1_epi8((char)c), z = _mm_setzero_si128();
    uint64_t k = 0;
    size_t i = 0;
    while (n - i >= 16) {
        size_t steps = (n - i) / 16;
        if (steps > 255)
            steps = 255;
        __m128i acc = z;
        for (size_t s = 0; s < steps; s++, i += 16)
            acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(
                _mm_loadu_si128((const __m128i *)(p + i)), v));
        __m128i sum = _mm_sad_epu8(acc, z);
        k += (uint64_t)_mm_extract_epi16(sum, 0) +
             (uint64_t)_mm_extract_epi16(sum, 4);
    }
    return k + count_scalar(p + i, n - i, c);
}

AVX2 static uint64_t count_avx2(const char *p, size_t n, unsigned char c)
{
    const __m256i v = _mm256_set1_epi8((char)c), z = _mm256_setzero_si256();
    uint64_t k = 0;
    size_t i = 0;
    while (n - i >= 32) {
        size_t steps = (n - i) / 32;
        if (steps > 255)
            steps = 255;
        __m256i acc = z;
        for (size_t s = 0; s < steps; s++, i += 32)
            acc = _mm256_sub_epi8(acc, _mm256_cmpeq_epi8(
                _mm256_loadu_si256((const __m256i *)(p + i)), v));
        __m256i sum = _mm256_sad_epu8(acc, z);
        k += (uint64_t)_mm256_extract_epi64(sum, 0) +
             (uint64_t)_mm256_extract_epi64(sum, 1) +
             (uint64_t)_mm256_extract_epi64(sum, 2) +
             (uint64_t)_mm256_extract_epi64(sum, 3);
    }
    return k + count_scalar(p + i, n - i, c);
}
#endif

/* With path resolved already (resolve() asks the CPU each time). */
static uint64_t count_on(const char *p, size_t n, unsigned char c, int path)
{
#if FIND_X86
    if (path == RN__FIND_AVX2)
        return count_avx2(p, n, c);
    if (path == RN__FIND_SSE2)
        return count_sse2(p, n, c);
#endif
    return count_scalar(p, n, c);
}

uint64_t rn__count_byte_path(const char *p, size_t n, unsigned char c,
                             int path)
{
    return count_on(p, n, c, resolve(path));
}

uint64_t rn__finder_count(const rn__finder *f, const char *p, size_t n,
                          unsigned char c)
{
    return count_on(p, n, c, f->path);
}

uint64_t rn__count_byte(const char *p, size_t n, unsigned char c)
{
    return rn__count_byte_path(p, n, c, RN__FIND_AUTO);
}
