// reclag: SfnnTrainer learns the interaction matrix xi of a RecLag network from in-distribution
// features by the SFNN training of Section 5 (Tang & Salakhutdinov 2013; Eqs. 15-17), with the
// exact or the Monte Carlo estimator of sfnn_objective.hpp, and Adam or SGD with momentum.
//
//   reclag::SfnnTrainer<float> trainer;                     // paper defaults (Appendix D)
//   reclag::SfnnResult<float> r = trainer.fit(id_train);    // rows = samples
//   // r.xi (250 x D) goes to the RecLag scorer; r.objective is the training curve.
//
// Two set-ups: the paper's text (default Param: one global xi on features scaled to norm 10),
// and the authors' public code (Param::public_code() + fit_per_class(): one xi per class).
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include <Eigen/Core>

#include "reclag/core/checks.hpp"
#include "reclag/core/numeric.hpp"
#include "reclag/core/types.hpp"
#include "reclag/score/feature_view.hpp"
#include "reclag/score/scorer.hpp"
#include "reclag/train/optimizers.hpp"
#include "reclag/train/random.hpp"
#include "reclag/train/sfnn_objective.hpp"
#include "reclag/train/train_result.hpp"

namespace reclag {

enum class SfnnEstimator {
    MonteCarlo,  ///< the paper's: M samples from p_H, self-normalised importance weights
    Exact        ///< all N_H memories: J = LSE_mu(log p_H + log p_V)
};

enum class SfnnCovariance {
    Diagonal,   ///< learnable per-dimension log-variances (Eq. 16 with a diagonal Sigma)
    Isotropic,  ///< one learnable log-variance shared by all dimensions
    Fixed       ///< not learnt: Sigma = exp(log_var_init) I (0 = unit variance)
};

enum class SfnnInit {
    RandomSamples,  ///< N_H distinct training rows drawn uniformly, rescaled to init_norm
    KMeansPlusPlus  ///< k-means++ seeding (D^2 sampling, no Lloyd steps) on the rescaled rows
};

template <typename Scalar_>
class SfnnTrainer {
public:
    using Scalar = Scalar_;
    static_assert(is_supported_scalar_v<Scalar>, "reclag::SfnnTrainer: Scalar must be float or double");

    /// Defaults = the paper's Appendix D (N_H 250, beta 5, norm 10, 5 MC samples, 100 epochs).
    /// The paper gives no optimiser settings: Adam lr 3e-3 (b1 0.9, b2 0.999, eps 1e-8), batch 128,
    /// shuffled, last partial batch kept, are those of the Python reference run on FMNIST.
    struct Param {
        Index n_hidden = 250;             ///< N_H, memories (capped at the number of samples)
        Scalar beta = 5;                  ///< inverse temperature of p_H (Eq. 17)
        bool normalize_features = true;   ///< scale each feature row to L2 norm feature_norm
        Scalar feature_norm = 10;         ///< s
        Scalar init_norm = 10;            ///< initial xi rows = init_norm x / ||x|| of chosen rows
        SfnnInit init = SfnnInit::RandomSamples;
        SfnnEstimator estimator = SfnnEstimator::MonteCarlo;
        Index mc_samples = 5;             ///< M (Monte Carlo only)
        SfnnCovariance covariance = SfnnCovariance::Diagonal;
        Scalar log_var_init = 0;          ///< initial log-variance; for Fixed, the fixed value
        OptimizerParam optimizer{};       ///< Adam, lr 3e-3, (0.9, 0.999), eps 1e-8
        Index batch_size = 128;
        int epochs = 100;
        bool shuffle = true;              ///< a fresh permutation per epoch (else file order)
        bool drop_last = false;           ///< drop the last partial batch of each epoch
        std::uint64_t seed = 0;           ///< see random.hpp for the streams
        bool track_full_objective = false;///< also record the full-data exact objective per epoch
        /// Bit-identical xi whatever Eigen::nbThreads() (programs built with -fopenmp): the GEMMs'
        /// inner dimension is cut at Eigen's multi-threaded depth block (thread_invariant_product.hpp).
        /// A no-op below ~300 dimensions and batch sizes; off = plain Eigen products.
        bool thread_invariant = true;

