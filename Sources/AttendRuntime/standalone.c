/*
 * attend_main: the standalone executable of a compiled model, driven by its descriptor.
 *
 *   NAME [--weights W.safetensors] [--input [NAME=]IN.npy]... [--output [NAME=]OUT.npy]...
 *        [--threads N] [--bench N] [--help]
 *
 * Everything on the command line is checked before anything is loaded; every buffer is
 * allocated once, with overflow-checked sizes; every error is one line
 * `MODEL: error: MESSAGE` on stderr and exit status 1.
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attend_message.h"
#include "attend_runtime.h"

#define MAX_THREADS 1024
#define MAX_BENCH 1000000

typedef struct {
    const char *weights;
    const char **input_paths;  /* per input; NULL: zeros */
    const char **output_paths; /* per output; NULL: summarize */
    int threads, bench;        /* bench 0: one plain run */
    int profile;               /* with bench: per-kernel medians too */
    int help;
} options;

static const char *model_name(const attend_model_info *model) {
    return model && model->name ? model->name : "attend";
}

/* Prints `MODEL: error: MESSAGE` (both escaped to one line) and returns 1. */
static int report(const attend_model_info *model, const char *text) {
    char name[ATTEND_ERROR_SIZE], message[ATTEND_ERROR_SIZE];
    attend_message m;
    attend_message_begin(&m, name);
    attend_message_text(&m, model_name(model));
    attend_message_begin(&m, message);
    attend_message_text(&m, text && text[0] ? text : "unknown error");
    fprintf(stderr, "%s: error: %s\n", name, message);
    return 1;
}

static void list_names(attend_message *m, const attend_tensor_info *infos, int count) {
    for (int k = 0; k < count; k++) {
        attend_message_text(m, k ? ", " : "");
        attend_message_text(m, infos[k].name);
    }
}

/* `[NAME=]PATH` for one of `infos` (`kind` "input" or "output"); `bare` is the index a bare
 * PATH means, or -1 when the NAME= prefix is required. Returns 0 with `*index`, `*path`. */
static int resolve(const attend_tensor_info *infos, int count, const char *kind, const char *spec, int bare,
                   int *index, const char **path, char *error) {
    attend_message m;
    attend_message_begin(&m, error);
    const char *equals = strchr(spec, '=');
    if (equals) {
        size_t length = (size_t)(equals - spec);
        for (int k = 0; k < count; k++) {
            if (strlen(infos[k].name) == length && memcmp(infos[k].name, spec, length) == 0) {
                *index = k;
                *path = equals + 1;
                if (!**path) {
                    attend_message_format(&m, "missing path after '%s=' in --%s", infos[k].name, kind);
                    return 1;
                }
                return 0;
            }
        }
        /* `dir/a=b.npy` is a path, not NAME=PATH. */
        if (!memchr(spec, '/', length)) {
            attend_message_format(&m, "unknown %s '", kind);
            attend_message_bytes(&m, spec, length);
            attend_message_format(&m, "' (%ss: ", kind);
            if (count == 0) attend_message_text(&m, "none");
            list_names(&m, infos, count);
            attend_message_text(&m, ")");
            return 1;
        }
    }
    if (count == 0) {
        attend_message_format(&m, "the model has no %ss", kind);
        return 1;
    }
    if (bare < 0) {
        attend_message_format(&m, "--%s %s needs a NAME= prefix: the model has %d %ss (", kind, spec, count, kind);
        list_names(&m, infos, count);
        attend_message_text(&m, ")");
        return 1;
    }
    *index = bare;
    *path = spec;
    return 0;
}

/* A decimal integer in [minimum, maximum], nothing else. */
static int parse_count(const char *text, int minimum, int maximum, int *value) {
    long long result = 0;
    if (!*text) return 1;
    for (const char *c = text; *c; c++) {
        if (*c < '0' || *c > '9') return 1;
        result = result * 10 + (*c - '0');
        if (result > maximum) return 1;
    }
    if (result < minimum) return 1;
    *value = (int)result;
    return 0;
}

