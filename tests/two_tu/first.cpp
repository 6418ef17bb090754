#include <reclag/reclag.hpp>

int second_unit();

int main() { return second_unit() == 42 ? 0 : 1; }