        void check_param() const {
            const char* w = "SfnnTrainer::Param::check_param";
            if (n_hidden < 1) throw_invalid(w, "n_hidden must be >= 1 (got ", n_hidden, ")");
            check_positive(w, "beta", beta);
            if (normalize_features) check_positive(w, "feature_norm", feature_norm);
            check_positive(w, "init_norm", init_norm);
            if (mc_samples < 1) throw_invalid(w, "mc_samples must be >= 1 (got ", mc_samples, ")");
            if (!std::isfinite(static_cast<double>(log_var_init)))
                throw_invalid(w, "log_var_init must be finite (got ", log_var_init, ")");
            if (batch_size < 1) throw_invalid(w, "batch_size must be >= 1 (got ", batch_size, ")");
            if (epochs < 0) throw_invalid(w, "epochs must be >= 0 (got ", epochs, ")");
            optimizer.check_param();
        }

        /// The authors' public code: per class (use fit_per_class), raw features, xi rows
        /// initialised from random class samples rescaled to norm 10, fixed unit variance,
        /// beta 5, exact objective, Adam lr 1e-3 betas (0.9, 0.98) eps 1e-9, batch 50,
        /// 50 epochs, batches in file order, last partial batch dropped, N_H = min(N_c, 250).
        static Param public_code() {
            Param p;
            p.normalize_features = false;
            p.init_norm = 10;
            p.covariance = SfnnCovariance::Fixed;
            p.log_var_init = 0;
            p.estimator = SfnnEstimator::Exact;
            p.optimizer.kind = OptimizerKind::Adam;
            p.optimizer.lr = 1e-3;
            p.optimizer.beta1 = 0.9;
            p.optimizer.beta2 = 0.98;
            p.optimizer.eps = 1e-9;
            p.batch_size = 50;
            p.epochs = 50;
            p.shuffle = false;
            p.drop_last = true;
            return p;
        }
    };

    /// Called after each epoch with (epoch = 1, 2, ..., its objective, its wall seconds);
    /// returning false stops training (status StoppedByCallback).
    using EpochCallback = std::function<bool(int epoch, double objective, double seconds)>;

    explicit SfnnTrainer(Param p = Param{}) : param_(p) { param_.check_param(); }

    const Param& param() const { return param_; }
    void set_epoch_callback(EpochCallback cb) { callback_ = std::move(cb); }

    // ---- high level -----------------------------------------------------------------------

    /// Trains one global xi on all rows of X (n x D). Initial rows drawn per Param::init.
    template <typename Derived>
    SfnnResult<Scalar> fit(const Eigen::MatrixBase<Derived>& X) {
        const Eigen::Ref<const RowMatrix<Scalar>> Xr(X.derived());
        check_train_input("SfnnTrainer::fit", Xr);
        set_rows_all(Xr.rows());
        seed_streams(-1);
        const std::vector<Index> init = choose_init(Xr);
        return run(Xr, init, -1);
    }

    /// Same, with the initial rows given (indices into X, in xi row order; N_H = their number).
    template <typename Derived>
    SfnnResult<Scalar> fit(const Eigen::MatrixBase<Derived>& X, const std::vector<Index>& init_rows) {
        const Eigen::Ref<const RowMatrix<Scalar>> Xr(X.derived());
        check_train_input("SfnnTrainer::fit", Xr);
        set_rows_all(Xr.rows());
        check_init_rows("SfnnTrainer::fit", init_rows, Xr.rows());
        seed_streams(-1);
        return run(Xr, init_rows, -1);
    }

    /// One xi per class c, trained on the rows with label == argmax(logits) == c (file order);
    /// the split needs features, logits and labels. Result c belongs to class c.
    std::vector<SfnnResult<Scalar>> fit_per_class(const FeatureView<Scalar>& split) {
        return fit_per_class_impl(split, nullptr);
    }

    /// Same, with each class's initial rows given as positions in its class set.
    std::vector<SfnnResult<Scalar>> fit_per_class(const FeatureView<Scalar>& split,
                                                  const std::vector<std::vector<Index>>& init_rows) {
        return fit_per_class_impl(split, &init_rows);
    }

    /// Rows with label == argmax(logits) == c, ascending (the public code's class sets).
    static std::vector<Index> class_rows(const FeatureView<Scalar>& split, std::int64_t c) {
        const LabelVector pred = predicted_classes(split.logits());
        std::vector<Index> rows;
        for (Index i = 0; i < split.rows(); ++i)
            if (split.labels()(i) == c && pred(i) == c) rows.push_back(i);
        return rows;
    }

    // ---- low level: what fit() loops over, for custom schedules and tests -----------------

