// RecLag scoring at batch 1, 16, 256, 10 000 (global xi and routed per class; one-shot, and with
// a reused workspace on 1 or 2 of its own lanes), and every scorer at n = 10 000 (D 512, C 10;
// the block-wise ones also with a reused ScoreWorkspace, `score_*_ws`), beside the yardsticks: the Eigen GEMM of the same shape
// (n x 512 times 512 x 250) and, for batch 1, the GEMV over the same xi.
#include <memory>
#include <vector>

#include "bench_common.hpp"

#include "reclag/score/ash.hpp"
#include "reclag/score/dice.hpp"
#include "reclag/score/energy.hpp"
#include "reclag/score/gen.hpp"
#include "reclag/score/knn.hpp"
#include "reclag/score/mahalanobis.hpp"
#include "reclag/score/max_logit.hpp"
#include "reclag/score/mhe.hpp"
#include "reclag/score/msp.hpp"
#include "reclag/score/react.hpp"
#include "reclag/score/reclag_scorer.hpp"
#include "reclag/score/she.hpp"
#include "reclag/score/vim.hpp"

namespace {

using namespace reclag_bench;
using View = reclag::FeatureView<float>;

constexpr Index kTest = 10000;
constexpr Index kKnnBank = 2000;

/// The test split (10 000 rows) and its logits from the head. Built once.
struct TestSplit {
    ClassData data = make_features(kTest, 11);
    Head head = make_head(data.centres);
    Mat logits = data.x * head.w.transpose();
};
const TestSplit& test_split() {
    static const TestSplit s;
    return s;
}

/// An ID-fit split with exactly `per_class` rows per class, all correctly classified (the
/// logits get +100 on the label so MHE/SHE keep every row as a stored pattern).
struct FitSplit {
    ClassData data;
    Mat logits;
    explicit FitSplit(Index per_class) : data(make_features(per_class * kClasses, 23)) {
        const Head h = make_head(data.centres);
        logits = data.x * h.w.transpose();
        for (Index i = 0; i < logits.rows(); ++i) logits(i, data.labels(i)) += 100.0f;
    }
    View view() const { return View(data.x, logits, data.labels); }
};
const FitSplit& fit_split(Index per_class) {
    if (per_class == 1200) {
        static const FitSplit s(1200);
        return s;
    }
    static const FitSplit s(5000);
    return s;
}

reclag::ClassifierHead<float> classifier_head() {
    const Head& h = test_split().head;
    return reclag::ClassifierHead<float>(h.w, h.b);
}

// ---- yardsticks --------------------------------------------------------------------------

void BM_Gemm(benchmark::State& state) { gemm_yardstick(state, state.range(0), kDim, kHidden); }

/// Batch-1 yardstick: h = xi x (250 x 512 times 512), the same xi, the same first test row.
void BM_Gemv(benchmark::State& state) {
    const Mat xi = make_xi(kHidden, 202);
    const Vec x = test_split().data.x.row(0).transpose();
    Vec h(kHidden);
    for (auto _ : state) {
        h.noalias() = xi * x;
        benchmark::DoNotOptimize(h.data());
        benchmark::ClobberMemory();
    }
    set_counters(state, 1, gemm_flops(1, kDim, kHidden));
}

// ---- RecLag ------------------------------------------------------------------------------

const reclag::ReclagScorer<float>& reclag_global() {
    static const auto s = [] {
        auto p = std::make_unique<reclag::ReclagScorer<float>>(make_xi(kHidden, 202));
        p->set_log_gamma(0.0f);  // given xi, threshold set directly: no fit pass needed to score
        return p;
    }();
    return *s;
}
const reclag::ReclagScorer<float>& reclag_routed() {
    static const auto s = [] {
        std::vector<Mat> xi;
        for (Index c = 0; c < kClasses; ++c) xi.push_back(make_xi(kHidden, 300 + static_cast<std::uint64_t>(c)));
        auto p = std::make_unique<reclag::ReclagScorer<float>>(std::move(xi));
        p->set_log_gamma(0.0f);
        return p;
    }();
    return *s;
}

void run_reclag(benchmark::State& state, const reclag::ReclagScorer<float>& scorer) {
    const Index n = state.range(0);
    const TestSplit& t = test_split();
    const View view(t.data.x.topRows(n), t.logits.topRows(n));
    Vec out(n);
    for (auto _ : state) {
        scorer.score(view, out);
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
    set_counters(state, n, gemm_flops(n, kDim, kHidden));
}
void BM_ReclagGlobal(benchmark::State& state) { run_reclag(state, reclag_global()); }
void BM_ReclagRouted(benchmark::State& state) { run_reclag(state, reclag_routed()); }

/// The steady state: score(view, out, ws) with a workspace reused across iterations (no heap
/// allocation), ws.num_threads() = range(1) lanes of the library's own row partitioning
/// (bit-identical scores for any count). Wall time is the measure of thread scaling.
void run_reclag_ws(benchmark::State& state, const reclag::ReclagScorer<float>& scorer) {
    const Index n = state.range(0);
    const TestSplit& t = test_split();
    const View view(t.data.x.topRows(n), t.logits.topRows(n));
    Vec out(n);
    reclag::ReclagScorer<float>::Workspace ws({state.range(1)});
    scorer.score(view, out, ws);  // warm-up: the workspace grows here, outside the timed loop
    for (auto _ : state) {
        scorer.score(view, out, ws);
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
    set_counters(state, n, gemm_flops(n, kDim, kHidden));
}
void BM_ReclagGlobalWs(benchmark::State& state) { run_reclag_ws(state, reclag_global()); }
void BM_ReclagRoutedWs(benchmark::State& state) { run_reclag_ws(state, reclag_routed()); }

/// The allocating form, Vector score(view): what a caller who writes `auto s = scorer.score(v)` pays.
void BM_ReclagGlobalAlloc(benchmark::State& state) {
    const Index n = state.range(0);
    const TestSplit& t = test_split();
    const View view(t.data.x.topRows(n));
    for (auto _ : state) {
        Vec out = reclag_global().score(view);
        benchmark::DoNotOptimize(out.data());
    }
    set_counters(state, n, gemm_flops(n, kDim, kHidden));
}

// ---- every scorer at n = 10 000 ----------------------------------------------------------

/// Scores the 10 000-row test split; WithWorkspace: through score(view, out, ws) with one
/// ScoreWorkspace reused across iterations (the steady state: no heap allocation), else through
/// score(view, out), which allocates the block buffers and GEMM packing buffers per call.
template <bool WithWorkspace, typename Scorer>
void run_scorer(benchmark::State& state, const Scorer& scorer, double flops) {
    const TestSplit& t = test_split();
    const View view(t.data.x, t.logits);
    Vec out(kTest);
    if constexpr (WithWorkspace) {
        typename Scorer::Workspace ws;
        scorer.score(view, out, ws);  // warm-up: the workspace grows here, outside the timed loop
        for (auto _ : state) {
            scorer.score(view, out, ws);
            benchmark::DoNotOptimize(out.data());
            benchmark::ClobberMemory();
        }
    } else {
        for (auto _ : state) {
            scorer.score(view, out);
            benchmark::DoNotOptimize(out.data());
            benchmark::ClobberMemory();
        }
    }
    set_counters(state, kTest, flops);
}

/// Fits once (outside every timed loop) and keeps the scorer for the whole run.
template <typename Scorer, typename Fit>
const Scorer& fitted(Fit fit) {
    static const auto s = [&] {
        auto p = std::make_unique<Scorer>();
        fit(*p);
        return p;
    }();
    return *s;
}

// One fitted instance per scorer, shared by its one-shot and workspace benchmarks.
const reclag::ReActScorer<float>& react() {
    return fitted<reclag::ReActScorer<float>>([](auto& s) { s.fit(fit_split(1200).view(), classifier_head()); });
}
const reclag::AshScorer<float>& ash() {
    return fitted<reclag::AshScorer<float>>([](auto& s) { s.fit(fit_split(1200).view(), classifier_head()); });
}
const reclag::DiceScorer<float>& dice() {
    return fitted<reclag::DiceScorer<float>>([](auto& s) { s.fit(fit_split(1200).view(), classifier_head()); });
}
const reclag::MheScorer<float>& mhe1200() {
    return fitted<reclag::MheScorer<float>>([](auto& s) { s.fit(fit_split(1200).view()); });
}
const reclag::KnnScorer<float>& knn() {
    return fitted<reclag::KnnScorer<float>>([](auto& s) { s.fit(View(fit_split(1200).data.x.topRows(kKnnBank))); });
}
const reclag::MahalanobisScorer<float>& mahalanobis() {
    return fitted<reclag::MahalanobisScorer<float>>([](auto& m) { m.fit(fit_split(1200).view()); });
}
const reclag::VimScorer<float>& vim() {
    return fitted<reclag::VimScorer<float>>([](auto& v) { v.fit(fit_split(1200).view(), classifier_head()); });
}

void BM_Msp(benchmark::State& state) {
    run_scorer<false>(state, fitted<reclag::MspScorer<float>>([](auto& s) { s.fit(fit_split(1200).view()); }), 0);
}
void BM_Energy(benchmark::State& state) {
    run_scorer<false>(state, fitted<reclag::EnergyScorer<float>>([](auto& s) { s.fit(fit_split(1200).view()); }), 0);
}
void BM_MaxLogit(benchmark::State& state) {
    run_scorer<false>(state, fitted<reclag::MaxLogitScorer<float>>([](auto& s) { s.fit(fit_split(1200).view()); }), 0);
}
void BM_Gen(benchmark::State& state) {
    run_scorer<false>(state, fitted<reclag::GenScorer<float>>([](auto& s) { s.fit(fit_split(1200).view()); }), 0);
}
void BM_She(benchmark::State& state) {
    run_scorer<false>(state, fitted<reclag::SheScorer<float>>([](auto& s) { s.fit(fit_split(1200).view()); }),
                      2.0 * kTest * kDim);
}
template <bool Ws>
void BM_React(benchmark::State& state) {
    run_scorer<Ws>(state, react(), gemm_flops(kTest, kDim, kClasses));
}
template <bool Ws>
void BM_Ash(benchmark::State& state) {
    run_scorer<Ws>(state, ash(), 0);
}
template <bool Ws>
void BM_Dice(benchmark::State& state) {
    run_scorer<Ws>(state, dice(), gemm_flops(kTest, kDim, kClasses));
}
template <bool Ws>
void BM_Mhe1200(benchmark::State& state) {
    run_scorer<Ws>(state, mhe1200(), gemm_flops(kTest, kDim, 1200));
}
void BM_Mhe5000(benchmark::State& state) {
    run_scorer<false>(state, fitted<reclag::MheScorer<float>>([](auto& s) { s.fit(fit_split(5000).view()); }),
                      gemm_flops(kTest, kDim, 5000));
}
template <bool Ws>
void BM_Knn(benchmark::State& state) {
    run_scorer<Ws>(state, knn(), gemm_flops(kTest, kDim, kKnnBank));
}
template <bool Ws>
void BM_Mahalanobis(benchmark::State& state) {
    run_scorer<Ws>(state, mahalanobis(), gemm_flops(kTest, kDim, mahalanobis().rank()));
}
template <bool Ws>
void BM_Vim(benchmark::State& state) {
    run_scorer<Ws>(state, vim(), gemm_flops(kTest, kDim, vim().residual_basis().cols()));
}

// ---- the input check every scorer runs on its features ------------------------------------

/// reclag::check_finite (core/checks.hpp) on the 10 000 x 512 test features, as
/// ScoreChecks::features calls it on every score().
void BM_CheckFinite(benchmark::State& state) {
    const View view(test_split().data.x);
    for (auto _ : state) reclag::check_finite("bench", "features", view.features());
    set_counters(state, kTest, 0);
}
/// The proposed fast path: x * 0 is 0 for a finite x and NaN otherwise, so one vectorised sum
/// in storage order answers "all finite?" (Eigen's allFinite() visits a row-major matrix
/// column by column, 2 KiB apart, without SIMD).
void BM_CheckFiniteRedux(benchmark::State& state) {
    const View view(test_split().data.x);
    for (auto _ : state) {
        const auto m = view.features();
        const bool ok = (m.array() * 0.0f).sum() == 0.0f;
        if (!ok) reclag::check_finite("bench", "features", m);
        benchmark::DoNotOptimize(ok);
    }
    set_counters(state, kTest, 0);
}

}  // namespace

// Names are read by compare_pytorch.py: keep them in sync.
BENCHMARK(BM_Gemm)->Name("gemm")->Arg(1)->Arg(16)->Arg(256)->Arg(10000)->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_Gemv)->Name("gemv")->Arg(1)->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_ReclagGlobal)->Name("reclag_global")->Arg(1)->Arg(16)->Arg(256)->Arg(10000)->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_ReclagRouted)->Name("reclag_routed")->Arg(1)->Arg(16)->Arg(256)->Arg(10000)->UseRealTime()->MeasureProcessCPUTime();
// workspace variants: /n/threads (lanes); compare_pytorch.py reports t=1 / t=2 wall time
BENCHMARK(BM_ReclagGlobalWs)->Name("reclag_global_ws")->Args({1, 1})->Args({10000, 1})->Args({10000, 2})->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_ReclagRoutedWs)->Name("reclag_routed_ws")->Args({1, 1})->Args({10000, 1})->Args({10000, 2})->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_ReclagGlobalAlloc)->Name("reclag_global_alloc")->Arg(1)->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_CheckFinite)->Name("check_finite")->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_CheckFiniteRedux)->Name("check_finite_redux")->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_Msp)->Name("score_msp")->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_Energy)->Name("score_energy")->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_MaxLogit)->Name("score_maxlogit")->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_Gen)->Name("score_gen")->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_React<false>)->Name("score_react")->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_Ash<false>)->Name("score_ash")->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_Dice<false>)->Name("score_dice")->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_She)->Name("score_she")->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_Mhe1200<false>)->Name("score_mhe_1200")->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_Mhe5000)->Name("score_mhe_5000")->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_Knn<false>)->Name("score_knn")->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_Mahalanobis<false>)->Name("score_mahalanobis")->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_Vim<false>)->Name("score_vim")->UseRealTime()->MeasureProcessCPUTime();
// the block-wise scorers with a reused ScoreWorkspace (compare_pytorch.py aliases each to its
// one-shot PyTorch operation)
BENCHMARK(BM_React<true>)->Name("score_react_ws")->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_Ash<true>)->Name("score_ash_ws")->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_Dice<true>)->Name("score_dice_ws")->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_Mhe1200<true>)->Name("score_mhe_1200_ws")->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_Knn<true>)->Name("score_knn_ws")->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_Mahalanobis<true>)->Name("score_mahalanobis_ws")->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_Vim<true>)->Name("score_vim_ws")->UseRealTime()->MeasureProcessCPUTime();

RECLAG_BENCHMARK_MAIN()
