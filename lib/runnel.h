/*
 * runnel.h - the one public header of librunnel.
 *
 * runnel runs data through chains of lazy iterators in constant memory:
 *
 *     bytes -> source -> (gzip) -> reader -> stage -> stage -> your loop
 *
 * How to use it (this code also exists as tests/unit/test_howto.c):
 *
 *     rn_source *src = rn_source_file("app.log", NULL);   // NULL opts: defaults
 *     rn_iter *it = rn_lines_new(src, NULL);               // takes src
 *     it = rn_count_new(it);                               // takes the lines reader
 *     const rn_record *rec;
 *     int rc;
 *     while ((rc = rn_next(it, &rec)) == RN_ROW)
 *         printf("%.*s\n", (int)rec->fields[0].len, rec->fields[0].ptr);
 *     if (rc < 0)
 *         fprintf(stderr, "%s\n", rn_errmsg(it));
 *     rn_free(it);                                          // frees the chain
 *
 * Rules that hold for every function below:
 *
 * - Ownership. A reader takes ownership of its source and a stage takes
 *   ownership of its upstream, at the moment the constructor is called, even
 *   when the constructor fails: on failure it frees what it was given.
 *   rn_free() on the last iterator frees the whole chain, once, from the last
 *   stage back to the source. Every *_free(NULL) is a no-op.
 * - Constructors return NULL only when memory runs out. Any other failure (a
 *   file that cannot be opened, a bad option) returns an object in a sticky
 *   error state: rn_status() is negative and rn_errmsg() says why, and the
 *   first rn_next() returns that error. (Chains built from text are the
 *   exception: rn_pipeline_parse() returns NULL with its own error record,
 *   which says where in the text the chain is wrong.)
 * - Records are borrowed. A record, its fields and the bytes they point to
 *   are valid until the next rn_next()/rn_next_batch() on the same iterator,
 *   or until it is freed. Copy what you keep.
 * - Errors are sticky. After an error, every step call returns the same
 *   negative code; after RN_DONE, every step call returns RN_DONE.
 * - No global state. Objects of different chains may be used from different
 *   threads at once; one chain must not be used by two threads at once.
 * - Nothing in the library prints, aborts or exits.
 */
#ifndef RN_RUNNEL_H
#define RN_RUNNEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Versions. Same major version = same ABI.                                  */
/* ------------------------------------------------------------------------ */

#define RN_VERSION_MAJOR 0
#define RN_VERSION_MINOR 1
#define RN_VERSION_PATCH 0
#define RN_VERSION_NUMBER \
    (RN_VERSION_MAJOR * 10000 + RN_VERSION_MINOR * 100 + RN_VERSION_PATCH)
#define RN_VERSION_STRING "0.1.0"

#if defined(__GNUC__)
#define RN_API __attribute__((visibility("default")))
#else
#define RN_API
#endif

/** Returns RN_VERSION_NUMBER as the library was built (check it against the
 *  header you compiled with). */
RN_API unsigned rn_version_number(void);

/** Returns RN_VERSION_STRING as the library was built. Static storage. */
RN_API const char *rn_version_string(void);

/* ------------------------------------------------------------------------ */
/* Status codes. One list, never renumbered: new codes are appended.         */
/* ------------------------------------------------------------------------ */

/* X(name, value, message) */
#define RN_STATUS_MAP(X)                                                   \
    X(OK, 0, "success")                                                    \
    X(ROW, 1, "a record is ready")                                         \
    X(DONE, 2, "no more records")                                          \
    X(AGAIN, 3, "more input is needed")                                    \
    X(EIO, -1, "input/output error")                                       \
    X(ENOMEM, -2, "out of memory")                                         \
    X(EPARSE, -3, "malformed input")                                       \
    X(ETOOBIG, -4, "a record or field is larger than its cap")             \
    X(EGZIP, -5, "corrupt or truncated gzip stream")                       \
    X(EINVAL, -6, "invalid argument")                                      \
    X(EMISUSE, -7, "library called out of order")                          \
    X(ERANGE, -8, "number out of range")                                   \
    X(EPIPE, -9, "the output was closed by its reader")

enum rn_status {
#define RN_STATUS_ENUM_(name, value, msg) RN_##name = (value),
    RN_STATUS_MAP(RN_STATUS_ENUM_)
#undef RN_STATUS_ENUM_
};

/** Returns a short static description of a status code ("out of memory"),
 *  or "unknown status" for a value that is not in the list. */
RN_API const char *rn_strerror(int status);

/** Returns the name of a status code ("RN_ENOMEM"), or NULL if unknown. */
RN_API const char *rn_status_name(int status);

/* ------------------------------------------------------------------------ */
/* Memory.                                                                   */
/* ------------------------------------------------------------------------ */

/** An allocator, given once per chain in rn_source_opts and inherited by every
 *  reader and stage built on that source. A zeroed or NULL allocator means
 *  malloc/free. alloc returns NULL on failure; the library then reports
 *  RN_ENOMEM. free receives the size that was asked for at alloc. */
typedef struct rn_allocator {
    void *(*alloc)(void *ud, size_t size);          /* NULL: malloc */
    void (*free)(void *ud, void *ptr, size_t size); /* NULL: free */
    void *ud;                                       /* passed to both */
} rn_allocator;

/* ------------------------------------------------------------------------ */
/* Records.                                                                  */
/* ------------------------------------------------------------------------ */

/** A view of bytes owned by someone else. Not NUL-terminated. */
typedef struct rn_field {
    const char *ptr; /* first byte; may be NULL when len is 0 */
    size_t len;      /* number of bytes */
} rn_field;

/** One record: an array of field views plus where it came from. A record
 *  with no fields is a separator (grep's "--" between context groups): text
 *  output prints its raw bytes, the other formats skip it. */
typedef struct rn_record {
    const rn_field *fields; /* nfields views, borrowed (see the rules above) */
    size_t nfields;         /* number of fields */
    uint64_t line;          /* 1-based line where the record starts, per file */
    uint64_t offset;        /* byte offset of its first byte, in decoded input */
    rn_field raw;           /* the record's bytes as read, without the line
                               end, when the reader has them in one piece
                               (lines, log lines, unquoted CSV rows); else
                               {NULL, 0} */
} rn_record;

/** A batch of records, borrowed like the records in it. n >= 1 whenever a
 *  step returns RN_ROW. */
typedef struct rn_batch {
    const rn_record *recs; /* n records */
    size_t n;              /* number of records */
} rn_batch;

/** Field names shared by the records of an iterator. */
typedef struct rn_schema rn_schema;

/** Number of field names in the schema. */
RN_API size_t rn_schema_count(const rn_schema *s);

/** Name of field i (0-based); an empty view when i is out of range. */
RN_API rn_field rn_schema_name(const rn_schema *s, size_t i);

/** Nonzero when field i holds numbers a stage computed (count, sum...):
 *  JSON output writes them as numbers; fields read from input are strings. */
RN_API int rn_schema_is_number(const rn_schema *s, size_t i);

/** Index of the field called name (len bytes), or -1 when there is none. */
RN_API ptrdiff_t rn_schema_find(const rn_schema *s, const char *name,
                                size_t len);