    /// Sets xi = init_norm x / ||x|| of X's rows init_rows, log-variances = log_var_init, and
    /// resets the optimiser. Later calls use all rows of the X passed to them.
    template <typename Derived>
    void initialize(const Eigen::MatrixBase<Derived>& X, const std::vector<Index>& init_rows) {
        const Eigen::Ref<const RowMatrix<Scalar>> Xr(X.derived());
        check_train_input("SfnnTrainer::initialize", Xr);
        check_init_rows("SfnnTrainer::initialize", init_rows, Xr.rows());
        set_rows_all(Xr.rows());
        seed_streams(-1);
        init_state(Xr, init_rows);
    }

    /// One optimiser step on X's rows `batch`; returns the estimator's batch-mean objective
    /// before the update (NaN, and no update, on a non-finite objective or gradient). The
    /// Monte Carlo uniforms come from the trainer's stream, or from `u` (|batch| x M) if given.
    template <typename Derived>
    Scalar step(const Eigen::MatrixBase<Derived>& X, const std::vector<Index>& batch) {
        const Eigen::Ref<const RowMatrix<Scalar>> Xr(X.derived());
        check_step(Xr, batch);
        return step_impl(Xr, batch.data(), static_cast<Index>(batch.size()), nullptr);
    }
    template <typename Derived, typename DU>
    Scalar step(const Eigen::MatrixBase<Derived>& X, const std::vector<Index>& batch, const Eigen::MatrixBase<DU>& u) {
        const Eigen::Ref<const RowMatrix<Scalar>> Xr(X.derived());
        check_step(Xr, batch);
        if (u.rows() != static_cast<Index>(batch.size()) || u.cols() != param_.mc_samples)
            throw_invalid("SfnnTrainer::step", "u is ", u.rows(), " x ", u.cols(), ", expected ", batch.size(), " x ",
                          param_.mc_samples);
        const RowMatrix<Scalar> uu = u.template cast<Scalar>();
        return step_impl(Xr, batch.data(), static_cast<Index>(batch.size()), &uu);
    }

    /// Mean exact objective over all rows of X with the current parameters (scaled like training).
    template <typename Derived>
    double exact_objective(const Eigen::MatrixBase<Derived>& X) {
        const Eigen::Ref<const RowMatrix<Scalar>> Xr(X.derived());
        if (xi_.size() == 0) throw_invalid("SfnnTrainer::exact_objective", "called before initialize() or fit()");
        check_cols("SfnnTrainer::exact_objective", "X", Xr.cols(), xi_.cols());
        check_finite("SfnnTrainer::exact_objective", "X", Xr);
        std::vector<Index> all(static_cast<std::size_t>(Xr.rows()));
        for (Index i = 0; i < Xr.rows(); ++i) all[static_cast<std::size_t>(i)] = i;
        return full_objective(Xr, all);  // leaves the training set alone: safe inside a callback
    }

    const RowMatrix<Scalar>& xi() const { return xi_; }
    /// The D log-variances (expanded for isotropic / fixed covariance).
    Vector<Scalar> log_var() const {
        if (layout() == VarianceLayout::PerDimension) return lv_;
        return Vector<Scalar>::Constant(xi_.cols(), lv_.size() ? lv_(0) : param_.log_var_init);
    }

private:
    using Ref = Eigen::Ref<const RowMatrix<Scalar>>;

    VarianceLayout layout() const {
        return param_.covariance == SfnnCovariance::Diagonal ? VarianceLayout::PerDimension : VarianceLayout::Shared;
    }

    static void check_train_input(const char* where, const Ref& X) {
        check_nonempty(where, "X (rows)", X.rows());
        check_nonempty(where, "X (columns)", X.cols());
        check_finite(where, "X", X);
    }

    static void check_init_rows(const char* where, const std::vector<Index>& init, Index n) {
        if (init.empty()) throw_invalid(where, "init_rows is empty");
        for (Index r : init)
            if (r < 0 || r >= n) throw_invalid(where, "init_rows has index ", r, ", outside [0, ", n, ")");
    }

    void check_step(const Ref& X, const std::vector<Index>& batch) {
        const char* w = "SfnnTrainer::step";
        if (xi_.size() == 0) throw_invalid(w, "called before initialize()");
        check_cols(w, "X", X.cols(), xi_.cols());
        if (batch.empty()) throw_invalid(w, "batch is empty");
        for (Index r : batch)
            if (r < 0 || r >= X.rows()) throw_invalid(w, "batch has row ", r, ", outside [0, ", X.rows(), ")");
        set_rows_all(X.rows());
        ensure_workspace(std::max<Index>(static_cast<Index>(batch.size()), batch_rows(X.rows())));
    }

