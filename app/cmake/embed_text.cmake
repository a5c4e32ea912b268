# Writes a C++ source defining geodes::app::default_scenario_text() from a text file, so that the
# built-in default scenario travels inside the binary. Run as a script:
#   cmake -DINPUT=<file> -DOUTPUT=<file.cpp> -P embed_text.cmake
# The text becomes a byte array (no raw string literal: those have length limits on some
# compilers and cannot hold every byte sequence).
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR byte_count "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
# Break the array into lines of 16 bytes for readable diffs of the generated file.
# (CMake regexes have no {n} repetition, hence the spelled-out pattern.)
set(byte_re "0x[0-9a-f][0-9a-f],")
string(REPEAT "${byte_re}" 16 line_re)
string(REGEX REPLACE "(${line_re})" "\\1\n    " bytes "${bytes}")
get_filename_component(name "${INPUT}" NAME)
file(WRITE "${OUTPUT}.tmp"
"// Generated from scenarios/${name} by app/cmake/embed_text.cmake; do not edit.
#include <string_view>

#include \"geodes/app/scenario_loader.hpp\"

namespace geodes::app {

namespace {
constexpr unsigned char kText[] = {
    ${bytes}0x00};
}  // namespace

std::string_view default_scenario_text() {
  return {reinterpret_cast<const char*>(kText), ${byte_count}};  // NOLINT: bytes as chars
}

}  // namespace geodes::app
")
# Only touch the output when it changed, so that an unchanged scenario does not rebuild anything.
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
