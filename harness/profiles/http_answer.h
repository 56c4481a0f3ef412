#pragma once
// The body of an HTTP/1.x answer that a probe read raw off a socket (bash's
// /dev/tcp: no HTTP client in between).

#include <string_view>

namespace schism::harness {

// The body of `answer` when its status is 200. Throws std::invalid_argument
// naming `what` ("the answer", "the admin server's answer") and quoting the
// status line when the status is another, and saying so when the answer has
// no header/body break.
std::string_view HttpOkBody(std::string_view answer, std::string_view what);

}  // namespace schism::harness