    void set_rows_all(Index n) {
        rows_.resize(static_cast<std::size_t>(n));
        for (Index i = 0; i < n; ++i) rows_[static_cast<std::size_t>(i)] = i;
    }

    /// Rows of the current training set (rows_), rescaled to init_norm.
    RowMatrix<Scalar> init_candidates(const Ref& X) const {
        RowMatrix<Scalar> Y(static_cast<Index>(rows_.size()), X.cols());
        for (std::size_t i = 0; i < rows_.size(); ++i) Y.row(static_cast<Index>(i)) = X.row(rows_[i]);
        normalize_rows_inplace(Y, param_.init_norm);
        return Y;
    }

    /// Positions in the current training set. N <= n_hidden: all, in order (no draw).
    std::vector<Index> choose_init(const Ref& X) {
        const Index n = static_cast<Index>(rows_.size());
        std::vector<Index> init;
        if (n <= param_.n_hidden) {
            for (Index i = 0; i < n; ++i) init.push_back(i);
            return init;
        }
        if (param_.init == SfnnInit::RandomSamples) return rng_main_.choose(n, param_.n_hidden);
        // k-means++ seeding: first row uniform, then each row with probability prop. to its
        // squared distance to the nearest chosen row.
        const RowMatrix<Scalar> Y = init_candidates(X);
        std::vector<double> d2(static_cast<std::size_t>(n), std::numeric_limits<double>::infinity());
        Index c = static_cast<Index>(rng_main_.below(static_cast<std::uint64_t>(n)));
        init.push_back(c);
        while (static_cast<Index>(init.size()) < param_.n_hidden) {
            double total = 0;
            for (Index i = 0; i < n; ++i) {
                const double d = static_cast<double>((Y.row(i) - Y.row(c)).squaredNorm());
                d2[static_cast<std::size_t>(i)] = std::min(d2[static_cast<std::size_t>(i)], d);
                total += d2[static_cast<std::size_t>(i)];
            }
            const double t = rng_main_.uniform() * total;
            double acc = 0;
            Index pick = -1;
            for (Index i = 0; i < n; ++i) {
                const double di = d2[static_cast<std::size_t>(i)];
                if (di <= 0) continue;
                acc += di;
                pick = i;
                if (acc > t) break;
            }
            if (pick < 0) {  // every remaining row duplicates a chosen one: take the first unchosen
                for (Index i = 0; i < n && pick < 0; ++i)
                    if (std::find(init.begin(), init.end(), i) == init.end()) pick = i;
            }
            c = pick;
            d2[static_cast<std::size_t>(c)] = 0;
            init.push_back(c);
        }
        return init;
    }

    /// Streams 2(label + 1) (init rows, permutations) and 2(label + 1) + 1 (MC uniforms).
    void seed_streams(std::int64_t label) {
        const auto stream = static_cast<std::uint32_t>(2 * (label + 1));
        rng_main_ = TrainRng(param_.seed, stream);
        rng_mc_ = TrainRng(param_.seed, stream + 1);
    }

    template <typename DX>
    void init_state(const DX& X, const std::vector<Index>& init) {
        const Index D = X.cols();
        const Index H = static_cast<Index>(init.size());
        xi_.resize(H, D);
        for (Index k = 0; k < H; ++k) xi_.row(k) = X.row(rows_[static_cast<std::size_t>(init[static_cast<std::size_t>(k)])]);
        normalize_rows_inplace(xi_, param_.init_norm);
        if (layout() == VarianceLayout::PerDimension) lv_ = Vector<Scalar>::Constant(D, param_.log_var_init);
        else lv_ = Vector<Scalar>::Constant(1, param_.log_var_init);
        optimizer_ = Optimizer<Scalar>(param_.optimizer);
        std::vector<Index> sizes{xi_.size()};
        if (param_.covariance != SfnnCovariance::Fixed) sizes.push_back(lv_.size());
        optimizer_.reset(sizes);
        kernel_.set_thread_invariant(param_.thread_invariant);
        ensure_workspace(batch_rows(static_cast<Index>(rows_.size())));
    }