/** A schema of n names (NUL-terminated, copied), for sinks and stages an
 *  application builds. NULL when memory runs out. allocator may be NULL. */
RN_API rn_schema *rn_schema_new(const char *const *names, size_t n,
                                const rn_allocator *allocator);

/** Frees a schema made by rn_schema_new() with the same allocator. NULL is a
 *  no-op. */
RN_API void rn_schema_free(rn_schema *s, const rn_allocator *allocator);

/* ------------------------------------------------------------------------ */
/* Iterators.                                                                */
/* ------------------------------------------------------------------------ */

/** A reader or stage. Opaque. */
typedef struct rn_iter rn_iter;

/** Yields the next batch of records.
 *  Returns RN_ROW with out->n >= 1; RN_DONE at the end; RN_AGAIN when the chain
 *  reads a push source that needs more bytes (see rn_source_push); or a
 *  negative rn_status (sticky; rn_errmsg() has the details). The batch is
 *  valid until the next step call on this iterator. Mixing rn_next() and
 *  rn_next_batch() is allowed: a batch then starts where rn_next() stopped. */
RN_API int rn_next_batch(rn_iter *it, rn_batch *out);

/** Yields the next record, one at a time, on top of rn_next_batch().
 *  Returns RN_ROW and sets *rec, or RN_DONE, RN_AGAIN or a negative status as
 *  rn_next_batch(). *rec is valid until the next step call on this iterator. */
RN_API int rn_next(rn_iter *it, const rn_record **rec);

/** The iterator's state: RN_OK while it can still yield, RN_DONE after the
 *  end, or the sticky negative error. */
RN_API int rn_status(const rn_iter *it);

/** A one-line description of the iterator's error, naming the source, line and
 *  byte offset where they are known ("app.log: line 12, byte 4096: ...");
 *  "" when there is no error. Valid until the iterator is freed. */
RN_API const char *rn_errmsg(const rn_iter *it);

/** The field names of the records this iterator yields. Valid until the
 *  iterator is freed. */
RN_API const rn_schema *rn_schema_of(const rn_iter *it);

/** Frees the iterator and, through ownership, its whole upstream chain and
 *  source: files are closed and zlib streams ended. rn_free(NULL) is a no-op. */
RN_API void rn_free(rn_iter *it);

/** What an iterator has done so far; readers and stages fill what applies. */
typedef struct rn_stats {
    uint64_t records_in;  /* records taken from upstream (readers: parsed) */
    uint64_t records_out; /* records yielded */
    uint64_t filtered;    /* records dropped on purpose (filters, head, ...) */
    uint64_t rejected;    /* records that could not be parsed, not yielded */
    uint64_t fixed;       /* records yielded after repair (ragged CSV rows) */
    uint64_t bytes_in;    /* readers: bytes read from their sources */
    uint64_t skipped;     /* values numeric aggregates skipped: not numbers */
} rn_stats;

/** A short human-readable account of what rn_stats cannot say, such as the
 *  non-numeric values a groupby skipped per field ("amount: 12 not numbers");
 *  "" when there is nothing to add. Valid until the next step or free. */
RN_API const char *rn_stats_detail(const rn_iter *it);

/** Copies the iterator's own counters (not its upstream's) into *out. */
RN_API void rn_stats_of(const rn_iter *it, rn_stats *out);

/** The iterator this one reads from (borrowed; NULL for a reader or chain).
 *  With rn_stats_of() it lets an application report every stage. */
RN_API rn_iter *rn_upstream(const rn_iter *it);

/** A short name of what the iterator is: "lines", "csv", "log", "count"... */
RN_API const char *rn_kind(const rn_iter *it);

/** Called by a reader for each record it cannot parse (a log line that does
 *  not match the format, a CSV row that breaks --strict), instead of
 *  stopping: source name, 1-based line, byte offset of the record, a short
 *  reason, and the raw bytes (borrowed for the call). Without a callback such
 *  records are still counted as rejected. */
typedef void (*rn_reject_fn)(void *ud, const char *source, uint64_t line,
                             uint64_t offset, const char *reason,
                             const char *raw, size_t rawlen);

/* ------------------------------------------------------------------------ */
/* Byte sources.                                                             */
/* ------------------------------------------------------------------------ */

/** A producer of byte blocks: a file, stdin, memory, or a callback. Opaque. */
typedef struct rn_source rn_source;

/** How a source reads a regular file. */
enum rn_mmap_mode {
    RN_MMAP_AUTO = 0,   /* read(); see README "Limits" for why not mmap */
    RN_MMAP_NEVER = 1,  /* read() always */
    RN_MMAP_ALWAYS = 2  /* mmap regular files; pipes and devices use read() */
};

/** Where a source inflates gzip input. In a thread of its own, inflating
 *  (most of the work on gzip input) overlaps with the reader and the stages
 *  in the thread that pulls: a log job (filter, extract, count-by) on 1 GB
 *  of gzip'd log ran at 85% of the speed of zlib's inflate alone in one
 *  thread and at 95% with the thread, for 10% more CPU time. The thread
 *  reads and inflates ahead into 4 blocks of block_size and zlib's 32 KiB
 *  window, allocated through the chain's allocator in the pulling thread
 *  when gzip is detected, so the thread itself never allocates. Blocks,
 *  errors and messages come out as without it; freeing the source stops the
 *  thread and waits for it. */
enum rn_gzip_thread {
    RN_GZIP_THREAD_AUTO = 0, /* a thread for regular files read with read()
                                (stdin and descriptors too, when they are
                                regular files) and memory, when 2 or more
                                CPUs are available; otherwise none */
    RN_GZIP_THREAD_OFF = 1,  /* never: inflate in the thread that pulls */
    RN_GZIP_THREAD_ON = 2    /* a thread for every source but push sources,
                                which always inflate in the pulling thread.
                                The input is then read in that thread: a read
                                callback runs there, mmap's read() fallback
                                allocates there, and freeing the source
                                waits for a read() of a pipe to return */
};

/** Options for sources. A zeroed struct means every default. */
typedef struct rn_source_opts {
    const rn_allocator *allocator; /* NULL: malloc/free; copied */
    size_t block_size;    /* bytes per read() or inflate; 0: 128 KiB; 1..64 MiB */
    size_t mmap_window;   /* bytes mapped at a time; 0: 1 MiB; whole pages; max 1 GiB */
    int mmap;             /* enum rn_mmap_mode; 0: RN_MMAP_AUTO */
    int no_decompress;    /* nonzero: never inflate, even gzip magic bytes */
    const char *name;     /* name in messages; NULL: the path or "<stdin>" */
    int follow;           /* nonzero: at the end of a file wait for more, like
                             tail -F (rotation and truncation followed) */
    unsigned poll_ms;     /* follow: longest wait between checks; 0: 200 ms */
    unsigned tick_ms;     /* follow: nonzero: the chain returns RN_AGAIN at
                             least this often (and once when *stop is first
                             seen), so an application pulling it regains
                             control, e.g. to show a groupby's groups so far
                             (rn_groupby_snapshot); pull again to go on.
                             0: never (the pull waits for data) */
    const volatile int *stop; /* a nonzero *stop ends the source (RN_DONE)
                                 at its next block, so the chain finishes
                                 with what it has (set it from a signal
                                 handler); following, after reading what the
                                 file holds; may be NULL */
    void (*progress)(void *ud, uint64_t bytes); /* called after each block
                                 with rn_source_bytes_read(); may be NULL */
    void *progress_ud;    /* passed to progress */
    int gzip_thread;      /* enum rn_gzip_thread; 0: RN_GZIP_THREAD_AUTO */
} rn_source_opts;

