#pragma once
// The readers work on files (memory maps): each fuzz input is written to one
// scratch file in /dev/shm (or $TMPDIR) and read back from there.
#include <cstddef>
#include <cstdint>
#include <string>

std::string writeFuzzInput(const uint8_t* data, size_t size, const char* suffix);
