/*
 * pipeline.c - chains built from the command line's text: the words, the
 * `then` grammar, and what its errors say.
 *
 * A call splits its text into words (or copies the caller's), walks the
 * segments between the "then"s in order and builds each with the tables of
 * sources (pipeline_sources.c) and verbs (pipeline_verbs.c), so problems are
 * found in the order the runnel command finds them and worded as it words
 * them. The first one ends the call and frees what was built. Errors travel
 * as return codes, not longjmp (nothing in lib/ longjmps): every builder
 * returns RN_OK or the code it left in the call's rn_pipeline_err.
 *
 * What the chain reads after the call (the words, the file list and the
 * readers' options that the chain's lazy opening uses, the application's
 * input) lives in one arena that the first iterator the call builds owns
 * (rn__iter_own) and frees after itself, so after every stage above it.
 */
#include "pipeline_internal.h"

#include <stdio.h>
#include <string.h>

/* ---- errors ---------------------------------------------------------------- */

static void err_reset(rn_pipeline_err *e)
{
    e->code = RN_OK;
    e->word = -1;
    e->offset = 0;
    e->msg[0] = '\0';
}

/* The error at byte offset off of the text (words that do not exist yet:
 * an unclosed quote). */
static int fail_at(rn__pp *p, int word, size_t off, const char *fmt, ...)
    RN__PRINTF(4, 5);

static int fail_at(rn__pp *p, int word, size_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err->msg, sizeof p->err->msg, fmt, ap);
    va_end(ap);
    p->err->code = RN_EINVAL;
    p->err->word = word;
    p->err->offset = off;
    return RN_EINVAL;
}

int rn__pp_fail(rn__pp *p, int word, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err->msg, sizeof p->err->msg, fmt, ap);
    va_end(ap);
    p->err->code = RN_EINVAL;
    p->err->word = word >= 0 && word < p->n ? word : -1;
    p->err->offset = p->off && p->err->word >= 0 ? p->off[word] : 0;
    return RN_EINVAL;
}

int rn__pp_nomem(rn__pp *p)
{
    p->err->code = RN_ENOMEM;
    p->err->word = -1;
    p->err->offset = 0;
    snprintf(p->err->msg, sizeof p->err->msg, "out of memory");
    return RN_ENOMEM;
}

int rn__pp_checked(rn__pp *p, int word, const rn_iter *it)
{
    if (!it)
        return rn__pp_nomem(p);
    if (rn_status(it) == RN_EINVAL)
        return rn__pp_fail(p, word, "%s", rn_errmsg(it));
    return RN_OK;
}

void *rn__pp_alloc(rn__pp *p, size_t size)
{
    void *q = rn__arena_alloc(p->arena, size, sizeof(void *));
    if (q)
        memset(q, 0, size);
    return q;
}

/* ---- what a call owns -------------------------------------------------------- */

static void own_free(void *ud)
{
    rn__pp_own *own = ud;
    if (!own)
        return;
    rn_source_free(own->input);
    rn__arena_free(&own->arena);
    rn_allocator mem = own->mem;
    rn__free(&mem, own, sizeof *own);
}

/* Starts a call: a fresh error, and what it owns. On failure the input is
 * freed (it was taken over) and the error says RN_ENOMEM. */
static int begin(rn__pp *p, const rn_allocator *mem, rn_source *input,
                 rn_pipeline_err *err)
{
    memset(p, 0, sizeof *p);
    p->err = err;
    err_reset(err);
    p->mem = rn__allocator(mem);
    p->own = rn__calloc(&p->mem, sizeof *p->own);
    if (!p->own) {
        rn_source_free(input);
        return rn__pp_nomem(p);
    }
    p->own->mem = p->mem;
    /* Small chunks: a chain's words and options take a few hundred bytes. */
    rn__arena_init(&p->own->arena, &p->mem, 2048);
    p->own->input = input;
    p->arena = &p->own->arena;
    return RN_OK;
}

/* Ends a call that failed: frees the chain built so far and, when no
 * iterator took it over yet, what the call owns. Returns NULL. */
static rn_iter *abandon(rn__pp *p, rn_iter *it)
{
    rn_free(it);
    own_free(p->own);
    p->own = NULL;
    return NULL;
}

/* ---- words ------------------------------------------------------------------- */

static bool is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
           ch == '\v' || ch == '\f';
}

/* Whether text[i] starts a backslash-newline, which the shell removes
 * (outside quotes and in "...") as if neither were there. */
static bool continuation(const char *text, size_t i, size_t len)
{
    return text[i] == '\\' && i + 1 < len && text[i + 1] == '\n';
}

/* Splits text into p->w as documented in runnel.h: blanks separate; '...'
 * is literal; "..." is literal but for \" and \\; outside quotes a
 * backslash takes the next byte as it is; a backslash-newline is nothing;
 * pieces next to each other are one word. */
