// reclag: the .npy header: magic, version, the header dict ('descr', 'fortran_order', 'shape')
// and the checks that make a file loadable (supported dtype, shape product without overflow, data
// size exactly matching the shape). npy.hpp builds the loaders and save_npy on top of this.
//
// Format (numpy/lib/format.py, NEP 1): "\x93NUMPY", major, minor, a little-endian header length
// (2 bytes in version 1.0, 4 bytes in 2.0 and 3.0), then a Python dict literal
//   {'descr': '<f4', 'fortran_order': False, 'shape': (10, 512), }
// padded with spaces and a final '\n', then the raw array data. Version 3.0 only changes the
// header encoding to UTF-8, which this parser treats as bytes (non-ASCII text can only occur in
// structured dtypes, which are rejected anyway).
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <sys/types.h>

#include "reclag/core/error.hpp"
#include "reclag/io/atomic_file.hpp"  // detail::throw_io, detail::errno_text

namespace reclag {


/// Element type of a .npy file.
struct NpyDtype {
    char kind = 'f';          ///< 'f' floating point, 'i' signed integer, 'u' unsigned integer, 'b' bool
    int size = 4;             ///< bytes per element
    bool big_endian = false;  ///< byte order of the data on disk (always false for 1-byte types)
};

/// What read_npy_header() finds in a .npy file; already validated (supported dtype, shape
/// product without overflow, data size exactly matching the shape).
struct NpyHeader {
    int major_version = 1;
    int minor_version = 0;
    std::string descr;                ///< as written in the file, e.g. "<f4", ">i8", "|u1"
    NpyDtype dtype;
    bool fortran_order = false;       ///< true: column-major data
    std::vector<std::int64_t> shape;  ///< empty for a 0-d (scalar) array
    std::size_t data_offset = 0;      ///< bytes from the start of the file to the first element

    /// Number of elements: the product of the shape (1 for a 0-d array).
    std::int64_t num_elements() const {
        std::int64_t n = 1;
        for (std::int64_t d : shape) n *= d;  // overflow was ruled out when the header was read
        return n;
    }
    std::size_t data_bytes() const { return static_cast<std::size_t>(num_elements()) * static_cast<std::size_t>(dtype.size); }
};

namespace detail {

inline bool host_is_big_endian() {
    const std::uint16_t one = 1;
    unsigned char first = 0;
    std::memcpy(&first, &one, 1);
    return first == 0;
}

/// Python's repr of a shape tuple: "()", "(5,)", "(2, 3)".
inline std::string shape_repr(const std::vector<std::int64_t>& shape) {
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i > 0) s += ", ";
        s += std::to_string(shape[i]);
    }
    if (shape.size() == 1) s += ",";
    return s + ")";
}

/// Parses a descr string such as "<f4"; throws io_error for anything this reader cannot load.
inline NpyDtype parse_descr(const std::string& name, const std::string& descr) {
    std::string body = descr;
    char order = '=';
    if (!body.empty() && (body[0] == '<' || body[0] == '>' || body[0] == '|' || body[0] == '=')) {
        order = body[0];
        body.erase(0, 1);
    }
    if (!body.empty() && body[0] == 'O')
        throw_io(name, "object arrays (dtype '" + descr + "') cannot be loaded: they hold pickled Python objects");
    const auto unsupported = [&]() {
        throw_io(name, "unsupported dtype '" + descr +
                           "' (supported: f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1, any byte order)");
    };
    if (body.size() < 2 || body.size() > 2) unsupported();
    NpyDtype d;
    d.kind = body[0];
    if (body[1] < '0' || body[1] > '9') unsupported();
    d.size = body[1] - '0';
    const bool ok = (d.kind == 'f' && (d.size == 2 || d.size == 4 || d.size == 8)) ||
                    ((d.kind == 'i' || d.kind == 'u') && (d.size == 1 || d.size == 2 || d.size == 4 || d.size == 8)) ||
                    (d.kind == 'b' && d.size == 1);
    if (!ok) unsupported();
    d.big_endian = d.size > 1 && (order == '>' || ((order == '=' || order == '|') && host_is_big_endian()));
    return d;
}

/// A recursive-descent parser for the header dict. It accepts what Python's literal_eval would
/// for the three keys: any key order, either quote style, spaces anywhere, a trailing comma,
/// Python 2's "3L" integers; and it rejects unknown or duplicate keys like numpy does.
class NpyHeaderParser {
public:
    NpyHeaderParser(const std::string& name, const std::string& text) : name_(name), s_(text) {}