static int parse_options(const attend_model_info *model, int argc, char **argv, options *o, char *error) {
    int weights_given = 0, threads_given = 0, bench_given = 0, profile_given = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            o->help = 1;
            return 0;
        }
        if (strncmp(arg, "--", 2) != 0) return attend_fail(error, "unexpected argument '%s' (see --help)", arg);
        if (strcmp(arg, "--profile") == 0) {
            if (profile_given++) return attend_fail(error, "--profile given twice");
            o->profile = 1;
            continue;
        }
        /* --flag VALUE or --flag=VALUE */
        char flag[16];
        const char *value = NULL, *equals = strchr(arg, '=');
        size_t length = equals ? (size_t)(equals - arg) : strlen(arg);
        if (length >= sizeof flag) length = sizeof flag - 1; /* too long for any flag: unknown below */
        memcpy(flag, arg, length);
        flag[length] = '\0';
        int known = strcmp(flag, "--weights") == 0 || strcmp(flag, "--input") == 0 || strcmp(flag, "--output") == 0 ||
                    strcmp(flag, "--threads") == 0 || strcmp(flag, "--bench") == 0;
        if (!known || (equals ? (size_t)(equals - arg) : strlen(arg)) != length) {
            attend_message m;
            attend_message_begin(&m, error);
            attend_message_text(&m, "unknown option '");
            attend_message_bytes(&m, arg, equals ? (size_t)(equals - arg) : strlen(arg));
            attend_message_text(&m, "' (see --help)");
            return 1;
        }
        if (equals) value = equals + 1;
        else if (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0) value = argv[++i];
        if (!value || !*value) return attend_fail(error, "missing value for %s", flag);

        int index;
        const char *path;
        if (strcmp(flag, "--weights") == 0) {
            if (weights_given++) return attend_fail(error, "--weights given twice");
            o->weights = value;
        } else if (strcmp(flag, "--input") == 0) {
            if (resolve(model->inputs, model->input_count, "input", value, model->input_count == 1 ? 0 : -1, &index, &path, error)) return 1;
            if (o->input_paths[index]) return attend_fail(error, "--input %s given twice", model->inputs[index].name);
            o->input_paths[index] = path;
        } else if (strcmp(flag, "--output") == 0) {
            if (resolve(model->outputs, model->output_count, "output", value, 0, &index, &path, error)) return 1;
            if (o->output_paths[index]) return attend_fail(error, "--output %s given twice", model->outputs[index].name);
            o->output_paths[index] = path;
        } else if (strcmp(flag, "--threads") == 0) {
            if (threads_given++) return attend_fail(error, "--threads given twice");
            if (parse_count(value, 1, MAX_THREADS, &o->threads)) {
                return attend_fail(error, "invalid value '%s' for --threads (expected an integer from 1 to %d)", value, MAX_THREADS);
            }
        } else {
            if (bench_given++) return attend_fail(error, "--bench given twice");
            if (parse_count(value, 1, MAX_BENCH, &o->bench)) {
                return attend_fail(error, "invalid value '%s' for --bench (expected an integer from 1 to %d)", value, MAX_BENCH);
            }
        }
    }
    if (o->profile && !o->bench) return attend_fail(error, "--profile needs --bench N (the runs to take each kernel's median over)");
    if (o->profile && (model->kernel_count <= 0 || !model->kernel_names || !model->profile)) {
        return attend_fail(error, "--profile: this model does not report its kernels");
    }
    return 0;
}

/* Element counts of the descriptor's tensors, checked: 0 on success. */
static int check_tensors(const attend_tensor_info *infos, int count, const char *kind, size_t *counts, char *error) {
    for (int k = 0; k < count; k++) {
        const attend_tensor_info *info = &infos[k];
        if (!info->name || info->rank < 0 || info->rank > ATTEND_MAX_RANK) return attend_fail(error, "invalid model descriptor: bad %s %d", kind, k);
        size_t n = 1;
        for (int d = 0; d < info->rank; d++) {
            int64_t dim = info->shape[d];
            if (dim < 0) return attend_fail(error, "invalid model descriptor: %s %s has a negative dimension", kind, info->name);
            if (dim > 0 && n > SIZE_MAX / sizeof(float) / (uint64_t)dim) return attend_fail(error, "%s %s is too large to allocate", kind, info->name);
            n *= (size_t)dim;
        }
        counts[k] = n;
    }
    return 0;
}