/** Opens a file by path; "-" or NULL means standard input (not closed at the
 *  end). Gzip input, detected by its magic bytes, is inflated transparently
 *  (also gzip members concatenated one after another). On failure returns a
 *  source in error state ("cannot open 'x': No such file or directory"). */
RN_API rn_source *rn_source_file(const char *path, const rn_source_opts *opts);

/** Reads an open file descriptor, which the source does not close. */
RN_API rn_source *rn_source_fd(int fd, const rn_source_opts *opts);

/** Reads len bytes at data, which must stay valid while the source lives.
 *  Gzip is detected as for files. */
RN_API rn_source *rn_source_mem(const void *data, size_t len,
                                const rn_source_opts *opts);

/** An application's reader: copies up to cap bytes into buf and returns how
 *  many (> 0), 0 at the end, or a negative rn_status on failure. */
typedef ptrdiff_t (*rn_read_fn)(void *ud, void *buf, size_t cap);

/** A source over an application's read callback. close (may be NULL) is
 *  called once, when the source is freed. Gzip is detected as for files. */
RN_API rn_source *rn_source_callback(rn_read_fn read, void (*close)(void *ud),
                                     void *ud, const rn_source_opts *opts);

/* Push mode, for applications that receive the bytes themselves (a socket,
 * a message queue, an event loop). Feed any number of bytes at any boundary,
 * pull the records that are complete, and signal the end; a step call
 * returns RN_AGAIN when the chain needs bytes not fed yet. RN_AGAIN is never
 * sticky: feed, and pull again. (This code also exists as examples/push.c.)
 *
 *     rn_source *src = rn_source_push(NULL);
 *     rn_iter *it = rn_log_new(rn_lines_new(src, NULL), NULL); // takes src
 *     const rn_record *rec;
 *     int rc = RN_AGAIN;
 *     while (rc == RN_AGAIN) {
 *         ssize_t got = recv(fd, buf, sizeof buf, 0);
 *         // rn_feed copies the bytes: buf may be reused at once. At the
 *         // end, rn_feed_end: the rest comes out, then RN_DONE.
 *         rc = got > 0 ? rn_feed(src, buf, (size_t)got) : rn_feed_end(src);
 *         if (rc != RN_OK)
 *             break;                        // out of memory
 *         while ((rc = rn_next(it, &rec)) == RN_ROW)
 *             use(rec);
 *     }                                     // RN_DONE, or an error:
 *     if (rc < 0)
 *         fprintf(stderr, "%s\n", rn_status(it) < 0 ? rn_errmsg(it)
 *                                                   : rn_strerror(rc));
 *     rn_free(it);                          // frees src too
 *
 * Memory: the source holds what was fed and not yet handed to the reader.
 * Pulling until RN_AGAIN after each feed hands all of it over, so the memory
 * is bounded by the largest feed; feeding without pulling lets it grow, up
 * to 64 MiB (then rn_feed() says RN_ETOOBIG). */

/** A source that the application feeds with rn_feed() and ends with
 *  rn_feed_end(). Gzip is detected as for files (opts->no_decompress turns it
 *  off); opts->block_size only sizes the gzip output blocks. The name in
 *  messages is opts->name or "<push>". Give it to a reader as any source; the
 *  reader owns it, and the application keeps the pointer to feed it until
 *  the chain is freed. rn_csv_new() and rn_log_new() on a push source with
 *  no bytes yet decide the header or the format at the first steps instead
 *  of at construction. NULL when memory runs out. */
RN_API rn_source *rn_source_push(const rn_source_opts *opts);

/** Copies len bytes at data into the push source src, so the caller may reuse
 *  its buffer at once. Valid before the first step and between steps, also
 *  after src was handed to a reader; records already yielded stay valid
 *  (until the next step, as always). Not thread-safe against steps of the
 *  chain: call it from the thread that pulls. Returns RN_OK; RN_ENOMEM or
 *  RN_ETOOBIG (the bytes fed and not yet pulled would pass 64 MiB), after
 *  which nothing was taken and the source is unchanged; RN_EMISUSE when src
 *  is not a push source, data is NULL with len > 0, or after rn_feed_end();
 *  or the source's sticky error when it has failed (a corrupt gzip stream,
 *  RN_EGZIP). len 0 is RN_OK and does nothing. */
RN_API int rn_feed(rn_source *src, const void *data, size_t len);

/** Signals the end of the input of the push source src: the chain then
 *  yields the records still pending (a last line without '\n' included) and
 *  RN_DONE instead of RN_AGAIN. Returns RN_OK; RN_EMISUSE when src is not a
 *  push source or the end was already signalled; or the source's sticky
 *  error. */
RN_API int rn_feed_end(rn_source *src);

/** The source's state: RN_OK, RN_DONE at the end, or its negative error. */
RN_API int rn_source_status(const rn_source *src);

/** The source's error as one line, "" when there is none. */
RN_API const char *rn_source_errmsg(const rn_source *src);

/** Bytes the source has read from its file or callback so far (compressed
 *  bytes for gzip input). */
RN_API uint64_t rn_source_bytes_read(const rn_source *src);

/** Frees a source that no reader has taken. rn_source_free(NULL) is a no-op. */
RN_API void rn_source_free(rn_source *src);

/* ------------------------------------------------------------------------ */
/* Readers.                                                                  */
/* ------------------------------------------------------------------------ */

/** Options for the line reader. A zeroed struct means every default. */
typedef struct rn_lines_opts {
    size_t max_line_bytes; /* longest line; 0: 64 MiB; past it RN_ETOOBIG */
    int keep_cr;           /* nonzero: keep the '\r' of a CRLF line end */
} rn_lines_opts;

/** Splits a source into lines: one field named "line" per record, without its
 *  '\n' (or "\r\n"). A last line without '\n' is a line; an empty input has no
 *  lines. A '\r' not followed by '\n' is data. Takes ownership of src. */
RN_API rn_iter *rn_lines_new(rn_source *src, const rn_lines_opts *opts);

/** Options for the CSV and TSV reader. A zeroed struct means every default:
 *  comma-separated, '"' quotes, a header row. */
typedef struct rn_csv_opts {
    char delimiter;        /* any byte; 0: ',' */
    char quote;            /* 0: '"' */
    int no_header;         /* nonzero: no header row; fields are "1".."n" */
    int strict;            /* nonzero: bad quoting and ragged rows are errors,
                              or rejects when on_reject is set */
    size_t max_field_bytes;   /* 0: 16 MiB; past it RN_ETOOBIG */
    size_t max_fields;        /* fields per record; 0: 100,000; past it RN_ETOOBIG */
    rn_reject_fn on_reject;   /* see rn_reject_fn; NULL: none */
    void *reject_ud;
} rn_csv_opts;

