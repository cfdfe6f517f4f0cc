/*
 * expr.c - the expression language of filter: a lexer, a recursive-descent
 * parser, name binding, and the evaluator.
 *
 * A compiled expression is one allocation: nodes in prefix order, each with
 * the size of its subtree (so and/or are n-ary and a child is skipped by
 * adding its size), operand values, regex handles, and a pool holding every
 * literal and name (unescaped), so nothing points into the caller's text.
 * The lexer runs twice: once to count tokens, which bounds the nodes and
 * values, then lazily under the parser (one token of lookahead). Nesting is
 * capped, so parsing and evaluation recurse at most MAX_DEPTH levels deep.
 * Literals are parsed as numbers once; field values are parsed per compare.
 */
#include "expr.h"

#include "base/num.h"
#include "base/regex_internal.h"

#include <stdalign.h>
#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 200      /* nested parentheses and nots */
#define MAX_POS 100000000u /* largest $N */
#define SHOW_MAX 40        /* bytes of a token quoted in a message */

/* ---- the compiled form --------------------------------------------------- */

enum node_op {
    N_OR, N_AND, N_NOT,
    N_EQ, N_NE, N_LT, N_LE, N_GT, N_GE,
    N_CONTAINS, N_IN, N_NOTIN, N_EMPTY, N_NOTEMPTY, N_MATCH, N_NOMATCH,
};

typedef struct node {
    uint8_t op;     /* enum node_op */
    uint8_t ci;     /* bound: == != in ignore ASCII case (a "level" field) */
    uint32_t size;  /* nodes in this subtree, itself included */
    uint32_t a;     /* left operand (index into vals) */
    uint32_t b;     /* right operand, or an in-list's first item */
    uint32_t n;     /* N_IN, N_NOTIN: items; N_MATCH, N_NOMATCH: regex */
} node;

enum val_kind {
    V_LIT,  /* a string or number */
    V_POS,  /* $N */
    V_NAME, /* $name, ${name} or a bare word on the left: must be a field */
    V_WORD, /* a bare word elsewhere: a field if there is one, else a string */
};

typedef struct val {
    uint8_t kind;   /* enum val_kind */
    uint8_t isnum;  /* s is a number (literals and words) */
    uint8_t level;  /* bound to a field named "level" */
    ptrdiff_t idx;  /* bound field index; -1: the literal s */
    size_t pos;     /* V_POS: N */
    rn_field s;     /* literal bytes, or the field name, in the pool */
    double num;     /* s as a number when isnum */
} val;

struct rn__expr {
    rn_allocator mem;
    size_t size;               /* bytes of the whole block */
    node *nodes;               /* nn in prefix order; room for one per token */
    uint32_t nn;
    val *vals;                 /* nv operands; room for one per token */
    uint32_t nv;
    rn__regex *re;             /* nre compiled regexes (regex.h): they stay
                                  put, as the block never moves */
    uint32_t nre;
    char *pool;                /* literals and names; room for the text */
    size_t npool;
    char why[160];             /* reason of a failed match */
};

/* ---- small helpers ------------------------------------------------------- */

static inline bool is_digit(char c)
{
    return (unsigned char)(c - '0') < 10;
}

static inline bool is_word_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static inline bool is_word_char(char c)
{
    return is_word_start(c) || is_digit(c) || c == '.' || c == '-';
}

static inline char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
}

