/*
 * The thread pool: `threads - 1` workers plus the calling thread.
 *
 * One job at a time. `attend_parallel_for` publishes a job (its fields, then a new epoch),
 * and everyone (workers and the caller) claims chunks with one compare-and-swap on a ticket
 * that holds the job's epoch and the next chunk index, so no lock is taken per chunk and a
 * worker that wakes late can never claim a chunk of a later job. The caller returns when
 * every chunk has finished. Workers spin briefly between jobs (a network's kernels follow
 * each other within microseconds), then sleep on a condition variable.
 *
 * A call made while a job is running (a task calling back into its own pool, or a second
 * thread sharing the pool) runs inline instead of waiting, so it cannot deadlock.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "attend_message.h"
#include "attend_runtime.h"

/* More threads than this is a mistake on the command line, not a machine. */
#define POOL_MAX_THREADS 1024

/* Chunks per thread: enough to even out uneven chunks and a thread that starts late
 * (at most 4096 chunks: the ticket holds counts in 16 bits). */
#define POOL_CHUNKS_PER_THREAD 4
/* Polls of a spinning worker before it sleeps (about 50-100 microseconds). */
#define POOL_SPIN_POLLS 20000

#if defined(__x86_64__) || defined(__i386__)
#define POOL_PAUSE() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define POOL_PAUSE() __asm__ __volatile__("yield")
#else
#define POOL_PAUSE() ((void)0)
#endif

struct attend_pool {
    int threads;
    int started;              /* workers running */
    pthread_t *workers;
    pthread_mutex_t mutex;    /* guards sleeping and shutdown only */
    pthread_cond_t work;      /* a job was published, or shutdown */
    atomic_int shutdown;
    atomic_int sleepers;      /* workers waiting on `work` */
    atomic_int busy;          /* a job is being run (for the re-entrancy check) */
    atomic_uint epoch;        /* the current job's number */
    /* ticket = epoch << 32 | chunk count << 16 | next chunk index: claimed by
     * compare-and-swap, so a claim knows its job's size without reading the job */
    _Atomic uint64_t ticket;
    atomic_llong unfinished;  /* chunks of the current job not yet finished */
    /* The job, written before its epoch is published: */
    attend_task task;
    void *context;
    int64_t begin, base, extra; /* chunk k: begin + k * base + min(k, extra), length base (+1 if k < extra) */
};

/* Claims and runs chunks of job `epoch` until none are left. */
static void run_chunks(attend_pool *pool, unsigned epoch) {
    uint64_t ticket = atomic_load_explicit(&pool->ticket, memory_order_acquire);
    for (;;) {
        if ((unsigned)(ticket >> 32) != epoch) return;
        int64_t k = (int64_t)(ticket & 0xffffu), chunks = (int64_t)((ticket >> 16) & 0xffffu);
        if (k >= chunks) return;
        if (!atomic_compare_exchange_weak_explicit(&pool->ticket, &ticket, ticket + 1, memory_order_acq_rel, memory_order_acquire)) continue;
        /* Chunk k of this job is ours; the job cannot be replaced until it is finished. */
        int64_t start = pool->begin + k * pool->base + (k < pool->extra ? k : pool->extra);
        pool->task(pool->context, start, start + pool->base + (k < pool->extra ? 1 : 0));
        atomic_fetch_sub_explicit(&pool->unfinished, 1, memory_order_acq_rel);
        ticket = atomic_load_explicit(&pool->ticket, memory_order_acquire);
    }
}

static void *worker_main(void *argument) {
    attend_pool *pool = argument;
    unsigned seen = atomic_load(&pool->epoch);
    for (;;) {
        unsigned now = seen;
        for (int polls = 0; polls < POOL_SPIN_POLLS; polls++) {
            now = atomic_load_explicit(&pool->epoch, memory_order_acquire);
            if (now != seen || atomic_load_explicit(&pool->shutdown, memory_order_relaxed)) break;
            POOL_PAUSE();
        }
        if (now == seen) {
            pthread_mutex_lock(&pool->mutex);
            atomic_fetch_add(&pool->sleepers, 1);
            while ((now = atomic_load(&pool->epoch)) == seen && !atomic_load(&pool->shutdown)) pthread_cond_wait(&pool->work, &pool->mutex);
            atomic_fetch_sub(&pool->sleepers, 1);
            pthread_mutex_unlock(&pool->mutex);
        }
        if (atomic_load(&pool->shutdown)) break;
        seen = now;
        run_chunks(pool, seen);
    }
    return NULL;
}

static void wake_workers(attend_pool *pool) {
    if (atomic_load(&pool->sleepers) == 0) return;
    pthread_mutex_lock(&pool->mutex);
    pthread_cond_broadcast(&pool->work);
    pthread_mutex_unlock(&pool->mutex);
}

