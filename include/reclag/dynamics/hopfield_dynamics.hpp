// reclag: the Lagrangian-based modern Hopfield network of Krotov & Hopfield (2021) (Eqs. 1-4)
// with a memory Lagrangian L_H (f = dL_H/dh) and a feature Lagrangian L_V (g = dL_V/dv),
// both policies (lagrangian/lagrangian.hpp), and a fixed interaction matrix xi (N_H x N_V).
//
// States are rows: V is (n x N_V), H is (n x N_H). In row form
//   memory input       H* = g(V) xi^T                       (the adiabatic h, Eq. 26)
//   adiabatic update   V' = f(g(V) xi^T) xi                 (Eq. 12 in general form; tau_V = dt)
//   Euler (Eqs. 1-2)   V' = V + dt/tau_V (f(H) xi - V),  H' = H + dt/tau_H (g(V) xi^T - H)
//   energy (Eq. 4)     E = v.g(v) - L_V(v) + h.f(h) - L_H(h) - f(h)^T xi g(v)
//   adiabatic energy   E(v) = E(v, xi g(v)) = v.g(v) - L_V(v) - L_H(xi g(v))
//                      (Eq. 8 for LogSumExp with beta = 1 and Quadratic; Eq. 6 for additive + |.|)
//
// Energy and the RecLag gate. RecLag's L_H is convex but not smooth at G = 0, and its f jumps
// there (chi). Between gate switches the Euler energy never increases for small dt (as for
// LogSumExp). When a step moves h across G = 0, E jumps: with the gate value before the step
// held fixed, E would not increase; the actual E differs from that by
//   (chi_after - chi_before) * softmax(beta h') . (h' - xi g(v'))        [(v', h') = new state]
// which is zero on the adiabatic slice h = xi g(v) (there E is continuous) and of either sign off it.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "reclag/core/checks.hpp"
#include "reclag/core/numeric.hpp"
#include "reclag/core/types.hpp"
#include "reclag/dynamics/dynamics_result.hpp"
#include "reclag/lagrangian/lagrangian.hpp"

namespace reclag {

namespace detail {
template <typename T, typename = void>
struct has_gate_into : std::false_type {};
template <typename T>
struct has_gate_into<T, std::void_t<decltype(std::declval<const T&>().gate_into(
                            std::declval<const Eigen::Ref<const RowMatrix<typename T::Scalar>>&>(),
                            std::declval<Eigen::Ref<Vector<typename T::Scalar>>>()))>> : std::true_type {};
}  // namespace detail

/// The state of the two-timescale system after an Euler step.
template <typename Scalar>
struct HopfieldState {
    RowMatrix<Scalar> v;  ///< (n x N_V)
    RowMatrix<Scalar> h;  ///< (n x N_H)
};

template <typename MemoryLagrangian, typename FeatureLagrangian,
          typename Scalar_ = typename MemoryLagrangian::Scalar>
class HopfieldDynamics {
public:
    using Scalar = Scalar_;
    using Memory = MemoryLagrangian;
    using Feature = FeatureLagrangian;
    using Param = DynamicsParam<Scalar>;
    using Result = DynamicsResult<Scalar>;
    using Status = DynamicsStatus;

    static_assert(is_supported_scalar_v<Scalar>, "reclag::HopfieldDynamics: Scalar must be float or double");
    // Policy checks at class scope: a wrong policy fails here with a sentence, not deep inside a member.
    static_assert((static_assert_lagrangian<Memory>(), true));
    static_assert((static_assert_lagrangian<Feature>(), true));

    /// Holds a copy of xi (N_H x N_V) and the two policies.
    template <typename DerivedXi>
    explicit HopfieldDynamics(const Eigen::MatrixBase<DerivedXi>& xi, Memory memory = Memory{},
                              Feature feature = Feature{})
        : xi_(xi.template cast<Scalar>()), memory_(std::move(memory)), feature_(std::move(feature)) {
        static_assert(std::is_same_v<typename Memory::Scalar, Scalar> && std::is_same_v<typename Feature::Scalar, Scalar>,
                      "reclag::HopfieldDynamics: both Lagrangians must use the dynamics' Scalar");
        if (xi_.rows() == 0 || xi_.cols() == 0) throw_invalid("HopfieldDynamics", "xi is empty (", xi_.rows(), " x ", xi_.cols(), ")");
        check_finite("HopfieldDynamics", "xi", xi_);
    }

    Index num_memories() const { return xi_.rows(); }  ///< N_H
    Index num_features() const { return xi_.cols(); }  ///< N_V
    const RowMatrix<Scalar>& xi() const { return xi_; }
    const Memory& memory() const { return memory_; }
    const Feature& feature() const { return feature_; }

