// reclag: the RecLag OOD score and decision for a given interaction matrix xi (Sections 4-5).
//
//   r(x) = LSE_mu(beta xi_mu . x~),  x~ = s x / ||x||_2   (s = norm, default 10; zero row -> x~ = 0;
//                                                           norm = 0 -> x~ = x, unscaled)
//   G(x) = r(x) - log gamma          (Eq. 13 at v = x~; the shared gate of lagrangian/reclag_gate.hpp)
//   OOD  iff G(x) < 0                (Theorem 3: the basin B_0 = {p_H(x) < gamma / Z})
//
// r is the score (higher = more in-distribution); gamma only sets the decision threshold.
// Scoring is one GEMM (X xi^T) per chunk of rows plus a fused row-wise max-shifted LSE of
// beta * s/||x|| * (x xi^T): x~ is never materialised.
// Global xi (the paper) or one xi per predicted class (routing by argmax of the logits, the
// authors' public code) are both supported.
#pragma once

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "reclag/core/checks.hpp"
#include "reclag/core/numeric.hpp"
#include "reclag/core/parallel.hpp"
#include "reclag/core/types.hpp"
#include "reclag/lagrangian/reclag_gate.hpp"
#include "reclag/score/reclag_workspace.hpp"
#include "reclag/score/scorer.hpp"

namespace reclag {

namespace detail {
/// Rows scored per GEMM: bounds the (rows x N_H) scratch buffer while keeping GEMMs large.
/// Also the unit of work of the threads: fixed, so the thread count never changes a result.
inline constexpr Index reclag_score_chunk = 512;

/// The scoring kernel shared by the free function and ReclagScore: plans the chunks (global,
/// or routed per class), then scores them on the workspace's lanes. Inputs are validated by
/// the callers.
template <typename Scalar>
struct ReclagKernel {
    using Workspace = ReclagWorkspace<Scalar>;
    using Lane = typename Workspace::Lane;
    using Task = typename Workspace::Task;
    using XView = Eigen::Ref<const RowMatrix<Scalar>, 0, Eigen::OuterStride<>>;

    /// Rows [0, n) in chunks of reclag_score_chunk.
    static void plan_global(Workspace& ws, Index n) {
        ws.tasks_.clear();
        for (Index start = 0; start < n; start += reclag_score_chunk)
            ws.tasks_.push_back(Task{-1, start, std::min(reclag_score_chunk, n - start)});
    }

    /// Row i goes to class argmax logits_i (first maximum, as predicted_classes); each class's
    /// rows, ascending, in chunks of reclag_score_chunk: the chunks a 1-thread call scores.
    template <typename DerivedZ>
    static void plan_routed(Workspace& ws, const Eigen::MatrixBase<DerivedZ>& logits, Index num_classes) {
        const Index n = logits.rows();
        group_rows_by_predicted_class(logits, num_classes, ws.pred_, ws.offsets_, ws.order_);  // scorer.hpp
        ws.tasks_.clear();
        // at most one partial chunk per class: reserving this bound keeps any later call with
        // n rows allocation-free whatever its class mix
        ws.tasks_.reserve(static_cast<std::size_t>(num_classes + n / reclag_score_chunk + 1));
        for (Index c = 0; c < num_classes; ++c) {
            const Index end = ws.offsets_[static_cast<std::size_t>(c + 1)];
            for (Index start = ws.offsets_[static_cast<std::size_t>(c)]; start < end; start += reclag_score_chunk)
                ws.tasks_.push_back(Task{c, start, std::min(reclag_score_chunk, end - start)});
        }
    }

