/*
 * help.c - what the runnel command says about its sources, ready-made jobs
 * and verbs: the one-line synopses of --help and the pages of `runnel help
 * NAME`, keyed by name, and the output format each makes the default (text
 * after lines and grep, csv after the sources and verbs that make tables).
 * The library builds the chains (rn_pipeline_parse_argv); a test checks that
 * every name it knows (rn_pipeline_name) has a page here.
 */
#include "cli.h"

#include <string.h>

const cli_help cli_sources[] = {
    {"lines", "one record per line",
     "usage: runnel lines [-f] [--max-line-bytes N] [--keep-cr] [FILE...]\n"
     "\n"
     "Yields one record per line, without its '\\n' or '\\r\\n'. A last line\n"
     "without '\\n' is a line. Several files are read one after the other as\n"
     "one stream; none or '-' means stdin; gzip input is inflated.\n"
     "\n"
     "  -f, --follow        keep reading as the file grows (tail -F: rotation\n"
     "                      and truncation followed); Ctrl-C ends it\n"
     "  --max-line-bytes N  longest line accepted (default 64M); a longer\n"
     "                      line stops the run with an error naming it\n"
     "  --keep-cr           keep the '\\r' of CRLF line ends\n"
     "\n"
     "Example:\n"
     "  runnel lines access.log.gz then count\n",
     RN_FORMAT_TEXT},
    {"csv", "CSV, header names fields",
     "usage: runnel csv [OPTIONS] [FILE...]\n"
     "\n"
     "Reads RFC 4180 CSV: quoted fields may hold delimiters, doubled quotes and\n"
     "line breaks; CRLF or LF ends a record; a UTF-8 BOM is dropped; spaces are\n"
     "data; empty lines are skipped. The first row names the fields (empty\n"
     "names become _N, repeats name_2, name_3...). Rows shorter than the\n"
     "header get empty fields, longer ones keep extras as _N (counted in\n"
     "--stats). Files with the same header read as one stream.\n"
     "\n"
     "  -d, --delimiter C      field delimiter, one byte or \\t (default ,)\n"
     "  --quote C              quote character (default \")\n"
     "  --no-header            no header row: fields are named 1, 2, ...\n"
     "  --strict               bad quoting and ragged rows are errors (or go\n"
     "                         to --rejects FILE with their line and reason)\n"
     "  --union                files with different headers: all their fields\n"
     "  --max-field-bytes N    longest field (default 16M)\n"
     "  --max-fields N         most fields in a record (default 100000)\n"
     "\n"
     "Example:\n"
     "  runnel -o jsonl csv sales.csv\n",
     RN_FORMAT_CSV},
    {"tsv", "tab-separated values",
     "usage: runnel tsv [OPTIONS] [FILE...]\n"
     "\n"
     "The csv source with a tab delimiter; it takes the same options\n"
     "(see runnel help csv).\n"
     "\n"
     "Example:\n"
     "  runnel tsv --no-header data.tsv then count\n",
     RN_FORMAT_CSV},
    {"log", "logs: pipe, syslog, clf..",
     "usage: runnel log [-f] [--format F] [FILE...]\n"
     "\n"
     "Parses each line as a log record with named fields. Formats:\n"
     "  pipe      2024-03-01 12:00:00.123|ERROR|message: timestamp, level,\n"
     "            message\n"
     "  syslog    Mar  1 12:00:00 host tag[pid]: message: timestamp, host, tag,\n"
     "            pid, message\n"
     "  clf       Apache/nginx common: ip, ident, user, time, request, status,\n"
     "            bytes\n"
     "  combined  clf plus referer, agent\n"
     "  regex:P   a PCRE2 pattern whose named groups become the fields\n"
     "  auto      (default) the built-in format that fits the first lines\n"
     "A line that does not fit is rejected: counted in --stats and written to\n"
     "--rejects FILE, never silently dropped.\n"
     "\n"
     "  -f, --follow        keep reading as the file grows (tail -F)\n"
     "  --format F          one of the formats above\n"
     "  --max-line-bytes N  longest line accepted (default 64M)\n"
     "\n"
     "Example:\n"
     "  runnel --stats log app.log.gz then count\n",
     RN_FORMAT_CSV},
    {NULL, NULL, NULL, -1},
};

