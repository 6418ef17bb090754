// reclag: AnyScorer, a type-erased scorer for choosing a detector at run time (by name, from a
// command line or a config file). One virtual call per batch, never per sample: the concrete
// scorer's vectorised score() does the work.
//
//   reclag::AnyScorer<float> s = reclag::make_scorer<float>(name, options);   // score/registry.hpp
//   reclag::AnyScorer<float>::Workspace ws;                 // or ws({/*RecLag lanes=*/2})
//   for (auto& batch : stream) s.score(batch, out, ws);     // no heap allocation after the first
//
// AnyScorer::Workspace holds both kinds of scratch a library scorer may take (RecLag's
// ReclagWorkspace, the block-wise scorers' ScoreWorkspace) and hands the wrapped scorer the one
// it uses: the run-time choice keeps the steady-state no-allocation property of the concrete
// types (tests/score/no_allocation_test.cpp). A user scorer that only has the contract's
// `Vector score(split)` still works: score(split, out[, ws]) copies its result.
#pragma once

#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "reclag/core/checks.hpp"
#include "reclag/score/feature_view.hpp"
#include "reclag/score/reclag_workspace.hpp"
#include "reclag/score/score_workspace.hpp"
#include "reclag/score/scorer.hpp"

namespace reclag {

namespace detail {

/// S::Workspace, or void for a scorer that takes none.
template <typename S, typename = void>
struct workspace_of {
    using type = void;
};
template <typename S>
struct workspace_of<S, std::void_t<typename S::Workspace>> {
    using type = typename S::Workspace;
};

/// Whether S has `void score(const FeatureView&, Eigen::Ref<Vector>) const` (caller storage).
template <typename S, typename = void>
struct has_score_into : std::false_type {};
template <typename S>
struct has_score_into<S, std::void_t<decltype(std::declval<const S&>().score(
                             std::declval<const FeatureView<typename S::Scalar>&>(),
                             std::declval<Eigen::Ref<Vector<typename S::Scalar>>>()))>> : std::true_type {};

}  // namespace detail

template <typename Scalar_>
class AnyScorer {
public:
    using Scalar = Scalar_;
    static constexpr const char* name = "any";

    /// Scratch for score(split, out, ws), whichever scorer is wrapped; one per concurrent caller.
    struct Workspace {
        /// `reclag_param.num_threads` lanes for a wrapped RecLag scorer (reclag_workspace.hpp);
        /// the other scorers run on the calling thread.
        explicit Workspace(typename ReclagWorkspace<Scalar>::Param reclag_param = {}) : reclag(reclag_param) {}
        ReclagWorkspace<Scalar> reclag;
        ScoreWorkspace<Scalar> block;
    };

    AnyScorer() = default;

    /// Wraps a copy (or a moved-in) concrete scorer satisfying the contract of scorer.hpp.
    template <typename S, typename = std::enable_if_t<!std::is_same_v<std::decay_t<S>, AnyScorer>>>
    AnyScorer(S&& scorer)  // NOLINT(google-explicit-constructor): wrapping is the point
        : impl_(std::make_shared<Model<std::decay_t<S>>>(std::forward<S>(scorer))) {
        using Concrete = std::decay_t<S>;
        static_assert_scorer<Concrete>();
        static_assert(std::is_same_v<typename Concrete::Scalar, Scalar>,
                      "reclag::AnyScorer<Scalar> can only hold scorers of the same Scalar");
    }

    /// AnyScorer is copyable; copies share nothing mutable (fit() replaces the model).
    AnyScorer(const AnyScorer& other) : impl_(other.impl_ ? other.impl_->clone() : nullptr) {}
    AnyScorer& operator=(const AnyScorer& other) {
        if (this != &other) impl_ = other.impl_ ? other.impl_->clone() : nullptr;
        return *this;
    }
    AnyScorer(AnyScorer&&) noexcept = default;
    AnyScorer& operator=(AnyScorer&&) noexcept = default;

    bool empty() const { return impl_ == nullptr; }
    /// The wrapped scorer's name ("msp", "energy", ...).
    std::string scorer_name() const { return impl_ ? impl_->name() : std::string(); }
    bool is_fitted() const { return impl_ && impl_->is_fitted(); }
    /// True when fit() needs a ClassifierHead (ReAct, ASH, DICE, ViM).
    bool needs_head() const { return impl_ && impl_->needs_head(); }