static bool same_ci(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

/* A number is what rn__parse_double reads with a digit first (after the
 * sign, or after a leading point): "inf" and "nan" are words, so a field of
 * names never compares as numbers, and text is rejected at its first byte. */
static inline bool as_number(const char *p, size_t n, double *d)
{
    size_t i = n && (p[0] == '+' || p[0] == '-');
    if (i >= n)
        return false;
    if (!is_digit(p[i]) && !(p[i] == '.' && i + 1 < n && is_digit(p[i + 1])))
        return false;
    return rn__parse_double(p, n, d) == RN_OK;
}

/* ---- the lexer ----------------------------------------------------------- */

enum tok_kind { T_END, T_LP, T_RP, T_COMMA, T_OP, T_WORD, T_STR, T_NUM,
                T_POS, T_NAME };

typedef struct tok {
    int kind;       /* enum tok_kind */
    int op;         /* T_OP: the node op (N_EQ ... N_GE, N_MATCH, N_NOMATCH) */
    size_t col;     /* 0-based offset in the text */
    size_t len;     /* bytes of the token in the text */
    size_t pos;     /* T_POS: N */
    rn_field v;     /* T_WORD, T_STR, T_NUM, T_NAME: bytes, in the pool */
} tok;

typedef struct parser {
    rn_iter *it;
    const char *what;          /* stage name for messages */
    const char *text;
    size_t len;
    size_t i;                  /* lexer position */
    rn__expr *e;               /* NULL while counting */
    tok t;                     /* current token */
    size_t ntok, nre;          /* counting: tokens and regex operators */
    int depth;
} parser;

/* Puts the iterator in error state, quoting the text from col (len bytes,
 * shortened, control bytes shown as '?'). Returns RN_EINVAL. */
static int fail_at(parser *p, size_t col, size_t len, const char *msg)
{
    if (col >= p->len)
        return rn__iter_fail(p->it, RN_EINVAL, "%s: column %zu: %s at the end",
                             p->what, col + 1, msg);
    if (len > p->len - col)
        len = p->len - col;
    char show[SHOW_MAX + 4];
    size_t k = 0;
    for (; k < len && k < SHOW_MAX; k++) {
        unsigned char c = (unsigned char)p->text[col + k];
        show[k] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    if (len > SHOW_MAX) {
        memcpy(show + k, "...", 3);
        k += 3;
    }
    if (len == 0)
        show[k++] = p->text[col];
    show[k] = '\0';
    return rn__iter_fail(p->it, RN_EINVAL, "%s: column %zu: %s near '%s'",
                         p->what, col + 1, msg, show);
}

static int fail_tok(parser *p, const char *msg)
{
    return fail_at(p, p->t.col, p->t.len, msg);
}

/* Room for n more pool bytes (counting: none, nothing is written). */
static char *pool_take(parser *p, size_t n)
{
    if (!p->e)
        return NULL;
    char *out = p->e->pool + p->e->npool;
    p->e->npool += n;
    return out;
}

static void copy_to_pool(parser *p, tok *t, size_t from, size_t n)
{
    char *out = pool_take(p, n);
    if (out)
        memcpy(out, p->text + from, n);
    t->v.ptr = out;
    t->v.len = n;
}

static int lex_string(parser *p, tok *t, size_t i)
{
    const char *s = p->text;
    char q = s[i];
    size_t j = i + 1, k = 0;
    /* Measure first: the unescaped bytes are at most the raw ones. */
    char *out = p->e ? p->e->pool + p->e->npool : NULL;
    for (;;) {
        if (j >= p->len)
            return fail_at(p, i, p->len - i, "unterminated string");
        char c = s[j];
        if (c == q) {
            j++;
            break;
        }
        if (c == '\\' && j + 1 < p->len) {
            char x = s[j + 1], r = 0;
            switch (x) {
            case '"': case '\'': case '\\': r = x; break;
            case 'n': r = '\n'; break;
            case 't': r = '\t'; break;
            default: break;
            }
            j += 2;
            if (r) {
                if (out)
                    out[k] = r;
                k++;
            } else {
                /* Kept as written, so a regex "\d+" means what it says. */
                if (out) {
                    out[k] = '\\';
                    out[k + 1] = x;
                }
                k += 2;
            }
            continue;
        }
        if (out)
            out[k] = c;
        k++;
        j++;
    }
    pool_take(p, k);
    t->kind = T_STR;
    t->v.ptr = out;
    t->v.len = k;
    t->len = j - i;
    p->i = j;
    return RN_OK;
}

static int lex_dollar(parser *p, tok *t, size_t i)
{
    const char *s = p->text;
    size_t n = p->len, j = i + 1;
    if (j < n && s[j] == '{') {
        const char *close = memchr(s + j + 1, '}', n - (j + 1));
        if (!close)
            return fail_at(p, i, n - i, "unterminated ${");
        size_t e = (size_t)(close - s);
        if (e == j + 1)
            return fail_at(p, i, 3, "expected a field name inside ${}");
        t->kind = T_NAME;
        copy_to_pool(p, t, j + 1, e - (j + 1));
        t->len = e + 1 - i;
        p->i = e + 1;
        return RN_OK;
    }
    if (j < n && is_digit(s[j])) {
        size_t v = 0;
        while (j < n && is_digit(s[j])) {
            if (v <= MAX_POS)
                v = v * 10 + (size_t)(s[j] - '0');
            j++;
        }
        if (v == 0)
            return fail_at(p, i, j - i, "field positions start at $1");
        if (v > MAX_POS)
            return fail_at(p, i, j - i, "field position too large");
        t->kind = T_POS;
        t->pos = v;
        t->len = j - i;
        p->i = j;
        return RN_OK;
    }
    if (j < n && is_word_start(s[j])) {
        while (j < n && is_word_char(s[j]))
            j++;
        t->kind = T_NAME;
        copy_to_pool(p, t, i + 1, j - (i + 1));
        t->len = j - i;
        p->i = j;
        return RN_OK;
    }
    return fail_at(p, i, 1, "expected a field number or name after '$'");
}

/* [+-] digits [. digits] [e [+-] digits], or [+-] . digits [...]. Returns
 * the length, 0 when there is no number at s[i]. */
static size_t number_len(const char *s, size_t n, size_t i)
{
    size_t j = i, digits = 0;
    if (j < n && (s[j] == '+' || s[j] == '-'))
        j++;
    while (j < n && is_digit(s[j])) {
        j++;
        digits++;
    }
    if (j < n && s[j] == '.') {
        size_t d = j + 1;
        while (d < n && is_digit(s[d])) {
            d++;
            digits++;
        }
        if (digits)
            j = d;
    }
    if (!digits)
        return 0;
    if (j < n && (s[j] == 'e' || s[j] == 'E')) {
        size_t x = j + 1;
        if (x < n && (s[x] == '+' || s[x] == '-'))
            x++;
        if (x < n && is_digit(s[x])) {
            while (x < n && is_digit(s[x]))
                x++;
            j = x;
        }
    }
    return j - i;
}

/* Reads the token at p->i into *t. Returns RN_OK or RN_EINVAL (message set). */
static int lex(parser *p, tok *t)
{
    const char *s = p->text;
    size_t n = p->len, i = p->i;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
                     s[i] == '\r' || s[i] == '\f' || s[i] == '\v'))
        i++;
    memset(t, 0, sizeof *t);
    t->col = i;
    t->len = 1;
    if (i == n) {
        t->kind = T_END;
        t->len = 0;
        p->i = i;
        return RN_OK;
    }
    char c = s[i], d = i + 1 < n ? s[i + 1] : '\0';
    t->kind = T_OP;
    switch (c) {
    case '(': t->kind = T_LP; break;
    case ')': t->kind = T_RP; break;
    case ',': t->kind = T_COMMA; break;
    case '=':
        t->op = d == '~' ? N_MATCH : N_EQ;
        t->len = d == '=' || d == '~' ? 2 : 1;
        break;
    case '!':
        if (d != '=' && d != '~')
            return fail_at(p, i, 1, "expected != or !~");
        t->op = d == '=' ? N_NE : N_NOMATCH;
        t->len = 2;
        break;
    case '<':
        t->op = d == '=' ? N_LE : d == '>' ? N_NE : N_LT;
        t->len = d == '=' || d == '>' ? 2 : 1;
        break;
    case '>':
        t->op = d == '=' ? N_GE : N_GT;
        t->len = d == '=' ? 2 : 1;
        break;
    case '"':
    case '\'':
        return lex_string(p, t, i);
    case '$':
        return lex_dollar(p, t, i);
    default:
        if (is_word_start(c)) {
            size_t j = i + 1;
            while (j < n && is_word_char(s[j]))
                j++;
            t->kind = T_WORD;
            copy_to_pool(p, t, i, j - i);
            t->len = j - i;
            p->i = j;
            return RN_OK;
        }
        size_t k = number_len(s, n, i);
        if (!k)
            return fail_at(p, i, 1, "unexpected character");
        t->kind = T_NUM;
        copy_to_pool(p, t, i, k);
        t->len = k;
        p->i = i + k;
        return RN_OK;
    }
    p->i = i + t->len;
    return RN_OK;
}

