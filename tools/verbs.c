/*
 * verbs.c - the verbs that follow `then`, each a builder that parses its own
 * arguments and puts its stage on the chain; and the lookup over sources and
 * verbs.
 */
#include "cli.h"

#include <string.h>

static rn_iter *build_count(cli *c, rn_iter *up, int argc, char **argv)
{
    if (argc > 1)
        cli_usage_error("count: takes no arguments, got '%s'", argv[1]);
    c->natural_format = RN_FORMAT_CSV;
    return rn_count_new(up);
}

const cli_verb cli_verbs[] = {
    {"count", false, "one record: the number of records",
     "usage: ... then count\n"
     "\n"
     "Yields one record with one field, 'count': how many records reached it.\n"
     "\n"
     "Example:\n"
     "  runnel lines app.log then count\n",
     build_count},
    {NULL, false, NULL, NULL, NULL},
};

const cli_verb *cli_find_verb(const char *name)
{
    for (const cli_verb *v = cli_sources; v->name; v++)
        if (strcmp(v->name, name) == 0)
            return v;
    for (const cli_verb *v = cli_verbs; v->name; v++)
        if (strcmp(v->name, name) == 0)
            return v;
    return NULL;
}