/** Reads CSV (RFC 4180) from src: quoted fields may hold delimiters, doubled
 *  quotes and line breaks (kept as they are); records end at LF or CRLF; a
 *  UTF-8 BOM at the start is dropped; spaces are data; empty lines are not
 *  records. The header row names the fields: an empty name becomes "_N" and a
 *  repeated name "name_2", "name_3"... (N the 1-based column). A row shorter
 *  than the header gets empty fields; a longer one keeps its extra fields,
 *  named "_N"; both are counted in rn_stats.fixed. Takes ownership of src. */
RN_API rn_iter *rn_csv_new(rn_source *src, const rn_csv_opts *opts);

/** Options for the log reader. A zeroed struct means every default. */
typedef struct rn_log_opts {
    const char *format;    /* NULL or "auto", "pipe", "syslog", "clf",
                              "combined", or "regex:PATTERN" (PCRE2; the named
                              groups become the fields) */
    rn_reject_fn on_reject; /* lines that do not match; NULL: none */
    void *reject_ud;
    int allow_pushdown;    /* with on_reject: nonzero lets a filter above
                              still have the lines that cannot pass it
                              skipped unparsed (README "Pushdown"), so such
                              a line never reaches on_reject even when it
                              does not match; for a callback that only
                              counts. 0: on_reject sees every bad line */
} rn_log_opts;

/** Parses each line that up yields (its first field) as a log record with
 *  named fields; see README "Log formats" for each format's fields. A line
 *  that does not match is rejected (rn_stats.rejected, on_reject), never
 *  yielded and never fatal. "auto" reads at construction up to the first
 *  line some built-in format matches (at most 64 non-blank lines) and picks
 *  the format most of them match, so the fields are known before the first
 *  step (except on a push source with no bytes yet, which decides at the
 *  first step). A bad format or regex gives an iterator in
 *  error state naming it (for a regex, the offset PCRE2 reports). Takes
 *  ownership of up. */
RN_API rn_iter *rn_log_new(rn_iter *up, const rn_log_opts *opts);

/** The format a log reader uses ("pipe", ... or "regex"), once known
 *  (normally from construction on). NULL for an iterator that is not a log
 *  reader, or before "auto" has decided. */
RN_API const char *rn_log_format(const rn_iter *it);

/* ------------------------------------------------------------------------ */
/* Stages and combinators.                                                   */
/* ------------------------------------------------------------------------ */

/** Counts the records of up and then yields one record with one field,
 *  "count", holding the number in decimal. Takes ownership of up. */
RN_API rn_iter *rn_count_new(rn_iter *up);

/** Opens the i-th iterator of a chain (i = 0, 1, ...); returns NULL only when
 *  memory runs out. */
typedef rn_iter *(*rn_open_fn)(void *ud, size_t i);

/** Options for rn_chain_new(). A zeroed struct means every default. */
typedef struct rn_chain_opts {
    const rn_allocator *allocator; /* NULL: malloc/free */
    int same_fields;   /* nonzero: each iterator must have the first one's
                          field names, or the chain fails naming it */
} rn_chain_opts;

/** Yields the records of n iterators one after the other, opening each only
 *  when the previous one is done (so a thousand files never hold a thousand
 *  descriptors). An error in one ends the chain with that error. The schema is
 *  the first iterator's. opts may be NULL. */
RN_API rn_iter *rn_chain_new(rn_open_fn open, void *ud, size_t n,
                             const rn_chain_opts *opts);

/** Yields each record of up with the fields called names[0..n) in that order;
 *  a name up does not have gives an empty field. The schema is names. Takes
 *  ownership of up. */
RN_API rn_iter *rn_project_new(rn_iter *up, const char *const *names,
                               size_t n);

/* ------------------------------------------------------------------------ */
/* Stages. Each takes ownership of up. A field name that up does not have is  */
/* an error that lists the fields and suggests the closest; it is reported at */
/* construction when up's fields are known then, else at the first step.     */
/* ------------------------------------------------------------------------ */

/** Keeps the records for which expr is true. expr: comparisons == != < <= >
 *  >= (numeric when both sides are numbers, byte-wise otherwise), =~ and !~
 *  (PCRE2), contains, in (a, b, c), is empty, is not empty, joined with and,
 *  or, not and parentheses. Operands: field names, $name, $3 (1-based
 *  position), "string" or 'string', numbers, and bare words, which name a
 *  field when up has one by that name and are strings otherwise (only on
 *  the right of a comparison or in a list). == and != on a field called
 *  "level" ignore case. A syntax error gives an iterator in error state
 *  whose message names the column ("filter: column 9: expected a value"). */
RN_API rn_iter *rn_filter_new(rn_iter *up, const char *expr);

/** Options for grep. A zeroed struct is invalid: give at least a pattern. */
typedef struct rn_grep_opts {
    const char *const *patterns; /* PCRE2 patterns, any of which may match */
    size_t npatterns;            /* at least 1 */
    int ignore_case;             /* nonzero: -i */
    int invert;                  /* nonzero: -v, keep what does not match */
    size_t before, after;        /* context records: -B, -A (-C sets both) */
} rn_grep_opts;

/** Keeps the records whose whole line (rn_record.raw; without one, the fields
 *  joined by ',') matches any pattern, with context records before and after
 *  and a separator record between groups that are not adjacent, as grep -A
 *  -B -C. Adds fields "_line" (the record's line number), "_pattern" (the
 *  first pattern that matched, 1-based; empty for context) and "_match"
 *  ("match" or "context"). */
RN_API rn_iter *rn_grep_new(rn_iter *up, const rn_grep_opts *opts);

/** Runs regex on field (NULL: "message" if up has it, else "line", else the
 *  first field) and adds the named groups as fields (views into the field).
 *  Records that do not match are dropped (counted as filtered), or kept with
 *  empty group fields when keep is nonzero. A regex without named groups
 *  names its first group "match" (or the whole match, without groups). */
RN_API rn_iter *rn_extract_new(rn_iter *up, const char *field,
                               const char *regex, int keep);

/** Keeps only the named fields, in that order. */
RN_API rn_iter *rn_select_new(rn_iter *up, const char *const *names, size_t n);
/** Drops the named fields. */
RN_API rn_iter *rn_reject_new(rn_iter *up, const char *const *names, size_t n);
/** Renames old[i] to new_names[i]. */
RN_API rn_iter *rn_rename_new(rn_iter *up, const char *const *old,
                              const char *const *new_names, size_t n);
/** The first n records; stops reading up after them. */
RN_API rn_iter *rn_head_new(rn_iter *up, uint64_t n);
/** All but the first n records. */
RN_API rn_iter *rn_skip_new(rn_iter *up, uint64_t n);
/** The last n records (a ring of n copies). */
RN_API rn_iter *rn_tail_new(rn_iter *up, uint64_t n);
/** The first record of each distinct combination of the named fields (all
 *  fields when n is 0). Keeps every key seen: at most max_keys (0: 10
 *  million), past which it stops with RN_ETOOBIG. */
RN_API rn_iter *rn_uniq_new(rn_iter *up, const char *const *names, size_t n,
                            size_t max_keys);
