// HTML character reference names (the HTML 4 set, which HTML 5 keeps) for html_unescape.
#pragma once

#include <string>

namespace legrad {

struct HtmlEntity {
  const char* name;  // without '&' and ';'
  char32_t code;
  bool legacy;  // also recognised without the trailing ';' (HTML 5's legacy names)
};

// Looks `name` up; `with_semicolon` says whether the reference ended in ';'.
const HtmlEntity* find_html_entity(const std::string& name, bool with_semicolon);

}  // namespace legrad