const cli_help cli_jobs[] = {
    {"errors", "error codes by count",
     "usage: runnel [OPTIONS] errors [-f] [--level L] [--pattern REGEX]\n"
     "              [--format F] [FILE...]\n"
     "\n"
     "Log error-code analysis: reads plain or gzip logs in any built-in format\n"
     "(detected, or --format), keeps the records at level L (default ERROR,\n"
     "case-insensitive; 'any' keeps all), extracts the code with REGEX (default\n"
     "'Error code: (\\d+)'; its first group, or a group named code), and prints\n"
     "code, count, share (of the records with a code), first_seen, last_seen,\n"
     "most frequent first. --explain prints the chain it runs.\n"
     "\n"
     "  -f, --follow   follow one FILE as it grows (tail -F); on a terminal the\n"
     "                 table is redrawn about once a second. Ctrl-C ends it\n"
     "                 and prints the final table (exit 130).\n"
     "\n"
     "Examples:\n"
     "  runnel errors app.log.gz\n"
     "  runnel errors --level WARN --pattern 'status=(\\d+)' app.log\n"
     "  runnel errors -f /var/log/app.log\n",
     -1},
    {"agg", "CSV sums/means per key",
     "usage: runnel [OPTIONS] agg -g KEY[,KEY...] [-a AGG]... [FILE...]\n"
     "\n"
     "CSV category aggregation: groupby KEY with the aggregates -a names, one\n"
     "per -a (as groupby takes them: count, sum:F, mean:F, ...), or without\n"
     "-a: count,\n"
     "and sum and mean of every column whose values in the first 100 rows are\n"
     "all numbers. --explain prints the chain it runs.\n"
     "\n"
     "Example:\n"
     "  runnel agg -g category sales.csv\n",
     -1},
    {NULL, NULL, NULL, -1},
};