static int advance(parser *p)
{
    return lex(p, &p->t);
}

static bool is_kw(const tok *t, const char *text, const char *kw)
{
    size_t n = strlen(kw);
    return t->kind == T_WORD && t->len == n && same_ci(text + t->col, kw, n);
}

static bool reserved(const parser *p, const tok *t)
{
    static const char *const kws[] = {"and", "or", "not", "contains", "in",
                                      "is"};
    for (size_t k = 0; k < sizeof kws / sizeof *kws; k++)
        if (is_kw(t, p->text, kws[k]))
            return true;
    return false;
}

/* ---- the parser ---------------------------------------------------------- */

enum role { R_LEFT, R_RIGHT, R_PATTERN };

static uint32_t add_node(parser *p, int op)
{
    rn__expr *e = p->e;
    node *nd = &e->nodes[e->nn];
    memset(nd, 0, sizeof *nd);
    nd->op = (uint8_t)op;
    nd->size = 1;
    return e->nn++;
}

/* Makes room for an and/or node at start, over the subtree already there. */
static void insert_node(parser *p, uint32_t start, int op)
{
    rn__expr *e = p->e;
    memmove(&e->nodes[start + 1], &e->nodes[start],
            (e->nn - start) * sizeof *e->nodes);
    e->nn++;
    memset(&e->nodes[start], 0, sizeof *e->nodes);
    e->nodes[start].op = (uint8_t)op;
}

