// llama_ref: what `llama-bench` does for its pp and tg tests, in one small
// program, linked against the llama.cpp that llama-cpp-sys-2 vendors but
// compiled by CMake on its own (benches/llama_ref/CMakeLists.txt). It is the
// independent reference that scripts/llama_ref_abba.sh runs against
// `edgebench run` (issue 15 §2; docs/llama-reference.md).
//
//   llama_ref -m MODEL [-t THREADS] [-p N_PROMPT] [-n N_GEN] [-r REPS]
//             [-b BATCH] [-ub UBATCH] [--no-warmup | --warmup-full] [-v]
//
// Defaults are llama-bench's: -p 512 -n 128 -r 5 -b 2048 -ub 512, threads =
// the hardware's. As in llama-bench, -p and -n are separate tests (ppN, then
// tgN), each on a fresh context with n_ctx = N_PROMPT + N_GEN, F16 KV cache,
// flash attention "auto", a ggml threadpool of THREADS threads attached,
// and llama_set_n_threads(THREADS, THREADS). Per test:
//   - warm-up (unless --no-warmup): the whole prompt for pp, one token for tg
//     (--warmup-full: all N_GEN tokens, i.e. one whole repetition, which is
//     what `edgebench run --warmup 1` does);
//   - REPS times: clear the KV cache (llama_memory_clear), then time with a
//     steady clock: pp = the prompt in llama_batch_get_one chunks of BATCH
//     tokens (the context splits them into UBATCH micro-batches), first token
//     BOS when the vocab adds one, the rest rand() % n_vocab, one
//     llama_synchronize at the end; tg = N_GEN single-token decodes, each
//     followed by llama_synchronize, the next token rand() % n_vocab (no
//     sampling; logits of the last token only, as llama_batch_get_one asks).
// Output: one JSON line per test on stdout, like llama-bench -o jsonl:
//   {"test":"pp512","n_prompt":512,"n_gen":0,"n_threads":2,...,
//    "avg_ns":...,"stddev_ns":...,"avg_ts":...,"stddev_ts":...,
//    "samples_ns":[...],"samples_ts":[...]}
// where ts = 1e9 * (n_prompt + n_gen) / ns per rep and avg_ts is their mean.
#include "ggml-cpu.h"
#include "ggml.h"
#include "llama.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#ifndef LLAMA_REF_BUILD_TYPE
#    define LLAMA_REF_BUILD_TYPE "unknown"
#    define LLAMA_REF_CXX_FLAGS  "unknown"
#    define LLAMA_REF_NATIVE     "unknown"
#    define LLAMA_REF_OPENMP     "unknown"
#    define LLAMA_REF_SHARED     "unknown"
#endif

struct args {
    std::string model;
    int         n_threads = (int) std::max(1u, std::thread::hardware_concurrency());
    int         n_prompt  = 512;
    int         n_gen     = 128;
    int         reps      = 5;
    int         n_batch   = 2048;
    int         n_ubatch  = 512;
    bool        warmup      = true;
    bool        warmup_full = false;
    bool        verbose     = false;
};

static void usage(const char * argv0) {
    fprintf(stderr,
            "usage: %s -m MODEL [-t THREADS] [-p N_PROMPT] [-n N_GEN] [-r REPS] [-b BATCH] [-ub UBATCH] "
            "[--no-warmup | --warmup-full] [-v]\n",
            argv0);
}

static bool parse_int(const char * s, int min, int * out) {
    char * end = nullptr;
    long   v   = strtol(s, &end, 10);
    if (end == s || *end != '\0' || v < min || v > 1 << 24) {
        return false;
    }
    *out = (int) v;
    return true;
}

