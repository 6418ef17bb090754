// libFuzzer target for the fitted-detector loader (reclag/io/detector_file.hpp), issue #6 item 3.
//
// Each input is loaded twice with load_detector_from_memory<float> and <double>:
//   1. as given, which exercises the preamble checks (magic, byte-order marker, version,
//      declared size, FNV-1a checksum);
//   2. "repaired": the declared size (offset 16) and the trailing checksum are rewritten to
//      match the bytes, in the byte order the marker announces. A mutated file almost never has
//      a valid checksum, so without this step the field parser behind it would be unreachable.
// The only acceptable failures are reclag::io_error (whose message must name the input) and
// reclag::invalid_argument; anything else is a finding. When a load succeeds:
//   - the header info agrees with the scorer (K, D, per class, fitted);
//   - save_detector_to_memory of the loaded scorer loads back into the same scorer (xi bits,
//     beta, norm, log gamma, log-variances, description);
//   - a tiny batch of finite features (and logits for a per-class detector) is scored: an
//     unfitted scorer must refuse with invalid_argument, a fitted one must return finite
//     scores, and gate() and is_ood() must agree with them. The batch is 4 rows, so the work
//     is bounded by 4 x (number of xi elements) <= the input size: no timeouts on big files.
#include <reclag/core/error.hpp>
#include <reclag/core/types.hpp>
#include <reclag/io/detector_file.hpp>
#include <reclag/lagrangian/reclag_gate.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace {

[[noreturn]] void violated(const char* what) {
    std::fprintf(stderr, "fuzz_detector: invariant violated: %s\n", what);
    std::abort();
}

template <typename S>
bool same_bits(S a, S b) {
    return std::memcmp(&a, &b, sizeof(S)) == 0;
}

template <typename Scalar>
std::optional<reclag::LoadedDetector<Scalar>> try_load(const std::uint8_t* data, std::size_t size) {
    try {
        return reclag::load_detector_from_memory<Scalar>(data, size, "fuzz.reclag");
    } catch (const reclag::io_error& e) {
        if (std::strstr(e.what(), "fuzz.reclag") == nullptr) violated("io_error message does not name the input");
        return std::nullopt;
    } catch (const reclag::invalid_argument&) {
        return std::nullopt;
    }
}

template <typename Scalar>
void check_same_scorer(const reclag::LoadedDetector<Scalar>& a, const reclag::LoadedDetector<Scalar>& b) {
    const auto& sa = a.scorer;
    const auto& sb = b.scorer;
    if (sa.is_fitted() != sb.is_fitted()) violated("round trip changed fitted");
    if (!same_bits(sa.param().beta, sb.param().beta) || !same_bits(sa.param().norm, sb.param().norm) ||
        !same_bits(sa.param().target_tpr, sb.param().target_tpr))
        violated("round trip changed a parameter");
    if (sa.is_fitted() && !same_bits(sa.log_gamma(), sb.log_gamma())) violated("round trip changed log gamma");
    if (sa.detector().per_class() != sb.detector().per_class()) violated("round trip changed per_class");
    const auto& xa = sa.detector().interaction();
    const auto& xb = sb.detector().interaction();
    if (xa.size() != xb.size()) violated("round trip changed K");
    for (std::size_t k = 0; k < xa.size(); ++k) {
        if (xa[k].rows() != xb[k].rows() || xa[k].cols() != xb[k].cols()) violated("round trip changed a xi shape");
        if (std::memcmp(xa[k].data(), xb[k].data(), sizeof(Scalar) * static_cast<std::size_t>(xa[k].size())) != 0)
            violated("round trip changed xi");
    }
    if (a.extras.description != b.extras.description) violated("round trip changed the description");
    if (a.extras.log_var.size() != b.extras.log_var.size()) violated("round trip changed the log-variances");
    for (std::size_t k = 0; k < a.extras.log_var.size(); ++k)
        if (a.extras.log_var[k].size() != b.extras.log_var[k].size() ||
            std::memcmp(a.extras.log_var[k].data(), b.extras.log_var[k].data(),
                        sizeof(Scalar) * static_cast<std::size_t>(a.extras.log_var[k].size())) != 0)
            violated("round trip changed the log-variances");
}