static int p_or(parser *p);

static int p_value(parser *p, int role, uint32_t *out)
{
    rn__expr *e = p->e;
    const tok *t = &p->t;
    val v;
    memset(&v, 0, sizeof v);
    v.idx = -1;
    switch (t->kind) {
    case T_STR:
    case T_NUM:
        v.kind = V_LIT;
        break;
    case T_WORD:
        if (reserved(p, t))
            return fail_tok(p, "expected a value");
        v.kind = role == R_LEFT ? V_NAME : role == R_RIGHT ? V_WORD : V_LIT;
        break;
    case T_POS:
    case T_NAME:
        if (role == R_PATTERN)
            return fail_tok(p, "expected a regex (a string)");
        v.kind = t->kind == T_POS ? V_POS : V_NAME;
        v.pos = t->pos;
        break;
    default:
        return fail_tok(p, role == R_PATTERN ? "expected a regex (a string)"
                                             : "expected a value");
    }
    v.s = t->v;
    if (v.s.ptr)
        v.isnum = as_number(v.s.ptr, v.s.len, &v.num);
    e->vals[e->nv] = v;
    *out = e->nv++;
    return advance(p);
}

/* Compiles the pattern token at p->t into regex slot nd->n. */
static int p_regex(parser *p, uint32_t ni)
{
    rn__expr *e = p->e;
    const tok t = p->t;
    uint32_t vi;
    int rc = p_value(p, R_PATTERN, &vi);
    if (rc)
        return rc;
    rn_field pat = e->vals[vi].s;
    char msg[120];
    size_t off;
    /* The slot counts as used even on failure: rn__expr_free frees it. */
    rn__regex *re = &e->re[e->nre++];
    rc = rn__regex_compile_n(re, &e->mem, pat.ptr, pat.len, 0, msg, sizeof msg,
                             &off);
    if (rc == RN_EINVAL) {
        char full[200];
        snprintf(full, sizeof full, "bad regex at offset %zu: %s", off, msg);
        return fail_at(p, t.col, t.len, full);
    }
    if (rc < 0)
        return rc;
    node *nd = &e->nodes[ni];
    nd->b = vi;
    nd->n = (uint32_t)(re - e->re);
    return RN_OK;
}