    void parse(NpyHeader& h) {
        bool have_descr = false, have_order = false, have_shape = false;
        skip_space();
        expect('{', "the header does not start with '{'");
        for (;;) {
            skip_space();
            if (peek() == '}') break;
            const std::string key = parse_string("a quoted key");
            skip_space();
            expect(':', "expected ':' after key '" + key + "'");
            skip_space();
            if (key == "descr") {
                if (have_descr) fail("duplicate key 'descr'");
                have_descr = true;
                if (peek() == '[' || peek() == '{')
                    throw_io(name_, "unsupported dtype: structured (record) dtypes cannot be loaded into a matrix");
                h.descr = parse_string("a string value for 'descr'");
            } else if (key == "fortran_order") {
                if (have_order) fail("duplicate key 'fortran_order'");
                have_order = true;
                h.fortran_order = parse_bool();
            } else if (key == "shape") {
                if (have_shape) fail("duplicate key 'shape'");
                have_shape = true;
                h.shape = parse_shape();
            } else {
                fail("unexpected key '" + key + "' (a .npy header has exactly 'descr', 'fortran_order' and 'shape')");
            }
            skip_space();
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() == '}') break;
            fail("expected ',' or '}' after the value of '" + key + "'");
        }
        ++pos_;  // the '}'
        for (; pos_ < s_.size(); ++pos_) {
            const char c = s_[pos_];
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\0') fail("unexpected text after the closing '}'");
        }
        if (!have_descr) throw_io(name_, "header has no 'descr' key (missing key)");
        if (!have_order) throw_io(name_, "header has no 'fortran_order' key (missing key)");
        if (!have_shape) throw_io(name_, "header has no 'shape' key (missing key)");
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw_io(name_, "cannot parse the header dict: " + what + " at offset " + std::to_string(pos_) + " in \"" +
                            printable(s_.substr(0, 200)) + "\"");
    }
    static std::string printable(const std::string& t) {
        std::string out;
        for (char c : t) out += (c >= 32 && c < 127) ? c : '?';
        return out;
    }
    char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
    void skip_space() {
        while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
    }
    void expect(char c, const std::string& what) {
        if (peek() != c || pos_ >= s_.size()) fail(what);
        ++pos_;
    }
    std::string parse_string(const std::string& what) {
        const char quote = peek();
        if (pos_ >= s_.size() || (quote != '\'' && quote != '"')) fail("expected " + what);
        const std::size_t end = s_.find(quote, pos_ + 1);
        if (end == std::string::npos) fail("unterminated string");
        std::string value = s_.substr(pos_ + 1, end - pos_ - 1);
        if (value.find('\\') != std::string::npos) fail("escape sequences are not supported in header strings");
        pos_ = end + 1;
        return value;
    }
    bool parse_bool() {
        if (s_.compare(pos_, 4, "True") == 0) {
            pos_ += 4;
            return true;
        }
        if (s_.compare(pos_, 5, "False") == 0) {
            pos_ += 5;
            return false;
        }
        fail("expected True or False for 'fortran_order'");
    }
    std::int64_t parse_dimension() {
        if (peek() == '-') throw_io(name_, "negative dimension in 'shape' of the header");
        if (peek() < '0' || peek() > '9') fail("expected a non-negative integer in 'shape'");
        std::int64_t v = 0;
        while (peek() >= '0' && peek() <= '9') {
            const int digit = peek() - '0';
            if (v > (std::numeric_limits<std::int64_t>::max() - digit) / 10)
                throw_io(name_, "dimension in 'shape' overflows int64");
            v = v * 10 + digit;
            ++pos_;
        }
        if (peek() == 'L' || peek() == 'l') ++pos_;  // Python 2 long literal
        return v;
    }
    std::vector<std::int64_t> parse_shape() {
        expect('(', "expected a tuple '(...)' for 'shape'");
        std::vector<std::int64_t> shape;
        for (;;) {
            skip_space();
            if (peek() == ')') break;
            shape.push_back(parse_dimension());
            skip_space();
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() == ')') break;
            fail("expected ',' or ')' in 'shape'");
        }
        ++pos_;
        return shape;
    }

    const std::string& name_;
    const std::string& s_;
    std::size_t pos_ = 0;
};

/// Reads the .npy data from a FILE*; total size known up front so a lying header is caught
/// before anything is allocated.
class NpyFileSource {
public:
    explicit NpyFileSource(const std::string& path) : path_(path) {
        file_ = std::fopen(path.c_str(), "rb");
        if (file_ == nullptr) throw_io(path, "cannot open file for reading: " + errno_text(errno));
#if defined(_WIN32)
        struct _stat64 st {};
        const int rc = _fstat64(_fileno(file_), &st);
        const bool regular = rc == 0 && (st.st_mode & _S_IFREG) != 0;
#else
        struct stat st {};
        const int rc = ::fstat(::fileno(file_), &st);
        const bool regular = rc == 0 && S_ISREG(st.st_mode);
#endif
        if (rc != 0) {
            const int err = errno;
            std::fclose(file_);
            throw_io(path, "cannot stat file: " + errno_text(err));
        }
        if (!regular) {
            std::fclose(file_);
            throw_io(path, "not a regular file");
        }
        total_ = static_cast<std::uint64_t>(st.st_size);
    }
    NpyFileSource(const NpyFileSource&) = delete;
    NpyFileSource& operator=(const NpyFileSource&) = delete;
    ~NpyFileSource() { std::fclose(file_); }