    /// Rows a batch can actually have: batch_size capped at the n training rows, so that a
    /// batch_size of 1e18 (one batch = everything) never sizes a workspace.
    Index batch_rows(Index n) const { return std::max<Index>(1, std::min(param_.batch_size, n)); }

    void ensure_workspace(Index max_batch) {
        const Index mb = std::max(max_batch, kernel_.max_batch());
        // The workspaces hold mb x N_H and mb x M entries: refuse a product that overflows
        // Index before anything is allocated (Eigen would throw std::bad_alloc, or worse).
        const Index widest = std::max<Index>({xi_.rows(), xi_.cols(), param_.mc_samples, 1});
        if (mb > std::numeric_limits<Index>::max() / widest)
            throw_invalid("SfnnTrainer", "a workspace of ", mb, " batch rows x ", widest,
                          " (N_H, D or mc_samples) entries overflows Index");
        kernel_.reserve(mb, xi_.rows(), xi_.cols(), param_.mc_samples);
        if (u_.rows() < mb || u_.cols() != param_.mc_samples) u_.resize(mb, param_.mc_samples);
        neg_xi_.resize(xi_.rows(), xi_.cols());
        neg_lv_.resize(lv_.size());
    }

    /// Copies X's rows into the kernel input and scales them.
    void gather(const Ref& X, const Index* rows, Index B) {
        auto in = kernel_.input(B);
        for (Index k = 0; k < B; ++k) in.row(k) = X.row(rows[k]);
        if (param_.normalize_features) normalize_rows_inplace(in, param_.feature_norm);
    }

    /// rows: indices into X (already mapped from training-set positions).
    Scalar step_impl(const Ref& X, const Index* rows, Index B, const RowMatrix<Scalar>* u) {
        gather(X, rows, B);
        const VarianceLayout lay = layout();
        Scalar obj;
        if (param_.estimator == SfnnEstimator::Exact) {
            obj = kernel_.exact(B, xi_, lv_, param_.beta, lay, true);
        } else {
            const Index M = param_.mc_samples;
            kernel_.p_H(B, xi_, param_.beta);
            if (u != nullptr) {
                kernel_.sample_indices(B, *u);
            } else {
                for (Index b = 0; b < B; ++b)
                    for (Index m = 0; m < M; ++m) u_(b, m) = static_cast<Scalar>(rng_mc_.uniform());
                kernel_.sample_indices(B, u_.topRows(B));
            }
            obj = kernel_.monte_carlo(B, M, xi_, lv_, param_.beta, lay, true);
        }
        const bool learn_lv = param_.covariance != SfnnCovariance::Fixed;
        // all_finite_fast, not Eigen's allFinite(): on the 250 x 512 row-major gradient the latter
        // (scalar, column by column) took ~0.15 ms per step; a Monte Carlo epoch is ~12% faster
        // without it (bench_train, sfnn_epoch_mc/12000).
        if (!std::isfinite(static_cast<double>(obj)) || !all_finite_fast(kernel_.grad_xi()) ||
            (learn_lv && !all_finite_fast(kernel_.grad_log_var())))
            return std::numeric_limits<Scalar>::quiet_NaN();
        // The optimiser minimises the loss -J.
        neg_xi_ = -kernel_.grad_xi();
        optimizer_.begin_step();
        optimizer_.update(0, xi_, neg_xi_);
        if (learn_lv) {
            neg_lv_ = -kernel_.grad_log_var();
            optimizer_.update(1, lv_, neg_lv_);
        }
        return obj;
    }

    double full_objective(const Ref& X) { return full_objective(X, rows_); }
    double full_objective(const Ref& X, const std::vector<Index>& rows) {
        const Index n = static_cast<Index>(rows.size());
        const Index chunk = std::max<Index>(kernel_.max_batch(), 1);
        ensure_workspace(chunk);
        double sum = 0;
        for (Index start = 0; start < n; start += chunk) {
            const Index B = std::min(chunk, n - start);
            gather(X, rows.data() + start, B);
            kernel_.exact(B, xi_, lv_, param_.beta, layout(), false);
            for (Index b = 0; b < B; ++b) sum += static_cast<double>(kernel_.objective()(b));
        }
        return sum / static_cast<double>(n);
    }