static int p_list(parser *p, uint32_t ni)
{
    if (p->t.kind != T_LP)
        return fail_tok(p, "expected '(' to open the list");
    int rc = advance(p);
    uint32_t first = p->e->nv, n = 0;
    for (;;) {
        uint32_t vi;
        if (rc || (rc = p_value(p, R_RIGHT, &vi)))
            return rc;
        n++;
        if (p->t.kind == T_RP)
            break;
        if (p->t.kind != T_COMMA)
            return fail_tok(p, "expected ',' or ')'");
        rc = advance(p);
    }
    p->e->nodes[ni].b = first;
    p->e->nodes[ni].n = n;
    return advance(p);
}

static int p_pred(parser *p)
{
    int rc;
    if (p->t.kind == T_LP) {
        if (++p->depth > MAX_DEPTH)
            return fail_tok(p, "expression nested too deeply");
        if ((rc = advance(p)) || (rc = p_or(p)))
            return rc;
        if (p->t.kind != T_RP)
            return fail_tok(p, "expected ')'");
        p->depth--;
        return advance(p);
    }
    uint32_t a;
    if ((rc = p_value(p, R_LEFT, &a)))
        return rc;
    const char *s = p->text;
    const tok *t = &p->t;
    uint32_t ni;
    if (t->kind == T_OP) {
        int op = t->op;
        ni = add_node(p, op);
        p->e->nodes[ni].a = a;
        if ((rc = advance(p)))
            return rc;
        if (op == N_MATCH || op == N_NOMATCH)
            return p_regex(p, ni);
        return p_value(p, R_RIGHT, &p->e->nodes[ni].b);
    }
    if (is_kw(t, s, "contains")) {
        ni = add_node(p, N_CONTAINS);
        p->e->nodes[ni].a = a;
        if ((rc = advance(p)))
            return rc;
        return p_value(p, R_RIGHT, &p->e->nodes[ni].b);
    }
    if (is_kw(t, s, "in") || is_kw(t, s, "not")) {
        bool neg = is_kw(t, s, "not");
        if ((rc = advance(p)))
            return rc;
        if (neg) {
            if (!is_kw(t, s, "in"))
                return fail_tok(p, "expected 'in' after 'not'");
            if ((rc = advance(p)))
                return rc;
        }
        ni = add_node(p, neg ? N_NOTIN : N_IN);
        p->e->nodes[ni].a = a;
        return p_list(p, ni);
    }
    if (is_kw(t, s, "is")) {
        if ((rc = advance(p)))
            return rc;
        bool neg = is_kw(t, s, "not");
        if (neg && (rc = advance(p)))
            return rc;
        if (!is_kw(t, s, "empty"))
            return fail_tok(p, neg ? "expected 'empty' after 'is not'"
                                   : "expected 'empty' or 'not empty'");
        ni = add_node(p, neg ? N_NOTEMPTY : N_EMPTY);
        p->e->nodes[ni].a = a;
        return advance(p);
    }
    return fail_tok(p, "expected an operator (==, !=, <, <=, >, >=, =~, !~, "
                       "contains, in, not in, is)");
}

static int p_not(parser *p)
{
    if (!is_kw(&p->t, p->text, "not"))
        return p_pred(p);
    if (++p->depth > MAX_DEPTH)
        return fail_tok(p, "expression nested too deeply");
    uint32_t start = add_node(p, N_NOT);
    int rc = advance(p);
    if (rc || (rc = p_not(p)))
        return rc;
    p->e->nodes[start].size = p->e->nn - start;
    p->depth--;
    return RN_OK;
}