    std::uint64_t total_size() const { return total_; }
    std::size_t read(void* dst, std::size_t n) { return n == 0 ? 0 : std::fread(dst, 1, n, file_); }
    const std::string& name() const { return path_; }

private:
    std::string path_;
    std::FILE* file_ = nullptr;
    std::uint64_t total_ = 0;
};

class NpyMemorySource {
public:
    NpyMemorySource(const void* data, std::size_t size, const std::string& name)
        : data_(static_cast<const unsigned char*>(data)), size_(size), name_(name) {
        if (data_ == nullptr && size_ != 0) throw_io(name, "null buffer with non-zero size");
    }
    std::uint64_t total_size() const { return size_; }
    std::size_t read(void* dst, std::size_t n) {
        const std::size_t k = std::min(n, size_ - pos_);
        if (k > 0) std::memcpy(dst, data_ + pos_, k);
        pos_ += k;
        return k;
    }
    const std::string& name() const { return name_; }

private:
    const unsigned char* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
    std::string name_;
};

/// Reads and validates the magic, version, header dict and data size; leaves the source at the
/// first data byte.
template <typename Source>
NpyHeader read_header(Source& src) {
    const std::string& name = src.name();
    const std::uint64_t total = src.total_size();
    unsigned char prefix[12] = {};
    if (total < 10 || src.read(prefix, 8) != 8)
        throw_io(name, "file too short to be a .npy file (" + std::to_string(total) + " bytes; bad magic)");
    static const unsigned char magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
    if (std::memcmp(prefix, magic, 6) != 0) throw_io(name, "bad magic: not a .npy file (expected \"\\x93NUMPY\")");
    NpyHeader h;
    h.major_version = prefix[6];
    h.minor_version = prefix[7];
    if (h.minor_version != 0 || h.major_version < 1 || h.major_version > 3)
        throw_io(name, "unsupported .npy format version " + std::to_string(h.major_version) + "." +
                           std::to_string(h.minor_version) + " (supported: 1.0, 2.0, 3.0)");
    const std::size_t len_bytes = h.major_version == 1 ? 2 : 4;
    if (total < 8 + len_bytes || src.read(prefix + 8, len_bytes) != len_bytes)
        throw_io(name, "file ends inside the header length field");
    std::uint64_t header_len = 0;
    for (std::size_t i = 0; i < len_bytes; ++i) header_len |= static_cast<std::uint64_t>(prefix[8 + i]) << (8 * i);
    const std::uint64_t offset = 8 + len_bytes + header_len;
    if (offset > total)
        throw_io(name, "header length " + std::to_string(header_len) + " runs past the end of the file (" +
                           std::to_string(total) + " bytes)");
    std::string text(static_cast<std::size_t>(header_len), '\0');
    if (src.read(&text[0], text.size()) != text.size()) throw_io(name, "file ends inside the header (truncated)");
    NpyHeaderParser(name, text).parse(h);
    h.dtype = parse_descr(name, h.descr);
    h.data_offset = static_cast<std::size_t>(offset);

    // Element and byte counts must fit int64 (Eigen::Index) and size_t.
    const std::uint64_t limit = std::min<std::uint64_t>(static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()),
                                                        static_cast<std::uint64_t>(std::numeric_limits<std::size_t>::max()));
    std::uint64_t count = 1;
    for (std::int64_t d : h.shape) {
        const auto ud = static_cast<std::uint64_t>(d);
        if (ud != 0 && count > limit / ud)
            throw_io(name, "shape " + shape_repr(h.shape) + " overflows: the element count does not fit in int64/size_t");
        count *= ud;
    }
    const auto item = static_cast<std::uint64_t>(h.dtype.size);
    if (count > limit / item)
        throw_io(name, "shape " + shape_repr(h.shape) + " overflows: the byte count does not fit in int64/size_t");
    const std::uint64_t need = count * item;
    const std::uint64_t have = total - offset;
    if (have < need)
        throw_io(name, "truncated data: shape " + shape_repr(h.shape) + " with dtype '" + h.descr + "' needs " +
                           std::to_string(need) + " bytes after the header, the file has " + std::to_string(have));
    if (have > need)
        throw_io(name, "data longer than the shape: " + std::to_string(have - need) + " trailing bytes after the " +
                           std::to_string(need) + " bytes that shape " + shape_repr(h.shape) + " with dtype '" +
                           h.descr + "' needs");
    return h;
}

}  // namespace detail

/// Reads and validates the header of a .npy file: version, dtype, shape, order and the offset
/// of the data. Throws reclag::io_error for every problem load_npy would find in the file
/// itself (bad magic, unsupported dtype, size mismatch, ...).
inline NpyHeader read_npy_header(const std::string& path) {
    detail::NpyFileSource src(path);
    return detail::read_header(src);
}

/// Same as read_npy_header, for a .npy file held in memory; `name` is used in error messages.
inline NpyHeader read_npy_header_from_memory(const void* data, std::size_t size, const std::string& name = "<memory>") {
    detail::NpyMemorySource src(data, size, name);
    return detail::read_header(src);
}

}  // namespace reclag
