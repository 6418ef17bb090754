// SFNN training (Section 5): the batch kernel (exact and Monte Carlo, B = 128) and one epoch
// at N = 12 000 and 50 000 (paper defaults: N_H 250, D 512, diagonal covariance, Adam, batch
// 128), beside the GEMM yardsticks of the batch shapes:
//   forward  S = X xi^T         (128 x 512 times 512 x 250)
//   gradient G = R^T X          (250 x 128 times 128 x 512)
// GEMM FLOPs per batch: exact 4 x 2 B N_H D (S, (X*p) xi^T, R^T X, Post^T (X*p));
// Monte Carlo 2 x 2 B N_H D (S, P_H^T X) plus O(B M D) gathers.
#include <vector>

#include "bench_common.hpp"

#include "reclag/train/sfnn_objective.hpp"
#include "reclag/train/sfnn_trainer.hpp"

namespace {

using namespace reclag_bench;

constexpr Index kBatch = 128;
constexpr Index kMc = 5;

const Mat& train_features(Index n) {
    if (n == 12000) {
        static const Mat x = make_features(12000, 41).x;
        return x;
    }
    static const Mat x = make_features(50000, 43).x;
    return x;
}

void BM_GemmForward(benchmark::State& state) { gemm_yardstick(state, state.range(0), kDim, kHidden); }

/// grad_xi = R^T X with R (B x N_H) and X (B x D) row-major, result N_H x D row-major.
void BM_GemmGradient(benchmark::State& state) {
    const Index b = state.range(0);
    const Mat x = make_features(b, 51).x;
    const Mat r = make_features(b, 52).x.leftCols(kHidden);
    Mat g(kHidden, kDim);
    for (auto _ : state) {
        g.noalias() = r.transpose() * x;
        benchmark::DoNotOptimize(g.data());
        benchmark::ClobberMemory();
    }
    set_counters(state, b, gemm_flops(kHidden, b, kDim));
}

struct Kernel {
    reclag::SfnnObjective<float> k;
    Mat xi = make_xi(kHidden, 202);
    Vec lv = Vec::Zero(kDim);
    Mat u;
    Kernel() {
        k.reserve(kBatch, kHidden, kDim, kMc);
        Mat x = make_features(kBatch, 53).x;
        reclag::normalize_rows_inplace(x, 10.0f);
        k.input(kBatch) = x;
        std::mt19937_64 rng(54);
        std::uniform_real_distribution<float> ud(0.0f, 1.0f);
        u.resize(kBatch, kMc);
        for (Index i = 0; i < u.size(); ++i) u.data()[i] = ud(rng);
    }
};

void BM_KernelExact(benchmark::State& state) {
    Kernel kn;
    for (auto _ : state) {
        float j = kn.k.exact(kBatch, kn.xi, kn.lv, 5.0f, reclag::VarianceLayout::PerDimension, true);
        benchmark::DoNotOptimize(j);
        benchmark::ClobberMemory();
    }
    set_counters(state, kBatch, 4 * gemm_flops(kBatch, kDim, kHidden));
}

void BM_KernelMc(benchmark::State& state) {
    Kernel kn;
    for (auto _ : state) {
        kn.k.p_H(kBatch, kn.xi, 5.0f);
        kn.k.sample_indices(kBatch, kn.u);
        float j = kn.k.monte_carlo(kBatch, kMc, kn.xi, kn.lv, 5.0f, reclag::VarianceLayout::PerDimension, true);
        benchmark::DoNotOptimize(j);
        benchmark::ClobberMemory();
    }
    set_counters(state, kBatch, 2 * gemm_flops(kBatch, kDim, kHidden));
}

/// One epoch = SfnnTrainer::fit with epochs = 1 (includes drawing the 250 initial rows and one
/// shuffle, both O(N) and negligible beside the N / 128 optimiser steps).
void run_epoch(benchmark::State& state, reclag::SfnnEstimator estimator) {
    const Index n = state.range(0);
    const Mat& x = train_features(n);
    reclag::SfnnTrainer<float>::Param p;
    p.epochs = 1;
    p.estimator = estimator;
    p.seed = 1;
    for (auto _ : state) {
        reclag::SfnnTrainer<float> trainer(p);
        auto r = trainer.fit(x);
        benchmark::DoNotOptimize(r.xi.data());
    }
    const double per_batch = (estimator == reclag::SfnnEstimator::Exact ? 4 : 2) * gemm_flops(1, kDim, kHidden);
    set_counters(state, n, per_batch * static_cast<double>(n));
}
void BM_EpochExact(benchmark::State& state) { run_epoch(state, reclag::SfnnEstimator::Exact); }
void BM_EpochMc(benchmark::State& state) { run_epoch(state, reclag::SfnnEstimator::MonteCarlo); }

}  // namespace

BENCHMARK(BM_GemmForward)->Name("gemm")->Arg(kBatch)->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_GemmGradient)->Name("gemm_grad")->Arg(kBatch)->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_KernelExact)->Name("sfnn_kernel_exact")->Arg(kBatch)->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_KernelMc)->Name("sfnn_kernel_mc")->Arg(kBatch)->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_EpochExact)->Name("sfnn_epoch_exact")->Arg(12000)->Arg(50000)->UseRealTime()->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EpochMc)->Name("sfnn_epoch_mc")->Arg(12000)->Arg(50000)->UseRealTime()->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);

RECLAG_BENCHMARK_MAIN()