/** A uniform random sample of n records (reservoir sampling), in input
 *  order; seed 0 picks a fixed default so runs repeat. */
RN_API rn_iter *rn_sample_new(rn_iter *up, uint64_t n, uint64_t seed);

/** Options for groupby. A zeroed struct means every default. */
typedef struct rn_groupby_opts {
    size_t max_groups;    /* 0: 10 million; past it RN_ETOOBIG */
    size_t max_distinct;  /* distinct:F values kept per group; 0: 1 million */
} rn_groupby_opts;

/** Groups records by the key fields (first-seen order) and yields one record
 *  per group: the keys, then one field per aggregate: "count", "share" (the
 *  group's count over all records that reached groupby, 4 digits after the
 *  point, "0.2717"; empty when there were none), "sum:F", "mean:F", "min:F",
 *  "max:F", "first:F", "last:F", "var:F", "stddev:F" (Welford),
 *  "distinct:F" (exact count), "mode:F". Output fields are named count,
 *  share, sum_F, mean_F, ... Values that are not numbers are skipped by
 *  numeric aggregates and counted (rn_stats.skipped, rn_stats_detail()).
 *  Sums of decimals are exact up to 18 significant digits, compensated
 *  (Kahan-Neumaier) doubles beyond. nkeys may be 0 (one group). */
RN_API rn_iter *rn_groupby_new(rn_iter *up, const char *const *keys,
                               size_t nkeys, const char *const *aggs,
                               size_t naggs, const rn_groupby_opts *opts);

/** The frequency table: groupby keys with count, sorted by count descending,
 *  ties by key ascending. */
RN_API rn_iter *rn_count_by_new(rn_iter *up, const char *const *keys,
                                size_t nkeys, const rn_groupby_opts *opts);

/** The groups so far of a groupby or count-by that is still reading, as a
 *  new iterator: for live views, taken when the chain returned RN_AGAIN (a
 *  push source waiting for bytes, or a followed file's tick_ms) and shown
 *  before the chain is pulled again.
 *
 *  Yields one record per group with the groupby's fields, in first-seen
 *  order (count-by too: sort it downstream if needed); share is over the
 *  records counted so far. It reads the groupby's state without copying it:
 *  free it with rn_free() before groupby (or anything on its chain) is
 *  pulled or freed again. It may have stages put on it like any source (a
 *  sort, a select) and be run into a sink. groupby does not own it.
 *
 *  Returns NULL when out of memory; an iterator in error state RN_EMISUSE
 *  when groupby is not a groupby or count-by, or with groupby's error when
 *  groupby failed. */
RN_API rn_iter *rn_groupby_snapshot(rn_iter *groupby);

/** Sorts a bounded stream by the named fields: numeric compares as numbers
 *  (non-numbers last), else byte-wise; reverse descends. Holds at most
 *  max_records (0: 1 million) records, past which it stops with RN_ETOOBIG
 *  naming the cap. Stable. */
RN_API rn_iter *rn_sort_new(rn_iter *up, const char *const *keys, size_t n,
                            int numeric, int reverse, size_t max_records);

/** The n records with the largest numeric value of field (ties: first seen
 *  first), largest first, in O(n) memory. */
RN_API rn_iter *rn_top_new(rn_iter *up, size_t n, const char *field);

/* ------------------------------------------------------------------------ */
/* Sinks: writing records out.                                               */
/* ------------------------------------------------------------------------ */

/** Output formats. */
enum rn_format {
    RN_FORMAT_TEXT = 0, /* fields joined by '\t', one record per line, as is */
    RN_FORMAT_CSV = 1,  /* RFC 4180, quoted only where needed, header first */
    RN_FORMAT_TSV = 2,  /* tab-separated; \t \n \r \\ escaped; header first */
    RN_FORMAT_JSONL = 3, /* one JSON object per record: read fields as
                            strings, computed numbers as numbers */
    RN_FORMAT_TABLE = 4  /* aligned columns, numbers right-aligned; widths
                            from the first 1000 records */
};

/** Options for sinks. A zeroed struct means every default. */
typedef struct rn_sink_opts {
    const rn_allocator *allocator; /* NULL: malloc/free; copied */
    int format;          /* enum rn_format; 0: RN_FORMAT_TEXT */
    int no_header;       /* nonzero: no header line for CSV and TSV */
    size_t buffer_size;  /* output buffer; 0: 64 KiB; at least 4 KiB */
    const char *name;    /* name in messages; NULL: "<stdout>" or "<fd N>" */
    int flush_each;      /* nonzero: write out after every batch (following) */
} rn_sink_opts;

/** A writer of records to a file descriptor. Opaque. */
typedef struct rn_sink rn_sink;

/** A sink writing to fd, which it does not close. NULL only when memory runs
 *  out. */
RN_API rn_sink *rn_sink_fd(int fd, const rn_sink_opts *opts);

/** An application's sink: called with each batch (records borrowed for the
 *  call). Return RN_OK to go on, or a negative rn_status to stop the run
 *  with it (rn_run returns it). */
typedef int (*rn_batch_fn)(void *ud, const rn_schema *schema,
                           const rn_batch *batch);

/** The same one record at a time. */
typedef int (*rn_record_fn)(void *ud, const rn_schema *schema,
                            const rn_record *rec);

/** A sink that hands each batch to fn (opts: only the allocator is used).
 *  NULL only when memory runs out. */
RN_API rn_sink *rn_sink_batches(rn_batch_fn fn, void *ud,
                                const rn_sink_opts *opts);

/** A sink that hands each record to fn, in order. */
RN_API rn_sink *rn_sink_records(rn_record_fn fn, void *ud,
                                const rn_sink_opts *opts);

/** Formats a batch of records whose field names are schema (used for the
 *  header, written before the first record). Returns RN_OK or a negative
 *  status, sticky: RN_EPIPE when the reader of the output went away (a
 *  quiet end for command-line tools), RN_EIO for any other write error. */
RN_API int rn_sink_write(rn_sink *s, const rn_schema *schema,
                         const rn_batch *batch);

/** Writes out what is buffered. Returns RN_OK or the sink's sticky error. */
RN_API int rn_sink_flush(rn_sink *s);

/** The sink's error as one line, naming the output; "" when there is none. */
RN_API const char *rn_sink_errmsg(const rn_sink *s);

/** Frees the sink without flushing (call rn_sink_flush() first to learn
 *  whether everything was written). rn_sink_free(NULL) is a no-op. */
RN_API void rn_sink_free(rn_sink *s);

/** Pumps every batch of it into s, then flushes s. Returns RN_DONE when all
 *  was written, RN_AGAIN when a push source needs more bytes (call again
 *  after feeding it), or a negative status: the iterator's (see rn_errmsg())
 *  or the sink's (see rn_sink_errmsg()); output made before an iterator error
 *  is flushed first. */
RN_API int rn_run(rn_iter *it, rn_sink *s);

/* ------------------------------------------------------------------------ */
/* Chains from text: the command line's grammar.                             */
/* ------------------------------------------------------------------------ */