// Returns false (after saying why) on a bad command line.
static bool parse_args(int argc, char ** argv, args & a) {
    for (int i = 1; i < argc; i++) {
        const std::string flag = argv[i];
        if (flag == "--no-warmup") {
            a.warmup = false;
            continue;
        }
        if (flag == "--warmup-full") {
            a.warmup_full = true;
            continue;
        }
        if (flag == "-v") {
            a.verbose = true;
            continue;
        }
        if (flag == "-h" || flag == "--help") {
            return false;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "llama_ref: %s needs a value\n", flag.c_str());
            return false;
        }
        const char * v  = argv[++i];
        bool         ok = true;
        if (flag == "-m") {
            a.model = v;
        } else if (flag == "-t") {
            ok = parse_int(v, 1, &a.n_threads);
        } else if (flag == "-p") {
            ok = parse_int(v, 0, &a.n_prompt);
        } else if (flag == "-n") {
            ok = parse_int(v, 0, &a.n_gen);
        } else if (flag == "-r") {
            ok = parse_int(v, 1, &a.reps);
        } else if (flag == "-b") {
            ok = parse_int(v, 1, &a.n_batch);
        } else if (flag == "-ub") {
            ok = parse_int(v, 1, &a.n_ubatch);
        } else {
            fprintf(stderr, "llama_ref: unknown flag %s\n", flag.c_str());
            return false;
        }
        if (!ok) {
            fprintf(stderr, "llama_ref: bad value '%s' for %s\n", v, flag.c_str());
            return false;
        }
    }
    if (a.model.empty()) {
        fprintf(stderr, "llama_ref: -m MODEL is required\n");
        return false;
    }
    if (a.n_prompt == 0 && a.n_gen == 0) {
        fprintf(stderr, "llama_ref: nothing to do with -p 0 -n 0\n");
        return false;
    }
    return true;
}

