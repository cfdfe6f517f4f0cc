/*
 * source_gzip.c - the decoder on every source: gzip is inflated, anything else
 * passes through with the inner source's own pointers (no buffer, no copy).
 * Detection is by the magic bytes 0x1f 0x8b only; one byte is stashed while
 * the second is awaited, so one-byte inner blocks work. Inflation writes
 * straight into the block handed out, so each output byte is written once.
 * Members are inflated one after another; other bytes after a member, or an
 * end inside one, are RN_EGZIP with the compressed offset. All state lives in
 * the struct, so RN_AGAIN can be passed up anywhere and the next call resumes.
 *
 * With RN_GZIP_THREAD_ON (source.c settles AUTO), a worker thread runs the
 * same inflate steps once gzip is detected, into a ring of GZ_SLOTS blocks
 * that the reader takes in order. From then on the worker alone touches the
 * inner source, the z_stream and the decoder fields; the two threads share
 * only struct gz_ring, under its mutex. Every allocation is made before the
 * worker starts, in the caller's thread: zlib's window comes from a reserve.
 */
#include "source_internal.h"

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Lets z_stream.next_in point at const input without casts. */
#define ZLIB_CONST
#include <zlib.h>

#define GZ_MAGIC0 0x1f
#define GZ_MAGIC1 0x8b
/* Blocks in the ring: one held by the reader, one being inflated, and two
 * that absorb the jitter of either side. */
#define GZ_SLOTS 4
/* A side that waits is woken only when it has more than one block of work:
 * each wake-up is a system call for the other side, and the faster side
 * would otherwise wait, and be woken, for every block (8 000 context
 * switches per GB, against 3 000 so). The reader waits for GZ_READER_WAKE
 * filled blocks (all but the one the worker goes on filling); the worker,
 * once the ring is full, until at most GZ_WORKER_WAKE blocks are filled or
 * held. The price: input that trickles in (a pipe under
 * RN_GZIP_THREAD_ON) reaches the reader three blocks at a time. */
#define GZ_READER_WAKE (GZ_SLOTS - 1)
#define GZ_WORKER_WAKE (GZ_SLOTS / 2)
/* zlib's window, the one allocation inflate() makes after inflateInit2(). */
#define GZ_WINDOW ((size_t)1 << MAX_WBITS)

enum gz_state {
    GZ_DETECT = 0, /* fewer than two bytes seen: gzip or not is open */
    GZ_STASHED,    /* plain; the stashed byte went out, the block's rest next */
    GZ_PLAIN,      /* plain: inner blocks are forwarded as they are */
    GZ_INFLATE,    /* gzip, inflated in the caller's thread */
    GZ_THREAD      /* gzip, inflated by the worker: blocks come from the ring */
};

/* A block of the ring. */
typedef struct gz_slot {
    unsigned char *buf; /* cap bytes, allocated when gzip is detected */
    size_t len;         /* bytes in it once filled */
    uint64_t raw;       /* inner bytes read when it was filled */
} gz_slot;

/* What the reader and the worker share. The slots' buffers are set before
 * the worker starts; every other field is read and written under mu only. A
 * slot's bytes belong to the worker from when it takes the slot (head +
 * count) until it counts it, then to the reader until it releases it. */
typedef struct gz_ring {
    pthread_mutex_t mu;
    pthread_cond_t filled; /* the worker counted a slot or finished */
    pthread_cond_t space;  /* the reader released a slot or asks to quit */
    gz_slot slot[GZ_SLOTS];
    unsigned head;         /* the slot the reader holds or takes next */
    unsigned count;        /* slots filled, the one the reader holds included */
    bool held;             /* the reader holds slot[head] */
    bool reader_waiting;   /* the reader waits for filled slots */
    bool worker_waiting;   /* the worker waits for free slots */
    bool quit;             /* the source is being freed: stop */
    bool finished;         /* the worker has stopped: final says why */
    int final;             /* RN_DONE or the error; its message is in msg */
    uint64_t final_raw;    /* inner bytes read by then */
} gz_ring;