    /// The adiabatic memory state H* = g(V) xi^T (Eq. 26), one row per state.
    template <typename DerivedV>
    RowMatrix<Scalar> memory_input(const Eigen::MatrixBase<DerivedV>& v) const {
        check_states("HopfieldDynamics::memory_input", v);
        RowMatrix<Scalar> gv(v.rows(), v.cols());
        feature_.activation_into(v.derived().template cast<Scalar>(), gv);
        return gv * xi_.transpose();
    }

    /// One adiabatic update (Eq. 12, general form): V' = f(g(V) xi^T) xi. For RecLag + Quadratic
    /// this is v' = chi(G(v)) xi^T softmax(beta xi v); for LogSumExp + Quadratic the vanilla MHN.
    template <typename DerivedV>
    RowMatrix<Scalar> adiabatic_step(const Eigen::MatrixBase<DerivedV>& v) const {
        const RowMatrix<Scalar> h = memory_input(v);
        RowMatrix<Scalar> f(h.rows(), h.cols());
        memory_.activation_into(h, f);
        return f * xi_;
    }

    /// G(v) = LSE(beta xi g(v)) - log gamma per state (Eq. 13); only for a memory Lagrangian
    /// with a gate (RecLag).
    template <typename DerivedV>
    Vector<Scalar> gate(const Eigen::MatrixBase<DerivedV>& v) const {
        static_assert(detail::has_gate_into<Memory>::value,
                      "reclag::HopfieldDynamics::gate: the memory Lagrangian has no gate (use RecLagLagrangian)");
        const RowMatrix<Scalar> h = memory_input(v);
        Vector<Scalar> g(h.rows());
        memory_.gate_into(h, g);
        return g;
    }

    /// K adiabatic updates from V0, without convergence test: K + 1 batches, [k] = V after k updates.
    template <typename DerivedV>
    std::vector<RowMatrix<Scalar>> adiabatic_trajectory(const Eigen::MatrixBase<DerivedV>& v0, Index steps) const {
        const char* where = "HopfieldDynamics::adiabatic_trajectory";
        if (steps < 0) throw_invalid(where, "steps must be >= 0 (got ", steps, ")");
        check_states(where, v0);
        // steps + 1 batches are kept: refuse a count whose total size overflows Index (and
        // steps + 1 itself) before reserving anything.
        const Index per_batch = std::max<Index>(1, v0.rows() * v0.cols());
        if (steps > std::numeric_limits<Index>::max() / per_batch - 1)
            throw_invalid(where, "steps = ", steps, " batches of ", v0.rows(), " x ", v0.cols(), " states overflow Index");
        std::vector<RowMatrix<Scalar>> out;
        out.reserve(static_cast<std::size_t>(steps + 1));
        out.emplace_back(v0.derived().template cast<Scalar>());
        for (Index k = 0; k < steps; ++k) out.push_back(adiabatic_step(out.back()));
        return out;
    }

    /// One explicit Euler step of Eqs. 1-2; both right-hand sides use the old (V, H).
    template <typename DerivedV, typename DerivedH>
    HopfieldState<Scalar> euler_step(const Eigen::MatrixBase<DerivedV>& v, const Eigen::MatrixBase<DerivedH>& h,
                                     const EulerParam<Scalar>& p = {}) const {
        p.check_param();
        check_states("HopfieldDynamics::euler_step", v);
        check_memory_states("HopfieldDynamics::euler_step", h, v.rows());
        const RowMatrix<Scalar> vs = v.derived().template cast<Scalar>();
        const RowMatrix<Scalar> hs = h.derived().template cast<Scalar>();
        RowMatrix<Scalar> f(hs.rows(), hs.cols());
        RowMatrix<Scalar> g(vs.rows(), vs.cols());
        memory_.activation_into(hs, f);
        feature_.activation_into(vs, g);
        HopfieldState<Scalar> next;
        next.v = vs + (p.dt / p.tau_v) * (f * xi_ - vs);
        next.h = hs + (p.dt / p.tau_h) * (g * xi_.transpose() - hs);
        return next;
    }

    /// Energy of Eq. 4 for each pair (row i of V, row i of H).
    template <typename DerivedV, typename DerivedH>
    Vector<Scalar> energy(const Eigen::MatrixBase<DerivedV>& v, const Eigen::MatrixBase<DerivedH>& h) const {
        check_states("HopfieldDynamics::energy", v);
        check_memory_states("HopfieldDynamics::energy", h, v.rows());
        const RowMatrix<Scalar> vs = v.derived().template cast<Scalar>();
        const RowMatrix<Scalar> hs = h.derived().template cast<Scalar>();
        RowMatrix<Scalar> f(hs.rows(), hs.cols());
        RowMatrix<Scalar> g(vs.rows(), vs.cols());
        Vector<Scalar> lv(vs.rows()), lh(hs.rows());
        memory_.activation_into(hs, f);
        memory_.value_into(hs, lh);
        feature_.activation_into(vs, g);
        feature_.value_into(vs, lv);
        const RowMatrix<Scalar> fxi = f * xi_;
        return (vs.array() * g.array()).rowwise().sum().matrix() - lv + (hs.array() * f.array()).rowwise().sum().matrix() -
               lh - (fxi.array() * g.array()).rowwise().sum().matrix();
    }

