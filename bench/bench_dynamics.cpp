// The Hopfield dynamics on 10 000 states (D 512, N_H 250): one adiabatic update (Eq. 12,
// RecLag memory + quadratic feature Lagrangian: V' = chi(G) softmax(beta V xi^T) xi) and a
// 10-step run(), beside the GEMM yardstick of the same shape (n x 512 times 512 x 250).
// An update is two GEMMs (V xi^T, then F xi), so its FLOP count is 2 x 2 n D N_H.
#include "bench_common.hpp"

#include "reclag/dynamics/hopfield_dynamics.hpp"
#include "reclag/lagrangian/quadratic.hpp"
#include "reclag/lagrangian/rectified.hpp"

namespace {

using namespace reclag_bench;
using Dynamics = reclag::HopfieldDynamics<reclag::RecLagLagrangian<float>, reclag::QuadraticLagrangian<float>>;

constexpr Index kStates = 10000;
/// beta 0.05 keeps softmax(beta xi v) unsaturated, so no state reaches an exact fixed point
/// within 10 steps and run() really performs 10 updates of every state (with beta 5 the
/// softmax is one-hot after a step or two, run() stops early and there is little to time).
constexpr float kBeta = 0.05f;

/// States scaled to norm 10 (the paper's scaling) so that the gate is open: every step does
/// the full work (a closed gate would also do both GEMMs, on a zero activation).
const Mat& states() {
    static const Mat v = [] {
        Mat x = make_features(kStates, 31).x;
        for (Index i = 0; i < x.rows(); ++i) x.row(i) *= 10.0f / x.row(i).norm();
        return x;
    }();
    return v;
}
const Dynamics& dynamics() {
    static const Dynamics d(make_xi(kHidden, 202), reclag::RecLagLagrangian<float>({kBeta, 0.0f}));
    return d;
}

void BM_Gemm(benchmark::State& state) { gemm_yardstick(state, state.range(0), kDim, kHidden); }

void BM_Step(benchmark::State& state) {
    const Mat& v = states();
    for (auto _ : state) {
        Mat next = dynamics().adiabatic_step(v);
        benchmark::DoNotOptimize(next.data());
    }
    set_counters(state, kStates, 2 * gemm_flops(kStates, kDim, kHidden));
}

void BM_Run10(benchmark::State& state) {
    const Mat& v = states();
    reclag::DynamicsParam<float> p;
    p.max_steps = 10;
    p.tolerance = 0.0f;  // never stop early: exactly 10 updates of all 10 000 states
    for (auto _ : state) {
        auto r = dynamics().run(v, p);
        benchmark::DoNotOptimize(r.v.data());
        state.counters["iterations_done"] = static_cast<double>(r.iterations);
    }
    set_counters(state, kStates, 10 * 2 * gemm_flops(kStates, kDim, kHidden));
}

}  // namespace

BENCHMARK(BM_Gemm)->Name("dyn_gemm")->Arg(kStates)->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_Step)->Name("dyn_step")->Arg(kStates)->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_Run10)->Name("dyn_run10")->Arg(kStates)->UseRealTime()->MeasureProcessCPUTime();

RECLAG_BENCHMARK_MAIN()
