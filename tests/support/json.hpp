// A small JSON reader for the tests (golden files, reference metrics). Not part of the
// library: reclag itself only writes JSON. Numbers are parsed with strtod (exact for the
// 17-digit values the golden files hold).
#pragma once

#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace reclag_test {

struct Json {
    enum class Type { Null, Bool, Number, String, Array, Object };
    Type type = Type::Null;
    bool boolean = false;
    double number = 0.0;
    std::string string;
    std::vector<Json> array;
    std::map<std::string, Json> object;

    bool is_number() const { return type == Type::Number; }
    bool is_array() const { return type == Type::Array; }
    bool is_object() const { return type == Type::Object; }
    bool contains(const std::string& key) const { return type == Type::Object && object.count(key) != 0; }
    const Json& operator[](const std::string& key) const {
        auto it = object.find(key);
        if (type != Type::Object || it == object.end()) throw std::runtime_error("json: no key '" + key + "'");
        return it->second;
    }
    const Json& operator[](std::size_t i) const {
        if (type != Type::Array || i >= array.size()) throw std::runtime_error("json: index out of range");
        return array[i];
    }
    std::size_t size() const { return type == Type::Array ? array.size() : object.size(); }
    double as_double() const {
        if (type != Type::Number) throw std::runtime_error("json: not a number");
        return number;
    }
    const std::string& as_string() const {
        if (type != Type::String) throw std::runtime_error("json: not a string");
        return string;
    }
};

class JsonParser {
public:
    explicit JsonParser(const std::string& text) : s_(text) {}
    Json parse() {
        Json v = value();
        ws();
        if (i_ != s_.size()) fail("trailing characters");
        return v;
    }

private:
    [[noreturn]] void fail(const std::string& why) const {
        throw std::runtime_error("json parse error at offset " + std::to_string(i_) + ": " + why);
    }
    void ws() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) ++i_;
    }
    bool lit(const char* word) {
        std::size_t n = std::char_traits<char>::length(word);
        if (s_.compare(i_, n, word) == 0) {
            i_ += n;
            return true;
        }
        return false;
    }
    Json value() {
        ws();
        if (i_ >= s_.size()) fail("unexpected end");
        Json v;
        char c = s_[i_];
        if (c == '{') {
            v.type = Json::Type::Object;
            ++i_;
            ws();
            if (s_[i_] == '}') { ++i_; return v; }
            for (;;) {
                ws();
                std::string key = str();
                ws();
                if (s_[i_] != ':') fail("expected ':'");
                ++i_;
                v.object[key] = value();
                ws();
                if (s_[i_] == ',') { ++i_; continue; }
                if (s_[i_] == '}') { ++i_; return v; }
                fail("expected ',' or '}'");
            }
        }
        if (c == '[') {
            v.type = Json::Type::Array;
            ++i_;
            ws();
            if (s_[i_] == ']') { ++i_; return v; }
            for (;;) {
                v.array.push_back(value());
                ws();
                if (s_[i_] == ',') { ++i_; continue; }
                if (s_[i_] == ']') { ++i_; return v; }
                fail("expected ',' or ']'");
            }
        }
        if (c == '"') {
            v.type = Json::Type::String;
            v.string = str();
            return v;
        }
        if (lit("true")) { v.type = Json::Type::Bool; v.boolean = true; return v; }
        if (lit("false")) { v.type = Json::Type::Bool; return v; }
        if (lit("null")) return v;
        if (lit("NaN")) { v.type = Json::Type::Number; v.number = std::nan(""); return v; }
        if (lit("Infinity")) { v.type = Json::Type::Number; v.number = HUGE_VAL; return v; }
        if (lit("-Infinity")) { v.type = Json::Type::Number; v.number = -HUGE_VAL; return v; }
        const char* begin = s_.c_str() + i_;
        char* end = nullptr;
        v.number = std::strtod(begin, &end);
        if (end == begin) fail("bad value");
        v.type = Json::Type::Number;
        i_ += static_cast<std::size_t>(end - begin);
        return v;
    }
    std::string str() {
        if (s_[i_] != '"') fail("expected string");
        ++i_;
        std::string out;
        while (i_ < s_.size() && s_[i_] != '"') {
            char c = s_[i_++];
            if (c == '\\') {
                char e = s_[i_++];
                switch (e) {
                    case 'n': out += '\n'; break;
                    case 't': out += '\t'; break;
                    case 'r': out += '\r'; break;
                    case 'b': out += '\b'; break;
                    case 'f': out += '\f'; break;
                    case 'u': {
                        unsigned code = static_cast<unsigned>(std::stoul(s_.substr(i_, 4), nullptr, 16));
                        i_ += 4;
                        if (code < 0x80) out += static_cast<char>(code);
                        else if (code < 0x800) { out += static_cast<char>(0xC0 | (code >> 6)); out += static_cast<char>(0x80 | (code & 0x3F)); }
                        else { out += static_cast<char>(0xE0 | (code >> 12)); out += static_cast<char>(0x80 | ((code >> 6) & 0x3F)); out += static_cast<char>(0x80 | (code & 0x3F)); }
                        break;
                    }
                    default: out += e;
                }
            } else {
                out += c;
            }
        }
        if (i_ >= s_.size()) fail("unterminated string");
        ++i_;
        return out;
    }

    const std::string& s_;
    std::size_t i_ = 0;
};

inline Json parse_json_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    return JsonParser(text).parse();
}

}  // namespace reclag_test
