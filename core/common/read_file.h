#pragma once
// A whole file into memory (texts, task files, JSON), naming it and what it
// was for when it cannot be read: "val.txt: cannot open the evaluation text for reading".
#include <string>

namespace qb {

std::string readWholeFile(const std::string& path, const std::string& what = "file");

} // namespace qb
