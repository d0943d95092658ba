#include "common/read_file.h"

#include "common/error.h"

#include <fstream>
#include <sstream>

namespace qb {

std::string readWholeFile(const std::string& path, const std::string& what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw fileError(path, "cannot open the " + what + " for reading");
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) throw fileError(path, "read error in the " + what);
    return ss.str();
}

} // namespace qb