    /// Scores the planned tasks: lanes take contiguous runs of tasks of about n / lanes rows.
    /// xi_of(cls) gives the xi of a task (cls = -1: the global one); max_hidden bounds its rows.
    template <typename XiOf>
    static void run(Workspace& ws, const XView& x, XiOf&& xi_of, Index max_hidden, Scalar beta, Scalar norm,
                    Eigen::Ref<Vector<Scalar>> out) {
        const Index num_tasks = static_cast<Index>(ws.tasks_.size());
        const Index lanes = std::min(ws.num_threads(), num_tasks);
        if (lanes == 0) return;
        const bool routed = ws.tasks_.front().cls >= 0;
        ws.bounds_.assign(static_cast<std::size_t>(lanes + 1), num_tasks);
        ws.bounds_[0] = 0;
        Index rows_before = 0, lane = 1;
        for (Index t = 0; t < num_tasks && lane < lanes; ++t) {
            while (lane < lanes && rows_before >= lane * x.rows() / lanes) ws.bounds_[static_cast<std::size_t>(lane++)] = t;
            rows_before += ws.tasks_[static_cast<std::size_t>(t)].len;
        }
        const Index max_len = std::min(reclag_score_chunk, x.rows());
        for (Index l = 0; l < lanes; ++l) {  // grown here, on the caller, before any thread starts
            Lane& ln = ws.lanes_[static_cast<std::size_t>(l)];
            ln.gemm.reserve(max_len, max_hidden, x.cols());
            grow(ln.product, max_len * max_hidden);
            if (routed) grow(ln.gathered, max_len * x.cols());
        }
        run_lanes(lanes, [&](Index l) {
            Lane& ln = ws.lanes_[static_cast<std::size_t>(l)];
            for (Index t = ws.bounds_[static_cast<std::size_t>(l)]; t < ws.bounds_[static_cast<std::size_t>(l + 1)]; ++t) {
                const Task& task = ws.tasks_[static_cast<std::size_t>(t)];
                const Index* rows = task.cls < 0 ? nullptr : ws.order_.data() + task.start;
                score_chunk(ln, x, rows, task.start, task.len, xi_of(task.cls), beta, norm, out);
            }
        });
    }

    /// r for one chunk: rows x[rows[j]] (or x[start + j] when rows is null), j < len.
    /// Normalisation and LSE are fused: r_i = LSE(c_i * a_i) with c_i = beta s / ||x_i||
    /// (x~ never materialised), max-shifted (log_sum_exp).
    static void score_chunk(Lane& ln, const XView& x, const Index* rows, Index start, Index len, const XView& xi,
                            Scalar beta, Scalar norm, Eigen::Ref<Vector<Scalar>>& out) {
        const Index d = x.cols(), h = xi.rows();
        using Map = Eigen::Map<RowMatrix<Scalar>>;
        Map a(ln.product.data(), len, h);
        if (rows == nullptr) {
            const auto src = x.middleRows(start, len);
            ln.gemm.multiply_transposed(src, xi, a);
            finish(src, a, xi, beta, norm, [&](Index i) -> Scalar& { return out(start + i); });
        } else {
            Map g(ln.gathered.data(), len, d);
            for (Index j = 0; j < len; ++j) g.row(j) = x.row(rows[j]);
            ln.gemm.multiply_transposed(g, xi, a);
            finish(g, a, xi, beta, norm, [&](Index i) -> Scalar& { return out(rows[i]); });
        }
    }

    /// r_i = LSE(c_i a_i) with a_i = x_i xi^T and c_i = beta s / ||x_i||: the normalisation is
    /// applied after the GEMM. That product can overflow where x~_i xi^T does not (a row of
    /// norm 1e3 against xi entries near 1e37 in float), and so can c_i itself (a row of norm
    /// 1e-3 with norm 1e306 in double): such a row is recomputed as xi (beta x~_i), a GEMV on
    /// the rare slow path (it allocates), so the score is what Eq. 13 gives,
    /// not a spurious overflow. A row whose input holds NaN or inf keeps its non-finite score,
    /// for the caller to name.
    template <typename Src, typename A, typename Xi, typename Out>
    static void finish(const Src& src, const A& a, const Xi& xi, Scalar beta, Scalar norm, Out&& out_at) {
        for (Index i = 0; i < a.rows(); ++i) {
            Scalar c = beta, n = Scalar(0);
            if (norm > Scalar(0)) {
                n = safe_norm(src.row(i));
                c = n > Scalar(0) ? beta * (norm / n) : Scalar(0);
            }
            Scalar r = log_sum_exp((c * a.row(i).array()).matrix());
            if (!std::isfinite(r) && std::isfinite(n) && (norm == Scalar(0) || n > Scalar(0))) {
                // beta goes into the feature first: beta * s * max ||xi_mu|| is what a loaded
                // detector is checked against, while xi x~ alone may overflow (beta 1e-308)
                const Vector<Scalar> scaled = norm > Scalar(0)
                                                  ? Vector<Scalar>((src.row(i).transpose() / n) * (beta * norm))
                                                  : Vector<Scalar>(src.row(i).transpose() * beta);
                r = log_sum_exp(xi * scaled);
            }
            out_at(i) = r;
        }
    }