static void usage(const attend_model_info *model) {
    const char *name = model_name(model);
    printf("usage: %s [--weights W.safetensors] [--input [NAME=]IN.npy]... [--output [NAME=]OUT.npy]...\n"
           "       %*s [--threads N] [--bench N [--profile]]\n\n", name, (int)strlen(name), "");
    printf("Runs the model on float32 .npy inputs (zeros without --input). Outputs without --output\n"
           "are summarized on stdout.\n\n");
    for (int list = 0; list < 2; list++) {
        const attend_tensor_info *infos = list ? model->outputs : model->inputs;
        int count = list ? model->output_count : model->input_count;
        printf("%s:\n", list ? "outputs" : "inputs");
        for (int k = 0; k < count; k++) {
            char line[ATTEND_ERROR_SIZE];
            attend_message m;
            attend_message_begin(&m, line);
            attend_message_text(&m, infos[k].name);
            attend_message_text(&m, " ");
            attend_message_shape(&m, infos[k].rank, infos[k].shape);
            printf("  %s\n", line);
        }
    }
    printf("\noptions:\n"
           "  --weights PATH         safetensors weights (PyTorch state_dict names)\n"
           "  --input [NAME=]PATH    an input .npy ('<f4' or '<f8', C order); NAME= may be left\n"
           "                         out when the model has one input\n"
           "  --output [NAME=]PATH   write an output as .npy; a bare PATH is the first output\n"
           "  --threads N            worker threads (default 1)\n"
           "  --bench N              time N runs after a warm-up run\n"
           "  --profile              with --bench: also each kernel's median time and share\n"
           "  --help                 this text\n");
}

/* `%.6g`, but NaN always reads `nan` (glibc may print `-nan`). */
static void format_number(char *out, size_t size, double value) {
    if (value != value) snprintf(out, size, "nan");
    else snprintf(out, size, "%.6g", value);
}

static void summarize(const attend_tensor_info *info, const float *data, size_t count) {
    char line[ATTEND_ERROR_SIZE];
    attend_message m;
    attend_message_begin(&m, line);
    attend_message_text(&m, info->name);
    attend_message_text(&m, ": ");
    attend_message_shape(&m, info->rank, info->shape);
    if (count == 0) {
        attend_message_text(&m, " (empty)");
    } else {
        double sum = 0, low = INFINITY, high = -INFINITY;
        int nan = 0;
        for (size_t i = 0; i < count; i++) {
            double x = data[i];
            sum += x;
            if (x != x) nan = 1;
            if (x < low) low = x;
            if (x > high) high = x;
        }
        if (nan) low = high = NAN; /* a NaN anywhere is what the reader needs to see */
        char mean[32], minimum[32], maximum[32];
        format_number(mean, sizeof mean, sum / (double)count);
        format_number(minimum, sizeof minimum, low);
        format_number(maximum, sizeof maximum, high);
        attend_message_format(&m, " mean %s min %s max %s", mean, minimum, maximum);
    }
    printf("%s\n", line);
}

