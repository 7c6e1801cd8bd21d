/*
 * The Attend runtime: the small, portable C11 library every generated model links.
 * Dependencies: libc, libm, pthreads. Nothing else.
 *
 * Generated code (`attend compile`) calls the weights and thread-pool functions; the
 * standalone executable's main() is `attend_main`, driven by the model's descriptor.
 */
#ifndef ATTEND_RUNTIME_H
#define ATTEND_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ATTEND_MAX_RANK 8
#define ATTEND_ERROR_SIZE 512

/* The stack the runtime gives the threads it starts (pool workers, the standalone program's
 * thread): kernels keep per-task buffers (packed weight panels, Winograd tiles) on the stack,
 * up to about 1 MiB. A thread of yours that calls a model's run needs that much too. */
#define ATTEND_THREAD_STACK_BYTES ((size_t)16 << 20)

/* ---- Errors ---------------------------------------------------------------------------
 * Functions that can fail return 0 on success and nonzero on failure, writing a one-line
 * message (no trailing newline) into `error` (ATTEND_ERROR_SIZE bytes). */

/* ---- Arena ----------------------------------------------------------------------------
 * One allocation for all intermediates, 64-byte aligned and zero-filled, made once at model
 * creation. `floats` may be 0 (a valid pointer is still returned). */
float *attend_arena_create(size_t floats, char *error);
void attend_arena_destroy(float *arena);

/* ---- Weights (safetensors) ------------------------------------------------------------
 * The file is mapped read-only (mmap) and its header validated as untrusted input: header
 * length against the file size (and 100 MB), strict JSON with bounded nesting, known
 * dtypes, shapes without overflow, offsets in bounds and tiling the data buffer (no
 * overlaps, gaps or trailing bytes, as the reference implementation requires), unique
 * names. Errors in the file are `PATH: MESSAGE`. F32 tensors are used in place when
 * 4-byte aligned (copied otherwise); F16 and BF16 are converted exactly to float32 into
 * owned memory, once. Other dtypes may be in the file (e.g. I64 `num_batches_tracked`)
 * but cannot be got. */
typedef struct attend_weights attend_weights;

attend_weights *attend_weights_open(const char *path, char *error);
/* The float32 data of tensor `name`, which must have exactly this shape (strict, like
 * load_state_dict): a missing tensor (`missing key: NAME`), a wrong shape (`size mismatch
 * for NAME: checkpoint has [3, 2], model needs [2, 3]`) or an unsupported dtype is an
 * error. The pointer lives as long as `weights`. */
int attend_weights_get(attend_weights *weights, const char *name, int rank, const int64_t *shape,
                       const float **data, char *error);
/* Every tensor name in the file not in `known` (and not in `ignored`) is an error listing
 * them all in name order: `unexpected key: a` or `unexpected keys: a, b`. */
int attend_weights_check_unexpected(const attend_weights *weights, const char *const *known, int known_count,
                                    const char *const *ignored, int ignored_count, char *error);
/* Strict loading checked whole before any tensor is read, in the words of `attend run`'s
 * interpreter (and PyTorch's load_state_dict): every missing key (in `names` order), every
 * unexpected key (in name order, `ignored` excepted) and every size mismatch, in one message
 * `weights do not match model 'MODEL': missing keys: a, b; unexpected key: c; size mismatch
 * for d: checkpoint has [3], model needs [2]`; each list stops after 10 names with
 * "and N more". `shapes[k]` holds `ranks[k]` dimensions. Returns nonzero on any problem. */
int attend_weights_check(const attend_weights *weights, const char *model, const char *const *names, const int *ranks,
                         const int64_t *const *shapes, int count, const char *const *ignored, int ignored_count, char *error);
void attend_weights_close(attend_weights *weights);

