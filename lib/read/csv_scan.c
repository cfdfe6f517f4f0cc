/*
 * csv_scan.c - the CSV fast path: bitmasks of the four bytes that matter,
 * then records cut along them.
 *
 * Stage one turns 64 input bytes into one 64-bit word whose bit j is set
 * when byte j is the delimiter, the quote, CR or LF; it runs 16 words ahead
 * of stage two, through a pointer picked once per reader (AVX2, SSE2 or
 * portable C: all three give the same words, which tests check). Stage two
 * takes the set bits in order and cuts fields as views of the region. It is
 * deliberately narrow: it takes a record only when no reading of it other
 * than RFC 4180's is possible, and declines everything else (a quote inside
 * a field, text after a closing quote, a quote still open at lim, a cap
 * passed) before keeping anything of it, so that libcsv, the reference,
 * decides every doubtful case exactly as it did without a fast path.
 */
#include "csv_scan.h"

#include "base/runnel_internal.h"

#include <string.h>

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__)) && \
    defined(__SSE2__)
#define SCAN_X86 1
#include <immintrin.h>
#else
#define SCAN_X86 0
#endif

#define WORDS 16 /* mask words stage one computes per call */

/* ---- stage one: masks ---------------------------------------------------- */

#define ONES UINT64_C(0x0101010101010101)
#define LOW7 UINT64_C(0x7f7f7f7f7f7f7f7f)

/* 0x80 in each byte of t that is zero, 0x00 in the others; exact, since no
 * byte's sum carries into the next. */
static inline uint64_t zero_bytes(uint64_t t)
{
    return ~(((t & LOW7) + LOW7) | t | LOW7);
}

/* Eight bytes with p[0] in the low byte, whatever the machine's order
 * (compilers turn this into one load). */