static int split_words(rn__pp *p, const char *text)
{
    size_t len = strlen(text);
    if (len > (size_t)INT32_MAX)
        return fail_at(p, -1, 0, "the chain's text is too long");
    /* A word takes at least one byte and a blank after it, and is never
     * longer than the text it comes from. */
    size_t maxw = len / 2 + 2;
    char *out = rn__arena_alloc(p->arena, len + maxw + 1, 1);
    char **w = rn__pp_alloc(p, maxw * sizeof *w);
    size_t *off = rn__pp_alloc(p, maxw * sizeof *off);
    if (!out || !w || !off)
        return rn__pp_nomem(p);
    p->w = w;
    p->off = off;
    size_t i = 0;
    int n = 0;
    for (;;) {
        while (i < len && (is_blank(text[i]) || continuation(text, i, len)))
            i += is_blank(text[i]) ? 1 : 2;
        if (i == len)
            break;
        w[n] = out;
        off[n] = i;
        while (i < len && !is_blank(text[i])) {
            char ch = text[i];
            if (ch == '\'' || ch == '"') {
                size_t q = i++;
                while (i < len && text[i] != ch) {
                    if (ch == '"' && continuation(text, i, len)) {
                        i += 2;
                        continue;
                    }
                    if (ch == '"' && text[i] == '\\' && i + 1 < len &&
                        (text[i + 1] == '"' || text[i + 1] == '\\'))
                        i++;
                    *out++ = text[i++];
                }
                if (i == len)
                    return fail_at(p, n, q, "unclosed %c quote at byte %zu",
                                   ch, q);
                i++;
            } else if (ch == '\\') {
                if (i + 1 == len)
                    return fail_at(p, n, i, "a backslash at byte %zu ends "
                                   "the text: it escapes nothing", i);
                if (text[i + 1] != '\n')
                    *out++ = text[i + 1];
                i += 2;
            } else {
                *out++ = text[i++];
            }
        }
        *out++ = '\0';
        p->n = ++n;
    }
    p->n = n;
    return RN_OK;
}

static int copy_words(rn__pp *p, int argc, const char *const *argv)
{
    if (argc < 0 || (argc > 0 && !argv))
        return fail_at(p, -1, 0, "no words given (argc %d, argv %s)", argc,
                       argv ? "set" : "NULL");
    p->w = rn__pp_alloc(p, ((size_t)argc + 1) * sizeof *p->w);
    if (!p->w)
        return rn__pp_nomem(p);
    for (int i = 0; i < argc; i++) {
        if (!argv[i])
            return fail_at(p, i, 0, "word %d is NULL", i);
        size_t len = strlen(argv[i]);
        if (!(p->w[i] = rn__arena_dup(p->arena, argv[i], len)))
            return rn__pp_nomem(p);
    }
    p->n = argc;
    return RN_OK;
}

/* ---- the grammar ------------------------------------------------------------- */

static const rn__pp_entry *find(const rn__pp_entry *t, const char *name)
{
    for (; t->name; t++)
        if (strcmp(t->name, name) == 0)
            return t;
    return NULL;
}

/* Builds the segments of p's words from word s on, in order, onto *it (NULL
 * when the first segment must be a source). The checks and their order are
 * those of the runnel command. */
static int build(rn__pp *p, int s, rn_iter **it)
{
    int argc = p->n;
    char **argv = p->w;
    bool first = *it == NULL;
    while (s < argc) {
        int end = s;
        while (end < argc && strcmp(argv[end], "then") != 0)
            end++;
        if (end == s)
            return rn__pp_fail(p, s, "'then' must be followed by a verb");
        const rn__pp_entry *src = find(rn__pp_sources, argv[s]);
        const rn__pp_entry *verb = src ? NULL : find(rn__pp_verbs, argv[s]);
        if (!src && !verb)
            return rn__pp_fail(p, s, "unknown %s '%s' (see runnel --help)",
                               first ? "source" : "verb", argv[s]);
        if (first && !src)
            return rn__pp_fail(p, s, "'%s' is a verb: start with a source "
                               "such as 'lines' (see runnel --help)",
                               argv[s]);
        if (!first && src)
            return rn__pp_fail(p, s, "'%s' is a source and can only come "
                               "first", argv[s]);
        rn_iter *before = *it;
        int rc = (src ? src : verb)->build(p, s, end - s, argv + s, it);
        /* The first iterator this call built owns what the call owns, and
         * frees it after itself: after every stage that may read it. */
        if (p->own && *it && *it != before) {
            rn_iter *bottom = *it;
            while (bottom->up && bottom->up != before)
                bottom = bottom->up;
            if (rn__iter_own(bottom, own_free, p->own)) /* always: it is new */
                p->own = NULL;
        }
        if (rc != RN_OK)
            return rc;
        if (!*it)
            return rn__pp_nomem(p);
        first = false;
        s = end == argc ? end : end + 1;
        if (end + 1 == argc)
            return rn__pp_fail(p, end, "'then' must be followed by a verb");
    }
    return RN_OK;
}