    SfnnResult<Scalar> run(const Ref& X, const std::vector<Index>& init, std::int64_t label) {
        using clock = std::chrono::steady_clock;
        const auto t_start = clock::now();
        init_state(X, init);

        SfnnResult<Scalar> res;
        res.init_rows = init;
        res.label = label;
        const Index n = static_cast<Index>(rows_.size());
        const Index bs = param_.batch_size;
        const Index n_batches = n / bs + ((!param_.drop_last && n % bs != 0) ? 1 : 0);  // no n + bs overflow
        if (param_.track_full_objective) res.full_objective.push_back(full_objective(X));
        std::vector<Index> perm(static_cast<std::size_t>(n));
        std::vector<Index> batch(static_cast<std::size_t>(batch_rows(n)));
        for (int epoch = 1; epoch <= param_.epochs; ++epoch) {
            const auto t0 = clock::now();
            if (param_.shuffle) rng_main_.permutation(perm, n);
            else for (Index i = 0; i < n; ++i) perm[static_cast<std::size_t>(i)] = i;
            double sum = 0;
            bool bad = false;
            for (Index k = 0; k < n_batches; ++k) {
                const Index start = k * bs;
                const Index B = std::min(bs, n - start);
                for (Index i = 0; i < B; ++i)
                    batch[static_cast<std::size_t>(i)] = rows_[static_cast<std::size_t>(perm[static_cast<std::size_t>(start + i)])];
                const Scalar obj = step_impl(X, batch.data(), B, nullptr);
                if (!std::isfinite(static_cast<double>(obj))) {
                    bad = true;
                    break;
                }
                sum += static_cast<double>(obj);
                ++res.steps;
            }
            if (bad) {
                res.status = TrainStatus::NumericalIssue;
                break;
            }
            const double epoch_obj = n_batches > 0 ? sum / static_cast<double>(n_batches) : full_objective(X);
            res.objective.push_back(epoch_obj);
            if (param_.track_full_objective) res.full_objective.push_back(full_objective(X));
            const double secs = std::chrono::duration<double>(clock::now() - t0).count();
            res.epoch_seconds.push_back(secs);
            res.epochs = epoch;
            if (callback_ && !callback_(epoch, epoch_obj, secs)) {
                res.status = TrainStatus::StoppedByCallback;
                break;
            }
        }
        res.xi = xi_;
        res.log_var = log_var();
        res.seconds = std::chrono::duration<double>(clock::now() - t_start).count();
        return res;
    }

    std::vector<SfnnResult<Scalar>> fit_per_class_impl(const FeatureView<Scalar>& split,
                                                       const std::vector<std::vector<Index>>* init_rows) {
        const char* w = "SfnnTrainer::fit_per_class";
        if (!split.has_logits()) throw_invalid(w, "the split has no logits");
        if (!split.has_labels()) throw_invalid(w, "the split has no labels");
        const Ref X(split.features());
        check_train_input(w, X);
        check_finite(w, "logits", split.logits());
        const Index C = split.num_classes();
        check_labels(w, split.labels(), C);  // a label outside [0, C) would silently join no class
        if (init_rows != nullptr) check_size(w, "init_rows", static_cast<Index>(init_rows->size()), C);
        std::vector<SfnnResult<Scalar>> out;
        for (Index c = 0; c < C; ++c) {
            rows_ = class_rows(split, static_cast<std::int64_t>(c));
            if (rows_.empty())
                throw_invalid(w, "class ", c, " has no training row with label == argmax(logits) == ", c);
            seed_streams(static_cast<std::int64_t>(c));
            std::vector<Index> init;
            if (init_rows != nullptr) {
                init = (*init_rows)[static_cast<std::size_t>(c)];
                check_init_rows(w, init, static_cast<Index>(rows_.size()));
            } else {
                init = choose_init(X);
            }
            std::vector<Index> class_set = rows_;
            SfnnResult<Scalar> r = run(X, init, static_cast<std::int64_t>(c));
            r.rows = std::move(class_set);
            out.push_back(std::move(r));
        }
        return out;
    }

    Param param_;
    EpochCallback callback_;
    std::vector<Index> rows_;  // the current training set: indices into X
    RowMatrix<Scalar> xi_;
    Vector<Scalar> lv_;        // D (diagonal) or 1 (isotropic / fixed) entries
    Optimizer<Scalar> optimizer_;
    SfnnObjective<Scalar> kernel_;
    RowMatrix<Scalar> u_, neg_xi_;
    Vector<Scalar> neg_lv_;
    TrainRng rng_main_{0, 0}, rng_mc_{0, 1};
};

}  // namespace reclag