    void fit(const FeatureView<Scalar>& id_fit) { require("AnyScorer::fit").fit(id_fit); }
    void fit(const FeatureView<Scalar>& id_fit, const ClassifierHead<Scalar>& head) {
        require("AnyScorer::fit").fit(id_fit, head);
    }
    Vector<Scalar> score(const FeatureView<Scalar>& split) const { return require("AnyScorer::score").score(split); }
    /// Scores into caller storage (out.size() == split.rows()).
    void score(const FeatureView<Scalar>& split, Eigen::Ref<Vector<Scalar>> out) const {
        require("AnyScorer::score").score(split, out);
    }
    /// Scores into caller storage reusing `ws`: no heap allocation after the first call at a
    /// batch size for every library scorer (RecLag with 1 lane).
    void score(const FeatureView<Scalar>& split, Eigen::Ref<Vector<Scalar>> out, Workspace& ws) const {
        require("AnyScorer::score").score(split, out, ws);
    }

    /// The wrapped scorer, or nullptr if it is not an S.
    template <typename S>
    const S* target() const {
        auto* model = dynamic_cast<const Model<S>*>(impl_.get());
        return model ? &model->scorer : nullptr;
    }

private:
    struct Concept {
        virtual ~Concept() = default;
        virtual std::shared_ptr<Concept> clone() const = 0;
        virtual std::string name() const = 0;
        virtual bool is_fitted() const = 0;
        virtual bool needs_head() const = 0;
        virtual void fit(const FeatureView<Scalar>& id_fit) = 0;
        virtual void fit(const FeatureView<Scalar>& id_fit, const ClassifierHead<Scalar>& head) = 0;
        virtual Vector<Scalar> score(const FeatureView<Scalar>& split) const = 0;
        virtual void score(const FeatureView<Scalar>& split, Eigen::Ref<Vector<Scalar>> out) const = 0;
        virtual void score(const FeatureView<Scalar>& split, Eigen::Ref<Vector<Scalar>> out, Workspace& ws) const = 0;
    };

    template <typename S>
    struct Model final : Concept {
        template <typename T>
        explicit Model(T&& s) : scorer(std::forward<T>(s)) {}
        std::shared_ptr<Concept> clone() const override { return std::make_shared<Model>(scorer); }
        std::string name() const override { return S::name; }
        bool is_fitted() const override { return scorer.is_fitted(); }
        bool needs_head() const override {
            if constexpr (detail::has_needs_head<S>::value) return S::needs_head;
            else return false;
        }
        void fit(const FeatureView<Scalar>& id_fit) override { scorer.fit(id_fit); }
        void fit(const FeatureView<Scalar>& id_fit, const ClassifierHead<Scalar>& head) override {
            scorer.fit(id_fit, head);
        }
        Vector<Scalar> score(const FeatureView<Scalar>& split) const override { return scorer.score(split); }
        void score(const FeatureView<Scalar>& split, Eigen::Ref<Vector<Scalar>> out) const override {
            if constexpr (detail::has_score_into<S>::value) {
                scorer.score(split, out);
            } else {
                check_size("AnyScorer::score", "out", out.size(), split.rows());
                const Vector<Scalar> scores = scorer.score(split);
                check_size("AnyScorer::score", (std::string(S::name) + "'s score(split)").c_str(), scores.size(),
                           split.rows());
                out = scores;
            }
        }
        void score(const FeatureView<Scalar>& split, Eigen::Ref<Vector<Scalar>> out, Workspace& ws) const override {
            using W = typename detail::workspace_of<S>::type;
            if constexpr (std::is_same_v<W, ReclagWorkspace<Scalar>>) {
                scorer.score(split, out, ws.reclag);
            } else if constexpr (std::is_same_v<W, ScoreWorkspace<Scalar>>) {
                scorer.score(split, out, ws.block);
            } else {
                score(split, out);
            }
        }
        S scorer;
    };

    Concept& require(const char* where) const {
        if (!impl_) throw_invalid(where, "the AnyScorer is empty (default-constructed or moved from)");
        return *impl_;
    }

    std::shared_ptr<Concept> impl_;
};

}  // namespace reclag
