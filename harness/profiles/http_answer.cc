#include "harness/profiles/http_answer.h"

#include <stdexcept>
#include <string>

namespace schism::harness {

std::string_view HttpOkBody(std::string_view answer, std::string_view what) {
  const std::string_view status = answer.substr(0, answer.find_first_of("\r\n"));
  const std::size_t space = status.find(' ');
  const std::string_view code =
      space == std::string_view::npos ? std::string_view() : status.substr(space + 1);
  if (status.substr(0, 5) != "HTTP/" || code.substr(0, 3) != "200" ||
      (code.size() > 3 && code[3] != ' ')) {
    throw std::invalid_argument(std::string(what) + " is not HTTP 200: " + std::string(status));
  }
  const std::size_t body = answer.find("\r\n\r\n");
  if (body == std::string_view::npos) throw std::invalid_argument("the answer has no body");
  return answer.substr(body + 4);
}

}  // namespace schism::harness