typedef struct gz_src {
    rn_source base;
    int state;                /* enum gz_state */
    rn_source *src;           /* the inner source: also base.inner, except
                                 while the worker runs (see start_worker) */
    unsigned char stash;      /* a lone first byte 0x1f, until the next one */
    bool stashed;             /* stash holds that byte */
    const unsigned char *in;  /* inner bytes not yet given to zlib */
    size_t nin;               /* their number */
    const unsigned char *rest; /* inner block queued behind the stash */
    size_t nrest;             /* its length */
    z_stream z;               /* zlib's stream; zalloc goes through base.mem,
                                 or to zres in the worker */
    bool z_ready;             /* inflateInit2 succeeded: inflateEnd at close */
    bool out_full;            /* the last inflate filled out: call it again */
    bool member_end;          /* a member ended and no next one started yet */
    unsigned char *out;       /* the block being filled: a slot's buffer */
    size_t cap;               /* block size: block_size */
    uint64_t fed;             /* compressed bytes given to zlib so far */
    uint64_t member_start;    /* compressed offset where this member starts */
    int pending;              /* error to return after the block in hand */
    char msg[RN__ERRMSG_MAX]; /* the decoder's error, copied to base.err by
                                 the reader: the worker must not write base */
    bool want_thread;         /* inflate in a worker once gzip is detected */
    bool threaded;            /* the worker was started (z and src are its) */
    bool ring_ready;          /* ring.mu and its conditions are initialised */
    gz_ring ring;
    pthread_t worker;
    unsigned char *zres;      /* threaded: zlib's window, allocated ahead */
    bool zres_used;           /* zlib holds zres */
} gz_src;

/* ---- zlib's memory through the chain's allocator ------------------------ */

/* zlib's free does not say how big the block was, while rn_allocator wants
 * the size back: keep it in a header aligned like any allocation. */
typedef union zhdr {
    size_t size;
    max_align_t align;
} zhdr;

#define ZRES_SIZE (sizeof(zhdr) + GZ_WINDOW)

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
    gz_src *g = opaque;
    if (size && items > (SIZE_MAX - sizeof(zhdr)) / size)
        return Z_NULL;
    size_t total = (size_t)items * size + sizeof(zhdr);
    zhdr *h;
    if (g->threaded) {
        /* In the worker, where the chain's allocator must not be called
         * (the application's allocator need not be thread-safe): the window
         * comes from the reserve. Anything else is out of memory. */
        if (g->zres_used || total > ZRES_SIZE)
            return Z_NULL;
        g->zres_used = true;
        h = (zhdr *)(void *)g->zres;
    } else {
        h = rn__alloc(&g->base.mem, total);
        if (!h)
            return Z_NULL;
    }
    h->size = total;
    return h + 1;
}

static void z_free(voidpf opaque, voidpf p)
{
    gz_src *g = opaque;
    if (!p)
        return;
    zhdr *h = (zhdr *)p - 1;
    if ((unsigned char *)h == g->zres)
        g->zres_used = false; /* freed with the source */
    else
        rn__free(&g->base.mem, h, h->size);
}

/* ---- errors --------------------------------------------------------------- */

/* Writes the decoder's message as "name: ..." (rn__source_msg's form), into
 * msg rather than base.err, which only the reader's thread writes. */
static void dec_msg(gz_src *g, const char *fmt, ...) RN__PRINTF(2, 3);

static void dec_msg(gz_src *g, const char *fmt, ...)
{
    int k = snprintf(g->msg, sizeof g->msg, "%s: ", g->base.name);
    if (k < 0 || (size_t)k >= sizeof g->msg)
        k = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->msg + k, sizeof g->msg - (size_t)k, fmt, ap);
    va_end(ap);
}

/* Takes on the inner source's error, message included: the user should see
 * why the file could not be read, not merely that the decoder stopped. */
static int adopt(gz_src *g, int rc)
{
    memcpy(g->msg, g->src->err, sizeof g->msg);
    g->msg[sizeof g->msg - 1] = '\0';
    return rc;
}

/* Compressed bytes zlib has consumed: the offset of its next input byte. */
static uint64_t consumed(const gz_src *g)
{
    return g->fed - g->z.avail_in;
}