/* and/or: an n-ary node is inserted before the first operand once the
 * keyword shows there is a second. */
static int p_chain(parser *p, int op, const char *kw, int (*sub)(parser *))
{
    uint32_t start = p->e->nn;
    int rc = sub(p);
    if (rc || !is_kw(&p->t, p->text, kw))
        return rc;
    insert_node(p, start, op);
    while (is_kw(&p->t, p->text, kw))
        if ((rc = advance(p)) || (rc = sub(p)))
            return rc;
    p->e->nodes[start].size = p->e->nn - start;
    return RN_OK;
}

static int p_and(parser *p)
{
    return p_chain(p, N_AND, "and", p_not);
}

static int p_or(parser *p)
{
    return p_chain(p, N_OR, "or", p_and);
}

/* ---- construction -------------------------------------------------------- */

static size_t align_up(size_t n, size_t a)
{
    return (n + a - 1) / a * a;
}

void rn__expr_free(rn__expr *e)
{
    if (!e)
        return;
    for (uint32_t i = 0; i < e->nre; i++)
        rn__regex_free(&e->re[i]);
    rn_allocator a = e->mem;
    rn__free(&a, e, e->size);
}

int rn__expr_compile(rn_iter *it, const char *what, const char *text,
                     rn__expr **out)
{
    *out = NULL;
    parser p;
    memset(&p, 0, sizeof p);
    p.it = it;
    p.what = what;
    p.text = text ? text : "";
    p.len = strlen(p.text);
    /* Counting pass: tokens bound the nodes and the values. */
    tok t;
    do {
        int rc = lex(&p, &t);
        if (rc)
            return rc;
        p.ntok++;
        if (t.kind == T_OP && (t.op == N_MATCH || t.op == N_NOMATCH))
            p.nre++;
    } while (t.kind != T_END);

    size_t o_nodes = align_up(sizeof(rn__expr), alignof(node));
    size_t o_vals = align_up(o_nodes + p.ntok * sizeof(node), alignof(val));
    size_t o_re = align_up(o_vals + p.ntok * sizeof(val), alignof(rn__regex));
    size_t o_pool = o_re + p.nre * sizeof(rn__regex);
    size_t size = o_pool + p.len + 1;
    char *block = rn__calloc(&it->mem, size);
    if (!block)
        return RN_ENOMEM;
    rn__expr *e = (rn__expr *)(void *)block;
    e->mem = it->mem;
    e->size = size;
    e->nodes = (node *)(void *)(block + o_nodes);
    e->vals = (val *)(void *)(block + o_vals);
    e->re = (rn__regex *)(void *)(block + o_re);
    e->pool = block + o_pool;

    int rc;
    p.e = e;
    p.i = 0;
    if ((rc = advance(&p)) || (rc = p_or(&p)))
        goto fail;
    if (p.t.kind != T_END) {
        rc = fail_tok(&p, p.t.kind == T_RP ? "unmatched ')'"
                                           : "expected 'and', 'or' or the end");
        goto fail;
    }
    *out = e;
    return RN_OK;
fail:
    rn__expr_free(e);
    return rc;
}

/* ---- binding ------------------------------------------------------------- */

