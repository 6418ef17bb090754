// reclag: fitted-detector files. Train once, deploy by loading: a ReclagScorer's interaction
// matrix (one global xi or one per class), beta, feature norm, target TPR and calibrated
// log gamma, plus optional trainer extras (SFNN log-variances, a free-text description).
//
//   reclag::save_detector("fmnist.reclag", scorer);                      // atomic replace
//   reclag::ReclagScorer<float> s = reclag::load_detector<float>("fmnist.reclag");
//   // s.score(split) is bit-identical to scorer.score(split)
//
// Why one binary file rather than a directory of .npy files or an .npz: a single file is
// replaced with one atomic rename (a directory cannot be), one checksum covers every byte, and
// no zip reader is needed. xi stays easy to get at from Python: train_xi --xi-npy writes it as
// .npy too, and the layout below is a dozen lines of numpy.frombuffer.
//
// Format version 1. Integers are unsigned; reals are IEEE 754; every multi-byte field is in
// the writer's byte order, given by the marker (this library writes native order; the reader
// accepts either order and byte-swaps).
//
//   offset  bytes  field
//        0      8  magic "RECLAGDT"
//        8      4  u32 format version (1)
//       12      4  u32 byte-order marker 0x01020304 (bytes 04 03 02 01 = little-endian file)
//       16      8  u64 total file size in bytes, checksum included (tells truncation apart
//                  from corruption)
//       24      4  u32 scalar bytes: 4 (float32) or 8 (float64), the type of every array element
//       28      4  u32 flags: bit 0 per-class xi, bit 1 fitted (log gamma calibrated),
//                  bit 2 log-variances present; other bits must be 0
//       32      8  u64 K, number of xi matrices (1 for a global xi, C for per class)
//       40      8  u64 D, feature dimension
//       48      8  f64 beta        (exact for both scalar types: float -> double is lossless)
//       56      8  f64 norm        (0 = raw features)
//       64      8  f64 log gamma   (we store log gamma, never gamma; 0 when not fitted)
//       72      8  f64 target TPR  (the fraction of ID samples kept by the calibration)
//       80      8  u64 L, description length
//       88      L  description (UTF-8 text, no terminator)
//     then K x [u64 rows N_k, u64 cols (= D), N_k * D elements, row-major]   xi_k
//     then, if flag bit 2, K x [u64 length (= D), D elements]             log-variances of xi_k
//     last      8  u64 FNV-1a 64 of every preceding byte (single-byte changes always detected)
//
// Loading checks, in this order, and throws reclag::io_error "<file>: <problem>" for: a file
// too short for its header, a wrong magic, an unknown byte-order marker, a NEWER (or zero)
// format version, a size different from the declared one (truncated / trailing bytes), a
// checksum mismatch, then every field: unknown flags, scalar size, K or D zero or larger than
// the remaining bytes allow (checked before any allocation: a hostile size never allocates),
// shapes, non-finite or out-of-range values, leftover bytes. Nothing is allocated beyond the
// file's own size.
//
// Scalar types: a float32 file loads into ReclagScorer<float> or (widened exactly, values
// unchanged, scores then computed in double) ReclagScorer<double>; a float64 file loads only
// into ReclagScorer<double>: narrowing is refused with an io_error rather than done silently.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "reclag/core/error.hpp"
#include "reclag/core/types.hpp"
#include "reclag/io/atomic_file.hpp"
#include "reclag/io/npy.hpp"  // detail::NpyFileSource, host_is_big_endian, bswap
#include "reclag/score/reclag_scorer.hpp"

