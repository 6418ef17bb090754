// reclag: AnyScorer, a type-erased scorer for choosing a detector at run time (by name, from a
// command line or a config file). One virtual call per batch, never per sample: the concrete
// scorer's vectorised score() does the work.
#pragma once

#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "reclag/core/checks.hpp"
#include "reclag/score/feature_view.hpp"
#include "reclag/score/scorer.hpp"

namespace reclag {

template <typename Scalar_>
class AnyScorer {
public:
    using Scalar = Scalar_;
    static constexpr const char* name = "any";

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
        S scorer;
    };

    Concept& require(const char* where) const {
        if (!impl_) throw_invalid(where, "the AnyScorer is empty (default-constructed or moved from)");
        return *impl_;
    }

    std::shared_ptr<Concept> impl_;
};

}  // namespace reclag