int rn__expr_bind(rn__expr *e, rn_iter *it, const char *what,
                  const rn_schema *s)
{
    for (uint32_t i = 0; i < e->nv; i++) {
        val *v = &e->vals[i];
        switch (v->kind) {
        case V_POS:
            v->idx = (ptrdiff_t)(v->pos - 1);
            break;
        case V_NAME:
            v->idx = rn__field_index(it, what, s, v->s.ptr, v->s.len);
            if (v->idx < 0)
                return RN_EINVAL;
            break;
        case V_WORD:
            v->idx = rn_schema_find(s, v->s.ptr, v->s.len);
            break;
        default:
            v->idx = -1;
            break;
        }
        rn_field name = rn_schema_name(s, v->idx < 0 ? SIZE_MAX
                                                     : (size_t)v->idx);
        v->level = v->idx >= 0 && name.len == 5 &&
                   memcmp(name.ptr, "level", 5) == 0;
    }
    for (uint32_t i = 0; i < e->nn; i++) {
        node *nd = &e->nodes[i];
        switch (nd->op) {
        case N_EQ:
        case N_NE:
            nd->ci = e->vals[nd->a].level || e->vals[nd->b].level;
            break;
        case N_IN:
        case N_NOTIN:
            nd->ci = e->vals[nd->a].level;
            for (uint32_t k = 0; k < nd->n; k++)
                nd->ci |= e->vals[nd->b + k].level;
            break;
        default:
            break;
        }
    }
    return RN_OK;
}

/* ---- evaluation ---------------------------------------------------------- */

static inline rn_field get(const val *v, const rn_record *r)
{
    if (v->idx < 0)
        return v->s;
    if ((size_t)v->idx < r->nfields)
        return r->fields[v->idx];
    rn_field none = {"", 0};
    return none;
}

/* Both values as numbers, when both are. A literal that is not a number
 * decides at once, before the field is looked at. */
static inline bool numbers(const val *va, rn_field a, const val *vb,
                           rn_field b, double *x, double *y)
{
    if ((va->idx < 0 && !va->isnum) || (vb->idx < 0 && !vb->isnum))
        return false;
    if (va->idx < 0)
        *x = va->num;
    else if (!as_number(a.ptr, a.len, x))
        return false;
    if (vb->idx < 0)
        *y = vb->num;
    else if (!as_number(b.ptr, b.len, y))
        return false;
    return true;
}

static inline bool equal(const val *va, rn_field a, const val *vb, rn_field b,
                         bool ci)
{
    double x, y;
    if (numbers(va, a, vb, b, &x, &y))
        return x == y;
    if (a.len != b.len)
        return false;
    if (a.len == 0)
        return true;
    return ci ? same_ci(a.ptr, b.ptr, a.len) : memcmp(a.ptr, b.ptr, a.len) == 0;
}

/* -1, 0 or 1: numbers by value, anything else by bytes, then length. */
static inline int compare(const val *va, rn_field a, const val *vb, rn_field b)
{
    double x, y;
    if (numbers(va, a, vb, b, &x, &y))
        return (x > y) - (x < y);
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    if (c)
        return c < 0 ? -1 : 1;
    return (a.len > b.len) - (a.len < b.len);
}

static int match(rn__expr *e, const node *nd, rn_field f)
{
    int rc = rn__regex_match(&e->re[nd->n], f.ptr, f.len);
    if (rc >= 0)
        return 1;
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    char msg[120];
    rn__regex_errmsg(rc, msg, sizeof msg);
    snprintf(e->why, sizeof e->why, "regex match failed: %s", msg);
    return rc == PCRE2_ERROR_NOMEMORY ? RN_ENOMEM : RN_ETOOBIG;
}