namespace reclag {

/// The newest detector-file format version this library reads and the one it writes.
inline constexpr std::uint32_t detector_format_version = 1;

/// What a detector file says about itself (read_detector_info(), or LoadedDetector::info).
struct DetectorFileInfo {
    std::uint32_t format_version = detector_format_version;
    bool big_endian = false;       ///< byte order of the file
    int scalar_bytes = 4;          ///< 4: float32, 8: float64
    bool per_class = false;        ///< one xi per class (routing by argmax of the logits)
    bool fitted = false;           ///< log_gamma holds a calibrated threshold
    bool has_log_var = false;      ///< the trainer's log-variances are stored
    std::uint64_t num_xi = 0;      ///< K: 1 (global) or the class count C
    std::uint64_t feature_dim = 0; ///< D
    double beta = 0, norm = 0, log_gamma = 0, target_tpr = 0;
    std::uint64_t file_bytes = 0;
    /// C for a per-class detector; 0 for a global one (it works with any classifier).
    std::uint64_t num_classes() const { return per_class ? num_xi : 0; }
};

/// Optional things a detector file carries besides the scorer.
template <typename Scalar>
struct DetectorExtras {
    /// Empty, or one D-vector per xi: the SFNN log-variances (SfnnResult::log_var), kept for
    /// inspection and re-training; scoring does not use them.
    std::vector<Vector<Scalar>> log_var;
    /// Free text, e.g. how the detector was trained (preset, epochs, data file).
    std::string description;
};

template <typename Scalar>
struct LoadedDetector {
    ReclagScorer<Scalar> scorer;
    DetectorExtras<Scalar> extras;
    DetectorFileInfo info;
};

namespace detail {

inline constexpr char detector_magic[8] = {'R', 'E', 'C', 'L', 'A', 'G', 'D', 'T'};
inline constexpr std::uint32_t detector_byte_order_marker = 0x01020304u;
inline constexpr std::size_t detector_header_bytes = 88;  // up to the description
inline constexpr std::size_t detector_checksum_bytes = 8;
inline constexpr std::uint32_t detector_flag_per_class = 1u;
inline constexpr std::uint32_t detector_flag_fitted = 2u;
inline constexpr std::uint32_t detector_flag_log_var = 4u;
inline constexpr std::uint32_t detector_known_flags = 7u;

/// FNV-1a, 64 bit (offset basis 0xcbf29ce484222325, prime 0x100000001b3). Each step is a
/// bijection of the state for a fixed byte and distinct bytes give distinct states, so any
/// single changed byte changes the hash.
inline std::uint64_t fnv1a64(const unsigned char* data, std::size_t n, std::uint64_t h = 0xcbf29ce484222325ull) {
    for (std::size_t i = 0; i < n; ++i) {
        h ^= data[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

class DetectorWriter {
public:
    template <typename T>
    void put(T v) {
        static_assert(std::is_arithmetic_v<T>, "DetectorWriter::put: arithmetic types only");
        append(&v, sizeof v);
    }
    void append(const void* p, std::size_t n) {
        const auto* c = static_cast<const char*>(p);
        bytes_.append(c, n);
    }
    template <typename Scalar>
    void put_matrix(const Eigen::Ref<const RowMatrix<Scalar>>& m) {
        put<std::uint64_t>(static_cast<std::uint64_t>(m.rows()));
        put<std::uint64_t>(static_cast<std::uint64_t>(m.cols()));
        for (Index r = 0; r < m.rows(); ++r) append(m.row(r).data(), sizeof(Scalar) * static_cast<std::size_t>(m.cols()));
    }
    std::string& bytes() { return bytes_; }

private:
    std::string bytes_;
};

/// Bounds-checked cursor over the file's bytes; every read names what it was reading.
class DetectorReader {
public:
    DetectorReader(const unsigned char* data, std::size_t end, const std::string& name)
        : data_(data), end_(end), name_(name) {}

    std::size_t pos() const { return pos_; }
    std::size_t remaining() const { return end_ - pos_; }
    void set_swap(bool s) { swap_ = s; }
    bool swap() const { return swap_; }
    const std::string& name() const { return name_; }

    void need(std::size_t n, const char* what) const {
        if (n > remaining())
            throw_io(name_, std::string("truncated or malformed: ") + what + " needs " + std::to_string(n) +
                                " bytes at offset " + std::to_string(pos_) + " but only " +
                                std::to_string(remaining()) + " remain");
    }
    std::uint32_t u32(const char* what) {
        std::uint32_t v;
        raw(&v, 4, what);
        return swap_ ? bswap(v) : v;
    }
    std::uint64_t u64(const char* what) {
        std::uint64_t v;
        raw(&v, 8, what);
        return swap_ ? bswap(v) : v;
    }
    double f64(const char* what) {
        const std::uint64_t bits = u64(what);
        double v;
        std::memcpy(&v, &bits, 8);
        return v;
    }
    void raw(void* dst, std::size_t n, const char* what) {
        need(n, what);
        if (n != 0) std::memcpy(dst, data_ + pos_, n);
        pos_ += n;
    }
    /// n elements of on-disk type F into dst (Scalar): swapped if needed, widened if F != Scalar.
    template <typename F, typename Scalar>
    void elements(Scalar* dst, std::size_t n, const char* what) {
        need(n * sizeof(F), what);  // n was bounded by the caller: no overflow
        const unsigned char* src = data_ + pos_;
        if constexpr (std::is_same_v<F, Scalar>) {
            if (!swap_) {
                if (n != 0) std::memcpy(dst, src, n * sizeof(F));
                pos_ += n * sizeof(F);
                return;
            }
        }
        using Bits = std::conditional_t<sizeof(F) == 4, std::uint32_t, std::uint64_t>;
        for (std::size_t i = 0; i < n; ++i) {
            Bits b;
            std::memcpy(&b, src + i * sizeof(F), sizeof(F));
            if (swap_) b = bswap(b);
            F v;
            std::memcpy(&v, &b, sizeof(F));
            dst[i] = static_cast<Scalar>(v);
        }
        pos_ += n * sizeof(F);
    }

private:
    const unsigned char* data_;
    std::size_t end_;
    std::size_t pos_ = 0;
    std::string name_;
    bool swap_ = false;
};

/// %g formatting (std::to_string prints 1e300 with 300 digits and tiny values as 0.000000).
inline std::string to_string_g(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

/// Fails unless v is finite and representable in Scalar (a crafted file must not reach an
/// out-of-range float conversion, which is undefined behaviour).
template <typename Scalar>
Scalar detector_real(const std::string& name, const char* field, double v) {
    if (!std::isfinite(v) || std::fabs(v) > static_cast<double>(std::numeric_limits<Scalar>::max()))
        throw_io(name, std::string("invalid ") + field + " " + to_string_g(v) + " (must be finite and fit in " +
                           scalar_name<Scalar>() + ")");
    return static_cast<Scalar>(v);
}

/// A wrong magic says "not a detector file"; a file shorter than the magic whose bytes are a
/// prefix of it is a truncated detector file.
inline void check_detector_magic(const unsigned char* data, std::size_t size, const std::string& name) {
    const std::size_t n = std::min(size, sizeof detector_magic);
    if (n != 0 && std::memcmp(data, detector_magic, n) != 0)
        throw_io(name, "not a reclag detector file (the magic is not \"RECLAGDT\")");
    if (size < sizeof detector_magic)
        throw_io(name, "truncated: " + std::to_string(size) + " bytes, too short for the 8-byte magic");
}

/// Validates the fixed part that comes before the checksum check: magic, marker, version, size.
inline DetectorFileInfo detector_preamble(const unsigned char* data, std::size_t size, const std::string& name) {
    DetectorFileInfo info;
    info.file_bytes = size;
    check_detector_magic(data, size, name);
    if (size < 24) throw_io(name, "truncated: " + std::to_string(size) + " bytes, too short for the file header");
    DetectorReader r(data, size, name);
    char magic[8];
    r.raw(magic, 8, "magic");
    std::uint32_t version_raw, marker;
    r.raw(&version_raw, 4, "format version");
    r.raw(&marker, 4, "byte-order marker");
    if (marker == detector_byte_order_marker) {
        info.big_endian = host_is_big_endian();
    } else if (bswap(marker) == detector_byte_order_marker) {
        info.big_endian = !host_is_big_endian();
        r.set_swap(true);
    } else {
        throw_io(name, "unknown byte-order marker (expected 0x01020304 in either byte order)");
    }
    const std::uint32_t version = r.swap() ? bswap(version_raw) : version_raw;
    info.format_version = version;
    if (version == 0) throw_io(name, "invalid format version 0");
    if (version > detector_format_version)
        throw_io(name, "format version " + std::to_string(version) + " is newer than this reader supports (up to " +
                           std::to_string(detector_format_version) + "): upgrade reclag to load it");
    const std::uint64_t declared = r.u64("file size");
    if (declared < detector_header_bytes + detector_checksum_bytes)
        throw_io(name, "invalid declared file size " + std::to_string(declared) + " (a detector file has at least " +
                           std::to_string(detector_header_bytes + detector_checksum_bytes) + " bytes)");
    if (size < declared)
        throw_io(name, "truncated: the file has " + std::to_string(size) + " bytes, its header declares " +
                           std::to_string(declared));
    if (size > declared)
        throw_io(name, std::to_string(size - declared) + " unexpected bytes after the declared end of the file (" +
                           std::to_string(declared) + " bytes)");
    return info;
}

template <typename Scalar, typename F>
void read_detector_arrays(DetectorReader& r, const DetectorFileInfo& info, std::vector<RowMatrix<Scalar>>& xi,
                          std::vector<Vector<Scalar>>& log_var) {
    const std::string& name = r.name();
    const std::uint64_t D = info.feature_dim;
    // D and K were bounded by the remaining bytes, so these products cannot overflow.
    const std::uint64_t row_bytes = D * sizeof(F);
    for (std::uint64_t k = 0; k < info.num_xi; ++k) {
        const std::string tag = "xi[" + std::to_string(k) + "]";
        const std::uint64_t rows = r.u64("xi rows");
        const std::uint64_t cols = r.u64("xi cols");
        if (cols != D)
            throw_io(name, tag + " has " + std::to_string(cols) + " columns, the header says D = " + std::to_string(D));
        if (rows == 0) throw_io(name, tag + " has 0 rows");
        if (rows > r.remaining() / row_bytes)
            throw_io(name, tag + " claims " + std::to_string(rows) + " x " + std::to_string(D) + " elements, more than the " +
                               std::to_string(r.remaining()) + " remaining bytes hold");
        RowMatrix<Scalar> m(static_cast<Index>(rows), static_cast<Index>(D));
        r.elements<F>(m.data(), static_cast<std::size_t>(rows * D), "xi data");
        if (!m.allFinite()) throw_io(name, tag + " has a non-finite value");
        xi.push_back(std::move(m));
    }
    if (!info.has_log_var) return;
    for (std::uint64_t k = 0; k < info.num_xi; ++k) {
        const std::string tag = "log_var[" + std::to_string(k) + "]";
        const std::uint64_t len = r.u64("log_var length");
        if (len != D)
            throw_io(name, tag + " has " + std::to_string(len) + " entries, the header says D = " + std::to_string(D));
        Vector<Scalar> v(static_cast<Index>(D));
        r.elements<F>(v.data(), static_cast<std::size_t>(D), "log_var data");
        if (!v.allFinite()) throw_io(name, tag + " has a non-finite value");
        log_var.push_back(std::move(v));
    }
}

/// The largest L2 norm of a row of xi, computed without overflow (max |entry| factored out).
template <typename Scalar>
double max_row_norm(const RowMatrix<Scalar>& xi) {
    double best = 0;
    for (Index i = 0; i < xi.rows(); ++i) {
        const Eigen::Matrix<double, 1, Eigen::Dynamic> row = xi.row(i).template cast<double>();
        const double amax = row.cwiseAbs().maxCoeff();
        if (amax > 0) best = std::max(best, amax * (row / amax).norm());
    }
    return best;
}

/// Refuses a detector whose scores overflow Scalar. By Cauchy-Schwarz every score satisfies
/// |r(x)| <= beta s max_mu ||xi_mu|| + log N_H with s = norm (||x~|| = s, Eq. 13's scaled
/// feature); for raw features (norm = 0) s = 1 bounds the score of a unit-norm feature. Files
/// whose bound exceeds half the largest Scalar (every finite field, yet beta = 1e30 or
/// xi entries near FLT_MAX) would score ordinary inputs as inf or NaN; they are refused here
/// with the bound in the message, not discovered later as a silent non-finite score.
template <typename Scalar>
void check_detector_score_bound(const std::string& name, const std::vector<RowMatrix<Scalar>>& xi, double beta,
                                double norm) {
    double m = 0;
    for (const auto& x : xi) m = std::max(m, max_row_norm(x));
    const double bound = beta * (norm > 0 ? norm : 1.0) * m;  // inf when it overflows double
    const double limit = static_cast<double>(std::numeric_limits<Scalar>::max()) / 2;
    if (!(bound <= limit))
        throw_io(name, "scores overflow " + scalar_name<Scalar>() + ": beta * " + (norm > 0 ? "norm" : "1 (raw features)") +
                           " * max ||xi_mu|| = " + to_string_g(bound) + " exceeds " + to_string_g(limit) +
                           " (beta " + to_string_g(beta) + ", norm " + to_string_g(norm) + ", max ||xi_mu|| " +
                           to_string_g(m) + ")");
}

template <typename Scalar>
LoadedDetector<Scalar> parse_detector(const unsigned char* data, std::size_t size, const std::string& name) {
    static_assert(is_supported_scalar_v<Scalar>, "reclag::load_detector: Scalar must be float or double");
    DetectorFileInfo info = detector_preamble(data, size, name);
    const std::size_t payload = size - detector_checksum_bytes;
    DetectorReader r(data, payload, name);
    r.set_swap(info.big_endian != host_is_big_endian());
    {
        DetectorReader tail(data + payload, detector_checksum_bytes, name);
        tail.set_swap(r.swap());
        const std::uint64_t stored = tail.u64("checksum");
        const std::uint64_t computed = fnv1a64(data, payload);
        if (stored != computed)
            throw_io(name, "checksum mismatch (the file is corrupted): stored FNV-1a " + std::to_string(stored) +
                               ", computed " + std::to_string(computed));
    }
    char skip[24];
    r.raw(skip, 24, "preamble");
    const std::uint32_t scalar_bytes = r.u32("scalar size");
    if (scalar_bytes != 4 && scalar_bytes != 8)
        throw_io(name, "invalid scalar size " + std::to_string(scalar_bytes) + " (4 = float32, 8 = float64)");
    info.scalar_bytes = static_cast<int>(scalar_bytes);
    const std::uint32_t flags = r.u32("flags");
    if ((flags & ~detector_known_flags) != 0) throw_io(name, "unknown flag bits " + std::to_string(flags & ~detector_known_flags));
    info.per_class = (flags & detector_flag_per_class) != 0;
    info.fitted = (flags & detector_flag_fitted) != 0;
    info.has_log_var = (flags & detector_flag_log_var) != 0;
    info.num_xi = r.u64("K");
    info.feature_dim = r.u64("D");
    info.beta = r.f64("beta");
    info.norm = r.f64("norm");
    info.log_gamma = r.f64("log gamma");
    info.target_tpr = r.f64("target TPR");
    const std::uint64_t desc_len = r.u64("description length");
    if (sizeof(Scalar) < scalar_bytes)
        throw_io(name, "holds float64 arrays; load it as ReclagScorer<double> (narrowing to float is refused)");
    if (info.num_xi == 0) throw_io(name, "no interaction matrix (K = 0)");
    if (!info.per_class && info.num_xi != 1)
        throw_io(name, "a global detector must hold exactly 1 xi, the header says K = " + std::to_string(info.num_xi));
    if (info.feature_dim == 0) throw_io(name, "feature dimension D = 0");
    if (desc_len > r.remaining())
        throw_io(name, "description length " + std::to_string(desc_len) + " exceeds the " + std::to_string(r.remaining()) +
                           " remaining bytes");
    LoadedDetector<Scalar> out;
    out.extras.description.resize(static_cast<std::size_t>(desc_len));
    r.raw(out.extras.description.data(), static_cast<std::size_t>(desc_len), "description");
    // Before any allocation: every xi needs its 16-byte shape and at least one row of D elements.
    if (info.feature_dim > r.remaining() / scalar_bytes)
        throw_io(name, "feature dimension D = " + std::to_string(info.feature_dim) + " exceeds what the " +
                           std::to_string(r.remaining()) + " remaining bytes hold");
    if (info.num_xi > r.remaining() / (16 + info.feature_dim * scalar_bytes))
        throw_io(name, "K = " + std::to_string(info.num_xi) + " interaction matrices of dimension " +
                           std::to_string(info.feature_dim) + " cannot fit in the " + std::to_string(r.remaining()) +
                           " remaining bytes");

    typename ReclagScorer<Scalar>::Param p;
    p.beta = detector_real<Scalar>(name, "beta", info.beta);
    p.norm = detector_real<Scalar>(name, "norm", info.norm);
    p.target_tpr = info.target_tpr;
    if (!(p.beta > Scalar(0)))
        throw_io(name, "invalid beta " + to_string_g(info.beta) +
                           (info.beta > 0 ? ": it underflows to 0 in " + scalar_name<Scalar>() + " (must be > 0)"
                                          : std::string(" (must be > 0)")));
    if (!(p.norm >= Scalar(0))) throw_io(name, "invalid norm " + to_string_g(info.norm) + " (must be >= 0)");
    // norm = 0 means raw features: a positive norm that underflows to 0 in Scalar would silently
    // switch the detector to unscaled scoring.
    if (info.norm > 0 && p.norm == Scalar(0))
        throw_io(name, "invalid norm " + to_string_g(info.norm) + ": it underflows to 0 in " + scalar_name<Scalar>() +
                           " (0 would mean raw features)");
    // A subnormal norm keeps a few bits of precision at most and scales every feature to a
    // subnormal radius (found by fuzz_detector: 1.9e-39 in float): no real detector has one.
    if (info.norm > 0 && p.norm < std::numeric_limits<Scalar>::min())
        throw_io(name, "invalid norm " + to_string_g(info.norm) + ": it is subnormal in " + scalar_name<Scalar>() +
                           " (below " + to_string_g(static_cast<double>(std::numeric_limits<Scalar>::min())) + ")");
    if (!(info.target_tpr > 0.0 && info.target_tpr <= 1.0))
        throw_io(name, "invalid target TPR " + to_string_g(info.target_tpr) + " (must be in (0, 1])");
    const Scalar log_gamma = detector_real<Scalar>(name, "log gamma", info.log_gamma);

    std::vector<RowMatrix<Scalar>> xi;
    xi.reserve(static_cast<std::size_t>(info.num_xi));
    if (scalar_bytes == 4) read_detector_arrays<Scalar, float>(r, info, xi, out.extras.log_var);
    else read_detector_arrays<Scalar, double>(r, info, xi, out.extras.log_var);
    if (r.remaining() != 0)
        throw_io(name, std::to_string(r.remaining()) + " unexpected bytes after the last array");
    check_detector_score_bound<Scalar>(name, xi, static_cast<double>(p.beta), static_cast<double>(p.norm));

    try {
        out.scorer = ReclagScorer<Scalar>(p);
        if (info.per_class) out.scorer.set_interaction(std::move(xi));
        else out.scorer.set_interaction(xi.front());
        if (info.fitted) out.scorer.set_log_gamma(log_gamma);
    } catch (const invalid_argument& e) {  // defensive: every field was validated above
        throw_io(name, std::string("invalid detector: ") + e.what());
    }
    out.info = info;
    return out;
}

inline std::vector<unsigned char> read_whole_detector_file(const std::string& path) {
    NpyFileSource src(path);  // opens, refuses non-regular files, knows the size
    const std::uint64_t total = src.total_size();
    // The magic first, so a wrong (possibly huge) file is refused before it is read in full.
    std::vector<unsigned char> buf(static_cast<std::size_t>(std::min<std::uint64_t>(total, 8)));
    if (src.read(buf.data(), buf.size()) != buf.size()) throw_io(path, "read failed: " + errno_text(errno));
    check_detector_magic(buf.data(), buf.size(), path);
    if (total > std::numeric_limits<std::size_t>::max()) throw_io(path, "file too large");
    buf.resize(static_cast<std::size_t>(total));
    const std::size_t rest = buf.size() - 8;
    if (src.read(buf.data() + 8, rest) != rest) throw_io(path, "read failed (the file shrank while being read?)");
    return buf;
}

}  // namespace detail

/// The bytes of a detector file for `scorer` (what save_detector writes). The scorer must hold
/// xi; if it is fitted, its log gamma is stored and load_detector() restores a fitted scorer,
/// otherwise the loaded scorer needs fit() (or set_log_gamma()) before scoring.
template <typename Scalar>
std::string save_detector_to_memory(const ReclagScorer<Scalar>& scorer, const DetectorExtras<Scalar>& extras = {}) {
    static_assert(is_supported_scalar_v<Scalar>, "reclag::save_detector: Scalar must be float or double");
    const char* where = "save_detector";
    if (!scorer.has_interaction()) throw_invalid(where, "the scorer has no interaction matrix xi to save");
    const ReclagScore<Scalar>& det = scorer.detector();
    const auto& xi = det.interaction();
    const Index D = det.feature_dim();
    if (!extras.log_var.empty()) {
        check_size(where, "extras.log_var (one per xi)", static_cast<Index>(extras.log_var.size()), static_cast<Index>(xi.size()));
        for (const auto& v : extras.log_var) {
            check_size(where, "extras.log_var[k]", v.size(), D);
            check_finite(where, "extras.log_var", v);
        }
    }
    std::uint32_t flags = 0;
    if (det.per_class()) flags |= detail::detector_flag_per_class;
    if (scorer.is_fitted()) flags |= detail::detector_flag_fitted;
    if (!extras.log_var.empty()) flags |= detail::detector_flag_log_var;

    std::uint64_t total = detail::detector_header_bytes + extras.description.size() + detail::detector_checksum_bytes;
    for (const auto& m : xi) total += 16 + sizeof(Scalar) * static_cast<std::uint64_t>(m.size());
    if (!extras.log_var.empty()) total += xi.size() * (8 + sizeof(Scalar) * static_cast<std::uint64_t>(D));

    detail::DetectorWriter w;
    w.bytes().reserve(static_cast<std::size_t>(total));
    w.append(detail::detector_magic, sizeof detail::detector_magic);
    w.put<std::uint32_t>(detector_format_version);
    w.put<std::uint32_t>(detail::detector_byte_order_marker);
    w.put<std::uint64_t>(total);
    w.put<std::uint32_t>(static_cast<std::uint32_t>(sizeof(Scalar)));
    w.put<std::uint32_t>(flags);
    w.put<std::uint64_t>(xi.size());
    w.put<std::uint64_t>(static_cast<std::uint64_t>(D));
    w.put<double>(static_cast<double>(scorer.param().beta));
    w.put<double>(static_cast<double>(scorer.param().norm));
    w.put<double>(scorer.is_fitted() ? static_cast<double>(scorer.log_gamma()) : 0.0);
    w.put<double>(scorer.param().target_tpr);
    w.put<std::uint64_t>(extras.description.size());
    w.append(extras.description.data(), extras.description.size());
    for (const auto& m : xi) w.put_matrix<Scalar>(m);
    for (const auto& v : extras.log_var) {
        w.put<std::uint64_t>(static_cast<std::uint64_t>(v.size()));
        w.append(v.data(), sizeof(Scalar) * static_cast<std::size_t>(v.size()));
    }
    const std::uint64_t sum = detail::fnv1a64(reinterpret_cast<const unsigned char*>(w.bytes().data()), w.bytes().size());
    w.put<std::uint64_t>(sum);
    if (w.bytes().size() != total) throw_invalid(where, "internal error: wrote ", w.bytes().size(), " bytes, expected ", total);
    return std::move(w.bytes());
}

/// Saves a ReclagScorer (and optional extras) to `path`, replaced atomically: on any failure
/// the previous file is untouched and reclag::io_error naming `path` is thrown.
template <typename Scalar>
void save_detector(const std::string& path, const ReclagScorer<Scalar>& scorer, const DetectorExtras<Scalar>& extras = {}) {
    const std::string bytes = save_detector_to_memory(scorer, extras);
    write_file_atomically(path, [&](std::FILE* f) { detail::write_all(f, bytes.data(), bytes.size(), path); });
}

/// Loads a detector file with everything in it (scorer, extras, header info).
template <typename Scalar>
LoadedDetector<Scalar> load_detector_file(const std::string& path) {
    const std::vector<unsigned char> buf = detail::read_whole_detector_file(path);
    return detail::parse_detector<Scalar>(buf.data(), buf.size(), path);
}

/// Loads the scorer of a detector file; it is fitted iff the saved one was. Scores are
/// bit-identical to the saved scorer's when Scalar is the file's scalar type.
template <typename Scalar>
ReclagScorer<Scalar> load_detector(const std::string& path) {
    return load_detector_file<Scalar>(path).scorer;
}

/// load_detector_file for bytes in memory (a fuzzer's input, a network buffer); `name` stands
/// in for the file name in error messages.
template <typename Scalar>
LoadedDetector<Scalar> load_detector_from_memory(const void* data, std::size_t size, const std::string& name = "<memory>") {
    if (data == nullptr && size != 0) throw_invalid("load_detector_from_memory", "null data with size ", size);
    static const unsigned char empty = 0;
    return detail::parse_detector<Scalar>(size == 0 ? &empty : static_cast<const unsigned char*>(data), size, name);
}

/// The header of a detector file (validated, checksum included), e.g. to pick float or double.
inline DetectorFileInfo read_detector_info(const std::string& path) {
    const std::vector<unsigned char> buf = detail::read_whole_detector_file(path);
    return detail::parse_detector<double>(buf.data(), buf.size(), path).info;
}

}  // namespace reclag