    static void grow(Vector<Scalar>& buffer, Index size) {
        if (buffer.size() < size) buffer.resize(size);
    }
};
}  // namespace detail

/// r(x) for each row of x, written into out (size x.rows()): LSE(beta * c_i * (x_i xi^T)) with
/// c_i = norm / ||x_i|| (0 for a zero row) when norm > 0, c_i = 1 when norm == 0. The workspace
/// is reused across calls (no heap allocation once it has seen this batch size, when x and xi
/// are row-major) and sets the thread count; the results do not depend on it.
template <typename DerivedX, typename DerivedXi>
void reclag_scores_into(const Eigen::MatrixBase<DerivedX>& x, const Eigen::MatrixBase<DerivedXi>& xi,
                        typename DerivedX::Scalar beta, typename DerivedX::Scalar norm,
                        Eigen::Ref<Vector<typename DerivedX::Scalar>> out,
                        ReclagWorkspace<typename DerivedX::Scalar>& ws) {
    using Scalar = typename DerivedX::Scalar;
    static_assert(std::is_same_v<typename DerivedX::Scalar, typename DerivedXi::Scalar>,
                  "reclag_scores: x and xi must have the same scalar type");
    const char* where = "reclag_scores";
    check_cols(where, "x", x.cols(), xi.cols());
    check_size(where, "out", out.size(), x.rows());
    check_positive(where, "beta", beta);
    if (!(norm >= Scalar(0)) || !std::isfinite(static_cast<double>(norm)))
        throw_invalid(where, "norm must be finite and >= 0 (got ", norm, "; 0 = unscaled)");
    if constexpr (!DerivedX::IsRowMajor) {
        // Column-major features (Eigen's default MatrixXf): binding them to the row-major
        // kernel would copy them and change the rounding of ||x_i|| (a contiguous instead of a
        // strided sum). Score them in place, as before the workspace existed: the same 512-row
        // chunks and bits, on the calling thread, allocating the chunk product per call.
        RowMatrix<Scalar> a;
        for (Index start = 0; start < x.rows(); start += detail::reclag_score_chunk) {
            const Index len = std::min(detail::reclag_score_chunk, x.rows() - start);
            a.noalias() = x.middleRows(start, len) * xi.transpose();
            detail::ReclagKernel<Scalar>::finish(x.middleRows(start, len), a, xi, beta, norm,
                                                 [&](Index i) -> Scalar& { return out(start + i); });
        }
        return;
    }
    using Kernel = detail::ReclagKernel<Scalar>;
    const typename Kernel::XView xr(x.derived()), xir(xi.derived());  // no copy for row-major inputs
    Kernel::plan_global(ws, xr.rows());
    Kernel::run(ws, xr, [&xir](Index) -> const typename Kernel::XView& { return xir; }, xir.rows(), beta, norm, out);
}

/// Same, with a workspace of its own (allocates its scratch on every call).
template <typename DerivedX, typename DerivedXi>
void reclag_scores_into(const Eigen::MatrixBase<DerivedX>& x, const Eigen::MatrixBase<DerivedXi>& xi,
                        typename DerivedX::Scalar beta, typename DerivedX::Scalar norm,
                        Eigen::Ref<Vector<typename DerivedX::Scalar>> out) {
    ReclagWorkspace<typename DerivedX::Scalar> ws;
    reclag_scores_into(x, xi, beta, norm, out, ws);
}

template <typename DerivedX, typename DerivedXi>
Vector<typename DerivedX::Scalar> reclag_scores(const Eigen::MatrixBase<DerivedX>& x,
                                                const Eigen::MatrixBase<DerivedXi>& xi, typename DerivedX::Scalar beta,
                                                typename DerivedX::Scalar norm) {
    Vector<typename DerivedX::Scalar> out(x.rows());
    reclag_scores_into(x, xi, beta, norm, out);
    return out;
}

/// log gamma that keeps a fraction `tpr` of the ID scores r on the ID side (r >= log gamma):
/// the k-th largest score with k = floor(tpr n), i.e. NumPy's np.sort(r)[-floor(tpr n)].
template <typename Derived>
typename Derived::Scalar log_gamma_at_tpr(const Eigen::MatrixBase<Derived>& id_scores, double tpr) {
    using Scalar = typename Derived::Scalar;
    const char* where = "log_gamma_at_tpr";
    if (!(tpr > 0.0 && tpr <= 1.0)) throw_invalid(where, "tpr must be in (0, 1] (got ", tpr, ")");
    check_nonempty(where, "id_scores", id_scores.size());
    check_finite(where, "id_scores", id_scores);
    const Index n = id_scores.size();
    const Index k = static_cast<Index>(std::floor(tpr * static_cast<double>(n)));
    if (k < 1) throw_invalid(where, "tpr * n = ", tpr * static_cast<double>(n), " keeps no ID sample (n = ", n, ")");
    std::vector<Scalar> s;
    s.reserve(static_cast<std::size_t>(n));
    for (Index i = 0; i < n; ++i) s.push_back(id_scores(i));
    // ascending order, element n - k  (== sorted[-k])
    std::nth_element(s.begin(), s.begin() + (n - k), s.end());
    return s[static_cast<std::size_t>(n - k)];
}

/// The RecLag detector for a given xi: scores, gate and decision, global or per class.
template <typename Scalar_>
class ReclagScore {
public:
    using Scalar = Scalar_;
    static_assert(is_supported_scalar_v<Scalar>, "reclag::ReclagScore: Scalar must be float or double");
    /// Reusable scratch (and thread count) for scores_into(..., ws): see reclag_workspace.hpp.
    using Workspace = ReclagWorkspace<Scalar>;

