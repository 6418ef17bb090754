#include <reclag/reclag.hpp>

int second_unit() { return 42; }