/* Fails with msg, but when decompressed bytes are already in the buffer
 * hands them out first: what came before a corrupt spot is good data, as zcat
 * shows it too. The message is written now, the code returned on the next
 * call. */
static int gz_fail(gz_src *g, const char **p, size_t *n, int code,
                   const char *msg)
{
    dec_msg(g, "%s", msg);
    size_t olen = g->cap - g->z.avail_out;
    if (olen == 0)
        return code;
    g->pending = code;
    *p = (const char *)g->out;
    *n = olen;
    return RN_ROW;
}

/* gz_fail with zlib's reason and where in the compressed stream it was. */
static int gz_zfail(gz_src *g, const char **p, size_t *n, int code,
                    const char *what, int zr)
{
    char msg[256];
    snprintf(msg, sizeof msg, "%s: %s at compressed byte %llu", what,
             g->z.msg ? g->z.msg : zError(zr),
             (unsigned long long)consumed(g));
    return gz_fail(g, p, n, code, msg);
}

/* ---- gzip ----------------------------------------------------------------- */

/* Allocates the output blocks (GZ_SLOTS of them for the worker, else one),
 * the window reserve for the worker, and zlib's state; the messages go to
 * msg like every decoder error. */
static int gz_start(gz_src *g)
{
    size_t nbuf = g->want_thread ? GZ_SLOTS : 1;
    for (size_t i = 0; i < nbuf; i++) {
        g->ring.slot[i].buf = rn__alloc(&g->base.mem, g->cap);
        if (!g->ring.slot[i].buf) {
            dec_msg(g, "out of memory for the gzip output buffer");
            return RN_ENOMEM;
        }
    }
    g->out = g->ring.slot[0].buf;
    if (g->want_thread) {
        g->zres = rn__alloc(&g->base.mem, ZRES_SIZE);
        if (!g->zres) {
            dec_msg(g, "out of memory for the gzip window");
            return RN_ENOMEM;
        }
    }
    g->z.zalloc = z_alloc;
    g->z.zfree = z_free;
    g->z.opaque = g;
    g->z.next_in = NULL;
    g->z.avail_in = 0;
    /* 16 + MAX_WBITS: gzip wrapper only, so a zlib or raw stream after a
     * member is an error rather than a surprise. */
    int zr = inflateInit2(&g->z, 16 + MAX_WBITS);
    if (zr != Z_OK) {
        dec_msg(g, "cannot start the gzip decoder: %s",
                g->z.msg ? g->z.msg : zError(zr));
        return zr == Z_MEM_ERROR ? RN_ENOMEM : RN_EGZIP;
    }
    g->z_ready = true;
    g->state = GZ_INFLATE;
    return RN_OK;
}

/* Checks that the bytes zlib is about to read at the start of a member are
 * the gzip magic. zlib would reject them too, but "incorrect header check"
 * does not tell the user that a second, different stream was appended. */
static bool magic_ok(const gz_src *g)
{
    static const unsigned char magic[2] = {GZ_MAGIC0, GZ_MAGIC1};
    uint64_t at = consumed(g);
    for (size_t i = 0; i < g->z.avail_in && at + i < g->member_start + 2; i++)
        if (g->z.next_in[i] != magic[at + i - g->member_start])
            return false;
    return true;
}

/* One block into g->out. Runs in the reader's thread, or in the worker's;
 * either way it touches only the decoder fields and the inner source. */
static int gz_inflate(gz_src *g, const char **p, size_t *n)
{
    z_stream *z = &g->z;
    if (g->pending)
        return g->pending;
    /* cap is at most 64 MiB (rn__block_size), so it fits a uInt. */
    z->next_out = g->out;
    z->avail_out = (uInt)g->cap;
    for (;;) {
        /* zlib has taken all input it was given and has no output left to
         * write: give it more. The previous inner block may go now, because
         * zlib keeps what it still needs in its own window. */
        if (z->avail_in == 0 && !g->out_full) {
            if (g->nin == 0 && g->nrest > 0) {
                g->in = g->rest;
                g->nin = g->nrest;
                g->nrest = 0;
            }
            if (g->nin == 0) {
                size_t olen = g->cap - z->avail_out;
                const char *b;
                size_t k;
                int rc = rn__source_next(g->src, &b, &k);
                if (RN__UNLIKELY(rc == RN_AGAIN) && g->threaded) {
                    /* Only push sources wait for input, and they never get
                     * a worker (rn__decode_new); another source might. A
                     * worker cannot wait for what only the reader's thread
                     * could bring: the input fails, sticky, and the blocks
                     * before still come out. */
                    rc = rn__source_fail(g->src, RN_EMISUSE,
                                         "the input asked to be called "
                                         "again, which a gzip thread cannot "
                                         "wait for");
                }
                if (rc != RN_ROW && olen > 0) {
                    /* Hand out what is decoded; the inner status is sticky
                     * (or RN_AGAIN, which is simply asked again). */
                    *p = (const char *)g->out;
                    *n = olen;
                    return RN_ROW;
                }
                if (rc == RN_DONE) {
                    if (g->member_end)
                        return RN_DONE;
                    dec_msg(g,
                            "truncated gzip stream: input ends at compressed "
                            "byte %llu",
                            (unsigned long long)consumed(g));
                    return RN_EGZIP;
                }
                if (rc < 0)
                    return adopt(g, rc);
                if (rc != RN_ROW)
                    return rc;
                g->in = (const unsigned char *)b;
                g->nin = k;
            }
            /* Blocks may exceed what one z_stream call takes (uInt). */
            uInt take = g->nin > UINT_MAX ? UINT_MAX : (uInt)g->nin;
            z->next_in = g->in;
            z->avail_in = take;
            g->in += take;
            g->nin -= take;
            g->fed += take;
            if (take == 0)
                continue;
        }
        if (g->member_end) {
            /* More input after a member: it must be the next member. */
            g->member_start = consumed(g);
            int zr = inflateReset(z);
            if (zr != Z_OK)
                return gz_zfail(g, p, n, RN_EGZIP, "cannot reset inflate", zr);
            g->member_end = false;
        }
        if (RN__UNLIKELY(consumed(g) < g->member_start + 2) && !magic_ok(g)) {
            char msg[96];
            snprintf(msg, sizeof msg, "not a gzip member after byte %llu",
                     (unsigned long long)g->member_start);
            return gz_fail(g, p, n, RN_EGZIP, msg);
        }
        int zr = inflate(z, Z_NO_FLUSH);
        g->out_full = false;
        switch (zr) {
        case Z_OK:
            /* A full buffer may hide output zlib still holds back. */
            g->out_full = z->avail_out == 0;
            break;
        case Z_BUF_ERROR:
            /* No progress was possible: zlib needs input, which the top of
             * the loop fetches. */
            break;
        case Z_STREAM_END:
            g->member_end = true;
            break;
        case Z_MEM_ERROR:
            return gz_zfail(g, p, n, RN_ENOMEM, "out of memory inflating",
                            zr);
        default:
            return gz_zfail(g, p, n, RN_EGZIP, "corrupt gzip stream", zr);
        }
        if (z->avail_out == 0) {
            *p = (const char *)g->out;
            *n = g->cap;
            return RN_ROW;
        }
    }
}

/* ---- the worker thread ---------------------------------------------------- */

/* Fills the ring with gz_inflate() blocks in order until the input ends, an
 * error comes, or the source is freed. The last code is kept in final, so the
 * reader gets every block before the error, then the error. */
static void *worker_main(void *arg)
{
    gz_src *g = arg;
    gz_ring *r = &g->ring;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        if (r->count == GZ_SLOTS && !r->quit) {
            r->worker_waiting = true;
            while (r->count > GZ_WORKER_WAKE && !r->quit)
                pthread_cond_wait(&r->space, &r->mu);
            r->worker_waiting = false;
        }
        if (r->quit)
            break;
        /* The reader releasing a slot moves head up and count down, so this
         * stays the next slot to fill while the lock is let go. */
        gz_slot *sl = &r->slot[(r->head + r->count) % GZ_SLOTS];
        pthread_mutex_unlock(&r->mu);
        g->out = sl->buf;
        const char *p;
        size_t n = 0;
        int rc = gz_inflate(g, &p, &n);
        uint64_t raw = rn_source_bytes_read(g->src);
        pthread_mutex_lock(&r->mu);
        if (rc == RN_ROW) {
            sl->len = n;
            sl->raw = raw;
            r->count++;
            if (r->reader_waiting && r->count >= GZ_READER_WAKE)
                pthread_cond_signal(&r->filled);
            continue;
        }
        r->final = rc;
        r->final_raw = raw;
        r->finished = true;
        pthread_cond_signal(&r->filled);
        break;
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* Starts the worker after gz_start(). The inner source leaves base.inner
 * for src alone, so nothing on the reader's side reaches it while the worker
 * steps it: rn_source_bytes_read() stops at this source (base.raw_bytes is
 * kept from the ring) and rn_source_free() leaves it to gz_close. Signals are
 * blocked in the worker so that they keep going to the application's
 * threads. Returns false, with nothing changed, when no thread can be had:
 * the caller then inflates in its own thread. */
static bool start_worker(gz_src *g)
{
    gz_ring *r = &g->ring;
    if (pthread_mutex_init(&r->mu, NULL) != 0)
        return false;
    if (pthread_cond_init(&r->filled, NULL) != 0) {
        pthread_mutex_destroy(&r->mu);
        return false;
    }
    if (pthread_cond_init(&r->space, NULL) != 0) {
        pthread_cond_destroy(&r->filled);
        pthread_mutex_destroy(&r->mu);
        return false;
    }
    g->ring_ready = true;
    g->base.raw_bytes = rn_source_bytes_read(g->src);
    g->base.inner = NULL;
    g->threaded = true;
    g->state = GZ_THREAD;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int e = pthread_create(&g->worker, NULL, worker_main, g);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e != 0) {
        g->base.inner = g->src;
        g->threaded = false;
        g->state = GZ_INFLATE;
        return false;
    }
    return true;
}

/* The reader's side: releases the block handed out last, which the caller
 * is done with now (the source protocol), and takes the next one. */
static int ring_next(gz_src *g, const char **p, size_t *n)
{
    gz_ring *r = &g->ring;
    int rc = RN_ROW;
    pthread_mutex_lock(&r->mu);
    if (r->held) {
        r->held = false;
        r->head = (r->head + 1) % GZ_SLOTS;
        r->count--;
        if (r->worker_waiting && r->count <= GZ_WORKER_WAKE)
            pthread_cond_signal(&r->space);
    }
    if (r->count == 0 && !r->finished) {
        r->reader_waiting = true;
        while (r->count < GZ_READER_WAKE && !r->finished)
            pthread_cond_wait(&r->filled, &r->mu);
        r->reader_waiting = false;
    }
    if (r->count > 0) {
        const gz_slot *sl = &r->slot[r->head];
        r->held = true;
        *p = (const char *)sl->buf;
        *n = sl->len;
        g->base.raw_bytes = sl->raw;
    } else {
        rc = r->final;
        g->base.raw_bytes = r->final_raw;
    }
    pthread_mutex_unlock(&r->mu);
    return rc;
}

/* Asks the worker to stop and waits for it: it is either waiting for a free
 * slot, which the signal ends, or in one gz_inflate() step, after which it
 * sees quit. */
static void stop_worker(gz_src *g)
{
    gz_ring *r = &g->ring;
    pthread_mutex_lock(&r->mu);
    r->quit = true;
    pthread_cond_signal(&r->space);
    pthread_mutex_unlock(&r->mu);
    pthread_join(g->worker, NULL);
}

/* ---- detection and pass-through ------------------------------------------ */

/* Starts inflating from g->in (and g->rest): in the worker when one is
 * wanted and can be had, else here. */
static int gz_begin(gz_src *g, const char **p, size_t *n)
{
    int rc = gz_start(g);
    if (rc < 0)
        return rc;
    if (g->want_thread && start_worker(g))
        return ring_next(g, p, n);
    return gz_inflate(g, p, n);
}