    struct Param {
        /// Inverse temperature beta of r(x) = LSE(beta xi x~) (> 0). Paper and public code: 5.
        Scalar beta = Scalar(5);
        /// L2 radius s the features are scaled to before scoring (>= 0); 0 = unscaled (raw
        /// features, the authors' public code). Paper: 10 (Appendix D).
        Scalar norm = Scalar(10);
        void check_param() const {
            check_positive("ReclagScore::Param", "beta", beta);
            if (!(norm >= Scalar(0)) || !std::isfinite(static_cast<double>(norm)))
                throw_invalid("ReclagScore::Param", "norm must be finite and >= 0 (got ", norm, "; 0 = unscaled)");
        }
    };

    ReclagScore() = default;

    /// One global xi (N_H x D): the paper's detector.
    template <typename DerivedXi>
    explicit ReclagScore(const Eigen::MatrixBase<DerivedXi>& xi, Param p = {}, Scalar log_gamma = Scalar(0))
        : param_(p), log_gamma_(log_gamma) {
        param_.check_param();
        xi_.emplace_back(xi.template cast<Scalar>());
        check_interaction();
    }

    /// One xi per class (C matrices, same D); a sample is routed to xi[argmax logits].
    explicit ReclagScore(std::vector<RowMatrix<Scalar>> xi_per_class, Param p = {}, Scalar log_gamma = Scalar(0))
        : param_(p), xi_(std::move(xi_per_class)), per_class_(true), log_gamma_(log_gamma) {
        param_.check_param();
        check_interaction();
    }

    bool per_class() const { return per_class_; }
    bool empty() const { return xi_.empty(); }
    Index num_classes() const { return per_class_ ? static_cast<Index>(xi_.size()) : 0; }
    Index feature_dim() const { return xi_.empty() ? 0 : xi_.front().cols(); }
    const std::vector<RowMatrix<Scalar>>& interaction() const { return xi_; }
    const Param& param() const { return param_; }
    Scalar log_gamma() const { return log_gamma_; }
    void set_log_gamma(Scalar lg) {
        if (!std::isfinite(static_cast<double>(lg))) throw_invalid("ReclagScore::set_log_gamma", "log_gamma must be finite (got ", lg, ")");
        log_gamma_ = lg;
    }

    /// r(x) per row, global xi (throws for a per-class detector: it needs logits).
    template <typename DerivedX>
    Vector<Scalar> scores(const Eigen::MatrixBase<DerivedX>& x) const {
        Vector<Scalar> out(x.rows());
        scores_into(x, out);
        return out;
    }
    template <typename DerivedX>
    void scores_into(const Eigen::MatrixBase<DerivedX>& x, Eigen::Ref<Vector<Scalar>> out) const {
        Workspace ws;
        scores_into(x, out, ws);
    }
    /// Same, reusing `ws` (see score/reclag_workspace.hpp): no heap allocation in steady state.
    template <typename DerivedX>
    void scores_into(const Eigen::MatrixBase<DerivedX>& x, Eigen::Ref<Vector<Scalar>> out, Workspace& ws) const {
        const char* where = "ReclagScore::scores";
        if (xi_.empty()) throw_invalid(where, "no interaction matrix xi");
        if (per_class_) throw_invalid(where, "this detector has one xi per class: pass the logits for routing");
        check_cols(where, "x", x.cols(), feature_dim());
        reclag_scores_into(x, xi_.front(), param_.beta, param_.norm, out, ws);
    }