static int eval_at(rn__expr *e, uint32_t i, const rn_record *r)
{
    const node *nd = &e->nodes[i];
    const val *va = &e->vals[nd->a], *vb = &e->vals[nd->b];
    int v;
    switch (nd->op) {
    case N_OR:
        for (uint32_t c = i + 1; c < i + nd->size; c += e->nodes[c].size)
            if ((v = eval_at(e, c, r)) != 0)
                return v;
        return 0;
    case N_AND:
        for (uint32_t c = i + 1; c < i + nd->size; c += e->nodes[c].size)
            if ((v = eval_at(e, c, r)) <= 0)
                return v;
        return 1;
    case N_NOT:
        v = eval_at(e, i + 1, r);
        return v < 0 ? v : !v;
    case N_EQ:
        return equal(va, get(va, r), vb, get(vb, r), nd->ci);
    case N_NE:
        return !equal(va, get(va, r), vb, get(vb, r), nd->ci);
    case N_LT:
        return compare(va, get(va, r), vb, get(vb, r)) < 0;
    case N_LE:
        return compare(va, get(va, r), vb, get(vb, r)) <= 0;
    case N_GT:
        return compare(va, get(va, r), vb, get(vb, r)) > 0;
    case N_GE:
        return compare(va, get(va, r), vb, get(vb, r)) >= 0;
    case N_CONTAINS: {
        rn_field h = get(va, r), n = get(vb, r);
        if (n.len == 0)
            return 1;
        return h.len >= n.len && memmem(h.ptr, h.len, n.ptr, n.len) != NULL;
    }
    case N_IN:
    case N_NOTIN: {
        rn_field a = get(va, r);
        bool hit = false;
        for (uint32_t k = 0; k < nd->n && !hit; k++)
            hit = equal(va, a, vb + k, get(vb + k, r), nd->ci);
        return hit == (nd->op == N_IN);
    }
    case N_EMPTY:
        return get(va, r).len == 0;
    case N_NOTEMPTY:
        return get(va, r).len != 0;
    case N_MATCH:
        return match(e, nd, get(va, r));
    case N_NOMATCH:
        v = match(e, nd, get(va, r));
        return v < 0 ? v : !v;
    default:
        return 0;
    }
}

int rn__expr_eval(rn__expr *e, const rn_record *r)
{
    return eval_at(e, 0, r);
}

/* ---- pushdown ------------------------------------------------------------ */

static inline bool is_field(const val *v)
{
    return v->idx >= 0;
}

/* A literal a field must equal byte for byte (or without case). */
static inline bool is_text(const val *v)
{
    return v->idx < 0 && !v->isnum && v->s.len > 0;
}

static size_t needles_at(const rn__expr *e, uint32_t i, rn_field *out,
                         size_t max, bool *ci)
{
    const node *nd = &e->nodes[i];
    const val *va = &e->vals[nd->a], *vb = &e->vals[nd->b];
    size_t k = 0;
    switch (nd->op) {
    case N_AND: /* one operand's suffice */
        for (uint32_t c = i + 1; c < i + nd->size; c += e->nodes[c].size)
            if ((k = needles_at(e, c, out, max, ci)) != 0)
                return k;
        return 0;
    case N_OR: { /* every operand's, searched alike */
        bool any_ci = false;
        for (uint32_t c = i + 1; c < i + nd->size; c += e->nodes[c].size) {
            bool c_ci = false;
            size_t m = needles_at(e, c, out + k, max - k, &c_ci);
            if (m == 0)
                return 0;
            k += m;
            any_ci |= c_ci;
        }
        *ci = any_ci;
        return k;
    }
    case N_EQ:
        if (max == 0)
            return 0;
        if (is_field(va) && is_text(vb))
            out[0] = vb->s;
        else if (is_field(vb) && is_text(va))
            out[0] = va->s;
        else
            return 0;
        *ci = nd->ci;
        return 1;
    case N_CONTAINS:
        if (max == 0 || !is_field(va) || vb->idx >= 0 || vb->s.len == 0)
            return 0;
        out[0] = vb->s;
        *ci = false;
        return 1;
    case N_IN:
        if (!is_field(va) || nd->n > max)
            return 0;
        for (uint32_t j = 0; j < nd->n; j++) {
            if (!is_text(&vb[j]))
                return 0;
            out[j] = vb[j].s;
        }
        *ci = nd->ci;
        return nd->n;
    default:
        return 0;
    }
}

size_t rn__expr_needles(const rn__expr *e, rn_field *out, size_t max,
                        bool *ci)
{
    *ci = false;
    if (!e || e->nn == 0)
        return 0;
    return needles_at(e, 0, out, max, ci);
}

const char *rn__expr_why(const rn__expr *e)
{
    return e->why;
}