/* A chain can be built from the words the runnel command takes after its
 * global options, with the same meaning and the same error messages (the
 * command is built on these functions):
 *
 *     SOURCE [ARGS] [FILE...] [then VERB [ARGS]]...
 *
 * Sources: lines, csv, tsv, log; verbs: filter, grep, extract, select,
 * reject, rename, head, skip, tail, uniq, sample, groupby, count-by, count,
 * sort, top; each takes the options `runnel help NAME` lists (and
 * rn_pipeline_name() lists the names). This code also exists in
 * tests/unit/test_pipeline.c:
 *
 *     rn_pipeline_opts o = {0};                  // zeroed: every default
 *     rn_pipeline_err err;
 *     rn_iter *it = rn_pipeline_parse("csv sales.csv then filter 'amount > 0' "
 *                                     "then groupby category sum:amount",
 *                                     &o, &err);
 *     if (!it) {                                  // the chain is wrong
 *         fprintf(stderr, "runnel: %s\n", err.msg);  // as the command says
 *         return 2;
 *     }
 *     const rn_record *rec;
 *     while (rn_next(it, &rec) == RN_ROW)
 *         ...;                                    // as for any chain
 *     rn_free(it);                                // frees all it holds
 *
 * rn_pipeline_parse() splits its text into words as a POSIX shell splits
 * the simple cases, and no more:
 * - blanks (space, tab, CR, LF, VT, FF) separate words;
 * - '...' is literal up to the next ' (a backslash in it is a backslash);
 * - "..." is literal up to the next ", except that \" stands for " and \\
 *   for \ (any other backslash stays, with the byte after it);
 * - outside quotes a backslash takes the next byte as it is ("a\ b" is one
 *   word, "a b"); a backslash that ends the text is an error;
 * - a backslash-newline, outside quotes or in "...", is removed (the
 *   shell's line continuation);
 * - quoted and unquoted pieces that touch make one word (a'b c'd is
 *   "ab cd"); '' and "" alone are an empty word;
 * - nothing else is special: no $ variables, globs, ~, # comments, ; | &
 *   or redirections: they are bytes of their word.
 * An unclosed quote is an error (RN_EINVAL) whose offset is the quote's. As
 * in the shell, a quoted "then" still separates verbs. */

/** Options for rn_pipeline_parse(). A zeroed struct means every default. */
typedef struct rn_pipeline_opts {
    rn_source_opts source; /* for every file the chain opens (block size,
                              mmap, follow, stop, progress, ...); its
                              allocator serves the whole chain and the
                              parse. allocator and name are copied; stop and
                              progress_ud are borrowed and must outlive the
                              chain. A set name names every file */
    rn_source *input;      /* NULL: a chain that names no file, or "-",
                              reads standard input. Else it reads this
                              source there instead (memory, a push source
                              the application goes on feeding), at most
                              once. Taken over at the call, also when the
                              call fails; freed with the chain, or at once
                              when the chain does not read it */
    int no_files;          /* nonzero: naming any file other than "-" is an
                              error (RN_EINVAL), for applications that let
                              users type chains over their own input */
    rn_reject_fn on_reject; /* given to the csv, tsv and log readers (see
                               rn_reject_fn); NULL: none. With it, csv
                               --strict rows that break the rules are
                               rejects instead of errors */
    void *reject_ud;       /* passed to on_reject */
    int allow_pushdown;    /* rn_log_opts.allow_pushdown for log readers */
} rn_pipeline_opts;

/** Why rn_pipeline_parse() or rn_pipeline_append() returned no chain. */
typedef struct rn_pipeline_err {
    int code;       /* RN_OK when a chain was returned; RN_EINVAL for a wrong
                       chain (an unknown source, verb, option or field, a
                       bad number, regex or expression, a file that cannot
                       be opened, an unclosed quote); RN_ENOMEM */
    int word;       /* 0-based index of the word at fault; for a stage that
                       refused its arguments (a field it does not find), its
                       verb; -1 when there is none */
    size_t offset;  /* rn_pipeline_parse(), rn_pipeline_append(): byte
                       offset in the text of that word's first byte (of the
                       quote, for an unclosed one); 0 without a word and for
                       the _argv forms */
    char msg[1024]; /* what the runnel command prints after "runnel: ":
                       one line, unless a word it quotes holds a line
                       break (cut at 1023 bytes) */
} rn_pipeline_err;

/** Builds the chain that text describes (see above) over the files it
 *  names, or over opts->input.
 *  text: NUL-terminated. opts: may be NULL (every default). err: may be
 *  NULL; otherwise filled in, with code RN_OK when a chain is returned.
 *  Everything is checked before the call returns, in the command's order:
 *  the words, each source option, that every file exists and can be read
 *  (a missing -f file waits instead, as tail -F), the CSV headers of
 *  several files (which --union reads to merge), the log format, each
 *  verb's arguments, and the field names a verb uses when the source's
 *  fields are known then (a push source with no bytes yet tells them at the
 *  first step, which then fails with RN_EINVAL naming the field).
 *  Returns the last stage of the chain, which owns everything the chain
 *  needs (its words, its options, opts->input): rn_free() it. Reading has
 *  not started, but for the first bytes that the CSV header and the log
 *  format are read from. Returns NULL when the text is not a valid chain
 *  (err->code RN_EINVAL, err->word, err->offset) or memory runs out
 *  (RN_ENOMEM); nothing is left allocated then, and opts->input was freed.
 *  A chain whose input failed while it was built (a CSV header in a corrupt
 *  gzip stream) is returned in that sticky error, as a constructor's object
 *  would be: check rn_status(), or let the first step report it. A chain
 *  is never returned in RN_EINVAL or RN_ENOMEM: those come as NULL. */
RN_API rn_iter *rn_pipeline_parse(const char *text,
                                  const rn_pipeline_opts *opts,
                                  rn_pipeline_err *err);

/** The same over words already split, as main() receives them: argv[0] is
 *  the source's name ("csv"), not a program's. argc >= 1; the words are
 *  copied. err->offset is 0. */
RN_API rn_iter *rn_pipeline_parse_argv(int argc, const char *const *argv,
                                       const rn_pipeline_opts *opts,
                                       rn_pipeline_err *err);

/** Puts the verbs that text describes ("filter amount > 0 then head 10"; a
 *  leading "then" is allowed) on up, which may be any iterator: one built
 *  from text, with constructors, or by the application (rn_iter_new()).
 *  Empty text (no words) returns up as it is. Takes ownership of up, also
 *  when it fails: then up is freed and NULL returned with *err (err may be
 *  NULL), as for rn_pipeline_parse(); word 0 is the text's first word. up
 *  NULL (a constructor that ran out of memory) gives NULL and RN_ENOMEM. An
 *  up in an error state gets its verbs all the same and they report its
 *  error, as any stage does (RN_EINVAL and RN_ENOMEM come as NULL, as for
 *  rn_pipeline_parse()). The allocator is up's. */
RN_API rn_iter *rn_pipeline_append(rn_iter *up, const char *text,
                                   rn_pipeline_err *err);

/** The same over words already split; argv[0] is a verb or "then". */
RN_API rn_iter *rn_pipeline_append_argv(rn_iter *up, int argc,
                                        const char *const *argv,
                                        rn_pipeline_err *err);