/* ---- .npy (float32, C order) ------------------------------------------------------------ */
/* Reads a float32 ('<f4', or '<f8' converted) C-order array (format 1.0, 2.0 or 3.0)
 * whose shape must equal `shape`; any other dtype, order or shape, or a truncated or
 * oversized file, is an error `PATH: MESSAGE`. `data` holds the product of `shape` floats.
 * Writing produces exactly the bytes numpy.save does (version 1.0, '<f4', C order). Ranks
 * up to 64. */
int attend_npy_read(const char *path, int rank, const int64_t *shape, float *data, char *error);
int attend_npy_write(const char *path, int rank, const int64_t *shape, const float *data, char *error);

/* ---- Threads ----------------------------------------------------------------------------
 * A fixed pool of `threads` (1 to 1024): threads - 1 workers plus the caller.
 * `attend_parallel_for` splits [begin, end) into at most 4 x `threads` contiguous chunks of
 * near-equal length, runs `task(context, chunk_begin, chunk_end)` on the workers and the
 * caller (each claims the next chunk; workers spin briefly between jobs, then sleep), and
 * returns when all are done; an empty range calls nothing. A pool of 1 thread
 * (or NULL) runs the task inline, and so does a call made while the pool is busy (from a
 * task, or from another thread), so nested calls cannot deadlock. */
typedef struct attend_pool attend_pool;
typedef void (*attend_task)(void *context, int64_t begin, int64_t end);

attend_pool *attend_pool_create(int threads, char *error);
int attend_pool_threads(const attend_pool *pool);
void attend_parallel_for(attend_pool *pool, int64_t begin, int64_t end, attend_task task, void *context);
void attend_pool_destroy(attend_pool *pool);

/* ---- Time -------------------------------------------------------------------------------- */
/* A monotonic clock in nanoseconds. */
int64_t attend_now_ns(void);
/* Adds the time since `*mark` to `*slot` and moves the mark to now: a profiled run calls it
   after each kernel. */
void attend_profile_mark(int64_t *slot, int64_t *mark);

/* ---- The model interface and the standalone executable ---------------------------------- */
typedef struct {
    const char *name;
    int rank;
    int64_t shape[ATTEND_MAX_RANK];
} attend_tensor_info;

typedef struct {
    const char *name;
    int input_count;
    const attend_tensor_info *inputs;
    int output_count;
    const attend_tensor_info *outputs;
    /* Creates a model instance from a weights file with `threads` workers; NULL on error. */
    void *(*create)(const char *weights_path, int threads, char *error);
    /* Runs on caller buffers (inputs and outputs in descriptor order); 0 on success. */
    int (*run)(void *model, const float *const *inputs, float *const *outputs, char *error);
    void (*destroy)(void *model);
    /* The kernels `run` calls, in order, each named after its layer, op and strategy (as
       `attend check --kernels` lists them). */
    int kernel_count;
    const char *const *kernel_names;
    /* While `kernel_ns` is set (NULL stops it), each run adds each kernel's wall time to
       `kernel_ns[k]` (`kernel_count` entries). */
    void (*profile)(void *model, int64_t *kernel_ns);
} attend_model_info;

/* main() of a compiled model:
 *   NAME [--weights W.safetensors] [--input [NAME=]IN.npy]... [--output [NAME=]OUT.npy]...
 *        [--threads N] [--bench N] [--help]
 * (`--flag=VALUE` works too.) Without --weights, `create` gets NULL. A bare input PATH is
 * allowed when the model has one input; a bare output PATH means the first output.
 * Without --input, inputs are zero. Outputs without --output are summarized on stdout,
 * one line each: `NAME: [2, 3] mean M min A max B`. --bench N runs N timed iterations
 * after a warm-up and prints `latency ms: min X median Y p90 Z (N runs, T threads)`.
 * Errors print one line `NAME: error: MESSAGE` on stderr and exit 1; success is 0.
 * The linked symbol is `attend_standalone_main`: SwiftPM names the entry point of the
 * `attend` executable module `attend_main`, and both end up in one test binary. */
#define attend_main attend_standalone_main
int attend_main(const attend_model_info *model, int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif
