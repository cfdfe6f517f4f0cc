/*
 * test_expr.c - the expression language (expr.c) on hand-made records:
 * comparisons numeric and byte-wise, "level" ignoring case, in-lists,
 * contains, is empty, regexes, $N and quoted names, literals and escapes;
 * precedence against a reference tree evaluator on random expressions;
 * every syntax error with its column; name binding and rebinding;
 * allocation failures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support.h"

#include "stage/expr.h"
#include "base/runnel_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a bare iterator to compile against ---------------------------------- */

static int none_next(rn_iter *it, rn_batch *out)
{
    (void)it;
    (void)out;
    return RN_DONE;
}

static const rn__iter_vt none_vt = {"none", none_next, NULL};

static rn_iter *bare_iter(const rn_allocator *a)
{
    return rn__iter_new(&none_vt, sizeof(rn_iter), NULL, a);
}

/* The fields of every record below, in this order. */
static const char *const names[] = {"name",  "amount",     "category",
                                    "level", "first name", "note",
                                    "blank"};
#define NF (sizeof names / sizeof *names)

static rn_schema *make_schema(const char *const *n, size_t k)
{
    rn_field f[16];
    for (size_t i = 0; i < k; i++) {
        f[i].ptr = n[i];
        f[i].len = strlen(n[i]);
    }
    rn_allocator a = rn__allocator(NULL);
    return rn__schema_new(&a, f, k);
}

static void free_schema(rn_schema *s)
{
    rn_allocator a = rn__allocator(NULL);
    rn__schema_free(&a, s);
}

/* A record of nf values (NULL: a view {NULL, 0}). */
typedef struct rec {
    rn_field f[16];
    rn_record r;
} rec;

static void make_rec(rec *x, const char *const *v, size_t nf)
{
    memset(x, 0, sizeof *x);
    for (size_t i = 0; i < nf; i++) {
        x->f[i].ptr = v[i];
        x->f[i].len = v[i] ? strlen(v[i]) : 0;
    }
    x->r.fields = x->f;
    x->r.nfields = nf;
}

/* The standard record. */
static const char *const row[NF] = {
    "abc", "10", "books", "ERROR", "Ada Lovelace",
    "the quick, brown fox said \"hi\"\tthen 42", "",
};

/* Evaluates text on the record v (nf fields) with the standard schema. */
static int eval_rec(const char *text, const char *const *v, size_t nf)
{
    rn_iter *it = bare_iter(NULL);
    rn_schema *s = make_schema(names, NF);
    rn__expr *e;
    int rc = rn__expr_compile(it, "filter", text, &e);
    if (rc != RN_OK)
        fprintf(stderr, "%s: %s\n", text, rn_errmsg(it));
    assert_int_equal(rc, RN_OK);
    rc = rn__expr_bind(e, it, "filter", s);
    if (rc != RN_OK)
        fprintf(stderr, "%s: %s\n", text, rn_errmsg(it));
    assert_int_equal(rc, RN_OK);
    rec x;
    make_rec(&x, v, nf);
    int got = rn__expr_eval(e, &x.r);
    rn__expr_free(e);
    free_schema(s);
    rn_free(it);
    return got;
}

static int eval_std(const char *text)
{
    return eval_rec(text, row, NF);
}

#define IS_TRUE(text)                                                      \
    do {                                                                   \
        int v_ = eval_std(text);                                           \
        if (v_ != 1)                                                       \
            fprintf(stderr, "want true: %s\n", text);                      \
        assert_int_equal(v_, 1);                                           \
    } while (0)
#define IS_FALSE(text)                                                     \
    do {                                                                   \
        int v_ = eval_std(text);                                           \
        if (v_ != 0)                                                       \
            fprintf(stderr, "want false: %s\n", text);                     \
        assert_int_equal(v_, 0);                                           \
    } while (0)

/* ---- comparisons --------------------------------------------------------- */

static void test_numeric_and_bytewise(void **state)
{
    (void)state;
    /* Numbers by value: "10" > "9", 10 == 10.0 == 1e1. */
    IS_TRUE("amount > 9");
    IS_TRUE("\"10\" > \"9\"");
    IS_TRUE("'10' > 9");
    IS_TRUE("amount == 10.0");
    IS_TRUE("amount == 1e1");
    IS_TRUE("amount = 10");
    IS_TRUE("amount <> 11");
    IS_TRUE("amount != 11");
    IS_FALSE("amount != 10.00");
    IS_TRUE("amount >= 10");
    IS_TRUE("amount <= 10");
    IS_FALSE("amount < 10");
    IS_TRUE("-5 < amount");
    IS_TRUE("amount > -1.5e2");
    IS_TRUE("amount < +1e+2");
    IS_TRUE("amount > .5");
    IS_TRUE("amount < 10.5");
    /* Byte-wise otherwise: memcmp, then the shorter first. */
    IS_TRUE("\"abc\" < \"abd\"");
    IS_TRUE("\"ab\" < \"abc\"");
    IS_FALSE("\"abc\" < \"abc\"");
    IS_TRUE("\"abc\" <= \"abc\"");
    IS_TRUE("name < abd");
    IS_TRUE("name >= abc");
    IS_TRUE("\"B\" < \"a\"");
    IS_FALSE("name == ABC"); /* only "level" ignores case */
    IS_TRUE("category == books");
    IS_TRUE("category == \"books\"");
    IS_TRUE("category == 'books'");
    IS_FALSE("category == book");
    IS_TRUE("category > 9"); /* 'b' > '9' */
    /* A field against a field. */
    IS_TRUE("category > name");
    IS_TRUE("name == name");

    /* Values that are not numbers, compared with numbers: byte-wise. */
    const char *const v[NF] = {"", "", "", "", "", "", ""};
    const char *amounts[] = {"", "n/a", " 10", "inf", "nan", "10x", "1e",
                             "0x10", "-", "."};
    const int gt100[] = {0, 1, 0, 1, 1, 1, 1, 0, 0, 0};
    for (size_t i = 0; i < sizeof amounts / sizeof *amounts; i++) {
        const char *w[NF];
        memcpy(w, v, sizeof w);
        w[1] = amounts[i];
        assert_int_equal(eval_rec("amount > 100", w, NF), gt100[i]);
        /* Equal to its own text, as bytes. */
        char text[64];
        snprintf(text, sizeof text, "amount == '%s'", amounts[i]);
        assert_int_equal(eval_rec(text, w, NF), 1);
    }
    /* "inf" and "nan" are words, so nan equals nan. */
    const char *w[NF] = {"nan", "nan", "", "", "", "", ""};
    assert_int_equal(eval_rec("name == amount", w, NF), 1);
    assert_int_equal(eval_rec("amount == nan", w, NF), 1);
    /* Numbers with signs and exponents in fields. */
    const char *x[NF] = {"-1.5e3", "+7", ".25", "5.", "", "", ""};
    assert_int_equal(eval_rec("name < -1000", x, NF), 1);
    assert_int_equal(eval_rec("amount == 7", x, NF), 1);
    assert_int_equal(eval_rec("category == 0.25", x, NF), 1);
    assert_int_equal(eval_rec("level == 5", x, NF), 1);
    /* Empty views may have a NULL pointer. */
    const char *nul[NF] = {NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    assert_int_equal(eval_rec("name == ''", nul, NF), 1);
    assert_int_equal(eval_rec("name < a", nul, NF), 1);
    assert_int_equal(eval_rec("name contains ''", nul, NF), 1);
    assert_int_equal(eval_rec("name contains x", nul, NF), 0);
    assert_int_equal(eval_rec("name =~ '^$'", nul, NF), 1);
    assert_int_equal(eval_rec("name in (a, '')", nul, NF), 1);
}

static void test_level_ignores_case(void **state)
{
    (void)state;
    IS_TRUE("level == error");
    IS_TRUE("level == ERROR");
    IS_TRUE("level == 'Error'");
    IS_TRUE("level = eRrOr");
    IS_FALSE("level != error");
    IS_TRUE("level != warn");
    IS_TRUE("'error' == level");
    IS_FALSE("\"Error\" != level");
    IS_TRUE("$4 == error"); /* by position, the field is still "level" */
    IS_TRUE("${level} == error");
    IS_TRUE("level in (warn, error)");
    IS_FALSE("level not in (warn, error)");
    IS_TRUE("level not in (warn, info)");
    /* Ordering and the rest stay byte-wise. */
    IS_TRUE("level < error");
    IS_FALSE("level contains err");
    IS_FALSE("level =~ '^err'");
    /* Another field equal to level's text ignores case too. */
    const char *v[NF] = {"error", "", "", "ERROR", "", "", ""};
    assert_int_equal(eval_rec("name == level", v, NF), 1);
    assert_int_equal(eval_rec("name == ERROR", v, NF), 0);
}

static void test_contains_in_empty(void **state)
{
    (void)state;
    IS_TRUE("note contains quick");
    IS_TRUE("note contains ', brown'");
    IS_FALSE("note contains Quick");
    IS_TRUE("note contains ''");
    IS_TRUE("note contains \"\\\"hi\\\"\"");
    IS_TRUE("note contains '\\t'");
    IS_FALSE("blank contains x");
    IS_TRUE("name contains name");
    IS_TRUE("category in (music, books)");
    IS_TRUE("category in ('books')");
    IS_FALSE("category in (music, film)");
    IS_TRUE("category not in (music, film)");
    IS_TRUE("amount in (1, 10.0, 100)");
    IS_TRUE("amount in (1e1)");
    IS_FALSE("amount in (1, 2)");
    IS_TRUE("amount not in (1, 2)");
    IS_TRUE("name in (x, name)"); /* items may be fields */
    IS_TRUE("name IN (abc)");
    IS_TRUE("blank is empty");
    IS_FALSE("blank is not empty");
    IS_TRUE("name is not empty");
    IS_FALSE("name is empty");
    IS_TRUE("'' is empty");
    IS_TRUE("blank == ''");
    IS_TRUE("blank IS EMPTY OR blank Is Not Empty");
}

static void test_contains_note_amount(void **state)
{
    (void)state;
    /* Both sides fields. */
    const char *v[NF] = {"", "42", "", "", "", "then 42", ""};
    assert_int_equal(eval_rec("note contains amount", v, NF), 1);
    v[1] = "43";
    assert_int_equal(eval_rec("note contains amount", v, NF), 0);
}

static void test_regex(void **state)
{
    (void)state;
    IS_TRUE("note =~ '^the'");
    IS_TRUE("note =~ \"quick, (brown|red)\"");
    IS_FALSE("note =~ '^quick'");
    IS_TRUE("note !~ '^quick'");
    IS_FALSE("note !~ 'fox'");
    IS_TRUE("note =~ '\\d+$'"); /* an unknown escape is kept for PCRE2 */
    IS_TRUE("note =~ \"\\\\d{2}\"");
    IS_TRUE("note =~ '(?i)THE QUICK'");
    IS_FALSE("note =~ 'THE QUICK'");
    IS_TRUE("category =~ books"); /* a bare word is the pattern */
    IS_TRUE("amount =~ 10");
    IS_TRUE("$5 =~ '^Ada '");
    IS_TRUE("blank =~ ''");
    IS_TRUE("note =~ 'fox' and note !~ 'cat' and name =~ '^a'");
    /* A pattern that is only a regex, not a literal, in both senses. */
    IS_TRUE("name =~ 'a.c'");
    IS_FALSE("name contains 'a.c'");
}

static void test_positions_and_names(void **state)
{
    (void)state;
    IS_TRUE("$1 == abc");
    IS_TRUE("$2 > 9");
    IS_TRUE("$3 == books");
    IS_TRUE("$name == abc");
    IS_TRUE("${first name} == 'Ada Lovelace'");
    IS_TRUE("${first name} contains Ada");
    IS_TRUE("$amount == $2");
    IS_TRUE("$99 is empty"); /* past the record's fields: empty */
    IS_TRUE("$8 == ''");
    IS_FALSE("$99 is not empty");
    IS_TRUE("$007 == 1 or $1 == abc");
    /* A short record: the missing fields read as empty. */
    const char *v[2] = {"x", "5"};
    assert_int_equal(eval_rec("note is empty and amount == 5", v, 2), 1);
    assert_int_equal(eval_rec("level == ''", v, 2), 1);
    /* A record with no fields at all (a separator). */
    assert_int_equal(eval_rec("name is empty and $1 is empty", v, 0), 1);
}

static void test_literals(void **state)
{
    (void)state;
    const char *v[NF] = {"say \"hi\"", "it's", "a\\b", "l1\nl2", "t\tt",
                         "x'y\"z", ""};
    assert_int_equal(eval_rec("name == \"say \\\"hi\\\"\"", v, NF), 1);
    assert_int_equal(eval_rec("name == 'say \"hi\"'", v, NF), 1);
    assert_int_equal(eval_rec("amount == 'it\\'s'", v, NF), 1);
    assert_int_equal(eval_rec("amount == \"it's\"", v, NF), 1);
    assert_int_equal(eval_rec("category == 'a\\\\b'", v, NF), 1);
    assert_int_equal(eval_rec("level == 'l1\\nl2'", v, NF), 1);
    assert_int_equal(eval_rec("${first name} == \"t\\tt\"", v, NF), 1);
    assert_int_equal(eval_rec("note == 'x\\'y\"z'", v, NF), 1);
    /* Bare words may hold dots, dashes and digits. */
    const char *w[NF] = {"web-01.example", "v1.2", "a_b", "", "", "", ""};
    assert_int_equal(eval_rec("name == web-01.example", w, NF), 1);
    assert_int_equal(eval_rec("amount == v1.2", w, NF), 1);
    assert_int_equal(eval_rec("category == a_b", w, NF), 1);
    /* Whitespace of every kind between tokens, none where not needed. */
    assert_int_equal(eval_rec("\tname\n==\r\n'web-01.example'  ", w, NF), 1);
    assert_int_equal(eval_rec("(name=='web-01.example')and(amount!=x)", w,
                              NF),
                     1);
    /* Keywords ignore case; "empty" is a keyword only after "is". */
    const char *x[NF] = {"empty", "", "", "", "", "", ""};
    assert_int_equal(eval_rec("name == empty AND amount IS EMPTY", x, NF), 1);
    assert_int_equal(eval_rec("NOT name == full Or name == x", x, NF), 1);
}

/* ---- precedence: random expressions against a reference tree ------------- */

typedef struct tree {
    int op; /* 0 atom, 1 or, 2 and, 3 not */
    int val;
    int kid[8];
    int nkid;
} tree;

typedef struct forest {
    tree t[512];
    int n;
    unsigned seed;
} forest;

static unsigned rnd(forest *f)
{
    f->seed = f->seed * 1103515245u + 12345u;
    return f->seed >> 16;
}

static int grow(forest *f, int depth)
{
    int i = f->n++;
    tree *t = &f->t[i];
    memset(t, 0, sizeof *t);
    unsigned r = rnd(f) % 10;
    if (depth > 4 || r < 3 || f->n > 400) {
        t->op = 0;
        t->val = (int)(rnd(f) % 2);
        return i;
    }
    t->op = r < 6 ? 1 : r < 9 ? 2 : 3;
    t->nkid = t->op == 3 ? 1 : 2 + (int)(rnd(f) % 3);
    for (int k = 0; k < t->nkid; k++) {
        int c = grow(f, depth + 1);
        f->t[i].kid[k] = c;
    }
    return i;
}

static int tree_eval(const forest *f, int i)
{
    const tree *t = &f->t[i];
    switch (t->op) {
    case 0:
        return t->val;
    case 1:
        for (int k = 0; k < t->nkid; k++)
            if (tree_eval(f, t->kid[k]))
                return 1;
        return 0;
    case 2:
        for (int k = 0; k < t->nkid; k++)
            if (!tree_eval(f, t->kid[k]))
                return 0;
        return 1;
    default:
        return !tree_eval(f, t->kid[0]);
    }
}

static int prec(int op)
{
    return op == 0 ? 4 : op; /* or 1 < and 2 < not 3 < atom */
}

/* Prints with only the parentheses precedence needs (and some spare ones
 * at random), so the parser's precedence decides the meaning. */
static void print_tree(forest *f, int i, char *buf, size_t *len, int parent)
{
    const tree *t = &f->t[i];
    bool paren = prec(t->op) < parent || (parent && rnd(f) % 8 == 0) ||
                 (t->op == parent && t->op != 3 && rnd(f) % 2);
    if (paren)
        *len += (size_t)sprintf(buf + *len, "(");
    switch (t->op) {
    case 0:
        /* Atoms of every predicate kind. */
        switch (rnd(f) % 4) {
        case 0:
            *len += (size_t)sprintf(buf + *len, "%s", t->val ? "1 == 1"
                                                             : "1 == 2");
            break;
        case 1:
            *len += (size_t)sprintf(buf + *len, "%s", t->val
                                                     ? "name contains b"
                                                     : "name contains z");
            break;
        case 2:
            *len += (size_t)sprintf(buf + *len, "%s", t->val
                                                     ? "blank is empty"
                                                     : "amount in (1, 2)");
            break;
        default:
            *len += (size_t)sprintf(buf + *len, "%s", t->val
                                                     ? "note =~ 'fox'"
                                                     : "note !~ 'fox'");
            break;
        }
        break;
    case 3:
        *len += (size_t)sprintf(buf + *len, "not ");
        print_tree(f, t->kid[0], buf, len, 3);
        break;
    default:
        for (int k = 0; k < t->nkid; k++) {
            if (k)
                *len += (size_t)sprintf(buf + *len, t->op == 1 ? " or "
                                                               : " and ");
            print_tree(f, t->kid[k], buf, len, t->op);
        }
        break;
    }
    if (paren)
        *len += (size_t)sprintf(buf + *len, ")");
}

static void test_precedence(void **state)
{
    (void)state;
    /* Spelled out: not > and > or. */
    IS_TRUE("1 == 1 or 1 == 2 and 1 == 2");  /* T or (F and F) */
    IS_FALSE("(1 == 1 or 1 == 2) and 1 == 2");
    IS_FALSE("1 == 2 and 1 == 2 or 1 == 2");
    IS_TRUE("1 == 2 and 1 == 2 or 1 == 1");  /* (F and F) or T */
    IS_FALSE("not 1 == 2 and 1 == 2");       /* (not F) and F */
    IS_TRUE("not (1 == 2 and 1 == 2)");
    IS_TRUE("not 1 == 1 or 1 == 1");         /* (not T) or T */
    IS_FALSE("not (1 == 1 or 1 == 1)");
    IS_TRUE("not not 1 == 1");
    IS_FALSE("not not not 1 == 1");
    IS_TRUE("((((1 == 1))))");
    IS_TRUE("1 == 1 AND 1 == 2 Or 1 == 1");

    char *buf = malloc(1 << 16);
    for (unsigned s = 1; s <= 3000; s++) {
        forest f;
        f.n = 0;
        f.seed = s;
        int root = grow(&f, 0);
        size_t len = 0;
        print_tree(&f, root, buf, &len, 0);
        int want = tree_eval(&f, root);
        int got = eval_std(buf);
        if (got != want)
            fprintf(stderr, "seed %u: %s: want %d got %d\n", s, buf, want,
                    got);
        assert_int_equal(got, want);
    }
    free(buf);
}

/* ---- syntax errors ------------------------------------------------------- */

static void expect_error(const char *text, const char *want)
{
    rn_iter *it = bare_iter(NULL);
    rn__expr *e = (rn__expr *)(void *)&e;
    int rc = rn__expr_compile(it, "filter", text, &e);
    if (rc != RN_EINVAL || strcmp(rn_errmsg(it), want) != 0)
        fprintf(stderr, "%s\n  want: %s\n  got:  %s\n", text, want,
                rn_errmsg(it));
    assert_int_equal(rc, RN_EINVAL);
    assert_null(e);
    assert_int_equal(rn_status(it), RN_EINVAL);
    assert_string_equal(rn_errmsg(it), want);
    rn_free(it);
}

#define OPS "expected an operator (==, !=, <, <=, >, >=, =~, !~, contains, " \
            "in, not in, is)"

static void test_syntax_errors(void **state)
{
    (void)state;
    expect_error("", "filter: column 1: expected a value at the end");
    expect_error("   ", "filter: column 4: expected a value at the end");
    expect_error("amount >", "filter: column 9: expected a value at the end");
    expect_error("amount > 5 and",
                 "filter: column 15: expected a value at the end");
    expect_error("amount > 5 and or x",
                 "filter: column 16: expected a value near 'or'");
    expect_error("amount 5", "filter: column 8: " OPS " near '5'");
    expect_error("amount", "filter: column 7: " OPS " at the end");
    expect_error("(amount > 5",
                 "filter: column 12: expected ')' at the end");
    expect_error("(amount > 5 x", "filter: column 13: expected ')' near 'x'");
    expect_error("amount > 5)", "filter: column 11: unmatched ')' near ')'");
    expect_error("amount > 5 category",
                 "filter: column 12: expected 'and', 'or' or the end near "
                 "'category'");
    expect_error("name == \"abc",
                 "filter: column 9: unterminated string near '\"abc'");
    expect_error("name == 'abc\\'",
                 "filter: column 9: unterminated string near ''abc\\''");
    expect_error("name # 3", "filter: column 6: unexpected character near '#'");
    expect_error("name == 3 && x",
                 "filter: column 11: unexpected character near '&'");
    expect_error("name ! 3", "filter: column 6: expected != or !~ near '!'");
    expect_error("$ == 3", "filter: column 1: expected a field number or "
                           "name after '$' near '$'");
    expect_error("$0 == 3",
                 "filter: column 1: field positions start at $1 near '$0'");
    expect_error("x == $1234567890123",
                 "filter: column 6: field position too large near "
                 "'$1234567890123'");
    expect_error("${} == 1", "filter: column 1: expected a field name inside "
                             "${} near '${}'");
    expect_error("${abc == 1",
                 "filter: column 1: unterminated ${ near '${abc == 1'");
    expect_error("name in 1",
                 "filter: column 9: expected '(' to open the list near '1'");
    expect_error("name in (1 2)",
                 "filter: column 12: expected ',' or ')' near '2'");
    expect_error("name in (1,",
                 "filter: column 12: expected a value at the end");
    expect_error("name in ()", "filter: column 10: expected a value near ')'");
    expect_error("name not 3",
                 "filter: column 10: expected 'in' after 'not' near '3'");
    expect_error("name is full", "filter: column 9: expected 'empty' or "
                                 "'not empty' near 'full'");
    expect_error("name is not full", "filter: column 13: expected 'empty' "
                                     "after 'is not' near 'full'");
    expect_error("name =~ $2",
                 "filter: column 9: expected a regex (a string) near '$2'");
    expect_error("name =~ (x)",
                 "filter: column 9: expected a regex (a string) near '('");
    expect_error("name == and",
                 "filter: column 9: expected a value near 'and'");
    expect_error("and == 1", "filter: column 1: expected a value near 'and'");
    expect_error("not", "filter: column 4: expected a value at the end");
    expect_error("== 1", "filter: column 1: expected a value near '=='");
    expect_error("1.2.3 == 1", "filter: column 4: " OPS " near '.3'");
    expect_error("name == 'x' or",
                 "filter: column 15: expected a value at the end");
    expect_error("()", "filter: column 2: expected a value near ')'");
    expect_error("name contains",
                 "filter: column 14: expected a value at the end");
    expect_error("x == 'tab\there'\x01",
                 "filter: column 16: unexpected character near '?'");
    /* Regex errors name PCRE2's offset. */
    expect_error("name =~ \"ab(\"",
                 "filter: column 9: bad regex at offset 3: missing closing "
                 "parenthesis near '\"ab(\"'");
    expect_error("a == 1 or name !~ '[z-a]'",
                 "filter: column 19: bad regex at offset 3: range out of "
                 "order in character class near ''[z-a]''");
    /* A long token is shortened in the message. */
    expect_error("x == 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                 "filter: column 6: unterminated string near "
                 "''aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'");
    /* Deep nesting is refused, not a stack overflow. */
    char deep[2000];
    size_t n = 0;
    for (int i = 0; i < 300; i++)
        deep[n++] = '(';
    memcpy(deep + n, "x == 1", 6);
    n += 6;
    for (int i = 0; i < 300; i++)
        deep[n++] = ')';
    deep[n] = '\0';
    expect_error(deep, "filter: column 201: expression nested too deeply "
                       "near '('");
    n = 0;
    for (int i = 0; i < 300; i++)
        n += (size_t)sprintf(deep + n, "not ");
    sprintf(deep + n, "x == 1");
    expect_error(deep, "filter: column 801: expression nested too deeply "
                       "near 'not'");
    /* 200 levels are fine. */
    n = 0;
    for (int i = 0; i < 200; i++)
        deep[n++] = '(';
    memcpy(deep + n, "1 == 1", 6);
    n += 6;
    for (int i = 0; i < 200; i++)
        deep[n++] = ')';
    deep[n] = '\0';
    IS_TRUE(deep);
}

/* ---- binding ------------------------------------------------------------- */

static void test_binding(void **state)
{
    (void)state;
    rn_iter *it = bare_iter(NULL);
    rn_schema *s = make_schema(names, NF);
    rn__expr *e;

    /* A bare word on the left must be a field, with a suggestion. */
    assert_int_equal(rn__expr_compile(it, "filter", "amout > 3", &e), RN_OK);
    assert_int_equal(rn__expr_bind(e, it, "filter", s), RN_EINVAL);
    assert_non_null(strstr(rn_errmsg(it), "filter: no field 'amout'"));
    assert_non_null(strstr(rn_errmsg(it), "did you mean 'amount'"));
    rn__expr_free(e);
    rn_free(it);

    /* Even when it reads like a value: on the left it names a field. */
    it = bare_iter(NULL);
    assert_int_equal(rn__expr_compile(it, "filter", "error == level", &e),
                     RN_OK);
    assert_int_equal(rn__expr_bind(e, it, "filter", s), RN_EINVAL);
    assert_non_null(strstr(rn_errmsg(it), "filter: no field 'error'"));
    rn__expr_free(e);
    rn_free(it);

    /* So must $name and ${name}, wherever they stand. */
    it = bare_iter(NULL);
    assert_int_equal(rn__expr_compile(it, "filter", "name == ${nme}", &e),
                     RN_OK);
    assert_int_equal(rn__expr_bind(e, it, "filter", s), RN_EINVAL);
    assert_non_null(strstr(rn_errmsg(it), "no field 'nme'"));
    rn__expr_free(e);
    rn_free(it);

    /* Without a schema only positions and literals bind. */
    it = bare_iter(NULL);
    assert_int_equal(rn__expr_compile(it, "filter", "$1 == x and 'a' < b",
                                      &e),
                     RN_OK);
    assert_int_equal(rn__expr_bind(e, it, "filter", NULL), RN_OK);
    const char *v[1] = {"x"};
    rec x;
    make_rec(&x, v, 1);
    assert_int_equal(rn__expr_eval(e, &x.r), 1);
    rn__expr_free(e);
    assert_int_equal(rn__expr_compile(it, "filter", "name == x", &e), RN_OK);
    assert_int_equal(rn__expr_bind(e, it, "filter", NULL), RN_EINVAL);
    assert_non_null(strstr(rn_errmsg(it), "no field 'name' (fields: none)"));
    rn__expr_free(e);
    rn_free(it);

    /* Rebinding: a word that was a string becomes a field when a new schema
     * has it, and positions follow the new names. */
    it = bare_iter(NULL);
    const char *const n1[] = {"a", "b"};
    const char *const n2[] = {"a", "b", "c"};
    const char *const n3[] = {"b", "a", "c"};
    rn_schema *s1 = make_schema(n1, 2), *s2 = make_schema(n2, 3),
              *s3 = make_schema(n3, 3);
    assert_int_equal(rn__expr_compile(it, "filter", "a == c", &e), RN_OK);
    const char *w[3] = {"c", "x", "x"};
    make_rec(&x, w, 3);
    assert_int_equal(rn__expr_bind(e, it, "filter", s1), RN_OK);
    assert_int_equal(rn__expr_eval(e, &x.r), 1); /* c: the string "c" */
    assert_int_equal(rn__expr_bind(e, it, "filter", s2), RN_OK);
    assert_int_equal(rn__expr_eval(e, &x.r), 0); /* c: the field, "x" */
    assert_int_equal(rn__expr_bind(e, it, "filter", s3), RN_OK);
    assert_int_equal(rn__expr_eval(e, &x.r), 1); /* a is now column 2 */
    rn__expr_free(e);
    rn_free(it);

    /* "level" by position follows the schema too. */
    it = bare_iter(NULL);
    const char *const n4[] = {"level"};
    const char *const n5[] = {"lvl"};
    rn_schema *s4 = make_schema(n4, 1), *s5 = make_schema(n5, 1);
    assert_int_equal(rn__expr_compile(it, "filter", "$1 == error", &e), RN_OK);
    const char *y[1] = {"ERROR"};
    make_rec(&x, y, 1);
    assert_int_equal(rn__expr_bind(e, it, "filter", s4), RN_OK);
    assert_int_equal(rn__expr_eval(e, &x.r), 1);
    assert_int_equal(rn__expr_bind(e, it, "filter", s5), RN_OK);
    assert_int_equal(rn__expr_eval(e, &x.r), 0);
    rn__expr_free(e);
    rn_free(it);

    free_schema(s);
    free_schema(s1);
    free_schema(s2);
    free_schema(s3);
    free_schema(s4);
    free_schema(s5);
}

static void test_match_limit(void **state)
{
    (void)state;
    /* Catastrophic backtracking: PCRE2's match limit, reported, not
     * guessed at. */
    rn_iter *it = bare_iter(NULL);
    rn__expr *e;
    assert_int_equal(rn__expr_compile(it, "filter", "$1 =~ '^(a|aa)+$'", &e),
                     RN_OK);
    assert_int_equal(rn__expr_bind(e, it, "filter", NULL), RN_OK);
    char s[200];
    memset(s, 'a', 120);
    s[120] = 'b';
    s[121] = '\0';
    const char *v[1] = {s};
    rec x;
    make_rec(&x, v, 1);
    assert_int_equal(rn__expr_eval(e, &x.r), RN_ETOOBIG);
    assert_non_null(strstr(rn__expr_why(e), "regex match failed"));
    s[120] = 'a';
    make_rec(&x, v, 1);
    assert_int_equal(rn__expr_eval(e, &x.r), 1);
    rn__expr_free(e);
    rn_free(it);
}

/* ---- allocation failures ------------------------------------------------- */

static void test_failing_allocator(void **state)
{
    (void)state;
    const char *text = "(name =~ '^a' or note !~ 'x+y') and amount > 3 and "
                       "level in (error, warn) and not ${first name} is empty";
    rn_schema *s = make_schema(names, NF);
    rec x;
    make_rec(&x, row, NF);
    bool completed = false;
    for (long fail = 0; !completed && fail < 500; fail++) {
        tst_alloc t = tst_alloc_init();
        rn_allocator a = tst_allocator(&t);
        rn_iter *it = bare_iter(&a);
        assert_non_null(it);
        t.fail_at = (long)t.calls + fail;
        rn__expr *e;
        int rc = rn__expr_compile(it, "filter", text, &e);
        if (rc == RN_OK) {
            assert_int_equal(rn__expr_bind(e, it, "filter", s), RN_OK);
            assert_int_equal(rn__expr_eval(e, &x.r), 1);
            rn__expr_free(e);
            completed = !t.failed;
        } else {
            assert_int_equal(rc, RN_ENOMEM);
            assert_null(e);
            assert_true(t.failed);
        }
        t.fail_at = -1;
        rn_free(it);
        assert_int_equal(t.live, 0);
        assert_int_equal(t.nlive, 0);
    }
    assert_true(completed);
    free_schema(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numeric_and_bytewise),
        cmocka_unit_test(test_level_ignores_case),
        cmocka_unit_test(test_contains_in_empty),
        cmocka_unit_test(test_contains_note_amount),
        cmocka_unit_test(test_regex),
        cmocka_unit_test(test_positions_and_names),
        cmocka_unit_test(test_literals),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_binding),
        cmocka_unit_test(test_match_limit),
        cmocka_unit_test(test_failing_allocator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