static inline uint64_t load_le(const unsigned char *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
           (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 |
           (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

static void masks_scalar(const unsigned char *p, size_t n,
                         const unsigned char set[4], uint64_t *out)
{
    const uint64_t a = set[0] * ONES, b = set[1] * ONES, c = set[2] * ONES,
                   d = set[3] * ONES;
    for (size_t i = 0; i < n; i++, p += 64) {
        uint64_t m = 0;
        for (unsigned j = 0; j < 8; j++) {
            uint64_t x = load_le(p + 8 * j);
            uint64_t h = zero_bytes(x ^ a) | zero_bytes(x ^ b) |
                         zero_bytes(x ^ c) | zero_bytes(x ^ d);
            /* The high bits of the eight bytes, gathered into the top
             * byte by one multiply (each lands on its own bit). */
            m |= (((h >> 7) * UINT64_C(0x0102040810204080)) >> 56) << (8 * j);
        }
        out[i] = m;
    }
}

#if SCAN_X86
/* Bytes of x equal to one of a, b, c, d: 0xff, else 0x00. */
static inline __m128i hits128(__m128i x, __m128i a, __m128i b, __m128i c,
                              __m128i d)
{
    __m128i ab = _mm_or_si128(_mm_cmpeq_epi8(x, a), _mm_cmpeq_epi8(x, b));
    __m128i cd = _mm_or_si128(_mm_cmpeq_epi8(x, c), _mm_cmpeq_epi8(x, d));
    return _mm_or_si128(ab, cd);
}

static void masks_sse2(const unsigned char *p, size_t n,
                       const unsigned char set[4], uint64_t *out)
{
    const __m128i a = _mm_set1_epi8((char)set[0]);
    const __m128i b = _mm_set1_epi8((char)set[1]);
    const __m128i c = _mm_set1_epi8((char)set[2]);
    const __m128i d = _mm_set1_epi8((char)set[3]);
    for (size_t i = 0; i < n; i++, p += 64) {
        uint64_t m = 0;
        for (unsigned j = 0; j < 4; j++) {
            const void *q = p + 16 * j;
            __m128i x = _mm_loadu_si128((const __m128i *)q);
            uint32_t bits = (uint32_t)_mm_movemask_epi8(hits128(x, a, b, c, d));
            m |= (uint64_t)bits << (16 * j);
        }
        out[i] = m;
    }
}

/* Compiled for AVX2 whatever the build's flags; called only when the CPU
 * has it (rn__csv_scan_init). */
#define AVX2 __attribute__((target("avx2")))

AVX2 static inline __m256i hits256(__m256i x, __m256i a, __m256i b,
                                   __m256i c, __m256i d)
{
    return _mm256_or_si256(
        _mm256_or_si256(_mm256_cmpeq_epi8(x, a), _mm256_cmpeq_epi8(x, b)),
        _mm256_or_si256(_mm256_cmpeq_epi8(x, c), _mm256_cmpeq_epi8(x, d)));
}

AVX2 static void masks_avx2(const unsigned char *p, size_t n,
                            const unsigned char set[4], uint64_t *out)
{
    const __m256i a = _mm256_set1_epi8((char)set[0]);
    const __m256i b = _mm256_set1_epi8((char)set[1]);
    const __m256i c = _mm256_set1_epi8((char)set[2]);
    const __m256i d = _mm256_set1_epi8((char)set[3]);
    for (size_t i = 0; i < n; i++, p += 64) {
        const void *q0 = p, *q1 = p + 32;
        __m256i x0 = _mm256_loadu_si256((const __m256i *)q0);
        __m256i x1 = _mm256_loadu_si256((const __m256i *)q1);
        uint32_t lo = (uint32_t)_mm256_movemask_epi8(hits256(x0, a, b, c, d));
        uint32_t hi = (uint32_t)_mm256_movemask_epi8(hits256(x1, a, b, c, d));
        out[i] = (uint64_t)lo | (uint64_t)hi << 32;
    }
}
#endif

void rn__csv_scan_init(rn__csv_scan *s, unsigned char delim,
                       unsigned char quote, int want)
{
    s->set[0] = delim;
    s->set[1] = quote;
    s->set[2] = '\r';
    s->set[3] = '\n';
    s->kind = RN__CSV_SCALAR;
    s->masks = masks_scalar;
#if SCAN_X86
    if (want == RN__CSV_SCALAR)
        return;
    s->kind = RN__CSV_SSE2;
    s->masks = masks_sse2;
    if (want == RN__CSV_SSE2)
        return;
    /* Reads the CPU model the compiler's runtime detects before main
     * (AVX2 in the CPU and enabled by the OS); no state of ours. */
    if (__builtin_cpu_supports("avx2")) {
        s->kind = RN__CSV_AVX2;
        s->masks = masks_avx2;
    }
#else
    (void)want;
#endif
}

/* ---- stage two: records -------------------------------------------------- */

static inline unsigned ctz64(uint64_t w)
{
#if defined(__GNUC__)
    return (unsigned)__builtin_ctzll(w);
#else
    unsigned n = 0;
    while (!(w & 1)) {
        w >>= 1;
        n++;
    }
    return n;
#endif
}

/* Runs stage one on the chunks from d + off on, up to WORDS of them, and
 * returns how many words it wrote to mb: 0 when off >= lim. The last,
 * partial chunk is copied out, so that no byte past lim is read. */
static unsigned masks_at(const rn__csv_scan *s, const unsigned char *d,
                         size_t off, size_t lim, uint64_t *mb)
{
    if (off >= lim)
        return 0;
    size_t full = (lim - off) / 64;
    if (full) {
        if (full > WORDS)
            full = WORDS;
        s->masks(d + off, full, s->set, mb);
        return (unsigned)full;
    }
    unsigned char tail[64];
    size_t k = lim - off;
    memcpy(tail, d + off, k);
    memset(tail + k, 0, sizeof tail - k);
    s->masks(tail, 1, s->set, mb);
    mb[0] &= (UINT64_C(1) << k) - 1; /* k < 64 */
    return 1;
}

/* Where stage two stands in the masks. Only ever handled by the inline
 * functions below and NEXT_OR, so that its fields live in registers. */
typedef struct cursor {
    uint64_t w;      /* bits of the word at cb not taken yet */
    size_t cb;       /* region offset of bit 0 of w */
    size_t wbase;    /* region offset of the byte mb[0] starts at */
    unsigned mi, mn; /* the next word of mb to take; words in mb */
} cursor;

#if defined(__GNUC__)
#define HOT_INLINE static inline __attribute__((always_inline))
#else
#define HOT_INLINE static inline
#endif

HOT_INLINE size_t take_bit(cursor *c)
{
    size_t at = c->cb + ctz64(c->w);
    c->w &= c->w - 1;
    return at;
}

/* The next special byte past the word in hand: lim when there is none. */
HOT_INLINE size_t next_word(cursor *c, uint64_t *mb, const rn__csv_scan *s,
                            const unsigned char *d, size_t lim)
{
    for (;;) {
        if (c->mi == c->mn) {
            size_t off = c->wbase + 64 * (size_t)c->mn;
            unsigned n = masks_at(s, d, off, lim, mb);
            c->wbase = off;
            c->mi = 0;
            c->mn = n;
            if (!n)
                return lim; /* and again on every call after */
        }
        c->cb = c->wbase + 64 * (size_t)c->mi;
        c->w = mb[c->mi++];
        if (c->w)
            return take_bit(c);
    }
}

/* Copies the content of a quoted field, d[a, b), to o with each doubled
 * quote made one; returns the bytes written. Every quote in d[a, b) is one
 * of a pair: the scan checked. */
static size_t unescape(const unsigned char *a, const unsigned char *b,
                       unsigned char quote, char *o)
{
    char *o0 = o;
    while (a < b) {
        const unsigned char *x = memchr(a, quote, (size_t)(b - a));
        size_t n = x ? (size_t)(x - a) + 1 : (size_t)(b - a);
        memcpy(o, a, n);
        o += n;
        if (!x)
            break;
        a = x + 2;
    }
    return (size_t)(o - o0);
}

void rn__csv_cut_records(const rn__csv_scan *s, rn__csv_cutter *io)
{
    const unsigned char *d = (const unsigned char *)io->d;
    const size_t lim = io->lim, ncols = io->ncols;
    const unsigned char delim = s->set[0], quote = s->set[1];
    rn_field *const fend = io->f + io->fcap;
    rn_field *fb = io->f + io->fn;   /* the next record's first slot */
    rn_record *r = io->r;            /* its place in the batch */
    rn_record *const rend = io->r + io->maxrec;
    size_t sblen = io->sblen, pos = io->pos;
    uint64_t line = io->line;
    uint64_t mb[WORDS];
    cursor cur = {0, pos, pos, 0, 0};
    int stop;

/* Sets at to the offset of the next special byte, or goes to label when
 * none is left before lim. */
#define NEXT_OR(at, label)                                                 \
    do {                                                                   \
        if (RN__LIKELY(cur.w != 0)) {                                      \
            (at) = take_bit(&cur);                                         \
        } else {                                                           \
            (at) = next_word(&cur, mb, s, d, lim);                         \
            if ((at) >= lim)                                               \
                goto label;                                                \
        }                                                                  \
    } while (0)

    for (;;) {
        if (pos >= lim) {
            stop = RN__CUT_END;
            break;
        }
        if (r == rend) {
            stop = RN__CUT_FULL;
            break;
        }
        const size_t start = pos, sb0 = sblen;
        size_t fs = pos, at, end; /* fs: where the field being cut starts */
        rn_field *fk = fb;        /* its slot */
        uint64_t nl = 0;          /* LFs in the record */
        bool quoted = false;
        for (;;) {
            NEXT_OR(at, input_end);
            unsigned char ch = d[at];
            if (RN__LIKELY(ch == delim)) {
                if (RN__UNLIKELY(fk == fend))
                    goto room_f;
                fk->ptr = (const char *)d + fs;
                fk->len = at - fs;
                fk++;
                fs = at + 1;
                continue;
            }
            if (ch != quote) {
                /* CR or LF: the line ends; an empty one is no record. */
                if (RN__UNLIKELY(at == start)) {
                    if (ch == '\r' && at + 1 < lim && d[at + 1] == '\n')
                        NEXT_OR(at, decline); /* the LF: cannot fail */
                    line += d[at] == '\n';
                    pos = at + 1;
                    goto next_record;
                }
                if (RN__UNLIKELY(fk == fend))
                    goto room_f;
                fk->ptr = (const char *)d + fs;
                fk->len = at - fs;
                fk++;
                goto line_end;
            }
            /* A quote: it must open the field, and close right before a
             * delimiter or a line end (or the input's end), with only
             * doubled quotes in between. */
            if (at != fs)
                goto decline;
            quoted = true;
            bool esc = false;
            size_t q;
            for (;;) {
                NEXT_OR(q, decline); /* still open at lim: libcsv waits */
                if (d[q] == quote) {
                    if (q + 1 < lim && d[q + 1] == quote) {
                        NEXT_OR(q, decline); /* its pair: cannot fail */
                        esc = true;
                        continue;
                    }
                    break;
                }
                nl += d[q] == '\n';
            }
            if (q + 1 - fs > io->max_field)
                goto decline;
            if (q + 1 < lim) {
                unsigned char c3 = d[q + 1];
                if (c3 != delim && c3 != '\n' && c3 != '\r')
                    goto decline;
            } else if (!io->last) {
                goto decline;
            }
            if (RN__UNLIKELY(fk == fend))
                goto room_f;
            if (!esc) {
                fk->ptr = (const char *)d + fs + 1;
                fk->len = q - fs - 1;
            } else {
                size_t clen = q - fs - 1; /* at least what unescape writes */
                if (clen > io->sbcap - sblen) {
                    io->need = sblen + clen;
                    sblen = sb0;
                    stop = RN__CUT_ROOM_SB;
                    break;
                }
                fk->ptr = io->sb + sblen;
                fk->len = unescape(d + fs + 1, d + q, quote, io->sb + sblen);
                sblen += fk->len;
            }
            fk++;
            NEXT_OR(at, quoted_end); /* at q + 1 */
            if (d[at] == delim) {
                fs = at + 1;
                continue;
            }
            goto line_end;
        }
        break; /* only RN__CUT_ROOM_SB leaves the loop this way */

    input_end:
        /* No line end before lim: lim is the input's end (it is past a LF
         * otherwise), which ends the last field and the record. */
        if (!io->last)
            goto decline;
        if (RN__UNLIKELY(fk == fend))
            goto room_f;
        fk->ptr = (const char *)d + fs;
        fk->len = lim - fs;
        fk++;
    quoted_end:
        at = end = lim;
        goto record_end;
    line_end:
        /* at is the line end: CRLF, LF or a bare CR. */
        if (d[at] == '\n') {
            end = at + 1;
            nl++;
        } else if (at + 1 < lim && d[at + 1] == '\n') {
            NEXT_OR(end, decline); /* the LF: cannot fail */
            end = at + 2;
            nl++;
        } else {
            end = at + 1;
        }
    record_end: {
        size_t nf = (size_t)(fk - fb);
        if (RN__UNLIKELY(nf > io->max_fields))
            goto decline;
        /* No field is longer than its record: most records need no look
         * at their fields' lengths (quoted fields were checked). */
        if (RN__UNLIKELY(at - start > io->max_field))
            for (const rn_field *x = fb; x < fk; x++)
                if (x->len > io->max_field)
                    goto decline;
        if (RN__LIKELY(nf == ncols)) {
            r->fields = fb;
            r->nfields = nf;
            r->line = line;
            r->offset = io->base_off + start;
            r->raw.ptr = quoted ? NULL : (const char *)d + start;
            r->raw.len = quoted ? 0 : at - start;
            r++;
            fb = fk;
            line += nl;
            pos = end;
            goto next_record;
        }
        size_t slots = nf > ncols ? nf : ncols;
        if (slots > (size_t)(fend - fb))
            goto room_f;
        io->odd.start = start;
        io->odd.rawlen = at - start;
        io->odd.first = (size_t)(fb - io->f);
        io->odd.nf = nf;
        io->odd.line = line;
        io->odd.quoted = quoted;
        fb += slots;
        line += nl;
        pos = end;
        stop = RN__CUT_ODD;
        break;
    }
    next_record:
        continue;

    decline:
        stop = RN__CUT_DECLINE;
        sblen = sb0;
        break;
    room_f:
        stop = RN__CUT_ROOM_F;
        sblen = sb0;
        break;
    }
#undef NEXT_OR
    io->pos = pos;
    io->line = line;
    io->fn = (size_t)(fb - io->f);
    io->sblen = sblen;
    io->nrec = (size_t)(r - io->r);
    io->stop = stop;
}