/* Builds the whole chain of p's words over up (NULL: a source first). */
static rn_iter *finish(rn__pp *p, rn_iter *up, int start)
{
    rn_iter *it = up;
    int rc = build(p, start, &it);
    /* A chain is never handed out in these two states: a reader that ran
     * out of memory while priming, or a wrong argument that only the
     * reader saw (csv -d '"': the delimiter is the quote) and that the
     * verbs above it adopted without a word of their own. */
    if (rc == RN_OK && it && rn_status(it) == RN_ENOMEM)
        rc = rn__pp_nomem(p);
    else if (rc == RN_OK && it && rn_status(it) == RN_EINVAL)
        rc = rn__pp_fail(p, -1, "%s", rn_errmsg(it));
    if (rc != RN_OK)
        return abandon(p, it);
    /* Nothing was built (no verbs): what the call owns is not needed. */
    own_free(p->own);
    p->own = NULL;
    return it;
}

static rn_iter *parse(rn__pp *p)
{
    if (p->n == 0) {
        rn__pp_fail(p, -1, "no source: a chain starts with a source such "
                    "as 'lines' (see runnel --help)");
        return abandon(p, NULL);
    }
    return finish(p, NULL, 0);
}

/* ---- the API ----------------------------------------------------------------- */

static const rn_pipeline_opts zero_opts;

rn_iter *rn_pipeline_parse(const char *text, const rn_pipeline_opts *opts,
                           rn_pipeline_err *err)
{
    rn_pipeline_err local;
    rn__pp p;
    if (!opts)
        opts = &zero_opts;
    if (begin(&p, opts->source.allocator, opts->input, err ? err : &local))
        return NULL;
    p.opts = opts;
    if (!text) {
        fail_at(&p, -1, 0, "no text given (NULL)");
        return abandon(&p, NULL);
    }
    if (split_words(&p, text) != RN_OK)
        return abandon(&p, NULL);
    return parse(&p);
}

rn_iter *rn_pipeline_parse_argv(int argc, const char *const *argv,
                                const rn_pipeline_opts *opts,
                                rn_pipeline_err *err)
{
    rn_pipeline_err local;
    rn__pp p;
    if (!opts)
        opts = &zero_opts;
    if (begin(&p, opts->source.allocator, opts->input, err ? err : &local))
        return NULL;
    p.opts = opts;
    if (copy_words(&p, argc, argv) != RN_OK)
        return abandon(&p, NULL);
    return parse(&p);
}

/* Verbs onto up: a leading "then" is optional; no words leave up as is. */
static rn_iter *append(rn__pp *p, rn_iter *up)
{
    p->opts = &zero_opts;
    int start = 0;
    if (p->n > 0 && strcmp(p->w[0], "then") == 0) {
        start = 1;
        if (p->n == 1) {
            rn__pp_fail(p, 0, "'then' must be followed by a verb");
            return abandon(p, up);
        }
    }
    return finish(p, up, start);
}

/* What both append forms do first: p set up over up's allocator. Returns
 * false, with up freed and the error in *err, when there is
 * nothing to append to. */
static bool begin_append(rn__pp *p, rn_iter *up, rn_pipeline_err *err)
{
    if (begin(p, up ? &up->mem : NULL, NULL, err)) {
        rn_free(up);
        return false;
    }
    if (!up) {
        rn__pp_nomem(p);
        (void)abandon(p, NULL);
        return false;
    }
    return true;
}

rn_iter *rn_pipeline_append(rn_iter *up, const char *text,
                            rn_pipeline_err *err)
{
    rn_pipeline_err local;
    rn__pp p;
    if (!begin_append(&p, up, err ? err : &local))
        return NULL;
    if (!text) {
        fail_at(&p, -1, 0, "no text given (NULL)");
        return abandon(&p, up);
    }
    if (split_words(&p, text) != RN_OK)
        return abandon(&p, up);
    return append(&p, up);
}

rn_iter *rn_pipeline_append_argv(rn_iter *up, int argc,
                                 const char *const *argv,
                                 rn_pipeline_err *err)
{
    rn_pipeline_err local;
    rn__pp p;
    if (!begin_append(&p, up, err ? err : &local))
        return NULL;
    if (copy_words(&p, argc, argv) != RN_OK)
        return abandon(&p, up);
    return append(&p, up);
}

const char *rn_pipeline_name(size_t i, int *is_source)
{
    size_t nsrc = 0;
    while (rn__pp_sources[nsrc].name)
        nsrc++;
    if (is_source)
        *is_source = i < nsrc;
    if (i < nsrc)
        return rn__pp_sources[i].name;
    for (size_t k = 0; rn__pp_verbs[k].name; k++)
        if (k == i - nsrc)
            return rn__pp_verbs[k].name;
    if (is_source)
        *is_source = 0;
    return NULL;
}