template <typename Scalar>
void check_loaded(const reclag::LoadedDetector<Scalar>& d) {
    using reclag::Index;
    const auto& info = d.info;
    const auto& sc = d.scorer;
    const auto& xi = sc.detector().interaction();
    if (!sc.has_interaction()) violated("a loaded scorer has no xi");
    if (xi.size() != info.num_xi) violated("K in the header differs from the scorer's");
    if (static_cast<std::uint64_t>(sc.detector().feature_dim()) != info.feature_dim) violated("D differs");
    if (sc.detector().per_class() != info.per_class) violated("per_class differs");
    if (sc.is_fitted() != info.fitted) violated("fitted differs");
    if (!d.extras.log_var.empty() != info.has_log_var) violated("log-variance flag differs");

    // Round trip through the writer.
    std::string bytes;
    try {
        bytes = reclag::save_detector_to_memory(sc, d.extras);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fuzz_detector: %s\n", e.what());
        violated("a loaded detector cannot be saved");
    }
    std::optional<reclag::LoadedDetector<Scalar>> back;
    try {
        back = reclag::load_detector_from_memory<Scalar>(bytes.data(), bytes.size(), "resaved.reclag");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fuzz_detector: %s\n", e.what());
        violated("a re-saved detector does not load");
    }
    check_same_scorer(d, *back);

    // Score a tiny batch of finite features: one moderate row per pattern below.
    const Index D = sc.detector().feature_dim();
    const Index B = 4;
    reclag::RowMatrix<Scalar> x(B, D);
    for (Index j = 0; j < D; ++j) {
        const double t = static_cast<double>(j + 1);
        x(0, j) = static_cast<Scalar>(std::sin(t));               // |x_j| <= 1
        x(1, j) = Scalar(0);                                       // the zero row: x~ = 0, r = log N_H
        x(2, j) = static_cast<Scalar>(j % 3 == 0 ? 100 : -0.5);    // a large, uneven row
        x(3, j) = static_cast<Scalar>(std::cos(3 * t) * 1e-3);     // a small row
    }
    const Index C = sc.detector().per_class() ? static_cast<Index>(xi.size()) : 1;
    reclag::RowMatrix<Scalar> z = reclag::RowMatrix<Scalar>::Zero(B, C);
    for (Index i = 0; i < B; ++i) z(i, (i * 7) % C) = Scalar(1);  // routes rows to several classes
    const reclag::FeatureView<Scalar> view(x, z);
    // Where the scores must be finite: by Cauchy-Schwarz, |beta c (x . xi_mu)| <= beta s M with
    // M = max_mu ||xi_mu|| and s = norm (or ||x|| for raw features), and the unscaled product
    // x . xi_mu that the scorer forms first is at most ||x|| M. The loader refuses files whose
    // beta s M overflows; for raw features a large input may still overflow: not checked then.
    // The scorer also forms c = beta * (norm / ||x||) before multiplying by x . xi_mu, which
    // overflows for a tiny ||x|| when beta * norm is huge: a scorer limitation (reported, not a
    // loader bug), so rows whose c overflows are not checked either.
    double M = 0;
    for (const auto& m : xi) M = std::max(M, reclag::detail::max_row_norm(m));
    const double limit = static_cast<double>(std::numeric_limits<Scalar>::max()) / 4;
    const auto must_be_finite = [&](Index i) {
        const double xn = x.row(i).template cast<double>().norm();
        const double beta = static_cast<double>(sc.param().beta), norm = static_cast<double>(sc.param().norm);
        const double scaled = beta * (norm > 0 ? norm : xn) * M, raw = xn * M;
        const double c = norm > 0 && xn > 0 ? beta * (norm / xn) : beta;
        return scaled <= limit && raw <= limit && c <= limit;
    };
    reclag::Vector<Scalar> s;
    try {
        s = sc.score(view);
    } catch (const reclag::invalid_argument&) {
        // Expected from an unfitted scorer (fit() first), and from a fitted one whose score of
        // some row overflows Scalar (raw features with a huge beta): it names that row instead
        // of returning inf. A refusal where every row's score is provably finite is a bug.
        if (!sc.is_fitted()) return;
        for (Index i = 0; i < B; ++i)
            if (!must_be_finite(i)) return;
        violated("a fitted loaded scorer refused a finite batch whose scores cannot overflow");
    }
    if (!sc.is_fitted()) violated("an unfitted scorer returned scores");
    if (s.size() != B) violated("wrong number of scores");
    // score() either throws or returns finite scores (ScoreChecks::scores), bound or not.
    for (Index i = 0; i < B; ++i) {
        if (!std::isfinite(s(i))) {
            std::fprintf(stderr, "fuzz_detector: row %ld score %g (beta %g, norm %g, D %ld)\n", static_cast<long>(i),
                         static_cast<double>(s(i)), static_cast<double>(sc.param().beta),
                         static_cast<double>(sc.param().norm), static_cast<long>(D));
            violated("finite input gave a non-finite score");
        }
    }
    const reclag::Vector<Scalar> g = sc.gate(view);
    const auto ood = sc.is_ood(view);
    for (Index i = 0; i < B; ++i) {
        if (!same_bits(g(i), reclag::reclag_gate_from_lse(s(i), sc.log_gamma()))) violated("gate differs from r - log gamma");
        if (ood(i) != reclag::reclag_is_ood(g(i))) violated("is_ood differs from G < 0");
    }
}

template <typename Scalar>
void run(const std::uint8_t* data, std::size_t size) {
    if (const auto d = try_load<Scalar>(data, size)) check_loaded(*d);
}

/// The input with its declared size and checksum made consistent (nullopt when the byte-order
/// marker is not recognisable or the input is too short to hold both fields).
std::optional<std::vector<std::uint8_t>> repaired(const std::uint8_t* data, std::size_t size) {
    if (size < 32) return std::nullopt;
    std::uint32_t marker;
    std::memcpy(&marker, data + 12, 4);
    bool swap;
    if (marker == reclag::detail::detector_byte_order_marker) swap = false;
    else if (reclag::detail::bswap(marker) == reclag::detail::detector_byte_order_marker) swap = true;
    else return std::nullopt;
    std::vector<std::uint8_t> out(data, data + size);
    const auto put64 = [&](std::size_t at, std::uint64_t v) {
        if (swap) v = reclag::detail::bswap(v);
        std::memcpy(out.data() + at, &v, 8);
    };
    put64(16, static_cast<std::uint64_t>(size));
    put64(size - 8, reclag::detail::fnv1a64(out.data(), size - 8));
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    run<float>(data, size);
    run<double>(data, size);
    if (const auto fixed = repaired(data, size)) {
        if (!std::equal(fixed->begin(), fixed->end(), data)) {
            run<float>(fixed->data(), fixed->size());
            run<double>(fixed->data(), fixed->size());
        }
    }
    return 0;
}
