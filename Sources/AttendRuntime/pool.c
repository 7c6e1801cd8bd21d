/*
 * The thread pool: `threads - 1` workers plus the calling thread.
 *
 * One job at a time: `attend_parallel_for` publishes the job under the mutex, everyone
 * (workers and the caller) claims chunks by index until none are left, and the caller
 * waits until every claimed chunk has finished before it returns and the job is retired.
 * A call made while a job is running (a task calling back into its own pool, or a second
 * thread sharing the pool) runs inline instead of waiting, so it cannot deadlock.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "attend_message.h"
#include "attend_runtime.h"

/* More threads than this is a mistake on the command line, not a machine. */
#define POOL_MAX_THREADS 1024

struct attend_pool {
    int threads;
    int started;           /* workers running */
    pthread_t *workers;
    pthread_mutex_t mutex;
    pthread_cond_t work;   /* a job was published, or shutdown */
    pthread_cond_t done;   /* the last chunk of the job finished */
    int shutdown;
    int busy;              /* a job is published and not yet retired */
    /* The job: */
    attend_task task;
    void *context;
    int64_t begin, base, extra; /* chunk k: begin + k * base + min(k, extra), length base (+1 if k < extra) */
    int64_t chunks, next, finished;
};

static void chunk_range(const attend_pool *pool, int64_t k, int64_t *begin, int64_t *end) {
    int64_t start = pool->begin + k * pool->base + (k < pool->extra ? k : pool->extra);
    *begin = start;
    *end = start + pool->base + (k < pool->extra ? 1 : 0);
}

/* Runs chunks until none are left; called and returns with the mutex held. */
static void run_chunks(attend_pool *pool) {
    while (pool->busy && pool->next < pool->chunks) {
        int64_t k = pool->next++, begin, end;
        chunk_range(pool, k, &begin, &end);
        attend_task task = pool->task;
        void *context = pool->context;
        pthread_mutex_unlock(&pool->mutex);
        task(context, begin, end);
        pthread_mutex_lock(&pool->mutex);
        if (++pool->finished == pool->chunks) pthread_cond_signal(&pool->done);
    }
}

static void *worker_main(void *argument) {
    attend_pool *pool = argument;
    pthread_mutex_lock(&pool->mutex);
    for (;;) {
        while (!pool->shutdown && !(pool->busy && pool->next < pool->chunks)) pthread_cond_wait(&pool->work, &pool->mutex);
        if (pool->shutdown) break;
        run_chunks(pool);
    }
    pthread_mutex_unlock(&pool->mutex);
    return NULL;
}

static void stop_workers(attend_pool *pool) {
    pthread_mutex_lock(&pool->mutex);
    pool->shutdown = 1;
    pthread_cond_broadcast(&pool->work);
    pthread_mutex_unlock(&pool->mutex);
    for (int k = 0; k < pool->started; k++) pthread_join(pool->workers[k], NULL);
    pool->started = 0;
}

static void free_pool(attend_pool *pool) {
    pthread_cond_destroy(&pool->done);
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
    int status = pthread_mutex_init(&pool->mutex, NULL);
    if (status == 0) {
        status = pthread_cond_init(&pool->work, NULL);
        if (status != 0) pthread_mutex_destroy(&pool->mutex);
    }
    if (status == 0) {
        status = pthread_cond_init(&pool->done, NULL);
        if (status != 0) {
            pthread_cond_destroy(&pool->work);
            pthread_mutex_destroy(&pool->mutex);
        }
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
        for (int k = 0; k < threads - 1; k++) {
            status = pthread_create(&pool->workers[k], NULL, worker_main, pool);
            if (status != 0) {
                stop_workers(pool);
                free_pool(pool);
                attend_fail(error, "cannot start worker thread %d of %d (%s)", k + 1, threads - 1, strerror(status));
                return NULL;
            }
            pool->started++;
        }
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
    if (!pool || pool->threads <= 1 || length == 1 || length > (uint64_t)INT64_MAX) {
        task(context, begin, end);
        return;
    }
    pthread_mutex_lock(&pool->mutex);
    if (pool->busy) { /* re-entrant or concurrent call: run inline rather than wait */
        pthread_mutex_unlock(&pool->mutex);
        task(context, begin, end);
        return;
    }
    int64_t n = (int64_t)length;
    int64_t chunks = n < pool->threads ? n : pool->threads;
    pool->task = task;
    pool->context = context;
    pool->begin = begin;
    pool->base = n / chunks;
    pool->extra = n % chunks;
    pool->chunks = chunks;
    pool->next = 0;
    pool->finished = 0;
    pool->busy = 1;
    pthread_cond_broadcast(&pool->work);
    run_chunks(pool);
    while (pool->finished < pool->chunks) pthread_cond_wait(&pool->done, &pool->mutex);
    pool->busy = 0;
    pthread_mutex_unlock(&pool->mutex);
}

void attend_pool_destroy(attend_pool *pool) {
    if (!pool) return;
    stop_workers(pool);
    free_pool(pool);
}