    /// Energy under the adiabatic limit, E(v) = E(v, xi g(v)) = v.g(v) - L_V(v) - L_H(xi g(v)):
    /// Eq. 8 for LogSumExp (beta = 1) + Quadratic, Eq. 6 for an additive L_H + Absolute.
    template <typename DerivedV>
    Vector<Scalar> adiabatic_energy(const Eigen::MatrixBase<DerivedV>& v) const {
        check_states("HopfieldDynamics::adiabatic_energy", v);
        const RowMatrix<Scalar> vs = v.derived().template cast<Scalar>();
        RowMatrix<Scalar> g(vs.rows(), vs.cols());
        Vector<Scalar> lv(vs.rows()), lh(vs.rows());
        feature_.activation_into(vs, g);
        feature_.value_into(vs, lv);
        const RowMatrix<Scalar> h = g * xi_.transpose();
        memory_.value_into(h, lh);
        return (vs.array() * g.array()).rowwise().sum().matrix() - lv - lh;
    }

    /// Iterates the adiabatic update (Eq. 12) on a batch until every state converges, becomes
    /// non-finite, or max_steps is reached. The energy recorded is adiabatic_energy.
    template <typename DerivedV>
    Result run(const Eigen::MatrixBase<DerivedV>& v0, const Param& p = {}) const {
        p.check_param();
        check_states("HopfieldDynamics::run", v0);
        RowMatrix<Scalar> v = v0.derived().template cast<Scalar>();
        RowMatrix<Scalar> none;
        return iterate(
            v, none, p, [this](const RowMatrix<Scalar>& vk, const RowMatrix<Scalar>&, RowMatrix<Scalar>& vn, RowMatrix<Scalar>&) {
                vn = adiabatic_step(vk);
            },
            [this](const RowMatrix<Scalar>& vk, const RowMatrix<Scalar>&) { return adiabatic_energy(vk); });
    }

    /// Iterates explicit Euler steps of Eqs. 1-2 from (V0, H0) until both v and h of every state
    /// converge (same test), become non-finite, or max_steps. The energy recorded is Eq. 4.
    template <typename DerivedV, typename DerivedH>
    Result run_euler(const Eigen::MatrixBase<DerivedV>& v0, const Eigen::MatrixBase<DerivedH>& h0,
                     const EulerParam<Scalar>& ep = {}, const Param& p = {}) const {
        ep.check_param();
        p.check_param();
        check_states("HopfieldDynamics::run_euler", v0);
        check_memory_states("HopfieldDynamics::run_euler", h0, v0.rows());
        RowMatrix<Scalar> v = v0.derived().template cast<Scalar>();
        RowMatrix<Scalar> h = h0.derived().template cast<Scalar>();
        return iterate(
            v, h, p,
            [this, &ep](const RowMatrix<Scalar>& vk, const RowMatrix<Scalar>& hk, RowMatrix<Scalar>& vn, RowMatrix<Scalar>& hn) {
                HopfieldState<Scalar> s = euler_step(vk, hk, ep);
                vn = std::move(s.v);
                hn = std::move(s.h);
            },
            [this](const RowMatrix<Scalar>& vk, const RowMatrix<Scalar>& hk) { return energy(vk, hk); });
    }

    /// Which attractor each state (row of V, e.g. run(...).v) sits at: the origin when
    /// ||v||_2 <= origin_radius (RecLag's OOD attractor, Theorem 1), else the nearest stored
    /// memory xi_mu in Euclidean distance (ties: lowest mu).
    template <typename DerivedV>
    AttractorResult attractors(const Eigen::MatrixBase<DerivedV>& v, Scalar origin_radius = Scalar(0)) const {
        check_states("HopfieldDynamics::attractors", v);
        if (!(origin_radius >= Scalar(0)))
            throw_invalid("HopfieldDynamics::attractors", "origin_radius must be >= 0 (got ", origin_radius, ")");
        const RowMatrix<Scalar> vs = v.derived().template cast<Scalar>();
        AttractorResult out;
        out.index.resize(vs.rows());
        out.distance.resize(vs.rows());
        const Vector<Scalar> xi_sq = xi_.rowwise().squaredNorm();
        for (Index i = 0; i < vs.rows(); ++i) {
            const Scalar n = safe_norm(vs.row(i));
            if (n <= origin_radius) {
                out.index(i) = AttractorResult::origin;
                out.distance(i) = static_cast<double>(n);
                continue;
            }
            Index best = 0;
            Scalar best_d = std::numeric_limits<Scalar>::infinity();
            for (Index mu = 0; mu < xi_.rows(); ++mu) {
                const Scalar d = (vs.row(i) - xi_.row(mu)).squaredNorm();
                if (d < best_d) {
                    best_d = d;
                    best = mu;
                }
            }
            out.index(i) = best;
            out.distance(i) = std::sqrt(static_cast<double>(best_d));
        }
        return out;
    }

private:
    template <typename DerivedV>
    void check_states(const char* where, const Eigen::MatrixBase<DerivedV>& v) const {
        check_cols(where, "v", v.cols(), xi_.cols());
    }
    template <typename DerivedH>
    void check_memory_states(const char* where, const Eigen::MatrixBase<DerivedH>& h, Index n) const {
        check_cols(where, "h", h.cols(), xi_.rows());
        check_rows(where, "h", h.rows(), n);
    }

