// reclag benchmarks: synthetic data (fixed seeds, generated outside the timed loops), the
// Eigen GEMM/GEMV yardsticks and the counters every bench_<area>.cpp shares.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <benchmark/benchmark.h>

#include "reclag/core/types.hpp"

namespace reclag_bench {

using reclag::Index;
using Mat = reclag::RowMatrix<float>;
using Vec = reclag::Vector<float>;

inline constexpr Index kDim = 512;      // D, ResNet-18 penultimate features
inline constexpr Index kHidden = 250;   // N_H
inline constexpr Index kClasses = 10;   // C

/// Post-ReLU-like features: x = max(0, mu_c + N(0, 1)) with a class centre mu_c whose entries
/// are max(0, N(0, 1)) (about half of the activations of a row are zero, like ResNet features).
/// Row i belongs to class labels[i].
struct ClassData {
    Mat centres;                       // C x D, non-negative
    Mat x;                             // n x D
    reclag::LabelVector labels;        // n
};

inline Mat class_centres(std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    Mat c(kClasses, kDim);
    for (Index i = 0; i < c.size(); ++i) c.data()[i] = std::max(0.0f, nd(rng)) * 1.5f;
    return c;
}

/// n rows, classes assigned round-robin (so every class has n / C rows, or one more).
inline ClassData make_features(Index n, std::uint64_t seed, std::uint64_t centre_seed = 7) {
    ClassData d;
    d.centres = class_centres(centre_seed);
    d.x.resize(n, kDim);
    d.labels.resize(n);
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    for (Index i = 0; i < n; ++i) {
        const Index c = i % kClasses;
        d.labels(i) = c;
        for (Index j = 0; j < kDim; ++j) d.x(i, j) = std::max(0.0f, d.centres(c, j) + nd(rng));
    }
    return d;
}

/// A classifier head that mostly predicts the right class: W = centres - mean centre, b = 0.
struct Head {
    Mat w;   // C x D
    Vec b;   // C
};
inline Head make_head(const Mat& centres) {
    Head h;
    h.w = centres.rowwise() - centres.colwise().mean();
    h.w *= 0.1f;
    h.b = Vec::Zero(centres.rows());
    return h;
}

/// An interaction matrix xi (N_H x D): non-negative rows of L2 norm 10, like SFNN's init.
inline Mat make_xi(Index n_hidden, std::uint64_t seed) {
    const ClassData d = make_features(n_hidden, seed);
    Mat xi = d.x;
    for (Index i = 0; i < xi.rows(); ++i) xi.row(i) *= 10.0f / xi.row(i).norm();
    return xi;
}

/// Counters: items (samples) per second and, when the FLOP count is well defined, GFLOP/s.
inline void set_counters(benchmark::State& state, Index items, double flops_per_iter) {
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * items);
    if (flops_per_iter > 0)
        state.counters["GFLOPs"] = benchmark::Counter(flops_per_iter * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

inline double gemm_flops(Index m, Index k, Index n) {
    return 2.0 * static_cast<double>(m) * static_cast<double>(k) * static_cast<double>(n);
}

/// The yardstick: C (n x N) = A (n x K) * B^T with B (N x K) row-major, exactly the product
/// RecLag/MHE scoring and SFNN compute (X xi^T). Inputs generated once per shape.
inline void gemm_yardstick(benchmark::State& state, Index n, Index k, Index m) {
    const Mat a = make_features(n, 101).x;
    const Mat b = make_xi(m, 202).leftCols(k);
    Mat c(n, m);
    for (auto _ : state) {
        c.noalias() = a * b.transpose();
        benchmark::DoNotOptimize(c.data());
        benchmark::ClobberMemory();
    }
    set_counters(state, n, gemm_flops(n, k, m));
}

/// Records, once per binary, how Eigen was built: SIMD set and threads.
inline void add_build_context() {
    benchmark::AddCustomContext("eigen_simd", Eigen::SimdInstructionSetsInUse());
    benchmark::AddCustomContext("eigen_threads", std::to_string(Eigen::nbThreads()));
#if defined(EIGEN_HAS_OPENMP)
    benchmark::AddCustomContext("eigen_openmp", "yes");
#else
    benchmark::AddCustomContext("eigen_openmp", "no");
#endif
#if defined(__AVX2__) && defined(__FMA__)
    benchmark::AddCustomContext("avx2_fma", "yes");
#else
    benchmark::AddCustomContext("avx2_fma", "no");
#endif
#if defined(NDEBUG)
    benchmark::AddCustomContext("ndebug", "yes");
#else
    benchmark::AddCustomContext("ndebug", "no");
#endif
}

}  // namespace reclag_bench

/// main() of every benchmark binary: the build context, then Google Benchmark's usual flags.
#define RECLAG_BENCHMARK_MAIN()                                      \
    int main(int argc, char** argv) {                                \
        reclag_bench::add_build_context();                           \
        benchmark::Initialize(&argc, argv);                          \
        if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1; \
        benchmark::RunSpecifiedBenchmarks();                         \
        benchmark::Shutdown();                                       \
        return 0;                                                    \
    }