const cli_help cli_verbs[] = {
    {"filter", "keep where EXPR is true",
     "usage: ... then filter EXPR\n"
     "\n"
     "Keeps the records for which EXPR is true. Comparisons == != < <= > >=\n"
     "(numeric when both sides are numbers, else byte-wise), =~ and !~\n"
     "(regular expressions), contains, in (a, b), is empty, is not empty,\n"
     "joined with and, or, not and parentheses. Fields by name, $name,\n"
     "${name with spaces} or $3 (1-based); strings in quotes; a bare word\n"
     "that is not a field is a string. == on a field named level ignores\n"
     "case. Right after lines or log, a string every kept record must hold\n"
     "(level == ERROR) is searched in the raw bytes first, and lines without\n"
     "it are skipped unparsed (for log, not under --rejects).\n"
     "\n"
     "Examples:\n"
     "  runnel csv sales.csv then filter 'amount > 100 and category == books'\n"
     "  runnel log app.log then filter level == error\n",
     -1},
    {"grep", "matching lines, context",
     "usage: ... then grep [-i] [-v] [-A N] [-B N] [-C N] [-e PATTERN]... [PATTERN]\n"
     "\n"
     "Keeps the records whose whole line matches any PATTERN (PCRE2), with N\n"
     "records of context after (-A), before (-B) or both (-C), and '--'\n"
     "between groups, as grep does. -i ignores case; -v keeps what does not\n"
     "match. Adds the fields _line, _pattern (which pattern matched, 1-based)\n"
     "and _match (match or context). Prints lines as read by default.\n"
     "\n"
     "Example:\n"
     "  runnel log app.log then grep -i -B 3 -e error -e exception\n",
     RN_FORMAT_TEXT},
    {"extract", "regex groups as fields",
     "usage: ... then extract [FIELD] REGEX [--keep]\n"
     "\n"
     "Runs REGEX on FIELD (default: message for logs, line for lines) and adds\n"
     "its named groups as fields. Records that do not match are dropped, or\n"
     "kept with empty fields with --keep. Without named groups, the first\n"
     "group (or the whole match) becomes the field 'match'.\n"
     "\n"
     "Example:\n"
     "  runnel log app.log then extract 'Error code: (?<code>\\d+)' then count-by code\n",
     -1},
    {"select", "keep fields, in order",
     "usage: ... then select F,...\n\nExample:\n  runnel csv sales.csv then select category,amount\n",
     -1},
    {"reject", "drop fields",
     "usage: ... then reject F,...\n\nExample:\n  runnel csv sales.csv then reject note\n",
     -1},
    {"rename", "rename fields",
     "usage: ... then rename OLD=NEW,...\n\nExample:\n  runnel csv sales.csv then rename amount=eur\n",
     -1},
    {"head", "first N, then stop",
     "usage: ... then head N\n\nExample:\n  runnel lines big.log then head 10\n",
     -1},
    {"skip", "all but the first N",
     "usage: ... then skip N\n\nExample:\n  runnel lines file.txt then skip 1\n",
     -1},
    {"tail", "the last N",
     "usage: ... then tail N\n\nExample:\n  runnel log app.log then tail 20\n",
     -1},
    {"uniq", "first of each key",
     "usage: ... then uniq [F,...] [--max-keys N]\n"
     "\n"
     "Keeps the first record of each distinct combination of the fields (all\n"
     "fields when none are named). Every key seen is kept in memory, at most\n"
     "--max-keys (default 10 million).\n"
     "\nExample:\n  runnel csv sales.csv then uniq customer\n",
     -1},
    {"sample", "random sample of N",
     "usage: ... then sample N [--seed S]\n"
     "\nReservoir sampling; the same seed gives the same sample.\n"
     "\nExample:\n  runnel csv sales.csv then sample 100\n",
     -1},
    {"groupby", "aggregates per key",
     "usage: ... then groupby KEY[,KEY...] AGG... [--max-groups N]\n"
     "\n"
     "One record per group, in first-seen order: the keys, then each AGG:\n"
     "count, share (of all records), sum:F, mean:F, min:F, max:F, first:F,\n"
     "last:F, var:F, stddev:F, distinct:F, mode:F (output fields count,\n"
     "share, sum_F, mean_F, ...). Values\n"
     "that are not numbers are skipped by numeric aggregates and counted\n"
     "(see --stats). Decimal sums are exact to 18 digits.\n"
     "\n"
     "Example:\n"
     "  runnel csv sales.csv then groupby category count sum:amount mean:amount\n",
     RN_FORMAT_CSV},
    {"count-by", "frequency of each key",
     "usage: ... then count-by F[,F...]\n"
     "\nThe frequency table: count per key, by count descending, ties by key.\n"
     "\nExample:\n  runnel log app.log then count-by level\n",
     RN_FORMAT_CSV},
    {"count", "number of records",
     "usage: ... then count\n"
     "\n"
     "Yields one record with one field, 'count': how many records reached it.\n"
     "\n"
     "Example:\n"
     "  runnel lines app.log then count\n",
     RN_FORMAT_CSV},
    {"sort", "sort (bounded input)",
     "usage: ... then sort [-n] [-r] F,... [--max-records N]\n"
     "\n"
     "Sorts by the fields: -n as numbers (non-numbers last), -r descending.\n"
     "Holds at most --max-records (default 1,000,000): put it after groupby,\n"
     "head or uniq.\n"
     "\nExample:\n  runnel csv s.csv then groupby category sum:amount then sort -nr sum_amount\n",
     RN_FORMAT_CSV},
    {"top", "N largest by a field",
     "usage: ... then top N F\n\nExample:\n  runnel csv sales.csv then top 5 amount\n",
     RN_FORMAT_CSV},
    {NULL, NULL, NULL, -1},
};

const cli_help *cli_find_help(const char *name)
{
    const cli_help *const tables[] = {cli_sources, cli_verbs, cli_jobs};
    for (size_t t = 0; t < sizeof tables / sizeof *tables; t++)
        for (const cli_help *h = tables[t]; h->name; h++)
            if (strcmp(h->name, name) == 0)
                return h;
    return NULL;
}