    static Scalar max_abs(const RowMatrix<Scalar>& m, Index i) {
        return m.cols() == 0 ? Scalar(0) : m.row(i).cwiseAbs().maxCoeff();
    }

    /// The shared convergence loop. Rows that converged or became non-finite are frozen, so the
    /// batch gives what each state would give alone.
    template <typename Step, typename Energy>
    Result iterate(RowMatrix<Scalar>& v, RowMatrix<Scalar>& h, const Param& p, Step step, Energy energy_of) const {
        const Index n = v.rows();
        const bool has_h = h.size() > 0 || h.cols() > 0;
        Result r;
        r.converged.assign(static_cast<std::size_t>(n), false);
        r.finite.assign(static_cast<std::size_t>(n), true);
        r.steps = Eigen::Matrix<Index, Eigen::Dynamic, 1>::Zero(n);
        std::vector<bool> active(static_cast<std::size_t>(n), true);
        std::vector<Vector<Scalar>> energies;
        Index n_active = n;
        // A non-finite starting state is reported, never iterated.
        for (Index i = 0; i < n; ++i) {
            const bool fin = v.row(i).allFinite() && (!has_h || h.row(i).allFinite());
            if (!fin) {
                r.finite[static_cast<std::size_t>(i)] = false;
                active[static_cast<std::size_t>(i)] = false;
                --n_active;
            }
        }
        if (p.record_trajectory) r.trajectory.push_back(v);
        if (p.record_energy) energies.push_back(energy_of(v, h));

        RowMatrix<Scalar> vn, hn;
        Index k = 0;
        while (k < p.max_steps && n_active > 0) {
            step(v, h, vn, hn);
            ++k;
            for (Index i = 0; i < n; ++i) {
                const std::size_t si = static_cast<std::size_t>(i);
                if (!active[si]) continue;
                r.steps(i) = k;
                const bool fin = vn.row(i).allFinite() && (!has_h || hn.row(i).allFinite());
                if (!fin) {
                    r.finite[si] = false;
                    active[si] = false;
                    --n_active;
                    v.row(i) = vn.row(i);  // keep the NaN visible
                    if (has_h) h.row(i) = hn.row(i);
                    continue;
                }
                Scalar moved = (vn.row(i) - v.row(i)).cwiseAbs().maxCoeff();
                Scalar scale = std::max(Scalar(1), max_abs(v, i));
                if (has_h) {
                    moved = std::max(moved, (hn.row(i) - h.row(i)).cwiseAbs().maxCoeff());
                    scale = std::max(scale, max_abs(h, i));
                }
                v.row(i) = vn.row(i);
                if (has_h) h.row(i) = hn.row(i);
                if (moved <= p.tolerance * scale) {
                    r.converged[si] = true;
                    active[si] = false;
                    --n_active;
                }
            }
            if (p.record_trajectory) r.trajectory.push_back(v);
            if (p.record_energy) energies.push_back(energy_of(v, h));
        }
        r.iterations = k;
        r.v = v;
        if (has_h) r.h = h;
        if (p.record_energy) {
            r.energy.resize(static_cast<Index>(energies.size()), n);
            for (std::size_t j = 0; j < energies.size(); ++j) r.energy.row(static_cast<Index>(j)) = energies[j].transpose();
        }
        bool all_finite = true, all_converged = true;
        for (Index i = 0; i < n; ++i) {
            all_finite = all_finite && r.finite[static_cast<std::size_t>(i)];
            all_converged = all_converged && r.converged[static_cast<std::size_t>(i)];
        }
        r.status = !all_finite ? DynamicsStatus::NumericalIssue
                               : (all_converged ? DynamicsStatus::Converged : DynamicsStatus::MaxIterations);
        return r;
    }

    RowMatrix<Scalar> xi_;
    Memory memory_;
    Feature feature_;
};

}  // namespace reclag
