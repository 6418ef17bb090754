// OOD metrics on 1 000 000 scores (500 000 ID + 500 000 OOD, float, as scorers return them),
// beside the yardstick: std::sort of the same 1 000 000 values (copied into a buffer each
// iteration, as every metric also copies its input before sorting).
#include <algorithm>
#include <cstring>
#include <random>
#include <vector>

#include "bench_common.hpp"

#include "reclag/metrics/ood_metrics.hpp"

namespace {

using namespace reclag_bench;

constexpr Index kHalf = 500000;

struct Scores {
    Vec id, ood, all;
    Scores() : id(kHalf), ood(kHalf), all(2 * kHalf) {
        std::mt19937_64 rng(61);
        std::normal_distribution<float> nd(0.0f, 1.0f);
        for (Index i = 0; i < kHalf; ++i) id(i) = 1.0f + nd(rng);
        for (Index i = 0; i < kHalf; ++i) ood(i) = nd(rng);
        all << id, ood;
    }
};
const Scores& scores() {
    static const Scores s;
    return s;
}

void BM_StdSort(benchmark::State& state) {
    const Vec& all = scores().all;
    std::vector<float> buf(static_cast<std::size_t>(all.size()));
    for (auto _ : state) {
        std::memcpy(buf.data(), all.data(), sizeof(float) * buf.size());
        std::sort(buf.begin(), buf.end());
        benchmark::DoNotOptimize(buf.data());
        benchmark::ClobberMemory();
    }
    set_counters(state, all.size(), 0);
}

void BM_Roc(benchmark::State& state) {
    const Scores& s = scores();
    for (auto _ : state) {
        reclag::RocCurve roc = reclag::roc_curve(s.id, s.ood);
        benchmark::DoNotOptimize(roc.fpr.data());
    }
    set_counters(state, 2 * kHalf, 0);
}
void BM_Auroc(benchmark::State& state) {
    const Scores& s = scores();
    for (auto _ : state) benchmark::DoNotOptimize(reclag::auroc(s.id, s.ood));
    set_counters(state, 2 * kHalf, 0);
}
void BM_Fpr95(benchmark::State& state) {
    const Scores& s = scores();
    for (auto _ : state) benchmark::DoNotOptimize(reclag::fpr_at_tpr(s.id, s.ood, 0.95));
    set_counters(state, 2 * kHalf, 0);
}
/// Everything at once (FPR95, AUROC, both AUPRs) from one RankedScores.
void BM_All(benchmark::State& state) {
    const Scores& s = scores();
    for (auto _ : state) {
        reclag::OodMetrics m = reclag::evaluate_ood(s.id, s.ood);
        benchmark::DoNotOptimize(m.auroc);
    }
    set_counters(state, 2 * kHalf, 0);
}

}  // namespace

BENCHMARK(BM_StdSort)->Name("std_sort")->Arg(2 * kHalf)->UseRealTime()->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Roc)->Name("metrics_roc")->Arg(2 * kHalf)->UseRealTime()->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Auroc)->Name("metrics_auroc")->Arg(2 * kHalf)->UseRealTime()->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Fpr95)->Name("metrics_fpr95")->Arg(2 * kHalf)->UseRealTime()->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_All)->Name("metrics_all")->Arg(2 * kHalf)->UseRealTime()->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);

RECLAG_BENCHMARK_MAIN()