static uint64_t now_ns() {
    return (uint64_t) std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// The prompt in chunks of n_batch tokens; one synchronize at the end.
static bool run_prompt(llama_context * ctx, int n_prompt, int n_batch, int n_threads) {
    llama_set_n_threads(ctx, n_threads, n_threads);
    const llama_vocab *      vocab   = llama_model_get_vocab(llama_get_model(ctx));
    const int32_t            n_vocab = llama_vocab_n_tokens(vocab);
    std::vector<llama_token> tokens(n_batch);
    for (int done = 0; done < n_prompt;) {
        const int n = std::min(n_prompt - done, n_batch);
        tokens[0]   = done == 0 && llama_vocab_get_add_bos(vocab) ? llama_vocab_bos(vocab) : std::rand() % n_vocab;
        for (int i = 1; i < n; i++) {
            tokens[i] = std::rand() % n_vocab;
        }
        const int rc = llama_decode(ctx, llama_batch_get_one(tokens.data(), n));
        if (rc != 0) {
            fprintf(stderr, "llama_ref: llama_decode of a prompt batch failed (%d)\n", rc);
            return false;
        }
        done += n;
    }
    llama_synchronize(ctx);
    return true;
}

// n_gen single-token decodes, each synchronized.
static bool run_gen(llama_context * ctx, int n_gen, int n_threads) {
    llama_set_n_threads(ctx, n_threads, n_threads);
    const llama_vocab * vocab   = llama_model_get_vocab(llama_get_model(ctx));
    const int32_t       n_vocab = llama_vocab_n_tokens(vocab);
    llama_token         token   = llama_vocab_get_add_bos(vocab) ? llama_vocab_bos(vocab) : std::rand() % n_vocab;
    for (int i = 0; i < n_gen; i++) {
        const int rc = llama_decode(ctx, llama_batch_get_one(&token, 1));
        if (rc != 0) {
            fprintf(stderr, "llama_ref: llama_decode of a generated token failed (%d)\n", rc);
            return false;
        }
        llama_synchronize(ctx);
        token = std::rand() % n_vocab;
    }
    return true;
}

static double mean(const std::vector<double> & v) {
    double s = 0;
    for (double x : v) {
        s += x;
    }
    return v.empty() ? 0 : s / (double) v.size();
}

// Sample standard deviation (n - 1), as llama-bench reports it.
static double stddev(const std::vector<double> & v) {
    if (v.size() < 2) {
        return 0;
    }
    const double m  = mean(v);
    double       sq = 0;
    for (double x : v) {
        sq += (x - m) * (x - m);
    }
    return std::sqrt(sq / (double) (v.size() - 1));
}

static std::string join(const std::vector<double> & v, const char * fmt) {
    std::string out;
    char        buf[64];
    for (size_t i = 0; i < v.size(); i++) {
        snprintf(buf, sizeof(buf), fmt, v[i]);
        out += (i ? ", " : "") + std::string(buf);
    }
    return out;
}

// One llama-bench test (pp when n_gen == 0, tg when n_prompt == 0) on a
// fresh context; prints its JSON line. Returns false on a llama.cpp failure.
static bool run_test(llama_model * model, const args & a, int n_prompt, int n_gen) {
    llama_context_params cp = llama_context_default_params();
    cp.n_ctx                = n_prompt + n_gen;
    cp.n_batch              = a.n_batch;
    cp.n_ubatch             = a.n_ubatch;
    cp.type_k               = GGML_TYPE_F16;
    cp.type_v               = GGML_TYPE_F16;
    cp.flash_attn_type      = LLAMA_FLASH_ATTN_TYPE_AUTO;
    cp.offload_kqv          = true;
    cp.embeddings           = false;
    cp.op_offload           = true;
    cp.swa_full             = false;
    llama_context * ctx     = llama_init_from_model(model, cp);
    if (!ctx) {
        fprintf(stderr, "llama_ref: could not create a context (n_ctx %d)\n", cp.n_ctx);
        return false;
    }
    llama_memory_clear(llama_get_memory(ctx), false);

    ggml_threadpool_params tpp = ggml_threadpool_params_default(a.n_threads);
    ggml_threadpool *      tp  = ggml_threadpool_new(&tpp);
    if (!tp) {
        fprintf(stderr, "llama_ref: could not create a threadpool of %d threads\n", a.n_threads);
        llama_free(ctx);
        return false;
    }
    llama_attach_threadpool(ctx, tp, nullptr);

    auto once = [&](int p, int g) {
        return (p == 0 || run_prompt(ctx, p, a.n_batch, a.n_threads)) && (g == 0 || run_gen(ctx, g, a.n_threads));
    };
    bool ok = !a.warmup || once(n_prompt, a.warmup_full ? n_gen : std::min(n_gen, 1));
    std::vector<double> ns;
    for (int r = 0; ok && r < a.reps; r++) {
        llama_memory_clear(llama_get_memory(ctx), false);
        const uint64_t t0 = now_ns();
        ok                = once(n_prompt, n_gen);
        ns.push_back((double) (now_ns() - t0));
    }
    llama_free(ctx);
    ggml_threadpool_free(tp);
    if (!ok) {
        return false;
    }

    std::vector<double> ts;
    for (double t : ns) {
        ts.push_back(1e9 * (double) (n_prompt + n_gen) / t);
    }
    char test[32];
    if (n_gen == 0) {
        snprintf(test, sizeof(test), "pp%d", n_prompt);
    } else if (n_prompt == 0) {
        snprintf(test, sizeof(test), "tg%d", n_gen);
    } else {
        snprintf(test, sizeof(test), "pp%d+tg%d", n_prompt, n_gen);
    }
    char desc[128];
    llama_model_desc(model, desc, sizeof(desc));
    printf("{\"test\": \"%s\", \"model_type\": \"%s\", \"n_prompt\": %d, \"n_gen\": %d, \"n_batch\": %d, "
           "\"n_ubatch\": %d, \"n_threads\": %d, \"type_k\": \"f16\", \"type_v\": \"f16\", \"flash_attn\": \"auto\", "
           "\"warmup\": \"%s\", \"build_type\": \"%s\", \"cxx_flags\": \"%s\", \"ggml_native\": \"%s\", "
           "\"ggml_openmp\": \"%s\", \"shared_libs\": \"%s\", \"avg_ns\": %.0f, \"stddev_ns\": %.0f, "
           "\"avg_ts\": %.6f, \"stddev_ts\": %.6f, \"samples_ns\": [ %s ], \"samples_ts\": [ %s ]}\n",
           test, desc, n_prompt, n_gen, a.n_batch, a.n_ubatch, a.n_threads, !a.warmup ? "none" : a.warmup_full ? "full" : "llama-bench",
           LLAMA_REF_BUILD_TYPE, LLAMA_REF_CXX_FLAGS, LLAMA_REF_NATIVE, LLAMA_REF_OPENMP, LLAMA_REF_SHARED,
           mean(ns), stddev(ns), mean(ts), stddev(ts), join(ns, "%.0f").c_str(), join(ts, "%.6f").c_str());
    fflush(stdout);
    return true;
}

static void quiet_log(ggml_log_level, const char *, void *) {}

int main(int argc, char ** argv) {
    args a;
    if (!parse_args(argc, argv, a)) {
        usage(argv[0]);
        return 2;
    }
    if (!a.verbose) {
        llama_log_set(quiet_log, nullptr);
    }
    ggml_backend_load_all();
    llama_backend_init();
    llama_numa_init(GGML_NUMA_STRATEGY_DISABLED);

    llama_model * model = llama_model_load_from_file(a.model.c_str(), llama_model_default_params());
    if (!model) {
        fprintf(stderr, "llama_ref: could not load model %s\n", a.model.c_str());
        return 1;
    }
    bool ok = true;
    if (a.n_prompt > 0) {
        ok = run_test(model, a, a.n_prompt, 0);
    }
    if (ok && a.n_gen > 0) {
        ok = run_test(model, a, 0, a.n_gen);
    }
    llama_model_free(model);
    llama_backend_free();
    return ok ? 0 : 1;
}
