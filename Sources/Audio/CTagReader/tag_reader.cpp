#include "tag_reader.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include <taglib/fileref.h>
#include <taglib/tpropertymap.h>

namespace {
std::string flattened(const TagLib::String &s) {
    std::string out = s.to8Bit(true);
    for (char &c : out) {
        if (c == '\t' || c == '\n' || c == '\r') c = ' ';
    }
    return out;
}
}  // namespace

extern "C" char *regie_tag_properties(const char *path) {
    // No audio properties: only the tags are wanted (faster, and no decoding of damaged audio).
    TagLib::FileRef file(path, false);
    if (file.isNull() || file.file() == nullptr || !file.file()->isValid()) return nullptr;
    const TagLib::PropertyMap properties = file.file()->properties();
    std::string out;
    for (const auto &entry : properties) {
        for (const auto &value : entry.second) {
            out += flattened(entry.first);
            out += '\t';
            out += flattened(value);
            out += '\n';
        }
    }
    char *result = static_cast<char *>(std::malloc(out.size() + 1));
    if (result == nullptr) return nullptr;
    std::memcpy(result, out.c_str(), out.size() + 1);
    return result;
}