static int compare_times(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int run_model(const attend_model_info *model, void *instance, float **inputs, float **outputs, char *error) {
    error[0] = '\0';
    if (model->run(instance, (const float *const *)inputs, outputs, error) == 0) return 0;
    if (!error[0]) attend_fail(error, "the model failed to run");
    return 1;
}

static double median_of(int64_t *values, int count) {
    qsort(values, (size_t)count, sizeof *values, compare_times);
    return count % 2 ? (double)values[count / 2] : ((double)values[count / 2 - 1] + (double)values[count / 2]) / 2;
}

/* Each kernel's median over the runs (`samples[run * kernels + k]`, in ns), its share of the
   kernels' total, and its name, one line per kernel in run order. `medians` (a double per
   kernel) and `column` (an int64_t per run) are work space. */
static void print_profile(const attend_model_info *model, int64_t *samples, int runs, double *medians, int64_t *column) {
    int kernels = model->kernel_count;
    double total = 0;
    for (int k = 0; k < kernels; k++) {
        for (int r = 0; r < runs; r++) column[r] = samples[(size_t)r * (size_t)kernels + (size_t)k];
        medians[k] = median_of(column, runs);
        total += medians[k];
    }
    printf("kernels: median ms per run, share of their sum (%.3f ms)\n", total / 1e6);
    for (int k = 0; k < kernels; k++) {
        char name[ATTEND_ERROR_SIZE];
        attend_message m;
        attend_message_begin(&m, name);
        attend_message_text(&m, model->kernel_names[k] ? model->kernel_names[k] : "?");
        printf("  k%-4d %9.3f %5.1f%%  %s\n", k, medians[k] / 1e6, total > 0 ? 100 * medians[k] / total : 0.0, name);
    }
}

/* Warm-up, then `runs` timed runs; prints min, median and p90 (and, with `profile`, each
   kernel's median: the runs are the same, the kernels timed as they go). */
static int bench(const attend_model_info *model, void *instance, float **inputs, float **outputs, int runs, int threads, int profile,
                 char *error) {
    int64_t *times = malloc((size_t)runs * sizeof *times), *samples = NULL, *column = NULL;
    double *medians = NULL;
    size_t kernels = profile ? (size_t)model->kernel_count : 0;
    if (profile && (size_t)runs > SIZE_MAX / sizeof(int64_t) / kernels) {
        free(times);
        return attend_fail(error, "--profile: %d runs of %zu kernels are too many to keep", runs, kernels);
    }
    if (profile) {
        samples = calloc((size_t)runs * kernels, sizeof *samples);
        column = malloc((size_t)runs * sizeof *column);
        medians = malloc(kernels * sizeof *medians);
    }
    if (!times || (profile && (!samples || !column || !medians))) {
        free(times);
        free(samples);
        free(column);
        free(medians);
        return attend_fail(error, "out of memory keeping the times of %d runs", runs);
    }
    int failed = run_model(model, instance, inputs, outputs, error);
    for (int k = 0; k < runs && !failed; k++) {
        if (profile) model->profile(instance, samples + (size_t)k * kernels);
        int64_t start = attend_now_ns();
        failed = run_model(model, instance, inputs, outputs, error);
        times[k] = attend_now_ns() - start;
    }
    if (profile) model->profile(instance, NULL);
    if (!failed) {
        double median = median_of(times, runs); /* sorts them */
        double p90 = (double)times[(9 * (int64_t)runs + 9) / 10 - 1]; /* nearest rank */
        printf("latency ms: min %.3f median %.3f p90 %.3f (%d run%s, %d thread%s)\n", (double)times[0] / 1e6, median / 1e6, p90 / 1e6,
               runs, runs == 1 ? "" : "s", threads, threads == 1 ? "" : "s");
        if (profile) print_profile(model, samples, runs, medians, column);
    }
    free(times);
    free(samples);
    free(column);
    free(medians);
    return failed;
}

static int standalone(const attend_model_info *model, int argc, char **argv) {
    char error[ATTEND_ERROR_SIZE] = "";
    if (!model || !model->create || !model->run || !model->destroy || model->input_count < 0 || model->output_count < 0 ||
        (model->input_count > 0 && !model->inputs) || (model->output_count > 0 && !model->outputs)) {
        return report(model, "invalid model descriptor");
    }
    int inputs_n = model->input_count, outputs_n = model->output_count, status = 1;
    size_t slots = (size_t)(inputs_n > outputs_n ? inputs_n : outputs_n) + 1;
    options o = {NULL, calloc(slots, sizeof(char *)), calloc(slots, sizeof(char *)), 1, 0, 0, 0};
    size_t *input_counts = calloc(slots, sizeof(size_t)), *output_counts = calloc(slots, sizeof(size_t));
    float **inputs = calloc(slots, sizeof(float *)), **outputs = calloc(slots, sizeof(float *));
    void *instance = NULL;
    if (!o.input_paths || !o.output_paths || !input_counts || !output_counts || !inputs || !outputs) {
        attend_fail(error, "out of memory");
        goto done;
    }
    if (check_tensors(model->inputs, inputs_n, "input", input_counts, error) ||
        check_tensors(model->outputs, outputs_n, "output", output_counts, error) ||
        parse_options(model, argc, argv, &o, error)) goto done;
    if (o.help) {
        usage(model);
        status = 0;
        goto done;
    }
    for (int list = 0; list < 2; list++) {
        int count = list ? outputs_n : inputs_n;
        for (int k = 0; k < count; k++) {
            size_t n = list ? output_counts[k] : input_counts[k];
            float *buffer = calloc(n ? n : 1, sizeof(float));
            if (!buffer) {
                attend_fail(error, "out of memory allocating %s %s (%zu floats)", list ? "output" : "input",
                            list ? model->outputs[k].name : model->inputs[k].name, n);
                goto done;
            }
            if (list) outputs[k] = buffer; else inputs[k] = buffer;
        }
    }
    for (int k = 0; k < inputs_n; k++) {
        if (o.input_paths[k] && attend_npy_read(o.input_paths[k], model->inputs[k].rank, model->inputs[k].shape, inputs[k], error)) goto done;
    }
    instance = model->create(o.weights, o.threads, error);
    if (!instance) {
        if (!error[0]) attend_fail(error, "cannot create the model");
        goto done;
    }
    if (o.bench > 0 ? bench(model, instance, inputs, outputs, o.bench, o.threads, o.profile, error) : run_model(model, instance, inputs, outputs, error)) goto done;
    for (int k = 0; k < outputs_n; k++) {
        if (!o.output_paths[k]) summarize(&model->outputs[k], outputs[k], output_counts[k]);
        else if (attend_npy_write(o.output_paths[k], model->outputs[k].rank, model->outputs[k].shape, outputs[k], error)) goto done;
    }
    if (fflush(stdout) != 0) {
        attend_fail(error, "cannot write to standard output");
        goto done;
    }
    status = 0;
done:
    if (instance) model->destroy(instance);
    for (size_t k = 0; k + 1 < slots; k++) {
        if (inputs) free(inputs[k]);
        if (outputs) free(outputs[k]);
    }
    free(inputs);
    free(outputs);
    free(input_counts);
    free(output_counts);
    free((void *)o.input_paths);
    free((void *)o.output_paths);
    if (status != 0) report(model, error);
    return status;
}

/* The program runs on a thread with a stack of known size (`ATTEND_THREAD_STACK_BYTES`):
 * kernels keep per-task buffers on the stack, and `ulimit -s` may give the main thread less.
 * Where no such thread can be started, it runs on the main thread as before. */
typedef struct {
    const attend_model_info *model;
    int argc;
    char **argv;
    int status;
} standalone_call;

static void *run_standalone(void *opaque) {
    standalone_call *call = opaque;
    call->status = standalone(call->model, call->argc, call->argv);
    return NULL;
}

int attend_main(const attend_model_info *model, int argc, char **argv) {
    standalone_call call = {model, argc, argv, 1};
    pthread_attr_t attributes;
    pthread_t thread;
    if (pthread_attr_init(&attributes) != 0) return standalone(model, argc, argv);
    int status = pthread_attr_setstacksize(&attributes, ATTEND_THREAD_STACK_BYTES);
    if (status == 0) status = pthread_create(&thread, &attributes, run_standalone, &call);
    pthread_attr_destroy(&attributes);
    if (status != 0) return standalone(model, argc, argv);
    pthread_join(thread, NULL);
    return call.status;
}