static int gz_detect(gz_src *g, const char **p, size_t *n)
{
    for (;;) {
        const char *b;
        size_t k;
        int rc = rn__source_next(g->src, &b, &k);
        if (rc == RN_DONE && g->stashed) {
            /* A lone 0x1f is a one-byte plain input. */
            g->state = GZ_PLAIN;
            *p = (const char *)&g->stash;
            *n = 1;
            return RN_ROW;
        }
        if (rc < 0)
            return adopt(g, rc);
        if (rc != RN_ROW)
            return rc;
        if (k == 0)
            continue;
        const unsigned char *u = (const unsigned char *)b;
        if (!g->stashed) {
            if (k == 1 && u[0] == GZ_MAGIC0) {
                g->stash = u[0];
                g->stashed = true;
                continue;
            }
            if (k >= 2 && u[0] == GZ_MAGIC0 && u[1] == GZ_MAGIC1) {
                g->in = u;
                g->nin = k;
                return gz_begin(g, p, n);
            }
            g->state = GZ_PLAIN;
            *p = b;
            *n = k;
            return RN_ROW;
        }
        /* The stash holds 0x1f and b follows it. */
        g->rest = u;
        g->nrest = k;
        if (u[0] == GZ_MAGIC1) {
            g->in = &g->stash;
            g->nin = 1;
            return gz_begin(g, p, n);
        }
        g->state = GZ_STASHED;
        *p = (const char *)&g->stash;
        *n = 1;
        return RN_ROW;
    }
}

static int gz_step(gz_src *g, const char **p, size_t *n)
{
    switch (g->state) {
    case GZ_PLAIN: {
        int rc = rn__source_next(g->src, p, n);
        return rc < 0 ? adopt(g, rc) : rc;
    }
    case GZ_THREAD:
        return ring_next(g, p, n);
    case GZ_INFLATE:
        return gz_inflate(g, p, n);
    case GZ_STASHED:
        g->state = GZ_PLAIN;
        *p = (const char *)g->rest;
        *n = g->nrest;
        g->nrest = 0;
        return RN_ROW;
    default:
        return gz_detect(g, p, n);
    }
}

static int gz_next(rn_source *s, const char **p, size_t *n)
{
    gz_src *g = (gz_src *)s;
    int rc = gz_step(g, p, n);
    if (RN__UNLIKELY(rc < 0)) {
        /* The decoder's message becomes the source's, in this thread. After
         * a worker has finished, msg is no longer written. */
        memcpy(s->err, g->msg, sizeof s->err);
    }
    return rc;
}

static void gz_close(rn_source *s)
{
    gz_src *g = (gz_src *)s;
    if (g->threaded)
        stop_worker(g);
    if (g->ring_ready) {
        pthread_cond_destroy(&g->ring.space);
        pthread_cond_destroy(&g->ring.filled);
        pthread_mutex_destroy(&g->ring.mu);
    }
    if (g->z_ready)
        inflateEnd(&g->z);
    for (size_t i = 0; i < GZ_SLOTS; i++)
        rn__free(&s->mem, g->ring.slot[i].buf, g->cap);
    rn__free(&s->mem, g->zres, ZRES_SIZE);
    /* The inner source left base.inner for the worker: free it here. */
    if (g->threaded)
        rn_source_free(g->src);
}

static const rn__source_vt gz_vt = {gz_next, gz_close};

/* RN_GZIP_THREAD_AUTO means no thread here: source.c settles AUTO for the
 * sources it builds, where it knows what the input is. Push sources never get
 * a thread, since rn_feed() fills them from the reader's thread. */
rn_source *rn__decode_new(rn_source *inner, const rn_source_opts *o)
{
    if (!inner)
        return NULL;
    bool want = o && o->gzip_thread == RN_GZIP_THREAD_ON && !inner->pushed;
    gz_src *g = rn__source_new(&gz_vt, sizeof *g, inner->name, &inner->mem,
                               inner);
    if (!g)
        return NULL;
    g->src = inner;
    g->cap = rn__block_size(o);
    g->want_thread = want;
    return &g->base;
}