    /// r(x) per row; for a per-class detector, row i uses xi[argmax logits_i] (first maximum);
    /// for a global one the logits are ignored.
    template <typename DerivedX, typename DerivedZ>
    Vector<Scalar> scores(const Eigen::MatrixBase<DerivedX>& x, const Eigen::MatrixBase<DerivedZ>& logits) const {
        Vector<Scalar> out(x.rows());
        scores_into(x, logits, out);
        return out;
    }
    template <typename DerivedX, typename DerivedZ>
    void scores_into(const Eigen::MatrixBase<DerivedX>& x, const Eigen::MatrixBase<DerivedZ>& logits,
                     Eigen::Ref<Vector<Scalar>> out) const {
        Workspace ws;
        scores_into(x, logits, out, ws);
    }
    /// Same, reusing `ws`: the routing lists, gathered rows and GEMM buffers live there.
    template <typename DerivedX, typename DerivedZ>
    void scores_into(const Eigen::MatrixBase<DerivedX>& x, const Eigen::MatrixBase<DerivedZ>& logits,
                     Eigen::Ref<Vector<Scalar>> out, Workspace& ws) const {
        if (!per_class_) return scores_into(x, out, ws);
        const char* where = "ReclagScore::scores";
        check_cols(where, "x", x.cols(), feature_dim());
        check_rows(where, "logits", logits.rows(), x.rows());
        check_cols(where, "logits", logits.cols(), num_classes());
        check_size(where, "out", out.size(), x.rows());
        using Kernel = detail::ReclagKernel<Scalar>;
        const typename Kernel::XView xr(x.derived());  // no copy for row-major features
        Kernel::plan_routed(ws, logits, num_classes());
        Index max_hidden = 0;
        for (const auto& m : xi_) max_hidden = std::max(max_hidden, m.rows());
        Kernel::run(
            ws, xr, [this](Index c) -> const RowMatrix<Scalar>& { return xi_[static_cast<std::size_t>(c)]; }, max_hidden,
            param_.beta, param_.norm, out);
    }

    /// G = r - log gamma for scores r (the shared gate).
    Vector<Scalar> gate_from_scores(const Eigen::Ref<const Vector<Scalar>>& r) const {
        return r.unaryExpr([lg = log_gamma_](Scalar s) { return reclag_gate_from_lse(s, lg); });
    }
    /// OOD iff G < 0 (Theorem 3), per score.
    Eigen::Matrix<bool, Eigen::Dynamic, 1> is_ood_from_scores(const Eigen::Ref<const Vector<Scalar>>& r) const {
        return r.unaryExpr([lg = log_gamma_](Scalar s) { return reclag_is_ood(reclag_gate_from_lse(s, lg)); });
    }

    /// Sets log gamma so that a fraction tpr of the given ID scores is kept (see log_gamma_at_tpr).
    template <typename Derived>
    Scalar calibrate_from_scores(const Eigen::MatrixBase<Derived>& id_scores, double tpr) {
        log_gamma_ = log_gamma_at_tpr(id_scores, tpr);
        return log_gamma_;
    }

private:
    void check_interaction() const {
        const char* where = "ReclagScore";
        if (xi_.empty()) throw_invalid(where, "no interaction matrix given");
        const Index d = xi_.front().cols();
        for (std::size_t c = 0; c < xi_.size(); ++c) {
            if (xi_[c].rows() == 0 || xi_[c].cols() == 0) throw_invalid(where, "xi[", c, "] is empty");
            check_cols(where, "xi", xi_[c].cols(), d);
            check_finite(where, "xi", xi_[c]);
        }
    }

    Param param_{};
    std::vector<RowMatrix<Scalar>> xi_;
    bool per_class_ = false;
    Scalar log_gamma_ = Scalar(0);
};

}  // namespace reclag
