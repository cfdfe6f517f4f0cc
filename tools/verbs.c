/*
 * verbs.c - finding a source or verb by name (sources.c and stages.c hold
 * their tables).
 */
#include "cli.h"

#include <string.h>

const cli_verb *cli_find_verb(const char *name)
{
    for (const cli_verb *v = cli_sources; v->name; v++)
        if (strcmp(v->name, name) == 0)
            return v;
    for (const cli_verb *v = cli_verbs; v->name; v++)
        if (strcmp(v->name, name) == 0)
            return v;
    for (const cli_verb *v = cli_jobs; v->name; v++)
        if (strcmp(v->name, name) == 0)
            return v;
    return NULL;
}