static void stop_workers(attend_pool *pool) {
    pthread_mutex_lock(&pool->mutex);
    atomic_store(&pool->shutdown, 1);
    pthread_cond_broadcast(&pool->work);
    pthread_mutex_unlock(&pool->mutex);
    for (int k = 0; k < pool->started; k++) pthread_join(pool->workers[k], NULL);
    pool->started = 0;
}

static void free_pool(attend_pool *pool) {
    pthread_cond_destroy(&pool->work);
    pthread_mutex_destroy(&pool->mutex);
    free(pool->workers);
    free(pool);
}

attend_pool *attend_pool_create(int threads, char *error) {
    if (threads < 1 || threads > POOL_MAX_THREADS) {
        attend_fail(error, "invalid thread count %d (expected 1 to %d)", threads, POOL_MAX_THREADS);
        return NULL;
    }
    attend_pool *pool = calloc(1, sizeof *pool);
    if (!pool) {
        attend_fail(error, "out of memory creating a pool of %d threads", threads);
        return NULL;
    }
    pool->threads = threads;
    atomic_init(&pool->shutdown, 0);
    atomic_init(&pool->sleepers, 0);
    atomic_init(&pool->busy, 0);
    atomic_init(&pool->epoch, 0);
    atomic_init(&pool->ticket, 0);
    atomic_init(&pool->unfinished, 0);
    int status = pthread_mutex_init(&pool->mutex, NULL);
    if (status == 0) {
        status = pthread_cond_init(&pool->work, NULL);
        if (status != 0) pthread_mutex_destroy(&pool->mutex);
    }
    if (status != 0) {
        free(pool);
        attend_fail(error, "cannot create a thread pool (%s)", strerror(status));
        return NULL;
    }
    if (threads > 1) {
        pool->workers = calloc((size_t)threads - 1, sizeof *pool->workers);
        if (!pool->workers) {
            free_pool(pool);
            attend_fail(error, "out of memory creating a pool of %d threads", threads);
            return NULL;
        }
        /* Kernels keep per-task buffers on the stack; the default thread stack follows
           `ulimit -s`, which may be smaller than they need. */
        pthread_attr_t attributes;
        status = pthread_attr_init(&attributes);
        if (status == 0) {
            status = pthread_attr_setstacksize(&attributes, ATTEND_THREAD_STACK_BYTES);
            if (status != 0) pthread_attr_destroy(&attributes);
        }
        if (status != 0) {
            free_pool(pool);
            attend_fail(error, "cannot set up worker threads (%s)", strerror(status));
            return NULL;
        }
        for (int k = 0; k < threads - 1; k++) {
            status = pthread_create(&pool->workers[k], &attributes, worker_main, pool);
            if (status != 0) {
                pthread_attr_destroy(&attributes);
                stop_workers(pool);
                free_pool(pool);
                attend_fail(error, "cannot start worker thread %d of %d (%s)", k + 1, threads - 1, strerror(status));
                return NULL;
            }
            pool->started++;
        }
        pthread_attr_destroy(&attributes);
    }
    return pool;
}

int attend_pool_threads(const attend_pool *pool) {
    return pool ? pool->threads : 1;
}

void attend_parallel_for(attend_pool *pool, int64_t begin, int64_t end, attend_task task, void *context) {
    if (end <= begin || !task) return;
    /* end - begin cannot overflow as unsigned; a range wider than INT64_MAX (or a single
     * index) has nothing to gain from splitting. */
    uint64_t length = (uint64_t)end - (uint64_t)begin;
    int expected = 0;
    if (!pool || pool->threads <= 1 || length == 1 || length > (uint64_t)INT64_MAX
        || !atomic_compare_exchange_strong(&pool->busy, &expected, 1)) {
        /* No pool, nothing to split, or a re-entrant or concurrent call: run inline. */
        task(context, begin, end);
        return;
    }
    int64_t n = (int64_t)length;
    int64_t most = (int64_t)pool->threads * POOL_CHUNKS_PER_THREAD;
    int64_t chunks = n < most ? n : most;
    pool->task = task;
    pool->context = context;
    pool->begin = begin;
    pool->base = n / chunks;
    pool->extra = n % chunks;
    atomic_store(&pool->unfinished, chunks);
    unsigned epoch = atomic_load(&pool->epoch) + 1;
    atomic_store(&pool->ticket, (uint64_t)epoch << 32 | (uint64_t)chunks << 16);
    atomic_store(&pool->epoch, epoch);  /* publishes the job */
    wake_workers(pool);
    run_chunks(pool, epoch);
    for (int polls = 0; atomic_load_explicit(&pool->unfinished, memory_order_acquire) > 0; polls++) {
        if (polls < POOL_SPIN_POLLS) POOL_PAUSE(); else sched_yield();
    }
    atomic_store(&pool->busy, 0);
}

void attend_pool_destroy(attend_pool *pool) {
    if (!pool) return;
    stop_workers(pool);
    free_pool(pool);
}