/** The names a chain's text may use: the i-th (i = 0, 1, ...), sources
 *  first, then verbs, in the order `runnel --help` lists them; NULL past
 *  the last. *is_source (may be NULL) is set to 1 for a source, else 0.
 *  Static storage. */
RN_API const char *rn_pipeline_name(size_t i, int *is_source);

/* ------------------------------------------------------------------------ */
/* Application-written stages and sources.                                   */
/* ------------------------------------------------------------------------ */

/* An application writes its own stage as a step function over a state
 * struct, in the generator style of the coroutine macros below, and wraps it
 * with rn_iter_new() (rn_step_source_new() for a source); it then chains
 * like any built-in stage. This stage yields the lines of up that are not
 * empty (tests/unit/test_appstage.c holds it, compiled and run):
 *
 *     typedef struct nonempty {
 *         int co;            // coroutine state, starts at 0
 *         rn_batch in;       // upstream's batch, kept across yields
 *         size_t i;          // its next record
 *         int rc;
 *     } nonempty;
 *
 *     static int nonempty_step(void *state, rn_iter *self, rn_iter *up,
 *                              rn_batch *out)
 *     {
 *         nonempty *st = state;
 *         (void)self;
 *         RN_CO_BEGIN(st->co);
 *         while ((st->rc = rn_next_batch(up, &st->in)) != RN_DONE) {
 *             if (st->rc == RN_AGAIN) {      // a push source needs bytes
 *                 RN_CO_YIELD(st->co, RN_AGAIN);
 *                 continue;                  // resumed: ask up again
 *             }
 *             if (st->rc < 0)
 *                 return st->rc;             // up's error, passed on
 *             for (st->i = 0; st->i < st->in.n; st->i++) {
 *                 if (st->in.recs[st->i].fields[0].len == 0)
 *                     continue;
 *                 out->recs = &st->in.recs[st->i];   // borrowed from up
 *                 out->n = 1;
 *                 RN_CO_YIELD(st->co, RN_ROW);
 *             }
 *         }
 *         RN_CO_END(st->co, RN_DONE);
 *     }
 *
 *     nonempty *st = calloc(1, sizeof *st);
 *     it = rn_iter_new(it, nonempty_step, free, st, NULL);  // takes it, st
 *
 * The light forms below (filter, map, flatmap) cover the common cases with a
 * plain callback and no state machine. Sources yield an application's own
 * records. */

/** An application's step function: called for the next batch, never again
 *  after it returned RN_DONE or an error. It may pull from up (NULL for a
 *  source, see rn_step_source_new()) with rn_next_batch()/rn_next(), and
 *  returns:
 *  - RN_ROW with out->n >= 1 records, which it owns (in state) or borrows
 *    from up's current batch; they must stay valid until its next call;
 *  - RN_DONE at the end (sticky from then on);
 *  - RN_AGAIN when up returned RN_AGAIN (a push source needs bytes): the
 *    next call must resume where this one stopped;
 *  - a negative rn_status, which becomes the iterator's sticky error. Its
 *    message is the one set with rn_fail(self, ...) if any; else up's message
 *    when up is in that same error (so returning up's code passes its error
 *    on); else "<kind>: <strerror>" ("app: malformed input").
 *  state is the pointer given to the constructor; self is the iterator being
 *  stepped, for rn_fail(). Any other return value, or RN_ROW with
 *  out->n == 0, is a bug reported as RN_EMISUSE. */
typedef int (*rn_step_fn)(void *state, rn_iter *self, rn_iter *up,
                          rn_batch *out);

/** Makes a stage of an application's step function over up.
 *  up: the upstream, owned from this call on (also when the constructor
 *  fails), freed after the new iterator. NULL (an upstream constructor that
 *  ran out of memory) returns NULL, after calling free_state.
 *  step: called for each batch (see rn_step_fn).
 *  free_state: called once with state when the iterator is freed, or at once
 *  when the constructor fails; may be NULL. The state is owned likewise.
 *  schema: the field names of the records step yields, borrowed: it must
 *  outlive the iterator; NULL means up's (followed if up's changes). The
 *  allocator is up's.
 *  Returns NULL only when memory runs out (up freed, free_state called). A
 *  NULL step gives an iterator in error state (RN_EINVAL); an up already in
 *  error gives one in that error. */
RN_API rn_iter *rn_iter_new(rn_iter *up, rn_step_fn step,
                            void (*free_state)(void *state), void *state,
                            const rn_schema *schema);

/** Makes a source of an application's step function, which is called with
 *  up == NULL. schema is required (borrowed, must outlive the iterator);
 *  allocator may be NULL (malloc). Ownership of state, free_state and the
 *  return are as for rn_iter_new(); a NULL step or schema gives an iterator
 *  in error state (RN_EINVAL). */
RN_API rn_iter *rn_step_source_new(const rn_schema *schema, rn_step_fn step,
                                   void (*free_state)(void *state),
                                   void *state,
                                   const rn_allocator *allocator);

#if defined(__GNUC__)
#define RN_PRINTF_ATTR(f, a) __attribute__((format(printf, f, a)))
#else
#define RN_PRINTF_ATTR(f, a)
#endif

/** Puts an iterator made by rn_iter_new() or rn_step_source_new() in a
 *  sticky error: code (negative; a code >= 0 becomes RN_EMISUSE) with the
 *  printf-formatted message that rn_errmsg() then returns (at most 511 bytes
 *  kept). Meant for a step
 *  function: `return rn_fail(self, RN_EPARSE, "line %d: no '|'", n);`. A step
 *  may also call it and still return RN_ROW with records in hand: they are
 *  yielded, and the error on the next call. Returns the code. On any other
 *  iterator it changes nothing and returns RN_EMISUSE. */
RN_API int rn_fail(rn_iter *self, int code, const char *fmt, ...)
    RN_PRINTF_ATTR(3, 4);

/** Decides whether record r (whose field names are s) is kept: returns 1 to
 *  keep it, 0 to drop it, or a negative rn_status to stop with that error. */
typedef int (*rn_keep_fn)(void *ud, const rn_schema *s, const rn_record *r);

/** Keeps the records of up for which keep returns 1; dropped records count
 *  as filtered. Records are up's own, yielded in slices of up's batches
 *  (nothing is copied). A negative return puts the stage in that error
 *  ("filter_fn: line 12: malformed input") after yielding the records kept
 *  before it. Takes ownership of up; ud is borrowed. A NULL keep gives an
 *  iterator in error state (RN_EINVAL). */
RN_API rn_iter *rn_filter_fn_new(rn_iter *up, rn_keep_fn keep, void *ud);

/** Maps record r (field names in) to one output record: sets out[0..nout),
 *  nout being the count of the stage's output schema, each of which starts as
 *  an empty field (set only those you want). The views may point into r's
 *  bytes, static storage, or memory the callback owns and keeps unchanged
 *  until its next call. Returns RN_OK, or a negative rn_status to stop. */
typedef int (*rn_map_fn)(void *ud, const rn_schema *in, const rn_record *r,
                         rn_field *out, size_t nout);

