// reclag: parameters and result types of HopfieldDynamics::run / run_euler
// (dynamics/hopfield_dynamics.hpp).
#pragma once

#include <cmath>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "reclag/core/checks.hpp"
#include "reclag/core/types.hpp"

namespace reclag {

/// How a run of the dynamics ended.
enum class DynamicsStatus {
    Converged,      ///< every state met the tolerance within max_steps
    MaxIterations,  ///< at least one state was still moving after max_steps (none became non-finite)
    NumericalIssue  ///< at least one state became NaN or infinite; it is left as is, never hidden
};

/// A sentence describing the status, for logs and exceptions.
inline const char* status_message(DynamicsStatus s) {
    switch (s) {
        case DynamicsStatus::Converged:
            return "converged: every state moved less than the tolerance in its last step";
        case DynamicsStatus::MaxIterations:
            return "stopped at max_steps: some states had not converged (see converged[] and steps[])";
        case DynamicsStatus::NumericalIssue:
            return "numerical issue: some states became NaN or infinite (see finite[]); they were stopped "
                   "and left non-finite";
    }
    return "unknown status";
}

inline std::ostream& operator<<(std::ostream& os, DynamicsStatus s) { return os << status_message(s); }

/// Parameters of a run to convergence.
template <typename Scalar>
struct DynamicsParam {
    /// Largest number of updates applied to any state (>= 0).
    Index max_steps = 100;
    /// A state has converged when its update moved it by at most
    /// tolerance * max(1, ||state||_inf) in the max norm (>= 0; 0 = exact fixed point).
    /// Default sqrt(epsilon): 1.5e-8 in double, 3.5e-4 in float.
    Scalar tolerance = std::sqrt(std::numeric_limits<Scalar>::epsilon());
    /// Keep every visited state: trajectory[k] is the (n x N_V) batch after k updates.
    bool record_trajectory = false;
    /// Keep the energy after each update: energy.row(k) (n values) after k updates.
    bool record_energy = false;

    void check_param() const {
        if (max_steps < 0) throw_invalid("DynamicsParam", "max_steps must be >= 0 (got ", max_steps, ")");
        if (!(tolerance >= Scalar(0)) || !std::isfinite(static_cast<double>(tolerance)))
            throw_invalid("DynamicsParam", "tolerance must be finite and >= 0 (got ", tolerance, ")");
    }
};

/// Parameters of the explicit Euler discretisation of Eqs. 1-2.
template <typename Scalar>
struct EulerParam {
    /// Time constant of the feature neurons tau_V (> 0).
    Scalar tau_v = Scalar(1);
    /// Time constant of the memory neurons tau_H (> 0); tau_H << tau_V approaches the adiabatic limit.
    Scalar tau_h = Scalar(0.5);
    /// Step size dt (> 0). Energy descent (Eq. 4) needs dt small against both tau's.
    Scalar dt = Scalar(0.1);

    void check_param() const {
        check_positive("EulerParam", "tau_v", tau_v);
        check_positive("EulerParam", "tau_h", tau_h);
        check_positive("EulerParam", "dt", dt);
    }
};

/// Result of a run. Rows are the input states, in order. Converged and non-finite states are
/// frozen (not updated further), so a batched run equals running each state on its own.
template <typename Scalar>
struct DynamicsResult {
    DynamicsStatus status = DynamicsStatus::Converged;
    RowMatrix<Scalar> v;                          ///< final feature states (n x N_V)
    RowMatrix<Scalar> h;                          ///< final memory states (run_euler only; else empty)
    std::vector<bool> converged;                  ///< per state: met the tolerance
    std::vector<bool> finite;                     ///< per state: stayed finite
    Eigen::Matrix<Index, Eigen::Dynamic, 1> steps;  ///< per state: updates applied before it stopped
    Index iterations = 0;                         ///< updates applied to the batch (max of steps)
    std::vector<RowMatrix<Scalar>> trajectory;    ///< if recorded: iterations + 1 batches of v
    RowMatrix<Scalar> energy;                     ///< if recorded: (iterations + 1) x n

    const char* message() const { return status_message(status); }
    bool ok() const { return status == DynamicsStatus::Converged; }
};

/// Which attractor each state reached (HopfieldDynamics::attractors).
struct AttractorResult {
    /// -1 (= origin): RecLag's OOD attractor (Theorem 1); otherwise the index mu of the nearest
    /// stored memory xi_mu.
    Eigen::Matrix<Index, Eigen::Dynamic, 1> index;
    /// Euclidean distance to that attractor (to the origin, or to xi_mu).
    Eigen::VectorXd distance;
    static constexpr Index origin = -1;
};

}  // namespace reclag