/** Yields one record per record of up, made by map; line and offset are the
 *  input record's, raw is empty. The field array belongs to the stage. So
 *  that views into the callback's own memory need last only until its next
 *  call, each batch holds one record: for more throughput write a step
 *  function. out_schema is borrowed and must outlive the stage. A negative
 *  return from map puts the stage in that error ("map: line 12: ..."). Takes
 *  ownership of up; ud is borrowed. A NULL map or out_schema gives an
 *  iterator in error state (RN_EINVAL). */
RN_API rn_iter *rn_map_new(rn_iter *up, const rn_schema *out_schema,
                           rn_map_fn map, void *ud);

/** Called by a flatmap callback to emit one record of n fields (n at most
 *  the output schema's count; fields past n are empty). The bytes are copied
 *  at once, so f and what it points to may be on the caller's stack. Returns
 *  RN_OK; RN_EINVAL when n is too large; RN_ETOOBIG past the caps of
 *  rn_flatmap_new(); RN_ENOMEM. After an error return, pass it on. */
typedef int (*rn_emit_fn)(void *emit_ctx, const rn_field *f, size_t n);

/** Emits zero or more records for record r (field names in) by calling
 *  emit(emit_ctx, ...). Returns RN_OK, or a negative rn_status to stop. */
typedef int (*rn_each_fn)(void *ud, const rn_schema *in, const rn_record *r,
                          rn_emit_fn emit, void *emit_ctx);

/** Yields the records each emits for each record of up, in order (line and
 *  offset the input record's, raw empty). Emitted fields are copied into a
 *  pool of the stage that is reused batch after batch; the records emitted
 *  for one input record may hold at most 64 MiB of field bytes and 1 million
 *  records (RN_ETOOBIG past either). An error from each or emit puts the
 *  stage in that error ("flatmap: line 12: ...") after yielding the records
 *  of the input records before. out_schema is borrowed and must outlive the
 *  stage. Takes ownership of up; ud is borrowed. A NULL each or out_schema
 *  gives an iterator in error state (RN_EINVAL). */
RN_API rn_iter *rn_flatmap_new(rn_iter *up, const rn_schema *out_schema,
                               rn_each_fn each, void *ud);

/** The first n records of up (itertools.islice; the same as rn_head_new()).
 *  Use rn_skip_new() to drop the first n. Takes ownership of up. */
RN_API rn_iter *rn_take_new(rn_iter *up, uint64_t n);

/** Yields the records of its[0], then its[1]... (rn_chain_new() over
 *  iterators already open). Takes ownership of all n iterators, also when it
 *  fails; those not yet reached are freed with the chain. The schema is that
 *  of the one being read; the allocator is its[0]'s. Returns NULL when
 *  memory runs out or when any its[i] is NULL (a constructor that ran out of
 *  memory), after freeing the others. n may be 0 (an empty stream). */
RN_API rn_iter *rn_chain_of(rn_iter *const *its, size_t n);

/** A source yielding recs[0..n) as they are, in batches (nothing copied):
 *  the records and everything they point to are borrowed, and must stay
 *  valid and unchanged while the iterator lives. schema is borrowed too.
 *  allocator may be NULL (malloc). Returns NULL only when memory runs out; a
 *  NULL schema, or NULL recs with n > 0, gives an iterator in error state
 *  (RN_EINVAL). */
RN_API rn_iter *rn_array_source_new(const rn_schema *schema,
                                    const rn_record *recs, size_t n,
                                    const rn_allocator *allocator);

/** Produces an application's next record into *out (zeroed before each
 *  call): returns RN_ROW with out->fields set (the array and bytes owned by
 *  the callback, unchanged until its next call), RN_DONE at the end, RN_AGAIN
 *  when it has nothing yet (the caller may come back), or a negative
 *  rn_status. */
typedef int (*rn_produce_fn)(void *ud, rn_record *out);

/** A source yielding the records next produces, one per batch (so that they
 *  need last only until next's following call). free_ud (may be NULL) is
 *  called once with ud when the source is freed, or at once when the
 *  constructor fails. schema is borrowed; allocator may be NULL (malloc). A
 *  negative return becomes the sticky error ("callback: after record 12:
 *  input/output error"). Returns NULL only when memory runs out; a NULL next
 *  or schema gives an iterator in error state (RN_EINVAL). */
RN_API rn_iter *rn_callback_source_new(const rn_schema *schema,
                                       rn_produce_fn next, void *ud,
                                       void (*free_ud)(void *ud),
                                       const rn_allocator *allocator);

/* Typed access to fields. Parsing ignores the C locale and accepts no spaces
 * (trim first if you want them gone): "", "n/a", " 1" and "1 " are not
 * numbers. Output parameters are set only on RN_OK. A view with a NULL ptr
 * and len > 0 gives RN_EINVAL. */

/** Reads f as a decimal integer: an optional '+' or '-' and one or more ASCII
 *  digits ("42", "-7", "+0"). Returns RN_OK; RN_EPARSE for anything else
 *  ("1.0", "1e3", "0x10"); RN_ERANGE outside int64_t. */
RN_API int rn_field_int(rn_field f, int64_t *out);

/** Reads f as a double, correctly rounded: [+-]digits[.digits] with an
 *  optional exponent ("1.5", ".5", "-2e-3"), "inf" and "infinity" in any
 *  case. Returns RN_OK; RN_EPARSE for anything else, "nan" included (not a
 *  number), and hex floats; RN_ERANGE when a finite number overflows ("1e999");
 *  an underflow gives 0 or a subnormal with RN_OK. */
RN_API int rn_field_double(rn_field f, double *out);

/** Reads f as an exact decimal *units / 10^*scale, scale being the number of
 *  digits after the point ("-1.50": -150 and 2; "7": 7 and 0). Returns RN_OK;
 *  RN_ERANGE past 18 significant digits or 18 digits after the point (read
 *  it as a double then); RN_EPARSE for anything else, exponents included. */
RN_API int rn_field_decimal(rn_field f, int64_t *units, int *scale);

/** 1 when f holds exactly the bytes of the NUL-terminated s, else 0 (also
 *  when s is NULL). Case-sensitive. */
RN_API int rn_field_eq(rn_field f, const char *s);

/* ------------------------------------------------------------------------ */
/* Coroutine macros for resumable step functions.                            */
/* ------------------------------------------------------------------------ */

/* A step function that must stop half-way (the source needs a refill, the
 * caller must take a record) keeps an int in its state struct and writes:
 *
 *     RN_CO_BEGIN(st->co);
 *     while (...) {
 *         ...
 *         RN_CO_YIELD(st->co, RN_ROW);   // the next call resumes here
 *     }
 *     RN_CO_END(st->co, RN_DONE);        // every later call returns RN_DONE
 *
 * Locals do not survive a yield: keep what must survive in the struct. Do not
 * yield from inside a switch of your own. The int starts at 0. */
#define RN_CO_BEGIN(co) switch (co) { case 0:
#define RN_CO_YIELD(co, ret)                                               \
    do {                                                                   \
        (co) = __LINE__;                                                   \
        return (ret);                                                      \
    case __LINE__:;                                                        \
    } while (0)
#define RN_CO_END(co, ret)                                                 \
    }                                                                      \
    (co) = -1;                                                             \
    return (ret)

#ifdef __cplusplus
}
#endif

#endif /* RN_RUNNEL_H */
